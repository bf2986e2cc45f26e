"""Live push against real `board serve` processes: backpressure, shutdown, several processes.

Each test starts its own servers (and Redis, where needed) and talks to them over real sockets:
WebSocket viewers from one asyncio program, writes over HTTP. Every wait has a deadline, so a
hang fails the test instead of blocking the run.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx2
import pytest
from conftest import ADMIN_TOKEN, auth, require
from scraped import TOKEN, Samples, moved, scrape
from servers import NO_LIMITS, Server, board_env, free_port, run_board, serve
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from board.web.socket import CLOSE_TIMEOUT

pytestmark = pytest.mark.slow

REDIS_SERVER = Path("/usr/bin/redis-server")
HTTP_TIMEOUT = 30.0
POLL = 0.05  # seconds between checks in every bounded wait
BODY = (
    "Utslippsfrie byggeplasser – krav i alle byggekontrakter fra 2025. "
    "Stille krav til sirkulære løsninger og gjenbruk av byggematerialer. "
) * 20

# Backpressure
VIEWERS = 200
QUEUE_LIMIT = 32
NOTES = 150
NOTE_CHARS = 1500
RATE = 30.0  # notes per second
CONNECT_BATCH = 25
# Seconds from sending a POST to the delivery, 99th percentile. Measured from the request, not
# its answer: the push goes out right after commit, so it usually arrives before the answer.
P99_LIMIT = 1.0
RSS_GROWTH_LIMIT_KIB = 100 * 1024
# The frozen socket's buffers: the smallest receive buffer the kernel allows, and the IPv4 default
# MSS instead of loopback's 64 KiB, which would let the server's send buffer grow to megabytes.
# Measured: it then holds ~95 KiB, so it falls QUEUE_LIMIT behind after ~90 notes of NOTES.
FROZEN_RCVBUF = 1
FROZEN_MSS = 536
STALL = 3.0  # seconds a stalled client stays silent after being dropped
# live.py cuts off a dropped client that has not taken its 1013 close frame within CLOSE_TIMEOUT.
RELEASE_LIMIT = CLOSE_TIMEOUT + 10.0
TCP_ESTABLISHED = "01"

# Shutdown
EXIT_LIMIT = 5.0

# Redis
VIEWERS_PER_PROCESS = 3
NOTES_WHILE_REDIS_DOWN = 10
CONVERGE_LIMIT = 15.0
RESUBSCRIBE_LIMIT = 30.0  # the relay's reconnect backoff grows to 10 s between attempts


# --- helpers -----------------------------------------------------------------------------------


def create_board(url: str) -> str:
    """A new board over HTTP with the admin token; returns its slug."""
    with httpx2.Client(base_url=url, timeout=HTTP_TIMEOUT) as http:
        response = http.post(
            "/api/boards", json={"title": "Innovative anskaffelser"}, headers=auth(ADMIN_TOKEN)
        )
    assert response.status_code == 201, response.text
    return str(response.json()["board"]["slug"])


def join(url: str, slug: str) -> str:
    """The token of a new participant."""
    with httpx2.Client(base_url=url, timeout=HTTP_TIMEOUT) as http:
        response = http.post(f"/api/boards/{slug}/participants", json={"name": "Kari"})
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


async def post_note(http: httpx2.AsyncClient, slug: str, token: str, body: str) -> dict[str, Any]:
    response = await http.post(
        f"/api/boards/{slug}/notes",
        json={"client_id": uuid.uuid4().hex, "body": body, "sdgs": [12, 13]},
        headers=auth(token),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def viewer_events(url: str, slug: str, since: int) -> list[dict[str, Any]]:
    """Every event after `since` as a viewer sees it, from the database (the source of truth)."""
    events: list[dict[str, Any]] = []
    with httpx2.Client(base_url=url, timeout=HTTP_TIMEOUT) as http:
        for _ in range(100):
            response = http.get(f"/api/boards/{slug}/events", params={"since": since})
            assert response.status_code == 200, response.text
            page = response.json()
            events.extend(page["events"])
            since = page["seq"]
            if not page["more"]:
                return events
    pytest.fail(f"events of {slug} still had more after 100 pages")


def live_viewers(url: str, slug: str) -> int:
    with httpx2.Client(base_url=url, timeout=HTTP_TIMEOUT) as http:
        response = http.get(f"/api/boards/{slug}/stats")
    assert response.status_code == 200, response.text
    return int(response.json()["viewers"])


def rss_kib(pid: int) -> int:
    """Resident set size of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


