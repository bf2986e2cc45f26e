// QR codes made in the browser from the vendored encoder: no external service sees the link.

import { s } from "./dom.js";
import { encode } from "../vendor/uqr/uqr.js";

/** An SVG QR code for `text`, drawn as one path (quiet zone of 4 modules). */
export function qrSvg(text, label) {
  const { data, size } = encode(text, { ecc: "M", border: 4 });
  let path = "";
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (data[y][x]) path += `M${x} ${y}h1v1h-1z`;
    }
  }
  const svg = s(
    "svg",
    { viewBox: `0 0 ${size} ${size}`, class: "qr", role: "img", "aria-label": label, "shape-rendering": "crispEdges" },
    s("title", {}, label),
    s("rect", { width: size, height: size, class: "qr-light" }),
    s("path", { d: path, class: "qr-dark" }),
  );
  return svg;
}
