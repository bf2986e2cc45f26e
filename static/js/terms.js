// The presenter's key terms (#18): the words and two-word phrases most notes share, for the whole
// board or one goal, as a cloud whose type grows with the number of notes that hold a term. The
// server counts them from the notes everyone sees (GET /api/boards/{slug}/terms, one answer per
// board change for all who ask); this view asks again at most every THROTTLE_MS while notes keep
// arriving, and once more when an answer is older than the notes it has seen (the server's shared
// snapshot may be a moment behind), so a burst of notes costs one request per interval.
//
// The cloud is laid out by the browser (a wrapping row of terms, most notes first), so terms never
// overlap; on a shared screen the ones that do not fit are left out, from the rarest.

import { keyTerms } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { goalName, paint } from "./sdg.js";

export const THROTTLE_MS = 2500;
// More than fit at 1280×720: the smallest are dropped until the cloud fits.
const LIMIT = 30;
const LEVELS = 5;

export class KeyTermsView {
  /** els: {section, heading, back, info, empty, cloud}; onBack(): leave the goal shown. */
  constructor({ slug, state, els, onBack }) {
    this.slug = slug;
    this.state = state;
    this.els = els;
    this.goal = null; // the goal whose notes count (a catalogue entry), or null for all
    this.shown = false;
    this.data = null;
    this.error = null;
    // The board's seq at the last change to its notes: an answer older than it is stale.
    this.wanted = 0;
    this.timer = null;
    this.asked = 0; // when the last request left (Date.now())
    this.request = 0; // the id of the newest request; answers to older ones are dropped
    this.pending = false;
    this.drawn = "";
    els.back.addEventListener("click", () => onBack());
    addEventListener("resize", () => {
      if (this.shown) requestAnimationFrame(() => this.render(true));
    });
  }

  /** The mode is shown: draw what is known, ask for what is not. */
  show() {
    this.shown = true;
    this.render(true);
    if (this.stale()) this.schedule(true);
  }

  hide() {
    this.shown = false;
    clearTimeout(this.timer);
    this.timer = null;
  }

  /** Count the notes of `goal` (a catalogue entry) or, with null, of the whole board. */
  setGoal(goal) {
    if ((goal && goal.number) === (this.goal && this.goal.number)) return;
    this.goal = goal;
    this.data = null;
    this.error = null;
    this.request += 1; // an answer on the way is for the other choice
    this.pending = false;
    this.render(true);
    if (this.shown) this.schedule(true);
  }

  /** The board's notes changed (a note came, changed or went, or a new snapshot). */
  changed() {
    this.wanted = Math.max(this.wanted, this.state.seq ?? 0);
    if (this.shown) this.schedule(false);
  }

  stale() {
    return this.data === null || this.data.seq < this.wanted;
  }

  /** Ask now (a choice of the host), or once the interval since the last request has passed. */
  schedule(now) {
    if (this.pending) return; // its answer schedules the next request if still stale
    const wait = now ? 0 : Math.max(0, this.asked + THROTTLE_MS - Date.now());
    if (this.timer !== null) {
      if (!now) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.fetch();
    }, wait);
  }

  async fetch() {
    const id = ++this.request;
    const goal = this.goal ? this.goal.number : null;
    this.pending = true;
    this.asked = Date.now();
    try {
      const data = await keyTerms(this.slug, { goal, limit: LIMIT });
      if (id !== this.request) return;
      this.data = data;
      this.error = null;
    } catch (error) {
      if (id !== this.request) return;
      this.error = error;
    } finally {
      if (id === this.request) {
        this.pending = false;
        this.render(false);
        if (this.shown && (this.stale() || this.error)) this.schedule(false);
      }
    }
  }

  /** Draw the heading, the line under it and the cloud; `force` redraws an unchanged cloud
   * (the language or the screen changed). */
  render(force) {
    const { heading, back, info, empty, cloud } = this.els;
    const goal = this.goal;
    heading.replaceChildren(
      ...(goal
        ? [paint(h("span", { class: "terms-goal" }, String(goal.number)), goal), " ", t("terms_goal_title", { n: goal.number, name: goalName(goal) })]
        : [t("terms_title")]),
    );
    back.hidden = !goal;
    const data = this.data;
    const parts = [];
    if (data) parts.push(t("terms_from", { n: data.notes }));
    if (!goal) parts.push(t("terms_hint"));
    info.textContent = parts.join(" · ");
    const terms = data ? data.terms : [];
    let message = "";
    if (this.error && !data) message = t("terms_failed", { message: this.error.message });
    else if (data && terms.length === 0) message = goal ? t("terms_goal_empty", { n: goal.number }) : t("terms_empty");
    empty.textContent = message;
    empty.hidden = !message;
    const key = `${t("terms_title")}|${terms.map((term) => `${term.term}:${term.count}`).join("|")}`;
    if (!force && key === this.drawn) return;
    this.drawn = key;
    const counts = terms.map((term) => term.count);
    const [most, least] = [Math.max(...counts), Math.min(...counts)];
    cloud.setAttribute("aria-label", t("terms_list_label"));
    cloud.replaceChildren(...terms.map((term) => this.item(term, level(term.count, least, most))));
    this.fit();
  }

  item(term, weight) {
    const said = t("term_count", { term: term.term, n: term.count });
    return h(
      "li",
      { class: `term term-w${weight}`, title: said },
      h("span", { class: "term-text" }, term.term),
      h("span", { class: "term-count", "aria-hidden": "true" }, String(term.count)),
      h("span", { class: "sr-only" }, `: ${t("term_notes", { n: term.count })}`),
    );
  }

  /** On a shared screen the cloud has the stage's height: leave out the rarest terms that do
   * not fit (a page narrower than 900 px scrolls instead, and keeps them all). */
  fit() {
    const cloud = this.els.cloud;
    if (!this.shown) return;
    while (cloud.children.length > 1 && cloud.scrollHeight > cloud.clientHeight + 1) {
      cloud.lastElementChild.remove();
    }
  }
}

/** A term's type size, 1 (the fewest notes) to LEVELS (the most); all alike: the middle. */
function level(count, least, most) {
  if (most === least) return Math.ceil(LEVELS / 2);
  return 1 + Math.round(((count - least) / (most - least)) * (LEVELS - 1));
}
