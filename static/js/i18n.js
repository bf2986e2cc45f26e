// Every string the pages show, in bokmål and English. The board's locale is the default; a
// reader's own choice (the switch on every page) is remembered in localStorage for all boards.
//
// The tables are data: static/i18n/{nb,en}.json, one key per text, `{name}` placeholders, and
// {"one": …, "other": …} for a text that depends on a count `n`. tests/test_strings.py checks
// that both have the same keys and placeholders and that every key the pages use exists.

import { storageGet, storageSet } from "./dom.js";

const KEY = "pinboard:locale";

// Both tables load before any module that imports this one runs (top-level await), so `t()`
// stays synchronous and switching language needs no request. Each page's
// <link rel="preload" as="fetch" crossorigin> asks for them alongside its modules; these fetches
// take those copies (the same URL under the versioned prefix, the same CORS mode), so waiting
// here adds no round trip to the first paint.
async function loadTable(name) {
  const response = await fetch(new URL(`../i18n/${name}.json`, import.meta.url));
  if (!response.ok) throw new Error(`${response.url}: HTTP ${response.status}`);
  return response.json();
}

const [en, nb] = await Promise.all([loadTable("en"), loadTable("nb")]);

const STRINGS = { en, nb };
export const LOCALES = ["nb", "en"];

let current = storageGet(localStorage, KEY, null) || "nb";
const listeners = new Set();

export function locale() {
  return current;
}

/** The text for `key` in the current language, `{name}` placeholders filled from `params`; a
 *  count's text in its "one" form when `params.n` is 1, "other" otherwise. */
export function t(key, params = {}) {
  let value = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  if (typeof value === "object") value = params.n === 1 ? value.one : value.other;
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

// Making an Intl.DateTimeFormat costs far more than using one: a board of 1,000 notes spent
// half its card-building time here (#14). One per language and kind, made when first needed.
const timeFormats = new Map();

export function formatTime(iso) {
  const date = new Date(iso);
  const tag = current === "nb" ? "nb-NO" : "en-GB";
  const today = new Date().toDateString() === date.toDateString();
  const key = `${tag} ${today}`;
  if (!timeFormats.has(key)) {
    const options = today
      ? { hour: "2-digit", minute: "2-digit" }
      : { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
    timeFormats.set(key, new Intl.DateTimeFormat(tag, options));
  }
  return timeFormats.get(key).format(date);
}
