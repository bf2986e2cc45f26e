// The moderator console, /b/{slug}/moderate. The key arrives in the URL fragment (#key=…), which
// browsers never send to a server; it is moved to sessionStorage (this tab only) and the fragment
// is taken out of the address bar, so it does not linger in history or screenshots (common.js).

import { ApiError, boardPath, request } from "./api.js";
import { flash, moderatorKey, startPage } from "./common.js";
import { $, clear, h, storageSet, uid } from "./dom.js";
import { onLocale, t } from "./i18n.js";
import { Columns, NoteCard } from "./notes.js";
import { BoardPage } from "./page.js";
import { mountChart } from "./chart.js";
import { byNumber, goalName, paint } from "./sdg.js";
import { TargetPicker } from "./targets.js";
import { boardOrder } from "./state.js";
import { AuditPanel } from "./audit.js";
import { KeysPanel } from "./keys.js";

const page = new BoardPage();
const { slug, state, counts, message, announcer } = page;
const keyName = `pinboard:moderator:${slug}`;
const isVisible = (note) => note.status === "visible";
let key = moderatorKey(slug);
let show = "all";
let goals = new Map();
let catalogue = [];
let chart = null;
let live = null;
let audit = null;
let keys = null;
// Who the key is ({id, name, owner}: GET …/moderators/me), once the server has said.
let who = null;
// Pending notes ticked for "approve selected"; a note that stops being pending leaves it.
const selected = new Set();
// Ids per bulk approve request (the server's maximum): "approve all" sends more in turns.
const APPROVE_MAX = 100;
// Pending notes now, as the queue counts them (a scan of every note only on a bulk action).
let pendingCount = 0;
// Participants this console knows are banned: from its own bans and the live `participant.ban`
// events (a note's author carries no ban state).
const banned = new Set();

const oldestFirst = (a, b) => a.id - b.id;
const queue = new Columns($("#queue"), {
  compare: oldestFirst,
  matches: (note) => note.status === "pending",
  onCount: (n) => {
    $("#queue-count").textContent = `(${n})`;
    $("#queue-empty").hidden = n > 0;
    $("#stat-pending").textContent = String(n);
    pendingCount = n;
    renderPending();
  },
});
const all = new Columns($("#all-notes"), {
  compare: boardOrder,
  matches: (note) =>
    note.status !== "pending" &&
    (show === "all" || (show === "pinned" ? note.pinned : note.status === show)),
  onCount: (n) => {
    $("#all-count").textContent = `(${n})`;
  },
});

function makeCard(note) {
  return new NoteCard(note, { goals, actions: modActions, refresh: refreshMod });
}

// --- live state ---------------------------------------------------------------------------

const updateCards = (change) => {
  for (const columns of [queue, all]) {
    const card = columns.cards.get(change.note.id);
    if (card) card.update(change.note);
  }
};

page.follow({
  held: renderBlind,
  load() {
    renderBoard();
    queue.setSections([]);
    queue.fill(state.notes.values(), makeCard);
    all.setSections(state.board.sections);
    all.fill(state.notes.values(), makeCard);
    counts.reset(state.notes.values(), isVisible);
    renderStats();
  },
  board(change) {
    const before = change.previous ? JSON.stringify(change.previous.sections) : "";
    renderBoard();
    if (before !== JSON.stringify(change.board.sections)) all.setSections(change.board.sections);
    for (const card of all.cards.values()) refreshMod(card);
  },
  note(change) {
    const { note, previous } = change;
    counts.change(previous, note, isVisible);
    if (note.status !== "pending") selected.delete(note.id);
    queue.place(note, makeCard);
    all.place(note, makeCard);
    if (change.live && note.status === "pending" && (!previous || previous.status !== "pending")) {
      announcer.note(note);
    }
    renderStats();
  },
  remove(change) {
    counts.change(change.previous, null, isVisible);
    selected.delete(change.id);
    queue.remove(change.id);
    all.remove(change.id);
    renderStats();
  },
  likes: updateCards,
  comments: updateCards,
});

