// The participant wall, /b/{slug}: join, post (through the outbox), read live, filter by goal,
// like, comment, and edit or delete one's own notes. In a blind round (#18) the reader sees their
// own notes, marked as held, and how many the round holds; the host's reveal brings the rest.

import { ApiError, boardPath, request } from "./api.js";
import { flash, startPage } from "./common.js";
import { $, clear, h, safeUrl, storageGet, storageSet, uid } from "./dom.js";
import { formatTime, onLocale, t } from "./i18n.js";
import { Columns, NoteCard } from "./notes.js";
import { Outbox } from "./outbox.js";
import { BoardPage } from "./page.js";
import { byNumber, goalBadge, goalName, paint } from "./sdg.js";
import { TargetPicker, goalOf, targetChip, targetText } from "./targets.js";
import { boardOrder, mostLiked, newestFirst } from "./state.js";
import { SuggestionChips } from "./suggestions.js";

const COLORS = ["yellow", "orange", "pink", "purple", "blue", "green", "white"];
const page = new BoardPage();
const { slug, state, counts, message, announcer, setConnection } = page;
const filter = new Set();
const targetFilter = new Set();
const meKey = `pinboard:participant:${slug}`;
const likedKey = `pinboard:liked:${slug}`;
let me = storageGet(localStorage, meKey, null);
let liked = new Set(storageGet(localStorage, likedKey, []));
const ORDERS = { board: boardOrder, newest: newestFirst, liked: mostLiked };
let sortMode = storageGet(localStorage, "pinboard:sort", "board");
if (!Object.hasOwn(ORDERS, sortMode)) sortMode = "board";
// On a phone the form folds away behind "Write a note" (#17): open after joining, closed after
// posting and on a page opened already joined. Wide screens have room for it open beside the notes.
const narrow = matchMedia("(max-width: 959.98px)");
let composeOpen = false;
let goals = new Map();
let catalogue = [];
// The snapshot and the goals load at once; cards wait for the goals (they show them) (#14).
let ready = false;
let picker = null;
let suggested = null;
let live = null;

const columns = new Columns($("#notes"), {
  compare: ORDERS[sortMode],
  matches: (note) =>
    (filter.size === 0 || note.sdgs.some((n) => filter.has(n))) &&
    (targetFilter.size === 0 || (note.targets || []).some((code) => targetFilter.has(code))),
  onCount: renderCount,
});
const outbox = new Outbox({
  slug,
  getToken: () => (me ? me.token : null),
  onChange: renderOutboxItem,
  onAccepted(note) {
    if (note.status === "visible") {
      state.upsertNote(note);
      announcer.say(note.held ? t("announce_held") : t("announce_posted"));
    } else {
      announcer.say(t("announce_awaiting"));
    }
  },
});
const outboxCards = new Map();

const isOwn = (note) => Boolean(me && note.author && note.author.id === me.id);
const canWrite = () => Boolean(me && state.board && !state.board.locked);
const isBlind = () => Boolean(state.board && state.board.reveal === "blind");

function makeCard(note) {
  return new NoteCard(note, { goals, actions: noteActions, refresh: refreshActions, heldFlag: () => t("held_flag_own") });
}

// --- a blind round (#18) ---------------------------------------------------------------------

/**
 * The token the live connection says hello with: the participant's only while a blind round is
 * on, when the events about their own held notes are theirs alone. Otherwise none, as before:
 * a viewer's hello costs the server no database read, and a crowd resumes from memory.
 */
const helloToken = () => (me && isBlind() ? me.token : null);

/** The reader's own held notes, which the shared snapshot leaves out. */
async function ownHeldNotes(loaded) {
  if (!me || loaded.board.reveal !== "blind") return [];
  try {
    return (await request("GET", `${boardPath(slug)}/notes/held`, { token: me.token })).notes;
  } catch {
    return []; // the token no longer works: the outbox says so when it next posts
  }
}

