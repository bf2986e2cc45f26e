// Building DOM without innerHTML: strings always become text nodes, never markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function assign(el, props) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.setAttribute("class", value);
    } else if (key === "text") {
      el.textContent = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "value" || key === "checked" || key === "disabled" || key === "hidden") {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
}

function add(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: `h("button", {class: "x", onclick}, "text", child)`. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  assign(el, props);
  add(el, children);
  return el;
}

/** An SVG element, same shape as `h`. */
export function s(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  assign(el, props);
  add(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

/** Only http(s) links are ever made clickable: no javascript:, data: or relative tricks. */
export function safeUrl(raw) {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** Random id for a note's client_id: works on plain http too (randomUUID needs a secure page). */
export function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function storageGet(store, key, fallback) {
  try {
    const raw = store.getItem(key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

export function storageSet(store, key, value) {
  try {
    if (value === undefined) store.removeItem(key);
    else store.setItem(key, JSON.stringify(value));
  } catch {
    // Private mode or a full quota: the page still works, it just forgets on reload.
  }
}

/** The board slug from `/b/{slug}…`. */
export function slugFromPath() {
  const match = /^\/b\/([a-z0-9][a-z0-9-]{0,63})(?:\/|$)/.exec(location.pathname);
  return match ? match[1] : null;
}

let lastId = 0;

/** A fresh element id (the same note can have a card in two lists, so ids cannot be its id). */
export function uid(prefix) {
  lastId += 1;
  return `${prefix}-${lastId}`;
}