let statsFrame = 0;
function renderStats() {
  if (statsFrame) return;
  // Many events in one frame draw the numbers and the chart once.
  statsFrame = requestAnimationFrame(() => {
    statsFrame = 0;
    let visible = 0;
    for (const note of state.notes.values()) if (note.status === "visible") visible += 1;
    $("#stat-notes").textContent = String(visible);
    if (chart) chart.update(counts);
    refreshParticipants();
  });
}

let participantsTimer = null;
let statsAsked = false;
function refreshParticipants() {
  // Participants are not in the event stream; ask now and then, not per event.
  if (participantsTimer !== null) return;
  const delay = statsAsked ? 3000 : 0;
  statsAsked = true;
  participantsTimer = setTimeout(async () => {
    participantsTimer = null;
    try {
      const stats = await request("GET", `${boardPath(slug)}/stats`, { token: key });
      $("#stat-participants").textContent = String(stats.participants);
      $("#stat-viewers").textContent = String(stats.viewers);
    } catch {
      // The numbers stay as they were; the next event asks again.
    }
  }, delay);
}

function renderBoard() {
  const board = state.board;
  document.title = `${t("mod_title")} · ${board.title}`;
  $("#board-title").textContent = board.title;
  $(`#mode-${board.moderation}`).checked = true;
  $("#lock").textContent = board.locked ? t("unlock") : t("lock");
  $("#lock").setAttribute("aria-pressed", String(board.locked));
  flash($("#lock-state"), board.locked ? t("locked_state") : t("unlocked_state"), board.locked ? "warning" : "info");
  $("#lock-state").removeAttribute("role");
  renderSafety();
  $("#participant-link").href = `/b/${slug}`;
  $("#presenter-link").href = `/b/${slug}/present`;
  // The key in the fragment, which no browser sends: the presenter view moves it out of the
  // address bar at once (a shared screen shows that bar), as this console does.
  $("#presenter-key-link").href = `/b/${slug}/present#key=${encodeURIComponent(key)}`;
  renderSections();
  renderBlind();
}

// --- a blind round (#18) ---------------------------------------------------------------------

/** The switch, what it means now, and "Reveal (N)" while a round is on. */
function renderBlind() {
  if (!state.board) return;
  const blind = state.board.reveal === "blind";
  const n = state.held;
  $("#blind").checked = blind;
  $("#blind-state").textContent = blind ? t("blind_on", { n }) : t("blind_off");
  $("#reveal").textContent = t("reveal_button", { n });
  $("#reveal-row").hidden = !blind || !$("#reveal-confirm").hidden;
  if (!blind) $("#reveal-confirm").hidden = true;
  else if (!$("#reveal-confirm").hidden) $("#reveal-confirm-text").textContent = t("reveal_confirm", { n });
}

/** Ending the round shows every note it holds to everyone: with notes held, ask first. */
function askReveal() {
  if (state.held === 0) {
    patchBoard({ reveal: "instant" });
    return;
  }
  $("#reveal-confirm").hidden = false;
  renderBlind();
  $("#reveal-yes").focus();
}

function closeReveal(focus) {
  $("#reveal-confirm").hidden = true;
  renderBlind();
  if (focus) $(focus).focus();
}

// --- moderating one note ------------------------------------------------------------------

function button(label, onclick, kind = "button") {
  return h("button", { type: "button", class: kind, onclick }, label);
}

