"""The board snapshot, `GET /api/boards/{slug}`, built once and served to many as ready bytes.

A webinar link sends thousands of people to one board within a minute, and each page starts
from the snapshot: building it afresh per request (a thousand notes: tens of milliseconds of
queries and JSON) does not keep up. So:

- **One entry per board and role class.** Moderators see pending and hidden notes; everyone
  else, with no token or a participant's, sees the same bytes. A token is still checked on every
  request, as before (a bad one is a 401, a banned participant's a 403); no token needs no
  database work at all while the entry is current.
- **Built once, encoded once.** An entry holds the JSON and its gzip, made once per build in the
  thread pool; a rebuild encodes only the notes whose rows changed since the last (a memo of
  each note's JSON by its rows). Requests that need a build wait for the one under way for
  their key (single flight), however many they are: never more than one build per key at a
  time.
- **Current** means: this process knows of no newer `seq` for the board (its own commits,
  reported by the app after each one, and the hub's live channel, which also carries other
  processes' events), and the entry is younger than `INTERVAL`, or younger than `MAX_AGE` while
  the hub follows the board live (its channel would show a change). So a change this process
  does not hear of (another process's write to a board nobody follows here, a retention purge,
  which advances no `seq`) shows within `INTERVAL`, or `MAX_AGE` on a live board.
- **Outdated by a newer seq**, an entry is rebuilt for the first request that sees it, which
  waits: a client reads its own writes through this process. Requests that come while that
  refresh is pending get the outdated entry if it is younger than `INTERVAL` plus the pause
  before the refresh: a crowd does not queue behind every write, and the resume contract covers
  it (the page replays the events after the snapshot's `seq` from the WebSocket, from the
  channel's memory: hub.RECENT_EVENTS).
- **Except across a reveal.** An entry from before a board's last `board.reveal` is never
  served outdated, and is rebuilt at once: the event tells every client to fetch the snapshot
  (its replay cannot carry the notes the blind round held), so a copy without them would only
  send each client back for another. The crowd waits for one build instead.
- **Rebuilds of an outdated entry start at least `GAP_FACTOR` times the last build's duration
  apart, at most `MAX_AGE`.** A board that changes all the time under a crowd costs at most a
  twentieth of a core, while a small board (and the test suite) barely waits for its rebuild.
  An entry that merely aged (no newer seq known: nobody asked for a while) is rebuilt at once:
  the first visitor of a quiet big board does not wait out the spacing. Builds hold the
  interpreter lock for most of their time, and every millisecond they take is one the event
  loop waits: rebuilding a 1,000-note board twice a second during 5,000 arrivals made the live
  fan-out's p99 three times what it was with builds twenty times rarer (`board bench
  --arrivals`, docs/performance.md).
- **Conditional requests.** The ETag is weak (the JSON and its gzip are the same content) and
  names the board id, `seq`, role class and a digest of the bytes: processes serving one board
  give the same tag for the same content, while a change of the serialisation (a new release)
  or a purge that changed text without a new `seq` changes it. A matching `If-None-Match` gets
  a 304 without a build while the entry is current.
- **Bounded.** Least recently used keys go once the entries hold more than `MAX_BYTES` or there
  are more than `MAX_ENTRIES` keys. Errors (an unknown board) are never kept: a board created a
  moment later is found by the next request.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from board import metrics
from board.domain.access import Credentials, board_rules
from board.domain.boards import SnapshotRows, snapshot_rows
from board.domain.views import note_view
from board.live.hub import SNAPSHOT_BARRIERS, Hub
from board.store.db import Store
from board.store.events import Committed
from board.web.compression import LEVEL, accepts_gzip
from board.web.http import call, credentials

# How long an entry is served without proof that it is current: long enough that a crowd
# arriving at once shares one build, short enough that a client's replay from the snapshot's
# seq has little to fill in.
INTERVAL = 0.5
# How long an entry is served while the hub's live channel shows no newer seq (a quiet board
# with an audience). Bounded because changes that advance no seq (a retention purge) and events
# lost while Redis is away (the relay resyncs every 5 s) do not show there.
MAX_AGE = 5.0
# A key's next build waits until this many times the last build's duration has passed since that
# one began (at most MAX_AGE): at most a twentieth of a core for a board that changes all the time.
GAP_FACTOR = 20.0
# An entry of a 1,000-note board is about 0.8 MB of JSON plus its gzip.
MAX_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 512
VARY = "Accept-Encoding, Authorization"

Build = Callable[[Store, str, bool], SnapshotRows]
# A note's JSON by everything it is made of: its row and its comments' rows (see `encode_notes`).
Memo = dict[tuple[Any, ...], bytes]


@dataclass(frozen=True, slots=True)
class Entry:
    """One role class's snapshot of a board, ready to send."""

    board_id: int
    seq: int
    moderator: bool
    etag: str
    plain: bytes
    gzipped: bytes
    started: float  # the clock when its build began: its data is at least this recent

    @property
    def size(self) -> int:
        """Its bytes, with the slot's memo, which holds the notes' JSON once more."""
        return 2 * len(self.plain) + len(self.gzipped)

    def response(self, headers: Mapping[str, str]) -> Response:
        """The answer to a request with these headers: 304, gzip or identity."""
        answer = {
            "ETag": self.etag,
            "Vary": VARY,
            "Cache-Control": "private, no-cache" if self.moderator else "no-cache",
        }
        if matches(headers.get("if-none-match"), self.etag):
            return Response(status_code=304, headers=answer)
        if accepts_gzip(headers.get("accept-encoding", "")):
            answer["Content-Encoding"] = "gzip"
            return Response(self.gzipped, media_type="application/json", headers=answer)
        return Response(self.plain, media_type="application/json", headers=answer)


