// Screen-reader announcements through one polite live region, without flooding: new notes are
// collected for a moment and read as one ("New note: …" or "7 new notes"), at most one
// announcement every few seconds however fast notes arrive.

import { t } from "./i18n.js";

const GATHER_MS = 1500;
const MIN_GAP_MS = 5000;
const PREVIEW_CHARS = 140;

export class Announcer {
  constructor(region) {
    this.region = region;
    this.pending = [];
    this.timer = null;
    this.last = 0;
  }

  /** Say something now (the reader's own actions: posted, approved, failed). */
  say(text) {
    // Clearing first makes screen readers repeat a message that happens to be the same.
    this.region.textContent = "";
    setTimeout(() => {
      this.region.textContent = text;
    }, 50);
  }

  note(note) {
    this.pending.push(note);
    if (this.timer !== null) return;
    const wait = Math.max(GATHER_MS, this.last + MIN_GAP_MS - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  flush() {
    this.timer = null;
    const notes = this.pending;
    this.pending = [];
    if (notes.length === 0) return;
    this.last = Date.now();
    if (notes.length === 1) {
      const text = notes[0].body.length > PREVIEW_CHARS ? `${notes[0].body.slice(0, PREVIEW_CHARS)}…` : notes[0].body;
      this.say(t("announce_one", { text }));
    } else {
      this.say(t("announce_many", { n: notes.length }));
    }
  }
}
