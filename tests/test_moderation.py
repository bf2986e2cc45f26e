"""Moderator tools (#7): named keys, bans, the word filter, the duplicate guard, the audit trail.

Through the real app on SQLite and PostgreSQL. Live sockets closing on a ban or a revoked key are
tested against real servers in test_safety_live.py.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import ADMIN_TOKEN, Api, auth
from sqlmodel import select

from board.domain import tokens, wordfilter
from board.domain.schemas import NAME_MAX
from board.store.db import Store
from board.store.models import Audit, ModeratorKey, Note, utcnow
from board.web.openapi import document


def patch_note(api: Api, slug: str, note_id: int, token: str, **change: Any) -> Any:
    return api.client.patch(f"/api/boards/{slug}/notes/{note_id}", json=change, headers=auth(token))


def patch_board(api: Api, slug: str, token: str, **change: Any) -> Any:
    return api.client.patch(f"/api/boards/{slug}", json=change, headers=auth(token))


def add_key(api: Api, slug: str, token: str, name: str = "Hilde") -> Any:
    return api.client.post(
        f"/api/boards/{slug}/moderators", json={"name": name}, headers=auth(token)
    )


def ban(api: Api, slug: str, participant: int, token: str, lift: bool = False) -> Any:
    return api.client.request(
        "DELETE" if lift else "POST",
        f"/api/boards/{slug}/participants/{participant}/ban",
        headers=auth(token),
    )


def audit(api: Api, slug: str, token: str, query: str = "") -> list[dict[str, Any]]:
    response = api.client.get(f"/api/boards/{slug}/audit{query}", headers=auth(token))
    assert response.status_code == 200, response.text
    return list(response.json())


def error_code(response: Any) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return response.status_code, body["error"]["code"]


# --- named moderator keys ----------------------------------------------------------------------


def test_owner_adds_a_named_key_that_moderates_and_is_shown_once(api: Api, store: Store) -> None:
    """POST moderators gives {id, name, key}; the key moderates; only its hash is stored, and
    the list names the keys without ever showing one."""
    slug, owner = api.create_board(moderation="pre")
    response = add_key(api, slug, owner, "  Hilde  ")
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["name"], created["owner"], created["revoked_at"]) == ("Hilde", False, None)
    assert len(created["key"]) >= 43  # 256 random bits, URL-safe base64
    assert response.headers["cache-control"] == "no-store"
    hilde = created["key"]

    pending = api.note(slug, api.join(slug)["token"], "Venter")
    assert [n["id"] for n in api.snapshot(slug, hilde)["notes"]] == [pending["id"]]
    assert patch_note(api, slug, pending["id"], hilde, status="visible").status_code == 200

    listed = api.client.get(f"/api/boards/{slug}/moderators", headers=auth(hilde))
    assert listed.status_code == 200
    assert [(k["name"], k["owner"]) for k in listed.json()] == [
        ("Moderator", True),
        ("Hilde", False),
    ]
    assert hilde not in listed.text and owner not in listed.text
    with store.read() as session:
        row = session.get(ModeratorKey, created["id"])
    assert row is not None and row.key_hash == tokens.hash_token(hilde) != hilde


def test_keys_are_random_and_distinct(api: Api) -> None:
    """Each new key is fresh: no two keys of any board are alike."""
    slug, owner = api.create_board()
    keys = {add_key(api, slug, owner, f"Vert {n}").json()["key"] for n in range(5)}
    assert len(keys | {owner}) == 6


def test_revoked_key_is_refused_at_once_and_its_event_reaches_moderators_only(api: Api) -> None:
    """DELETE moderators/{id}: the key's next request is a 401; a moderator-only
    `moderator.revoke` event names it (the live fan-out closes its sockets on it)."""
    slug, owner = api.create_board()
    created = add_key(api, slug, owner).json()
    seq = api.snapshot(slug)["seq"]
    revoked = api.client.delete(
        f"/api/boards/{slug}/moderators/{created['id']}", headers=auth(owner)
    )
    assert revoked.status_code == 204
    assert error_code(api.client.get(f"/api/boards/{slug}", headers=auth(created["key"]))) == (
        401,
        "invalid_token",
    )
    assert [(e["kind"], e["data"]) for e in api.events(slug, owner, seq)] == [
        ("moderator.revoke", {"id": created["id"]})
    ]
    assert api.events(slug, None, seq) == []
    listed = api.client.get(f"/api/boards/{slug}/moderators", headers=auth(owner)).json()
    assert listed[1]["revoked_at"] is not None
    again = api.client.delete(f"/api/boards/{slug}/moderators/{created['id']}", headers=auth(owner))
    assert error_code(again) == (404, "not_found")


def test_only_the_owner_key_or_admin_manages_keys_and_the_owner_key_stays(api: Api) -> None:
    """A named key or a participant may not add or revoke keys (403); the admin token may;
    nobody may revoke the owner key; unknown ids and other boards' keys are 404."""
    slug, owner = api.create_board()
    hilde = add_key(api, slug, owner).json()
    participant = api.join(slug)["token"]
    for token in (hilde["key"], participant):
        assert add_key(api, slug, token, "Snik").status_code == 403
        refused = api.client.delete(
            f"/api/boards/{slug}/moderators/{hilde['id']}", headers=auth(token)
        )
        assert refused.status_code == 403
    assert error_code(add_key(api, slug, hilde["key"])) == (403, "owner_only")
    assert add_key(api, slug, ADMIN_TOKEN, "Fra admin").status_code == 201
    assert (
        api.client.get(f"/api/boards/{slug}/moderators", headers=auth(participant)).status_code
        == 403
    )

    owner_id = api.client.get(f"/api/boards/{slug}/moderators", headers=auth(owner)).json()[0]["id"]
    for token in (owner, ADMIN_TOKEN):
        refused = api.client.delete(
            f"/api/boards/{slug}/moderators/{owner_id}", headers=auth(token)
        )
        assert error_code(refused) == (403, "owner_key")
    other, other_owner = api.create_board()
    foreign = add_key(api, other, other_owner).json()
    for key_id in (foreign["id"], 999_999):
        missing = api.client.delete(f"/api/boards/{slug}/moderators/{key_id}", headers=auth(owner))
        assert error_code(missing) == (404, "not_found")


