"""Notes, likes, comments and the event log, through the real app on SQLite and PostgreSQL."""

from __future__ import annotations

from conftest import Api, auth

from board.domain.access import load_board
from board.store import events
from board.store.db import Store


def test_participant_posts_a_note_and_everyone_sees_it(api: Api) -> None:
    """A posted note is 201 with its full shape, in the snapshot and in the event log."""
    slug, _ = api.create_board()
    participant = api.join(slug, "Ingrid")
    note = api.note(
        slug,
        participant["token"],
        "Utslippsfrie byggeplasser – krav fra 2025",
        sdgs=[13, 12, 12],
        link="https://example.no/krav",
        color="green",
    )
    assert note["author"] == {"id": participant["id"], "name": "Ingrid"}
    assert (note["sdgs"], note["status"], note["version"], note["likes"]) == (
        [12, 13],
        "visible",
        1,
        0,
    )
    assert note["link"] == "https://example.no/krav" and note["comments"] == []
    snapshot = api.snapshot(slug)
    assert [n["id"] for n in snapshot["notes"]] == [note["id"]]
    events = api.events(slug)
    assert events[-1] == {
        "type": "event",
        "seq": snapshot["seq"],
        "kind": "note.upsert",
        "data": note,
    }


def test_body_is_trimmed(api: Api) -> None:
    """Leading and trailing whitespace is not part of the note."""
    slug, _ = api.create_board()
    note = api.note(slug, api.join(slug)["token"], "  \n Sirkulære møbler \n ")
    assert note["body"] == "Sirkulære møbler"


def test_retried_post_returns_the_same_note_without_a_new_event(api: Api) -> None:
    """The same client_id and content again is 200 with the first note, and writes no event."""
    slug, _ = api.create_board()
    token = api.join(slug)["token"]
    first = api.post(slug, token, client_id="c-1", sdgs=[12])
    seq = api.snapshot(slug)["seq"]
    again = api.post(slug, token, client_id="c-1", sdgs=[12])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert api.snapshot(slug)["seq"] == seq
    assert len(api.snapshot(slug)["notes"]) == 1


def test_same_client_id_with_other_content_or_author_is_a_409(api: Api) -> None:
    """Reusing a client_id for different text, or from another participant, is a conflict."""
    slug, _ = api.create_board()
    kari, ola = api.join(slug, "Kari")["token"], api.join(slug, "Ola")["token"]
    assert api.post(slug, kari, "Første", client_id="same").status_code == 201
    for token, body in ((kari, "Annen tekst"), (ola, "Første")):
        response = api.post(slug, token, body, client_id="same")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "client_id_conflict"


def test_viewers_cannot_post(api: Api) -> None:
    """Posting without a token is 401; with an unknown token also 401."""
    slug, _ = api.create_board()
    assert api.post(slug, "").status_code == 401
    assert api.post(slug, "not-a-real-token").status_code == 401


def test_board_that_requires_a_goal_refuses_untagged_notes(api: Api) -> None:
    """On a require_sdg board a note without SDGs is 422 sdg_required."""
    slug, _ = api.create_board(require_sdg=True)
    token = api.join(slug)["token"]
    response = api.post(slug, token, sdgs=[])
    assert response.status_code == 422 and response.json()["error"]["code"] == "sdg_required"
    assert api.post(slug, token, sdgs=[4]).status_code == 201


def test_pre_moderated_notes_stay_invisible_until_approved(api: Api) -> None:
    """Pending notes reach moderators only: not the snapshot, catch-up or stats of others."""
    slug, key = api.create_board(moderation="pre")
    token = api.join(slug)["token"]
    note = api.note(slug, token, "Venter på godkjenning")
    assert note["status"] == "pending"
    for who in (None, token):
        assert api.snapshot(slug, who)["notes"] == []
        assert {e["kind"] for e in api.events(slug, who)} == {"board.upsert"}
    assert [n["id"] for n in api.snapshot(slug, key)["notes"]] == [note["id"]]
    assert api.events(slug, key)[-1]["data"]["body"] == "Venter på godkjenning"

    approved = api.client.patch(
        f"/api/boards/{slug}/notes/{note['id']}", json={"status": "visible"}, headers=auth(key)
    )
    assert approved.json()["status"] == "visible"
    assert [n["body"] for n in api.snapshot(slug)["notes"]] == ["Venter på godkjenning"]
    assert api.events(slug)[-1]["kind"] == "note.upsert"


