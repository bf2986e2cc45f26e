"""A viewer on the live WebSocket that resumes from the last seq it applied (docs/websocket.md,
the resume contract), recording each connection so a test can compare it with the log.

It speaks as a browser page does: an `Origin` of the page's own site, the hello first, frames
that hold one message or an array of them.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

OPEN_TIMEOUT = 5.0


@dataclass
class Session:
    """One connection: the `since` it said hello with and what came back."""

    since: int
    welcome_seq: int | None = None
    seqs: list[int] = field(default_factory=list)  # every event's seq, in arrival order
    reset: bool = False

    def replayed(self) -> list[int]:
        """The seqs of the replay: events the board had when the viewer was welcomed."""
        assert self.welcome_seq is not None
        return [seq for seq in self.seqs if seq <= self.welcome_seq]


def messages(frame: str | bytes) -> list[dict[str, Any]]:
    """A frame's messages: one object, or an array of them in order."""
    decoded = json.loads(frame)
    return decoded if isinstance(decoded, list) else [decoded]


class ResumingViewer:
    """Applies note events to its copy of the board and keeps the last seq it applied."""

    def __init__(self, url: str, slug: str, snapshot: dict[str, Any]) -> None:
        self.ws_url = f"ws{url.removeprefix('http')}/ws/boards/{slug}"
        self.origin = url  # the page's own origin, as a browser would send it
        self.notes: dict[int, dict[str, Any]] = {n["id"]: n for n in snapshot["notes"]}
        self.last_seq = int(snapshot["seq"])
        self.sessions: list[Session] = []
        self.welcomed = asyncio.Event()  # set by each welcome; cleared when a session starts

    async def follow(self) -> Session:
        """One connection from hello to its end (a kill, or the task cancelled)."""
        session = Session(since=self.last_seq)
        self.sessions.append(session)
        self.welcomed.clear()
        opening = connect(self.ws_url, origin=self.origin, open_timeout=OPEN_TIMEOUT)  # type: ignore[arg-type]
        async with opening as ws:
            await self.hello(ws, session.since)
            try:
                async for frame in ws:
                    for message in messages(frame):
                        self.apply(session, message)
            except ConnectionClosed:
                pass  # a SIGKILL ends the connection without a close frame
        return session

    async def hello(self, ws: ClientConnection, since: int) -> None:
        await ws.send(json.dumps({"type": "hello", "since": since, "token": None}))

    def apply(self, session: Session, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "welcome":
            session.welcome_seq = int(message["seq"])
            self.welcomed.set()
        elif kind == "reset":
            session.reset = True  # the test decides what a reset means; no reload here
        elif kind == "event":
            seq = int(message["seq"])
            session.seqs.append(seq)
            # Applied even when not above the last seq: the test checks that none is.
            self.last_seq = max(self.last_seq, seq)
            data = message["data"]
            if message["kind"] == "note.upsert":
                self.notes[data["id"]] = data
            elif message["kind"] == "note.remove":
                self.notes.pop(data["id"], None)
