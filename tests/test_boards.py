"""Boards, sections, the SDG catalogue and roles, through the real app on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path

import pytest
from conftest import ADMIN_TOKEN, Api, auth

from board.domain import joincode

SHARED = Path(__file__).resolve().parents[2] / "shared"
SHARED_SDGS = SHARED / "sdgs.json"
SHIPPED_TARGETS = Path(__file__).resolve().parents[1] / "board" / "data" / "sdg-targets.json"


def test_catalogue_lists_the_17_goals_with_official_names_and_colours(api: Api) -> None:
    """GET /api/sdgs returns the 17 goals in order with English and bokmål names and colours."""
    goals = api.client.get("/api/sdgs").json()
    assert [g["number"] for g in goals] == list(range(1, 18))
    assert goals[11]["name"] == {
        "en": "Responsible consumption and production",
        "nb": "Ansvarlig forbruk og produksjon",
    }
    assert goals[12]["color"] == "#3F7E44"
    if SHARED_SDGS.exists():  # the reference copy beside the repository
        without_targets = [{k: v for k, v in g.items() if k != "targets"} for g in goals]
        assert without_targets == json.loads(SHARED_SDGS.read_text("utf-8"))


def test_catalogue_lists_the_169_targets_under_their_goals(api: Api) -> None:
    """GET /api/sdgs gives each goal its targets: 169 codes, as many per goal as the data file."""
    goals = api.client.get("/api/sdgs").json()
    codes = [t["code"] for g in goals for t in g["targets"]]
    assert len(codes) == len(set(codes)) == 169
    rows = json.loads(SHIPPED_TARGETS.read_text("utf-8"))
    per_goal = {g["number"]: len(g["targets"]) for g in goals}
    assert per_goal == Counter(row["goal"] for row in rows)
    assert (per_goal[1], per_goal[12], per_goal[13], per_goal[17]) == (7, 11, 5, 19)
    assert all(t["code"].split(".")[0] == str(g["number"]) for g in goals for t in g["targets"])
    assert codes == [row["code"] for row in rows]  # the file's order: 12.8, then 12.a


def test_a_target_has_its_official_english_text_and_no_other(api: Api) -> None:
    """Each target is {code, text: {en}}; 12.7 has the UN's wording on public procurement."""
    goals = api.client.get("/api/sdgs").json()
    twelve = {t["code"]: t for t in goals[11]["targets"]}
    assert [*twelve][6:9] == ["12.7", "12.8", "12.a"]
    assert twelve["12.7"] == {
        "code": "12.7",
        "text": {
            "en": "Promote public procurement practices that are sustainable, in accordance "
            "with national policies and priorities"
        },
    }
    assert {key for g in goals for t in g["targets"] for key in t["text"]} == {"en"}
    shared = SHARED / "sdg-targets.json"
    if shared.exists():  # the reference copy beside the repository
        assert shared.read_bytes() == SHIPPED_TARGETS.read_bytes()


def test_admin_creates_board_with_sections_and_gets_a_moderator_key(api: Api) -> None:
    """POST /api/boards returns 201 with the board (sections in order) and a one-time key."""
    response = api.client.post(
        "/api/boards",
        json={
            "title": "Grønne anskaffelser",
            "sections": ["Strategi", "Eksempler"],
            "moderation": "pre",
            "locale": "en",
        },
        headers=auth(ADMIN_TOKEN),
    )
    assert response.status_code == 201
    body = response.json()
    board = body["board"]
    assert [s["title"] for s in board["sections"]] == ["Strategi", "Eksempler"]
    assert (board["moderation"], board["locale"], board["locked"]) == ("pre", "en", False)
    assert len(body["moderator_key"]) >= 43  # 256 random bits, URL-safe base64


def test_generated_slug_transliterates_norwegian_letters_and_is_unique(api: Api) -> None:
    """Two boards titled "Bærekraft på Ås" get distinct slugs starting with baerekraft-pa-as-."""
    first, _ = api.create_board(title="Bærekraft på Ås")
    second, _ = api.create_board(title="Bærekraft på Ås")
    assert first.startswith("baerekraft-pa-as-") and second.startswith("baerekraft-pa-as-")
    assert first != second


