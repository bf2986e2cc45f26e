"""Carries committed events between server processes over Redis pub/sub.

Redis is only the fast path: the database stays the source of truth. Every process publishes
what it committed and delivers what the others committed; a lost message shows up as a `seq`
jump, which the hub fills from the database. While Redis is away, publishing is skipped (with a
warning) and the subscriber reconnects with backoff by itself; once it is back, and every few
seconds anyway, each live board is compared with the database, so nothing is lost for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from dataclasses import asdict
from typing import Any

from board import metrics
from board.live.hub import Hub
from board.store.events import Committed

log = logging.getLogger("board.live.relay")

CHANNEL = "board:events"
MAX_BACKOFF = 10.0
# The safety net: how often live boards are compared with the database in Redis mode.
RESYNC_INTERVAL = 5.0
OUTBOX_LIMIT = 10_000


class RedisRelay:
    def __init__(self, url: str, hub: Hub) -> None:
        try:
            import redis.asyncio as redis
        except ImportError as exc:
            raise RuntimeError(
                "BOARD_REDIS_URL is set but the redis package is missing: "
                "pip install 'sdg-pinboard[redis]'"
            ) from exc
        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.hub = hub
        self.outbox: asyncio.Queue[str] = asyncio.Queue(OUTBOX_LIMIT)
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.redis.ping()  # fail at start, with a clear error, when Redis is unreachable
        self.tasks = [
            asyncio.create_task(self._subscribe(), name="relay-subscribe"),
            asyncio.create_task(self._publish(), name="relay-publish"),
            asyncio.create_task(self._resync_periodically(), name="relay-resync"),
        ]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.redis.aclose()

    async def problem(self, within: float) -> str | None:
        """Why Redis cannot be used right now, in words fit for a public answer (the details,
        which name hosts, are in the log), or None when it answers PING within `within` s."""
        try:
            await asyncio.wait_for(self.redis.ping(), within)
        except TimeoutError:
            return f"Redis does not answer within {within:g} s; events go through the database"
        except Exception:  # any Redis failure means the same to a load balancer
            return "Redis is unreachable; events go through the database"
        return None

    def send(self, events: list[Committed]) -> None:
        """Queue committed events for the other processes (called on the event loop)."""
        try:
            self.outbox.put_nowait(json.dumps([asdict(e) for e in events], ensure_ascii=False))
        except asyncio.QueueFull:
            metrics.relay_publishes.labels("dropped").inc()
            # Redis has been away for long; the others will read these from the database.
            log.warning(
                "Redis outbox full: dropping a message; other processes resync from the database"
            )

    async def _publish(self) -> None:
        failing = False
        while True:
            message = await self.outbox.get()
            try:
                await self.redis.publish(CHANNEL, message)
                metrics.relay_publishes.labels("sent").inc()
                if failing:
                    log.info("publishing to Redis works again")
                    failing = False
            except Exception as exc:  # any Redis failure: skip, the database has the events
                metrics.relay_publishes.labels("failed").inc()
                if not failing:
                    log.warning(
                        "cannot publish to Redis (%s); other processes will catch up "
                        "from the database",
                        exc,
                    )
                    failing = True

    async def _subscribe(self) -> None:
        attempt = 0
        while True:
            try:
                async with self.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    if attempt:
                        log.info(
                            "Redis subscription restored after %d attempts; resyncing", attempt
                        )
                    attempt = 0
                    # Whatever was published while we were away is in the database.
                    self.hub.resync()
                    while True:
                        message = await pubsub.get_message(timeout=30)
                        if message is not None:
                            self._deliver(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                attempt += 1
                metrics.relay_reconnects.inc()
                delay = random.uniform(0, min(MAX_BACKOFF, 0.25 * 2**attempt))  # noqa: S311
                log.warning(
                    "Redis subscription lost (%s); retrying in %.1f s (attempt %d)",
                    exc,
                    delay,
                    attempt,
                )
                await asyncio.sleep(delay)

    def _deliver(self, data: Any) -> None:
        try:
            events = [Committed(**item) for item in json.loads(data)]
        except (ValueError, TypeError) as exc:
            log.warning("ignoring a malformed Redis message: %s", exc)
            return
        self.hub.publish(events)

    async def _resync_periodically(self) -> None:
        while True:
            await asyncio.sleep(RESYNC_INTERVAL)
            self.hub.resync()
