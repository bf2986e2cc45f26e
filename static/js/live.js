// The board WebSocket with the resume contract of docs/websocket.md: load the snapshot, say hello with
// the last seq applied, apply events in order, reload the snapshot on `reset`, and after any
// close reconnect after a random delay in [0, min(10 s, 0.25 s × 2^attempt)] ("full jitter", so
// 500 phones do not all come back in the same millisecond after a restart). For 30 s after a
// close with 1012 (the server is restarting) the cap is 1 s: the new process is about to answer.
// A `board.reveal` (#18) sends every page to the snapshot for the notes a blind round held: after
// a random wait of up to REVEAL_SPREAD_MS, so 5,000 phones do not ask in the same millisecond.

import { snapshot } from "./api.js";

const MAX_BACKOFF_MS = 10_000;
const RESTART_BACKOFF_MS = 1_000;
const RESTART_WINDOW_MS = 30_000;
const POLICY = 1008;
const RESTART = 1012;
const REVEAL_SPREAD_MS = 2_000;
// A snapshot older than the reveal (another process's copy, a moment old) is asked for again.
const REVEAL_RETRY_MS = 500;
const REVEAL_ATTEMPTS = 8;

export class Live {
  /**
   * onStatus(status, detail): "connecting" | "live" | "reconnecting" | "offline" | "stopped".
   * onFatal(error): the snapshot itself was refused (unknown board, bad key): no retrying.
   * onEvent(event): after each new event is applied.
   * helloToken(): the token the hello sends (default: `token`, which the snapshot is asked
   * with); the wall sends its participant token only while a blind round is on.
   * extraNotes(snapshot): notes to add to each snapshot loaded (the wall: its own held notes,
   * which the shared snapshot leaves out).
   */
  constructor({
    slug,
    state,
    token = null,
    helloToken = null,
    extraNotes = null,
    onStatus = () => {},
    onPresence = () => {},
    onWelcome = () => {},
    onFatal = () => {},
    onEvent = () => {},
  }) {
    this.slug = slug;
    this.state = state;
    this.token = token;
    this.helloToken = helloToken || (() => this.token);
    this.extraNotes = extraNotes || (async () => []);
    // The token the open socket said hello with, and a hello again that waits (renew).
    this.saidHello = null;
    this.renewTimer = null;
    this.onStatus = onStatus;
    this.onPresence = onPresence;
    this.onWelcome = onWelcome;
    this.onFatal = onFatal;
    this.onEvent = onEvent;
    this.socket = null;
    this.attempt = 0;
    this.restartUntil = 0;
    this.timer = null;
    this.stopped = false;
    // Messages are handled one after another, also across a snapshot reload.
    this.chain = Promise.resolve();
    this.status = null;
    addEventListener("online", () => this.reconnectNow());
    addEventListener("offline", () => this.setStatus("offline"));
  }

  setStatus(status, detail = "") {
    if (!navigator.onLine && status !== "stopped" && status !== "live") status = "offline";
    if (status === this.status && !detail) return;
    this.status = status;
    this.onStatus(status, detail);
  }

  async start() {
    this.setStatus("connecting");
    if (this.state.seq === null) {
      try {
        await this.reload();
      } catch (error) {
        if (!error.transient) {
          this.stopped = true;
          this.onFatal(error);
          return;
        }
        this.schedule();
        return;
      }
    }
    this.connect();
  }

  async reload() {
    this.state.load(await this.snapshot());
  }

  /** The snapshot, with the notes `extraNotes` adds to it. */
  async snapshot() {
    const loaded = await snapshot(this.slug, this.token);
    const known = new Set(loaded.notes.map((note) => note.id));
    const extra = (await this.extraNotes(loaded)).filter((note) => !known.has(note.id));
    return extra.length ? { ...loaded, notes: [...loaded.notes, ...extra] } : loaded;
  }

  /**
   * After `board.reveal` at `seq`: wait a random moment, then load a snapshot at least that new.
   * Messages that arrive meanwhile wait behind this (the chain), so none is lost or applied to
   * the state the snapshot replaces. Without one, the next connection starts afresh.
   */
  async revealed(seq) {
    await new Promise((done) => setTimeout(done, Math.random() * REVEAL_SPREAD_MS));
    for (let attempt = 0; attempt < REVEAL_ATTEMPTS; attempt += 1) {
      try {
        const loaded = await this.snapshot();
        if (loaded.seq >= seq) {
          this.state.load(loaded);
          return;
        }
      } catch {
        // The network or the server is away for a moment: ask again below.
      }
      await new Promise((done) => setTimeout(done, REVEAL_RETRY_MS));
    }
    this.state.seq = null;
    if (this.socket) this.socket.close();
  }

  /**
   * Say hello again if the token to send has changed (the wall joined, or a blind round began),
   * after a random wait of up to `spreadMs`: a whole audience may be asked at once.
   */
  renew(spreadMs = 0) {
    if (this.stopped || !this.socket || this.saidHello === this.helloToken()) return;
    clearTimeout(this.renewTimer);
    this.renewTimer = setTimeout(() => {
      if (this.stopped || !this.socket || this.saidHello === this.helloToken()) return;
      const old = this.socket;
      this.socket = null;
      old.close();
      this.connect();
    }, Math.random() * spreadMs);
  }

  connect() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = null;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/ws/boards/${this.slug}`);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.saidHello = this.helloToken();
      socket.send(JSON.stringify({ type: "hello", since: this.state.seq, token: this.saidHello }));
    });
    socket.addEventListener("message", (message) => {
      let parsed;
      try {
        parsed = JSON.parse(message.data);
      } catch {
        return;
      }
      const batch = Array.isArray(parsed) ? parsed : [parsed];
      this.chain = this.chain.then(() => this.handle(socket, batch)).catch(() => socket.close());
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (event.code === POLICY) {
        // Bad hello, bad key, banned or a foreign origin: retrying would only repeat it.
        this.stopped = true;
        this.setStatus("stopped", event.reason || String(event.code));
        return;
      }
      if (event.code === RESTART) this.restartUntil = Date.now() + RESTART_WINDOW_MS;
      this.schedule();
    });
  }

  async handle(socket, batch) {
    for (const message of batch) {
      if (this.socket !== socket) return;
      if (message.type === "welcome") {
        this.attempt = 0;
        this.setStatus("live");
        this.onWelcome(message);
      } else if (message.type === "event") {
        // onEvent sees every kind, also those the state ignores (participant.ban, …).
        if (this.state.apply(message)) {
          this.onEvent(message);
          if (message.kind === "board.reveal") await this.revealed(message.seq);
        }
      } else if (message.type === "reset") {
        await this.reload();
      } else if (message.type === "presence") {
        this.onPresence(message.viewers);
      }
    }
  }

  schedule() {
    if (this.stopped || this.timer !== null) return;
    this.setStatus("reconnecting");
    this.attempt += 1;
    const cap = Date.now() < this.restartUntil ? RESTART_BACKOFF_MS : MAX_BACKOFF_MS;
    const delay = Math.random() * Math.min(cap, 250 * 2 ** this.attempt);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.state.seq === null) this.start();
      else this.connect();
    }, delay);
  }

  /** The network came back: try at once instead of waiting out the backoff. */
  reconnectNow() {
    if (this.stopped) return;
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) {
      this.setStatus(this.socket.readyState === WebSocket.OPEN ? "live" : "connecting");
      return;
    }
    clearTimeout(this.timer);
    this.timer = null;
    this.attempt = 0;
    if (this.state.seq === null) this.start();
    else this.connect();
  }
}
