// Every string the pages show, in bokmål and English. The board's locale is the default; a
// reader's own choice (the switch on every page) is remembered in localStorage for all boards.

import { storageGet, storageSet } from "./dom.js";

const KEY = "pinboard:locale";
const plural = (one, many) => ({ n }) => (n === 1 ? one : many).replace("{n}", String(n));

const en = {
  app_name: "SDG Pinboard",
  other_language: "Norsk",
  other_language_label: "Bytt til norsk",
  skip_to_notes: "Skip to the notes",
  loading: "Loading the board…",
  load_failed: "Could not load the board: {message}",
  conn_connecting: "Connecting…",
  conn_live: "Live",
  conn_reconnecting: "Reconnecting…",
  conn_offline: "Offline – notes are sent when you are back",
  conn_stopped: "Disconnected: {reason}",
  conn_label: "Connection",
  anonymous: "Anonymous",
  online: plural("1 online", "{n} online"),
  cancel: "Cancel",
  save: "Save",
  edit: "Edit",
  delete: "Delete",
  delete_confirm: "Delete this note?",
  yes_delete: "Yes, delete",
  more: "More",

  join_heading: "Join to post",
  join_name_label: "Your name (optional)",
  join_hint: "Leave it empty to post anonymously.",
  join_button: "Join",
  join_failed: "Could not join: {message}",
  posting_as: "Posting as {name}",
  posting_anonymously: "Posting anonymously",
  erase_me: "Erase my notes and leave",
  erase_confirm: "Erase everything you wrote on this board?",
  yes_erase: "Yes, erase",
  form_heading: "New note",
  body_label: "Your idea",
  body_placeholder: "One concrete step, e.g. zero-emission building sites in all contracts",
  chars: "{n} / 2000 characters",
  link_label: "Link (optional)",
  sdgs_legend: "Sustainable Development Goals",
  sdgs_hint: "Pick one or more.",
  sdgs_required: "Pick at least one.",
  section_label: "Section",
  no_section: "No section",
  color_legend: "Colour",
  color_yellow: "Yellow",
  color_orange: "Orange",
  color_pink: "Pink",
  color_purple: "Purple",
  color_blue: "Blue",
  color_green: "Green",
  color_white: "White",
  post_button: "Post note",
  body_empty: "Write something first.",
  locked_notice: "The board is locked: you can read, but not post.",
  premod_notice: "A moderator approves notes before everyone sees them.",
  sending: "Sending…",
  sending_offline: "Waiting for the network – it will be sent",
  awaiting: "Awaiting approval – only you can see it",
  failed: "Not posted: {message}",
  discard: "Discard",
  retry: "Try again",
  filter_legend: "Filter by goal",
  filter_all: "All goals",
  filter_goal: "Goal {n}: {name}, {count} notes",
  sort_label: "Order",
  sort_newest: "Newest first",
  sort_board: "Board order",
  notes_heading: "Notes",
  count_notes: plural("1 note", "{n} notes"),
  empty: "No notes yet. Be the first!",
  empty_filter: "No notes for the chosen goals yet.",
  pinned: "Pinned",
  like: "Like",
  likes: plural("1 like", "{n} likes"),
  comments: plural("1 comment", "{n} comments"),
  no_comments: "Comment",
  comment_label: "Write a comment",
  comment_send: "Send",
  comment_failed: "Comment not sent: {message}",
  action_failed: "That did not work: {message}",
  version_conflict: "Someone changed the note meanwhile; look again and retry.",
  edit_awaits: "Your change awaits approval.",
  goal: "Goal {n}",
  goals_of_note: "Goals",
  target: "Target {code}",
  targets_of_note: "Targets",
  targets_legend: "Targets (optional)",
  targets_hint: "Narrow your goals down to their targets. The target texts are the UN's English ones.",
  targets_search: "Search the targets",
  targets_placeholder: "e.g. 12.7 or procurement",
  targets_shown: ({ n, total }) => `${n} of ${total} targets shown`,
  targets_none: "No target matches the search.",
  targets_chosen: plural("1 chosen", "{n} chosen"),
  targets_chosen_label: "Chosen targets",
  target_remove: "Remove target {code}",
  filter_targets_legend: "Filter by target",
  filter_target: "Target {code}: {text}, {count} notes",
  chart_bar_drill: "Goal {n}, {name}: {count}. Show its targets",
  chart_targets_title: "Notes per target of goal {n}: {name}",
  chart_targets_label: "Bar chart of notes per target of goal {n}",
  chart_target_bar: "Target {code}: {count}. {text}",
  chart_back: "Back to all goals",
  chart_hint: "Choose a goal's bar to see its targets.",
  link: "Link",
  announce_one: "New note: {text}",
  announce_many: plural("1 new note", "{n} new notes"),
  announce_posted: "Your note is posted.",
  announce_awaiting: "Your note awaits approval.",
  announce_approved: "Your note was approved.",
  sent_count: plural("1 note waiting to be sent", "{n} notes waiting to be sent"),

  mod_title: "Moderator console",
  key_heading: "Moderator key",
  key_label: "Moderator key or moderator link",
  key_button: "Open the console",
  key_invalid: "That key does not open this board.",
  key_hint: "The moderator link carries the key after #key=. It is kept in this browser tab only.",
  forget_key: "Sign out",
  stat_viewers: "Viewers now",
  stat_participants: "Participants",
  stat_notes: "Notes",
  stat_pending: "Awaiting approval",
  settings_heading: "Board settings",
  moderation_legend: "Moderation",
  mode_post: "Publish at once (moderators may hide)",
  mode_pre: "Approve each note before it is published",
  lock: "Lock the board",
  unlock: "Unlock the board",
  locked_state: "The board is locked: participants cannot write.",
  unlocked_state: "The board is open for notes.",
  export: "Download Markdown",
  export_missing: "This server has no Markdown export yet (the route answered 404).",
  export_failed: "Export failed: {message}",
  export_done: "Saved {file}.",
  participant_link: "Participant page",
  presenter_link: "Presenter view",
  sections_heading: "Sections",
  section_title_label: "Name of section {n}",
  rename: "Rename",
  move_up: "Move up",
  move_down: "Move down",
  delete_section: "Delete section",
  new_section_label: "New section",
  add: "Add",
  queue_heading: "Awaiting approval",
  queue_empty: "Nothing is waiting.",
  approve: "Approve",
  reject: "Reject",
  hide: "Hide",
  restore: "Show again",
  pin: "Pin",
  unpin: "Unpin",
  move_to: "Move to section",
  remove_author: "Remove participant and their notes",
  remove_confirm: "Remove {name} and everything they wrote?",
  yes_remove: "Yes, remove",
  status_pending: "Pending",
  status_hidden: "Hidden",
  status_visible: "Visible",
  show_label: "Show",
  show_all: "All",
  show_visible: "Visible",
  show_hidden: "Hidden",
  show_pinned: "Pinned",
  all_notes_heading: "All notes",
  chart_title: "Notes per goal",
  chart_label: "Bar chart of notes per Sustainable Development Goal",
  chart_bar: "Goal {n}, {name}: {count}",

  join_at: "Join at",
  join_code: "Code: {code}",
  qr_label: "QR code that opens {url}",
  slideshow: "Slideshow",
  slideshow_stop: "Back to the wall",
  previous: "Previous",
  next: "Next",
  pause: "Pause",
  play: "Play",
  interval_label: "Seconds per note",
  present_empty: "Notes appear here as they come in.",
  slide_position: "Note {i} of {n}",

  index_heading: "Join a board",
  index_intro:
    "Post ideas during the webinar, tagged with the UN Sustainable Development Goals, and see everyone else's arrive live.",
  index_label: "Board link or code",
  index_button: "Open the board",
  index_unknown: "That is not a board link or code. Check what you were given.",
  index_api: "For developers: the API",
};