function modActions(card) {
  const p = {};
  p.approve = button("", () => act(card, { status: "visible" }, true), "button button-primary");
  p.pick = h("input", { type: "checkbox", class: "pick-input" });
  p.pick.addEventListener("change", () => {
    if (p.pick.checked) selected.add(card.note.id);
    else selected.delete(card.note.id);
    renderPending();
  });
  p.pickText = h("span", {});
  p.pickWhich = h("span", { class: "sr-only" });
  p.pickLabel = h("label", { class: "pick" }, p.pick, p.pickText, p.pickWhich);
  p.reject = button("", () => act(card, { status: "hidden" }, true), "button");
  p.hide = button("", () => act(card, { status: "hidden" }));
  p.restore = button("", () => act(card, { status: "visible" }));
  p.pin = button("", () => act(card, { pinned: !card.note.pinned }));
  p.edit = button("", () => startEdit(card), "button-quiet");
  p.del = button("", () => confirmIn(card, "delete"), "button-quiet");
  const selectId = uid("move");
  p.section = h("select", { id: selectId });
  p.section.addEventListener("change", () => {
    const value = p.section.value;
    act(card, { section_id: value ? Number(value) : null });
  });
  p.sectionLabel = h("label", { for: selectId });
  p.up = button("", () => reorder(card, -1), "button-quiet");
  p.down = button("", () => reorder(card, 1), "button-quiet");
  p.removeAuthor = button("", () => confirmIn(card, "author"), "button-quiet");
  p.ban = button("", () => confirmIn(card, banned.has(card.note.author.id) ? "unban" : "ban"), "button-quiet");
  p.summary = h("summary", {});
  const authorRow = h("div", { class: "row" }, p.ban, p.removeAuthor);
  p.more = h("details", { class: "mod-more" }, p.summary, h("div", { class: "stack" }, p.sectionLabel, p.section, h("div", { class: "row" }, p.up, p.down), authorRow));
  p.confirmText = h("span", { class: "confirm-text" });
  p.confirmYes = button("", () => confirmed(card), "button button-danger");
  p.confirmNo = button("", () => confirmIn(card, null), "button-quiet");
  p.confirm = h("div", { class: "confirm", hidden: true }, p.confirmText, p.confirmYes, p.confirmNo);
  p.row = h("div", { class: "row" }, p.pickLabel, p.approve, p.reject, p.hide, p.restore, p.pin, p.edit, p.del);
  card.parts = p;
  return h("div", { class: "mod-actions" }, p.row, p.confirm, p.more);
}

function refreshMod(card) {
  const p = card.parts;
  if (!p) return;
  const note = card.note;
  const pending = note.status === "pending";
  p.approve.hidden = !pending;
  p.pickLabel.hidden = !pending;
  p.pick.checked = selected.has(note.id);
  p.pickText.textContent = t("select_note");
  // The visible word first, so a voice command "click Velg" matches (label in name).
  p.pickWhich.textContent = ` ${t("select_which", { text: note.body.slice(0, 60) })}`;
  p.reject.hidden = !pending;
  p.hide.hidden = note.status !== "visible";
  p.restore.hidden = note.status !== "hidden";
  p.approve.textContent = t("approve");
  p.reject.textContent = t("reject");
  p.hide.textContent = t("hide");
  p.restore.textContent = t("restore");
  p.pin.textContent = note.pinned ? t("unpin") : t("pin");
  p.pin.setAttribute("aria-pressed", String(note.pinned));
  p.edit.textContent = t("edit");
  p.del.textContent = t("delete");
  p.summary.textContent = t("more");
  p.sectionLabel.textContent = t("move_to");
  clear(p.section);
  p.section.append(h("option", { value: "" }, t("no_section")));
  for (const section of state.board.sections) p.section.append(h("option", { value: String(section.id) }, section.title));
  p.section.value = note.section_id === null ? "" : String(note.section_id);
  p.up.textContent = t("move_up");
  p.down.textContent = t("move_down");
  p.up.hidden = p.down.hidden = pending;
  p.removeAuthor.textContent = t("remove_author");
  p.removeAuthor.hidden = note.author.id === null;
  p.ban.textContent = banned.has(note.author.id) ? t("unban") : t("ban");
  p.ban.hidden = note.author.id === null;
  p.confirmNo.textContent = t("cancel");
}

async function patch(note, fields, headers = {}) {
  const updated = await request("PATCH", `${boardPath(slug)}/notes/${note.id}`, { token: key, body: fields, headers });
  state.upsertNote(updated);
  return updated;
}

