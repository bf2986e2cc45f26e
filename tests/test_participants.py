"""Joining, and erasing a participant with all they wrote, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from conftest import Api, auth
from sqlmodel import Session, select

from board.domain.access import load_board
from board.store.db import Store
from board.store.models import Event, Participant


def test_join_returns_a_token_that_is_stored_only_as_a_hash(store: Store, api: Api) -> None:
    """POST participants is 201 {id, name, token}; the database holds a hash, not the token."""
    slug, _ = api.create_board()
    joined = api.join(slug, "  Hilde  ")
    assert joined["name"] == "Hilde" and len(joined["token"]) >= 43
    with store.read() as session:
        row = session.get(Participant, joined["id"])
        assert row is not None and row.token_hash not in (None, joined["token"])
        assert len(row.token_hash or "") == 64


def test_anonymous_join_needs_no_body(api: Api) -> None:
    """A participant may join without a name (and without a request body)."""
    slug, _ = api.create_board()
    response = api.client.post(f"/api/boards/{slug}/participants")
    assert response.status_code == 201 and response.json()["name"] == ""


def _erasure_scene(api: Api) -> tuple[str, str, dict, dict, dict]:
    slug, key = api.create_board()
    kari, ola = api.join(slug, "Kari"), api.join(slug, "Ola")
    kari_note = api.note(slug, kari["token"], "Karis hemmelige idé", sdgs=[12])
    ola_note = api.note(slug, ola["token"], "Olas idé")
    api.client.post(
        f"/api/boards/{slug}/notes/{ola_note['id']}/comments",
        json={"body": "Karis kommentar"},
        headers=auth(kari["token"]),
    )
    api.client.put(f"/api/boards/{slug}/notes/{ola_note['id']}/like", headers=auth(kari["token"]))
    return slug, key, kari, kari_note, ola_note


def test_participant_erases_themself_and_everything_they_wrote(store: Store, api: Api) -> None:
    """Self-erasure removes notes, comments and likes everywhere and their text from the log."""
    slug, _, kari, kari_note, ola_note = _erasure_scene(api)
    seq = api.snapshot(slug)["seq"]
    response = api.client.delete(
        f"/api/boards/{slug}/participants/{kari['id']}", headers=auth(kari["token"])
    )
    assert response.status_code == 204

    notes = api.snapshot(slug)["notes"]
    assert [n["id"] for n in notes] == [ola_note["id"]]
    assert notes[0]["comments"] == [] and notes[0]["likes"] == 0
    tail = [(e["kind"], e["data"]) for e in api.events(slug, since=seq)]
    assert ("note.remove", {"id": kari_note["id"]}) in tail
    assert ("likes", {"note_id": ola_note["id"], "likes": 0}) in tail
    assert any(kind == "comment.remove" for kind, _ in tail)

    with store.read() as session:
        log = json.dumps(
            [
                e.model_dump(mode="json")
                for e in session.exec(
                    select(Event).where(Event.board_id == _board_id(session, slug))
                )
            ]
        )
        row = session.get(Participant, kari["id"])
    assert "Karis" not in log and "Kari" not in log
    assert row is not None and (row.name, row.token_hash) == ("", None)
    # The token is dead: it can no longer write.
    assert api.post(slug, kari["token"]).status_code == 401


def test_moderator_erases_a_participant_and_others_cannot(api: Api) -> None:
    """Moderators may erase anyone; another participant gets 403; a second erase is 404."""
    slug, key, kari, _, _ = _erasure_scene(api)
    per = api.join(slug, "Per")["token"]
    url = f"/api/boards/{slug}/participants/{kari['id']}"
    assert api.client.delete(url, headers=auth(per)).status_code == 403
    assert api.client.delete(url, headers=auth(key)).status_code == 204
    assert api.client.delete(url, headers=auth(key)).status_code == 404


def _board_id(session: Session, slug: str) -> int:
    board_id = load_board(session, slug).id
    assert board_id is not None
    return board_id
