// The start page, /: join a board by link or code (the form works without JS too: /join).

import { sdgs } from "./api.js";
import { startPage } from "./common.js";
import { $, h } from "./dom.js";
import { paint } from "./sdg.js";

startPage();
$("#unknown").hidden = !new URLSearchParams(location.search).has("unknown");
sdgs()
  .then((goals) => {
    for (const goal of goals) $("#goal-strip").append(paint(h("span", {}), goal));
  })
  .catch(() => {});