/** One moderation step; from the queue, focus moves on to the next waiting note. */
async function act(card, fields, fromQueue = false) {
  const next = fromQueue ? card.el.nextElementSibling || card.el.previousElementSibling : null;
  try {
    await patch(card.note, fields);
    if (fromQueue) {
      const target = next && next.isConnected ? next.querySelector(".mod-actions button:not([hidden])") : null;
      (target || $("#queue-heading")).focus();
    }
  } catch (error) {
    fail(error);
  }
}

function fail(error) {
  const text = error instanceof ApiError && error.code === "version_conflict" ? t("version_conflict") : t("action_failed", { message: error.message });
  flash(message, text, "error");
}

function confirmIn(card, what) {
  const p = card.parts;
  p.pending = what;
  p.confirm.hidden = !what;
  p.row.hidden = Boolean(what);
  if (what === "delete") {
    p.confirmText.textContent = t("delete_confirm");
    p.confirmYes.textContent = t("yes_delete");
  } else if (what === "author") {
    p.confirmText.textContent = t("remove_confirm", { name: card.note.author.name || t("anonymous") });
    p.confirmYes.textContent = t("yes_remove");
  } else if (what === "ban" || what === "unban") {
    p.confirmText.textContent = t(`${what}_confirm`, { name: card.note.author.name || t("anonymous") });
    p.confirmYes.textContent = t(`yes_${what}`);
  }
  (what ? p.confirmYes : p.del).focus();
}

async function confirmed(card) {
  const note = card.note;
  try {
    const what = card.parts.pending;
    if (what === "delete") {
      await request("DELETE", `${boardPath(slug)}/notes/${note.id}`, { token: key });
      state.removeNote(note.id);
    } else if (what === "ban" || what === "unban") {
      await banAuthor(note.author, what === "ban");
      confirmIn(card, null);
      return;
    } else {
      const author = note.author.id;
      await request("DELETE", `${boardPath(slug)}/participants/${author}`, { token: key });
      for (const other of [...state.notes.values()]) if (other.author.id === author) state.removeNote(other.id);
    }
    $("#all-heading").focus();
  } catch (error) {
    confirmIn(card, null);
    fail(error);
  }
}

/** Ban or lift the ban (#7); the notes it hides arrive as live events like any other change. */
async function banAuthor(author, ban) {
  const result = await request(ban ? "POST" : "DELETE", `${boardPath(slug)}/participants/${author.id}/ban`, { token: key });
  markBanned(author.id, result.banned);
  const name = author.name || t("anonymous");
  flash(message, ban ? t("banned_done", { name, n: result.hidden.length }) : t("unbanned_done", { name }), "ok");
}

function markBanned(id, isBanned) {
  if (isBanned) banned.add(id);
  else banned.delete(id);
  for (const columns of [queue, all]) {
    for (const card of columns.cards.values()) if (card.note.author.id === id) refreshMod(card);
  }
}

/** Edit a note's text, goals and targets (#8); goals and targets are sent together, so
 *  unpicking a goal drops its targets. */
