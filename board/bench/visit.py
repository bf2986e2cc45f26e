"""One visitor opening a board page, as Chromium does it: the page, its assets over up to six
keep-alive connections, the SDG catalogue, the snapshot, the join, and the WebSocket until the
welcome and the replay are in.

A visitor keeps an HTTP cache between visits: a repeat visit skips what is still fresh
(`max-age`, unless `no-cache`), asks with `If-None-Match` / `If-Modified-Since` for what has a
validator, and keeps its participant token (the page remembers it), so it does not join again.
The snapshot is never cached: the pages fetch it with `cache: "no-store"`. Heuristic freshness
(a share of a file's age when it has no `max-age`) and `Expires` are left out: every response
of the server under test says what it wants.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import cast

from .http1 import ACCEPT_ENCODING, HttpError, Pool, Response
from .wire import (
    CLOSE,
    EVENT_SEQ,
    PING,
    RESET,
    TEXT,
    WELCOME_SEQ,
    close_code,
    frames,
    handshake,
    masked_close,
    masked_pong,
    masked_text_frame,
    upgrade_request,
)

PER_HOST = 6  # Chromium's connections per host
ACCEPT_PAGE = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SNAPSHOT_SEQ = re.compile(rb'"seq":\s*(\d+)')
MAX_AGE = re.compile(r"max-age\s*=\s*\"?(\d+)")


@dataclass
class Cached:
    """What the HTTP cache holds for one URL."""

    fresh_until: float  # monotonic; 0: must ask first
    etag: str | None
    last_modified: str | None


def cache_entry(headers: dict[str, str], now: float) -> Cached | None:
    """What a browser keeps from a 200 (or refreshes from a 304); None: nothing."""
    control = headers.get("cache-control", "").lower()
    if "no-store" in control:
        return None
    fresh_until = 0.0
    found = MAX_AGE.search(control)
    if found and "no-cache" not in control:
        age = headers.get("age", "0")
        fresh_until = now + int(found.group(1)) - (int(age) if age.isdigit() else 0)
    etag, modified = headers.get("etag"), headers.get("last-modified")
    if fresh_until <= now and etag is None and modified is None:
        return None
    return Cached(fresh_until, etag, modified)


def conditional(entry: Cached | None, now: float) -> dict[str, str] | None:
    """The validators to send for a cached URL; None when it is fresh (no request at all)."""
    if entry is None:
        return {}
    if entry.fresh_until > now:
        return None
    headers = {}
    if entry.etag:
        headers["If-None-Match"] = entry.etag
    if entry.last_modified:
        headers["If-Modified-Since"] = entry.last_modified
    return headers


@dataclass
class Site:
    """What every visitor of the board needs to know, found once at the start."""

    host: str
    port: int
    ws_host: str
    ws_port: int
    slug: str
    assets: list[str]
    catalogue: str
    timeout: float

    @property
    def page(self) -> str:
        return f"/b/{self.slug}"


def why(exc: OSError) -> str:
    """A failure reason short enough to count: what the client saw, not where."""
    return str(exc) if isinstance(exc, HttpError) else type(exc).__name__


class Refused(Exception):
    """A visit that did not go live; the message is the reason, as counted in the report."""


@dataclass
class Visit:
    """One visit's figures; `live` is seconds from the first request to welcome and replay."""

    requests: int = 0
    wire: int = 0  # HTTP response bytes received
    ws_wire: int = 0  # the upgrade answer and the frames up to live
    live: float | None = None
    reset: bool = False
    failure: str | None = None
    # Seconds each step took, in order: page, assets, catalogue, snapshot, join, socket.
    steps: dict[str, float] = field(default_factory=dict)