def assert_clean(*servers: Server) -> None:
    """No traceback and no server error in any server's output."""
    for server in servers:
        output = server.output()
        for sign in ("Traceback", "internal_error", "Exception in ASGI application"):
            assert sign not in output, f"{sign!r} in the output of {server.url}:\n{output[-5000:]}"


async def until(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Wait until `check()` holds; returns the seconds it took, fails after `timeout`."""
    start = time.monotonic()
    for _ in range(int(timeout / POLL) + 1):
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            break
        await asyncio.sleep(POLL)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def until_sync(check: Callable[[], bool], timeout: float, what: str) -> float:
    start = time.monotonic()
    for _ in range(int(timeout / POLL) + 1):
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            break
        time.sleep(POLL)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def unpack(text: str | bytes) -> list[dict[str, Any]]:
    """One frame: a message object or an array of them (docs/websocket.md: framing)."""
    decoded = json.loads(text)
    return decoded if isinstance(decoded, list) else [decoded]


@dataclass
class Viewer:
    """One live WebSocket: the welcome, then every event with the time it arrived."""

    ws: ClientConnection
    welcome: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)
    others: list[dict[str, Any]] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls, base_url: str, slug: str, since: int | None = None, timeout: float = 10.0
    ) -> Viewer:
        ws = await connect(
            base_url.replace("http://", "ws://") + f"/ws/boards/{slug}",
            proxy=None,
            open_timeout=timeout,
            close_timeout=2,
            max_size=2**22,
        )
        await ws.send(json.dumps({"type": "hello", "since": since, "token": None}))
        first, *rest = unpack(await asyncio.wait_for(ws.recv(), timeout))
        assert first["type"] == "welcome", first
        viewer = cls(ws, first)
        viewer.take(rest)
        viewer.reader = asyncio.create_task(viewer.read())
        return viewer

    def take(self, messages: list[dict[str, Any]]) -> None:
        now = time.monotonic()
        for message in messages:
            if message["type"] == "event":
                self.events.append(message)
                self.arrived.append(now)
            else:
                self.others.append(message)

    async def read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for text in self.ws:
                self.take(unpack(text))

    def seqs(self) -> list[int]:
        return [event["seq"] for event in self.events]

    def note_ids(self) -> set[int]:
        return {e["data"]["id"] for e in self.events if e["kind"] == "note.upsert"}

    async def close(self) -> None:
        await self.ws.close()
        if self.reader is not None:
            await asyncio.wait_for(self.reader, 5)


async def open_viewers(base_url: str, slug: str, count: int) -> list[Viewer]:
    viewers: list[Viewer] = []
    for start in range(0, count, CONNECT_BATCH):
        batch = range(start, min(start + CONNECT_BATCH, count))
        viewers += await asyncio.gather(*(Viewer.open(base_url, slug) for _ in batch))
    return viewers


def assert_saw_exactly(viewer: Viewer, expected: list[dict[str, Any]], where: str) -> None:
    """The viewer got exactly these events, in order: none missing, none twice."""
    seqs = viewer.seqs()
    twice = sorted(seq for seq, n in Counter(seqs).items() if n > 1)
    missing = sorted({e["seq"] for e in expected} - set(seqs))
    assert not twice, f"{where}: seqs delivered twice: {twice[:20]}"
    assert not missing, (
        f"{where}: seqs never delivered: {missing[:20]} (close {viewer.ws.close_code})"
    )
    assert seqs == [e["seq"] for e in expected], f"{where}: {seqs[:30]}…"
    assert all(a < b for a, b in itertools.pairwise(seqs)), f"{where}: not increasing: {seqs}"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --- a frozen client: the handshake by hand, then it never reads again --------------------------


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """A final client frame: clients must mask (RFC 6455 §5.3)."""
    mask = os.urandom(4)
    size = len(payload)
    if size < 126:
        header = bytes([0x80 | opcode, 0x80 | size])
    elif size < 1 << 16:
        header = bytes([0x80 | opcode, 0x80 | 126]) + size.to_bytes(2, "big")
    else:
        header = bytes([0x80 | opcode, 0x80 | 127]) + size.to_bytes(8, "big")
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


@dataclass
class FrozenClient:
    """A raw TCP WebSocket client that says hello and then stops reading (until `resume`)."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    @classmethod
    async def open(cls, port: int, slug: str) -> FrozenClient:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Set before connecting, so the advertised window stays small.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, FROZEN_RCVBUF)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, FROZEN_MSS)
        sock.setblocking(False)
        try:
            await asyncio.wait_for(
                asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port)), 5
            )
        except BaseException:
            sock.close()
            raise
        reader, writer = await asyncio.open_connection(sock=sock)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET /ws/boards/{slug} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 101"), head
        # From now on nothing leaves the kernel's receive buffer.
        cast(asyncio.Transport, writer.transport).pause_reading()
        hello = {"type": "hello", "since": None, "token": None}
        writer.write(masked_frame(0x1, json.dumps(hello).encode()))
        await writer.drain()
        return cls(reader, writer)

    async def resume(self, timeout: float) -> tuple[int | None, int]:
        """Read again until the server closes: (close code or None without a close frame, bytes)."""
        cast(asyncio.Transport, self.writer.transport).resume_reading()
        received = 0
        deadline = time.monotonic() + timeout
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            for _ in range(100_000):
                left = deadline - time.monotonic()
                try:
                    head = await asyncio.wait_for(self.reader.readexactly(2), max(0.0, left))
                except TimeoutError:
                    raise AssertionError(f"still open {timeout:.0f} s after resuming") from None
                size = head[1] & 0x7F
                if size == 126:
                    size = int.from_bytes(await self.reader.readexactly(2), "big")
                elif size == 127:
                    size = int.from_bytes(await self.reader.readexactly(8), "big")
                payload = await self.reader.readexactly(size)
                received += 2 + size
                if head[0] & 0x0F == 0x8:
                    return (int.from_bytes(payload[:2], "big") if size >= 2 else 1005), received
        return None, received

    def close(self) -> None:
        self.writer.transport.abort()


