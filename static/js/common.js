// What every board page shares: the language switch, the connection indicator, messages.

import { $ } from "./dom.js";
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