def test_the_consoles_key_name_field_takes_what_the_server_takes() -> None:
    """The console's field for a new key's name allows exactly the characters the API's
    ModeratorCreate.name does (60), so a name typed in full is never refused."""
    html = (Path(__file__).resolve().parents[1] / "static" / "moderate.html").read_text("utf-8")
    field = re.search(r'<input id="key-name"[^>]*maxlength="(\d+)"', html)
    assert field is not None
    schema = document()["components"]["schemas"]["ModeratorCreate"]["properties"]["name"]
    assert int(field.group(1)) == schema["maxLength"] == NAME_MAX


# --- who a key is ------------------------------------------------------------------------------


def me(api: Api, slug: str, token: str | None) -> Any:
    return api.client.get(f"/api/boards/{slug}/moderators/me", headers=auth(token))


def test_moderators_me_says_who_the_key_is_and_whether_it_manages_keys(api: Api) -> None:
    """GET moderators/me: the owner key is {id, name, owner: true}, a named key owner false,
    the admin token id null, named Admin as in the audit trail, owner true."""
    slug, owner = api.create_board()
    hilde = add_key(api, slug, owner).json()
    listed = api.client.get(f"/api/boards/{slug}/moderators", headers=auth(owner)).json()
    answers = {token: me(api, slug, token) for token in (owner, hilde["key"], ADMIN_TOKEN)}
    assert all(a.status_code == 200 for a in answers.values())
    assert answers[owner].json() == {"id": listed[0]["id"], "name": "Moderator", "owner": True}
    assert answers[hilde["key"]].json() == {"id": hilde["id"], "name": "Hilde", "owner": False}
    assert answers[ADMIN_TOKEN].json() == {"id": None, "name": "Admin", "owner": True}


