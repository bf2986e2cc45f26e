"""Setting up a board over HTTP and reading back what it holds, for the fault tests."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx2
from conftest import Api, auth

EVENT_PAGES = 200


def open_board(url: str, participants: int) -> tuple[str, str, list[str]]:
    """A new board and `participants` joined to it: (slug, moderator key, their tokens)."""
    with httpx2.Client(base_url=url, timeout=15) as http:
        api = Api(http)  # type: ignore[arg-type]  # httpx2.Client speaks like the TestClient
        slug, key = api.create_board()
        tokens = [api.join(slug, f"P{n}")["token"] for n in range(participants)]
    return slug, key, tokens


def board_seq(url: str, slug: str, key: str) -> int:
    """The board's seq from its event log (not the shared snapshot, which may trail a write)."""
    with httpx2.Client(base_url=url, timeout=15) as http:
        response = http.get(f"/api/boards/{slug}/events", params={"since": 0}, headers=auth(key))
    assert response.status_code == 200, response.text
    return int(response.json()["seq"])


def snapshot(url: str, slug: str, key: str | None = None) -> dict[str, Any]:
    with httpx2.Client(base_url=url, timeout=15) as http:
        response = http.get(f"/api/boards/{slug}", headers=auth(key))
    assert response.status_code == 200, response.text
    return dict(response.json())


def all_events(url: str, slug: str, key: str) -> list[dict[str, Any]]:
    """Every event of the board as a moderator sees it, following `more` page by page."""
    events: list[dict[str, Any]] = []
    since = 0
    with httpx2.Client(base_url=url, timeout=15) as http:
        for _ in range(EVENT_PAGES):
            response = http.get(
                f"/api/boards/{slug}/events", params={"since": since}, headers=auth(key)
            )
            assert response.status_code == 200, response.text
            page = response.json()
            events.extend(page["events"])
            since = page["seq"]
            if not page["more"]:
                return events
    raise AssertionError(f"the events of {slug} still had more after {EVENT_PAGES} pages")


def assert_log_whole(events: list[dict[str, Any]], notes: list[dict[str, Any]]) -> None:
    """The log's seqs are 1..N without gap or repeat, and each note has exactly one upsert (no
    note was never announced, none twice: a viewer replaying the log sees each once)."""
    seqs = [event["seq"] for event in events]
    assert seqs == list(range(1, len(seqs) + 1)), f"seqs not 1..N: {seqs[:50]}"
    upserts = Counter(e["data"]["id"] for e in events if e["kind"] == "note.upsert")
    twice = {note: n for note, n in upserts.items() if n > 1}
    assert not twice, f"notes announced more than once: {twice}"
    assert set(upserts) == {note["id"] for note in notes}


def assert_server_clean(output: str) -> None:
    """No process logged a traceback or answered a 500 (a 503 of an outage would be fine)."""
    for sign in ("Traceback", "internal_error", " 500 "):
        assert sign not in output, f"{sign!r} in the servers' output:\n{output[-5000:]}"
