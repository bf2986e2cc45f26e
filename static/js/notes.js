// Note cards and the columns they sit in, shared by the wall, the console and the presenter view.
// A card is built once and updated in place, so focus, open comments and typed text survive
// live updates, and one event touches one card.

import { h, safeUrl } from "./dom.js";
import { formatTime, t } from "./i18n.js";
import { goalBadge } from "./sdg.js";
import { targetChip } from "./targets.js";

export class NoteCard {
  /**
   * options: goals (Map number → goal), actions(card) → element or null (built once),
   * refresh(card) (after each update, for page-specific parts), large (presenter), heldFlag()
   * (the words on a note a blind round holds; the wall says it is the reader's own).
   * Parts most notes do without (flags, link, goals, targets) are made the first time a note
   * needs them: a big board holds thousands of cards (#14).
   */
  constructor(note, options) {
    this.options = options;
    this.note = note;
    this.flags = null;
    this.link = null;
    this.goals = null;
    this.targets = null;
    this.body = h("p", { class: "note-body" });
    this.author = h("span", { class: "note-author" });
    this.time = h("time", { class: "note-time" });
    this.meta = h("p", { class: "note-meta" }, this.author, " · ", this.time);
    this.el = h("article", { class: "note", dataset: { id: String(note.id) } }, this.body, this.meta);
    this.extra = options.actions ? options.actions(this) : null;
    if (this.extra) this.el.append(this.extra);
    this.goalKey = "|";
    this.update(note);
  }

  update(note) {
    this.note = note;
    const el = this.el;
    el.className = `note note-${note.color}${note.pinned ? " is-pinned" : ""} status-${note.status}`;
    el.dataset.clientId = note.client_id;
    this.renderFlags(note);
    if (this.body.textContent !== note.body) this.body.textContent = note.body;
    const href = note.link ? safeUrl(note.link) : null;
    if (href && !this.link) {
      this.link = h("a", { class: "note-link", target: "_blank", rel: "noopener noreferrer nofollow ugc" });
      (this.goals || this.targets || this.meta).before(this.link);
    }
    if (this.link) {
      this.link.hidden = !href;
      if (href) {
        this.link.href = href;
        this.link.textContent = shortUrl(href);
      } else {
        this.link.removeAttribute("href");
      }
    }
    this.renderGoals(note.sdgs, note.targets || []);
    this.author.textContent = note.author.name || t("anonymous");
    this.time.dateTime = note.created_at;
    this.time.textContent = formatTime(note.created_at);
    if (this.options.refresh) this.options.refresh(this);
  }

  renderFlags(note) {
    const flags = [];
    if (note.pinned) flags.push(h("span", { class: "flag flag-pinned" }, t("pinned")));
    if (note.status !== "visible") flags.push(h("span", { class: `flag flag-${note.status}` }, t(`status_${note.status}`)));
    // Held by a blind round (#18): only its author and the moderators have it.
    if (note.held) flags.push(h("span", { class: "flag flag-held" }, this.options.heldFlag ? this.options.heldFlag() : t("held_flag")));
    // Only moderators receive flag_reason (#7): why the word filter held the note.
    if (note.flag_reason) flags.push(h("span", { class: "flag flag-reason" }, reasonText(note.flag_reason)));
    if (note.edited_by_moderator) flags.push(h("span", { class: "flag flag-edited" }, t("edited_by_moderator")));
    if (flags.length && !this.flags) {
      this.flags = h("p", { class: "note-flags" });
      this.el.prepend(this.flags);
    }
    if (!this.flags) return;
    this.flags.replaceChildren(...flags);
    this.flags.hidden = flags.length === 0;
  }

