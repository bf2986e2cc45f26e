// The presenter view, /b/{slug}/present: what a host shares in Teams or Zoom. One screen, no
// scrolling (#17): a stage in one of five modes (the board: large notes, pinned first, newest
// next; the most liked notes; the key terms of the board or of one goal (#18, terms.js); a
// slideshow; one goal's targets with their texts) beside a compact QR code with the join address
// and code, and a live chart of notes per goal with their names.
// In a blind round (#18) it shows how many notes wait to be revealed, not the notes; opened with a
// moderator key (#key=…, from the console) it shows the held notes too, marked.

import { moderatorKey, startPage } from "./common.js";
import { $, clear, h } from "./dom.js";
import { formatTime, onLocale, t } from "./i18n.js";
import { Columns, NoteCard } from "./notes.js";
import { BoardPage } from "./page.js";
import { qrSvg } from "./qr.js";
import { GoalBars, TargetBars } from "./chart.js";
import { byNumber, goalName, paint } from "./sdg.js";
import { newestFirst } from "./state.js";
import { KeyTermsView } from "./terms.js";

const page = new BoardPage();
const { slug, state, counts, announcer } = page;
// With a key the moderators' snapshot comes, pending and hidden notes too: only visible ones,
// held or not, are shown.
const moderatorKeyGiven = moderatorKey(slug);
const onStage = (note) => note.status === "visible";
const joinUrl = `${location.origin}/b/${slug}`;
let goals = new Map();
let chart = null;
let targetChart = null;
// What the stage shows: "board", "top" (most liked), "terms" (key terms), "slides" or "targets"
// (one goal's).
let mode = "board";
let modeBefore = "board";
// How many of the most liked notes the stage lists.
const TOP = 5;
let wallCount = 0;

const wall = new Columns($("#present-notes"), {
  compare: newestFirst,
  matches: onStage,
  onCount: (n) => {
    wallCount = n;
    $("#present-empty").hidden = mode !== "board" || !page.loaded || n > 0;
  },
});
const makeCard = (note) => new NoteCard(note, { goals });

const keyTerms = new KeyTermsView({
  slug,
  state,
  els: {
    heading: $("#terms-heading"),
    back: $("#terms-back"),
    info: $("#terms-info"),
    empty: $("#terms-empty"),
    cloud: $("#terms-cloud"),
  },
  onBack: () => pickTermsGoal(null),
});

const updateCard = (change) => {
  const card = wall.cards.get(change.note.id);
  if (card) card.update(change.note);
};

page.follow({
  load() {
    page.renderHeading();
    wall.setSections([]);
    wall.fill(state.notes.values(), makeCard);
    counts.reset(state.notes.values(), onStage);
    renderJoin();
    keyTerms.changed();
    renderHeld();
  },
  board() {
    page.renderHeading();
    renderJoin();
    renderHeld();
  },
  note(change) {
    counts.change(change.previous, change.note, onStage);
    wall.place(change.note, makeCard);
    if (change.live && onStage(change.note) && !(change.previous && onStage(change.previous))) announcer.note(change.note);
    keyTerms.changed();
  },
  remove(change) {
    counts.change(change.previous, null, onStage);
    wall.remove(change.id);
    keyTerms.changed();
  },
  likes: updateCard,
  comments: updateCard,
  held: renderHeld,
});

/** "12 notes waiting to be revealed" while a blind round is on: big on the stage, the notes
 *  themselves only with a key. */
function renderHeld() {
  const box = $("#present-held");
  const blind = Boolean(state.board && state.board.reveal === "blind");
  box.hidden = !blind;
  if (!blind) return;
  box.classList.toggle("is-compact", Boolean(moderatorKeyGiven));
  box.textContent = moderatorKeyGiven ? t("present_held_key", { n: state.held }) : t("present_held", { n: state.held });
}
// After each change is drawn, whatever it was: the charts, the top list and the slide shown.
state.subscribe(() => {
  renderChart();
  if (mode === "top") renderTop();
  if (slideshow.on) slideshow.refresh();
});

// Many events in one frame (a burst of likes) draw the charts and the top list once.
let chartFrame = 0;
function renderChart() {
  if (chartFrame || !chart) return;
  chartFrame = requestAnimationFrame(() => {
    chartFrame = 0;
    chart.update(counts);
    if (targetChart) targetChart.update(counts);
  });
}

