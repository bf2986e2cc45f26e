"""`board bench`: a load generator that speaks the real protocol, in its own process.

Viewers are raw-frame readers (an asyncio.Protocol each, no task, no JSON parsing): every note
carries a marker `bench-n000042` in its body, and a viewer only scans the bytes of each frame for
markers, so ten thousand of them cost the load generator little. Latency is measured for every
(note, viewer) delivery from the moment the note's POST was sent. Every phase has a deadline.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import os
import re
import secrets
import statistics
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

MARKER = re.compile(rb"bench-n(\d{6})")
SEAT_CONCURRENCY = 200


def masked_text_frame(payload: bytes) -> bytes:
    """A client→server text frame (clients must mask, RFC 6455 section 5.3)."""
    mask = secrets.token_bytes(4)
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x81, 0x80 | size)
    elif size < 65536:
        header = struct.pack("!BBH", 0x81, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 0x80 | 127, size)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return header + mask + masked


def masked_pong(payload: bytes) -> bytes:
    mask = secrets.token_bytes(4)
    return (
        struct.pack("!BB", 0x8A, 0x80 | len(payload))
        + mask
        + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    )


class Viewer(asyncio.Protocol):
    """One WebSocket viewer that records when each note marker arrived, and nothing else."""

    def __init__(
        self,
        host: str,
        path: str,
        arrivals: dict[int, float],
        seated: asyncio.Event,
        on_seated: Any,
    ) -> None:
        self.host, self.path = host, path
        self.arrivals = arrivals
        self.seated, self.on_seated = seated, on_seated
        self.buffer = bytearray()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None
        self.closed_with: int | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(secrets.token_bytes(16)).decode()
        transport.write(
            f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buffer.startswith(b"HTTP/1.1 101"):
                self.closed_with = -1
                self.seated.set()  # let the seating phase see the failure
                return
            del self.buffer[: end + 4]
            self.upgraded = True
            hello = {"type": "hello", "since": None, "token": None}
            assert self.transport is not None
            self.transport.write(masked_text_frame(json.dumps(hello).encode()))
        self._frames(now)

    def _frames(self, now: float) -> None:
        buffer = self.buffer
        while len(buffer) >= 2:
            opcode, size = buffer[0] & 0x0F, buffer[1] & 0x7F
            start = 2
            if size == 126:
                if len(buffer) < 4:
                    return
                size, start = struct.unpack_from("!H", buffer, 2)[0], 4
            elif size == 127:
                if len(buffer) < 10:
                    return
                size, start = struct.unpack_from("!Q", buffer, 2)[0], 10
            if len(buffer) < start + size:
                return
            payload = bytes(buffer[start : start + size])
            del buffer[: start + size]
            if opcode == 0x1:
                if not self.seated.is_set() and b'"welcome"' in payload:
                    self.seated.set()
                    self.on_seated()
                for match in MARKER.finditer(payload):
                    self.arrivals.setdefault(int(match.group(1)), now)
            elif opcode == 0x9 and self.transport is not None:
                self.transport.write(masked_pong(payload))
            elif opcode == 0x8:
                self.closed_with = struct.unpack_from("!H", payload)[0] if size >= 2 else 1005

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closed_with is None:
            self.closed_with = 1006


@dataclass
class Report:
    url: str
    viewers: int
    notes: int
    rate: float
    size: int
    posters: int = 1
    seated: int = 0
    seat_seconds: float = 0.0
    deliveries: int = 0
    lost: int = 0
    latency_ms: dict[str, float] = field(default_factory=dict)
    notes_per_s: float = 0.0
    server_cpu_percent: float | None = None
    server_rss_mib: float | None = None
    server_peak_rss_mib: float | None = None

    def lines(self) -> list[str]:
        lat = self.latency_ms
        out = [
            f"viewers seated: {self.seated}/{self.viewers} in {self.seat_seconds:.2f} s",
            f"notes: {self.notes} of {self.size} B, "
            + (f"at {self.rate}/s" if self.posters == 1 else f"from {self.posters} posters")
            + f", accepted {self.notes_per_s:.1f}/s",
            f"deliveries: {self.deliveries}, lost: {self.lost}",
        ]
        if lat:
            out.append("latency ms: " + ", ".join(f"{k} {v:.1f}" for k, v in lat.items()))
        if self.server_cpu_percent is not None:
            out.append(
                f"server: CPU {self.server_cpu_percent:.0f}%, RSS {self.server_rss_mib:.0f}"
                f" MiB (peak {self.server_peak_rss_mib:.0f} MiB)"
            )
        return out


class Http:
    """A keep-alive HTTP/1.1 connection for the setup calls and the posters (one per thread)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port or 80, timeout=30
        )

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.connection.request(
            method, path, json.dumps(body) if body is not None else None, headers
        )
        response = self.connection.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return json.loads(data) if data else None


