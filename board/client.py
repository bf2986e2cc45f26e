"""A reference client for the board WebSocket: what the browser pages and `board bench` mirror.

The resume contract, in code:
- Start from the snapshot (`GET /api/boards/{slug}`) and remember its `seq`.
- Connect, send `hello` with `since` = the last seq applied, apply what arrives.
- Messages are one object or an array of objects; apply them in order.
- Events are idempotent upserts keyed by id: an event at or below the last seq is skipped, and
  applying one twice would change nothing anyway.
- On `reset`, reload the snapshot. On `board.reveal` (a blind round revealed, #18), reload it too,
  after a random wait of up to REVEAL_SPREAD (an audience does not ask at once), until it is at
  least as new as the event. On any close or error, reconnect after a random delay between
  0 and min(10 s, 0.25 s × 2^attempt) ("full jitter": 500 phones do not return at once); resume.
  For 30 s after a close with 1012 (the server is restarting) the cap is 1 s instead of 10 s: the
  new process is about to answer, and backing off exponentially would only keep people waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import urllib.request
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, WebSocketException

MAX_BACKOFF = 10.0
RESTART_BACKOFF = 1.0
RESTART_WINDOW = 30.0
CLOSE_RESTART = 1012
REVEAL_SPREAD = 2.0
REVEAL_ATTEMPTS = 8


def reconnect_delay(
    attempt: int, restarting: bool, rng: Callable[[], float] = random.random
) -> float:
    """Seconds to wait before reconnecting: random in [0, min(cap, 0.25 s × 2^attempt)] ("full
    jitter", so thousands of viewers do not return in the same millisecond).

    `attempt` counts failures since the last welcome (1 after the first close). The cap is 10 s,
    but 1 s while `restarting` (within 30 s of a close with 1012, "service restart"): the new
    process is on its way, and backing off exponentially against a closed port would only make
    viewers miss it.
    """
    cap = RESTART_BACKOFF if restarting else MAX_BACKOFF
    return rng() * min(cap, 0.25 * 2.0 ** min(attempt, 16))


class BoardState:
    """A board as one client sees it: built from a snapshot, kept current by events."""

    def __init__(self) -> None:
        self.seq: int | None = None
        self.board: dict[str, Any] = {}
        self.notes: dict[int, dict[str, Any]] = {}
        self.held = 0  # notes a blind round holds: a count, not notes

    def load(self, snapshot: dict[str, Any]) -> None:
        self.board = snapshot["board"]
        self.notes = {note["id"]: note for note in snapshot["notes"]}
        self.held = snapshot.get("held", 0)
        self.seq = snapshot["seq"]

    def apply(self, event: dict[str, Any]) -> bool:
        """Apply one event; returns False when it was already applied."""
        if self.seq is not None and event["seq"] <= self.seq:
            return False
        kind, data = event["kind"], event["data"]
        if kind == "board.upsert":
            self.board = data
        elif kind == "board.held":
            self.held = data["held"]
        elif kind == "board.reveal":  # the notes come with the snapshot `follow` fetches next
            self.board, self.held = data["board"], 0
        elif kind == "note.upsert":
            self.notes[data["id"]] = data
        elif kind == "note.remove":
            self.notes.pop(data["id"], None)
        elif kind == "likes" and data["note_id"] in self.notes:
            self.notes[data["note_id"]]["likes"] = data["likes"]
        elif kind in ("comment.upsert", "comment.remove") and data["note_id"] in self.notes:
            note = self.notes[data["note_id"]]
            kept = [c for c in note["comments"] if c["id"] != data["id"]]
            note["comments"] = [*kept, data] if kind == "comment.upsert" else kept
        self.seq = event["seq"]
        return True


def messages(raw: str | bytes) -> list[dict[str, Any]]:
    """A frame's messages: one object, or an array of them when the server batched."""
    decoded = json.loads(raw)
    return decoded if isinstance(decoded, list) else [decoded]


def fetch_snapshot(base_url: str, slug: str, token: str | None = None) -> dict[str, Any]:
    request = urllib.request.Request(f"{base_url}/api/boards/{slug}")  # noqa: S310
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return dict(json.load(response))


async def reload_after_reveal(
    base_url: str, slug: str, state: BoardState, seq: int, token: str | None = None
) -> None:
    """Load a snapshot at least as new as the `board.reveal` at `seq`, after a random wait of up
    to REVEAL_SPREAD s; a copy a moment older (another process's) is asked for again."""
    await asyncio.sleep(random.uniform(0, REVEAL_SPREAD))  # noqa: S311
    for _ in range(REVEAL_ATTEMPTS):
        snapshot = await asyncio.to_thread(fetch_snapshot, base_url, slug, token)
        if snapshot["seq"] >= seq:
            state.load(snapshot)
            return
        await asyncio.sleep(0.5)
    state.seq = None  # the next connection starts from a snapshot again
    raise TimeoutError("no snapshot as new as the reveal")


async def follow(
    base_url: str,
    slug: str,
    state: BoardState,
    stop: asyncio.Event,
    token: str | None = None,
    on_message: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Keep `state` current until `stop` is set, reconnecting and resuming as often as needed."""
    ws_url = base_url.replace("http", "ws", 1) + f"/ws/boards/{slug}"
    loop = asyncio.get_running_loop()
    attempt = 0
    restart_until = 0.0
    while not stop.is_set():
        try:
            if state.seq is None:
                state.load(await asyncio.to_thread(fetch_snapshot, base_url, slug, token))
            async with connect(ws_url, compression=None, open_timeout=10) as socket:
                await socket.send(json.dumps({"type": "hello", "since": state.seq, "token": token}))
                attempt = 0
                while not stop.is_set():
                    try:
                        raw = await asyncio.wait_for(socket.recv(), 0.5)
                    except TimeoutError:
                        continue
                    for message in messages(raw):
                        if message["type"] == "reset":
                            state.load(
                                await asyncio.to_thread(fetch_snapshot, base_url, slug, token)
                            )
                        elif (
                            message["type"] == "event"
                            and state.apply(message)
                            and message["kind"] == "board.reveal"
                        ):
                            await reload_after_reveal(base_url, slug, state, message["seq"], token)
                        if on_message is not None:
                            on_message(message)
        except (OSError, WebSocketException, TimeoutError) as exc:
            if isinstance(exc, ConnectionClosed) and exc.rcvd and exc.rcvd.code == CLOSE_RESTART:
                restart_until = loop.time() + RESTART_WINDOW
            attempt += 1
            delay = reconnect_delay(attempt, loop.time() < restart_until)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
