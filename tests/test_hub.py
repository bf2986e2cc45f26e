"""The fan-out core without sockets: ordering, gap repair, and adaptive batching by frame count."""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from typing import Any

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from board.live import hub as hub_module
from board.live.hub import COSTLY_FLUSH, Client, Handoff, Hub
from board.store.events import Committed


def event(seq: int, public: bool = True) -> Committed:
    data = {"id": seq, "body": f"Notat {seq}"}
    return Committed(
        1, seq, "note.upsert", data, "note.upsert" if public else None, data if public else None
    )


class Socket:
    """A fake socket that records frames and can stop being writable, like a slow phone.

    `send` is the ASGI send, which waits until the socket is writable; `write` is the direct
    write of a ready frame (internals.uvicorn_private.frame_writer), which refuses while the
    socket is not."""

    def __init__(self) -> None:
        self.frames: list[str] = []
        self.written: list[bytes] = []
        self.writable = asyncio.Event()
        self.writable.set()

    async def send(self, text: str) -> None:
        await self.writable.wait()
        self.frames.append(text)

    def write(self, frame: bytes) -> bool:
        if not self.writable.is_set():
            return False
        self.written.append(frame)
        self.frames.append(parse_frame(frame))
        return True

    def seqs(self) -> list[int]:
        messages: list[Any] = []
        for frame in self.frames:
            decoded = json.loads(frame)
            messages += decoded if isinstance(decoded, list) else [decoded]
        return [m["seq"] for m in messages]


def parse_frame(frame: bytes) -> str:
    """The text of one server frame, parsed as a WebSocket client parses it."""
    reader = StreamReader()
    reader.feed_data(frame)
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        parsed: Frame = done.value
    assert parsed.opcode is Opcode.TEXT and parsed.fin
    return parsed.data.decode()


def seat(hub: Hub, count: int, moderator: bool = False, direct: bool = False) -> list[Socket]:
    sockets = []
    for _ in range(count):
        socket = Socket()
        client = Client(socket.send, moderator, 1000, write=socket.write if direct else None)
        client.held = False
        hub.join(1, client).start_at(0)
        sockets.append(socket)
    return sockets


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_idle_sockets_get_each_event_alone_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """With nothing waiting, every event leaves as its own frame holding one object. (The hold-back
    after a costly fan-out is off here: on a loaded machine twenty writes can take longer than
    COSTLY_FLUSH, and what is held back then rightly leaves as one frame.)"""
    monkeypatch.setattr(hub_module, "COSTLY_FLUSH", math.inf)

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


def test_after_a_costly_fan_out_the_next_events_wait_and_leave_as_one_frame() -> None:
    """A fan-out that took longer than COSTLY_FLUSH holds the next one back as long: ten events
    published meanwhile reach each socket as one frame, in order, instead of ten fan-outs."""

    class SlowSocket(Socket):
        def write(self, frame: bytes) -> bool:
            time.sleep(COSTLY_FLUSH)  # a socket write as slow as a big board's whole fan-out
            return super().write(frame)

    async def scenario() -> list[Socket]:
        hub = Hub(read_after=lambda board_id, after: asyncio.sleep(0, []))
        sockets: list[Socket] = []
        for _ in range(3):
            socket = SlowSocket()
            client = Client(socket.send, False, 1000, write=socket.write)
            client.held = False
            hub.join(1, client).start_at(0)
            sockets.append(socket)
        hub.publish([event(1)])
        for seq in range(2, 12):
            hub.publish([event(seq)])
            await settle()
        await asyncio.sleep(0.2)
        return sockets

    for socket in asyncio.run(scenario()):
        assert socket.seqs() == list(range(1, 12))
        assert len(socket.frames) == 2  # the first event at once, the other ten together


def test_clients_of_one_event_share_one_serialised_frame() -> None:
    """With direct writes, an event is serialised once: every client gets the same bytes, a
    valid text frame holding the event."""

    async def scenario() -> list[Socket]:
        hub = Hub(read_after=lambda board_id, after: asyncio.sleep(0, []))
        sockets = seat(hub, 50, direct=True)
        hub.publish([event(1)])
        await settle()
        return sockets

    sockets = asyncio.run(scenario())
    first = sockets[0].written[0]
    assert all(len(s.written) == 1 and s.written[0] is first for s in sockets)
    assert json.loads(parse_frame(first))["seq"] == 1