def test_moderators_me_refuses_a_bad_missing_or_foreign_key_and_records_nothing(api: Api) -> None:
    """No key is 401 token_required; an unknown key, another board's or a revoked one 401
    invalid_token; a participant's token 403 forbidden. Asking leaves no event and no audit
    entry (unlike the revoke probe the console used to send)."""
    slug, owner = api.create_board()
    _other, other_owner = api.create_board()
    revoked = add_key(api, slug, owner).json()
    api.client.delete(f"/api/boards/{slug}/moderators/{revoked['id']}", headers=auth(owner))
    seq, trail = api.snapshot(slug)["seq"], audit(api, slug, owner)
    assert error_code(me(api, slug, None)) == (401, "token_required")
    for token in ("not-the-key", other_owner, revoked["key"]):
        assert error_code(me(api, slug, token)) == (401, "invalid_token")
    assert error_code(me(api, slug, api.join(slug)["token"])) == (403, "forbidden")
    assert me(api, slug, owner).status_code == 200
    assert error_code(me(api, "finnes-ikke", owner)) == (404, "not_found")
    assert api.snapshot(slug)["seq"] == seq
    assert audit(api, slug, owner) == trail


# --- bulk approve ------------------------------------------------------------------------------


def approve(api: Api, slug: str, token: str | None, ids: Any) -> Any:
    return api.client.post(
        f"/api/boards/{slug}/notes/approve", json={"ids": ids}, headers=auth(token)
    )


def test_bulk_approve_publishes_pending_notes_each_audited_once(api: Api) -> None:
    """POST notes/approve makes every pending note visible (flag cleared, version up), with one
    `approve` audit entry and one event per note, and viewers get them; a repeated id counts
    once."""
    slug, owner = api.create_board(moderation="pre")
    patch_board(api, slug, owner, word_filter=["svindel"])
    kari = api.join(slug)["token"]
    notes = [api.note(slug, kari, f"Forslag {n}") for n in range(3)]
    flagged = api.note(slug, kari, "Er dette svindel?")
    ids = [n["id"] for n in [*notes, flagged]]
    seq = api.snapshot(slug)["seq"]
    response = approve(api, slug, owner, [ids[2], *ids, ids[0]])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["skipped"] == []
    assert [n["id"] for n in body["approved"]] == ids
    assert all(n["status"] == "visible" and n["version"] == 2 for n in body["approved"])
    assert body["approved"][-1]["flag_reason"] is None
    assert sorted(n["id"] for n in api.snapshot(slug)["notes"]) == ids  # a viewer sees them all
    events = api.events(slug, None, seq)
    assert [(e["kind"], e["data"]["id"]) for e in events] == [("note.upsert", i) for i in ids]
    entries = [e for e in audit(api, slug, owner) if e["action"] == "approve"]
    assert sorted(e["note_id"] for e in entries) == ids
    assert all(
        (e["moderator"], e["before"], e["after"])
        == ("Moderator", {"status": "pending"}, {"status": "visible"})
        for e in entries
    )


def test_bulk_approve_skips_ids_that_are_not_pending_and_changes_nothing_for_them(
    api: Api,
) -> None:
    """Visible, hidden, deleted, unknown and other boards' notes are listed as skipped and
    stay as they were; asking again approves nothing more (no events, no audit entries)."""
    slug, owner = api.create_board(moderation="pre")
    kari = api.join(slug)["token"]
    pending = api.note(slug, kari, "Venter")
    visible = api.note(slug, owner, "Fra moderator")  # moderators' notes are visible at once
    hidden = api.note(slug, kari, "Skjult")
    patch_note(api, slug, hidden["id"], owner, status="hidden")
    deleted = api.note(slug, kari, "Slettet")
    api.client.delete(f"/api/boards/{slug}/notes/{deleted['id']}", headers=auth(owner))
    other, other_owner = api.create_board(moderation="pre")
    foreign = api.note(other, api.join(other)["token"], "Annen tavle")
    asked = [pending["id"], visible["id"], hidden["id"], deleted["id"], foreign["id"], 999_999]
    body = approve(api, slug, owner, asked).json()
    assert [n["id"] for n in body["approved"]] == [pending["id"]]
    assert body["skipped"] == sorted(asked[1:])
    moderator_view = {n["id"]: n for n in api.snapshot(slug, owner)["notes"]}
    assert moderator_view[hidden["id"]]["status"] == "hidden"
    assert moderator_view[visible["id"]]["version"] == visible["version"]
    assert deleted["id"] not in moderator_view
    assert api.snapshot(other, other_owner)["notes"][0]["status"] == "pending"

    seq, trail = api.snapshot(slug)["seq"], audit(api, slug, owner)
    again = approve(api, slug, owner, asked).json()
    assert again == {"approved": [], "skipped": sorted(asked)}
    assert api.snapshot(slug)["seq"] == seq
    assert audit(api, slug, owner) == trail