# --- 1. backpressure ---------------------------------------------------------------------------


@dataclass
class BackpressureRun:
    viewers: list[Viewer]
    welcome_seq: int
    sent_at: dict[int, float]  # note id → when its POST was sent
    dropped_after: int | None  # notes posted when the hub no longer counted the frozen client


async def stats_viewers(http: httpx2.AsyncClient, slug: str) -> int:
    response = await http.get(f"/api/boards/{slug}/stats")
    assert response.status_code == 200, response.text
    return int(response.json()["viewers"])


async def backpressure_run(server: Server, slug: str, token: str) -> BackpressureRun:
    viewers = await open_viewers(server.url, slug, VIEWERS)
    frozen = await FrozenClient.open(server.port, slug)
    sent_at: dict[int, float] = {}
    dropped_after = None
    try:
        async with httpx2.AsyncClient(base_url=server.url, timeout=HTTP_TIMEOUT) as http:
            for _ in range(int(10 / POLL)):
                if await stats_viewers(http, slug) == VIEWERS + 1:
                    break
                await asyncio.sleep(POLL)
            else:
                raise AssertionError(f"the hub never counted {VIEWERS + 1} viewers")
            start = time.monotonic()
            for number in range(1, NOTES + 1):
                await asyncio.sleep(max(0.0, start + number / RATE - time.monotonic()))
                body = f"Notat {number}: {BODY}"[:NOTE_CHARS]
                sent = time.monotonic()
                sent_at[(await post_note(http, slug, token, body))["id"]] = sent
                if dropped_after is None and number % 5 == 0:
                    dropped_after = number if await stats_viewers(http, slug) == VIEWERS else None
        await until(
            lambda: all(v.note_ids() >= set(sent_at) for v in viewers),
            15,
            "every viewer has every note",
        )
    finally:
        frozen.close()
        await asyncio.gather(*(v.close() for v in viewers))
    return BackpressureRun(viewers, viewers[0].welcome["seq"], sent_at, dropped_after)


