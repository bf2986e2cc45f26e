// SDG targets (delmål, #8): looking them up, showing them as chips, and the picker a person uses
// to tag a note with targets of the goals they chose. The texts are the UN's English ones (there is
// no official bokmål text), so they carry lang="en" where a screen reader reads them.

import { clear, h, uid } from "./dom.js";
import { t } from "./i18n.js";
import { goalName } from "./sdg.js";

/** The goal number of a target code: 12 for "12.7". */
export function goalOf(code) {
  return Number(code.split(".")[0]);
}

/** `{code, text: {en}}` of a known target, or null. */
export function findTarget(goals, code) {
  const goal = goals.get(goalOf(code));
  return goal ? goal.targets.find((target) => target.code === code) || null : null;
}

export function targetText(goals, code) {
  const target = findTarget(goals, code);
  return target ? target.text.en : "";
}

/** A small chip for one target: the code shown, the English text as tooltip and spoken name. */
export function targetChip(goals, code, tag = "li") {
  const text = targetText(goals, code);
  const goal = goals.get(goalOf(code));
  const chip = h(
    tag,
    { class: "target-chip", title: text },
    h("span", { "aria-hidden": "true" }, code),
    h("span", { class: "sr-only" }, `${t("target", { code })}: `, h("span", { lang: "en" }, text)),
  );
  if (goal) chip.style.borderLeftColor = goal.color;
  return chip;
}

/** Does a target match what was typed? Every word must occur in its code or its text. */
export function matches(target, query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const haystack = `${target.code} ${target.text.en}`.toLowerCase();
  return words.every((word) => haystack.includes(word));
}

/**
 * Checkboxes in a filterable list, grouped by goal, for the goals currently chosen. Native
 * checkboxes rather than a combobox: every screen reader knows them, Tab and Space are all it
 * takes, and on a 360 px phone nothing pops over the keyboard. A search field narrows the list
 * (by code or words); a polite status says how many are shown. Chosen targets stay listed as
 * buttons that remove them, also when the search hides them.
 */
export class TargetPicker {
  constructor(goals) {
    this.goals = goals;
    this.chosen = new Set();
    this.numbers = [];
    this.query = "";
    this.inputs = new Map();
    // Called whenever the chosen targets or the goals listed change (the suggestion chips).
    this.onChange = null;
    const searchId = uid("target-search");
    const statusId = uid("target-status");
    this.summary = h("summary", { class: "targets-summary" });
    this.hint = h("p", { class: "hint" });
    this.searchLabel = h("label", { for: searchId });
    this.search = h("input", {
      id: searchId,
      type: "search",
      class: "target-search",
      autocomplete: "off",
      spellcheck: "false",
      "aria-describedby": statusId,
    });
    this.status = h("p", { id: statusId, class: "hint", role: "status" });
    this.picked = h("ul", { class: "targets-picked" });
    this.list = h("div", { class: "target-list" });
    this.el = h(
      "details",
      { class: "targets", hidden: true },
      this.summary,
      h("div", { class: "stack" }, this.hint, this.picked, this.searchLabel, this.search, this.status, this.list),
    );
    this.search.addEventListener("input", () => {
      this.query = this.search.value;
      this.filter();
    });
    // Enter in the search field must not post the note.
    this.search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") event.preventDefault();
    });
  }

  /** The goals picked changed: list their targets; targets of goals no longer picked go. */
  setGoals(numbers) {
    this.numbers = [...numbers].sort((a, b) => a - b);
    for (const code of [...this.chosen]) if (!this.numbers.includes(goalOf(code))) this.chosen.delete(code);
    this.build();
  }

  /** Chosen target codes in the UN's order. */
  value() {
    const order = [];
    for (const number of this.numbers) {
      for (const target of this.goals.get(number).targets) if (this.chosen.has(target.code)) order.push(target.code);
    }
    return order;
  }

  set(codes) {
    this.chosen = new Set(codes);
    this.build();
  }

  reset() {
    this.chosen.clear();
    this.search.value = "";
    this.query = "";
    this.el.open = false;
    this.setGoals([]);
  }

  build() {
    clear(this.list);
    this.inputs = new Map();
    for (const number of this.numbers) {
      const goal = this.goals.get(number);
      if (!goal) continue;
      const items = h("ul", { class: "target-items" });
      for (const target of goal.targets) {
        const id = uid("target");
        const input = h("input", { type: "checkbox", id, value: target.code, checked: this.chosen.has(target.code) });
        input.addEventListener("change", () => {
          if (input.checked) this.chosen.add(target.code);
          else this.chosen.delete(target.code);
          this.renderPicked();
        });
        const item = h(
          "li",
          { class: "target-item" },
          input,
          h("label", { for: id }, h("span", { class: "target-code" }, target.code), " ", h("span", { lang: "en" }, target.text.en)),
        );
        this.inputs.set(target.code, { input, item, target });
        items.append(item);
      }
      const legend = h("legend", {}, `${t("goal", { n: number })}: ${goalName(goal)}`);
      const group = h("fieldset", { class: "target-group" }, legend, items);
      group.style.borderLeftColor = goal.color;
      this.list.append(group);
    }
    this.el.hidden = this.numbers.length === 0;
    this.relabel();
    this.filter();
  }

  filter() {
    let shown = 0;
    let total = 0;
    for (const group of this.list.children) {
      let inGroup = 0;
      for (const item of group.querySelectorAll(".target-item")) {
        const { target } = this.inputs.get(item.querySelector("input").value);
        const show = matches(target, this.query);
        item.hidden = !show;
        total += 1;
        if (show) inGroup += 1;
      }
      group.hidden = inGroup === 0;
      shown += inGroup;
    }
    this.status.textContent = shown === 0 && total > 0 ? t("targets_none") : t("targets_shown", { n: shown, total });
  }

  renderPicked() {
    clear(this.picked);
    const codes = this.value();
    this.picked.hidden = codes.length === 0;
    this.picked.setAttribute("aria-label", t("targets_chosen_label"));
    for (const code of codes) {
      const remove = h(
        "button",
        { type: "button", class: "target-chip target-remove", title: targetText(this.goals, code), "aria-label": t("target_remove", { code }) },
        code,
        h("span", { "aria-hidden": "true" }, "×"),
      );
      remove.style.borderLeftColor = this.goals.get(goalOf(code)).color;
      remove.addEventListener("click", () => {
        this.chosen.delete(code);
        const entry = this.inputs.get(code);
        if (entry) entry.input.checked = false;
        this.renderPicked();
        this.search.focus();
      });
      this.picked.append(h("li", {}, remove));
    }
    this.summary.textContent = codes.length ? `${t("targets_legend")} · ${t("targets_chosen", { n: codes.length })}` : t("targets_legend");
    if (this.onChange) this.onChange();
  }

  /** Redraw texts that depend on the language. */
  relabel() {
    this.hint.textContent = t("targets_hint");
    this.searchLabel.textContent = t("targets_search");
    this.search.placeholder = t("targets_placeholder");
    for (const group of this.list.children) {
      const number = goalOf(group.querySelector("input").value);
      group.querySelector("legend").textContent = `${t("goal", { n: number })}: ${goalName(this.goals.get(number))}`;
    }
    this.renderPicked();
    if (this.inputs) this.filter();
  }
}