const nb = {
  app_name: "SDG Pinboard",
  other_language: "English",
  other_language_label: "Switch to English",
  skip_to_notes: "Hopp til lappene",
  loading: "Henter tavla …",
  load_failed: "Klarte ikke å hente tavla: {message}",
  conn_connecting: "Kobler til …",
  conn_live: "Direkte",
  conn_reconnecting: "Kobler til på nytt …",
  conn_offline: "Frakoblet – lappene sendes når du er på nett igjen",
  conn_stopped: "Frakoblet: {reason}",
  conn_label: "Tilkobling",
  anonymous: "Anonym",
  online: plural("1 pålogget", "{n} pålogget"),
  cancel: "Avbryt",
  save: "Lagre",
  edit: "Rediger",
  delete: "Slett",
  delete_confirm: "Slette denne lappen?",
  yes_delete: "Ja, slett",
  more: "Mer",

  join_heading: "Bli med for å skrive",
  join_name_label: "Navnet ditt (valgfritt)",
  join_hint: "La feltet stå tomt for å skrive anonymt.",
  join_button: "Bli med",
  join_failed: "Klarte ikke å bli med: {message}",
  posting_as: "Du skriver som {name}",
  posting_anonymously: "Du skriver anonymt",
  erase_me: "Slett lappene mine og forlat tavla",
  erase_confirm: "Slette alt du har skrevet på denne tavla?",
  yes_erase: "Ja, slett",
  form_heading: "Ny lapp",
  body_label: "Ideen din",
  body_placeholder: "Ett konkret grep, f.eks. utslippsfrie byggeplasser i alle kontrakter",
  chars: "{n} / 2000 tegn",
  link_label: "Lenke (valgfritt)",
  sdgs_legend: "Bærekraftsmål",
  sdgs_hint: "Velg ett eller flere.",
  sdgs_required: "Velg minst ett.",
  section_label: "Seksjon",
  no_section: "Uten seksjon",
  color_legend: "Farge",
  color_yellow: "Gul",
  color_orange: "Oransje",
  color_pink: "Rosa",
  color_purple: "Lilla",
  color_blue: "Blå",
  color_green: "Grønn",
  color_white: "Hvit",
  post_button: "Publiser lappen",
  body_empty: "Skriv noe først.",
  locked_notice: "Tavla er låst: du kan lese, men ikke skrive.",
  premod_notice: "En moderator godkjenner lappene før alle ser dem.",
  sending: "Sender …",
  sending_offline: "Venter på nett – sendes automatisk",
  awaiting: "Venter på godkjenning – bare du ser den",
  failed: "Ikke publisert: {message}",
  discard: "Forkast",
  retry: "Prøv igjen",
  filter_legend: "Filtrer på mål",
  filter_all: "Alle mål",
  filter_goal: "Mål {n}: {name}, {count} lapper",
  sort_label: "Rekkefølge",
  sort_newest: "Nyeste først",
  sort_board: "Tavlas rekkefølge",
  notes_heading: "Lapper",
  count_notes: plural("1 lapp", "{n} lapper"),
  empty: "Ingen lapper ennå. Bli den første!",
  empty_filter: "Ingen lapper for de valgte målene ennå.",
  pinned: "Festet",
  like: "Liker",
  likes: plural("1 liker", "{n} liker"),
  comments: plural("1 kommentar", "{n} kommentarer"),
  no_comments: "Kommenter",
  comment_label: "Skriv en kommentar",
  comment_send: "Send",
  comment_failed: "Kommentaren ble ikke sendt: {message}",
  action_failed: "Det gikk ikke: {message}",
  version_conflict: "Noen endret lappen i mellomtiden; se på den igjen og prøv på nytt.",
  edit_awaits: "Endringen din venter på godkjenning.",
  goal: "Mål {n}",
  goals_of_note: "Mål",
  target: "Delmål {code}",
  targets_of_note: "Delmål",
  targets_legend: "Delmål (valgfritt)",
  targets_hint: "Snevre inn målene til delmål. Delmålstekstene er FNs engelske.",
  targets_search: "Søk i delmålene",
  targets_placeholder: "f.eks. 12.7 eller procurement",
  targets_shown: ({ n, total }) => `${n} av ${total} delmål vises`,
  targets_none: "Ingen delmål passer til søket.",
  targets_chosen: plural("1 valgt", "{n} valgt"),
  targets_chosen_label: "Valgte delmål",
  target_remove: "Fjern delmål {code}",
  filter_targets_legend: "Filtrer på delmål",
  filter_target: "Delmål {code}: {text}, {count} lapper",
  chart_bar_drill: "Mål {n}, {name}: {count}. Vis delmålene",
  chart_targets_title: "Lapper per delmål i mål {n}: {name}",
  chart_targets_label: "Stolpediagram over lapper per delmål i mål {n}",
  chart_target_bar: "Delmål {code}: {count}. {text}",
  chart_back: "Tilbake til alle mål",
  chart_hint: "Velg et måls stolpe for å se delmålene.",
  link: "Lenke",
  announce_one: "Ny lapp: {text}",
  announce_many: plural("1 ny lapp", "{n} nye lapper"),
  announce_posted: "Lappen din er publisert.",
  announce_awaiting: "Lappen din venter på godkjenning.",
  announce_approved: "Lappen din er godkjent.",
  sent_count: plural("1 lapp venter på å bli sendt", "{n} lapper venter på å bli sendt"),

  mod_title: "Moderatorkonsoll",
  key_heading: "Moderatornøkkel",
  key_label: "Moderatornøkkel eller moderatorlenke",
  key_button: "Åpne konsollen",
  key_invalid: "Nøkkelen passer ikke til denne tavla.",
  key_hint: "Moderatorlenken har nøkkelen etter #key=. Den blir bare lagret i denne fanen.",
  forget_key: "Logg ut",
  stat_viewers: "Seere nå",
  stat_participants: "Deltakere",
  stat_notes: "Lapper",
  stat_pending: "Venter på godkjenning",
  settings_heading: "Innstillinger for tavla",
  moderation_legend: "Moderering",
  mode_post: "Publiser straks (moderator kan skjule)",
  mode_pre: "Godkjenn hver lapp før den publiseres",
  lock: "Lås tavla",
  unlock: "Lås opp tavla",
  locked_state: "Tavla er låst: deltakerne kan ikke skrive.",
  unlocked_state: "Tavla er åpen for lapper.",
  export: "Last ned Markdown",
  export_missing: "Denne serveren har ikke Markdown-eksport ennå (ruten svarte 404).",
  export_failed: "Eksporten feilet: {message}",
  export_done: "Lagret {file}.",
  participant_link: "Deltakersiden",
  presenter_link: "Presentasjonsvisning",
  sections_heading: "Seksjoner",
  section_title_label: "Navn på seksjon {n}",
  rename: "Gi nytt navn",
  move_up: "Flytt opp",
  move_down: "Flytt ned",
  delete_section: "Slett seksjonen",
  new_section_label: "Ny seksjon",
  add: "Legg til",
  queue_heading: "Venter på godkjenning",
  queue_empty: "Ingenting venter.",
  approve: "Godkjenn",
  reject: "Avvis",
  hide: "Skjul",
  restore: "Vis igjen",
  pin: "Fest",
  unpin: "Løsne",
  move_to: "Flytt til seksjon",
  remove_author: "Fjern deltakeren og lappene deres",
  remove_confirm: "Fjerne {name} og alt de har skrevet?",
  yes_remove: "Ja, fjern",
  status_pending: "Venter",
  status_hidden: "Skjult",
  status_visible: "Synlig",
  show_label: "Vis",
  show_all: "Alle",
  show_visible: "Synlige",
  show_hidden: "Skjulte",
  show_pinned: "Festede",
  all_notes_heading: "Alle lapper",
  chart_title: "Lapper per mål",
  chart_label: "Stolpediagram over lapper per bærekraftsmål",
  chart_bar: "Mål {n}, {name}: {count}",

  join_at: "Bli med på",
  join_code: "Kode: {code}",
  qr_label: "QR-kode som åpner {url}",
  slideshow: "Lysbildevisning",
  slideshow_stop: "Tilbake til tavla",
  previous: "Forrige",
  next: "Neste",
  pause: "Pause",
  play: "Spill av",
  interval_label: "Sekunder per lapp",
  present_empty: "Lappene dukker opp her etter hvert som de kommer.",
  slide_position: "Lapp {i} av {n}",

  index_heading: "Bli med på en tavle",
  index_intro:
    "Del ideer under webinaret, merket med FNs bærekraftsmål, og se de andres lapper komme inn direkte.",
  index_label: "Tavlelenke eller kode",
  index_button: "Åpne tavla",
  index_unknown: "Det er ikke en tavlelenke eller kode. Sjekk det du fikk.",
  index_api: "For utviklere: API-et",
};