def test_frozen_client_is_dropped_and_does_not_delay_200_viewers(tmp_path: Path) -> None:
    """A socket that never reads is dropped; 200 readers get every note promptly, memory bounded."""
    env = board_env(
        tmp_path / "data", admin_token=ADMIN_TOKEN, ws_queue_limit=str(QUEUE_LIMIT), **NO_LIMITS
    )
    with serve(env) as server:
        slug = create_board(server.url)
        token = join(server.url, slug)
        rss_before = rss_kib(server.process.pid)
        run = asyncio.run(asyncio.wait_for(backpressure_run(server, slug, token), 120))
        rss_after = rss_kib(server.process.pid)
        expected = viewer_events(server.url, slug, run.welcome_seq)
    assert_clean(server)

    assert {e["data"]["id"] for e in expected} == set(run.sent_at)
    latencies = []
    for number, viewer in enumerate(run.viewers):
        assert_saw_exactly(viewer, expected, f"viewer {number}")
        for event, arrived in zip(viewer.events, viewer.arrived, strict=True):
            latencies.append(arrived - run.sent_at[event["data"]["id"]])
    p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
    growth = rss_after - rss_before
    print(
        f"\n{len(latencies)} deliveries, from sending the POST: p50 {p50 * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms; server RSS "
        f"{rss_before / 1024:.0f} → {rss_after / 1024:.0f} MiB ({growth / 1024:+.1f}); "
        f"frozen client dropped after {run.dropped_after} of {NOTES} notes"
    )
    assert run.dropped_after is not None, "the hub still counted the frozen client at the end"
    assert p99 < P99_LIMIT, f"p99 {p99:.3f} s"
    assert growth < RSS_GROWTH_LIMIT_KIB, f"RSS grew by {growth} KiB"


async def fall_behind(server: Server, slug: str) -> tuple[FrozenClient, int]:
    """A frozen client and notes until the hub drops it: (the client, notes it took)."""
    token = join(server.url, slug)
    frozen = await FrozenClient.open(server.port, slug)
    try:
        async with httpx2.AsyncClient(base_url=server.url, timeout=HTTP_TIMEOUT) as http:
            for number in range(1, 4 * NOTES + 1):
                await post_note(http, slug, token, f"Notat {number}: {BODY}"[:NOTE_CHARS])
                if number % 5 == 0 and await stats_viewers(http, slug) == 0:
                    return frozen, number
    except BaseException:
        frozen.close()
        raise
    frozen.close()
    raise AssertionError(f"the hub still counts the frozen client after {4 * NOTES} notes")


async def stall_then_resume(server: Server, slug: str) -> tuple[int | None, int, int]:
    frozen, notes = await fall_behind(server, slug)
    await asyncio.sleep(STALL)
    try:
        code, received = await frozen.resume(timeout=10)
    finally:
        frozen.close()
    return code, received, notes


def test_client_that_resumes_reading_after_a_stall_sees_1013(tmp_path: Path) -> None:
    """A client that stalls, falls behind and then reads again finds close code 1013 (resume)."""
    env = board_env(
        tmp_path / "data", admin_token=ADMIN_TOKEN, ws_queue_limit=str(QUEUE_LIMIT), **NO_LIMITS
    )
    with serve(env) as server:
        slug = create_board(server.url)
        code, received, notes = asyncio.run(asyncio.wait_for(stall_then_resume(server, slug), 60))
    assert_clean(server)
    print(
        f"\ndropped after {notes} notes; after a {STALL:.0f} s stall it read {received} bytes, "
        f"then close code {code}"
    )
    assert code == 1013, f"close code {code} (None: the connection ended without a close frame)"


