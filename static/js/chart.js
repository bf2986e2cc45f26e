// The live bar chart of notes per goal in the official colours (console and presenter view). A
// goal's bar is a button: click, Enter or Space drills into that goal's targets with their counts
// (#8); "Back to all goals" returns. Counts are redrawn in place (no new elements per event).

import { $, clear, h, s } from "./dom.js";
import { t } from "./i18n.js";
import { goalName, paint, textColor } from "./sdg.js";

const WIDTH = 300;
const ROW = 22;
// Target rows are taller, their codes longer ("17.19"): readable on a shared screen.
const TARGET_ROW = 26;

export class GoalChart {
  /** heading: the element whose text names what the chart shows (changes when drilling). */
  constructor(catalogue, heading) {
    this.catalogue = catalogue;
    this.heading = heading;
    this.goal = null; // the goal drilled into, or null for all goals
    this.counts = null;
    this.back = h("button", { type: "button", class: "button chart-back", hidden: true, onclick: () => this.drill(null) });
    this.hint = h("p", { class: "hint chart-hint" });
    this.svg = s("svg", { class: "chart", role: "group" });
    this.title = s("title", {});
    this.el = h("div", { class: "chart-box stack" }, this.back, this.svg, this.hint);
    this.draw();
  }

  /** Show one goal's targets (a goal object) or, with null, all goals; focus follows. */
  drill(goal) {
    const from = this.goal;
    this.goal = goal;
    this.draw();
    if (this.counts) this.update(this.counts);
    if (goal) this.back.focus();
    else if (from) {
      const row = this.rows.find((r) => r.key === from.number);
      if (row) row.group.focus();
    }
  }

  draw() {
    const goal = this.goal;
    const items = goal
      ? goal.targets.map((target) => ({ key: target.code, tag: target.code, goal, target }))
      : this.catalogue.map((g) => ({ key: g.number, tag: String(g.number), goal: g }));
    const labelWidth = goal ? 48 : 34;
    const height = goal ? TARGET_ROW : ROW;
    clear(this.svg).append(this.title);
    this.svg.setAttribute("viewBox", `0 0 ${WIDTH} ${items.length * height}`);
    this.svg.classList.toggle("is-targets", Boolean(goal));
    this.labelWidth = labelWidth;
    this.rows = items.map((item, index) => {
      const y = index * height;
      const tag = s("rect", { x: 0, y: y + 2, width: labelWidth - 4, height: height - 4, rx: 3, class: "chart-tag" });
      tag.style.fill = item.goal.color;
      const number = s("text", { x: (labelWidth - 4) / 2, y: y + height / 2 + 1, class: "chart-number" }, item.tag);
      number.style.fill = textColor(item.goal.color);
      const bar = s("rect", { x: labelWidth, y: y + 3, width: 0, height: height - 6, rx: 2, class: "chart-bar" });
      bar.style.fill = item.goal.color;
      const count = s("text", { x: labelWidth + 4, y: y + height / 2 + 1, class: "chart-count" }, "0");
      const tip = s("title", {}, "");
      const group = s("g", { class: "chart-row", dataset: { key: String(item.key) } }, tip, tag, number, bar, count);
      if (goal) group.setAttribute("role", "img");
      else {
        group.setAttribute("role", "button");
        group.setAttribute("tabindex", "0");
        group.addEventListener("click", () => this.drill(item.goal));
        group.addEventListener("keydown", (event) => {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            this.drill(item.goal);
          }
        });
      }
      this.svg.append(group);
      return { ...item, group, tip, bar, count };
    });
    this.relabel();
  }

  /** Redraw the bars from a GoalCounts (goals, or the drilled goal's targets). */
  update(counts) {
    this.counts = counts;
    const value = (row) => (this.goal ? counts.getTarget(row.key) : counts.get(row.key));
    const max = Math.max(1, ...this.rows.map(value));
    const room = WIDTH - this.labelWidth - 30;
    for (const row of this.rows) {
      const n = value(row);
      const width = Math.round((n / max) * room);
      row.bar.setAttribute("width", String(width));
      row.count.setAttribute("x", String(this.labelWidth + width + 4));
      row.count.textContent = String(n);
      // A goal's bar is a button named by its <title> (its tooltip too), which starts with the
      // number it shows and holds its count (#17: the name contains the visible text).
      if (row.target) {
        const label = t("chart_target_bar", { code: row.key, count: n, text: row.target.text.en });
        row.group.setAttribute("aria-label", label);
        row.tip.textContent = label;
      } else row.tip.textContent = t("chart_bar_drill", { n: row.key, name: goalName(row.goal), count: n });
    }
  }

  /** Texts that depend on the language. */
  relabel() {
    const goal = this.goal;
    const label = goal ? t("chart_targets_label", { n: goal.number }) : t("chart_label");
    this.svg.setAttribute("aria-label", label);
    this.title.textContent = label;
    this.heading.textContent = goal ? t("chart_targets_title", { n: goal.number, name: goalName(goal) }) : t("chart_title");
    this.back.textContent = t("chart_back");
    this.back.hidden = !goal;
    this.hint.textContent = t("chart_hint");
    this.hint.hidden = Boolean(goal);
    if (this.counts) this.update(this.counts);
  }
}