function renderBlind() {
  const banner = $("#blind-banner");
  banner.hidden = !isBlind();
  if (banner.hidden) return;
  $("#blind-text").textContent = me ? t("blind_notice_own") : t("blind_notice");
  $("#blind-count").textContent = t("held_count", { n: state.held });
}

// --- board and notes ---------------------------------------------------------------------

const updateCard = (change) => {
  const card = columns.cards.get(change.note.id);
  if (card) card.update(change.note);
};

// Until the goals are in, the state keeps what came; the first render draws it all.
const render = page.follow(
  {
    load() {
      renderBoard();
      renderBlind();
      counts.reset(state.notes.values(), () => true);
      columns.setSections(state.board.sections);
      columns.fill(state.notes.values(), makeCard);
      for (const note of state.notes.values()) outbox.settle(note.client_id);
      renderFilters();
    },
    board(change) {
      const before = change.previous ? JSON.stringify(change.previous.sections) : "";
      renderBoard();
      renderBlind();
      // A round began: the events about the reader's own notes now need their token. The whole
      // audience is told at once, so each says hello again within two seconds, not at once.
      if (isBlind() && change.previous && change.previous.reveal !== "blind" && live) live.renew(2000);
      if (before !== JSON.stringify(change.board.sections)) columns.setSections(change.board.sections);
      columns.each(refreshActions);
    },
    note(change) {
      const { note, previous } = change;
      counts.change(previous, note, () => true);
      columns.place(note, makeCard);
      const waited = outbox.items.get(note.client_id);
      if (waited) {
        outbox.settle(note.client_id);
        if (waited.state === "awaiting") announcer.say(t("announce_approved"));
      } else if (change.live && !previous && !isOwn(note)) {
        announcer.note(note);
      }
      renderFilters();
    },
    remove(change) {
      counts.change(change.previous, null, () => true);
      columns.remove(change.id);
      renderFilters();
    },
    // With the most liked first a like can move the card; otherwise it changes in place.
    likes: (change) => (sortMode === "liked" ? columns.place(change.note, makeCard) : updateCard(change)),
    comments: updateCard,
    held: renderBlind,
  },
  () => ready,
);

function renderBoard() {
  page.renderHeading();
  renderCompose();
  renderSectionChoice();
}

function renderCount(shown) {
  $("#note-total").textContent = page.loaded ? `(${t("count_notes", { n: shown })})` : "";
  const empty = $("#empty");
  empty.hidden = !page.loaded || shown > 0;
  empty.textContent = filter.size ? t("empty_filter") : t("empty");
}

// --- composing ---------------------------------------------------------------------------

function renderCompose() {
  const board = state.board;
  $("#compose").hidden = false;
  const notice = $("#notice");
  if (board.locked) flash(notice, t("locked_notice"), "warning");
  else if (board.moderation === "pre") flash(notice, t("premod_notice"));
  else flash(notice, "");
  $("#join-form").hidden = board.locked || Boolean(me);
  const writing = !board.locked && Boolean(me);
  const folds = writing && narrow.matches;
  const toggle = $("#compose-toggle");
  toggle.hidden = !folds;
  toggle.setAttribute("aria-expanded", String(!folds || composeOpen));
  $("#note-form").hidden = !writing || (folds && !composeOpen);
  $("#identity").textContent = me && me.name ? t("posting_as", { name: me.name }) : t("posting_anonymously");
  $("#sdg-hint").textContent = board.require_sdg ? t("sdgs_required") : t("sdgs_hint");
  renderMe();
}

function renderMe() {
  const box = clear($("#me"));
  box.hidden = !me || $("#note-form").hidden;
  if (!me) return;
  const confirm = h(
    "div",
    { class: "confirm", hidden: true },
    h("p", {}, t("erase_confirm")),
    h("button", { type: "button", class: "button button-danger", onclick: eraseMe }, t("yes_erase")),
    h("button", { type: "button", class: "button-quiet", onclick: () => toggle(false) }, t("cancel")),
  );
  const ask = h("button", { type: "button", class: "button-quiet", onclick: () => toggle(true) }, t("erase_me"));
  function toggle(open) {
    confirm.hidden = !open;
    ask.hidden = open;
    (open ? confirm.querySelector("button") : ask).focus();
  }
  box.append(ask, confirm);
}