function startEdit(card) {
  const note = card.note;
  const id = uid("mod-edit");
  const area = h("textarea", { id, rows: "4", maxlength: "2000" });
  area.value = note.body;
  const tiles = h("div", { class: "sdg-tiles sdg-tiles-small" });
  for (const goal of catalogue) {
    const input = h("input", { type: "checkbox", value: String(goal.number), checked: note.sdgs.includes(goal.number), class: "tile-input" });
    const tile = h(
      "label",
      { class: "sdg-tile", title: goalName(goal) },
      input,
      h("span", { class: "sdg-number" }, String(goal.number)),
      h("span", { class: "sr-only" }, ` ${goalName(goal)}`),
    );
    tiles.append(paint(tile, goal));
  }
  const picked = () => [...tiles.querySelectorAll("input:checked")].map((input) => Number(input.value));
  const picker = new TargetPicker(goals);
  picker.setGoals(note.sdgs);
  picker.set(note.targets || []);
  tiles.addEventListener("change", () => picker.setGoals(picked()));
  const form = h(
    "form",
    { class: "edit-form stack" },
    h("label", { for: id }, t("edit")),
    area,
    h("fieldset", { class: "sdg-picker" }, h("legend", {}, t("sdgs_legend")), tiles),
    picker.el,
    h("div", { class: "row" }, h("button", { type: "submit", class: "button button-primary" }, t("save")), button(t("cancel"), done, "button-quiet")),
  );
  function done() {
    form.remove();
    card.body.hidden = false;
    card.parts.edit.focus();
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!area.value.trim()) return;
    try {
      const fields = { body: area.value.trim(), sdgs: picked(), targets: picker.value() };
      await patch(card.note, fields, { "If-Match": String(note.version) });
      done();
    } catch (error) {
      fail(error);
    }
  });
  card.body.hidden = true;
  card.body.after(form);
  area.focus();
}

/**
 * Move a note one place up or down in its column. Positions are floats: the note goes halfway
 * between its new neighbours; when neighbours share a position (new boards: all 0) the column is
 * first spread out, one PATCH per note whose position changes.
 */
async function reorder(card, direction) {
  const list = card.el.parentNode;
  const column = [...list.children].map((el) => all.cards.get(Number(el.dataset.id))).filter(Boolean).map((c) => c.note);
  const index = column.findIndex((n) => n.id === card.note.id);
  const target = index + direction;
  if (target < 0 || target >= column.length || column[target].pinned !== card.note.pinned) return;
  try {
    const order = [...column];
    order.splice(index, 1);
    order.splice(target, 0, card.note);
    const distinct = column.every((n, i) => i === 0 || n.pinned !== column[i - 1].pinned || n.position > column[i - 1].position);
    if (!distinct) {
      for (const [i, note] of order.entries()) {
        const position = (i + 1) * 1024;
        if (note.position !== position) await patch(note, { position });
      }
    } else {
      const before = order[target - 1];
      const after = order[target + 1];
      let position;
      if (before && after) position = (before.position + after.position) / 2;
      else if (before) position = before.position + 1024;
      else position = after.position - 1024;
      await patch(card.note, { position });
    }
    (direction < 0 ? card.parts.up : card.parts.down).focus();
  } catch (error) {
    fail(error);
  }
}

// --- many pending notes at once (#17) -------------------------------------------------------

/** The pending notes, oldest first, as this console knows them. */
function pendingIds() {
  return [...state.notes.values()].filter((note) => note.status === "pending").map((note) => note.id).sort((a, b) => a - b);
}

/** The queue's bulk buttons and the warning by lock and export, from the pending count. */
function renderPending() {
  if (!state.board) return;
  const n = pendingCount;
  $("#queue-tools").hidden = n === 0;
  $("#approve-all").textContent = t("approve_all", { n });
  const picked = $("#approve-selected");
  picked.textContent = t("approve_selected", { n: selected.size });
  picked.disabled = selected.size === 0;
  // While the lock asks, its question carries the count instead of the warning.
  const asking = !$("#lock-confirm").hidden;
  const warning = $("#pending-warning");
  warning.hidden = n === 0 || asking;
  warning.textContent = n ? t("pending_warning", { n }) : "";
  if (asking && n) $("#lock-confirm-text").textContent = t("lock_confirm", { n });
  if (n === 0) {
    $("#approve-all-confirm").hidden = true;
    $("#lock-confirm").hidden = true;
    $("#lock-row").hidden = false;
  }
}

function askApproveAll() {
  const ids = pendingIds();
  if (!ids.length) return;
  const box = $("#approve-all-confirm");
  box.dataset.ids = ids.join(",");
  $("#approve-all-text").textContent = t("approve_all_confirm", { n: ids.length });
  box.hidden = false;
  $("#queue-tools").hidden = true;
  $("#approve-all-yes").focus();
}

function closeApproveAll() {
  $("#approve-all-confirm").hidden = true;
  renderPending();
}

