// Posting that survives bad networks. A note gets its client_id before the first try and is
// written to localStorage before it is sent; it stays "sending" and is retried (with backoff,
// at once when the network returns, also after a reload) until the server acknowledges it. The
// server answers a repeated client_id with the first note, so a retry whose first try did arrive
// never makes a second note; the page shows each client_id once.

import { ApiError, boardPath, request } from "./api.js";
import { randomId, storageGet, storageSet } from "./dom.js";

const MAX_RETRY_MS = 30_000;
// Notes awaiting approval are only known to their author's browser; forget them after a day.
const AWAITING_TTL_MS = 24 * 60 * 60 * 1000;

export class Outbox {
  constructor({ slug, getToken, onChange = () => {}, onAccepted = () => {} }) {
    this.slug = slug;
    this.key = `pinboard:outbox:${slug}`;
    this.getToken = getToken;
    this.onChange = onChange; // (item | null, clientId) after any change to one item
    this.onAccepted = onAccepted; // (note, item) when the server acknowledged a post
    this.items = new Map();
    this.inflight = new Set();
    this.timers = new Map();
    this.attempts = new Map();
    const now = Date.now();
    for (const item of storageGet(localStorage, this.key, [])) {
      if (item.state === "awaiting" && now - item.created > AWAITING_TTL_MS) continue;
      this.items.set(item.client_id, item);
    }
    addEventListener("online", () => this.retryAll());
    // Another tab of the same board may have sent or discarded one of ours.
    addEventListener("storage", (event) => {
      if (event.key === this.key) this.reloadFromStorage();
    });
  }

  save() {
    storageSet(localStorage, this.key, [...this.items.values()]);
  }

  reloadFromStorage() {
    const stored = new Map(storageGet(localStorage, this.key, []).map((i) => [i.client_id, i]));
    for (const id of [...this.items.keys()]) {
      if (!stored.has(id)) {
        this.items.delete(id);
        this.onChange(null, id);
      }
    }
    for (const [id, item] of stored) {
      this.items.set(id, item);
      this.onChange(item, id);
    }
  }

  list() {
    return [...this.items.values()];
  }

  /** Queue a new note and start sending it; returns the item. */
  add(fields) {
    const item = {
      client_id: randomId(),
      body: fields.body,
      sdgs: fields.sdgs,
      targets: fields.targets || [],
      section_id: fields.section_id ?? null,
      link: fields.link || null,
      color: fields.color || "yellow",
      created: Date.now(),
      state: "sending",
      error: null,
      note: null,
    };
    this.items.set(item.client_id, item);
    this.save();
    this.onChange(item, item.client_id);
    this.send(item);
    return item;
  }

  /** Keep an acknowledged pending note (or an edit awaiting approval) visible to its author. */
  track(note) {
    const item = this.items.get(note.client_id) || {
      client_id: note.client_id,
      body: note.body,
      sdgs: note.sdgs,
      targets: note.targets || [],
      section_id: note.section_id,
      link: note.link,
      color: note.color,
      created: Date.now(),
    };
    Object.assign(item, { state: "awaiting", note, error: null, body: note.body, sdgs: note.sdgs, targets: note.targets || [] });
    this.items.set(item.client_id, item);
    this.save();
    this.onChange(item, item.client_id);
  }

  /** The note is on the board for everyone: the outbox's copy goes. */
  settle(clientId) {
    if (!this.items.has(clientId)) return;
    this.items.delete(clientId);
    clearTimeout(this.timers.get(clientId));
    this.timers.delete(clientId);
    this.save();
    this.onChange(null, clientId);
  }

  discard(clientId) {
    this.settle(clientId);
  }

  retryAll() {
    for (const item of this.items.values()) {
      if (item.state === "sending") {
        clearTimeout(this.timers.get(item.client_id));
        this.timers.delete(item.client_id);
        this.send(item);
      }
    }
  }

  retry(clientId) {
    const item = this.items.get(clientId);
    if (!item) return;
    item.state = "sending";
    item.error = null;
    this.attempts.delete(clientId);
    this.save();
    this.onChange(item, clientId);
    this.send(item);
  }

  async send(item) {
    const id = item.client_id;
    if (this.inflight.has(id) || !this.items.has(id)) return;
    const token = this.getToken();
    if (!token) return;
    this.inflight.add(id);
    const body = { client_id: id, body: item.body, sdgs: item.sdgs, color: item.color };
    // Items queued before targets existed have none.
    if (item.targets && item.targets.length) body.targets = item.targets;
    if (item.section_id !== null && item.section_id !== undefined) body.section_id = item.section_id;
    if (item.link) body.link = item.link;
    try {
      const note = await request("POST", `${boardPath(this.slug)}/notes`, { token, body });
      this.attempts.delete(id);
      if (!this.items.has(id)) return; // discarded meanwhile
      if (note.status === "visible") this.settle(id);
      else this.track(note);
      this.onAccepted(note, item);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (!this.items.has(id)) return;
      if (error.transient) {
        this.later(item, error);
      } else {
        item.state = "failed";
        item.error = { code: error.code, message: error.message, status: error.status };
        this.save();
        this.onChange(item, id);
      }
    } finally {
      this.inflight.delete(id);
    }
  }

  later(item, error) {
    const id = item.client_id;
    const attempt = (this.attempts.get(id) || 0) + 1;
    this.attempts.set(id, attempt);
    const backoff = Math.min(MAX_RETRY_MS, 1000 * 2 ** (attempt - 1));
    const delay = error.retryAfter ? error.retryAfter * 1000 : backoff / 2 + (Math.random() * backoff) / 2;
    item.offline = error.status === 0;
    // Too many notes at once (429): the page says why and when it goes (#17).
    item.limited = error.status === 429;
    item.retryAt = Date.now() + delay;
    item.unavailable = error.code === "database_unavailable"; // the server is up, its database not
    this.onChange(item, id);
    clearTimeout(this.timers.get(id));
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id);
        this.send(item);
      }, delay),
    );
  }
}
