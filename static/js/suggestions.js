// Suggested goals and targets as chips above the goal tiles (#18). As a participant types, the
// text is matched in the browser a quarter of a second after the last key, so thousands of phones
// typing cost the server nothing. The matcher (suggest.js) and its data load on the first focus
// of the text field: most readers never type, and a first visit loads nothing more.
// A chip only offers: one tap picks its goal (or target, which picks its goal too), a second tap
// takes it back, and nothing is ever picked without a tap. Each chip says why it is offered: the
// words it matched show under the goal's name and are its description for a screen reader.

import { clear, h } from "./dom.js";
import { t } from "./i18n.js";
import { goalName, paint } from "./sdg.js";
import { targetText } from "./targets.js";

const DEBOUNCE_MS = 250;

export class SuggestionChips {
  /**
   * `box`: the element the chips go in (hidden while there are none). `goals`: the catalogue by
   * number. `isGoalChosen(n)`, `isTargetChosen(code)`: what the form has picked now.
   * `toggleGoal(n)`, `toggleTarget(code)`: pick or unpick, as the tiles and the target picker do.
   */
  constructor(box, { goals, isGoalChosen, isTargetChosen, toggleGoal, toggleTarget }) {
    this.box = box;
    this.goals = goals;
    this.isGoalChosen = isGoalChosen;
    this.isTargetChosen = isTargetChosen;
    this.toggleGoal = toggleGoal;
    this.toggleTarget = toggleTarget;
    this.label = h("p", { class: "suggest-label", id: "suggest-label" });
    this.list = h("ul", { class: "suggest-list", "aria-labelledby": "suggest-label" });
    box.append(this.label, this.list);
    this.suggestions = [];
    this.text = "";
    this.timer = null;
    this.keywords = null;
    this.buttons = [];
    box.hidden = true;
  }

  /** Start loading the matcher and its keywords. */
  prepare() {
    if (this.keywords) return;
    this.keywords = import("./suggest.js")
      .then(async (matcher) => ({ suggest: matcher.suggest, compiled: await matcher.loadKeywords() }))
      .catch(() => {
        // No suggestions this time (offline on first use, say); the next focus tries again.
        this.keywords = null;
        return null;
      });
  }

  /** The text changed: suggest for it once typing pauses. */
  typed(text) {
    this.text = text;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.update(), DEBOUNCE_MS);
  }

  async update() {
    this.prepare();
    const matcher = await this.keywords;
    const text = this.text;
    const found = matcher && text.trim() ? matcher.suggest(text, null, matcher.compiled) : [];
    if (text !== this.text) return; // typed on while the keywords loaded: that run decides
    this.suggestions = found;
    this.render();
  }

  /** The form was posted or reset: no text, no chips. */
  reset() {
    clearTimeout(this.timer);
    this.text = "";
    this.suggestions = [];
    this.render();
  }

  /** Draw the chips for the current suggestions (also after a change of language). */
  render() {
    clear(this.list);
    this.buttons = [];
    this.label.textContent = t("suggest_label");
    for (const suggestion of this.suggestions) {
      const goal = this.goals.get(suggestion.goal);
      if (!goal) continue;
      const because = t("suggest_because", { words: suggestion.matched.join(", ") });
      const chip = paint(
        h(
          "button",
          { type: "button", class: "suggest-chip", title: because, "aria-description": because },
          h("span", { class: "suggest-goal" }, h("span", { class: "suggest-number" }, String(goal.number)), " ", h("span", { class: "suggest-name" }, goalName(goal))),
          h("span", { class: "suggest-because", "aria-hidden": "true" }, suggestion.matched.join(" · ")),
        ),
        goal,
      );
      chip.addEventListener("click", () => this.toggleGoal(goal.number));
      this.buttons.push({ button: chip, chosen: () => this.isGoalChosen(goal.number) });
      const item = h("li", { class: "suggest-item" }, chip);
      for (const code of suggestion.targets) {
        const text = targetText(this.goals, code);
        const target = h(
          "button",
          { type: "button", class: "suggest-target", title: `${code}: ${text}`, "aria-description": because },
          h("span", {}, code),
          h("span", { class: "sr-only" }, " ", h("span", { lang: "en" }, text)),
        );
        target.style.borderLeftColor = goal.color;
        target.addEventListener("click", () => this.toggleTarget(code));
        this.buttons.push({ button: target, chosen: () => this.isTargetChosen(code) });
        item.append(target);
      }
      this.list.append(item);
    }
    this.box.hidden = this.buttons.length === 0;
    this.refresh();
  }

  /** What the form has picked changed: chips of chosen goals and targets show as pressed. */
  refresh() {
    for (const { button, chosen } of this.buttons) button.setAttribute("aria-pressed", String(chosen()));
  }
}
