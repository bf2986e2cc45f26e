// The live bar chart of notes per goal in the official colours (console and presenter view). A
// goal's bar is a button: click, Enter or Space drills into that goal's targets with their counts
// (#8); "Back to all goals" returns. Counts are redrawn in place (no new elements per event).

import { $, clear, h, s } from "./dom.js";
import { t } from "./i18n.js";
import { goalName, textColor } from "./sdg.js";

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
