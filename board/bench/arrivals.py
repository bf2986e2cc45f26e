"""The arrivals scenario (#14): thousands of first visits to a busy board in the first minute.

Phases, each with a deadline: make (or take) the board and prefill it; find what the page loads
(assets.py); seat the viewers; post notes at `rate` for the quiet phase, and on through the
arrivals; start the arrivals on schedule (evenly spread, or a Poisson process) and let each
visit until it is live (visit.py); stop posting when the last arrival is live or has failed;
wait for every viewer to see every note; then a sample of arrivals visits again, with its cache.

A viewer's fan-out latency is counted in the phase its note was posted in, so one run gives the
ratio of the arrivals' cost to the audience already watching.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import Counter

from .assets import Discovered, discover
from .http1 import ACCEPT_ENCODING, Pool, address
from .parameters import ArrivalsParameters
from .posting import Flow, board_for, join_many, prefill
from .report import ArrivalsReport, CpuClock, VisitFigures, percentiles
from .viewers import Deliveries, Viewer, close, seat
from .visit import Site, Visit, Visitor

PREFILL_POSTERS = 8


def schedule(count: int, over: float, poisson: bool, seed: int = 14) -> list[float]:
    """Start offsets in seconds: evenly spread over `over`, or a Poisson process of that mean
    rate (exponential gaps), cut to `over`."""
    if not poisson:
        return [i * over / count for i in range(count)]
    rng = random.Random(seed)  # noqa: S311 (a schedule, not a secret)
    offsets, t = [], 0.0
    for _ in range(count):
        offsets.append(min(t, over))
        t += rng.expovariate(count / over)
    return offsets


async def run_arrivals(load: ArrivalsParameters) -> ArrivalsReport:
    """Run the scenario against the server at `url`; see the module docstring."""
    host, port = address(load.url)
    ws_host, ws_port = address(load.ws_url or load.url)
    report = ArrivalsReport(
        url=load.url, arrivals=load.arrivals, over=load.over, poisson=load.poisson,
        prefill=load.prefill, viewers=load.viewers, rate=load.rate, quiet=load.quiet,
        stay=not load.leave,
    )  # fmt: skip
    setup = Pool(host, port, PREFILL_POSTERS, load.timeout)
    posting = Pool(host, port, 4, load.timeout)
    seated: list[Viewer] = []
    visitors: list[Visitor] = []
    stop = asyncio.Event()
    try:
        slug = report.slug = await board_for(setup, load.slug, load.admin_token)
        found = await prepare(
            setup, load.url, slug, load.prefill, load.size, load.catalogue_url, load.timeout
        )
        report.assets, report.catalogue = found.assets, found.catalogue
        site = Site(host, port, ws_host, ws_port, slug, found.assets, found.catalogue, load.timeout)

        # Notes that can flow while everything happens; the viewers' arrays are this long.
        capacity = int(load.rate * (load.quiet + load.over + 2 * load.timeout)) + 1
        deliveries = Deliveries(load.viewers, capacity)
        records = [deliveries.recorder(i) for i in range(load.viewers)]
        path = f"/ws/boards/{slug}"
        seated, report.seat_seconds = await seat(ws_host, ws_port, path, records, load.timeout)
        report.seated = len(seated)

        poster = (await join_many(setup, slug, 1, "flow"))[0]
        flow = Flow(posting, slug, poster, load.rate, load.size, capacity)
        flowing = asyncio.create_task(flow.run(stop))
        clock = CpuClock(load.server_pid)
        visitors = [Visitor(site, f"arrival {i}") for i in range(load.arrivals)]
        await asyncio.sleep(load.quiet)
        flow.check()
        quiet_end = time.perf_counter()
        report.server_cpu_before_percent = clock.percent()
        clock.mark()
        visits, lags = await arrive(
            visitors, schedule(load.arrivals, load.over, load.poisson), load.leave
        )
        during_end = time.perf_counter()
        report.server_cpu_during_percent = clock.percent()
        stop.set()
        await asyncio.wait_for(flowing, load.timeout)
        flow.check()

        expected = load.viewers * len(flow.accepted)
        deadline = time.perf_counter() + load.timeout
        while deliveries.count < expected and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
        report.lost = deliveries.missing(flow.accepted)
        report.measure_server(load.server_pid)
        report.post_failures = dict(flow.failed)
        sent = {n: t for n, t in flow.sent.items() if n in flow.accepted}
        before = {n: t for n, t in sent.items() if t < quiet_end}
        during = {n: t for n, t in sent.items() if quiet_end <= t < during_end}
        report.notes_before, report.notes_during = len(before), len(during)
        report.fanout_before_ms = percentiles(deliveries.latencies_ms(before))
        report.fanout_during_ms = percentiles(deliveries.latencies_ms(during))
        report.set_ratio()

        live = [v for v in visits if v.live is not None]
        report.live, report.failed = len(live), load.arrivals - len(live)
        report.failures = dict(Counter(v.failure or "no answer" for v in visits if v.live is None))
        report.resets = sum(v.reset for v in visits)
        report.time_to_live_ms = percentiles(sorted((v.live or 0) * 1000 for v in live))
        report.steps_ms = {
            step: percentiles(sorted(v.steps[step] * 1000 for v in live), ("p50", "p99"))
            for step in (live[0].steps if live else {})
        }
        report.start_lag_ms = percentiles(sorted(lag * 1000 for lag in lags), ("p50", "max"))
        report.first_visit = figures_of(live)
        wanted = [vis for vis, v in zip(visitors, visits, strict=True) if v.live is not None]
        report.repeat_visit = figures_of(await revisit(wanted, load.repeat_visits))
    finally:
        stop.set()
        close(seated)
        for visitor in visitors:
            visitor.leave()
        setup.close()
        posting.close()
    return report


async def prepare(
    setup: Pool,
    url: str,
    slug: str,
    notes: int,
    size: int,
    catalogue: str | None,
    timeout: float,
) -> Discovered:
    """Prefill the board with `notes` notes, then find what its page loads."""
    if notes:
        tokens = await join_many(setup, slug, PREFILL_POSTERS, "prefill")
        await asyncio.wait_for(prefill(setup, slug, tokens, notes, size), timeout)

    async def fetch(target: str) -> bytes:
        response = await setup.request("GET", target, {"Accept-Encoding": ACCEPT_ENCODING})
        if response.status != 200:
            raise RuntimeError(f"GET {target}: {response.status} while finding the page's assets")
        return response.content()

    page = f"{url.rstrip('/')}/b/{slug}"
    return await asyncio.wait_for(discover(page, fetch, catalogue), timeout)


async def arrive(
    visitors: list[Visitor], offsets: list[float], leave: bool
) -> tuple[list[Visit], list[float]]:
    """Start each visitor's first visit at its offset; (their visits, how late each started)."""
    visits: list[Visit] = [Visit() for _ in visitors]
    lags: list[float] = []
    start = time.perf_counter()

    async def one(index: int) -> None:
        visits[index] = await visitors[index].visit()
        if leave:
            visitors[index].leave()

    running: list[asyncio.Task[None]] = []
    for index, offset in enumerate(offsets):
        delay = start + offset - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        lags.append(max(0.0, time.perf_counter() - start - offset))
        running.append(asyncio.create_task(one(index)))
    await asyncio.gather(*running)  # each visit has its own deadline
    return visits, lags


async def revisit(visitors: list[Visitor], count: int) -> list[Visit]:
    """A second visit by `count` of them (evenly picked): the tab closed, then opened again."""
    if not visitors or count <= 0:
        return []
    step = max(1, len(visitors) // count)
    chosen = visitors[::step][:count]

    async def again(visitor: Visitor) -> Visit:
        visitor.leave()
        return await visitor.visit()

    # All at once, so the phase ends within one visit's deadline; the measurements are done.
    return list(await asyncio.gather(*(again(v) for v in chosen)))


def figures_of(visits: list[Visit]) -> VisitFigures:
    """Requests and bytes per visit (means), and how long it took to go live."""
    done = [v for v in visits if v.live is not None]
    if not done:
        return VisitFigures(visits=len(visits))
    return VisitFigures(
        visits=len(visits),
        live=len(done),
        requests=statistics.mean(v.requests for v in done),
        bytes=statistics.mean(v.wire for v in done),
        ws_bytes=statistics.mean(v.ws_wire for v in done),
        time_to_live_ms=percentiles(sorted((v.live or 0) * 1000 for v in done), ("p50", "max")),
    )
