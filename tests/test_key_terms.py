"""`GET /api/boards/{slug}/terms` (#18) through the real app on SQLite and PostgreSQL: which notes
count, one goal's terms, answers that follow the board, bad input, and one computation for a
crowd."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx2
import pytest
from conftest import Api, auth

from board.app import create_app
from board.domain import terms
from board.settings import Settings
from board.store.db import Store
from board.web import key_terms

HERD = 50


def get_terms(api: Api, slug: str, query: str = "", token: str | None = None) -> Any:
    response = api.client.get(f"/api/boards/{slug}/terms{query}", headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def test_the_terms_of_a_board_count_its_visible_notes_for_every_role(api: Api) -> None:
    """Words of visible notes count, each once per note; hidden, deleted and pending notes count
    for nobody, a moderator included."""
    slug, key = api.create_board()
    kari = api.join(slug)["token"]
    api.note(slug, kari, "Sirkulære anskaffelser i kommunen")
    api.note(slug, kari, "Flere sirkulære anskaffelser, sirkulære anskaffelser!")
    hidden = api.note(slug, kari, "Hemmelige planer")
    deleted = api.note(slug, kari, "Angrede ord")
    api.client.patch(
        f"/api/boards/{slug}/notes/{hidden['id']}", json={"status": "hidden"}, headers=auth(key)
    )
    api.client.delete(f"/api/boards/{slug}/notes/{deleted['id']}", headers=auth(kari))
    api.client.patch(f"/api/boards/{slug}", json={"moderation": "pre"}, headers=auth(key))
    api.note(slug, kari, "Ventende forslag")
    seq = api.snapshot(slug)["seq"]
    expected = {
        "terms": [
            {"term": "sirkulære anskaffelser", "count": 2},
            {"term": "kommunen", "count": 1},
        ],
        "notes": 2,
        "goal": None,
        "seq": seq,
    }
    assert get_terms(api, slug) == expected
    assert get_terms(api, slug, token=key) == expected
    assert get_terms(api, slug, token=kari) == expected


def test_a_goal_counts_only_the_notes_tagged_with_it(api: Api) -> None:
    """`?goal=13` gives the terms of goal 13's notes only, and counts those notes."""
    slug, key = api.create_board()
    api.note(slug, key, "Utslippsfrie byggeplasser", sdgs=[13])
    api.note(slug, key, "Utslippsfrie anleggsmaskiner", sdgs=[9, 13])
    api.note(slug, key, "Sirkulære møbler", sdgs=[12])
    answer = get_terms(api, slug, "?goal=13")
    assert answer["goal"] == 13 and answer["notes"] == 2
    assert answer["terms"] == [
        {"term": "utslippsfrie", "count": 2},
        {"term": "anleggsmaskiner", "count": 1},
        {"term": "byggeplasser", "count": 1},
    ]
    assert get_terms(api, slug, "?goal=12&limit=1")["terms"] == [{"term": "møbler", "count": 1}]
    assert get_terms(api, slug, "?goal=1") == {
        "terms": [],
        "notes": 0,
        "goal": 1,
        "seq": answer["seq"],
    }


def test_an_answer_follows_a_new_note_and_a_current_copy_is_a_304(api: Api) -> None:
    """A note posted since is in the next answer (a newer seq, another ETag); asking again
    with the ETag of the current answer is a 304."""
    slug, key = api.create_board()
    api.note(slug, key, "Lokale leverandører")
    first = api.client.get(f"/api/boards/{slug}/terms")
    etag = first.headers["etag"]
    again = api.client.get(f"/api/boards/{slug}/terms", headers={"If-None-Match": etag})
    assert again.status_code == 304
    api.note(slug, key, "Flere lokale leverandører")
    second = api.client.get(f"/api/boards/{slug}/terms", headers={"If-None-Match": etag})
    assert second.status_code == 200 and second.headers["etag"] != etag
    assert second.json()["seq"] > first.json()["seq"]
    assert second.json()["terms"] == [{"term": "lokale leverandører", "count": 2}]


@pytest.mark.parametrize(
    "query", ["?goal=0", "?goal=18", "?goal=x", "?goal=1.5", "?limit=0", "?limit=51", "?limit="]
)
def test_a_bad_goal_or_limit_is_a_400_with_the_envelope(api: Api, query: str) -> None:
    """A goal outside 1–17 or a limit outside 1–50 (or not a whole number) is `400 bad_query`."""
    slug, _key = api.create_board()
    response = api.client.get(f"/api/boards/{slug}/terms{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_query"


def test_an_unknown_board_is_a_404_and_a_bad_token_a_401(api: Api) -> None:
    """No such board: `404 not_found`; a token that is not the board's: `401 invalid_token`."""
    slug, _key = api.create_board()
    missing = api.client.get("/api/boards/no-such-board/terms")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    bad = api.client.get(f"/api/boards/{slug}/terms", headers=auth("not-a-token"))
    assert (bad.status_code, bad.json()["error"]["code"]) == (401, "invalid_token")


def test_a_crowd_asking_at_once_shares_one_computation_per_change(
    api: Api, store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """50 requests in flight at once compute the terms once and get the same bytes; after a new
    note the next crowd computes them once more, and a repeat of that crowd not at all."""
    slug, key = api.create_board()
    api.note(slug, key, "Felles innkjøp av elbiler")
    app = create_app(settings, store)
    gate = threading.Event()
    calls = 0
    real = terms.key_terms

    def counted(texts: list[str], limit: int) -> list[tuple[str, int]]:
        nonlocal calls
        calls += 1
        assert gate.wait(30), "the test never opened the gate"
        return real(texts, limit)

    monkeypatch.setattr(key_terms.terms, "key_terms", counted)
    now = [1000.0]
    app.state.snapshots.clock = lambda: now[0]
    arrived = 0

    async def counting(scope: Any, receive: Any, send: Any) -> None:
        nonlocal arrived
        arrived += 1
        await app(scope, receive, send)

    async def crowd() -> list[httpx2.Response]:
        nonlocal arrived
        transport = httpx2.ASGITransport(app=counting)
        async with httpx2.AsyncClient(transport=transport, base_url="http://board") as http:
            await http.get(f"/api/boards/{slug}")  # the shared snapshot, built before
            arrived = 0
            asked = [
                asyncio.create_task(http.get(f"/api/boards/{slug}/terms")) for _ in range(HERD)
            ]
            # Nothing suspends a request before it waits for the computation (or has the
            # answer): once all have arrived, all wait for the one the gate holds, if any.
            for _ in range(10_000):
                if arrived == HERD:
                    break
                await asyncio.sleep(0)
            assert arrived == HERD
            gate.set()
            return await asyncio.wait_for(asyncio.gather(*asked), 60)

    answers = asyncio.run(crowd())
    assert calls == 1
    assert {a.status_code for a in answers} == {200} and len({a.content for a in answers}) == 1
    api.note(slug, key, "Flere elbiler")
    gate.clear()
    # The note came through another app (as from another process): this one's snapshot shows
    # it once its copy is older than snapshots.INTERVAL.
    now[0] += 10
    newer = asyncio.run(crowd())
    assert calls == 2
    assert "elbiler" in newer[0].text and newer[0].json()["notes"] == 2
    asyncio.run(crowd())
    assert calls == 2