export const STRINGS = { en, nb };
export const LOCALES = ["nb", "en"];

let current = storageGet(localStorage, KEY, null) || "nb";
const listeners = new Set();

export function locale() {
  return current;
}

/** The text for `key` in the current language, `{name}` placeholders filled from `params`. */
export function t(key, params = {}) {
  const value = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  if (typeof value === "function") return value(params);
  return value.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

/** The board's language applies unless the reader picked one (remembered across boards). */
export function useBoardLocale(boardLocale) {
  if (storageGet(localStorage, KEY, null) === null && LOCALES.includes(boardLocale)) {
    setLocale(boardLocale, false);
  }
}

export function setLocale(next, remember = true) {
  if (!LOCALES.includes(next)) return;
  if (remember) storageSet(localStorage, KEY, next);
  if (next === current && document.documentElement.lang === next) return;
  current = next;
  translate();
  for (const listener of listeners) listener(current);
}

export function onLocale(listener) {
  listeners.add(listener);
}

/** Fill `data-i18n="key"` texts and `data-i18n-attr="attr:key;attr:key"` attributes. */
export function translate(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":");
      el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}

/** Wire a button that switches to the other language. */
export function languageSwitch(button) {
  const render = () => {
    button.textContent = t("other_language");
    button.setAttribute("lang", current === "nb" ? "en" : "nb");
    button.setAttribute("aria-label", t("other_language_label"));
  };
  button.addEventListener("click", () => setLocale(current === "nb" ? "en" : "nb"));
  onLocale(render);
  render();
}

export function formatTime(iso) {
  const date = new Date(iso);
  const tag = current === "nb" ? "nb-NO" : "en-GB";
  const today = new Date().toDateString() === date.toDateString();
  const options = today
    ? { hour: "2-digit", minute: "2-digit" }
    : { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
  return new Intl.DateTimeFormat(tag, options).format(date);
}