def encode(rows: SnapshotRows, memo: Memo, started: float) -> tuple[Entry, Memo]:
    """The entry for a snapshot, JSON as `JSONResponse` writes it, and the memo for the next
    build. Only notes whose rows changed since the last build are encoded."""
    notes, memo = encode_notes(rows, memo)
    plain = b'{"board":%s,"notes":[%s],"held":%d,"seq":%d}' % (
        dumps(rows.board),
        b",".join(notes),
        rows.held,
        rows.seq,
    )
    # mtime=0: the same JSON gives the same bytes in every process.
    gzipped = gzip.compress(plain, compresslevel=LEVEL, mtime=0)
    digest = hashlib.blake2b(plain, digest_size=8).hexdigest()
    role = "moderator" if rows.moderator else "everyone"
    etag = f'W/"{rows.board_id}-{rows.seq}-{role}-{digest}"'
    entry = Entry(rows.board_id, rows.seq, rows.moderator, etag, plain, gzipped, started)
    return entry, memo


def encode_notes(rows: SnapshotRows, memo: Memo) -> tuple[list[bytes], Memo]:
    """Each note's JSON, from `memo` where its rows are the same as when it was encoded, and the
    memo of this build's notes. Between two builds of a busy board a few notes of a thousand
    change; encoding only those makes a build a third of what it was, and a build holds the
    interpreter lock that the live fan-out waits for (docs/performance.md). The key is every
    value the view is made of, so no change can be missed."""
    encoded: list[bytes] = []
    fresh: Memo = {}
    for note, comments in rows.notes:
        key = (
            tuple(tuple(v) if isinstance(v, list) else v for v in note),
            tuple(tuple(c) for c in comments),
        )
        text = memo.get(key)
        if text is None:
            text = dumps(note_view(note, comments, rows.moderator))
        fresh[key] = text
        encoded.append(text)
    return encoded, fresh


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


class _Slot:
    """A key's entry, the build under way for it, and when the last one began and took."""

    __slots__ = ("cost", "entry", "flight", "memo", "started")

    def __init__(self) -> None:
        self.entry: Entry | None = None
        self.memo: Memo = {}
        self.flight: asyncio.Task[Entry] | None = None
        self.started = float("-inf")
        self.cost = 0.0