@pytest.mark.parametrize(
    "ids",
    [[], list(range(1, 102)), [0], [2**31], ["1"], [1.5], [True], None, "1"],
    ids=["empty", "101", "zero", "too-big", "string", "fraction", "bool", "null", "not-a-list"],
)
def test_bulk_approve_refuses_bad_ids_with_a_422(api: Api, ids: Any) -> None:
    """The ids are 1 to 100 whole numbers from 1 to 2^31-1; anything else is 422 invalid and
    nothing is approved."""
    slug, owner = api.create_board(moderation="pre")
    note = api.note(slug, api.join(slug)["token"], "Venter")
    assert error_code(approve(api, slug, owner, ids)) == (422, "invalid")
    assert api.snapshot(slug, owner)["notes"][0]["status"] == "pending" == note["status"]


def test_bulk_approve_is_for_moderators_only(api: Api) -> None:
    """Without a token 401 token_required, a bad one 401 invalid_token, a participant (even the
    author) 403 forbidden; the note stays pending. A hundred ids in one request are taken."""
    slug, owner = api.create_board(moderation="pre")
    kari = api.join(slug)["token"]
    note = api.note(slug, kari, "Venter")
    assert error_code(approve(api, slug, None, [note["id"]])) == (401, "token_required")
    assert error_code(approve(api, slug, "not-the-key", [note["id"]])) == (401, "invalid_token")
    assert error_code(approve(api, slug, kari, [note["id"]])) == (403, "forbidden")
    assert api.snapshot(slug, owner)["notes"][0]["status"] == "pending"
    many = approve(api, slug, owner, [note["id"], *range(10**6, 10**6 + 99)])
    assert many.status_code == 200 and len(many.json()["skipped"]) == 99


# --- bans --------------------------------------------------------------------------------------


def test_ban_refuses_the_token_and_hides_the_participants_notes(api: Api) -> None:
    """POST …/ban: the token gets 403 `banned` everywhere at once, the participant's visible and
    pending notes are hidden (viewers get removals), and the ban event is for moderators only."""
    slug, key = api.create_board()
    patch_board(api, slug, key, word_filter=["svindel"])
    troll, other = api.join(slug, "Troll"), api.join(slug, "Kari")
    shown = api.note(slug, troll["token"], "Synlig")
    flagged = api.note(slug, troll["token"], "Dette er svindel")
    deleted = api.note(slug, troll["token"], "Slettet")
    api.client.delete(f"/api/boards/{slug}/notes/{deleted['id']}", headers=auth(troll["token"]))
    kept = api.note(slug, other["token"], "Karis innspill")
    seq = api.snapshot(slug)["seq"]

    response = ban(api, slug, troll["id"], key)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": troll["id"],
        "banned": True,
        "hidden": [shown["id"], flagged["id"]],
    }
    for method, path in (
        ("GET", f"/api/boards/{slug}"),
        ("POST", f"/api/boards/{slug}/notes/{kept['id']}/comments"),
        ("PUT", f"/api/boards/{slug}/notes/{kept['id']}/like"),
    ):
        refused = api.client.request(
            method,
            path,
            json={"body": "x"} if method == "POST" else None,
            headers=auth(troll["token"]),
        )
        assert error_code(refused) == (403, "banned"), (method, path)
    assert error_code(api.post(slug, troll["token"], "Ny")) == (403, "banned")

    assert [n["id"] for n in api.snapshot(slug)["notes"]] == [kept["id"]]
    statuses = {n["id"]: n["status"] for n in api.snapshot(slug, key)["notes"]}
    assert statuses == {shown["id"]: "hidden", flagged["id"]: "hidden", kept["id"]: "visible"}
    public = [(e["kind"], e["data"]) for e in api.events(slug, None, seq)]
    assert public == [("note.remove", {"id": shown["id"]})]
    kinds = [e["kind"] for e in api.events(slug, key, seq)]
    assert kinds == ["note.upsert", "note.upsert", "participant.ban"]
    assert api.snapshot(slug, other["token"])["notes"][0]["id"] == kept["id"]  # others go on


