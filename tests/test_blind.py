"""A blind round (#18): while a board's `reveal` is "blind", what is posted is held, seen by its
author and the moderators only, until a moderator reveals the round with one event for all.

The rules through the real app on SQLite and PostgreSQL: snapshots, GET …/notes/held, stats,
likes and comments, the event log as each reader replays it, the reveal and a new round. Live
sockets and several processes: tests/test_blind_live.py.
"""

from __future__ import annotations

import json
from typing import Any

from conftest import Api, auth

BLIND = {"reveal": "blind"}
INSTANT = {"reveal": "instant"}


def patch_board(api: Api, slug: str, key: str, fields: dict[str, Any]) -> dict[str, Any]:
    response = api.client.patch(f"/api/boards/{slug}", json=fields, headers=auth(key))
    assert response.status_code == 200, response.text
    return dict(response.json())


def held(api: Api, slug: str, token: str) -> list[dict[str, Any]]:
    response = api.client.get(f"/api/boards/{slug}/notes/held", headers=auth(token))
    assert response.status_code == 200, response.text
    return list(response.json()["notes"])


def ids(notes: list[dict[str, Any]]) -> set[int]:
    return {note["id"] for note in notes}


def blind_board(api: Api) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """A board in a blind round with two participants: (slug, key, Kari, Ola)."""
    slug, key = api.create_board()
    kari, ola = api.join(slug, "Kari"), api.join(slug, "Ola")
    patch_board(api, slug, key, BLIND)
    return slug, key, kari, ola


def test_a_note_posted_in_a_blind_round_is_seen_by_its_author_and_moderators_only(
    api: Api,
) -> None:
    """The note is held: left out of the shared snapshot (which counts it), in the moderators'
    snapshot marked held, and GET …/notes/held gives it to its author, not to another."""
    slug, key, kari, ola = blind_board(api)
    note = api.note(slug, kari["token"], "Hemmelig idé")
    assert note["held"] is True and note["status"] == "visible"
    for token in (None, ola["token"], kari["token"]):
        shared = api.snapshot(slug, token)
        assert (ids(shared["notes"]), shared["held"]) == (set(), 1)
    moderators = api.snapshot(slug, key)
    assert [(n["id"], n["held"]) for n in moderators["notes"]] == [(note["id"], True)]
    assert ids(held(api, slug, kari["token"])) == {note["id"]}
    assert held(api, slug, ola["token"]) == []
    assert ids(held(api, slug, key)) == {note["id"]}
    assert api.client.get(f"/api/boards/{slug}/notes/held").status_code == 401


def test_others_cannot_reach_a_held_note_and_its_likes_and_comments_stay_private(
    api: Api,
) -> None:
    """Another participant gets 404 for a held note (like, comment, edit); the author and the
    moderators may like and comment, and those events are the author's alone."""
    slug, key, kari, ola = blind_board(api)
    note = api.note(slug, kari["token"], "Hemmelig idé")
    url = f"/api/boards/{slug}/notes/{note['id']}"
    others = auth(ola["token"])
    assert api.client.put(f"{url}/like", headers=others).status_code == 404
    assert (
        api.client.post(f"{url}/comments", json={"body": "Ja"}, headers=others).status_code == 404
    )
    assert api.client.patch(url, json={"body": "Endret"}, headers=others).status_code == 404
    assert api.client.put(f"{url}/like", headers=auth(kari["token"])).status_code == 200
    comment = api.client.post(f"{url}/comments", json={"body": "Takk"}, headers=auth(key))
    assert comment.status_code == 201, comment.text
    kinds = {e["kind"] for e in api.events(slug, kari["token"])}
    assert {"likes", "comment.upsert"} <= kinds
    for token in (None, ola["token"]):
        assert {"likes", "comment.upsert", "note.upsert"}.isdisjoint(
            e["kind"] for e in api.events(slug, token)
        )


def test_everyone_learns_the_count_and_never_the_text(api: Api) -> None:
    """Each held note that starts or stops counting sends `board.held` with the new count to
    everyone; no event a viewer or another participant can read holds the held text."""
    slug, _key, kari, ola = blind_board(api)
    first = api.note(slug, kari["token"], "Hemmelig idé én")
    api.note(slug, kari["token"], "Hemmelig idé to")
    deleted = api.client.delete(
        f"/api/boards/{slug}/notes/{first['id']}", headers=auth(kari["token"])
    )
    assert deleted.status_code == 204
    for token in (None, ola["token"]):
        events = api.events(slug, token)
        counts = [e["data"]["held"] for e in events if e["kind"] == "board.held"]
        assert counts == [1, 2, 1]
        assert "Hemmelig" not in json.dumps(events)
    assert "Hemmelig" in json.dumps(api.events(slug, kari["token"]))
    stats = api.client.get(f"/api/boards/{slug}/stats").json()
    assert (stats["held"], stats["notes"], sum(g["notes"] for g in stats["sdgs"])) == (1, 0, 0)


