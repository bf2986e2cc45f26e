// The presenter view, /b/{slug}/present: large notes for screen sharing (pinned first, newest
// next), a live bar chart per goal, a QR code and short link to join, and a slideshow.

import { startPage } from "./common.js";
import { $, clear } from "./dom.js";
import { onLocale, t } from "./i18n.js";
import { Columns, NoteCard } from "./notes.js";
import { BoardPage } from "./page.js";
import { qrSvg } from "./qr.js";
import { mountChart } from "./chart.js";
import { byNumber } from "./sdg.js";
import { newestFirst } from "./state.js";

const page = new BoardPage();
const { slug, state, counts, announcer } = page;
const joinUrl = `${location.origin}/b/${slug}`;
let goals = new Map();
let chart = null;

const wall = new Columns($("#present-notes"), {
  compare: newestFirst,
  onCount: (n) => {
    $("#present-empty").hidden = !page.loaded || n > 0;
  },
});
const makeCard = (note) => new NoteCard(note, { goals });

const updateCard = (change) => {
  const card = wall.cards.get(change.note.id);
  if (card) card.update(change.note);
};

page.follow({
  load() {
    page.renderHeading();
    wall.setSections([]);
    wall.fill(state.notes.values(), makeCard);
    counts.reset(state.notes.values(), () => true);
  },
  board: () => page.renderHeading(),
  note(change) {
    counts.change(change.previous, change.note, () => true);
    wall.place(change.note, makeCard);
    if (change.live && !change.previous) announcer.note(change.note);
  },
  remove(change) {
    counts.change(change.previous, null, () => true);
    wall.remove(change.id);
  },
  likes: updateCard,
  comments: updateCard,
});
// After each change is drawn, whatever it was: the chart and the slide shown.
state.subscribe(() => {
  renderChart();
  if (slideshow.on) slideshow.refresh();
});

let chartFrame = 0;
function renderChart() {
  if (chartFrame || !chart) return;
  chartFrame = requestAnimationFrame(() => {
    chartFrame = 0;
    chart.update(counts);
  });
}

function renderJoin() {
  $("#join-url").textContent = joinUrl.replace(/^https?:\/\//, "");
  $("#join-code").textContent = t("join_code", { code: slug });
  clear($("#qr")).append(qrSvg(joinUrl, t("qr_label", { url: joinUrl })));
}

// --- slideshow ----------------------------------------------------------------------------

const slideshow = {
  on: false,
  paused: false,
  timer: null,
  currentId: null,

  order() {
    return [...state.notes.values()].sort(newestFirst);
  },

  toggle() {
    this.on = !this.on;
    $("#slideshow").setAttribute("aria-pressed", String(this.on));
    $("#slideshow").textContent = this.on ? t("slideshow_stop") : t("slideshow");
    $("#slides").hidden = !this.on;
    $("#present-notes").hidden = this.on;
    if (this.on) {
      this.currentId = null;
      this.show(0);
      this.schedule();
      $("#slide-pause").focus();
    } else {
      clearTimeout(this.timer);
    }
  },

  show(index) {
    const notes = this.order();
    const box = clear($("#slide"));
    if (notes.length === 0) {
      $("#slide-position").textContent = "";
      this.currentId = null;
      return;
    }
    const i = ((index % notes.length) + notes.length) % notes.length;
    const note = notes[i];
    this.currentId = note.id;
    box.append(new NoteCard(note, { goals }).el);
    $("#slide-position").textContent = t("slide_position", { i: i + 1, n: notes.length });
  },

  step(delta) {
    const notes = this.order();
    const at = notes.findIndex((n) => n.id === this.currentId);
    this.show(at + delta);
    this.schedule();
  },

  schedule() {
    clearTimeout(this.timer);
    if (!this.on || this.paused) return;
    const seconds = Number($("#slide-interval").value);
    this.timer = setTimeout(() => this.step(1), seconds * 1000);
  },

  /** The shown note changed or went away: redraw it in place without moving on. */
  refresh() {
    const notes = this.order();
    const at = notes.findIndex((n) => n.id === this.currentId);
    this.show(at < 0 ? 0 : at);
  },

  pause() {
    this.paused = !this.paused;
    $("#slide-pause").setAttribute("aria-pressed", String(this.paused));
    $("#slide-pause").textContent = this.paused ? t("play") : t("pause");
    this.schedule();
  },
};

function wireSlideshow() {
  $("#slideshow").addEventListener("click", () => slideshow.toggle());
  $("#slide-prev").addEventListener("click", () => slideshow.step(-1));
  $("#slide-next").addEventListener("click", () => slideshow.step(1));
  $("#slide-pause").addEventListener("click", () => slideshow.pause());
  $("#slide-interval").addEventListener("change", () => slideshow.schedule());
  document.addEventListener("keydown", (event) => {
    if (!slideshow.on || event.target.closest("select, input, textarea")) return;
    if (event.key === "ArrowRight" || event.key === "PageDown") slideshow.step(1);
    else if (event.key === "ArrowLeft" || event.key === "PageUp") slideshow.step(-1);
    else if (event.key === "Escape") slideshow.toggle();
  });
}

async function main() {
  startPage();
  renderJoin();
  wireSlideshow();
  const catalogue = await page.loadCatalogue();
  if (!catalogue) return;
  goals = byNumber(catalogue);
  chart = mountChart(catalogue);
  renderChart();
  onLocale(() => {
    page.renderViewers();
    renderJoin();
    $("#slideshow").textContent = slideshow.on ? t("slideshow_stop") : t("slideshow");
    $("#slide-pause").textContent = slideshow.paused ? t("play") : t("pause");
    chart.relabel();
    if (!page.loaded) return;
    wall.relabel();
    renderChart();
    if (slideshow.on) slideshow.refresh();
  });
  await page.live().start();
}

main();
