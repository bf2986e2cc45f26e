// The start-up the three board pages share (wall, moderator console, presenter view): the
// board's state, the message area, the announcer, the connection and viewer indicators, the SDG
// catalogue and the live connection, each wired the same way. What differs stays in the page.

import { sdgs } from "./api.js";
import { Announcer } from "./announce.js";
import { connectionIndicator, flash } from "./common.js";
import { $, slugFromPath } from "./dom.js";
import { t, useBoardLocale } from "./i18n.js";
import { Live } from "./live.js";
import { GoalCounts } from "./notes.js";
import { BoardState } from "./state.js";

export class BoardPage {
  constructor() {
    this.slug = slugFromPath();
    this.state = new BoardState();
    this.counts = new GoalCounts();
    this.message = $("#message");
    this.announcer = new Announcer($("#announcer"));
    this.setConnection = connectionIndicator($("#connection"));
    // True once the first snapshot has been drawn: until then there is nothing to relabel.
    this.loaded = false;
    this.viewers = null;
  }

  /**
   * Draw every change of the board's state: `handlers[change.type](change)` for "load",
   * "board", "note", "remove", "likes" and "comments"; a page leaves out what it does not show.
   * Before the first "load" is drawn the board's language applies (unless the reader picked
   * one). `ready()` false: the change is not drawn (the state keeps it); the page draws a
   * "load" itself once ready, through the function returned.
   */
  follow(handlers, ready = () => true) {
    const draw = (change) => {
      if (!ready()) return;
      if (change.type === "load") {
        if (!this.loaded) useBoardLocale(this.state.board.locale);
        this.loaded = true;
      }
      const handler = handlers[change.type];
      if (handler) handler(change);
    };
    this.state.subscribe(draw);
    return draw;
  }

  /** The board's title in the tab and the heading, and its description under it. */
  renderHeading() {
    const board = this.state.board;
    document.title = `${board.title} · SDG Pinboard`;
    $("#board-title").textContent = board.title;
    const description = $("#board-description");
    description.textContent = board.description;
    description.hidden = !board.description;
  }

  /** "n online" in the top bar; empty until the server has said. */
  renderViewers() {
    $("#viewers").textContent = this.viewers === null ? "" : t("online", { n: this.viewers });
  }

  /** The board could not be shown: say why in the message area. */
  loadFailed(error) {
    flash(this.message, t("load_failed", { message: error.message }), "error");
  }

  /** The SDG catalogue, or null once `loadFailed` has said why there is none. */
  async loadCatalogue() {
    try {
      return await sdgs();
    } catch (error) {
      this.loadFailed(error);
      return null;
    }
  }

  /** The live connection to this board; `options` add to or replace the shared wiring. */
  live(options = {}) {
    return new Live({
      slug: this.slug,
      state: this.state,
      onStatus: this.setConnection,
      onPresence: (n) => {
        this.viewers = n;
        this.renderViewers();
      },
      onFatal: (error) => this.loadFailed(error),
      ...options,
    });
  }
}
