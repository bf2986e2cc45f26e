"""Live fan-out: per-board channels that deliver committed events in `seq` order to WebSockets.

Everything here runs on the event loop (`Handoff` brings commits to it). A channel delivers
each `seq` exactly once and in order: duplicates (our own events echoed by Redis) are dropped,
and a jump means some events went past us (Redis was down, or two writer threads published out
of order), so the channel reads the missing ones from the database, the source of truth, before
going on.

Each event is encoded once per role (moderator, everyone else) and serialised into one frame
that every writable socket gets as it is. An event whose public view is one participant's alone
(`Committed.private_to`: their note, held by a blind round) goes to the moderators and to that
participant's sockets, and is replayed, from memory or from the log, by the same rule.

Each client has a bounded queue that only fills while its socket cannot take more; a client
whose socket stops reading fills only its own queue, and is then closed with 1013 (it resumes
from its last seq).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.websockets import WebSocketDisconnect
from websockets.frames import Frame, Opcode

from board import metrics
from board.internals import asyncio_private
from board.store.events import PAGE_SIZE, Committed

log = logging.getLogger("board.live.hub")

# Presence goes out at most once a second per board: joins in a burst do not flood everyone.
PRESENCE_INTERVAL = 1.0
# Messages per frame when several are waiting: batching saves per-frame cost, the cap keeps
# frames small enough for a phone to parse without a hitch.
MAX_BATCH = 200
# A fan-out to every socket of a board that took longer than this holds the next one back as
# long again: with thousands of sockets and a hundred notes a second, a send per note per socket
# leaves the loop little time to accept the notes (board bench --burst). Held back, the notes of
# those milliseconds leave as one frame, and the fan-out takes at most half the loop. A quiet
# board, or a small one, still sends every event at once.
COSTLY_FLUSH = 0.002
# What a channel keeps of the events it delivered lately, encoded, so that a viewer resuming a
# little behind replays from memory instead of reading the database: every new page (its
# snapshot is up to a few seconds older than the board, snapshots.py) and every page after a
# restart. 5,000 arrivals a minute each reading their replay cost a third of the server's time.
RECENT_EVENTS = 500
RECENT_SECONDS = 60.0
# Removals may come from an erasure, which rewrites the past events that carried the erased
# text (events.rewrite_as_removed): what was kept from before one is forgotten.
REWRITES_HISTORY = {"note.remove", "comment.remove"}
CLOSE_TOO_SLOW = 1013
# "Service restart" (RFC 6455 registry): sent on SIGTERM, so clients retry within a second
# rather than backing off exponentially against a port that is about to open again.
CLOSE_RESTART = 1012
CLOSE_POLICY = 1008
# Events that end someone's access: their sockets close at once, in every process.
ENDS_ACCESS = {"participant.ban": "participant", "moderator.revoke": "moderator"}
# Events that send every client to the snapshot (their replay cannot carry what changed: the
# notes a blind round held): a snapshot from before one must not be served (web/snapshots.py).
SNAPSHOT_BARRIERS = {"board.reveal"}


def private_who(private_to: int | None) -> str | None:
    """Whose sockets (`Client.who`) get an event's public view meant for one participant."""
    return None if private_to is None else f"participant:{private_to}"