async function eraseMe() {
  try {
    await request("DELETE", `${boardPath(slug)}/participants/${me.id}`, { token: me.token });
  } catch (error) {
    flash(message, t("action_failed", { message: errorText(error) }), "error");
    return;
  }
  for (const item of outbox.list()) outbox.discard(item.client_id);
  me = null;
  liked = new Set();
  storageSet(localStorage, meKey, undefined);
  storageSet(localStorage, likedKey, undefined);
  renderCompose();
  renderBlind();
  columns.each(refreshActions);
}

function renderSectionChoice() {
  const select = $("#note-section");
  const chosen = select.value;
  clear(select);
  select.append(h("option", { value: "" }, t("no_section")));
  for (const section of state.board.sections) select.append(h("option", { value: String(section.id) }, section.title));
  select.value = chosen;
  $("#section-field").hidden = state.board.sections.length === 0;
}

function buildTiles() {
  const box = $("#sdg-tiles");
  const picked = new Set([...box.querySelectorAll("input:checked")].map((input) => input.value));
  clear(box);
  for (const goal of catalogue) {
    const value = String(goal.number);
    const input = h("input", { type: "checkbox", name: "sdg", value, checked: picked.has(value), class: "tile-input" });
    const tile = h(
      "label",
      { class: "sdg-tile" },
      input,
      h("span", { class: "sdg-number" }, String(goal.number)),
      h("span", { class: "sdg-name" }, goalName(goal)),
    );
    box.append(paint(tile, goal));
  }
  if (picker) picker.setGoals(pickedGoals());
}

function pickedGoals() {
  return [...document.querySelectorAll("#sdg-tiles input:checked")].map((i) => Number(i.value));
}

const tileInput = (number) => document.querySelector(`#sdg-tiles input[value="${number}"]`);

/** A suggested goal tapped: its tile picked, or unpicked when it was (with its targets). */
function toggleGoal(number) {
  const input = tileInput(number);
  input.checked = !input.checked;
  picker.setGoals(pickedGoals());
}

/** A suggested target tapped: picked with its goal, or unpicked when it was. */
function toggleTarget(code) {
  const chosen = picker.value();
  if (chosen.includes(code)) {
    picker.set(chosen.filter((other) => other !== code));
    return;
  }
  const input = tileInput(goalOf(code));
  if (!input.checked) {
    input.checked = true;
    picker.setGoals(pickedGoals());
  }
  picker.set([...picker.value(), code]);
}

function buildColors() {
  const box = $("#color-choices");
  const picked = box.querySelector("input:checked");
  const chosen = picked ? picked.value : "yellow";
  clear(box);
  for (const color of COLORS) {
    const id = `color-${color}`;
    box.append(
      h(
        "span",
        { class: "color-choice" },
        h("input", { type: "radio", name: "color", value: color, id, checked: color === chosen, class: "tile-input" }),
        h("label", { for: id, class: `swatch note-${color}` }, h("span", { class: "sr-only" }, t(`color_${color}`))),
      ),
    );
  }
}

