"""Bulk approve (#17) against a real `board serve` and real WebSocket clients: the events of one
approve are committed together and reach each socket as one frame."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import ADMIN_TOKEN, auth
from servers import NO_LIMITS, Server, board_env, serve
from test_live import Clients, Watched, run, unpack, without_presence

pytestmark = pytest.mark.slow
NOTES = 40


@pytest.fixture(scope="module")
def approve_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One `board serve`, rate limits off: one participant posts the forty notes."""
    env = board_env(
        tmp_path_factory.mktemp("approve") / "data", admin_token=ADMIN_TOKEN, **NO_LIMITS
    )
    with serve(env) as running:
        yield running


@pytest.fixture
def server(approve_server: Server) -> Watched:
    return Watched(approve_server)


def test_a_bulk_approve_reaches_each_viewer_and_moderator_as_one_frame(server: Watched) -> None:
    """Forty pending notes approved in one request: a viewer's socket gets all forty
    `note.upsert` events in a single array frame, in id order and with consecutive seqs, and a
    moderator's socket likewise; nothing else follows."""

    async def scenario() -> dict[str, Any]:
        async with Clients(server.url) as c:
            slug, owner = await c.create_board(moderation="pre")
            kari = await c.join(slug)
            ids = [(await c.post(slug, kari, f"Forslag nummer {n}"))["id"] for n in range(NOTES)]
            seq = await c.seq(slug)
            viewer, _ = await c.join_live(slug, since=seq)
            moderator, _ = await c.join_live(slug, since=seq, token=owner)
            await c.until_viewers(slug, 2)
            await viewer.listen(0.3)  # presence, if any, before the approve
            await moderator.listen(0.3)
            marks = {"viewer": len(viewer.frames), "moderator": len(moderator.frames)}
            response = await c.http.post(
                f"/api/boards/{slug}/notes/approve", json={"ids": ids}, headers=auth(owner)
            )
            assert response.status_code == 200, response.text
            for live in (viewer, moderator):
                await live.events_until_seq(seq + NOTES)
                await live.listen()
            return {
                "ids": ids,
                "seq": seq,
                "frames": {
                    "viewer": viewer.frames[marks["viewer"] :],
                    "moderator": moderator.frames[marks["moderator"] :],
                },
            }

    r = run(scenario())
    server.assert_clean()
    for who, frames in r["frames"].items():
        batches = [without_presence(unpack(frame)) for frame in frames]
        batches = [b for b in batches if b]
        assert len(batches) == 1, f"the {who} got {len(batches)} frames of events"
        events = batches[0]
        assert [(e["kind"], e["data"]["id"]) for e in events] == [
            ("note.upsert", i) for i in r["ids"]
        ], who
        assert [e["seq"] for e in events] == list(range(r["seq"] + 1, r["seq"] + NOTES + 1))
        assert all(e["data"]["status"] == "visible" for e in events)
