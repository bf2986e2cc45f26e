"""The OpenAPI contract checker (tests/contract.py): it rejects what the document does not allow,
it is wired into the tests' clients, and a short run reaches every JSON operation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import Api, auth
from contract import (
    JSON,
    Checker,
    ContractViolation,
    declared_json_operations,
    problems,
    published,
)
from starlette.testclient import TestClient

from board.domain import boards

NOTES = "/api/boards/{slug}/notes"


def posted_note(api: Api) -> tuple[str, dict[str, Any]]:
    slug, _key = api.create_board()
    return slug, api.note(slug, api.join(slug)["token"])


def test_the_checker_uses_the_document_the_server_publishes(client: TestClient) -> None:
    """What the checker holds answers against is GET /api/openapi.json, as served."""
    assert client.get("/api/openapi.json").json() == published()


def test_a_real_answer_passes_and_a_wrong_field_is_named(api: Api) -> None:
    """A note as the server answers it fits POST notes' 201 schema; the same note with a colour
    the document does not list is rejected, naming the route, status, JSON path and error."""
    slug, note = posted_note(api)
    path = f"/api/boards/{slug}/notes"
    assert problems("POST", path, 201, JSON, json.dumps(note).encode()) == []
    wrong = problems("POST", path, 201, JSON, json.dumps(note | {"color": "red"}).encode())
    assert len(wrong) == 1
    assert wrong[0].startswith(f"POST {NOTES} → 201 at $.color: ")
    assert '"red" is not one of' in wrong[0]


def test_a_nested_missing_field_and_a_bad_timestamp_are_rejected(api: Api) -> None:
    """$refs resolve into the components (a comment's author inside a note) and date-time
    formats are checked: neither mistake slips through."""
    slug, note = posted_note(api)
    comment = {"id": 1, "note_id": note["id"], "author": {"name": "Kari"}, "body": "Ja"}
    broken = note | {"created_at": "yesterday", "comments": [comment | {"created_at": "now"}]}
    found = problems("POST", f"/api/boards/{slug}/notes", 201, JSON, json.dumps(broken).encode())
    assert any("at $.created_at: " in p and "date-time" in p for p in found), found
    assert any("at $.comments[0].author: " in p and '"id" is a required' in p for p in found)
    assert any("at $.comments[0].created_at: " in p for p in found), found


def test_an_undeclared_status_or_media_type_is_rejected() -> None:
    """A status the operation does not declare fails, whatever the body; so does a body in a
    media type the document does not give for that status, or a body where it declares none."""
    assert problems("GET", "/api/boards/demo", 418, JSON, b"{}") == [
        "GET /api/boards/{slug} → 418: the document declares no 418 for this operation"
    ]
    assert problems("GET", "/api/boards/demo/stats", 200, "text/html", b"<p>")
    assert problems("DELETE", "/api/boards/demo/notes/1", 204, "", b"{}")
    assert problems("GET", "/api/boards/demo", 200, JSON, b"not json")


def test_what_the_document_does_not_describe_is_not_checked() -> None:
    """Pages, health checks, methods a route does not serve and paths no route matches are no
    operation of the document: nothing is said about them."""
    assert problems("GET", "/healthz", 200, JSON, b"{}") == []
    assert problems("GET", "/b/demo", 200, "text/html", b"<p>") == []
    assert problems("PUT", "/api/boards/demo", 405, JSON, b"{}") == []
    assert problems("GET", "/api/boards/NOT_A_SLUG", 404, JSON, b"{}") == []


def test_the_clients_of_a_test_are_checked_as_they_answer(
    api: Api, contract: Checker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handler whose answer leaves the document makes the test client's call itself fail with
    the route and the problem; the violation is kept for the end of the test too."""
    slug, _key = api.create_board()

    def wrong_stats(*_args: Any) -> dict[str, Any]:
        return {"notes": "many"}

    monkeypatch.setattr(boards, "stats", wrong_stats)
    with pytest.raises(ContractViolation, match=r"GET /api/boards/\{slug\}/stats → 200 at \$"):
        api.client.get(f"/api/boards/{slug}/stats")
    assert any("at $.notes: " in v for v in contract.violations)
    contract.violations.clear()  # seen and asserted: the test has passed


@pytest.mark.off_contract("proves the marker: this test's answers are not checked")
def test_a_test_marked_off_contract_is_not_checked(
    api: Api, contract: Checker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under `off_contract` the same wrong answer reaches the test, and nothing is counted."""
    slug, _key = api.create_board()
    monkeypatch.setattr(boards, "stats", lambda *_args: {"notes": "many"})
    assert api.client.get(f"/api/boards/{slug}/stats").json() == {"notes": "many"}
    assert contract.violations == [] and not contract.validated


def test_a_short_run_validates_an_answer_of_every_json_operation(
    api: Api, contract: Checker
) -> None:
    """One pass over the API's JSON operations, each answer checked: every operation the
    document gives a JSON success answer is among those validated (none escapes the check)."""
    client = api.client
    assert client.get("/api/sdgs").status_code == 200
    slug, key = api.create_board(sections=["A"])
    board = f"/api/boards/{slug}"
    mod = auth(key)
    participant = api.join(slug)
    token = auth(participant["token"])
    note = api.note(slug, participant["token"])
    note_url = f"{board}/notes/{note['id']}"
    section = api.snapshot(slug)["board"]["sections"][0]["id"]
    answers = [
        client.patch(board, json={"title": "Ny tittel"}, headers=mod),
        client.post(f"{board}/sections", json={"title": "B"}, headers=mod),
        client.patch(f"{board}/sections/{section}", json={"title": "A2"}, headers=mod),
        client.patch(note_url, json={"pinned": True}, headers=mod),
        client.put(f"{note_url}/like", headers=token),
        client.delete(f"{note_url}/like", headers=token),
        client.post(f"{note_url}/comments", json={"body": "Enig"}, headers=token),
        client.get(f"{board}/events?since=0"),
        client.get(f"{board}/stats", headers=mod),
        client.get(f"{board}/terms?goal=12&limit=5"),
        client.get(f"{board}/moderators", headers=mod),
        client.post(f"{board}/moderators", json={"name": "Hilde"}, headers=mod),
        client.post(f"{board}/participants/{participant['id']}/ban", headers=mod),
        client.delete(f"{board}/participants/{participant['id']}/ban", headers=mod),
        client.get(f"{board}/audit", headers=mod),
        client.get(f"{board}/moderators/me", headers=mod),
        client.post(f"{board}/notes/approve", json={"ids": [note["id"]]}, headers=mod),
        client.post("/api/sdgs/suggest", json={"text": "Ombruk av møbler"}),
        client.get(f"{board}/notes/held", headers=token),
    ]
    assert all(a.status_code < 300 for a in answers), [a.text for a in answers]
    operations = declared_json_operations()
    assert len(operations) == 24
    assert operations <= set(contract.validated), operations - set(contract.validated)
