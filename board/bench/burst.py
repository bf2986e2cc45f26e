"""The burst scenario (#14): "everyone, post your idea now". N participants, joined beforehand
with a token each, post one note each within S seconds (spread evenly) while viewers watch.

Posts go over one pool of keep-alive connections (opened as needed, up to POOL), each on its
own schedule, so the load generator is not what limits them. A POST is timed from when its
request was written to its answer; a delivery from the same moment to the viewer's frame.
"""

from __future__ import annotations

import asyncio
import random
import time

from .http1 import Pool, address
from .parameters import BurstParameters
from .posting import Flow, board_for, join_many, note
from .report import BurstReport, CpuClock, percentiles
from .viewers import Deliveries, Viewer, close, seat

POOL = 256
JOIN_CONNECTIONS = 16


async def run_burst(load: BurstParameters) -> BurstReport:
    """Join `burst` participants, seat `viewers`, then post one note per participant."""
    host, port = address(load.url)
    ws_host, ws_port = address(load.ws_url or load.url)
    report = BurstReport(
        url=load.url, burst=load.burst, within=load.within, viewers=load.viewers, size=load.size
    )
    setup = Pool(host, port, JOIN_CONNECTIONS, load.timeout)
    posting = Pool(host, port, POOL, load.timeout)
    seated: list[Viewer] = []
    try:
        slug = report.slug = await board_for(setup, load.slug, load.admin_token)
        tokens = await asyncio.wait_for(join_many(setup, slug, load.burst, "burst"), load.timeout)
        deliveries = Deliveries(load.viewers, load.burst)
        records = [deliveries.recorder(i) for i in range(load.viewers)]
        path = f"/ws/boards/{slug}"
        seated, report.seat_seconds = await seat(ws_host, ws_port, path, records, load.timeout)
        report.seated = len(seated)

        flow = Flow(posting, slug, tokens[0], load.burst / load.within, load.size, load.burst)
        rng = random.Random(load.burst)  # noqa: S311 (text, not a secret)
        bodies = [note(n, load.size, rng) for n in range(load.burst)]
        clock = CpuClock(load.server_pid)
        start = time.perf_counter()
        posts = []
        for number in range(load.burst):
            delay = start + number * load.within / load.burst - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            report.late_ms = max(report.late_ms, -delay * 1000)
            posts.append(asyncio.create_task(flow.post(number, bodies[number], tokens[number])))
        await asyncio.wait_for(asyncio.gather(*posts), load.timeout)
        report.post_seconds = time.perf_counter() - start
        flow.check()

        expected = load.viewers * len(flow.accepted)
        deadline = time.perf_counter() + load.timeout
        while deliveries.count < expected and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
        report.server.measure(clock)
        report.accepted = len(flow.accepted)
        report.post_failures = dict(flow.failed)
        report.connections = posting.opened
        report.post_ms = percentiles(sorted(flow.post_ms), ("p50", "p99", "max"))
        sent = {n: t for n, t in flow.sent.items() if n in flow.accepted}
        latencies = deliveries.latencies_ms(sent)
        report.deliveries = len(latencies)
        report.lost = expected - report.deliveries
        report.fanout_ms = percentiles(latencies)
    finally:
        close(seated)
        setup.close()
        posting.close()
    return report