def test_hiding_a_note_reaches_others_as_a_removal_without_its_text(api: Api) -> None:
    """A note that leaves `visible` becomes note.remove {id} for non-moderators."""
    slug, key = api.create_board()
    token = api.join(slug)["token"]
    note = api.note(slug, token, "Skal skjules")
    seq = api.snapshot(slug)["seq"]
    api.client.patch(
        f"/api/boards/{slug}/notes/{note['id']}", json={"status": "hidden"}, headers=auth(key)
    )
    public = api.events(slug, since=seq)
    assert public == [
        {"type": "event", "seq": seq + 1, "kind": "note.remove", "data": {"id": note["id"]}}
    ]
    moderator = api.events(slug, key, since=seq)
    assert moderator[0]["kind"] == "note.upsert" and moderator[0]["data"]["status"] == "hidden"
    assert api.snapshot(slug)["notes"] == []


def test_author_edits_own_content_and_not_moderator_fields(api: Api) -> None:
    """Authors may change body, sdgs, link and colour, but not pin, status or section."""
    slug, _ = api.create_board()
    token = api.join(slug)["token"]
    note = api.note(slug, token, sdgs=[12])
    url = f"/api/boards/{slug}/notes/{note['id']}"
    edited = api.client.patch(
        url, json={"body": "Ny tekst", "sdgs": [7], "link": None}, headers=auth(token)
    )
    assert edited.status_code == 200
    assert (edited.json()["body"], edited.json()["sdgs"], edited.json()["version"]) == (
        "Ny tekst",
        [7],
        2,
    )
    for field, value in (("pinned", True), ("status", "hidden"), ("position", 3)):
        refused = api.client.patch(url, json={field: value}, headers=auth(token))
        assert refused.status_code == 403, field


def test_other_participants_cannot_edit_or_delete_a_note(api: Api) -> None:
    """Only the author or a moderator may edit or delete a note: others get 403."""
    slug, _ = api.create_board()
    note = api.note(slug, api.join(slug, "Kari")["token"])
    ola = api.join(slug, "Ola")["token"]
    url = f"/api/boards/{slug}/notes/{note['id']}"
    assert api.client.patch(url, json={"body": "Kapret"}, headers=auth(ola)).status_code == 403
    assert api.client.delete(url, headers=auth(ola)).status_code == 403


def test_moderator_pins_moves_and_orders_notes(api: Api) -> None:
    """Moderators set pinned, section_id and position; pinned notes come first in the snapshot."""
    slug, key = api.create_board(sections=["A"])
    section_id = api.snapshot(slug)["board"]["sections"][0]["id"]
    token = api.join(slug)["token"]
    first, second = api.note(slug, token, "En"), api.note(slug, token, "To")
    response = api.client.patch(
        f"/api/boards/{slug}/notes/{first['id']}",
        json={"pinned": True, "section_id": section_id, "position": 2.5},
        headers=auth(key),
    )
    assert response.status_code == 200
    assert (response.json()["pinned"], response.json()["section_id"]) == (True, section_id)
    assert [n["id"] for n in api.snapshot(slug)["notes"]] == [first["id"], second["id"]]


