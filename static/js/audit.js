// The console's audit trail panel (#7): moderator actions newest first, with the key's name, the
// time in the reader's zone, the note it touched and, for edits, the text before and after.
// `GET …/audit?before=<id>` pages back; new entries are fetched when events arrive.

import { boardPath, request } from "./api.js";
import { $, clear, h } from "./dom.js";
import { formatTime, t } from "./i18n.js";

const PAGE = 20;
const EXCERPT = 80;

const excerpt = (text) => (text.length > EXCERPT ? `${text.slice(0, EXCERPT - 1)}…` : text);

export class AuditPanel {
  /** state: the BoardState (to name notes and participants); fail(error) shows an error. */
  constructor({ slug, key, state, fail, onBans = () => {} }) {
    this.slug = slug;
    this.key = key;
    this.state = state;
    this.fail = fail;
    this.onBans = onBans;
    this.entries = []; // newest first
    this.more = false;
    this.timer = null;
    this.list = $("#audit-list");
    $("#audit-refresh").addEventListener("click", () => this.refresh());
    $("#audit-more").addEventListener("click", () => this.older());
  }

  async page(before = null) {
    const query = before === null ? `?limit=${PAGE}` : `?limit=${PAGE}&before=${before}`;
    return request("GET", `${boardPath(this.slug)}/audit${query}`, { token: this.key });
  }

  /** The newest page; entries already shown stay (with "load more" position kept). */
  async refresh() {
    try {
      const page = await this.page();
      const top = this.entries.length ? this.entries[0].id : 0;
      const fresh = page.filter((entry) => entry.id > top);
      // More new entries than a page: the gap cannot be joined up, so start over.
      if (fresh.length === page.length && this.entries.length) this.entries = page;
      else this.entries = [...fresh, ...this.entries];
      if (!top || fresh.length === page.length) this.more = page.length === PAGE;
      this.render();
    } catch (error) {
      this.fail(error);
    }
  }

  async older() {
    const last = this.entries[this.entries.length - 1];
    if (!last) return;
    try {
      const page = await this.page(last.id);
      this.entries.push(...page);
      this.more = page.length === PAGE;
      this.render();
    } catch (error) {
      this.fail(error);
    }
  }

  /** Events come in bursts (a ban hides many notes): ask at most twice a second, and not by
   *  postponing on each event, which a steady stream would postpone for ever. */
  soon() {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.refresh();
    }, 500);
  }

  render() {
    clear(this.list);
    for (const entry of this.entries) this.list.append(this.row(entry));
    $("#audit-empty").hidden = this.entries.length > 0;
    $("#audit-more").hidden = !this.more;
    // Who is banned, as far as the loaded entries tell: the newest ban or unban decides.
    const bans = new Map();
    for (const entry of this.entries) {
      const id = entry.after && entry.after.participant_id;
      if ((entry.action === "ban" || entry.action === "unban") && id !== undefined && !bans.has(id)) {
        bans.set(id, entry.action === "ban");
      }
    }
    this.onBans(bans);
  }

  row(entry) {
    const action = t(`audit_${entry.action.replace(".", "_")}`);
    const time = h("time", { datetime: entry.at, class: "audit-time" }, formatTime(entry.at));
    const head = h("p", { class: "audit-head" }, time, " ", h("strong", { class: "audit-who" }, entry.moderator), " ", action);
    const change = this.change(entry);
    // An edit's before → after already shows the note; its excerpt again would be noise.
    const subject = change && change.dataset.words ? "" : this.subject(entry);
    if (subject) head.append(" ", h("span", { class: "audit-subject" }, subject));
    return h("li", { class: "audit-entry", dataset: { action: entry.action } }, head, change);
  }

  /** What the action was about: a note's excerpt, a participant, a key or a section. */
  subject(entry) {
    const after = entry.after || {};
    const before = entry.before || {};
    if (entry.note_id !== null) {
      const note = this.state.notes.get(entry.note_id);
      const text = note ? note.body : after.body || before.body;
      return text ? t("quoted", { text: excerpt(text) }) : t("audit_note", { id: entry.note_id });
    }
    if (after.participant_id !== undefined) return this.participant(after.participant_id);
    const named = after.name || before.name || after.title || before.title;
    return named ? t("quoted", { text: named }) : "";
  }

  participant(id) {
    for (const note of this.state.notes.values()) {
      if (note.author.id === id && note.author.name) return note.author.name;
    }
    return t("participant_n", { id });
  }

  /** Before → after: the words of an edit; the names of other changed fields. */
  change(entry) {
    const before = entry.before || {};
    const after = entry.after || {};
    if (entry.action === "edit" && typeof before.body === "string" && typeof after.body === "string") {
      return h("p", { class: "audit-change", dataset: { words: "1" } }, h("del", {}, excerpt(before.body)), " → ", h("ins", {}, excerpt(after.body)));
    }
    if (entry.action === "settings" || entry.action === "edit") {
      const fields = Object.keys(after).filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]));
      if (!fields.length) return null;
      const shown = fields.map((field) => `${fieldName(field)}: ${show(before[field])} → ${show(after[field])}`);
      return h("p", { class: "audit-change" }, shown.join("; "));
    }
    return null;
  }

  relabel() {
    this.render();
  }
}

// Fields a settings or edit entry names, in the reader's language (others as the API names them).
const FIELDS = ["title", "description", "moderation", "locked", "require_sdg", "timezone", "word_filter", "retention_days", "link", "sdgs", "targets"];

function fieldName(field) {
  return FIELDS.includes(field) ? t(`field_${field}`) : field;
}

function show(value) {
  if (value === true) return t("yes");
  if (value === false) return t("no");
  if (value === null || value === undefined) return "–";
  if (Array.isArray(value)) return value.length ? value.join(", ") : "–";
  return excerpt(String(value));
}