/** Approve `ids` with POST …/notes/approve, at most APPROVE_MAX a request; the notes arrive
 *  live too, each socket's in one frame. */
async function approveMany(ids) {
  let approved = 0;
  let skipped = 0;
  try {
    for (let i = 0; i < ids.length; i += APPROVE_MAX) {
      const body = { ids: ids.slice(i, i + APPROVE_MAX) };
      const result = await request("POST", `${boardPath(slug)}/notes/approve`, { token: key, body });
      for (const note of result.approved) state.upsertNote(note);
      approved += result.approved.length;
      skipped += result.skipped.length;
    }
  } catch (error) {
    fail(error);
    renderPending();
    return;
  }
  for (const id of ids) selected.delete(id);
  const text = t("approved_many", { n: approved }) + (skipped ? ` ${t("approved_skipped", { n: skipped })}` : "");
  flash(message, text, "ok");
  renderPending();
  $("#queue-heading").focus();
}

/** Lock at once when nothing waits; with pending notes, say how many first. */
function lockClicked() {
  const n = pendingCount;
  if (state.board.locked || n === 0) {
    patchBoard({ locked: !state.board.locked });
    return;
  }
  $("#lock-confirm-text").textContent = t("lock_confirm", { n });
  $("#lock-confirm").hidden = false;
  $("#lock-row").hidden = true;
  renderPending();
  $("#lock-yes").focus();
}

function closeLockConfirm(focus = "#lock") {
  $("#lock-confirm").hidden = true;
  $("#lock-row").hidden = false;
  renderPending();
  $(focus).focus();
}

// --- the board: settings and sections -----------------------------------------------------

/** PATCH the board's settings; false (and the error shown) when it failed. */
async function patchBoard(fields) {
  try {
    state.setBoard(await request("PATCH", boardPath(slug), { token: key, body: fields }));
    return true;
  } catch (error) {
    fail(error);
    return false;
  }
}

/** The word filter and retention fields, unless the moderator is typing in them. */
function renderSafety() {
  const form = $("#safety-form");
  if (form.contains(document.activeElement) || form.dataset.dirty) return;
  $("#word-filter").value = (state.board.word_filter || []).join("\n");
  $("#retention").value = state.board.retention_days == null ? "" : String(state.board.retention_days);
}

async function saveSafety(event) {
  event.preventDefault();
  const out = $("#safety-message");
  const words = [...new Set($("#word-filter").value.split("\n").map((line) => line.trim()).filter(Boolean))];
  const days = $("#retention").value.trim();
  try {
    const fields = { word_filter: words, retention_days: days ? Number(days) : null };
    state.setBoard(await request("PATCH", boardPath(slug), { token: key, body: fields }));
    delete $("#safety-form").dataset.dirty;
    renderSafety();
    out.textContent = t("settings_saved");
  } catch (error) {
    out.textContent = "";
    fail(error);
  }
}

function renderSections() {
  const list = clear($("#section-list"));
  const sections = state.board.sections;
  sections.forEach((section, index) => {
    const id = `section-${section.id}`;
    const input = h("input", { id, value: section.title, maxlength: "80" });
    const form = h(
      "form",
      { class: "section-row" },
      h("label", { for: id, class: "sr-only" }, t("section_title_label", { n: index + 1 })),
      input,
      h("button", { type: "submit", class: "button-quiet" }, t("rename")),
      index > 0 ? button(t("move_up"), () => moveSection(index, -1), "button-quiet") : null,
      index < sections.length - 1 ? button(t("move_down"), () => moveSection(index, 1), "button-quiet") : null,
      button(t("delete_section"), () => deleteSection(section), "button-quiet"),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!input.value.trim() || input.value.trim() === section.title) return;
      try {
        await request("PATCH", `${boardPath(slug)}/sections/${section.id}`, { token: key, body: { title: input.value.trim() } });
      } catch (error) {
        fail(error);
      }
    });
    list.append(h("li", {}, form));
  });
}

