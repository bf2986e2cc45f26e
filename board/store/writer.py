"""Group commit: SQLite's single writer as one thread that commits the writes queued meanwhile.

SQLite lets one transaction write at a time. With a thread per request, every write pays for
its own connection, BEGIN and COMMIT, and the threads hand the write lock and the GIL to each
other on every statement. Here one thread takes every write that queued up while the last
group committed, runs them in one transaction and commits once; the requests are answered only
after that commit. Each write still succeeds or fails on its own (see `_commit`). An idle server
still commits each write at once.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from board import metrics
from board.store.db import GroupSpoiled, Store
from board.store.unavailable import unavailable

R = TypeVar("R")
log = logging.getLogger("board.store.writer")

# Bounds the time a request waits for the others in its group (each write takes about 1 ms).
MAX_GROUP = 64

_Job = tuple[Callable[..., Any], tuple[Any, ...], asyncio.Future[Any]]
_Outcome = tuple[asyncio.Future[Any], Any, BaseException | None]


class GroupCommit:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Finish the writes already queued, then end the thread."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._jobs.put(None)
            await asyncio.to_thread(thread.join)

    async def run(self, func: Callable[..., R], *args: Any) -> R:
        """`func(*args)` in the next group; returns once its group has committed."""
        assert self._loop is not None and self._thread is not None, "start() first"
        future: asyncio.Future[R] = self._loop.create_future()
        self._jobs.put((func, args, future))
        return await future

    @property
    def running(self) -> bool:
        return self._thread is not None

    def _run(self) -> None:
        while (first := self._jobs.get()) is not None:
            jobs = [first]
            stop = False
            while len(jobs) < MAX_GROUP:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                jobs.append(job)
            started = time.perf_counter()
            outcomes = self._commit(jobs)
            # In this thread, once per group: the requests are answered after it (_settle).
            metrics.group_commit_seconds.observe(time.perf_counter() - started)
            metrics.group_commit_writes.observe(len(jobs))
            self._settle(outcomes)
            if stop:
                return

    def _commit(self, jobs: list[_Job]) -> list[_Outcome]:
        # First without a savepoint per write; a write that failed halfway spoils that run, and
        # the group runs again with savepoints, where every write succeeds or fails on its own.
        # The writes are database work only, so running them twice changes nothing outside.
        try:
            return self._attempt(jobs, savepoints=False)
        except GroupSpoiled:
            return self._attempt(jobs, savepoints=True)

    def _attempt(self, jobs: list[_Job], savepoints: bool) -> list[_Outcome]:
        outcomes: list[_Outcome] = []
        try:
            with self.store.group(savepoints):
                for func, args, future in jobs:
                    try:
                        outcomes.append((future, func(*args), None))
                    except GroupSpoiled:
                        raise
                    except Exception as exc:  # this request's own error, for its own caller
                        outcomes.append((future, None, exc))
        except GroupSpoiled:
            raise
        except Exception as exc:  # the commit failed: none of the group's writes happened
            if not unavailable(exc):  # an outage is logged once, by outage.py
                log.error("group commit of %d writes failed: %s", len(jobs), exc)
            return [(future, None, exc) for _, _, future in jobs]
        return outcomes

    def _settle(self, outcomes: list[_Outcome]) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(_settle, outcomes)


def _settle(outcomes: list[_Outcome]) -> None:
    for future, result, error in outcomes:
        if future.cancelled():  # the client went away; its write stands
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
