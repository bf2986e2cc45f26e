"""The fan-out scenario (`board bench`, #4): seat viewers, post notes, time every delivery.

Latency is measured for every (note, viewer) delivery from the moment the note's POST was sent.
Posting runs in threads with blocking keep-alive connections, as it did when the README's
figures were measured: one poster at `rate`, or `posters` as fast as they can (`--ingest`).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import secrets
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from .parameters import FanoutParameters
from .report import CpuClock, FanoutReport, percentiles, rss_mib
from .viewers import LIMITS_OFF, Record, close, seat


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
        if response.status == 429:
            raise RuntimeError(
                f"{method} {path}: 429, the server's rate limits refused it; {LIMITS_OFF}"
            )
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


async def run_fanout(load: FanoutParameters) -> FanoutReport:
    """Seat the viewers, then post: one poster at `rate`, or `posters` as fast as they can."""
    report = FanoutReport(load.url, load.viewers, load.notes, load.rate, load.size, load.posters)
    setup = Http(load.url)
    slug = load.slug or new_board(setup, load.admin_token)
    token = setup.call("POST", f"/api/boards/{slug}/participants", {"name": "bench"})["token"]

    parts = urlsplit(load.ws_url or load.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    arrivals = [dict[int, float]() for _ in range(load.viewers)]
    clock = CpuClock(load.server_pid)
    records: list[Record] = [seen.setdefault for seen in arrivals]
    protocols, report.seat_seconds = await seat(
        host, port, f"/ws/boards/{slug}", records, load.timeout
    )
    report.seated = len(protocols)

    sent: dict[int, float] = {}
    accepted = [0] * load.posters
    post_start = time.perf_counter()
    tokens = [token] + [
        setup.call("POST", f"/api/boards/{slug}/participants", {})["token"]
        for _ in range(load.posters - 1)
    ]

    def post(index: int) -> None:
        client = Http(load.url)
        for number in range(index, load.notes, load.posters):
            if load.posters == 1:  # a steady rate; several posters go as fast as they can
                delay = post_start + number / load.rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            sent[number] = time.perf_counter()
            client.call(
                "POST",
                f"/api/boards/{slug}/notes",
                {
                    "client_id": f"bench-{number}-{secrets.token_hex(4)}",
                    "body": note_body(number, load.size),
                },
                tokens[index],
            )
            accepted[index] += 1

    def post_all() -> None:
        threads = [threading.Thread(target=post, args=(i,)) for i in range(load.posters)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    await asyncio.wait_for(asyncio.to_thread(post_all), load.timeout + load.notes / load.rate)
    report.notes_per_s = sum(accepted) / (time.perf_counter() - post_start)
    deadline = time.perf_counter() + load.timeout
    while time.perf_counter() < deadline and any(len(a) < load.notes for a in arrivals):
        await asyncio.sleep(0.1)
    if load.server_pid:
        report.server_cpu_percent = clock.percent()
        report.server_rss_mib = rss_mib(load.server_pid)
        report.server_peak_rss_mib = rss_mib(load.server_pid, "VmHWM")
    latencies = sorted(
        (when - sent[number]) * 1000
        for seen in arrivals
        for number, when in seen.items()
        if number in sent
    )
    report.deliveries = len(latencies)
    report.lost = load.viewers * load.notes - report.deliveries
    report.latency_ms = percentiles(latencies)
    close(protocols)
    return report