  renderGoals(numbers, codes) {
    const key = `${numbers.join(",")}|${codes.join(",")}`;
    if (key === this.goalKey) return;
    this.goalKey = key;
    if (numbers.length && !this.goals) {
      this.goals = h("ul", { class: "note-sdgs" });
      (this.targets || this.meta).before(this.goals);
    }
    if (codes.length && !this.targets) {
      this.targets = h("ul", { class: "note-targets" });
      this.meta.before(this.targets);
    }
    if (this.targets) {
      this.targets.hidden = codes.length === 0;
      this.targets.setAttribute("aria-label", t("targets_of_note"));
      this.targets.replaceChildren(...codes.map((code) => targetChip(this.options.goals, code)));
    }
    if (!this.goals) return;
    this.goals.hidden = numbers.length === 0;
    this.goals.setAttribute("aria-label", t("goals_of_note"));
    const badges = [];
    for (const number of numbers) {
      const goal = this.options.goals.get(number);
      if (!goal) continue;
      badges.push(goalBadge(goal));
    }
    this.goals.replaceChildren(...badges);
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

// Big boards (#14): a column keeps every note it holds, in order, but only the cards near the
// reader are in the page. What the first swipe shows goes in at once; a sentinel after each
// column's last card says when it comes within AHEAD of the screen, and more cards go in, a few
// at a time in short tasks, until it is out of reach again. So a phone opening 5,000 notes builds
// a dozen cards, and scrolling (or Tab, which scrolls) builds the next ones before they are
// reached. Building every card in background tasks instead kept a slowed-down phone busy for
// over a minute at 5,000 notes, with 100 long tasks (each frame walks every card in the page:
// tests/bench/phone.py), and 110,000 elements make every later change slower. The price: Ctrl+F
// finds only the cards in the page; the goal and target filters find the rest (they count and
// show every note).
const SHORT_CARD_PX = 150; // a short note's card: how many fill a screen
const CARD_WIDTH_PX = 240; // .is-wall .column-notes: columns of at least 15rem
const AHEAD = "0px 0px 200% 0px"; // how far below the screen cards are ready: two screens
const SLICE_MS = 8; // one task of building; far below a long task even at 4× slower CPU
const STEP = 4; // cards per column before the next column gets its turn

const soon =
  globalThis.scheduler && typeof globalThis.scheduler.postTask === "function"
    ? (task) => globalThis.scheduler.postTask(task)
    : (task) => setTimeout(task, 0);

/**
 * Put a card before `next` in `list`, keeping focus in it: a card that moves while the reader is
 * on it (its like button, with the most liked first) must not drop them at the top of the page.
 */
function move(list, el, next) {
  if (el.isConnected && typeof list.moveBefore === "function") {
    try {
      list.moveBefore(el, next);
      return;
    } catch {
      // not movable atomically (another document): insert as below
    }
  }
  const focused = el.contains(document.activeElement) ? document.activeElement : null;
  list.insertBefore(el, next);
  if (focused) focused.focus({ preventScroll: true });
}

/** Where `note` goes in `notes`, sorted by `compare` (a total order: ids break ties). */
function insertionIndex(notes, note, compare) {
  let low = 0;
  let high = notes.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (compare(notes[middle], note) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Cards in columns (one per section, plus "No section" when needed) or one wall when the board
 * has no sections. Cards are placed in order one at a time: no re-render of the rest.
 * Invariant: a column's cards in the page are in the order of `column.notes`, every note above
 * `column.cursor` that matches has its card in the page, and no note at or below it has.
 */
export class Columns {
  constructor(container, { compare, matches = () => true, onCount = () => {} }) {
    this.container = container;
    this.compare = compare;
    this.matches = matches;
    this.onCount = onCount;
    this.cards = new Map(); // note id → NoteCard, for every card built so far (in the page or not)
    this.notes = new Map(); // note id → note, for every note placed
    this.where = new Map(); // note id → its column
    this.columns = new Map(); // section id (or "none") → {el, list, heading, count, key, notes, …}
    this.sections = [];
    this.makeCard = null;
    this.stale = new Map(); // card → redraws still to do (each())
    this.scheduled = false;
    this.observer =
      typeof IntersectionObserver === "function"
        ? new IntersectionObserver((entries) => this.reach(entries), { rootMargin: AHEAD })
        : null;
  }

  setSections(sections) {
    this.sections = sections;
    for (const column of this.columns.values()) {
      column.el.remove();
      if (this.observer) this.observer.unobserve(column.more);
    }
    this.columns.clear();
    this.container.classList.toggle("is-wall", sections.length === 0);
    for (const section of sections) this.column(section.id, section.title);
    // Cards keep their elements; they go back into the new columns from the top.
    this.distribute();
  }

  column(key, title) {
    const id = `column-${key}`;
    const heading = h("h3", { class: "column-title", id }, title);
    const count = h("span", { class: "column-count" });
    const list = h("div", { class: "column-notes" });
    const more = h("div", { class: "column-more", "aria-hidden": "true" });
    const el = h("section", { class: "column", "aria-labelledby": id }, h("header", { class: "column-head" }, heading, count), list, more);
    if (this.sections.length === 0) el.classList.add("column-bare");
    // "No section" goes last.
    this.container.append(el);
    const column = { el, list, heading, count, key, more, notes: [], cursor: 0, near: false };
    this.columns.set(key, column);
    if (this.observer) this.observer.observe(more);
    return column;
  }

  columnFor(note) {
    const key = this.sections.length && this.columns.has(note.section_id) ? note.section_id : "none";
    if (this.columns.has(key)) return this.columns.get(key);
    return this.column("none", this.sections.length ? t("no_section") : "");
  }

  /** Take all notes (first load or reset): the cards the screen shows now, the rest when near. */
  fill(notes, makeCard) {
    this.makeCard = makeCard;
    this.cards.clear();
    this.stale.clear();
    this.notes = new Map();
    for (const note of notes) this.notes.set(note.id, note);
    this.distribute();
  }

  /** Every note into its column's sorted list; the cards go (back) into the page from the top. */
  distribute() {
    for (const column of this.columns.values()) {
      column.list.replaceChildren();
      column.notes = [];
    }
    this.where.clear();
    const sorted = [...this.notes.values()].sort(this.compare);
    for (const note of sorted) {
      const column = this.columnFor(note);
      column.notes.push(note);
      this.where.set(note.id, column);
    }
    this.restart();
  }

  /** Fill the columns again from the top (after a load, a sort, section or filter change). */
  restart() {
    // At once, what the first swipe shows: a screen's height of cards (short ones) in each
    // column, times the cards across; none for a column that starts further down (stacked
    // columns on a phone). The sentinels ask for the rest.
    const rows = Math.ceil(innerHeight / SHORT_CARD_PX);
    for (const column of this.columns.values()) {
      const shown = this.settle(column);
      if (column.notes.length === 0 || column.el.hidden || column.el.getBoundingClientRect().top >= 2 * innerHeight) continue;
      const across = this.sections.length ? 1 : Math.max(1, Math.round(column.list.clientWidth / CARD_WIDTH_PX));
      this.grow(column, rows * across - shown);
    }
    this.counts();
    this.schedule();
  }

  /**
   * Put the cursor on the first note that matches and has no card in the page, and take the
   * cards below it out (a filter change can leave gaps there); returns how many cards above it
   * show. Cards above it that no longer match stay, hidden.
   */
  settle(column) {
    const { notes, list } = column;
    let shown = 0;
    let i = 0;
    for (; i < notes.length; i += 1) {
      if (!this.matches(notes[i])) continue;
      const card = this.cards.get(notes[i].id);
      if (!card || card.el.parentNode !== list) break;
      shown += 1;
    }
    column.cursor = i;
    for (; i < notes.length; i += 1) {
      const card = this.cards.get(notes[i].id);
      if (card && card.el.parentNode === list) card.el.remove();
    }
    column.more.hidden = !this.unfinished(column);
    return shown;
  }

  /** Whether a column has notes that match below its cursor (cards still to come). */
  unfinished(column) {
    return column.cursor < column.notes.length;
  }

  /**
   * Put the cards of a column's next matching notes at the end of its list: `wanted` of them,
   * or fewer when `deadline` (performance.now()) passes; in one fragment.
   */
  grow(column, wanted, deadline = Infinity) {
    const notes = column.notes;
    const fragment = document.createDocumentFragment();
    while (column.cursor < notes.length && wanted > 0) {
      const note = notes[column.cursor];
      column.cursor += 1;
      if (!this.matches(note)) continue;
      wanted -= 1;
      const card = this.cards.get(note.id) || this.build(note);
      card.el.hidden = false;
      fragment.append(card.el);
      if (performance.now() > deadline) break;
    }
    column.list.append(fragment);
    // Past the last note the sentinel has nothing to ask for.
    column.more.hidden = !this.unfinished(column);
  }

  /** The element of the first card in the page from `index` of the column on, or null. */
  nextInPage(column, index) {
    for (let i = index; i < column.cursor; i += 1) {
      const card = this.cards.get(column.notes[i].id);
      if (card && card.el.parentNode === column.list) return card.el;
    }
    return null;
  }

  build(note) {
    const card = this.makeCard(note);
    this.cards.set(note.id, card);
    return card;
  }

  /** A task of building soon, when a column near the reader wants cards or redraws wait. */
  schedule() {
    if (this.scheduled || !(this.stale.size || this.wanting())) return;
    this.scheduled = true;
    soon(() => {
      this.scheduled = false;
      this.slice();
    });
  }

  /** The column near the reader with the fewest cards in: it grows next. */
  wanting() {
    let best = null;
    for (const column of this.columns.values()) {
      if (column.near && this.unfinished(column) && (!best || column.cursor < best.cursor)) best = column;
    }
    return best;
  }

  /** SLICE_MS of work: redraws first, then cards for the columns near the reader. */
  slice() {
    const deadline = performance.now() + SLICE_MS;
    for (const [card, redraws] of this.stale) {
      if (performance.now() > deadline) break;
      this.stale.delete(card);
      for (const redraw of redraws) redraw(card);
    }
    for (let column = this.wanting(); column && performance.now() < deadline; column = this.wanting()) {
      this.grow(column, STEP, deadline);
    }
    // A sentinel still in reach says nothing new: ask again until it leaves or the column ends.
    this.schedule();
  }

  reach(entries) {
    for (const entry of entries) {
      for (const column of this.columns.values()) if (column.more === entry.target) column.near = entry.isIntersecting;
    }
    this.schedule();
  }

  /** Insert or move one card to where it belongs. */
  place(note, makeCard) {
    this.makeCard = makeCard;
    const previous = this.notes.get(note.id);
    const was = previous ? this.unlist(previous) : null;
    this.notes.set(note.id, note);
    const column = this.columnFor(note);
    const finished = !this.unfinished(column);
    const index = insertionIndex(column.notes, note, this.compare);
    column.notes.splice(index, 0, note);
    this.where.set(note.id, column);
    // Above the cursor every note that matches is in the page, so this one goes in too (also
    // at the end of a column whose every card is in); below it the sentinel will ask for it
    // when the reader comes that far.
    const inPage = index < column.cursor || finished;
    if (inPage) column.cursor += 1;
    let card = this.cards.get(note.id);
    if (card) card.update(note);
    else if (inPage) card = this.build(note);
    if (card) {
      card.el.hidden = !this.matches(note);
      // It stays when it keeps its place: the same column and index. (A note changed in place,
      // such as its likes, is its own `previous`: only the index tells.)
      const stays = was && was.column === column && was.index === index && card.el.parentNode === column.list;
      if (!inPage) card.el.remove();
      else if (!stays) move(column.list, card.el, this.nextInPage(column, index + 1));
    }
    column.more.hidden = !this.unfinished(column);
    this.counts();
    return card;
  }

  /** Take a note out of its column's list; returns where it was ({column, index}) or null. */
  unlist(note) {
    const column = this.where.get(note.id);
    this.where.delete(note.id);
    if (!column) return null;
    let index = insertionIndex(column.notes, note, this.compare);
    if (column.notes[index] !== note) index = column.notes.indexOf(note);
    if (index < 0) return null;
    column.notes.splice(index, 1);
    if (index < column.cursor) column.cursor -= 1;
    return { column, index };
  }

  remove(id) {
    const note = this.notes.get(id);
    if (!note) return;
    this.unlist(note);
    this.notes.delete(id);
    const card = this.cards.get(id);
    if (card) {
      card.el.remove();
      this.cards.delete(id);
      this.stale.delete(card);
    }
    this.counts();
  }

  /** The filter changed: cards in the page that no longer match hide, and the columns refill. */
  refilter() {
    for (const card of this.cards.values()) card.el.hidden = !this.matches(card.note);
    this.restart();
  }

  resort(compare) {
    this.compare = compare;
    this.distribute();
  }

  /**
   * Run `redraw(card)` on every card built: now for those on screen, in short tasks for the rest
   * (a language switch must not freeze a page of many cards). Cards built later are drawn fresh.
   */
  each(redraw) {
    for (const card of this.cards.values()) {
      const box = card.el.isConnected && !card.el.hidden ? card.el.getBoundingClientRect() : null;
      if (box && box.bottom > 0 && box.top < innerHeight) {
        redraw(card);
        continue;
      }
      if (!this.stale.has(card)) this.stale.set(card, new Set());
      this.stale.get(card).add(redraw);
    }
    this.schedule();
  }

  relabel() {
    this.each((card) => card.relabel());
    const none = this.columns.get("none");
    if (none && this.sections.length) none.heading.textContent = t("no_section");
    this.counts();
  }

  /** Per column and in all: the notes that match, whether their cards are built or not. */
  counts() {
    let shown = 0;
    for (const column of this.columns.values()) {
      let n = 0;
      for (const note of column.notes) if (this.matches(note)) n += 1;
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