function wireForms() {
  const body = $("#note-body");
  picker = new TargetPicker(goals);
  $("#target-picker").append(picker.el);
  suggested = new SuggestionChips($("#sdg-suggestions"), {
    goals,
    isGoalChosen: (number) => tileInput(number).checked,
    isTargetChosen: (code) => picker.value().includes(code),
    toggleGoal,
    toggleTarget,
  });
  picker.onChange = () => suggested.refresh();
  body.addEventListener("focus", () => suggested.prepare());
  body.addEventListener("input", () => suggested.typed(body.value));
  // Picking or unpicking a goal lists its targets (unpicking drops the targets chosen under it).
  $("#sdg-tiles").addEventListener("change", () => picker.setGoals(pickedGoals()));
  const counter = () => {
    $("#note-count").textContent = t("chars", { n: [...body.value].length });
  };
  body.addEventListener("input", counter);
  onLocale(counter);
  counter();

  $("#join-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = event.submitter || $("#join-form button");
    button.disabled = true;
    try {
      const joined = await request("POST", `${boardPath(slug)}/participants`, { body: { name: $("#join-name").value.trim() } });
      me = { id: joined.id, name: joined.name, token: joined.token };
      storageSet(localStorage, meKey, me);
      flash(message, "");
      composeOpen = true;
      renderCompose();
      renderBlind();
      columns.each(refreshActions);
      outbox.retryAll();
      if (live) live.renew();
      body.focus();
    } catch (error) {
      flash(message, t("join_failed", { message: error.message }), "error");
    } finally {
      button.disabled = false;
    }
  });

  $("#note-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const error = $("#form-error");
    const text = body.value.trim();
    const picked = pickedGoals();
    const link = $("#note-link").value.trim();
    let problem = null;
    let focus = null;
    if (!text) [problem, focus] = [t("body_empty"), body];
    else if (state.board.require_sdg && picked.length === 0) [problem, focus] = [t("sdgs_required"), $("#sdg-tiles input")];
    else if (link && !safeUrl(link)) [problem, focus] = [`${t("link_label")}: https://…`, $("#note-link")];
    flash(error, problem || "", "error");
    if (problem) {
      focus.focus();
      return;
    }
    const section = $("#note-section").value;
    outbox.add({
      body: text,
      sdgs: picked,
      targets: picker.value(),
      link,
      section_id: section ? Number(section) : null,
      color: document.querySelector("#color-choices input:checked").value,
    });
    event.target.reset();
    picker.reset();
    suggested.reset();
    $("#color-yellow").checked = true;
    counter();
    if (narrow.matches) {
      // On a phone the notes come back into view; the button opens the form again.
      composeOpen = false;
      renderCompose();
      $("#compose-toggle").focus();
    } else body.focus();
  });

  $("#compose-toggle").addEventListener("click", () => {
    composeOpen = !composeOpen;
    renderCompose();
    if (composeOpen) body.focus();
  });
  narrow.addEventListener("change", () => {
    if (state.board) renderCompose();
  });

  const sort = $("#sort");
  sort.value = sortMode;
  sort.addEventListener("change", () => {
    sortMode = sort.value;
    storageSet(localStorage, "pinboard:sort", sortMode);
    columns.resort(ORDERS[sortMode]);
  });
}

// --- the outbox: notes on their way -------------------------------------------------------

function renderOutboxItem(item, clientId) {
  if (item && item.state === "failed" && item.error && item.error.status === 401 && me) {
    // The token no longer works (the participant was removed): join again, then retry.
    me = null;
    storageSet(localStorage, meKey, undefined);
    renderCompose();
  }
  if (item && item.state === "failed" && item.error && item.error.code === "banned") {
    flash(message, t("banned_notice"), "error");
  }
  const box = $("#outbox");
  const old = outboxCards.get(clientId);
  if (!item || state.byClientId(clientId)) {
    if (old) old.remove();
    outboxCards.delete(clientId);
  } else {
    const card = outboxCard(item);
    if (old) old.replaceWith(card);
    else box.prepend(card);
    outboxCards.set(clientId, card);
    watchLimited(item);
  }
  box.hidden = outboxCards.size === 0;
}

/** Seconds until a rate-limited item is tried again (0 when it is not waiting for the limit). */
function limitedFor(item) {
  if (item.state !== "sending" || !item.limited || !item.retryAt) return 0;
  return Math.max(0, Math.ceil((item.retryAt - Date.now()) / 1000));
}

// A rate-limited note counts down its seconds (#17); the reader hears why once, not every second.
let ticker = null;
const toldLimited = new Set();