def server_side_state(server_port: int, client_port: int) -> str | None:
    """The TCP state (hex, 01 = established) of the server's end of one loopback connection."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, remote, state = line.split()[1:4]
        ports = int(local.split(":")[1], 16), int(remote.split(":")[1], 16)
        if ports == (server_port, client_port):
            return state
    return None


async def wait_for_release(server: Server, slug: str) -> tuple[float, str | None, int]:
    frozen, notes = await fall_behind(server, slug)
    client_port = frozen.writer.get_extra_info("sockname")[1]
    start = time.monotonic()
    try:
        for _ in range(int(RELEASE_LIMIT / POLL) + 1):
            state = server_side_state(server.port, client_port)
            if state != TCP_ESTABLISHED or time.monotonic() - start > RELEASE_LIMIT:
                break
            await asyncio.sleep(POLL)
    finally:
        frozen.close()
    return time.monotonic() - start, state, notes


def test_server_lets_go_of_a_socket_that_never_reads_again(tmp_path: Path) -> None:
    """After dropping a frozen client the server ends its TCP connection within CLOSE_TIMEOUT."""
    env = board_env(
        tmp_path / "data", admin_token=ADMIN_TOKEN, ws_queue_limit=str(QUEUE_LIMIT), **NO_LIMITS
    )
    with serve(env) as server:
        slug = create_board(server.url)
        waited, state, notes = asyncio.run(
            asyncio.wait_for(wait_for_release(server, slug), RELEASE_LIMIT + 60)
        )
    assert_clean(server)
    print(f"\ndropped after {notes} notes; server-side TCP state {state} after {waited:.1f} s")
    assert state != TCP_ESTABLISHED, (
        f"the server still holds the frozen client's connection {waited:.0f} s after dropping it"
    )


async def drop_one_slow_socket(server: Server, slug: str) -> tuple[Samples, Samples]:
    """Scrapes before a frozen client joins and once the hub has let go of it. The endpoint
    counts the close in the same step, with no await, as it leaves the hub, so a board whose
    stats say no viewers has counted it already."""
    before = await asyncio.to_thread(scrape, server.url)
    frozen, _notes = await fall_behind(server, slug)
    try:
        return before, await asyncio.to_thread(scrape, server.url)
    finally:
        frozen.close()


def test_a_dropped_slow_socket_is_counted_as_a_1013_close(tmp_path: Path) -> None:
    """What an operator sees of a client too slow to keep up: `/metrics` counts one 1013 close,
    and the queue-depth histogram saw that socket's queue grow past 20 frames."""
    env = board_env(
        tmp_path / "data",
        admin_token=ADMIN_TOKEN,
        metrics_token=TOKEN,
        ws_queue_limit=str(QUEUE_LIMIT),
        **NO_LIMITS,
    )
    with serve(env) as server:
        slug = create_board(server.url)
        before, after = asyncio.run(asyncio.wait_for(drop_one_slow_socket(server, slug), 60))
    assert_clean(server)
    assert moved(before, after, "board_websocket_closes_total", code="1013") == 1
    deeper_than_20 = moved(before, after, "board_websocket_queue_depth_count") - moved(
        before, after, "board_websocket_queue_depth_bucket", le="20.0"
    )
    assert deeper_than_20 >= 1


# --- 2. shutdown and resume --------------------------------------------------------------------


async def watch_shutdown(server: Server, slug: str, token: str) -> tuple[Viewer, float, float]:
    """A viewer sees two notes, then SIGTERM: (viewer, seconds to its close, seconds to exit)."""
    viewer = await Viewer.open(server.url, slug)
    async with httpx2.AsyncClient(base_url=server.url, timeout=HTTP_TIMEOUT) as http:
        for number in range(2):
            await post_note(http, slug, token, f"Før omstart {number}")
    await until(lambda: len(viewer.events) == 2, 10, "the viewer saw both notes")
    start = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    assert viewer.reader is not None
    await asyncio.wait_for(asyncio.shield(viewer.reader), EXIT_LIMIT)
    closed = time.monotonic() - start
    await until(lambda: server.process.poll() is not None, EXIT_LIMIT, "the server exited")
    return viewer, closed, time.monotonic() - start