let qrFor = "";
function renderJoin() {
  $("#join-url").textContent = joinUrl.replace(/^https?:\/\//, "");
  // The short code from the board (#17), to say aloud; the slug is no code. None: nothing.
  const code = state.board && state.board.code;
  $("#join-code").textContent = code ? t("join_code", { code }) : "";
  $("#join-code").hidden = !code;
  const label = t("qr_label", { url: joinUrl });
  if (qrFor === label) return;
  qrFor = label;
  clear($("#qr")).append(qrSvg(joinUrl, label));
}

// --- modes --------------------------------------------------------------------------------

const MODE_BUTTONS = { board: "#mode-board", top: "#most-liked", terms: "#key-terms", slides: "#slideshow" };

/** Show one mode on the stage; choosing the mode shown again goes back to the board. */
function setMode(next) {
  if (next === mode && next !== "board") next = "board";
  if (mode === "targets" && next !== "targets") closeTargets();
  if (mode === "terms" && next !== "terms") closeTerms();
  mode = next;
  for (const [name, selector] of Object.entries(MODE_BUTTONS)) {
    $(selector).setAttribute("aria-pressed", String(name === mode));
  }
  $("#present-notes").hidden = mode !== "board";
  $("#present-empty").hidden = mode !== "board" || !page.loaded || wallCount > 0;
  $("#top").hidden = mode !== "top";
  $("#targets").hidden = mode !== "targets";
  $("#terms").hidden = mode !== "terms";
  if (mode === "top") renderTop();
  if (mode === "terms") openTerms();
  if ((mode === "slides") !== slideshow.on) slideshow.toggle();
}

// --- the most liked notes -----------------------------------------------------------------

/** Most likes first; at equal likes the note that was there first. */
function byLikes(a, b) {
  return b.likes - a.likes || a.id - b.id;
}

function renderTop() {
  const notes = [...state.notes.values()].filter((n) => n.likes > 0 && onStage(n));
  notes.sort(byLikes);
  const top = notes.slice(0, TOP);
  $("#top-empty").hidden = !page.loaded || top.length > 0;
  const list = $("#top-list");
  const shown = [...list.children].map((li) => li.dataset.key).join(",");
  const key = top.map((n) => `${n.id}:${n.likes}:${n.version}`).join(",");
  if (shown === key && list.dataset.locale === t("likes", { n: 2 })) return;
  list.dataset.locale = t("likes", { n: 2 });
  list.replaceChildren(...top.map((note, index) => topItem(note, index + 1)));
}

function topItem(note, rank) {
  const badges = note.sdgs
    .map((n) => goals.get(n))
    .filter(Boolean)
    .map((goal) => {
      const name = `${t("goal", { n: goal.number })}: ${goalName(goal)}`;
      return paint(h("li", { class: "sdg-badge", title: name }, h("span", { "aria-hidden": "true" }, String(goal.number)), h("span", { class: "sr-only" }, name)), goal);
    });
  return h(
    "li",
    { class: `top-item note-${note.color}`, dataset: { id: String(note.id), key: `${note.id}:${note.likes}:${note.version}` } },
    h("span", { class: "top-rank", "aria-hidden": "true" }, String(rank)),
    h(
      "div",
      { class: "top-text" },
      h("p", { class: "top-body" }, note.body),
      h(
        "div",
        { class: "top-foot" },
        h(
          "p",
          { class: "top-meta" },
          h("span", { class: "note-author" }, note.author.name || t("anonymous")),
          " · ",
          h("time", { datetime: note.created_at }, formatTime(note.created_at)),
        ),
        badges.length ? h("ul", { class: "note-sdgs", "aria-label": t("goals_of_note") }, badges) : null,
      ),
    ),
    h("span", { class: "top-likes" }, h("span", { class: "heart", "aria-hidden": "true" }, "♥"), h("span", { class: "top-likes-text" }, t("likes", { n: note.likes }))),
  );
}

// --- key terms -----------------------------------------------------------------------------
// While the key terms are shown, choosing a goal in the chart shows that goal's terms instead of
// its targets; "Back to all goals" or Escape returns to the whole board's.

// The chart is there once the catalogue is; the mode's button works before.
function openTerms() {
  if (chart) chart.setShows("terms");
  keyTerms.show();
}

function closeTerms() {
  keyTerms.hide();
  pickTermsGoal(null, false);
  if (chart) chart.setShows("targets");
}

function pickTermsGoal(goal, focus = true) {
  const from = keyTerms.goal;
  keyTerms.setGoal(goal);
  if (chart) chart.mark(goal);
  if (goal && focus) $("#terms-back").focus();
  else if (from && focus) requestAnimationFrame(() => chart.focus(from));
}

/** A goal chosen in the chart: its key terms in that mode, its targets in every other. */
function pickGoal(goal) {
  if (mode === "terms") pickTermsGoal(goal);
  else openTargets(goal);
}

// --- one goal's targets ---------------------------------------------------------------------

function openTargets(goal) {
  if (mode !== "targets") modeBefore = mode;
  targetChart = new TargetBars(goal);
  clear($("#target-chart")).append(targetChart.el);
  targetChart.update(counts);
  chart.mark(goal);
  renderTargetsHeading();
  setMode("targets");
  $("#targets-back").focus();
}

function renderTargetsHeading() {
  if (!targetChart) return;
  const goal = targetChart.goal;
  $("#targets-heading").textContent = t("chart_targets_title", { n: goal.number, name: goalName(goal) });
}

function closeTargets() {
  if (!targetChart) return;
  const goal = targetChart.goal;
  targetChart = null;
  clear($("#target-chart"));
  chart.mark(null);
  requestAnimationFrame(() => chart.focus(goal));
}

// --- slideshow ----------------------------------------------------------------------------

const slideshow = {
  on: false,
  paused: false,
  timer: null,
  currentId: null,

  order() {
    return [...state.notes.values()].filter(onStage).sort(newestFirst);
  },

  toggle() {
    this.on = !this.on;
    $("#slides").hidden = !this.on;
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

function wireModes() {
  $("#mode-board").addEventListener("click", () => setMode("board"));
  $("#most-liked").addEventListener("click", () => setMode("top"));
  $("#key-terms").addEventListener("click", () => setMode("terms"));
  $("#slideshow").addEventListener("click", () => setMode("slides"));
  $("#targets-back").addEventListener("click", () => setMode(modeBefore));
  $("#slide-prev").addEventListener("click", () => slideshow.step(-1));
  $("#slide-next").addEventListener("click", () => slideshow.step(1));
  $("#slide-pause").addEventListener("click", () => slideshow.pause());
  $("#slide-interval").addEventListener("change", () => slideshow.schedule());
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("select, input, textarea")) return;
    if (mode === "targets" && event.key === "Escape") setMode(modeBefore);
    if (mode === "terms" && event.key === "Escape" && keyTerms.goal) pickTermsGoal(null);
    if (!slideshow.on) return;
    if (event.key === "ArrowRight" || event.key === "PageDown") slideshow.step(1);
    else if (event.key === "ArrowLeft" || event.key === "PageUp") slideshow.step(-1);
    else if (event.key === "Escape") setMode("board");
  });
}

