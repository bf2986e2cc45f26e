"""Resuming on the WebSocket without a database read: what lets every page reconnect at once."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from conftest import Api
from starlette.testclient import TestClient

from board.web import socket as live


def hello(since: int | None) -> str:
    return json.dumps({"type": "hello", "since": since, "token": None})


def frames(socket: Any, count: int) -> list[dict[str, Any]]:
    """The next `count` messages, whether they came one per frame or batched in arrays."""
    messages: list[dict[str, Any]] = []
    while len(messages) < count:
        received = socket.receive_json()
        messages += received if isinstance(received, list) else [received]
    return messages


@pytest.fixture
def replay_reads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every replay the WebSocket reads from the database, from now on."""
    reads: list[Any] = []
    real = live.read_replay
    monkeypatch.setattr(live, "read_replay", lambda *args: reads.append(args) or real(*args))
    return reads


def test_a_viewer_resuming_from_the_boards_seq_is_seated_without_a_replay_read(
    client: TestClient, api: Api, replay_reads: list[Any]
) -> None:
    """With the board live in this process, a viewer whose `since` is the channel's seq gets its
    welcome without reading the database (what every page does after a restart)."""
    slug, key = api.create_board()
    api.note(slug, key, "Første lapp")
    seq = api.snapshot(slug)["seq"]
    with client.websocket_connect(f"/ws/boards/{slug}") as first:
        first.send_text(hello(None))
        assert frames(first, 1) == [{"type": "welcome", "seq": seq, "role": "viewer"}]
        reads = len(replay_reads)  # the first viewer sets the channel's seq from the database
        with client.websocket_connect(f"/ws/boards/{slug}") as resumed:
            resumed.send_text(hello(seq))
            assert frames(resumed, 1)[0]["seq"] == seq
        assert len(replay_reads) == reads


def test_a_viewer_a_little_behind_replays_from_memory_and_one_further_back_from_the_database(
    client: TestClient, api: Api, replay_reads: list[Any]
) -> None:
    """Events the channel delivered are replayed from memory to a viewer behind by a few (a new
    page with a snapshot a moment old); a viewer behind what the channel holds reads the log."""
    slug, key = api.create_board()
    api.note(slug, key, "Før kanalen")
    before = api.snapshot(slug)["seq"]
    with client.websocket_connect(f"/ws/boards/{slug}") as first:
        first.send_text(hello(None))
        frames(first, 1)
        note = api.note(slug, key, "Mens kanalen lever")
        assert frames(first, 1)[0]["data"]["id"] == note["id"]  # delivered: the channel has it
        reads = len(replay_reads)
        with client.websocket_connect(f"/ws/boards/{slug}") as behind:
            behind.send_text(hello(before))
            welcome, replayed = frames(behind, 2)
            assert (welcome["seq"], replayed["seq"], replayed["data"]["id"]) == (
                before + 1,
                before + 1,
                note["id"],
            )
        assert len(replay_reads) == reads
        with client.websocket_connect(f"/ws/boards/{slug}") as far_behind:
            far_behind.send_text(hello(0))
            replayed_all = frames(far_behind, before + 2)  # the welcome and every event
            assert [m["seq"] for m in replayed_all] == [before + 1, *range(1, before + 2)]
        assert len(replay_reads) == reads + 1


def test_after_an_erasure_a_resuming_viewer_gets_the_rewritten_log_not_the_erased_text(
    client: TestClient, api: Api, replay_reads: list[Any]
) -> None:
    """The channel forgets what it kept once a removal arrives (an erasure rewrites the past
    events): a viewer resuming from before the erased note replays the log, without its text."""
    slug, _ = api.create_board()
    person = api.join(slug)
    before = api.snapshot(slug)["seq"]
    with client.websocket_connect(f"/ws/boards/{slug}") as first:
        first.send_text(hello(None))
        frames(first, 1)
        api.note(slug, person["token"], "Tekst som skal bort")
        frames(first, 1)
        erased = client.delete(
            f"/api/boards/{slug}/participants/{person['id']}",
            headers={"Authorization": f"Bearer {person['token']}"},
        )
        assert erased.status_code == 204, erased.text
        removal = frames(first, 1)[0]
        assert removal["kind"] == "note.remove"
        reads = len(replay_reads)
        with client.websocket_connect(f"/ws/boards/{slug}") as resumed:
            resumed.send_text(hello(before))
            messages = frames(resumed, 3)
        assert len(replay_reads) == reads + 1
        assert "Tekst som skal bort" not in json.dumps(messages)
        assert [m.get("kind") for m in messages[1:]] == ["note.remove", "note.remove"]


def test_a_viewer_whose_read_ends_after_a_later_read_started_the_channel_still_gets_the_events(
    client: TestClient, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two viewers arrive at a board with no channel yet. The first one's database read is slow:
    a note commits, and the second one's read, which has the note, starts the channel first.
    The note never passes through the channel, so the first viewer gets it from a second read:
    its welcome is at the note's seq and the note is in its replay (found as a note missing
    under reconnect churn on a loaded machine)."""
    slug, key = api.create_board()
    before = api.snapshot(slug)["seq"]
    first_read_done, release_first = threading.Event(), threading.Event()
    real = live.read_replay
    calls = 0

    def slow_first_read(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        answer = real(*args)
        if calls == 1:
            first_read_done.set()
            assert release_first.wait(10), "the test never released the first read"
        return answer

    monkeypatch.setattr(live, "read_replay", slow_first_read)
    with client.websocket_connect(f"/ws/boards/{slug}") as slow:
        slow.send_text(hello(before))
        assert first_read_done.wait(10), "the first viewer's read did not start"
        note = api.note(slug, key, "Mens den første leser")
        with client.websocket_connect(f"/ws/boards/{slug}") as quick:
            quick.send_text(hello(before))
            welcome, replayed = frames(quick, 2)
            assert (welcome["seq"], replayed["data"]["id"]) == (before + 1, note["id"])
        release_first.set()
        welcome, replayed = frames(slow, 2)
        assert (welcome["seq"], replayed["seq"], replayed["data"]["id"]) == (
            before + 1,
            before + 1,
            note["id"],
        )