function tickLimited() {
  let waiting = false;
  for (const item of outbox.list()) {
    const card = outboxCards.get(item.client_id);
    if (!card || !item.limited) continue;
    const flag = card.querySelector(".flag");
    const left = limitedFor(item);
    if (left > 0) waiting = true;
    const text = left > 0 ? t("sending_limited", { n: left }) : t("sending");
    if (!flag) continue;
    if (flag.textContent !== text) flag.textContent = text;
    flag.classList.toggle("flag-limited", left > 0);
  }
  if (!waiting && ticker) {
    clearInterval(ticker);
    ticker = null;
  }
}

function watchLimited(item) {
  if (limitedFor(item) === 0) return;
  if (!toldLimited.has(item.retryAt)) {
    toldLimited.add(item.retryAt);
    announcer.say(t("sending_limited", { n: limitedFor(item) }));
  }
  if (!ticker) ticker = setInterval(tickLimited, 1000);
}

/** A failed item's reason; a ban (#7) in the reader's language. */
function errorText(error) {
  if (!error) return "";
  return error.code === "banned" ? t("banned_notice") : error.message;
}

function outboxCard(item) {
  let status;
  if (item.state === "failed") status = t("failed", { message: errorText(item.error) });
  else if (item.state === "awaiting") status = t("awaiting");
  else if (limitedFor(item) > 0) status = t("sending_limited", { n: limitedFor(item) });
  else if (item.offline || !navigator.onLine) status = t("sending_offline");
  else status = item.unavailable ? t("sending_unavailable") : t("sending");
  const goalsList = h("ul", { class: "note-sdgs", "aria-label": t("goals_of_note") });
  for (const number of item.sdgs) {
    const goal = goals.get(number);
    if (goal) goalsList.append(goalBadge(goal));
  }
  const card = h(
    "article",
    { class: `note note-${item.color} is-outbox state-${item.state}`, dataset: { clientId: item.client_id } },
    h("p", { class: "note-flags" }, h("span", { class: `flag flag-${item.state}${limitedFor(item) ? " flag-limited" : ""}` }, status)),
    h("p", { class: "note-body" }, item.body),
    item.sdgs.length ? goalsList : null,
    item.targets && item.targets.length
      ? h("ul", { class: "note-targets", "aria-label": t("targets_of_note") }, item.targets.map((code) => targetChip(goals, code)))
      : null,
  );
  if (item.state === "failed") {
    card.append(
      h(
        "div",
        { class: "note-actions" },
        h("button", { type: "button", class: "button-quiet", onclick: () => outbox.retry(item.client_id) }, t("retry")),
        h("button", { type: "button", class: "button-quiet", onclick: () => outbox.discard(item.client_id) }, t("discard")),
      ),
    );
  }
  return card;
}

// --- actions on a note --------------------------------------------------------------------

// A card's like button and comment count show at once; the comment form, and edit and delete
// (only on one's own notes), are made the first time they are needed: a big board holds
// thousands of cards (#14).
function noteActions(card) {
  const likeLabel = h("span", { class: "sr-only like-label" });
  const likeCount = h("span", { class: "like-count" });
  const like = h("button", { type: "button", class: "like", onclick: () => toggleLike(card) }, h("span", { class: "heart", "aria-hidden": "true" }, "♥"), likeLabel, likeCount);
  const summary = h("summary", {});
  const comments = h("details", { class: "comments" }, summary);
  comments.addEventListener("toggle", () => {
    if (comments.open) openComments(card);
  });
  card.parts = { like, likeLabel, likeCount, summary, comments, commentList: null, commentForm: null, own: null };
  return h("div", { class: "note-actions" }, like, comments);
}

function openComments(card) {
  const p = card.parts;
  if (p.commentForm) return;
  const id = uid("comment");
  p.commentInput = h("input", { id, maxlength: "1000", autocomplete: "off" });
  p.commentLabel = h("label", { for: id, class: "sr-only" });
  p.commentSend = h("button", { type: "submit", class: "button-quiet" });
  p.commentForm = h("form", { class: "comment-form" }, p.commentLabel, p.commentInput, p.commentSend);
  p.commentForm.addEventListener("submit", (event) => {
    event.preventDefault();
    sendComment(card, p.commentInput);
  });
  p.comments.append(p.commentForm);
  refreshActions(card);
}