class Snapshots:
    """The app's snapshot entries by (slug, role class); lives on `app.state.snapshots`.

    Runs on the event loop. `build` and `clock` are attributes so that tests can count builds
    and move time.
    """

    def __init__(
        self,
        store: Store,
        hub: Hub,
        build: Build = snapshot_rows,
        clock: Callable[[], float] = time.monotonic,
        max_bytes: int = MAX_BYTES,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self.store = store
        self.hub = hub
        self.build = build
        self.clock = clock
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._slots: OrderedDict[tuple[str, bool], _Slot] = OrderedDict()
        self._bytes = 0
        # The highest seq this process committed per board. One int per board written here.
        self._committed: dict[int, int] = {}
        # The last `board.reveal` this process committed per board (see `behind_barrier`).
        self._barriers: dict[int, int] = {}

    def committed(self, events: list[Committed]) -> None:
        """Note what this process committed (the app calls it after each commit, on the loop,
        before the writer's request is answered): its entries of those boards are outdated."""
        for event in events:
            if event.seq > self._committed.get(event.board_id, 0):
                self._committed[event.board_id] = event.seq
            if event.kind in SNAPSHOT_BARRIERS:
                self._barriers[event.board_id] = event.seq

    async def get(self, slug: str, moderator: bool) -> Entry:
        """The current entry for the board and role class, built if need be; 404 as ApiError."""
        key = (slug, moderator)
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot()
        else:
            self._slots.move_to_end(key)
        while True:
            entry = slot.entry
            outdated = entry is not None and self.outdated(entry)
            barred = entry is not None and self.behind_barrier(entry)
            if entry is not None:
                if not outdated and self.fresh(entry):
                    metrics.snapshot_hits.inc()
                    return entry
                if (
                    slot.flight is not None
                    and not barred
                    and self.clock() - entry.started < INTERVAL + gap(slot)
                ):
                    # Someone already waits for the refresh: a copy from before it is what the
                    # resume contract allows, and queueing the crowd behind the next build
                    # would only add latency (writes keep coming).
                    metrics.snapshot_hits.inc()
                    return entry
            if slot.flight is None:
                # A task of its own: a waiter that goes away (client closed) leaves it to the
                # others. Only a board that keeps changing spaces its builds: an entry that
                # merely aged (nobody asked for a while), or one from before a reveal, is
                # rebuilt at once.
                refresh = self._refresh(key, slot, spaced=outdated and not barred)
                slot.flight = asyncio.create_task(refresh, name=f"snapshot {slug}")
                slot.flight.add_done_callback(_retrieve)
            built = await asyncio.shield(slot.flight)
            # A build that began before this process heard of a reveal may not hold it; one
            # that begins now does (the reveal committed before anyone here heard of it).
            if not self.behind_barrier(built):
                return built

    def behind_barrier(self, entry: Entry) -> bool:
        """Whether the entry is older than the board's last reveal that this process knows of
        (committed here, or delivered to its live channel from any process)."""
        channel = self.hub.channels.get(entry.board_id)
        barrier = max(self._barriers.get(entry.board_id, 0), channel.barrier if channel else 0)
        return entry.seq < barrier

    def outdated(self, entry: Entry) -> bool:
        """Whether this process knows of a newer seq of the board than the entry's."""
        newest = max(self._committed.get(entry.board_id, 0), self._live_seq(entry.board_id) or 0)
        return newest > entry.seq

    def fresh(self, entry: Entry) -> bool:
        """Whether `entry` is young enough to be served when no newer seq is known (see the
        module docstring): INTERVAL, or MAX_AGE while the hub follows the board live."""
        age = self.clock() - entry.started
        return age < INTERVAL or (self._live_seq(entry.board_id) is not None and age < MAX_AGE)

    def _live_seq(self, board_id: int) -> int | None:
        channel = self.hub.channels.get(board_id)
        return channel.seq if channel is not None else None

    async def _refresh(self, key: tuple[str, bool], slot: _Slot, spaced: bool) -> Entry:
        slug, moderator = key
        try:
            wait = slot.started + gap(slot) - self.clock()
            if spaced and wait > 0:
                await asyncio.sleep(wait)
            slot.started = started = self.clock()
            metrics.snapshot_builds.inc()
            began = time.perf_counter()
            entry, slot.memo = await run_in_threadpool(
                self._build_entry, slug, moderator, slot.memo, started
            )
            slot.cost = time.perf_counter() - began
            if self._slots.get(key) is slot:  # not evicted meanwhile
                self._bytes += entry.size - (slot.entry.size if slot.entry is not None else 0)
                slot.entry = entry
                self._evict()
            return entry
        except BaseException:
            if slot.entry is None and self._slots.get(key) is slot:
                del self._slots[key]  # an unknown board leaves nothing behind
            raise
        finally:
            slot.flight = None

    def _build_entry(
        self, slug: str, moderator: bool, memo: Memo, started: float
    ) -> tuple[Entry, Memo]:
        return encode(self.build(self.store, slug, moderator), memo, started)

    def _evict(self) -> None:
        """Drop least recently used keys until within bounds; never one with a build under way."""
        for key in list(self._slots):
            if self._bytes <= self.max_bytes and len(self._slots) <= self.max_entries:
                return
            slot = self._slots[key]
            if slot.flight is None:
                del self._slots[key]
                self._bytes -= slot.entry.size if slot.entry is not None else 0

    @property
    def size(self) -> int:
        """Bytes the entries hold."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._slots)


def gap(slot: _Slot) -> float:
    """The least time from the start of a key's last build to the start of its next."""
    return min(MAX_AGE, GAP_FACTOR * slot.cost)


def _retrieve(task: asyncio.Task[Entry]) -> None:
    # Every waiter may have gone; the error (a 404) must not be logged as never retrieved.
    if not task.cancelled():
        task.exception()


def matches(header: str | None, etag: str) -> bool:
    """Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for it) or `*`."""
    if header is None:
        return False
    wanted = etag.removeprefix("W/")
    return any(
        tag == "*" or tag.removeprefix("W/") == wanted
        for tag in (part.strip() for part in header.split(","))
    )


def sees_everything(store: Store, slug: str, creds: Credentials) -> bool:
    """Whether the token is a moderator's (or the admin's) on this board. Checks it as every
    request does (401 unknown, 403 banned, 404 no board), reading the board's rules, not its row."""
    with store.read() as session:
        return creds.actor(session, board_rules(session, slug)).is_moderator


async def respond(request: Request) -> Response:
    """`GET /api/boards/{slug}`: the role class from the token, then the entry as the request
    accepts it."""
    slug = request.path_params["slug"]
    creds = credentials(request)
    moderator = creds.token is not None and await call(request, sees_everything, slug, creds)
    snapshots: Snapshots = request.app.state.snapshots
    entry = await snapshots.get(slug, moderator)
    return entry.response(request.headers)