async function moveSection(index, direction) {
  const order = [...state.board.sections];
  const [moved] = order.splice(index, 1);
  order.splice(index + direction, 0, moved);
  try {
    for (const [i, section] of order.entries()) {
      if (section.position !== i) {
        await request("PATCH", `${boardPath(slug)}/sections/${section.id}`, { token: key, body: { position: i } });
      }
    }
  } catch (error) {
    fail(error);
  }
}

async function deleteSection(section) {
  try {
    await request("DELETE", `${boardPath(slug)}/sections/${section.id}`, { token: key });
    $("#section-new").focus();
  } catch (error) {
    fail(error);
  }
}

/** The Markdown archive or the spreadsheet (`ext` "md" or "xlsx"), fetched with the key in a
 * header and saved from a Blob. */
async function exportBoard(ext) {
  const out = $("#export-message");
  out.textContent = "";
  let response;
  try {
    response = await fetch(`${boardPath(slug)}/export.${ext}`, { headers: { Authorization: `Bearer ${key}` }, cache: "no-store" });
  } catch (error) {
    out.textContent = t("export_failed", { message: error.message });
    return;
  }
  if (response.status === 404) {
    out.textContent = t("export_missing");
    return;
  }
  if (!response.ok) {
    let text = `HTTP ${response.status}`;
    try {
      text = (await response.json()).error.message;
    } catch {
      // not the envelope: keep the status
    }
    out.textContent = t("export_failed", { message: text });
    return;
  }
  const blob = await response.blob();
  const disposition = response.headers.get("Content-Disposition") || "";
  const named = /filename="?([^";]+)"?/.exec(disposition);
  const file = named ? named[1] : `${slug}.${ext}`;
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: file, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  out.textContent = t("export_done", { file });
}

function wireControls() {
  for (const radio of document.querySelectorAll('input[name="moderation"]')) {
    radio.addEventListener("change", () => patchBoard({ moderation: radio.value }));
  }
  $("#blind").addEventListener("change", () => {
    if ($("#blind").checked) {
      patchBoard({ reveal: "blind" });
      return;
    }
    $("#blind").checked = true; // still on until the reveal is confirmed
    askReveal();
  });
  $("#reveal").addEventListener("click", askReveal);
  $("#reveal-yes").addEventListener("click", async () => {
    const n = state.held;
    closeReveal();
    if (await patchBoard({ reveal: "instant" })) flash(message, t("revealed_done", { n }), "ok");
    $("#blind").focus();
  });
  $("#reveal-no").addEventListener("click", () => closeReveal("#reveal"));
  $("#lock").addEventListener("click", lockClicked);
  $("#lock-yes").addEventListener("click", async () => {
    closeLockConfirm();
    await patchBoard({ locked: true });
  });
  $("#lock-no").addEventListener("click", () => closeLockConfirm());
  $("#approve-all").addEventListener("click", askApproveAll);
  $("#approve-all-no").addEventListener("click", () => {
    closeApproveAll();
    $("#approve-all").focus();
  });
  $("#approve-all-yes").addEventListener("click", () => {
    const ids = $("#approve-all-confirm").dataset.ids.split(",").map(Number);
    closeApproveAll();
    approveMany(ids);
  });
  $("#approve-selected").addEventListener("click", () => approveMany([...selected].sort((a, b) => a - b)));
  $("#export").addEventListener("click", () => exportBoard("md"));
  $("#export-xlsx").addEventListener("click", () => exportBoard("xlsx"));
  $("#safety-form").addEventListener("submit", saveSafety);
  $("#safety-form").addEventListener("input", () => {
    $("#safety-form").dataset.dirty = "1";
    $("#safety-message").textContent = "";
  });
  $("#section-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("#section-new");
    const title = input.value.trim();
    if (!title) return;
    try {
      await request("POST", `${boardPath(slug)}/sections`, { token: key, body: { title } });
      input.value = "";
    } catch (error) {
      fail(error);
    }
  });
  for (const chip of document.querySelectorAll("[data-show]")) {
    chip.addEventListener("click", () => {
      show = chip.dataset.show;
      for (const other of document.querySelectorAll("[data-show]")) other.setAttribute("aria-pressed", String(other === chip));
      all.refilter();
    });
  }
  $("#sign-out").addEventListener("click", () => {
    storageSet(sessionStorage, keyName, undefined);
    location.reload();
  });
}