function ownActions(card) {
  const p = card.parts;
  p.edit = h("button", { type: "button", class: "button-quiet", onclick: () => startEdit(card) });
  p.remove = h("button", { type: "button", class: "button-quiet", onclick: () => askDelete(card, true) });
  p.confirmText = h("span", { class: "confirm-text" });
  p.confirmYes = h("button", { type: "button", class: "button button-danger", onclick: () => deleteNote(card) });
  p.confirmNo = h("button", { type: "button", class: "button-quiet", onclick: () => askDelete(card, false) });
  p.confirm = h("div", { class: "confirm", hidden: true }, p.confirmText, p.confirmYes, p.confirmNo);
  p.own = h("span", { class: "own-actions" }, p.edit, p.remove);
  p.like.after(p.own, p.confirm);
}

function refreshActions(card) {
  const p = card.parts;
  if (!p) return;
  const note = card.note;
  const writable = canWrite();
  p.like.setAttribute("aria-pressed", String(liked.has(note.id)));
  p.like.disabled = !writable;
  p.likeLabel.textContent = `${t("like")}, `;
  p.likeCount.textContent = String(note.likes);
  p.like.title = t("likes", { n: note.likes });
  p.summary.textContent = note.comments.length ? t("comments", { n: note.comments.length }) : t("no_comments");
  if (!p.commentList && (note.comments.length || p.commentForm)) {
    p.commentList = h("ul", { class: "comment-list" });
    p.summary.after(p.commentList);
  }
  if (p.commentList) {
    p.commentList.replaceChildren(
      ...note.comments.map((comment) =>
        h("li", {}, h("span", { class: "comment-author" }, comment.author.name || t("anonymous")), ": ", h("span", { class: "comment-body" }, comment.body)),
      ),
    );
  }
  p.comments.hidden = !writable && note.comments.length === 0;
  if (p.commentForm) {
    p.commentForm.hidden = !writable;
    p.commentLabel.textContent = t("comment_label");
    p.commentInput.placeholder = t("comment_label");
    p.commentSend.textContent = t("comment_send");
  }
  const mine = isOwn(note) && writable;
  if (mine && !p.own) ownActions(card);
  if (!p.own) return;
  p.own.hidden = !mine;
  p.edit.textContent = t("edit");
  p.remove.textContent = t("delete");
  p.confirmText.textContent = t("delete_confirm");
  p.confirmYes.textContent = t("yes_delete");
  p.confirmNo.textContent = t("cancel");
}

async function toggleLike(card) {
  if (!canWrite()) return;
  const want = !liked.has(card.note.id);
  try {
    const result = await request(want ? "PUT" : "DELETE", `${boardPath(slug)}/notes/${card.note.id}/like`, { token: me.token });
    if (result.liked) liked.add(result.note_id);
    else liked.delete(result.note_id);
    storageSet(localStorage, likedKey, [...liked]);
    state.setLikes(result.note_id, result.likes);
    refreshActions(card);
  } catch (error) {
    flash(message, t("action_failed", { message: errorText(error) }), "error");
  }
}

async function sendComment(card, input) {
  const text = input.value.trim();
  if (!text || !canWrite()) return;
  input.disabled = true;
  try {
    const comment = await request("POST", `${boardPath(slug)}/notes/${card.note.id}/comments`, { token: me.token, body: { body: text } });
    input.value = "";
    state.setComment(comment, true);
  } catch (error) {
    flash(message, t("comment_failed", { message: errorText(error) }), "error");
  } finally {
    input.disabled = false;
    input.focus();
  }
}

function askDelete(card, open) {
  card.parts.confirm.hidden = !open;
  card.parts.own.hidden = open;
  (open ? card.parts.confirmYes : card.parts.remove).focus();
}