async function main() {
  startPage();
  renderJoin();
  wireModes();
  const catalogue = await page.loadCatalogue();
  if (!catalogue) return;
  goals = byNumber(catalogue);
  chart = new GoalBars(catalogue, pickGoal);
  if (mode === "terms") chart.setShows("terms");
  $("#chart").append(chart.el);
  renderChart();
  onLocale(() => {
    page.renderViewers();
    renderJoin();
    renderHeld();
    $("#slide-pause").textContent = slideshow.paused ? t("play") : t("pause");
    chart.relabel();
    if (targetChart) targetChart.relabel();
    renderTargetsHeading();
    keyTerms.render(true);
    if (!page.loaded) return;
    wall.relabel();
    renderChart();
    if (mode === "top") renderTop();
    if (slideshow.on) slideshow.refresh();
  });
  const live = page.live({
    token: moderatorKeyGiven,
    onEvent(event) {
      if (event.kind === "board.reveal") announcer.say(t("announce_revealed", { n: event.data.revealed }));
    },
    onFatal(error) {
      if (moderatorKeyGiven && (error.status === 401 || error.status === 403)) {
        // A key that no longer works (revoked): the view everyone may see, without it.
        sessionStorage.removeItem(`pinboard:moderator:${slug}`);
        location.reload();
      } else page.loadFailed(error);
    },
  });
  await live.start();
}

main();