class LiveSocket(asyncio.Protocol):
    """An arrival's WebSocket: a viewer's hello with its snapshot seq; live once the welcome and
    the replay are in (an event at or past the welcome's seq, or nothing to replay); after that
    it answers pings and skips what it reads, as a tab left open does."""

    def __init__(self, host: str, path: str, since: int) -> None:
        self.host, self.path, self.since = host, path, since
        self.buffer = bytearray()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None
        self.live: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.welcome: int | None = None
        self.wire = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport = cast(asyncio.Transport, transport)  # uvloop's is not one
        transport.write(upgrade_request(self.host, self.path))

    def data_received(self, data: bytes) -> None:
        if not self.live.done():
            self.wire += len(data)
        self.buffer += data
        if not self.upgraded:
            status = handshake(self.buffer)
            if status is None:
                return
            if status != 101:
                self._fail(f"socket: HTTP {status}")
                return
            self.upgraded = True
            hello = {"type": "hello", "since": self.since, "token": None}
            self._write(masked_text_frame(json.dumps(hello).encode()))
        for opcode, payload in frames(self.buffer):
            if opcode == TEXT and not self.live.done():
                self._replay(payload)
            elif opcode == PING:
                self._write(masked_pong(payload))
            elif opcode == CLOSE:
                code = close_code(payload)
                self._fail(f"socket: closed {code}")
                self._write(masked_close(code))
                self.close()

    def _replay(self, payload: bytes) -> None:
        if self.welcome is None:
            found = WELCOME_SEQ.search(payload)
            if found is None:
                return
            self.welcome = int(found.group(1))
            if self.welcome <= self.since:
                self.live.set_result(False)
                return
        if RESET in payload:
            self.live.set_result(True)  # the visitor reloads the snapshot
            return
        seqs = EVENT_SEQ.findall(payload)
        if seqs and int(seqs[-1]) >= self.welcome:
            self.live.set_result(False)

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _fail(self, reason: str) -> None:
        if not self.live.done():
            self.live.set_exception(Refused(reason))

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail("socket: dropped")

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Visitor:
    """One person: their HTTP cache, token and open WebSocket across visits."""

    def __init__(self, site: Site, name: str) -> None:
        self.site, self.name = site, name
        self.cache: dict[str, Cached] = {}
        self.token: str | None = None
        self.seq = 0  # of the last snapshot
        self.socket: LiveSocket | None = None

    async def visit(self) -> Visit:
        """First visit or repeat visit: whatever the cache and the remembered token leave to do."""
        visit = Visit()
        pool = Pool(self.site.host, self.site.port, PER_HOST, self.site.timeout)
        start = time.perf_counter()
        try:
            await asyncio.wait_for(self._visit(pool, visit), self.site.timeout)
            visit.live = time.perf_counter() - start
        except Refused as exc:
            visit.failure = str(exc)
        except TimeoutError:
            visit.failure = "timeout"
        except OSError as exc:
            visit.failure = why(exc)
        finally:
            pool.close()
        if visit.failure is not None:
            self.leave()
        return visit

    async def _visit(self, pool: Pool, visit: Visit) -> None:
        site = self.site
        step = time.perf_counter()

        def done(name: str) -> None:
            nonlocal step
            visit.steps[name], step = time.perf_counter() - step, time.perf_counter()

        await self.get(pool, visit, site.page, "page", ACCEPT_PAGE)
        done("page")
        await asyncio.gather(*(self.get(pool, visit, a, "asset") for a in site.assets))
        done("assets")
        await self.get(pool, visit, site.catalogue, "catalogue")
        done("catalogue")
        await self.snapshot(pool, visit)
        done("snapshot")
        if self.token is None:
            path = f"/api/boards/{site.slug}/participants"
            request = pool.json("POST", path, {"name": self.name})
            joined = await self.send(visit, "join", request)
            self.token = str(json.loads(joined.content())["token"])
        done("join")
        loop = asyncio.get_running_loop()
        path = f"/ws/boards/{site.slug}"
        try:
            # As the wall does, the socket follows the board as a viewer: writes carry the
            # token over HTTP, the hello carries none.
            _, socket = await loop.create_connection(
                lambda: LiveSocket(f"{site.ws_host}:{site.ws_port}", path, self.seq),
                site.ws_host,
                site.ws_port,
            )
        except OSError as exc:
            raise Refused(f"socket: {why(exc)}") from None
        self.socket = socket
        try:
            visit.reset = await socket.live
        finally:
            visit.ws_wire = socket.wire
        done("socket")
        if visit.reset:  # the page reloads the snapshot and carries on
            await self.snapshot(pool, visit)

    async def get(
        self, pool: Pool, visit: Visit, target: str, what: str, accept: str = "*/*"
    ) -> Response | None:
        """A GET through the cache: None when the cached copy was fresh."""
        now = time.monotonic()
        headers = conditional(self.cache.get(target), now)
        if headers is None:
            return None
        headers |= {"Accept": accept, "Accept-Encoding": ACCEPT_ENCODING}
        response = await self.send(visit, what, pool.request("GET", target, headers))
        entry = cache_entry(response.headers, now)
        old = self.cache.get(target)
        if response.status == 304 and old is not None:
            # A 304 refreshes the entry; validators it leaves out stay as they were.
            entry = entry or Cached(0.0, None, None)
            entry.etag = entry.etag or old.etag
            entry.last_modified = entry.last_modified or old.last_modified
        if entry is not None:
            self.cache[target] = entry
        return response

    async def send(self, visit: Visit, what: str, request: Awaitable[Response]) -> Response:
        try:
            response = await request
        except TimeoutError:  # an OSError too: first
            raise Refused(f"{what}: timeout") from None
        except OSError as exc:
            raise Refused(f"{what}: {why(exc)}") from None
        visit.requests += 1
        visit.wire += response.wire
        if response.status >= 400:
            raise Refused(f"{what}: HTTP {response.status}")
        return response

    async def snapshot(self, pool: Pool, visit: Visit) -> None:
        """The pages fetch the snapshot with `cache: "no-cache"` (api.js `snapshot`): the browser
        revalidates its copy, and a 304 says the seq read from it last time is still current."""
        path = f"/api/boards/{self.site.slug}"
        headers = {"Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING}
        kept = self.cache.get(path)
        if kept is not None and kept.etag:
            headers["If-None-Match"] = kept.etag
        response = await self.send(visit, "snapshot", pool.request("GET", path, headers))
        if response.status == 304:
            return
        self.cache[path] = Cached(0.0, response.headers.get("etag"), None)
        body = response.content()
        found = SNAPSHOT_SEQ.findall(body)
        # Only the board's top level has a "seq"; should a note ever carry one, decode.
        self.seq = int(found[0]) if len(found) == 1 else int(json.loads(body)["seq"])

    def leave(self) -> None:
        """Close the tab: the WebSocket goes."""
        if self.socket is not None:
            self.socket.close()
            self.socket = None
