// The 17 goals: official colours, numbers and localised names, with a text colour per tile that
// meets WCAG AA (4.5:1) against the goal's colour, computed rather than hard-coded.

import { s } from "./dom.js";
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

export function byNumber(catalogue) {
  return new Map(catalogue.map((goal) => [goal.number, goal]));
}

/** A horizontal SVG bar chart of notes per goal, in official colours; `update(counts)` redraws
 *  only the bars (no new elements per event). */
export function barChart(catalogue, label) {
  const rowHeight = 22;
  const width = 300;
  const labelWidth = 34;
  const height = catalogue.length * rowHeight;
  const svg = s("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "chart",
    role: "img",
    "aria-label": label,
  });
  const title = s("title", {}, label);
  svg.append(title);
  const bars = new Map();
  catalogue.forEach((goal, index) => {
    const y = index * rowHeight;
    const tag = s("rect", { x: 0, y: y + 2, width: labelWidth - 4, height: rowHeight - 4, rx: 3 });
    tag.style.fill = goal.color;
    const number = s(
      "text",
      { x: (labelWidth - 4) / 2, y: y + rowHeight / 2 + 1, class: "chart-number" },
      String(goal.number),
    );
    number.style.fill = textColor(goal.color);
    const bar = s("rect", { x: labelWidth, y: y + 3, width: 0, height: rowHeight - 6, rx: 2 });
    bar.style.fill = goal.color;
    const count = s("text", { x: labelWidth + 4, y: y + rowHeight / 2 + 1, class: "chart-count" }, "0");
    const group = s("g", { class: "chart-row" }, s("title", {}, ""), tag, number, bar, count);
    svg.append(group);
    bars.set(goal.number, { goal, group, bar, count });
  });
  return {
    svg,
    update(counts, describe) {
      const max = Math.max(1, ...counts.values());
      const room = width - labelWidth - 30;
      for (const [number, { goal, group, bar, count }] of bars) {
        const value = counts.get(number) || 0;
        const barWidth = Math.round((value / max) * room);
        bar.setAttribute("width", String(barWidth));
        count.setAttribute("x", String(labelWidth + barWidth + 4));
        count.textContent = String(value);
        group.firstChild.textContent = describe(goal, value);
      }
      title.textContent = label;
    },
    relabel(next) {
      label = next;
      svg.setAttribute("aria-label", next);
    },
  };
}