def test_stale_if_match_is_a_409_and_the_note_is_unchanged(api: Api) -> None:
    """PATCH with If-Match of an old version is 409 version_conflict; the current one works."""
    slug, _ = api.create_board()
    token = api.join(slug)["token"]
    note = api.note(slug, token)
    url = f"/api/boards/{slug}/notes/{note['id']}"
    ok = api.client.patch(url, json={"body": "Versjon 2"}, headers={**auth(token), "If-Match": "1"})
    assert ok.json()["version"] == 2
    stale = api.client.patch(
        url, json={"body": "Fra gammel fane"}, headers={**auth(token), "If-Match": "1"}
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"
    assert api.snapshot(slug)["notes"][0]["body"] == "Versjon 2"


def test_unchanged_edit_writes_no_event(api: Api) -> None:
    """A PATCH that changes nothing keeps the version and appends no event."""
    slug, _ = api.create_board()
    token = api.join(slug)["token"]
    note = api.note(slug, token, "Samme", sdgs=[3])
    seq = api.snapshot(slug)["seq"]
    same = api.client.patch(
        f"/api/boards/{slug}/notes/{note['id']}",
        json={"body": "Samme", "sdgs": [3]},
        headers=auth(token),
    )
    assert same.json()["version"] == 1 and api.snapshot(slug)["seq"] == seq


def test_author_edit_on_pre_moderated_board_needs_approval_again(api: Api) -> None:
    """An approved note edited by its author goes back to pending and leaves the public board."""
    slug, key = api.create_board(moderation="pre")
    token = api.join(slug)["token"]
    note = api.note(slug, token)
    url = f"/api/boards/{slug}/notes/{note['id']}"
    api.client.patch(url, json={"status": "visible"}, headers=auth(key))
    edited = api.client.patch(url, json={"body": "Endret etter godkjenning"}, headers=auth(token))
    assert edited.json()["status"] == "pending"
    assert api.snapshot(slug)["notes"] == []
    assert api.events(slug)[-1] == {
        "type": "event",
        "seq": api.snapshot(slug)["seq"],
        "kind": "note.remove",
        "data": {"id": note["id"]},
    }


def test_deleted_note_leaves_every_view(api: Api) -> None:
    """DELETE is 204; the note is gone from snapshot and stats and a note.remove is logged."""
    slug, _ = api.create_board()
    token = api.join(slug)["token"]
    note = api.note(slug, token, sdgs=[5])
    response = api.client.delete(f"/api/boards/{slug}/notes/{note['id']}", headers=auth(token))
    assert response.status_code == 204
    assert api.snapshot(slug)["notes"] == []
    assert api.client.get(f"/api/boards/{slug}/stats").json()["notes"] == 0
    assert api.events(slug)[-1]["kind"] == "note.remove"
    again = api.client.delete(f"/api/boards/{slug}/notes/{note['id']}", headers=auth(token))
    assert again.status_code == 404


def test_likes_are_once_per_participant_and_idempotent(api: Api) -> None:
    """PUT like twice counts once; DELETE takes it back; each real change emits a likes event."""
    slug, key = api.create_board()
    note = api.note(slug, api.join(slug, "Kari")["token"])
    ola, per = api.join(slug, "Ola")["token"], api.join(slug, "Per")["token"]
    url = f"/api/boards/{slug}/notes/{note['id']}/like"
    assert api.client.put(url, headers=auth(ola)).json() == {
        "note_id": note["id"],
        "likes": 1,
        "liked": True,
    }
    seq = api.snapshot(slug)["seq"]
    assert api.client.put(url, headers=auth(ola)).json()["likes"] == 1
    assert api.snapshot(slug)["seq"] == seq
    assert api.client.put(url, headers=auth(per)).json()["likes"] == 2
    assert api.client.delete(url, headers=auth(ola)).json() == {
        "note_id": note["id"],
        "likes": 1,
        "liked": False,
    }
    assert api.events(slug)[-1]["data"] == {"note_id": note["id"], "likes": 1}
    assert api.client.put(url, headers=auth(key)).status_code == 403  # moderators do not vote


def test_comments_join_their_note(api: Api) -> None:
    """A comment is 201, is logged as comment.upsert and appears under its note."""
    slug, key = api.create_board()
    note = api.note(slug, api.join(slug, "Kari")["token"])
    ola = api.join(slug, "Ola")
    url = f"/api/boards/{slug}/notes/{note['id']}/comments"
    made = api.client.post(url, json={"body": "Godt poeng!"}, headers=auth(ola["token"]))
    assert made.status_code == 201
    assert made.json()["author"] == {"id": ola["id"], "name": "Ola"}
    by_moderator = api.client.post(url, json={"body": "Tatt med videre"}, headers=auth(key))
    assert by_moderator.json()["author"] == {"id": None, "name": "Moderator"}
    assert [c["body"] for c in api.snapshot(slug)["notes"][0]["comments"]] == [
        "Godt poeng!",
        "Tatt med videre",
    ]
    assert api.events(slug)[-1]["kind"] == "comment.upsert"


def test_catch_up_pages_and_refuses_a_cursor_ahead_of_the_board(api: Api) -> None:
    """?since returns later events in order; since > seq is 409 reset."""
    slug, _ = api.create_board()
    token = api.join(slug)["token"]
    for number in range(3):
        api.note(slug, token, f"Notat {number}")
    events = api.events(slug, since=1)
    assert [e["seq"] for e in events] == [2, 3, 4]
    ahead = api.client.get(f"/api/boards/{slug}/events?since=99")
    assert ahead.status_code == 409 and ahead.json()["error"]["code"] == "reset"


def test_catch_up_is_paged_with_a_cursor(store: Store, api: Api) -> None:
    """A full page says `more` and its cursor; following cursors yields every event once."""
    slug, _ = api.create_board()
    token = api.join(slug)["token"]
    for number in range(5):
        api.note(slug, token, f"Notat {number}")
    seen, after = [], 0
    with store.read() as session:
        board_id = load_board(session, slug).id
        assert board_id is not None
        while True:
            page, last = events.since(session, board_id, after, moderator=False, limit=2)
            seen += [e["seq"] for e in page]
            if last is None:
                break
            after = last
    assert seen == list(range(1, 7))
