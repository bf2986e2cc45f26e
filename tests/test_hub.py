"""The fan-out core without sockets: ordering, gap repair, and adaptive batching by frame count."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from board.events import Committed
from board.hub import Client, Hub


def event(seq: int, public: bool = True) -> Committed:
    data = {"id": seq, "body": f"Notat {seq}"}
    return Committed(
        1, seq, "note.upsert", data, "note.upsert" if public else None, data if public else None
    )


class Socket:
    """A fake socket that records frames and can stop being writable, like a slow phone."""

    def __init__(self) -> None:
        self.frames: list[str] = []
        self.writable = asyncio.Event()
        self.writable.set()

    async def send(self, text: str) -> None:
        await self.writable.wait()
        self.frames.append(text)

    def seqs(self) -> list[int]:
        messages: list[Any] = []
        for frame in self.frames:
            decoded = json.loads(frame)
            messages += decoded if isinstance(decoded, list) else [decoded]
        return [m["seq"] for m in messages]


def seat(hub: Hub, count: int, moderator: bool = False) -> list[Socket]:
    sockets = []
    for _ in range(count):
        socket = Socket()
        client = Client(socket.send, moderator, limit=1000)
        client.held = False
        hub.join(1, client).start_at(0)
        sockets.append(socket)
    return sockets


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_idle_sockets_get_each_event_alone_at_once() -> None:
    """With nothing waiting, every event leaves as its own frame holding one object."""

    async def scenario() -> list[Socket]:
        hub = Hub(read_after=lambda board_id, after: asyncio.sleep(0, []))
        sockets = seat(hub, 20)
        for seq in (1, 2, 3):
            hub.publish([event(seq)])
            await settle()
        return sockets

    for socket in asyncio.run(scenario()):
        assert [json.loads(f)["seq"] for f in socket.frames] == [1, 2, 3]


def test_backlog_leaves_as_few_frames_not_one_per_event() -> None:
    """While sockets are not writable, 50 events coalesce: at most 2 frames per socket after."""

    async def scenario() -> list[Socket]:
        hub = Hub(read_after=lambda board_id, after: asyncio.sleep(0, []))
        sockets = seat(hub, 100)
        hub.publish([event(1)])
        await settle()
        for socket in sockets:
            socket.writable.clear()
        for seq in range(2, 52):
            hub.publish([event(seq)])
            await settle()
        for socket in sockets:
            socket.writable.set()
        await settle()
        return sockets

    for socket in asyncio.run(scenario()):
        assert socket.seqs() == list(range(1, 52))
        assert len(socket.frames) <= 3  # the first event, the one that blocked, the backlog


def test_gap_is_filled_from_the_database_in_order_and_duplicates_are_dropped() -> None:
    """Seq 1 then 3 (2 went past us): 2 is read back; 1 and 3 arriving again change nothing."""

    async def scenario() -> tuple[list[Socket], list[int]]:
        reads: list[int] = []

        async def read_after(board_id: int, after: int) -> list[Committed]:
            reads.append(after)
            return [event(2), event(3)]

        hub = Hub(read_after=read_after)
        sockets = seat(hub, 3)
        hub.publish([event(1)])
        hub.publish([event(3)])
        await asyncio.sleep(0.05)
        hub.publish([event(1), event(3)])
        await settle()
        return sockets, reads

    sockets, reads = asyncio.run(scenario())
    assert reads == [1]
    for socket in sockets:
        assert socket.seqs() == [1, 2, 3]


def test_viewers_never_get_moderator_only_events() -> None:
    """An event without a public view reaches moderators only; others see the next one."""

    async def scenario() -> tuple[list[Socket], list[Socket]]:
        hub = Hub(read_after=lambda board_id, after: asyncio.sleep(0, []))
        viewers, moderators = seat(hub, 2), seat(hub, 2, moderator=True)
        hub.publish([event(1, public=False), event(2)])
        await settle()
        return viewers, moderators

    viewers, moderators = asyncio.run(scenario())
    assert all(v.seqs() == [2] for v in viewers)
    assert all(m.seqs() == [1, 2] for m in moderators)


def test_a_socket_too_far_behind_is_stopped_with_1013_and_others_are_not() -> None:
    """A socket with more than `limit` messages waiting is stopped; writable ones keep going."""

    async def scenario() -> tuple[Client, Socket]:
        hub = Hub(read_after=lambda board_id, after: asyncio.sleep(0, []))
        frozen, healthy = Socket(), seat(hub, 1)[0]
        client = Client(frozen.send, False, limit=8)
        client.held = False
        hub.join(1, client)
        frozen.writable.clear()
        for seq in range(1, 20):
            hub.publish([event(seq)])
            await settle()
        return client, healthy

    client, healthy = asyncio.run(scenario())
    assert client.stopped and client.close_code == 1013
    assert healthy.seqs() == list(range(1, 20))
