// The 17 goals: official colours, numbers and localised names, with a text colour per tile that
// meets WCAG AA (4.5:1) against the goal's colour, computed rather than hard-coded.

import { h } from "./dom.js";
import { locale } from "./i18n.js";

function channel(value) {
  const c = value / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** WCAG relative luminance of a `#rrggbb` colour. */
export function luminance(hex) {
  const n = Number.parseInt(hex.slice(1), 16);
  return 0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255);
}

export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Black or white, whichever contrasts more with `background` (every SDG colour reaches 4.5:1). */
export function textColor(background) {
  return contrast(background, "#ffffff") >= contrast(background, "#000000") ? "#ffffff" : "#000000";
}

export function goalName(goal) {
  return goal.name[locale()] || goal.name.en;
}

/** Paint an element in the goal's colour (through the CSSOM, which CSP allows). */
export function paint(el, goal) {
  el.style.backgroundColor = goal.color;
  el.style.color = textColor(goal.color);
  return el;
}

/**
 * A goal's chip on a card: its number and its name, both shown (#17), in the goal's colour. The
 * list around it is labelled "Goals", so a screen reader reads what a sighted reader sees: "12
 * Ansvarlig forbruk og produksjon". The name wraps inside the chip on a narrow card.
 */
export function goalBadge(goal) {
  return paint(
    h("li", { class: "sdg-badge" }, h("span", { class: "sdg-badge-number" }, String(goal.number)), " ", h("span", { class: "sdg-badge-name" }, goalName(goal))),
    goal,
  );
}

export function byNumber(catalogue) {
  return new Map(catalogue.map((goal) => [goal.number, goal]));
}
