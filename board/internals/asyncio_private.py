"""Awaiting a future that a hand-stepped coroutine yielded: asyncio's `_asyncio_future_blocking`.

The fan-out steps each socket's send coroutine by hand (`coroutine.send(None)`) instead of
running a task per socket per event: a task each had cost a wake-up per socket per event, and
5,000 viewers' p99 was 635 ms (docs/performance.md). When a send has to wait for the socket, the
coroutine yields the future it waits on with asyncio's private flag `_asyncio_future_blocking`
set, for the task that drives it. `take_over(future)` clears the flag, as `asyncio.Task` does,
so that the coroutine that drives the send from then on can await that very future; awaiting it
with the flag set raises "await wasn't used with future".

Fallback, chosen once at import when asyncio's futures have no such attribute: `chained(future)`
waits for the future through `asyncio.wait`, one more future and callback per wait. Either runs
only when a socket is not writable, never for a frame the socket takes at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


def _clear_flag(future: Any) -> Awaitable[Any]:
    future._asyncio_future_blocking = False
    return future  # type: ignore[no-any-return]


async def chained(future: Any) -> None:
    """Wait until `future` is done without awaiting it (its outcome stays with the coroutine)."""
    await asyncio.wait((future,))


take_over: Callable[[Any], Awaitable[Any]] = (
    _clear_flag if hasattr(asyncio.Future, "_asyncio_future_blocking") else chained
)