def new_board(setup: Http, admin_token: str | None) -> str:
    if not admin_token:
        raise RuntimeError("give --slug of an existing board, or --admin-token to create one")
    created = setup.call("POST", "/api/boards", {"title": "board bench"}, admin_token)
    return str(created["board"]["slug"])


def note_body(number: int, size: int) -> str:
    head = f"bench-n{number:06d} Krav om utslippsfrie byggeplasser i alle kontrakter. "
    return (head * (size // len(head) + 1))[: max(size, len(head))]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int, key: str = "VmRSS") -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


async def run_fanout(
    url: str,
    slug: str | None,
    admin_token: str | None,
    viewers: int,
    notes: int,
    rate: float,
    size: int,
    server_pid: int | None,
    timeout: float,
    ws_url: str | None = None,
    posters: int = 1,
) -> Report:
    """Seat the viewers, then post: one poster at `rate`, or `posters` as fast as they can."""
    report = Report(url, viewers, notes, rate, size, posters)
    setup = Http(url)
    slug = slug or new_board(setup, admin_token)
    token = setup.call("POST", f"/api/boards/{slug}/participants", {"name": "bench"})["token"]

    parts = urlsplit(ws_url or url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    loop = asyncio.get_running_loop()
    arrivals = [dict[int, float]() for _ in range(viewers)]
    protocols: list[Viewer] = []
    seated_count = 0
    all_seated = asyncio.Event()

    def on_seated() -> None:
        nonlocal seated_count
        seated_count += 1
        if seated_count == viewers:
            all_seated.set()

    semaphore = asyncio.Semaphore(SEAT_CONCURRENCY)

    async def seat(index: int) -> None:
        async with semaphore:
            seated = asyncio.Event()
            _, protocol = await loop.create_connection(
                lambda: Viewer(
                    f"{host}:{port}", f"/ws/boards/{slug}", arrivals[index], seated, on_seated
                ),
                host,
                port,
            )
            protocols.append(protocol)
            await asyncio.wait_for(seated.wait(), timeout)

    start = time.perf_counter()
    cpu_start = cpu_seconds(server_pid) if server_pid else 0.0
    await asyncio.wait_for(asyncio.gather(*(seat(i) for i in range(viewers))), timeout)
    report.seated = seated_count
    report.seat_seconds = time.perf_counter() - start

    sent: dict[int, float] = {}
    accepted = [0] * posters
    post_start = time.perf_counter()
    tokens = [token] + [
        setup.call("POST", f"/api/boards/{slug}/participants", {})["token"]
        for _ in range(posters - 1)
    ]

    def post(index: int) -> None:
        client = Http(url)
        for number in range(index, notes, posters):
            if posters == 1:  # a steady rate; several posters go as fast as they can
                delay = post_start + number / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            sent[number] = time.perf_counter()
            client.call(
                "POST",
                f"/api/boards/{slug}/notes",
                {
                    "client_id": f"bench-{number}-{secrets.token_hex(4)}",
                    "body": note_body(number, size),
                },
                tokens[index],
            )
            accepted[index] += 1

    def post_all() -> None:
        threads = [threading.Thread(target=post, args=(i,)) for i in range(posters)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    await asyncio.wait_for(asyncio.to_thread(post_all), timeout + notes / rate)
    report.notes_per_s = sum(accepted) / (time.perf_counter() - post_start)
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline and any(len(a) < notes for a in arrivals):
        await asyncio.sleep(0.1)
    if server_pid:
        elapsed = time.perf_counter() - start
        report.server_cpu_percent = 100 * (cpu_seconds(server_pid) - cpu_start) / elapsed
        report.server_rss_mib = rss_mib(server_pid)
        report.server_peak_rss_mib = rss_mib(server_pid, "VmHWM")
    latencies = sorted(
        (when - sent[number]) * 1000
        for seen in arrivals
        for number, when in seen.items()
        if number in sent
    )
    report.deliveries = len(latencies)
    report.lost = viewers * notes - report.deliveries
    if latencies:
        report.latency_ms = {
            "p50": statistics.median(latencies),
            "p90": latencies[int(len(latencies) * 0.90) - 1],
            "p99": latencies[int(len(latencies) * 0.99) - 1],
            "max": latencies[-1],
        }
    for protocol in protocols:
        if protocol.transport is not None:
            protocol.transport.abort()
    return report