async function deleteNote(card) {
  try {
    await request("DELETE", `${boardPath(slug)}/notes/${card.note.id}`, { token: me.token });
    state.removeNote(card.note.id);
    $("#notes").focus();
  } catch (error) {
    flash(message, t("action_failed", { message: errorText(error) }), "error");
  }
}

function startEdit(card) {
  const note = card.note;
  const id = uid("edit");
  const area = h("textarea", { id, rows: "4", maxlength: "2000" });
  area.value = note.body;
  const form = h(
    "form",
    { class: "edit-form stack" },
    h("label", { for: id }, t("body_label")),
    area,
    h("div", { class: "row" }, h("button", { type: "submit", class: "button button-primary" }, t("save")), h("button", { type: "button", class: "button-quiet", onclick: done }, t("cancel"))),
  );
  function done() {
    form.remove();
    card.body.hidden = false;
    card.parts.edit.focus();
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = area.value.trim();
    if (!text) return;
    try {
      const updated = await request("PATCH", `${boardPath(slug)}/notes/${note.id}`, {
        token: me.token,
        body: { body: text },
        headers: { "If-Match": String(card.note.version) },
      });
      done();
      if (updated.status === "visible") state.upsertNote(updated);
      else {
        // Pre-moderated: the edit goes back to the moderators; only the author sees it meanwhile.
        state.removeNote(updated.id);
        outbox.track(updated);
        announcer.say(t("edit_awaits"));
      }
    } catch (error) {
      const text = error instanceof ApiError && error.code === "version_conflict" ? t("version_conflict") : t("action_failed", { message: errorText(error) });
      flash(message, text, "error");
    }
  });
  card.body.hidden = true;
  card.body.after(form);
  area.focus();
}

// --- filters ------------------------------------------------------------------------------

const chips = new Map();
const targetChipsMade = new Set(); // goal numbers

function buildFilters() {
  const box = $("#filters");
  const all = h("button", { type: "button", class: "chip chip-all", "aria-pressed": "true", onclick: () => setFilter(null) });
  chips.set("all", all);
  box.append(all);
  for (const goal of catalogue) {
    const chip = paint(
      h(
        "button",
        { type: "button", class: "chip", "aria-pressed": "false", hidden: true, onclick: () => setFilter(goal.number) },
        h("span", { class: "chip-number" }, String(goal.number)),
        h("span", { class: "sr-only chip-name" }),
        h("span", { class: "chip-count" }),
        h("span", { class: "sr-only chip-unit" }),
      ),
      goal,
    );
    chips.set(goal.number, chip);
    box.append(chip);
  }
}

/**
 * The chips for one goal's targets, made the first time that goal is chosen as a filter (169
 * targets are too many to make for a filter most never open), in the UN's order after the
 * chips of earlier goals. Each is shown while its goal is chosen and it has notes.
 */
function targetChips(goal) {
  if (targetChipsMade.has(goal.number)) return;
  targetChipsMade.add(goal.number);
  const later = catalogue.find((other) => other.number > goal.number && targetChipsMade.has(other.number) && other.targets.length);
  const before = later ? chips.get(later.targets[0].code) : null;
  const box = $("#target-filters");
  for (const target of goal.targets) {
    const chip = h(
      "button",
      { type: "button", class: "chip chip-target", "aria-pressed": "false", hidden: true, onclick: () => setTargetFilter(target.code) },
      h("span", {}, target.code),
      h("span", { class: "sr-only chip-name" }),
      h("span", { class: "chip-count" }),
      h("span", { class: "sr-only chip-unit" }),
    );
    chip.style.borderLeftColor = goal.color;
    chips.set(target.code, chip);
    box.insertBefore(chip, before);
  }
}

