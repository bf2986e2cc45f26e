"""Resuming on the WebSocket without a database read: what lets every page reconnect at once."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from conftest import Api
from starlette.testclient import TestClient

from board import live
from board.client import reconnect_delay


def hello(since: int | None) -> str:
    return json.dumps({"type": "hello", "since": since, "token": None})


def test_a_viewer_resuming_from_the_boards_seq_is_seated_without_a_replay_read(
    client: TestClient, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the board live in this process, a viewer whose `since` is the channel's seq gets its
    welcome without reading the database; one that is behind still gets its replay read."""
    slug, key = api.create_board()
    api.note(slug, key, "Første lapp")
    seq = api.snapshot(slug)["seq"]
    reads: list[Any] = []
    real = live.read_replay
    monkeypatch.setattr(live, "read_replay", lambda *args: reads.append(args) or real(*args))

    with client.websocket_connect(f"/ws/boards/{slug}") as first:
        first.send_text(hello(None))
        assert first.receive_json() == {"type": "welcome", "seq": seq, "role": "viewer"}
        reads_for_first = len(reads)  # the first viewer sets the channel's seq from the database
        with client.websocket_connect(f"/ws/boards/{slug}") as resumed:
            resumed.send_text(hello(seq))
            assert resumed.receive_json()["seq"] == seq
        assert len(reads) == reads_for_first
        with client.websocket_connect(f"/ws/boards/{slug}") as behind:
            behind.send_text(hello(seq - 1))
            welcome, replayed = behind.receive_json()  # one frame: the welcome and the replay
            assert (welcome["type"], welcome["seq"]) == ("welcome", seq)
            assert (replayed["type"], replayed["seq"]) == ("event", seq)
        assert len(reads) == reads_for_first + 1


def test_after_a_restart_close_reconnects_wait_at_most_a_second() -> None:
    """The resume contract's delay: full jitter capped at 10 s, or at 1 s while restarting."""
    random.seed(7)
    normal = [reconnect_delay(6, restarting=False) for _ in range(1000)]
    restarting = [reconnect_delay(6, restarting=True) for _ in range(1000)]
    assert all(0 <= d <= 10 for d in normal) and max(normal) > 5
    assert all(0 <= d <= 1 for d in restarting) and max(restarting) > 0.9
    assert all(0 <= reconnect_delay(1, restarting=True) <= 0.5 for _ in range(100))
