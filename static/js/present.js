// The presenter view, /b/{slug}/present: large notes for screen sharing (pinned first, newest
// next), a live bar chart per goal, a QR code and short link to join, and a slideshow.

import { sdgs } from "./api.js";
import { Announcer } from "./announce.js";
import { connectionIndicator, flash, startPage } from "./common.js";
import { $, clear, slugFromPath } from "./dom.js";
import { onLocale, t, useBoardLocale } from "./i18n.js";
import { Live } from "./live.js";
import { Columns, GoalCounts, NoteCard } from "./notes.js";
import { qrSvg } from "./qr.js";
import { mountChart } from "./chart.js";
import { byNumber } from "./sdg.js";
import { BoardState, newestFirst } from "./state.js";

const slug = slugFromPath();
const state = new BoardState();
const counts = new GoalCounts();
const joinUrl = `${location.origin}/b/${slug}`;
let goals = new Map();
let chart = null;
let loaded = false;

const message = $("#message");
const announcer = new Announcer($("#announcer"));
const setConnection = connectionIndicator($("#connection"));
const wall = new Columns($("#present-notes"), {
  compare: newestFirst,
  onCount: (n) => {
    $("#present-empty").hidden = !loaded || n > 0;
  },
});
const makeCard = (note) => new NoteCard(note, { goals });

state.subscribe((change) => {
  if (change.type === "load") {
    if (!loaded) useBoardLocale(state.board.locale);
    loaded = true;
    renderBoard();
    wall.setSections([]);
    wall.fill(state.notes.values(), makeCard);
    counts.reset(state.notes.values(), () => true);
  } else if (change.type === "board") {
    renderBoard();
  } else if (change.type === "note") {
    counts.change(change.previous, change.note, () => true);
    wall.place(change.note, makeCard);
    if (change.live && !change.previous) announcer.note(change.note);
  } else if (change.type === "remove") {
    counts.change(change.previous, null, () => true);
    wall.remove(change.id);
  } else {
    const card = wall.cards.get(change.note.id);
    if (card) card.update(change.note);
  }
  renderChart();
  if (slideshow.on) slideshow.refresh();
});

function renderBoard() {
  const board = state.board;
  document.title = `${board.title} · SDG Pinboard`;
  $("#board-title").textContent = board.title;
  $("#board-description").textContent = board.description;
  $("#board-description").hidden = !board.description;
}

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

let viewers = null;
function renderViewers() {
  $("#viewers").textContent = viewers === null ? "" : t("online", { n: viewers });
}

async function main() {
  startPage();
  renderJoin();
  wireSlideshow();
  let catalogue;
  try {
    catalogue = await sdgs();
  } catch (error) {
    flash(message, t("load_failed", { message: error.message }), "error");
    return;
  }
  goals = byNumber(catalogue);
  chart = mountChart(catalogue);
  renderChart();
  onLocale(() => {
    renderViewers();
    renderJoin();
    $("#slideshow").textContent = slideshow.on ? t("slideshow_stop") : t("slideshow");
    $("#slide-pause").textContent = slideshow.paused ? t("play") : t("pause");
    chart.relabel();
    if (!loaded) return;
    wall.relabel();
    renderChart();
    if (slideshow.on) slideshow.refresh();
  });
  const live = new Live({
    slug,
    state,
    onStatus: setConnection,
    onPresence: (n) => {
      viewers = n;
      renderViewers();
    },
    onFatal: (error) => flash(message, t("load_failed", { message: error.message }), "error"),
  });
  await live.start();
}

main();