function setFilter(number) {
  if (number === null) {
    filter.clear();
    targetFilter.clear();
  } else if (filter.has(number)) {
    filter.delete(number);
    // A target filter only makes sense under its goal.
    for (const code of [...targetFilter]) if (goalOf(code) === number) targetFilter.delete(code);
  } else filter.add(number);
  columns.refilter();
  renderFilters();
}

function setTargetFilter(code) {
  if (targetFilter.has(code)) targetFilter.delete(code);
  else targetFilter.add(code);
  columns.refilter();
  renderFilters();
}

/**
 * A filter chip's name is its content (#17): the visible number or code and count, with the
 * name a sighted reader gets from the tooltip and the colour in hidden text between them ("12
 * Ansvarlig forbruk og produksjon, 2 lapper"), so the name holds the visible text in order and
 * a voice-control user can say "click 12". Target texts are the UN's English (lang="en").
 */
function chipName(chip, name, n, lang = null) {
  chip.querySelector(".chip-name").replaceChildren(" ", lang ? h("span", { lang }, name) : name, ", ");
  chip.querySelector(".chip-count").textContent = String(n);
  chip.querySelector(".chip-unit").textContent = ` ${t("filter_notes_unit", { n })}`;
}

function renderFilters() {
  const all = chips.get("all");
  if (!all) return;
  all.textContent = t("filter_all");
  all.setAttribute("aria-pressed", String(filter.size === 0));
  for (const goal of catalogue) {
    const chip = chips.get(goal.number);
    const n = counts.get(goal.number);
    chip.hidden = n === 0 && !filter.has(goal.number);
    chip.setAttribute("aria-pressed", String(filter.has(goal.number)));
    chip.title = goalName(goal);
    chipName(chip, goalName(goal), n);
  }
  let shown = 0;
  for (const goal of catalogue) {
    if (filter.has(goal.number)) targetChips(goal);
    for (const { code } of goal.targets) {
      const chip = chips.get(code);
      if (!chip) continue;
      const n = counts.getTarget(code);
      chip.hidden = !targetFilter.has(code) && (n === 0 || !filter.has(goal.number));
      if (chip.hidden) continue;
      shown += 1;
      chip.setAttribute("aria-pressed", String(targetFilter.has(code)));
      chip.title = targetText(goals, code);
      chipName(chip, targetText(goals, code), n, "en");
    }
  }
  $("#target-filters").hidden = shown === 0;
}

// --- start --------------------------------------------------------------------------------

async function main() {
  startPage();
  flash(message, t("loading"));
  live = page.live({
    helloToken,
    extraNotes: ownHeldNotes,
    onEvent(event) {
      if (event.kind === "board.reveal") announcer.say(t("announce_revealed", { n: event.data.revealed }));
    },
    onStatus(status, detail) {
      setConnection(status, detail);
      for (const item of outbox.list()) if (item.state === "sending") renderOutboxItem(item, item.client_id);
    },
    onWelcome: () => {
      if (message.dataset.kind !== "error") flash(message, "");
      outbox.retryAll();
    },
  });
  // The snapshot need not wait for the goals (#14): both requests go out now.
  const goalsLoaded = page.loadCatalogue();
  const started = live.start();
  const found = await goalsLoaded;
  if (!found) return;
  catalogue = found;
  goals = byNumber(catalogue);
  buildTiles();
  buildColors();
  buildFilters();
  wireForms();
  for (const item of outbox.list()) renderOutboxItem(item, item.client_id);
  onLocale(() => {
    page.renderViewers();
    buildTiles();
    buildColors();
    picker.relabel();
    suggested.render();
    if (!page.loaded) return;
    renderBoard();
    renderBlind();
    renderFilters();
    columns.relabel();
    for (const item of outbox.list()) renderOutboxItem(item, item.client_id);
  });
  ready = true;
  if (state.board) render({ type: "load" });
  // The first date format loads the locale's data (~90 ms on a slow phone): while the snapshot
  // is still on its way, rather than while the first cards wait for it.
  else formatTime(new Date().toISOString());
  await started;
  if (page.loaded) flash(message, "");
  outbox.retryAll();
}

main();