def test_a_socket_that_cannot_take_a_frame_gets_it_by_the_waiting_send_in_order() -> None:
    """A direct write refused (socket not writable) falls back to the send that waits; what
    queues meanwhile follows in order once the socket drains, by direct write again."""

    async def scenario() -> Socket:
        hub = Hub(read_after=lambda board_id, after: asyncio.sleep(0, []))
        [socket] = seat(hub, 1, direct=True)
        hub.publish([event(1)])
        await settle()
        socket.writable.clear()
        for seq in range(2, 12):
            hub.publish([event(seq)])
            await settle()
        socket.writable.set()
        await settle()
        hub.publish([event(12)])
        await settle()
        return socket

    socket = asyncio.run(scenario())
    assert socket.seqs() == list(range(1, 13))
    # 1 written, 2 by the waiting send, 3–11 as one backlog frame written, 12 written.
    assert len(socket.written) == 3 and len(socket.frames) == 4


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


def private(seq: int, author: int) -> Committed:
    """An event about a note a blind round holds: its public view is the author's alone."""
    data = {"id": seq, "body": f"Holdt {seq}"}
    return Committed(1, seq, "note.upsert", data, "note.upsert", data, private_to=author)


def test_an_event_about_a_held_note_reaches_moderators_and_its_authors_sockets_only() -> None:
    """`private_to` 7: both of participant 7's sockets and the moderators get it, another
    participant and a viewer do not, and everyone gets the next public event."""

    async def scenario() -> dict[str, list[Socket]]:
        hub = Hub(read_after=lambda board_id, after: asyncio.sleep(0, []))
        seated: dict[str, list[Socket]] = {}
        for name, who, moderator in [
            ("author", "participant:7", False),
            ("author", "participant:7", False),
            ("other", "participant:8", False),
            ("viewer", None, False),
            ("moderator", "moderator:1", True),
        ]:
            socket = Socket()
            client = Client(socket.send, moderator, 1000, who)
            client.held = False
            hub.join(1, client).start_at(0)
            seated.setdefault(name, []).append(socket)
        hub.publish([private(1, author=7), event(2)])
        await settle()
        return seated

    seated = asyncio.run(scenario())
    assert [s.seqs() for s in seated["author"]] == [[1, 2], [1, 2]]
    assert [s.seqs() for s in seated["moderator"]] == [[1, 2]]
    assert [s.seqs() for s in seated["other"] + seated["viewer"]] == [[2], [2]]


def test_a_replay_from_memory_applies_the_same_rule_as_the_fan_out() -> None:
    """The channel's memory replays a held note's event to its author alone (and moderators);
    a viewer or another participant resuming from before it gets only the public events."""

    async def scenario() -> dict[str, list[int]]:
        hub = Hub(read_after=lambda board_id, after: asyncio.sleep(0, []))
        seat(hub, 1)
        hub.publish([event(1), private(2, author=7), event(3)])
        await settle()
        channel = hub.channels[1]
        replays = {
            "author": channel.replay(0, False, 100, "participant:7"),
            "other": channel.replay(0, False, 100, "participant:8"),
            "viewer": channel.replay(0, False, 100),
            "moderator": channel.replay(0, True, 100, "moderator:1"),
        }
        return {
            name: [json.loads(t)["seq"] for t in texts or []] for name, texts in replays.items()
        }

    replayed = asyncio.run(scenario())
    assert replayed == {
        "author": [1, 2, 3],
        "other": [1, 3],
        "viewer": [1, 3],
        "moderator": [1, 2, 3],
    }


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


def test_commits_made_while_the_loop_is_busy_are_delivered_together_in_order() -> None:
    """Handoff: writers' commits that land while the loop is busy reach it in one callback, in
    commit order; a commit on an idle loop is delivered on its own at once."""

    async def scenario() -> list[list[int]]:
        delivered: list[list[int]] = []
        handoff = Handoff(
            asyncio.get_running_loop(), lambda es: delivered.append([e.seq for e in es])
        )
        # The loop is busy (this coroutine holds it) while another thread commits three times.
        writer = threading.Thread(target=lambda: [handoff.put([event(s)]) for s in (1, 2, 3)])
        writer.start()
        writer.join()
        await settle()
        handoff.put([event(4)])
        await settle()
        return delivered

    assert asyncio.run(scenario()) == [[1, 2, 3], [4]]