def test_reveal_lets_go_of_every_held_note_with_one_public_event(api: Api) -> None:
    """PATCH reveal: instant un-holds the round in one transaction and writes one `board.reveal`
    (the board and how many became visible) instead of an event per note, audited as settings;
    the shared snapshot then holds every note."""
    slug, key, kari, ola = blind_board(api)
    posted = {api.note(slug, p["token"], f"Idé fra {p['name']}")["id"] for p in (kari, ola)}
    before = api.snapshot(slug)["seq"]
    board = patch_board(api, slug, key, INSTANT)
    assert board["reveal"] == "instant"
    events = api.events(slug, None, since=before)
    assert [(e["kind"], e["data"]["revealed"], e["data"]["board"]["reveal"]) for e in events] == [
        ("board.reveal", 2, "instant")
    ]
    assert "word_filter" not in events[0]["data"]["board"]
    shared = api.snapshot(slug, ola["token"])
    assert (ids(shared["notes"]), shared["held"]) == (posted, 0)
    assert all(not n["held"] for n in shared["notes"])
    assert held(api, slug, kari["token"]) == []
    entries = api.client.get(f"/api/boards/{slug}/audit", headers=auth(key)).json()
    assert entries[0]["action"] == "settings"
    assert (entries[0]["before"], entries[0]["after"]) == (BLIND, INSTANT)


def test_switching_back_to_blind_starts_a_new_round(api: Api) -> None:
    """After a reveal, blind again: what was revealed stays visible, new notes are held."""
    slug, key, kari, ola = blind_board(api)
    revealed = api.note(slug, kari["token"], "Første runde")
    patch_board(api, slug, key, INSTANT)
    patch_board(api, slug, key, BLIND)
    second = api.note(slug, kari["token"], "Andre runde")
    shared = api.snapshot(slug, ola["token"])
    assert (ids(shared["notes"]), shared["held"]) == ({revealed["id"]}, 1)
    assert ids(held(api, slug, kari["token"])) == {second["id"]}


def test_a_held_note_waiting_for_approval_stays_held_once_approved(api: Api) -> None:
    """Pre-moderation and a blind round: approving a held note during the round makes it count
    (`board.held`) and reach its author, not everyone; the reveal shows it."""
    slug, key = api.create_board(moderation="pre")
    kari = api.join(slug, "Kari")
    patch_board(api, slug, key, BLIND)
    note = api.note(slug, kari["token"], "Venter")
    assert (note["status"], note["held"]) == ("pending", True)
    approved = api.client.post(
        f"/api/boards/{slug}/notes/approve", json={"ids": [note["id"]]}, headers=auth(key)
    )
    assert approved.status_code == 200, approved.text
    assert api.snapshot(slug)["held"] == 1 and api.snapshot(slug)["notes"] == []
    assert [e["kind"] for e in api.events(slug, kari["token"])][-2:] == [
        "note.upsert",
        "board.held",
    ]
    patch_board(api, slug, key, INSTANT)
    assert ids(api.snapshot(slug)["notes"]) == {note["id"]}


def test_a_moderators_note_in_a_blind_round_reaches_moderators_only(api: Api) -> None:
    """A note with no participant author is held too, and nobody but the moderators sees it."""
    slug, key, kari, _ola = blind_board(api)
    note = api.note(slug, key, "Vertens idé")
    assert note["held"] is True
    assert "Vertens idé" not in json.dumps(api.events(slug, kari["token"]))
    assert held(api, slug, kari["token"]) == []
    assert api.snapshot(slug)["held"] == 1


def test_erasing_an_author_takes_their_held_notes_out_of_the_count(api: Api) -> None:
    """An erased participant's held notes stop counting: the last `board.held` says 0."""
    slug, key, kari, _ola = blind_board(api)
    api.note(slug, kari["token"], "Borte snart")
    erased = api.client.delete(f"/api/boards/{slug}/participants/{kari['id']}", headers=auth(key))
    assert erased.status_code == 204, erased.text
    counts = [e["data"]["held"] for e in api.events(slug) if e["kind"] == "board.held"]
    assert counts[-1] == 0 and api.snapshot(slug)["held"] == 0


def test_reveal_is_a_moderators_setting(api: Api) -> None:
    """A participant may not start a round, and a reveal that is neither is a 422."""
    slug, key = api.create_board()
    kari = api.join(slug)
    path = f"/api/boards/{slug}"
    assert api.client.patch(path, json=BLIND, headers=auth(kari["token"])).status_code == 403
    wrong = api.client.patch(path, json={"reveal": "later"}, headers=auth(key))
    assert wrong.status_code == 422 and "reveal" in wrong.json()["error"]["message"]
    assert api.snapshot(slug)["board"]["reveal"] == "instant"