def test_lifting_a_ban_restores_the_token_but_not_the_notes(api: Api) -> None:
    """DELETE …/ban: the token works again; the hidden notes stay hidden until a moderator
    restores them one by one. Banning twice or lifting twice changes nothing."""
    slug, key = api.create_board()
    person = api.join(slug)
    note = api.note(slug, person["token"], "Innspill")
    assert ban(api, slug, person["id"], key).json()["hidden"] == [note["id"]]
    assert ban(api, slug, person["id"], key).json() == {
        "id": person["id"],
        "banned": True,
        "hidden": [],
    }
    seq = api.snapshot(slug)["seq"]
    lifted = ban(api, slug, person["id"], key, lift=True)
    assert lifted.json() == {"id": person["id"], "banned": False, "hidden": []}
    assert ban(api, slug, person["id"], key, lift=True).status_code == 200
    assert api.snapshot(slug)["seq"] == seq
    assert api.snapshot(slug, person["token"])["notes"] == []
    assert patch_note(api, slug, note["id"], key, status="visible").status_code == 200
    assert [n["id"] for n in api.snapshot(slug, person["token"])["notes"]] == [note["id"]]
    assert api.post(slug, person["token"], "Tilbake").status_code == 201


def test_only_moderators_ban_and_only_known_participants(api: Api) -> None:
    """A participant may not ban (403, no token 401); an unknown, erased or other board's
    participant is 404."""
    slug, key = api.create_board()
    kari, ola = api.join(slug, "Kari"), api.join(slug, "Ola")
    assert error_code(ban(api, slug, ola["id"], kari["token"])) == (403, "forbidden")
    assert error_code(ban(api, slug, ola["id"], "")) == (401, "token_required")
    api.client.delete(f"/api/boards/{slug}/participants/{kari['id']}", headers=auth(key))
    other, _ = api.create_board()
    stranger = api.join(other)
    for participant in (kari["id"], stranger["id"], 999_999):
        assert error_code(ban(api, slug, participant, key)) == (404, "not_found")


# --- word filter -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "text", "found"),
    [
        (["svindel"], "Dette er SVINDEL!", "svindel"),
        (["svindel"], "svíndél, sa han", "svindel"),
        (["bærekraft"], "BAERekraft er viktig", "bærekraft"),
        (["søppel"], "Soppel overalt", "søppel"),
        (["kjøp billig"], "Kjøp   billig\nnå", "kjøp billig"),
        (["svindel"], "svindelforsøk er ikke det samme", None),
        (["svin"], "svindel", None),
        (["kjøp billig"], "kjøp billige ting", None),
        (["idiot", "tull"], "Rent tull.", "tull"),
        ([], "hva som helst", None),
    ],
)
def test_the_word_filter_matches_whole_words_ignoring_case_and_diacritics(
    words: list[str], text: str, found: str | None
) -> None:
    """Entries match as whole words or phrases, in any case, with or without accents and ø/æ."""
    assert wordfilter.first_match(words, text) == found


