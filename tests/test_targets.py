"""SDG targets on notes (#8): validation, the goal a target implies, edits, views and stats.

Through the real app on SQLite and PostgreSQL. The catalogue itself is tested in test_boards.py,
the archive in test_export.py, backups in test_archive.py, the migration in test_migrations.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api, auth


def patch(api: Api, slug: str, note: dict[str, Any], token: str, **change: Any) -> Any:
    return api.client.patch(
        f"/api/boards/{slug}/notes/{note['id']}", json=change, headers=auth(token)
    )


def test_targets_are_stored_unique_in_catalogue_order(api: Api) -> None:
    """Posted targets come back without repeats, ordered as the UN does: 12.7 before 12.a."""
    slug, _ = api.create_board()
    note = api.note(slug, api.join(slug)["token"], targets=["13.2", "12.a", "12.7", "12.a"])
    assert note["targets"] == ["12.7", "12.a", "13.2"]
    assert api.snapshot(slug)["notes"][0]["targets"] == ["12.7", "12.a", "13.2"]


def test_a_target_adds_its_goal_to_the_notes_goals(api: Api) -> None:
    """A note tagged 12.7 is tagged with goal 12 too, beside the goals it was given."""
    slug, _ = api.create_board()
    token = api.join(slug)["token"]
    assert api.note(slug, token, targets=["12.7"])["sdgs"] == [12]
    assert api.note(slug, token, sdgs=[13, 3], targets=["12.7", "17.19"])["sdgs"] == [3, 12, 13, 17]


def test_a_note_without_targets_has_an_empty_list(api: Api) -> None:
    """Targets are optional: a note posted without them shows `targets: []`."""
    slug, _ = api.create_board()
    assert api.note(slug, api.join(slug)["token"], sdgs=[12])["targets"] == []


@pytest.mark.parametrize("code", ["12.99", "1.c", "18.1", "12.7.1", "12,7", "12.A", ""])
def test_an_unknown_target_is_a_422_envelope_and_posts_nothing(api: Api, code: str) -> None:
    """A code that is not one of the 169 is refused with 422 `invalid`, and no note is made."""
    slug, _ = api.create_board()
    response = api.post(slug, api.join(slug)["token"], targets=["12.7", code])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error == {
        "code": "invalid",
        "message": f"targets: unknown SDG target {code!r}; "
        "the codes are in GET /api/sdgs (such as 12.7 or 12.a)",
    }
    assert api.snapshot(slug)["notes"] == []


def test_a_target_alone_satisfies_a_board_that_requires_a_goal(api: Api) -> None:
    """On a require_sdg board a note with a target but no goal is accepted: it has the goal."""
    slug, _ = api.create_board(require_sdg=True)
    response = api.post(slug, api.join(slug)["token"], targets=["12.7"])
    assert response.status_code == 201 and response.json()["sdgs"] == [12]


def test_retried_post_with_targets_is_the_same_note_and_other_targets_conflict(api: Api) -> None:
    """The same client_id and targets again is 200 and the same note; other targets are a 409."""
    slug, _ = api.create_board()
    token = api.join(slug)["token"]
    first = api.post(slug, token, client_id="c-1", targets=["12.a", "12.7"])
    again = api.post(slug, token, client_id="c-1", targets=["12.7", "12.a"])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    other = api.post(slug, token, client_id="c-1", targets=["12.7"])
    assert other.status_code == 409 and other.json()["error"]["code"] == "client_id_conflict"


def test_author_changes_targets_and_the_goal_follows(api: Api) -> None:
    """An author's PATCH of targets replaces them and adds the new target's goal to sdgs."""
    slug, _ = api.create_board()
    token = api.join(slug)["token"]
    note = api.note(slug, token, targets=["12.7"])
    response = patch(api, slug, note, token, targets=["13.2"])
    assert response.status_code == 200, response.text
    assert (response.json()["targets"], response.json()["sdgs"]) == (["13.2"], [12, 13])
    assert response.json()["version"] == 2


def test_moderator_changes_a_participants_targets(api: Api) -> None:
    """A moderator may set and clear the targets of someone else's note."""
    slug, key = api.create_board()
    note = api.note(slug, api.join(slug)["token"], sdgs=[12])
    assert patch(api, slug, note, key, targets=["12.7", "12.1"]).json()["targets"] == [
        "12.1",
        "12.7",
    ]
    assert patch(api, slug, note, key, targets=[]).json()["targets"] == []


