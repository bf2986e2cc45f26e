"""The database as the HTTP answers see it: when it cannot be reached, drops connections or does
not answer in time, every request that needs it gets a 503 `database_unavailable` with a
`Retry-After`, and the log says twice what happened (when it began, with the reason; when it
ended, with how many requests were refused), not a traceback per request.

Nothing acknowledged is lost in an outage: a write either committed before the answer or was
refused as a whole, and the client retries it (with the same `client_id` for a note).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from board import metrics
from board.store.unavailable import reason, unavailable
from board.web.http import error_response

log = logging.getLogger("board")

# Seconds a client is asked to wait before it retries: an outage that a restart or a failover
# ends is over in a few seconds, and a webinar's pages retry on their own.
RETRY_AFTER = 3
# How often, during an outage, the database is asked whether it is back.
PROBE_INTERVAL = 0.5


class Outage:
    """Whether the database is away for this process, since when, and how many requests it
    refused meanwhile. Lives on the event loop (`app.state.outage`)."""

    def __init__(
        self, ping: Callable[[], None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ping = ping
        self.clock = clock
        self.since: float | None = None
        self.cause = ""
        self.refused = 0
        self._probe: asyncio.Task[None] | None = None

    @property
    def down(self) -> bool:
        return self.since is not None

    def begin(self, exc: BaseException) -> None:
        """The database failed: log it once, and ask it now and then whether it is back."""
        if self.since is not None:
            return
        self.since, self.cause, self.refused = self.clock(), reason(exc), 0
        metrics.database_unavailable.set(1)
        log.warning("database unavailable: %s", self.cause)
        self._probe = asyncio.create_task(self._until_back(), name="database probe")

    async def _until_back(self) -> None:
        while True:
            await asyncio.sleep(PROBE_INTERVAL)
            try:
                await run_in_threadpool(self.ping)
            except Exception as exc:  # still away: only the first reason was logged
                if not unavailable(exc):
                    log.warning("database probe failed: %s", reason(exc))
                continue
            assert self.since is not None
            log.warning(
                "database available again after %.1f s; %d requests refused meanwhile",
                self.clock() - self.since,
                self.refused,
            )
            self.since, self._probe = None, None
            metrics.database_unavailable.set(0)
            return

    def lasted(self) -> float:
        """Seconds since the outage began (0 when there is none)."""
        return 0.0 if self.since is None else self.clock() - self.since

    def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            metrics.database_unavailable.set(0)  # the app is going: it refuses nothing more

    async def handle(self, _request: Request, exc: Exception) -> Response:
        """The exception handler for `UNAVAILABLE`: 503, counted, no traceback."""
        self.begin(exc)
        self.refused += 1
        return error_response(
            503,
            "database_unavailable",
            f"the board cannot save or load right now; try again in {RETRY_AFTER} s",
            {"Retry-After": str(RETRY_AFTER)},
        )