def test_a_filtered_note_waits_with_its_reason_for_moderators_only(api: Api) -> None:
    """On a post-moderated board a note with a filtered word is `pending`; moderators see why
    (`flag_reason`), the author and viewers never do; approving clears the reason."""
    slug, key = api.create_board(moderation="post")
    assert patch_board(api, slug, key, word_filter=["Svindel", "kjøp billig"]).status_code == 200
    author = api.join(slug)["token"]
    seq = api.snapshot(slug)["seq"]
    note = api.note(slug, author, "Dette er SVÍNDEL, altså")
    assert note["status"] == "pending" and "flag_reason" not in note
    assert api.note(slug, author, "Et helt vanlig innspill")["status"] == "visible"
    moderated = {n["id"]: n for n in api.snapshot(slug, key)["notes"]}
    assert moderated[note["id"]]["flag_reason"] == 'word filter: "Svindel"'
    assert note["id"] not in [n["id"] for n in api.snapshot(slug, author)["notes"]]
    everything = str(api.events(slug, None, seq)) + str(api.snapshot(slug))
    assert "flag_reason" not in everything and "Svindel" not in everything

    approved = patch_note(api, slug, note["id"], key, status="visible").json()
    assert (approved["status"], approved["flag_reason"]) == ("visible", None)
    public = api.snapshot(slug)["notes"]
    assert note["id"] in [n["id"] for n in public] and "flag_reason" not in str(public)


def test_an_author_edit_with_a_filtered_word_goes_back_to_the_queue(api: Api) -> None:
    """An author's edit (body or link) that matches the filter sends a visible note to
    `pending` with the reason; viewers get a removal. A moderator's own edits are not held."""
    slug, key = api.create_board()
    patch_board(api, slug, key, word_filter=["kasino"])
    author = api.join(slug)["token"]
    note = api.note(slug, author, "Gode råd")
    seq = api.snapshot(slug)["seq"]
    edited = patch_note(api, slug, note["id"], author, link="https://kasino.example/spill")
    assert edited.json()["status"] == "pending" and "flag_reason" not in edited.json()
    assert [(e["kind"], e["data"]) for e in api.events(slug, None, seq)] == [
        ("note.remove", {"id": note["id"]})
    ]
    assert api.snapshot(slug, key)["notes"][0]["flag_reason"] == 'word filter: "kasino"'
    own = api.note(slug, key, "Om kasino-reklame i anbud")
    assert (own["status"], own["flag_reason"]) == ("visible", None)


def test_the_word_filter_is_a_moderator_setting(api: Api) -> None:
    """PATCH word_filter: moderators see the list (trimmed, without repeats) in the board and
    its events; participants and viewers see neither; only moderators may set it."""
    slug, key = api.create_board()
    participant = api.join(slug)["token"]
    seq = api.snapshot(slug)["seq"]
    changed = patch_board(api, slug, key, word_filter=[" svindel ", "svindel", "kjøp billig"])
    assert changed.json()["word_filter"] == ["svindel", "kjøp billig"]
    assert api.snapshot(slug, key)["board"]["word_filter"] == ["svindel", "kjøp billig"]
    for token in (None, participant):
        assert "word_filter" not in api.snapshot(slug, token)["board"]
        assert "svindel" not in str(api.events(slug, token, seq))
    assert api.events(slug, key, seq)[0]["data"]["word_filter"] == ["svindel", "kjøp billig"]
    assert patch_board(api, slug, participant, word_filter=[]).status_code == 403


# --- duplicate guard ---------------------------------------------------------------------------


