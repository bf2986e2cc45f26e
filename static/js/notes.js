// Note cards and the columns they sit in, shared by the wall, the console and the presenter view.
// A card is built once and updated in place, so focus, open comments and typed text survive
// live updates, and one event touches one card.

import { h, clear, safeUrl } from "./dom.js";
import { formatTime, t } from "./i18n.js";
import { goalName, paint } from "./sdg.js";
import { targetChip } from "./targets.js";

export class NoteCard {
  /**
   * options: goals (Map number → goal), actions(card) → element or null (built once),
   * refresh(card) (after each update, for page-specific parts), large (presenter).
   */
  constructor(note, options) {
    this.options = options;
    this.note = note;
    this.flags = h("p", { class: "note-flags" });
    this.body = h("p", { class: "note-body" });
    this.link = h("a", { class: "note-link", target: "_blank", rel: "noopener noreferrer nofollow ugc" });
    this.goals = h("ul", { class: "note-sdgs" });
    this.targets = h("ul", { class: "note-targets" });
    this.author = h("span", { class: "note-author" });
    this.time = h("time", { class: "note-time" });
    this.meta = h("p", { class: "note-meta" }, this.author, " · ", this.time);
    this.el = h("article", { class: "note", dataset: { id: String(note.id) } });
    this.el.append(this.flags, this.body, this.link, this.goals, this.targets, this.meta);
    this.extra = options.actions ? options.actions(this) : null;
    if (this.extra) this.el.append(this.extra);
    this.goalKey = null;
    this.update(note);
  }

  update(note) {
    this.note = note;
    const el = this.el;
    el.className = `note note-${note.color}${note.pinned ? " is-pinned" : ""} status-${note.status}`;
    el.dataset.clientId = note.client_id;
    clear(this.flags);
    if (note.pinned) this.flags.append(h("span", { class: "flag flag-pinned" }, t("pinned")));
    if (note.status !== "visible") {
      this.flags.append(h("span", { class: `flag flag-${note.status}` }, t(`status_${note.status}`)));
    }
    // Only moderators receive flag_reason (#7): why the word filter held the note.
    if (note.flag_reason) this.flags.append(h("span", { class: "flag flag-reason" }, reasonText(note.flag_reason)));
    if (note.edited_by_moderator) this.flags.append(h("span", { class: "flag flag-edited" }, t("edited_by_moderator")));
    this.flags.hidden = !this.flags.firstChild;
    if (this.body.textContent !== note.body) this.body.textContent = note.body;
    const href = note.link ? safeUrl(note.link) : null;
    this.link.hidden = !href;
    if (href) {
      this.link.href = href;
      this.link.textContent = shortUrl(href);
    } else {
      this.link.removeAttribute("href");
    }
    this.renderGoals(note.sdgs, note.targets || []);
    this.author.textContent = note.author.name || t("anonymous");
    this.time.dateTime = note.created_at;
    this.time.textContent = formatTime(note.created_at);
    if (this.options.refresh) this.options.refresh(this);
  }

  renderGoals(numbers, codes) {
    const key = `${numbers.join(",")}|${codes.join(",")}`;
    if (key === this.goalKey) return;
    this.goalKey = key;
    clear(this.targets);
    this.targets.hidden = codes.length === 0;
    this.targets.setAttribute("aria-label", t("targets_of_note"));
    for (const code of codes) this.targets.append(targetChip(this.options.goals, code));
    clear(this.goals);
    this.goals.hidden = numbers.length === 0;
    this.goals.setAttribute("aria-label", t("goals_of_note"));
    for (const number of numbers) {
      const goal = this.options.goals.get(number);
      if (!goal) continue;
      const name = `${t("goal", { n: number })}: ${goalName(goal)}`;
      this.goals.append(
        paint(
          h("li", { class: "sdg-badge", title: name }, h("span", { "aria-hidden": "true" }, String(number)), h("span", { class: "sr-only" }, name)),
          goal,
        ),
      );
    }
  }

  /** Redraw texts that depend on the language. */
  relabel() {
    this.goalKey = null;
    this.update(this.note);
  }
}

/** The server's reason (`word filter: "svindel"`) in the reader's language; others as given. */
function reasonText(reason) {
  const word = /^word filter: "(.*)"$/.exec(reason);
  return word ? t("flag_word", { word: word[1] }) : t("flag_reason", { reason });
}

export function shortUrl(href) {
  const url = new URL(href);
  const rest = url.pathname === "/" ? "" : url.pathname;
  const text = url.host + rest;
  return text.length > 48 ? `${text.slice(0, 47)}…` : text;
}

/**
 * Cards in columns (one per section, plus "No section" when needed) or one wall when the board
 * has no sections. Cards are placed in order one at a time: no re-render of the rest.
 */
export class Columns {
  constructor(container, { compare, matches = () => true, onCount = () => {} }) {
    this.container = container;
    this.compare = compare;
    this.matches = matches;
    this.onCount = onCount;
    this.cards = new Map(); // note id → NoteCard
    this.columns = new Map(); // section id (or "none") → {el, list, heading, count}
    this.sections = [];
  }

