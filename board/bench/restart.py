"""The restart scenario (#14): a deploy in the middle of a webinar.

The bench starts the server itself, seats viewers that follow the resume contract (resume.py),
posts notes, sends SIGTERM, waits for the exit, starts the same command again (same data
directory, same environment), posts more notes, and times each step: SIGTERM → exit, exit →
`/healthz` answering, answering → every viewer welcomed again. At the end each viewer must hold
every note posted before and after, each once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shlex
import time

from .http1 import Pool, address
from .parameters import RestartParameters
from .posting import Flow, board_for, call, join_many
from .process import ServerProcess, default_command
from .report import RestartReport, percentiles
from .resume import Follower, Watch
from .viewers import SEAT_CONCURRENCY


async def run_restart(load: RestartParameters) -> RestartReport:
    """Run the scenario with a server of our own at `url`'s port; see the module docstring."""
    host, port = address(load.url)
    command = load.server_cmd or default_command(host, port)
    shown = command if isinstance(command, str) else shlex.join(command)
    report = RestartReport(
        url=load.url, viewers=load.viewers, notes=load.notes, rate=load.rate, command=shown
    )
    server = ServerProcess(command)
    followers: list[Follower] = []
    pools: list[Pool] = []

    def pool(size: int) -> Pool:
        pools.append(Pool(host, port, size, load.timeout))
        return pools[-1]

    try:
        await server.port_free(host, port)
        await server.start()
        await server.healthy(host, port, load.timeout)
        setup = pool(4)
        slug = report.slug = await board_for(setup, load.slug, load.admin_token)
        token = (await join_many(setup, slug, 1, "restart"))[0]
        since = int((await call(setup, "GET", f"/api/boards/{slug}"))["seq"])

        watch = Watch(load.viewers)
        reloading = pool(8)
        reloads: set[asyncio.Task[None]] = set()

        async def reload(follower: Follower) -> None:
            response = await reloading.json("GET", f"/api/boards/{slug}")
            body = response.content()
            follower.snapshot(body, int(json.loads(body)["seq"]))

        def on_reset(follower: Follower) -> None:
            task = asyncio.create_task(reload(follower))
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        path = f"/ws/boards/{slug}"
        followers = [
            Follower(host, port, path, since, 2 * load.notes, watch, on_reset)
            for _ in range(load.viewers)
        ]
        report.seat_seconds = await seat(followers, load.timeout)
        report.seated = sum(f.welcomed.done() for f in followers)

        before = Flow(pool(4), slug, token, load.rate, load.size, load.notes)
        await asyncio.wait_for(before.run(asyncio.Event()), load.timeout + load.notes / load.rate)
        before.check()

        watch.sigterm = sigterm = time.perf_counter()
        report.exit_code = await server.terminate(load.timeout)
        exited = time.perf_counter()
        await server.start()
        answering = await server.healthy(host, port, load.timeout)
        after = Flow(pool(4), slug, token, load.rate, load.size, 2 * load.notes, first=load.notes)
        posting = asyncio.create_task(after.run(asyncio.Event()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(watch.all_resumed.wait(), load.timeout)
        await asyncio.wait_for(posting, load.timeout + load.notes / load.rate)
        after.check()

        report.sigterm_to_exit_s = exited - sigterm
        report.exit_to_answering_s = answering - exited
        resumed = sorted(f.resumed_at for f in followers if f.resumed_at is not None)
        report.resumed = len(resumed)
        if len(resumed) == load.viewers:
            report.answering_to_all_resumed_s = resumed[-1] - answering
            report.sigterm_to_all_resumed_s = resumed[-1] - sigterm
        report.resume_ms = percentiles([(t - answering) * 1000 for t in resumed])

        accepted = sorted(before.accepted | after.accepted)
        await until_delivered(followers, accepted, load.timeout)
        report.notes_before, report.notes_after = len(before.accepted), len(after.accepted)
        report.post_failures = dict(before.failed + after.failed)
        report.close_codes = {str(code): n for code, n in sorted(watch.close_codes.items())}
        report.failed_connects = dict(watch.failed_connects)
        report.reconnects = watch.connects
        report.resets = sum(f.resets for f in followers)
        for follower in followers:
            gaps = sum(1 for n in accepted if not follower.seen[n])
            report.gaps += gaps
            report.viewers_with_gaps += gaps > 0
            report.duplicates += sum(1 for count in follower.seen if count > 1)
    finally:
        for follower in followers:
            follower.stop()
        for each in pools:
            each.close()
        await server.stop()
    return report


async def seat(followers: list[Follower], timeout: float) -> float:
    """Connect every follower and wait for its first welcome; the seconds it took."""
    start = time.perf_counter()
    limit = asyncio.Semaphore(SEAT_CONCURRENCY)

    async def one(follower: Follower) -> None:
        async with limit:
            follower.connect()
            await follower.welcomed

    await asyncio.wait_for(asyncio.gather(*(one(f) for f in followers)), timeout)
    return time.perf_counter() - start


async def until_delivered(followers: list[Follower], notes: list[int], timeout: float) -> None:
    """Wait (up to `timeout`) until every follower has seen every note in `notes`."""
    deadline = time.perf_counter() + timeout

    def done(follower: Follower) -> bool:
        return all(follower.seen[n] for n in notes)

    waiting = list(followers)
    while waiting and time.perf_counter() < deadline:
        waiting = [f for f in waiting if not done(f)]
        if waiting:
            await asyncio.sleep(0.1)