def test_the_same_text_again_from_the_same_participant_returns_the_first_note(
    api: Api, store: Store
) -> None:
    """The same participant posting the same text (after trimming) within ten minutes gets the
    first note with 200 and no new event; another participant, or the same one later or after
    deleting it, posts anew."""
    slug, _ = api.create_board()
    kari, ola = api.join(slug, "Kari")["token"], api.join(slug, "Ola")["token"]
    first = api.post(slug, kari, "Gjenbruk av møbler")
    seq = api.snapshot(slug)["seq"]
    again = api.post(slug, kari, "  Gjenbruk av møbler \n")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert api.snapshot(slug)["seq"] == seq
    assert api.post(slug, ola, "Gjenbruk av møbler").status_code == 201

    with store.write() as session:
        row = session.get(Note, first.json()["id"])
        assert row is not None
        row.created_at = utcnow() - timedelta(minutes=11)
        session.add(row)
    later = api.post(slug, kari, "Gjenbruk av møbler")
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]
    api.client.delete(f"/api/boards/{slug}/notes/{later.json()['id']}", headers=auth(kari))
    assert api.post(slug, kari, "Gjenbruk av møbler").status_code == 201


# --- audit trail -------------------------------------------------------------------------------


def test_every_moderator_action_is_in_the_audit_trail_with_the_keys_name(api: Api) -> None:
    """Approve, hide, restore, edit (text before and after), move, pin, unpin, delete, ban,
    unban, settings, sections, erase, key create and revoke: each one entry, newest first,
    named by the key that did it."""
    slug, owner = api.create_board(moderation="pre", sections=["Strategi"])
    section = api.snapshot(slug)["board"]["sections"][0]["id"]
    hilde = add_key(api, slug, owner).json()
    h = hilde["key"]
    person = api.join(slug, "Kari")
    note = api.note(slug, person["token"], "Første tekst")
    other = api.note(slug, person["token"], "Andre tekst")

    def call(method: str, path: str, **body: Any) -> Any:
        return api.client.request(
            method, f"/api/boards/{slug}{path}", json=body or None, headers=auth(h)
        )

    steps: list[tuple[str, Any]] = [
        ("approve", lambda: patch_note(api, slug, note["id"], h, status="visible")),
        ("hide", lambda: patch_note(api, slug, note["id"], h, status="hidden")),
        ("restore", lambda: patch_note(api, slug, note["id"], h, status="visible")),
        ("edit", lambda: patch_note(api, slug, note["id"], h, body="Rettet tekst")),
        ("move", lambda: patch_note(api, slug, note["id"], h, section_id=section)),
        ("pin", lambda: patch_note(api, slug, note["id"], h, pinned=True)),
        ("unpin", lambda: patch_note(api, slug, note["id"], h, pinned=False)),
        ("delete", lambda: call("DELETE", f"/notes/{other['id']}")),
        ("ban", lambda: ban(api, slug, person["id"], h)),
        ("unban", lambda: ban(api, slug, person["id"], h, lift=True)),
        ("settings", lambda: patch_board(api, slug, h, title="Nytt navn", retention_days=30)),
        ("section.add", lambda: call("POST", "/sections", title="Ny")),
        ("section.edit", lambda: call("PATCH", f"/sections/{section}", title="Omdøpt")),
        ("section.delete", lambda: call("DELETE", f"/sections/{section}")),
        ("erase", lambda: call("DELETE", f"/participants/{person['id']}")),
    ]
    for action, step in steps:
        assert step().status_code in (200, 201, 204), action
    revoked = api.client.delete(f"/api/boards/{slug}/moderators/{hilde['id']}", headers=auth(owner))
    assert revoked.status_code == 204

    trail = audit(api, slug, owner)
    assert [e["action"] for e in trail] == [
        "key.revoke",
        *[action for action, _ in reversed(steps)],
        "key.create",
    ]
    assert [e["moderator"] for e in trail] == ["Moderator"] + ["Hilde"] * len(steps) + ["Moderator"]
    assert [e["id"] for e in trail] == sorted((e["id"] for e in trail), reverse=True)
    by_action = {e["action"]: e for e in trail}
    assert set(by_action["edit"]) == {
        "id",
        "at",
        "moderator",
        "action",
        "note_id",
        "before",
        "after",
    }
    assert by_action["approve"]["before"] == {"status": "pending"}
    assert by_action["approve"]["after"] == {"status": "visible"}
    assert by_action["move"]["after"] == {"section_id": section}
    assert by_action["delete"]["note_id"] == other["id"]
    assert by_action["ban"]["after"] == {"participant_id": person["id"], "hidden": [note["id"]]}
    assert by_action["settings"]["before"] == {
        "retention_days": None,
        "title": "Innovative anskaffelser",
    }
    assert by_action["settings"]["after"] == {"retention_days": 30, "title": "Nytt navn"}
    assert by_action["key.create"]["after"] == {"id": hilde["id"], "name": "Hilde"}
    assert h not in str(trail) and owner not in str(trail)
    # The edit kept its text until the erasure of the author took the text out of the trail.
    assert (by_action["edit"]["before"], by_action["edit"]["after"]) == (None, None)