class Handoff:
    """Committed events from the database threads to the event loop, one loop turn at a time.

    A writer calls `put` after each commit. Whatever commits while the loop is busy waits for
    one callback that delivers it all at once, so a busy loop sends each client one frame for
    many commits instead of one frame per commit; an idle loop still delivers each at once.
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, deliver: Callable[[list[Committed]], None]
    ) -> None:
        self._loop = loop
        self._deliver = deliver
        self._lock = threading.Lock()
        self._waiting: list[Committed] = []

    def put(self, events: list[Committed]) -> None:
        """Called from any thread, in commit order."""
        with self._lock:
            first = not self._waiting
            self._waiting.extend(events)
        if first:
            self._loop.call_soon_threadsafe(self._take)

    def _take(self) -> None:
        with self._lock:
            events, self._waiting = self._waiting, []
        self._deliver(events)


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


@functools.lru_cache(maxsize=8)
def text_frame(text: str) -> bytes:
    """`text` as a WebSocket text frame (a server's: unmasked, uncompressed). Cached: an event
    goes to thousands of clients in a row, and is serialised once for all of them."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


class Tally:
    """What the fan-out sent since it last reported to the metrics, in plain integers.

    A prometheus_client `inc()` takes a lock (and in multi-process mode writes a memory-mapped
    file): once per socket per frame, that would be a cost of the fan-out per viewer. Sockets
    add to these integers instead, and `report()` hands them over once per fan-out, once per
    welcome and once per send that had to wait (board bench with metrics on: docs/performance.md).
    One per process (`TALLY`): everything here runs on the event loop.
    """

    __slots__ = ("deepest", "events", "frames", "sent")

    def __init__(self) -> None:
        self.events = 0  # events delivered to a channel
        self.frames = 0  # frames written to sockets
        self.sent = 0  # their bytes
        # The deepest queue a message was added to: the queue-depth histogram's sample.
        self.deepest = 0

    def report(self) -> None:
        if self.frames:
            metrics.frames_sent.inc(self.frames)
            metrics.bytes_sent.inc(self.sent)
            self.frames = self.sent = 0
        if self.events:
            metrics.live_events.inc(self.events)
            self.events = 0
        if self.deepest:
            metrics.queue_depth.observe(self.deepest)
            self.deepest = 0


TALLY = Tally()


def frame_size(text: str) -> int:
    """The bytes of `text` as a server's text frame (what the ASGI send writes)."""
    size = len(text.encode())
    return size + (2 if size < 126 else 4 if size < 65536 else 10)


class Client:
    """One WebSocket's outbox: encoded messages not yet sent, at most `limit` of them."""

    def __init__(
        self,
        send: Callable[[str], Awaitable[None]],
        moderator: bool,
        limit: int,
        who: str | None = None,
        write: Callable[[bytes], bool] | None = None,
    ) -> None:
        self.send = send
        # Writes a ready frame straight to the socket when it can take it now (see
        # internals.uvicorn_private.FrameWriter); None where the server offers no such access.
        self.write = write
        self.moderator = moderator
        # Whose access this socket rides on ("participant:12", "moderator:3"), if anyone's.
        self.who = who
        self.limit = limit
        # Events at or below the floor were part of the replay; live copies of them are skipped.
        self.floor = -1
        # A list, not a deque: an empty deque costs 600 bytes, times ten thousand sockets.
        self.queue: list[tuple[int | None, str]] = []
        # The send that is waiting for the socket to drain, if any.
        self.sending: asyncio.Task[None] | None = None
        # Nothing is sent until the endpoint has queued the welcome and the replay in front.
        self.held = True
        # True once the server ends this connection: too slow (1013) or shutting down (1012).
        self.stopped = False
        # The endpoint's task while it waits for the client to leave; stop() interrupts it.
        self.waiting: asyncio.Task[Any] | None = None
        # Resolved by the endpoint once the socket is closed.
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.close_code = 1000
        self.close_reason = ""

    def push(self, seq: int | None, text: str) -> None:
        """Queue a message; `flush()` sends it."""
        if self.stopped or (seq is not None and seq <= self.floor):
            return
        depth = len(self.queue)
        if depth >= self.limit:
            self.stop(CLOSE_TOO_SLOW, "too slow: resume from your last seq")
            return
        self.queue.append((seq, text))
        if depth >= TALLY.deepest:
            TALLY.deepest = depth + 1

    def stop(self, code: int, reason: str) -> None:
        if not self.stopped:
            self.close_code, self.close_reason = code, reason
            self.queue.clear()
            self.stopped = True
            if self.waiting is not None:
                self.waiting.cancel()

    def flush(self) -> None:
        """Send what is queued: one message alone, several as one JSON array (adaptive batching).

        A task per client per event would cost a wake-up each; instead the send coroutine is
        stepped right here, and it usually finishes at once because the socket takes the frame.
        Only when the socket is not writable does the rest of that send become a task; messages
        arriving meanwhile gather in the queue and go out together once it is done.
        """
        while self.queue and self.sending is None and not self.held:
            texts = [text for _, text in self.queue[:MAX_BATCH]]
            del self.queue[:MAX_BATCH]
            text = texts[0] if len(texts) == 1 else "[" + ",".join(texts) + "]"
            if self.write is not None and self.write(frame := text_frame(text)):
                TALLY.frames += 1
                TALLY.sent += len(frame)
                continue
            # Counted when handed to the send, which finishes it unless the socket goes.
            TALLY.frames += 1
            TALLY.sent += frame_size(text)
            sending = self.send(text)
            try:
                waiting_for = sending.send(None)  # type: ignore[attr-defined]
            except StopIteration:
                continue
            except (OSError, RuntimeError, WebSocketDisconnect):
                self.queue.clear()  # the socket went away; its reader cleans up
                return
            self.sending = asyncio.ensure_future(self._finish(sending, waiting_for))

    async def _finish(self, sending: Any, waiting_for: Any) -> None:
        """Drive a send that had to wait, as a task would, then send what queued up meanwhile."""
        try:
            while True:
                if waiting_for is None:
                    await asyncio.sleep(0)  # a bare yield: just let the loop run once
                else:
                    # The future the send is blocked on (the socket becoming writable), which
                    # this coroutine now awaits in the send's place.
                    await asyncio_private.take_over(waiting_for)
                try:
                    waiting_for = sending.send(None)
                except StopIteration:
                    break
        except (OSError, RuntimeError, WebSocketDisconnect):
            self.queue.clear()
            return
        finally:
            self.sending = None
        self.flush()
        TALLY.report()


class Channel:
    """The live state of one board in this process."""

    def __init__(self, board_id: int, hub: Hub) -> None:
        self.board_id = board_id
        self.hub = hub
        self.clients: set[Client] = set()
        self.seq: int | None = None  # last delivered; None until the first client's read
        # The seq that read started the channel at: no event up to it passed through it.
        self.started: int | None = None
        self.pending: dict[int, Committed] = {}
        self.catching_up: asyncio.Task[None] | None = None
        self.recheck = False
        self.presence_due = False
        self.presence_sent = -1
        # No fan-out starts before this loop time (see COSTLY_FLUSH); the one scheduled for it.
        self.flush_at = 0.0
        self.flush_timer: asyncio.TimerHandle | None = None
        # (seq, when delivered, public text or None, text for moderators, whose alone the public
        # text is or None: everyone's), every seq from the first one kept up to self.seq: see
        # RECENT_EVENTS.
        self.recent: deque[tuple[int, float, str | None, str, str | None]] = deque(
            maxlen=RECENT_EVENTS
        )
        # The seq of the last SNAPSHOT_BARRIERS event delivered, 0 before any.
        self.barrier = 0

    def start_at(self, seq: int) -> None:
        """Set the starting point from a database read, if no other client set it first."""
        if self.seq is None:
            self.seq = self.started = seq
            self._drain()

    def replay(
        self, since: int | None, moderator: bool, limit: int, who: str | None = None
    ) -> list[str] | None:
        """The encoded events after `since` for a client that joined this channel (whose access
        is `who`), from memory; None when they are not all here (the database must answer: a
        replay, or a reset). The rule is the log's (`events.since`): a public view meant for
        one participant goes to them alone."""
        if self.seq is None or (since is not None and since > self.seq):
            return None
        if since is None or since == self.seq:
            return []
        now = time.monotonic()
        while self.recent and self.recent[0][1] < now - RECENT_SECONDS:
            self.recent.popleft()
        if self.seq - since > limit or not self.recent or self.recent[0][0] > since + 1:
            return None
        kept = itertools.islice(self.recent, since + 1 - self.recent[0][0], None)
        if moderator:
            return [moderator_text for _, _, _, moderator_text, _ in kept]
        return [
            text
            for _, _, text, _, only in kept
            if text is not None and (only is None or only == who)
        ]

    def receive(self, events: list[Committed]) -> None:
        """Deliver events in seq order, all that are ready in one go (one frame per client)."""
        for event in events:
            # Skip what was delivered already: our own event echoed back, a catch-up overlap.
            if self.seq is None or event.seq > self.seq:
                self.pending[event.seq] = event
        self._drain()

    def _drain(self) -> None:
        if self.seq is None:
            return
        delivered = False
        while (event := self.pending.pop(self.seq + 1, None)) is not None:
            self._deliver(event)
            delivered = True
        if delivered:
            # Once all ready events are queued: a backlog leaves as one frame per client.
            self._flush()
        for stale in [s for s in self.pending if s <= self.seq]:
            del self.pending[stale]
        if self.pending and self.catching_up is None:
            self.catch_up()

    def _flush(self) -> None:
        """Send what the clients have queued: now, or once a costly fan-out's pause is over."""
        if self.flush_timer is not None:
            return  # the fan-out already scheduled takes this along
        loop = asyncio.get_running_loop()
        wait = self.flush_at - loop.time()
        if wait > 0:
            self.flush_timer = loop.call_later(wait, self._flush_now)
        else:
            self._flush_now()

    def _flush_now(self) -> None:
        self.flush_timer = None
        started = time.monotonic()
        for client in self.clients:
            client.flush()
        took = time.monotonic() - started
        TALLY.report()
        loop_now = asyncio.get_running_loop().time()  # the loop's clock may not be monotonic()
        self.flush_at = loop_now + took if took > COSTLY_FLUSH else 0.0

    def catch_up(self) -> None:
        """Compare with the database soon; a catch-up already running looks once more."""
        self.recheck = True
        if self.catching_up is None and self.seq is not None:
            self.catching_up = asyncio.create_task(self._catch_up())

    async def _catch_up(self) -> None:
        """Read what we missed from the database and deliver it, until no gap is left."""
        empty_reads = 0
        try:
            while self.seq is not None:
                self.recheck = False
                missed = await self.hub.read_after(self.board_id, self.seq)
                # Those that had come neither live nor from an earlier read.
                if filled := sum(
                    1 for e in missed if e.seq > (self.seq or 0) and e.seq not in self.pending
                ):
                    metrics.gap_fills.inc(filled)
                self.receive(missed)
                if len(missed) == PAGE_SIZE or self.recheck:
                    continue
                if not self.pending:
                    break
                # A published seq implies every lower one is committed (see events.next_seq), so
                # an unreadable gap should not happen; never let it stall the board, though.
                empty_reads += 1
                if empty_reads > 20:
                    log.warning(
                        "board %s: events after %s never appeared; skipping ahead",
                        self.board_id,
                        self.seq,
                    )
                    self.seq = min(self.pending) - 1
                    self.recent.clear()  # what it keeps must run without a gap up to seq
                    self._drain()
                    break
                await asyncio.sleep(0.05)
        except Exception:
            log.exception("board %s: catching up failed; the next event retries", self.board_id)
        finally:
            self.catching_up = None

    def _deliver(self, event: Committed) -> None:
        self.seq = event.seq
        TALLY.events += 1
        if event.kind in ENDS_ACCESS:
            who = f"{ENDS_ACCESS[event.kind]}:{event.data['id']}"
            for client in self.clients:
                if client.who == who:
                    client.stop(CLOSE_POLICY, "access revoked")
        if event.kind in SNAPSHOT_BARRIERS:
            self.barrier = event.seq
        # Both views are encoded whoever is connected now: the replays from memory need them.
        # A private one is the public view, meant for one participant: the same single encode.
        only = private_who(event.private_to)
        public, full = event.view(False, event.private_to), event.view(True)
        assert full is not None  # moderators see every event
        text = encode(public) if public is not None else None
        moderator_text = encode(full)
        if event.kind in REWRITES_HISTORY:
            self.recent.clear()
        self.recent.append((event.seq, time.monotonic(), text, moderator_text, only))
        if only is None:
            for client in self.clients:
                if client.moderator:
                    client.push(event.seq, moderator_text)
                elif text is not None:
                    client.push(event.seq, text)
            return
        # About a held note: nobody but the moderators and its author's sockets hears of it.
        for client in self.clients:
            if client.moderator:
                client.push(event.seq, moderator_text)
            elif text is not None and client.who == only:
                client.push(event.seq, text)

    def presence_changed(self) -> None:
        if not self.presence_due:
            self.presence_due = True
            asyncio.get_running_loop().call_later(PRESENCE_INTERVAL, self._send_presence)

    def _send_presence(self) -> None:
        self.presence_due = False
        viewers = len(self.clients)
        if viewers != self.presence_sent:
            self.presence_sent = viewers
            text = encode({"type": "presence", "viewers": viewers})
            for client in self.clients:
                client.push(None, text)
            self._flush()


class Hub:
    """All channels of this process. `read_after` reads events from the database (thread pool)."""

    def __init__(self, read_after: Callable[[int, int], Awaitable[list[Committed]]]) -> None:
        self.read_after = read_after
        self.channels: dict[int, Channel] = {}
        # Slugs never change and boards are never deleted, so this cache cannot go stale.
        self.board_ids: dict[str, int] = {}

    def join(self, board_id: int, client: Client) -> Channel:
        channel = self.channels.get(board_id)
        if channel is None:
            channel = self.channels[board_id] = Channel(board_id, self)
        channel.clients.add(client)
        channel.presence_changed()
        return channel

    def leave(self, board_id: int, client: Client) -> None:
        channel = self.channels.get(board_id)
        if channel is None:
            return
        channel.clients.discard(client)
        if channel.clients:
            channel.presence_changed()
        else:
            del self.channels[board_id]
            if channel.catching_up is not None:
                channel.catching_up.cancel()
            if channel.flush_timer is not None:
                channel.flush_timer.cancel()

    def publish(self, events: list[Committed]) -> None:
        """Hand committed events to the channels that have clients; others need nothing."""
        by_board: dict[int, list[Committed]] = {}
        for event in events:
            if event.board_id in self.channels:
                by_board.setdefault(event.board_id, []).append(event)
        for board_id, batch in by_board.items():
            self.channels[board_id].receive(batch)

    def forget_recent(self, slug: str) -> None:
        """A board's past events were rewritten (a retention purge): replay them from the log."""
        channel = self.channels.get(self.board_ids.get(slug, -1))
        if channel is not None:
            channel.recent.clear()

    def resync(self) -> None:
        """Check every channel against the database (after Redis was away, or periodically)."""
        for channel in self.channels.values():
            channel.catch_up()

    async def close_all(self, timeout: float = 3.0) -> None:
        """Tell every client the server is restarting (1012), and wait until they are closed."""
        clients = self.clients()
        for client in clients:
            client.stop(CLOSE_RESTART, "server restarting: reconnect and resume")
        if clients:
            await asyncio.wait([c.done for c in clients], timeout=timeout)

    def viewers(self, board_id: int) -> int:
        channel = self.channels.get(board_id)
        return len(channel.clients) if channel else 0

    def clients(self) -> list[Client]:
        return [client for channel in self.channels.values() for client in channel.clients]