async def resume_after_restart(
    server: Server, slug: str, token: str, since: int
) -> tuple[Viewer, list[int], int]:
    """Two notes before the viewer is back, then it resumes with `since`; then one live note."""
    async with httpx2.AsyncClient(base_url=server.url, timeout=HTTP_TIMEOUT) as http:
        missed = [(await post_note(http, slug, token, f"Etter omstart {n}"))["id"] for n in (1, 2)]
        viewer = await Viewer.open(server.url, slug, since=since)
        await until(lambda: len(viewer.events) >= 2, 10, "the replay arrived")
        live = (await post_note(http, slug, token, "Direkte etter gjenoppkobling"))["id"]
    await until(lambda: len(viewer.events) >= 3, 10, "the live note arrived")
    await asyncio.sleep(0.3)  # anything extra (a duplicate) would arrive now
    await viewer.close()
    return viewer, missed, live


def test_sigterm_closes_with_1012_and_viewer_resumes_after_restart(tmp_path: Path) -> None:
    """SIGTERM: the viewer gets 1012 (restart), the server exits; after restart `since` replays."""
    env = board_env(tmp_path / "data", admin_token=ADMIN_TOKEN)
    with serve(env) as first:
        slug = create_board(first.url)
        token = join(first.url, slug)
        before, closed, exited = asyncio.run(watch_shutdown(first, slug, token))
        print(f"\nviewer closed {closed:.2f} s and server exited {exited:.2f} s after SIGTERM")
        assert before.ws.close_code == 1012, (before.ws.close_code, first.output()[-3000:])
        # uvicorn re-raises the signal after a complete graceful shutdown: -SIGTERM, or 0.
        assert first.process.returncode in (0, -signal.SIGTERM), first.output()[-3000:]
        assert "Application shutdown complete" in first.stderr(), first.output()[-3000:]
        assert exited < EXIT_LIMIT
    assert_clean(first)
    last_seen = before.seqs()[-1]

    with serve(env) as second:
        after, missed, live = asyncio.run(resume_after_restart(second, slug, token, last_seen))
        expected = viewer_events(second.url, slug, last_seen)
    assert_clean(second)

    assert after.welcome["seq"] == last_seen + 2, after.welcome
    assert [e["data"]["id"] for e in expected] == [*missed, live]
    assert_saw_exactly(after, expected, "resumed viewer")
    assert after.seqs()[0] == last_seen + 1, "a gap between before and after the restart"
    assert not [m for m in after.others if m["type"] == "reset"], after.others


# --- 3. several workers need Redis -------------------------------------------------------------


def test_workers_without_redis_url_exit_1_with_one_line(tmp_path: Path) -> None:
    """`board serve --workers 2` without BOARD_REDIS_URL: exit 1, one line naming the setting."""
    result = run_board(
        "serve", "--workers", "2", "--port", str(free_port()), env=board_env(tmp_path / "data")
    )
    output = f"exit {result.returncode}; stdout={result.stdout!r} stderr={result.stderr!r}"
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, output
    assert len(lines) == 1 and "BOARD_REDIS_URL" in lines[0], output
    assert "Traceback" not in result.stdout + result.stderr, output
    assert "listening" not in result.stdout, output


# --- 4. several processes over Redis -----------------------------------------------------------


def redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def redis_subscribers(port: int, channel: str = "board:events") -> int:
    """How many connections are subscribed to the relay's channel (PUBSUB NUMSUB)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(f"PUBSUB NUMSUB {channel}\r\n".encode())
            reply = sock.recv(256).split(b"\r\n")  # *2 $len channel :count
            return int(reply[3].lstrip(b":")) if len(reply) > 3 else -1
    except (OSError, ValueError):
        return -1


class RedisServer:
    """A throwaway redis-server on a fixed port, no persistence; stops and starts again."""

    def __init__(self, port: int, log_dir: Path) -> None:
        self.port = port
        self.log_dir = log_dir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / f"redis-{time.monotonic_ns()}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [
                    str(REDIS_SERVER),
                    *("--port", str(self.port), "--bind", "127.0.0.1"),
                    *("--dir", str(self.log_dir), "--save", "", "--appendonly", "no"),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        process = self.process
        until_sync(
            lambda: process.poll() is None and redis_answers(self.port), 10, "redis-server answers"
        )

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


async def through_redis_outage(
    servers: list[Server], slug: str, token: str, redis: RedisServer
) -> tuple[list[list[Viewer]], float, list[int], float]:
    """Viewers on every process; a note via A; Redis down while notes go to A and B; one more."""
    groups = [await open_viewers(s.url, slug, VIEWERS_PER_PROCESS) for s in servers]
    everyone = [v for group in groups for v in group]
    clients = [httpx2.AsyncClient(base_url=s.url, timeout=HTTP_TIMEOUT) for s in servers]
    posted: list[int] = []

    async def post(label: str) -> None:
        http = clients[len(posted) % len(clients)]  # A, B, A, B, …
        posted.append((await post_note(http, slug, token, label))["id"])

    try:
        await post("Via A, sett på B")
        reached_b = await until(
            lambda: all(posted[0] in v.note_ids() for v in groups[1]), 5, "A's note reached B"
        )
        await asyncio.to_thread(redis.stop)
        assert not redis_answers(redis.port)
        # Every process stays in the load balancer's pool, saying why it is degraded.
        for http in clients:
            ready = await http.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json() == {
                "status": "degraded",
                "reason": "Redis is unreachable; events go through the database",
            }
        for number in range(NOTES_WHILE_REDIS_DOWN):
            await post(f"Mens Redis er nede {number}")
            await asyncio.sleep(0.2)
        await asyncio.to_thread(redis.start)
        for http in clients:
            assert (await http.get("/readyz")).json() == {"status": "ready"}
        await post("Etter at Redis kom tilbake")
        converged = await until(
            lambda: all(v.note_ids() >= set(posted) for v in everyone),
            CONVERGE_LIMIT,
            "every viewer on every process has every note",
        )
        await asyncio.sleep(0.5)  # a late duplicate would show up now
    finally:
        for http in clients:
            await http.aclose()
        await asyncio.gather(*(v.close() for v in everyone))
    return groups, reached_b, posted, converged


def test_processes_share_events_over_redis_and_recover_from_an_outage(
    tmp_path: Path, new_database: Callable[[], str]
) -> None:
    """Two processes on one database and Redis: every viewer gets every note, across an outage,
    and /readyz says 200 "degraded" with the reason while Redis is down, "ready" after."""
    require("redis-server", REDIS_SERVER.exists(), "install redis-server (apt-get install redis)")
    database_url = new_database()
    redis = RedisServer(free_port(), tmp_path / "redis")
    redis_url = f"redis://127.0.0.1:{redis.port}/0"
    env_a, env_b = (
        board_env(
            tmp_path / name,
            database_url,
            admin_token=ADMIN_TOKEN,
            redis_url=redis_url,
            **NO_LIMITS,
        )
        for name in ("a", "b")
    )
    redis.start()
    try:
        # One after the other: the first applies the migrations.
        with serve(env_a) as server_a, serve(env_b) as server_b:
            servers = [server_a, server_b]
            slug = create_board(server_a.url)
            token = join(server_b.url, slug)
            groups, reached_b, posted, converged = asyncio.run(
                asyncio.wait_for(through_redis_outage(servers, slug, token, redis), 120)
            )
            resubscribed = until_sync(
                lambda: redis_subscribers(redis.port) == len(servers),
                RESUBSCRIBE_LIMIT,
                "both processes subscribed to Redis again",
            )
            expected = {
                since: viewer_events(server_a.url, slug, since)
                for since in {v.welcome["seq"] for group in groups for v in group}
            }
    finally:
        redis.stop()
    assert_clean(*servers)

    print(
        f"\nA's note reached B in {reached_b * 1000:.0f} ms; after Redis came back every viewer "
        f"had all {len(posted)} notes within {converged:.1f} s; both processes subscribed "
        f"again {resubscribed:.1f} s after that"
    )
    for name, group in zip("AB", groups, strict=True):
        for number, viewer in enumerate(group):
            events = expected[viewer.welcome["seq"]]
            assert {e["data"]["id"] for e in events} == set(posted)
            assert_saw_exactly(viewer, events, f"viewer {number} on {name}")
    for server in servers:
        logged = server.stderr()
        assert "Redis subscription lost" in logged, logged[-5000:]
        assert "Redis subscription restored" in logged, logged[-5000:]