def test_an_edit_keeps_the_text_before_and_after_and_marks_the_note(api: Api) -> None:
    """A moderator's edit is audited with both texts and marks the note `edited_by_moderator`
    for everyone; the author's own edits do not."""
    slug, key = api.create_board()
    author = api.join(slug)["token"]
    note = api.note(slug, author, "Skrivefeil her")
    assert (
        patch_note(api, slug, note["id"], author, body="Skrivefeil der").json()[
            "edited_by_moderator"
        ]
        is False
    )
    edited = patch_note(api, slug, note["id"], key, body="Rettet her")
    assert edited.json()["edited_by_moderator"] is True
    assert api.snapshot(slug)["notes"][0]["edited_by_moderator"] is True
    (entry,) = audit(api, slug, key)
    assert (entry["action"], entry["note_id"]) == ("edit", note["id"])
    assert (entry["before"], entry["after"]) == ({"body": "Skrivefeil der"}, {"body": "Rettet her"})
    admin = patch_note(api, slug, note["id"], ADMIN_TOKEN, pinned=True)
    assert admin.status_code == 200 and audit(api, slug, key)[0]["moderator"] == "Admin"


def test_participants_leave_no_audit_trail_and_may_not_read_it(api: Api, store: Store) -> None:
    """Participants' own posts, edits, deletes and self-erasure are not moderator actions;
    the trail is for moderators only (403 participant, 401 no or bad token)."""
    slug, key = api.create_board()
    person = api.join(slug)
    note = api.note(slug, person["token"], "Mitt innspill")
    patch_note(api, slug, note["id"], person["token"], body="Mitt nye innspill")
    api.client.delete(f"/api/boards/{slug}/notes/{note['id']}", headers=auth(person["token"]))
    api.client.delete(
        f"/api/boards/{slug}/participants/{person['id']}", headers=auth(person["token"])
    )
    assert audit(api, slug, key) == []
    assert error_code(api.client.get(f"/api/boards/{slug}/audit")) == (401, "token_required")
    participant = api.client.get(f"/api/boards/{slug}/audit", headers=auth(api.join(slug)["token"]))
    assert error_code(participant) == (403, "forbidden")
    assert api.client.get(f"/api/boards/{slug}/audit", headers=auth("bad")).status_code == 401
    with store.read() as session:
        assert session.exec(select(Audit).where(Audit.note_id == note["id"])).all() == []


def test_the_audit_trail_pages_back_with_before(api: Api) -> None:
    """?limit=N gives the newest N; ?before=<last id> the next page back; the last is short."""
    slug, key = api.create_board()
    for number in range(5):
        patch_board(api, slug, key, title=f"Tittel {number}")
    everything = audit(api, slug, key)
    assert len(everything) == 5
    first = audit(api, slug, key, "?limit=2")
    second = audit(api, slug, key, f"?limit=2&before={first[-1]['id']}")
    third = audit(api, slug, key, f"?limit=2&before={second[-1]['id']}")
    assert first + second + third == everything and len(third) == 1
    assert [e["after"]["title"] for e in first] == ["Tittel 4", "Tittel 3"]
    for query in ("?limit=0", "?limit=201", "?limit=x", "?before=0", "?before=-1"):
        bad = api.client.get(f"/api/boards/{slug}/audit{query}", headers=auth(key))
        assert error_code(bad) == (400, "bad_query"), query