def test_each_board_gets_its_own_join_code(api: Api) -> None:
    """A new board has a 6-character code from the join-code alphabet, the same in the create,
    snapshot and settings answers, and another board has another one."""
    response = api.client.post("/api/boards", json={"title": "Kode"}, headers=auth(ADMIN_TOKEN))
    created = response.json()["board"]
    code = created["code"]
    assert len(code) == 6 and set(code) <= set(joincode.ALPHABET), code
    assert api.snapshot(created["slug"])["board"]["code"] == code
    changed = api.client.patch(
        f"/api/boards/{created['slug']}",
        json={"title": "Ny tittel"},
        headers=auth(response.json()["moderator_key"]),
    )
    assert changed.json()["code"] == code
    other, _ = api.create_board(title="Kode")
    assert api.snapshot(other)["board"]["code"] != code


def test_a_join_code_in_use_is_drawn_again(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the random code is taken, creating a board draws another; even with a chosen slug
    it is no slug_taken error."""
    first, _ = api.create_board(title="Først")
    taken = api.snapshot(first)["board"]["code"]
    fresh, draws = joincode.new_code, []

    def draw() -> str:
        draws.append(taken if len(draws) < 2 else fresh())
        return draws[-1]

    monkeypatch.setattr(joincode, "new_code", draw)
    slug = f"valgt-{uuid.uuid4().hex[:8]}"
    second, _ = api.create_board(title="Andre", slug=slug)
    code = api.snapshot(second)["board"]["code"]
    assert second == slug and code == draws[2] != taken and len(draws) == 3


def test_taken_slug_is_a_409(api: Api) -> None:
    """Asking for a slug that exists gives 409 slug_taken and leaves the first board alone."""
    slug, _ = api.create_board(title="Først")
    response = api.client.post(
        "/api/boards", json={"title": "Andre", "slug": slug}, headers=auth(ADMIN_TOKEN)
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "slug_taken"
    assert api.snapshot(slug)["board"]["title"] == "Først"


def test_creating_a_board_needs_the_admin_token(api: Api) -> None:
    """Without the admin token (or with a moderator key) board creation is a 401."""
    _, key = api.create_board()
    for headers in ({}, auth(key), auth("wrong-token-0123456789")):
        response = api.client.post("/api/boards", json={"title": "X"}, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "admin_required"


def test_unknown_board_is_a_404_envelope(api: Api) -> None:
    """Every board route answers 404 with the error envelope for a board that does not exist."""
    response = api.client.get("/api/boards/no-such-board")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "board not found"}}


def test_moderator_changes_settings_and_participants_cannot(api: Api) -> None:
    """PATCH /api/boards/{slug} works with the moderator key and is 403 for a participant."""
    slug, key = api.create_board()
    participant = api.join(slug)
    denied = api.client.patch(
        f"/api/boards/{slug}", json={"locked": True}, headers=auth(participant["token"])
    )
    assert denied.status_code == 403
    response = api.client.patch(
        f"/api/boards/{slug}",
        json={"title": "Nytt navn", "moderation": "pre", "locked": True},
        headers=auth(key),
    )
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["moderation"]) == ("Nytt navn", "pre")
    assert api.snapshot(slug)["board"]["locked"] is True


def test_time_zone_defaults_to_oslo_and_a_moderator_changes_it(api: Api) -> None:
    """A new board shows timezone Europe/Oslo (or the one asked for); PATCH changes it."""
    slug, key = api.create_board()
    assert api.snapshot(slug)["board"]["timezone"] == "Europe/Oslo"
    other, _ = api.create_board(timezone="UTC")
    assert api.snapshot(other)["board"]["timezone"] == "UTC"
    response = api.client.patch(
        f"/api/boards/{slug}", json={"timezone": "America/New_York"}, headers=auth(key)
    )
    assert response.status_code == 200, response.text
    assert response.json()["timezone"] == "America/New_York"
    assert api.snapshot(slug)["board"]["timezone"] == "America/New_York"


def test_a_moderator_key_only_works_on_its_own_board(api: Api) -> None:
    """The key of one board is an invalid token (401) on another."""
    _, key = api.create_board()
    other, _ = api.create_board()
    response = api.client.patch(f"/api/boards/{other}", json={"locked": True}, headers=auth(key))
    assert response.status_code == 401


def test_sections_are_added_renamed_reordered_and_deleted(api: Api) -> None:
    """Section routes change the ordered column list; deleting one keeps its notes unsectioned."""
    slug, key = api.create_board(sections=["A", "B"])
    added = api.client.post(f"/api/boards/{slug}/sections", json={"title": "C"}, headers=auth(key))
    assert added.status_code == 201
    section_a = api.snapshot(slug)["board"]["sections"][0]
    renamed = api.client.patch(
        f"/api/boards/{slug}/sections/{section_a['id']}",
        json={"title": "Først", "position": 9},
        headers=auth(key),
    )
    assert renamed.json()["title"] == "Først"
    assert [s["title"] for s in api.snapshot(slug)["board"]["sections"]] == ["B", "C", "Først"]

    token = api.join(slug)["token"]
    note = api.note(slug, token, section_id=section_a["id"])
    deleted = api.client.delete(f"/api/boards/{slug}/sections/{section_a['id']}", headers=auth(key))
    assert deleted.status_code == 204
    snapshot = api.snapshot(slug)
    assert [s["title"] for s in snapshot["board"]["sections"]] == ["B", "C"]
    assert [(n["id"], n["section_id"]) for n in snapshot["notes"]] == [(note["id"], None)]
    moved = [e for e in api.events(slug) if e["kind"] == "note.upsert"][-1]
    assert moved["data"]["section_id"] is None


def test_section_of_another_board_is_a_404(api: Api) -> None:
    """A moderator cannot rename a section that belongs to a different board."""
    slug, key = api.create_board()
    other, _ = api.create_board(sections=["X"])
    section_id = api.snapshot(other)["board"]["sections"][0]["id"]
    response = api.client.patch(
        f"/api/boards/{slug}/sections/{section_id}", json={"title": "Y"}, headers=auth(key)
    )
    assert response.status_code == 404


def test_locked_board_refuses_participant_writes_but_not_moderators(api: Api) -> None:
    """On a locked board participants get 403 board_locked; moderators still post."""
    slug, key = api.create_board()
    token = api.join(slug)["token"]
    api.client.patch(f"/api/boards/{slug}", json={"locked": True}, headers=auth(key))
    refused = api.post(slug, token)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "board_locked"
    assert api.post(slug, key).status_code == 201


def test_stats_count_visible_notes_per_goal_and_section(api: Api) -> None:
    """Stats count each goal a note carries; pending notes only count for moderators."""
    slug, key = api.create_board(sections=["Strategi"], moderation="pre")
    section_id = api.snapshot(slug)["board"]["sections"][0]["id"]
    token = api.join(slug)["token"]
    approved = api.note(slug, token, sdgs=[12, 13], section_id=section_id)
    api.client.patch(
        f"/api/boards/{slug}/notes/{approved['id']}", json={"status": "visible"}, headers=auth(key)
    )
    api.note(slug, token, sdgs=[12])  # stays pending

    public = api.client.get(f"/api/boards/{slug}/stats").json()
    assert public["notes"] == 1 and "pending" not in public
    counts = {g["number"]: g["notes"] for g in public["sdgs"]}
    assert (counts[12], counts[13], counts[1]) == (1, 1, 0)
    assert public["sections"][0] == {"id": section_id, "title": "Strategi", "notes": 1}
    assert public["participants"] == 1

    moderator = api.client.get(f"/api/boards/{slug}/stats", headers=auth(key)).json()
    assert (moderator["notes"], moderator["pending"]) == (2, 1)
    assert {g["number"]: g["notes"] for g in moderator["sdgs"]}[12] == 2


def test_health_and_readiness(api: Api) -> None:
    """/healthz answers while the process lives; /readyz once the database answers."""
    assert api.client.get("/healthz").json() == {"status": "ok"}
    assert api.client.get("/readyz").json() == {"status": "ready"}