/** Mount a chart in `#chart`, titled by `#chart-heading`. */
export function mountChart(catalogue) {
  const chart = new GoalChart(catalogue, $("#chart-heading"));
  $("#chart").append(chart.el);
  return chart;
}

// --- the presenter's chart (#17) ------------------------------------------------------------
// HTML rows rather than an SVG: the rows share the height the screen leaves (17 always fit), a
// goal's name sits beside its number (cut with "…" when long, whole on hover and in the spoken
// name), and a target's row carries the target's text. The presenter shows a goal's targets in
// its large stage area (`TargetBars`); its goal rows (`GoalBars`) stay where they are.

function barRow(item, onpick) {
  const tag = h("span", { class: "chart-number" }, item.tag);
  paint(tag, item.goal);
  const name = h("span", { class: "chart-name" }, item.name || "");
  const bar = h("span", { class: "chart-bar" });
  bar.style.backgroundColor = item.goal.color;
  const lane = h("span", { class: "chart-lane" }, bar);
  const count = h("span", { class: "chart-count" }, "0");
  const props = { class: "chart-row", dataset: { key: String(item.key) } };
  // A goal's button is named by what it shows, in order, with the words between said to screen
  // readers only ("12 Ansvarlig forbruk og produksjon: 8. Vis delmålene"): voice control can
  // reach it by its number (WCAG 2.5.3, label in name).
  const hint = h("span", { class: "sr-only" });
  const said = (text) => h("span", { class: "sr-only" }, text);
  const group = onpick
    ? h("button", { ...props, type: "button", onclick: () => onpick(item.goal) },
        tag, said(" "), name, said(": "), lane, count, hint)
    : h("div", { ...props, role: "img" }, tag, name, lane, count);
  return { ...item, group, name, bar, count, hint };
}

function fill(rows, value) {
  const max = Math.max(1, ...rows.map(value));
  for (const row of rows) {
    const n = value(row);
    row.bar.style.width = `${(n / max) * 100}%`;
    row.count.textContent = String(n);
  }
}

/** The 17 goals with names and counts; `onpick(goal)` when one is chosen (click, Enter, Space). */
export class GoalBars {
  constructor(catalogue, onpick) {
    this.counts = null;
    this.current = null;
    // What choosing a row shows, said after its name: "targets", or "terms" while the
    // presenter's key terms (#18) are shown, where a goal's terms take the targets' place.
    this.shows = "targets";
    this.list = h("div", { class: "bar-chart", role: "group" });
    this.list.style.setProperty("--rows", String(catalogue.length));
    this.rows = catalogue.map((goal) => barRow({ key: goal.number, tag: String(goal.number), goal }, onpick));
    this.list.append(...this.rows.map((row) => row.group));
    this.el = this.list;
    this.relabel();
  }

  update(counts) {
    this.counts = counts;
    fill(this.rows, (row) => counts.get(row.key));
    for (const row of this.rows) {
      const n = counts.get(row.key);
      const name = goalName(row.goal);
      row.hint.textContent = `. ${this.shows === "terms" ? t("chart_show_terms") : t("chart_show_targets")}`;
      row.group.title = t("chart_bar", { n: row.key, name, count: n });
    }
  }

  /** Say what choosing a row shows: "targets" or "terms". */
  setShows(what) {
    this.shows = what;
    if (this.counts) this.update(this.counts);
  }

  /** Mark the goal whose targets are shown (null: none). */
  mark(goal) {
    this.current = goal;
    for (const row of this.rows) {
      if (goal && row.key === goal.number) row.group.setAttribute("aria-current", "true");
      else row.group.removeAttribute("aria-current");
    }
  }

  focus(goal) {
    const row = this.rows.find((r) => r.key === goal.number);
    if (row) row.group.focus();
  }

  relabel() {
    this.list.setAttribute("aria-label", t("chart_label"));
    for (const row of this.rows) row.name.textContent = goalName(row.goal);
    if (this.counts) this.update(this.counts);
  }
}

/** One goal's targets: code, the UN's text (English: there is no official bokmål), count. */
export class TargetBars {
  constructor(goal) {
    this.goal = goal;
    this.counts = null;
    this.list = h("div", { class: "bar-chart is-targets", role: "group" });
    this.list.style.setProperty("--rows", String(goal.targets.length));
    // Room for two lines of text per row while that still fits a shared screen; one beyond.
    this.list.classList.toggle("is-many", goal.targets.length > 12);
    this.rows = goal.targets.map((target) =>
      barRow({ key: target.code, tag: target.code, goal, target, name: target.text.en }),
    );
    for (const row of this.rows) row.name.lang = "en";
    this.list.append(...this.rows.map((row) => row.group));
    this.el = this.list;
    this.relabel();
  }

  update(counts) {
    this.counts = counts;
    fill(this.rows, (row) => counts.getTarget(row.key));
    for (const row of this.rows) {
      const label = t("chart_target_bar", { code: row.key, count: counts.getTarget(row.key), text: row.target.text.en });
      row.group.setAttribute("aria-label", label);
      row.group.title = label;
    }
  }

  relabel() {
    this.list.setAttribute("aria-label", t("chart_targets_label", { n: this.goal.number }));
    if (this.counts) this.update(this.counts);
  }
}
