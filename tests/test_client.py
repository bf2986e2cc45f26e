"""The reference client: idempotent state, and resuming across a server restart."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx2
import pytest
from conftest import ADMIN_TOKEN, auth
from servers import board_env, free_port, serve

from board.client import BoardState, follow, messages


def _note(note_id: int, body: str = "Tekst") -> dict[str, Any]:
    return {"id": note_id, "body": body, "likes": 0, "comments": []}


def _event(seq: int, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": "event", "seq": seq, "kind": kind, "data": data}


def test_state_applies_each_event_once_and_in_order() -> None:
    """An event at or below the last applied seq changes nothing; later ones apply."""
    state = BoardState()
    state.load({"board": {"slug": "b"}, "notes": [_note(1)], "seq": 4})
    assert state.apply(_event(4, "note.remove", {"id": 1})) is False
    assert list(state.notes) == [1]
    assert state.apply(_event(5, "note.upsert", _note(2, "Ny"))) is True
    assert state.apply(_event(6, "likes", {"note_id": 2, "likes": 3})) is True
    comment = {"id": 9, "note_id": 2, "body": "Enig", "author": {"id": 1, "name": ""}}
    assert state.apply(_event(7, "comment.upsert", comment)) is True
    assert state.apply(_event(8, "note.remove", {"id": 1})) is True
    assert state.seq == 8 and list(state.notes) == [2]
    assert (state.notes[2]["likes"], state.notes[2]["comments"]) == (3, [comment])
    assert state.apply(_event(9, "comment.remove", {"id": 9, "note_id": 2})) is True
    assert state.notes[2]["comments"] == []


def test_messages_accepts_one_object_or_a_batch() -> None:
    """A frame is one message object or a JSON array of them."""
    assert messages('{"type":"presence","viewers":2}') == [{"type": "presence", "viewers": 2}]
    assert [m["seq"] for m in messages('[{"seq":1},{"seq":2}]')] == [1, 2]


@pytest.mark.slow
def test_client_resumes_without_gap_across_a_server_restart(tmp_path: Path) -> None:
    """Following a board through SIGTERM and restart ends with every note, each event once."""
    env = board_env(tmp_path, admin_token=ADMIN_TOKEN)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    seen: list[int] = []

    def post(client: httpx2.Client, slug: str, token: str, body: str) -> None:
        response = client.post(
            f"/api/boards/{slug}/notes",
            headers=auth(token),
            json={"client_id": uuid.uuid4().hex, "body": body},
        )
        assert response.status_code == 201

    async def scenario() -> BoardState:
        state, stop = BoardState(), asyncio.Event()
        with serve(env, port=port), httpx2.Client(base_url=base) as client:
            created = client.post(
                "/api/boards", json={"title": "Gjenoppta"}, headers=auth(ADMIN_TOKEN)
            ).json()
            slug = created["board"]["slug"]
            token = client.post(f"/api/boards/{slug}/participants").json()["token"]
            following = asyncio.create_task(
                follow(
                    base,
                    slug,
                    state,
                    stop,
                    on_message=lambda m: seen.append(m["seq"]) if m["type"] == "event" else None,
                )
            )
            await _until(lambda: state.seq is not None)
            for number in range(3):
                await asyncio.to_thread(post, client, slug, token, f"Før {number}")
            await _until(lambda: len(state.notes) == 3)
        with serve(env, port=port), httpx2.Client(base_url=base) as client:
            for number in range(2):
                await asyncio.to_thread(post, client, slug, token, f"Etter {number}")
            await _until(lambda: len(state.notes) == 5, timeout=20)
            stop.set()
            await following
        return state

    state = asyncio.run(scenario())
    assert sorted(n["body"] for n in state.notes.values()) == [
        "Etter 0",
        "Etter 1",
        "Før 0",
        "Før 1",
        "Før 2",
    ]
    assert seen == sorted(set(seen)) and len(seen) == 5


async def _until(condition: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.mark.slow
def test_client_holds_every_note_of_a_blind_round_once_it_is_revealed(tmp_path: Path) -> None:
    """A viewer following a blind round gets the counts, none of the notes; after the reveal it
    has every note, from the snapshot the event sends it to."""
    env = board_env(tmp_path, admin_token=ADMIN_TOKEN)

    async def scenario() -> tuple[int, int, BoardState]:
        state, stop = BoardState(), asyncio.Event()
        with serve(env) as server, httpx2.Client(base_url=server.url) as client:
            created = client.post(
                "/api/boards", json={"title": "Blind"}, headers=auth(ADMIN_TOKEN)
            ).json()
            slug, key = created["board"]["slug"], created["moderator_key"]
            client.patch(f"/api/boards/{slug}", json={"reveal": "blind"}, headers=auth(key))
            token = client.post(f"/api/boards/{slug}/participants").json()["token"]
            following = asyncio.create_task(follow(server.url, slug, state, stop))
            await _until(lambda: state.seq is not None)
            for number in range(3):
                posted = client.post(
                    f"/api/boards/{slug}/notes",
                    headers=auth(token),
                    json={"client_id": uuid.uuid4().hex, "body": f"Blind {number}"},
                )
                assert posted.status_code == 201
            await _until(lambda: state.held == 3)
            during = len(state.notes)
            client.patch(f"/api/boards/{slug}", json={"reveal": "instant"}, headers=auth(key))
            await _until(lambda: len(state.notes) == 3)
            stop.set()
            await following
        return during, state.held, state

    during, held, state = asyncio.run(scenario())
    assert (during, held, state.board["reveal"]) == (0, 0, "instant")
    assert sorted(n["body"] for n in state.notes.values()) == ["Blind 0", "Blind 1", "Blind 2"]
