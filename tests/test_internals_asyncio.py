"""board/internals/asyncio_private.py: the future flag it clears is still asyncio's, and both
ways of awaiting a hand-stepped send's future (the flag, and the public fallback) carry a slow
socket's frames, in order, on asyncio's loop and on uvloop's (which `board serve` runs)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import uvloop
from test_hub import Socket, event, seat

from board.internals import asyncio_private
from board.live.hub import Hub

LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "asyncio": asyncio.new_event_loop,
    "uvloop": uvloop.new_event_loop,
}


def run(loop: str, scenario: Coroutine[Any, Any, Any]) -> Any:
    with asyncio.Runner(loop_factory=LOOPS[loop]) as runner:
        return runner.run(asyncio.wait_for(scenario, 10))


async def stepped_wait() -> bool:
    """What Client.flush does with a send that must wait: step it by hand, then let another
    coroutine await the future it yielded and finish it."""
    ready = asyncio.Event()
    waiting = ready.wait()
    yielded = waiting.send(None)
    assert getattr(yielded, "_asyncio_future_blocking", None) is True, (
        f"Python {sys.version.split()[0]}: a waiting coroutine no longer yields its future with "
        "_asyncio_future_blocking set; update board/internals/asyncio_private.py"
    )

    async def finish() -> bool:
        await asyncio_private.take_over(yielded)
        try:
            waiting.send(None)
        except StopIteration as done:
            return bool(done.value)
        raise AssertionError("the wait did not finish once its future was done")

    finishing = asyncio.create_task(finish())
    await asyncio.sleep(0)
    ready.set()
    return await finishing


def test_asyncio_futures_still_have_the_flag_the_fan_out_clears() -> None:
    """asyncio's Future has `_asyncio_future_blocking`, so the adapter clears it (no fallback)."""
    assert asyncio_private.take_over is not asyncio_private.chained, (
        f"Python {sys.version.split()[0]}'s asyncio.Future no longer has "
        "_asyncio_future_blocking; board/internals/asyncio_private.py falls back to chained() "
        "(asyncio.wait: one more future per wait); update the adapter"
    )


@pytest.fixture(params=["flag", "fallback"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs with the way this Python chose, and again forced onto the fallback."""
    if request.param == "fallback":
        monkeypatch.setattr(asyncio_private, "take_over", asyncio_private.chained)
    return str(request.param)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_stepped_wait_finishes_once_its_future_is_done(way: str, loop: str) -> None:
    """Another coroutine awaits the yielded future through take_over and completes the wait."""
    assert run(loop, stepped_wait()) is True


@pytest.mark.parametrize("loop", LOOPS)
def test_a_socket_that_was_not_writable_gets_every_frame_in_order(way: str, loop: str) -> None:
    """The hub's waiting send (Client._finish) carries a stalled socket's backlog once it
    drains, then the socket is back to direct writes."""

    async def scenario() -> Socket:
        hub = Hub(read_after=lambda board_id, after: asyncio.sleep(0, []))
        [socket] = seat(hub, 1, direct=True)
        socket.writable.clear()
        for seq in range(1, 11):
            hub.publish([event(seq)])
            await asyncio.sleep(0)
        socket.writable.set()
        while len(socket.seqs()) < 10:
            await asyncio.sleep(0.01)
        hub.publish([event(11)])
        await asyncio.sleep(0)
        return socket

    socket = run(loop, scenario())
    assert socket.seqs() == list(range(1, 12))
    # 1 by the waiting send, 2–10 as one backlog frame written, 11 written.
    assert len(socket.written) == 2 and len(socket.frames) == 3