def test_another_participant_cannot_change_targets(api: Api) -> None:
    """Targets are the author's content: another participant's PATCH is a 403."""
    slug, _ = api.create_board()
    note = api.note(slug, api.join(slug, "Kari")["token"], targets=["12.7"])
    response = patch(api, slug, note, api.join(slug, "Ola")["token"], targets=[])
    assert response.status_code == 403
    assert api.snapshot(slug)["notes"][0]["targets"] == ["12.7"]


def test_changing_goals_keeps_the_targets_and_the_goals_they_imply(api: Api) -> None:
    """PATCH sdgs alone keeps the targets, so their goals stay; sending both replaces both."""
    slug, _ = api.create_board()
    token = api.join(slug)["token"]
    note = api.note(slug, token, targets=["12.7"])
    kept = patch(api, slug, note, token, sdgs=[13]).json()
    assert (kept["sdgs"], kept["targets"]) == ([12, 13], ["12.7"])
    both = patch(api, slug, note, token, sdgs=[13], targets=[]).json()
    assert (both["sdgs"], both["targets"]) == ([13], [])


@pytest.mark.parametrize("change", [{"targets": None}, {"targets": ["12.99"]}])
def test_bad_targets_in_an_edit_are_a_422_and_change_nothing(
    api: Api, change: dict[str, Any]
) -> None:
    """PATCH with null or an unknown code is refused with the envelope; the note stays."""
    slug, key = api.create_board()
    note = api.note(slug, api.join(slug)["token"], targets=["12.7"])
    response = patch(api, slug, note, key, **change)
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid"
    assert api.snapshot(slug)["notes"][0]["targets"] == ["12.7"]


def test_the_same_targets_in_another_order_is_no_change(api: Api) -> None:
    """PATCH with the note's own targets, reordered, writes no event and keeps the version."""
    slug, _ = api.create_board()
    token = api.join(slug)["token"]
    note = api.note(slug, token, targets=["12.7", "12.a"])
    seq = api.snapshot(slug)["seq"]
    response = patch(api, slug, note, token, targets=["12.a", "12.7", "12.7"])
    assert response.json()["version"] == 1
    assert api.snapshot(slug)["seq"] == seq


def test_events_carry_the_targets_of_a_note(api: Api) -> None:
    """The note.upsert events of a post and of an edit hold the note's targets, for everyone."""
    slug, key = api.create_board()
    token = api.join(slug)["token"]
    seq = api.snapshot(slug)["seq"]
    note = api.note(slug, token, targets=["12.7"])
    patch(api, slug, note, key, targets=["12.7", "7.2"])
    for who in (None, token, key):
        upserts = [e["data"] for e in api.events(slug, who, since=seq)]
        assert [u["targets"] for u in upserts] == [["12.7"], ["7.2", "12.7"]]
        assert upserts[-1]["sdgs"] == [7, 12]


def test_stats_count_notes_per_target_for_every_target(api: Api) -> None:
    """Stats list all 169 targets in order with visible notes each; moderators count pending."""
    slug, key = api.create_board(moderation="pre")
    token = api.join(slug)["token"]
    approved = api.note(slug, token, targets=["12.7", "12.a"])
    assert patch(api, slug, approved, key, status="visible").status_code == 200
    api.note(slug, token, targets=["12.7"])  # stays pending
    public = api.client.get(f"/api/boards/{slug}/stats").json()
    assert len(public["targets"]) == 169
    assert [t["code"] for t in public["targets"]][:3] == ["1.1", "1.2", "1.3"]
    counts = {t["code"]: t["notes"] for t in public["targets"]}
    assert (counts["12.7"], counts["12.a"], counts["12.1"]) == (1, 1, 0)
    moderator = api.client.get(f"/api/boards/{slug}/stats", headers=auth(key)).json()
    assert {t["code"]: t["notes"] for t in moderator["targets"]}["12.7"] == 2