// --- start --------------------------------------------------------------------------------

/** The key form, and the top bar saying why: no key yet, or one the server refused. */
function askForKey(error) {
  if (live) live.stopped = true;
  who = null;
  $("#console").hidden = true;
  $("#sign-out").hidden = true;
  renderWho();
  $("#key-form").hidden = false;
  page.setConnection(error ? "badkey" : "nokey");
  flash($("#key-error"), error || "", "error");
  $("#key-input").focus();
}

/** "Key: Hilde" in the top bar (owner marked): which key this tab moderates with. */
function renderWho() {
  const el = $("#key-who");
  el.hidden = !who;
  if (who) el.textContent = who.owner ? t("key_who_owner", { name: who.name }) : t("key_who", { name: who.name });
}

/** Ask the server who the key is before anything else: a bad key is told at once. */
async function open() {
  page.setConnection("connecting");
  try {
    who = await request("GET", `${boardPath(slug)}/moderators/me`, { token: key });
  } catch (error) {
    if (error.status === 401 || error.status === 403) {
      storageSet(sessionStorage, keyName, undefined);
      askForKey(error.status === 401 ? t("key_invalid") : t("key_not_moderator"));
      return;
    }
    if (!error.transient) {
      page.setConnection("stopped", error.message);
      page.loadFailed(error);
      return;
    }
    // The network or the server is away for now: the live connection retries on its own,
    // and the keys panel asks who the key is again when it loads.
    who = null;
  }
  renderWho();
  $("#key-form").hidden = true;
  $("#console").hidden = false;
  $("#sign-out").hidden = false;
  live = page.live({
    token: key,
    onPresence: (n) => {
      $("#stat-viewers").textContent = String(n);
    },
    onWelcome: () => flash(message, ""),
    onEvent(event) {
      if (event.kind === "participant.ban") markBanned(event.data.id, true);
      if (event.kind === "moderator.revoke") keys.load();
      audit.soon();
    },
    onFatal(error) {
      if (error.status === 401 || error.status === 403) {
        storageSet(sessionStorage, keyName, undefined);
        askForKey(t("key_invalid"));
      } else {
        page.loadFailed(error);
      }
    },
  });
  // Built once: the key form can open the console again with another key.
  audit = audit || new AuditPanel({ slug, key, state, fail, onBans: (states) => states.forEach((b, id) => markBanned(id, b)) });
  keys = keys || new KeysPanel({ slug, key, fail });
  audit.key = keys.key = key;
  keys.who = who;
  live.start().then(() => {
    refreshParticipants();
    if (live.stopped) return;
    audit.refresh();
    keys.load().then(() => {
      if (!who && keys.who) {
        who = keys.who;
        renderWho();
      }
    });
  });
}

async function main() {
  startPage();
  const found = await page.loadCatalogue();
  if (!found) return;
  catalogue = found;
  goals = byNumber(catalogue);
  chart = mountChart(catalogue);
  wireControls();
  onLocale(() => {
    if (!page.loaded) return;
    renderBoard();
    queue.relabel();
    all.relabel();
    chart.relabel();
    renderStats();
    if (audit) audit.relabel();
    if (keys) keys.relabel();
    renderPending();
    renderWho();
  });
  $("#key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const raw = $("#key-input").value.trim();
    const match = /key=([^&\s]+)/.exec(raw);
    key = match ? decodeURIComponent(match[1]) : raw;
    if (!key) return;
    storageSet(sessionStorage, keyName, key);
    $("#key-input").value = "";
    open();
  });
  if (key) open();
  else askForKey();
}

main();