  setSections(sections) {
    this.sections = sections;
    for (const column of this.columns.values()) column.el.remove();
    this.columns.clear();
    this.container.classList.toggle("is-wall", sections.length === 0);
    for (const section of sections) this.column(section.id, section.title);
    // Cards keep their elements; they are only moved into the new columns.
    const cards = [...this.cards.values()].sort((a, b) => this.compare(a.note, b.note));
    for (const card of cards) this.columnFor(card.note).list.append(card.el);
    this.counts();
  }

  column(key, title) {
    const id = `column-${key}`;
    const heading = h("h3", { class: "column-title", id }, title);
    const count = h("span", { class: "column-count" });
    const list = h("div", { class: "column-notes" });
    const el = h("section", { class: "column", "aria-labelledby": id }, h("header", { class: "column-head" }, heading, count), list);
    if (this.sections.length === 0) el.classList.add("column-bare");
    // "No section" goes last.
    this.container.append(el);
    const column = { el, list, heading, count, key };
    this.columns.set(key, column);
    return column;
  }

  columnFor(note) {
    const key = this.sections.length && this.columns.has(note.section_id) ? note.section_id : "none";
    if (this.columns.has(key)) return this.columns.get(key);
    return this.column("none", this.sections.length ? t("no_section") : "");
  }

  /** Build all cards at once (first load or reset). */
  fill(notes, makeCard) {
    for (const card of this.cards.values()) card.el.remove();
    this.cards.clear();
    const sorted = [...notes].sort(this.compare);
    const batches = new Map();
    for (const note of sorted) {
      const card = makeCard(note);
      this.cards.set(note.id, card);
      card.el.hidden = !this.matches(note);
      const column = this.columnFor(note);
      if (!batches.has(column)) batches.set(column, document.createDocumentFragment());
      batches.get(column).append(card.el);
    }
    for (const [column, fragment] of batches) column.list.append(fragment);
    this.counts();
  }

  /** Insert or move one card to where it belongs. */
  place(note, makeCard) {
    let card = this.cards.get(note.id);
    const before = card ? { ...card.note } : null;
    if (card) card.update(note);
    else {
      card = makeCard(note);
      this.cards.set(note.id, card);
    }
    card.el.hidden = !this.matches(note);
    const column = this.columnFor(note);
    const moved =
      !before || card.el.parentNode !== column.list || this.compare(before, note) !== 0 || before.pinned !== note.pinned;
    if (moved) this.insertSorted(column.list, card);
    this.counts();
    return card;
  }

  insertSorted(list, card) {
    for (const child of list.children) {
      if (child === card.el) continue;
      const other = this.cards.get(Number(child.dataset.id));
      if (other && this.compare(card.note, other.note) < 0) {
        if (child.previousSibling !== card.el) list.insertBefore(card.el, child);
        return;
      }
    }
    if (list.lastChild !== card.el) list.append(card.el);
  }

  remove(id) {
    const card = this.cards.get(id);
    if (!card) return;
    card.el.remove();
    this.cards.delete(id);
    this.counts();
  }

  refilter() {
    for (const card of this.cards.values()) card.el.hidden = !this.matches(card.note);
    this.counts();
  }

  resort(compare) {
    this.compare = compare;
    this.setSections(this.sections);
  }

  relabel() {
    for (const card of this.cards.values()) card.relabel();
    const none = this.columns.get("none");
    if (none && this.sections.length) none.heading.textContent = t("no_section");
    this.counts();
  }

  counts() {
    let shown = 0;
    for (const column of this.columns.values()) {
      let n = 0;
      for (const child of column.list.children) if (!child.hidden) n += 1;
      column.count.textContent = this.sections.length ? String(n) : "";
      shown += n;
      // An empty "No section" column is clutter.
      if (column.key === "none") column.el.hidden = n === 0 && this.sections.length > 0;
    }
    this.onCount(shown);
  }
}

/** Notes per goal and per target, kept current one change at a time. */
export class GoalCounts {
  constructor() {
    this.counts = new Map(); // goal number → notes
    this.targets = new Map(); // target code → notes
  }

  reset(notes, include) {
    this.counts.clear();
    this.targets.clear();
    for (const note of notes) if (include(note)) this.add(note, 1);
  }

  add(note, delta) {
    for (const n of note.sdgs) this.counts.set(n, (this.counts.get(n) || 0) + delta);
    for (const code of note.targets || []) this.targets.set(code, (this.targets.get(code) || 0) + delta);
  }

  change(previous, note, include) {
    if (previous && include(previous)) this.add(previous, -1);
    if (note && include(note)) this.add(note, 1);
  }

  get(n) {
    return this.counts.get(n) || 0;
  }

  getTarget(code) {
    return this.targets.get(code) || 0;
  }
}
