// What every board page shares: the language switch, the connection indicator, messages.

import { $, storageGet, storageSet } from "./dom.js";
import { languageSwitch, onLocale, t, translate } from "./i18n.js";

export function startPage() {
  translate();
  const button = $("#language");
  if (button) languageSwitch(button);
}

/** The connection indicator: a dot and a word, read out politely when the state changes. */
export function connectionIndicator(el) {
  let state = "connecting";
  let detail = "";
  const text = el.querySelector(".connection-text");
  const render = () => {
    el.dataset.state = state;
    text.textContent = state === "stopped" ? t("conn_stopped", { reason: detail }) : t(`conn_${state}`);
  };
  onLocale(render);
  render();
  return (next, why = "") => {
    state = next;
    detail = why;
    render();
  };
}

/** A short message in a page's message area (role=alert for errors, status otherwise). */
export function flash(el, text, kind = "info") {
  el.textContent = text;
  el.dataset.kind = kind;
  el.hidden = !text;
  el.setAttribute("role", kind === "error" ? "alert" : "status");
}

/**
 * The moderator key for this board in this tab. A key that arrives in the URL fragment
 * (#key=…), which browsers never send to a server, is moved to sessionStorage (this tab only)
 * and taken out of the address bar, so it does not linger in history, screenshots or a shared
 * screen. Used by the console and by the presenter view opened with a key.
 */
export function moderatorKey(slug) {
  const name = `pinboard:moderator:${slug}`;
  const match = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (!match) return storageGet(sessionStorage, name, null);
  const found = decodeURIComponent(match[1]);
  storageSet(sessionStorage, name, found);
  history.replaceState(null, "", location.pathname + location.search);
  return found;
}
