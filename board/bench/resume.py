"""Viewers that follow the resume contract (docs/websocket.md), for the restart scenario.

The contract: keep the last seq applied; after any close or failed connect wait
`reconnect_delay(attempt, restarting)` and say hello again with `since` = that seq; on `reset`,
reload the snapshot. A follower is one asyncio.Protocol reused for each of its connections: no
task while connected, a short one per connect. It scans frames for `"seq":N` and note markers,
never decoding JSON, and counts each marker it sees: 0 at the end is a gap, 2 a duplicate.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable
from typing import cast

from ..client import CLOSE_RESTART, RESTART_WINDOW, reconnect_delay
from .wire import (
    CLOSE,
    EVENT_SEQ,
    MARKER,
    PING,
    RESET,
    TEXT,
    close_code,
    frames,
    handshake,
    masked_close,
    masked_pong,
    masked_text_frame,
    upgrade_request,
)

CONNECT_TIMEOUT = 10.0  # s


class Watch:
    """What all followers share: the moment of the SIGTERM, who has resumed since, counts."""

    def __init__(self, viewers: int) -> None:
        self.viewers = viewers
        self.sigterm: float | None = None
        self.resumed = 0
        self.all_resumed = asyncio.Event()
        self.close_codes: Counter[int] = Counter()
        self.failed_connects: Counter[str] = Counter()
        self.connects = 0  # attempts after the SIGTERM
        self.tasks: set[asyncio.Task[None]] = set()  # connects under way (the loop keeps weak refs)


class Follower(asyncio.Protocol):
    """One viewer for the whole run, across connections (the protocol object is reused)."""

    def __init__(
        self,
        host: str,
        port: int,
        path: str,
        since: int,
        notes: int,
        watch: Watch,
        reload: Callable[[Follower], object],
    ) -> None:
        self.host, self.port, self.path = host, port, path
        self.last_seq = since
        self.seen = bytearray(notes)  # how often each note's marker arrived (caps at 255)
        self.watch, self.reload = watch, reload
        self.attempt = 0
        self.restarting_until = 0.0
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False
        self.closed_with: int | None = None
        self.welcomed = asyncio.get_running_loop().create_future()  # the first welcome
        self.resumed_at: float | None = None  # the first welcome after the SIGTERM
        self.resets = 0
        self.stopped = False

    def connect(self) -> None:
        if not self.stopped:
            if self.watch.sigterm is not None:
                self.watch.connects += 1
            task = asyncio.get_running_loop().create_task(self._connect())
            self.watch.tasks.add(task)
            task.add_done_callback(self.watch.tasks.discard)

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(
                loop.create_connection(lambda: self, self.host, self.port), CONNECT_TIMEOUT
            )
        except (OSError, TimeoutError) as exc:
            self.watch.failed_connects[type(exc).__name__] += 1
            self._again()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop's is not an asyncio.Transport
        self.transport, self.upgraded, self.closed_with = transport, False, None
        self.buffer.clear()
        transport.write(upgrade_request(f"{self.host}:{self.port}", self.path))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            status = handshake(self.buffer)
            if status is None:
                return
            if status != 101:
                self.watch.failed_connects[f"HTTP {status}"] += 1
                if self.transport is not None:
                    self.transport.close()
                return
            self.upgraded = True
            hello = {"type": "hello", "since": self.last_seq, "token": None}
            self._write(masked_text_frame(json.dumps(hello).encode()))
        for opcode, payload in frames(self.buffer):
            if opcode == TEXT:
                self._text(payload)
            elif opcode == PING:
                self._write(masked_pong(payload))
            elif opcode == CLOSE:
                self.closed_with = code = close_code(payload)
                if code == CLOSE_RESTART:
                    self.restarting_until = time.monotonic() + RESTART_WINDOW
                self._write(masked_close(code))
                if self.transport is not None:
                    self.transport.close()

    def _text(self, payload: bytes) -> None:
        if b'"welcome"' in payload:
            self.attempt = 0
            if not self.welcomed.done():
                self.welcomed.set_result(None)
            watch = self.watch
            if watch.sigterm is not None and self.resumed_at is None:
                self.resumed_at = time.perf_counter()
                watch.resumed += 1
                if watch.resumed == watch.viewers:
                    watch.all_resumed.set()
        for found in EVENT_SEQ.findall(payload):
            self.last_seq = max(self.last_seq, int(found))
        seen = self.seen
        for found in MARKER.findall(payload):
            number = int(found)
            if number < len(seen) and seen[number] < 255:
                seen[number] += 1
        if RESET in payload:
            self.resets += 1
            self.reload(self)

    def snapshot(self, body: bytes, seq: int) -> None:
        """A reloaded snapshot: its notes count as seen (once), its seq as applied."""
        for found in MARKER.findall(body):
            number = int(found)
            if number < len(self.seen) and not self.seen[number]:
                self.seen[number] = 1
        self.last_seq = max(self.last_seq, seq)

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.watch.sigterm is not None and self.upgraded:
            self.watch.close_codes[self.closed_with or 1006] += 1
        self._again()

    def _again(self) -> None:
        if self.stopped:
            return
        self.attempt += 1
        restarting = time.monotonic() < self.restarting_until
        delay = reconnect_delay(self.attempt, restarting)
        asyncio.get_running_loop().call_later(delay, self.connect)

    def stop(self) -> None:
        self.stopped = True
        if self.transport is not None:
            self.transport.abort()
