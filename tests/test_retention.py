"""Retention (#7): boards past `retention_days` keep their content, not their people.

The purge through the service on SQLite and PostgreSQL; `board purge` and the daily task in
`board serve` as real processes.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from conftest import ADMIN_TOKEN, Api, auth
from servers import board_env, run_board, serve
from sqlmodel import select
from starlette.testclient import TestClient
from test_cli import assert_one_line_error

from board.app import create_app
from board.domain import retention
from board.domain.access import load_board
from board.settings import Settings
from board.store import db
from board.store.db import Store
from board.store.models import Audit, Comment, Event, Note, Participant, utcnow

# Text that must be gone after a purge: names, and what deleted or erased notes said.
GONE = ("Kari Nordmann", "Ola Hemmelig", "Angret innspill", "Slettet kommentar", "Skrivfeil")


def age(store: Store, slug: str, days: int) -> None:
    """Make the board `days` old."""
    with store.write() as session:
        board = load_board(session, slug)
        board.created_at = utcnow() - timedelta(days=days)
        session.add(board)


def scene(api: Api, retention_days: int | None = 30) -> dict[str, Any]:
    """A board with a published, a hidden, a deleted and an edited note, comments live and
    deleted, and an erased participant."""
    slug, key = api.create_board(title="Innkjøpskonferansen")
    if retention_days is not None:
        response = api.client.patch(
            f"/api/boards/{slug}", json={"retention_days": retention_days}, headers=auth(key)
        )
        assert response.status_code == 200, response.text
    kari, ola = api.join(slug, "Kari Nordmann"), api.join(slug, "Ola Hemmelig")
    gone = api.join(slug, "Per Slettet")
    published = api.note(slug, kari["token"], "Krav om fossilfrie byggeplasser")
    edited = api.note(slug, kari["token"], "Skrivfeil i teksten")
    api.client.patch(
        f"/api/boards/{slug}/notes/{edited['id']}", json={"body": "Rettet"}, headers=auth(key)
    )
    hidden = api.note(slug, ola["token"], "Skjult innspill")
    api.client.patch(
        f"/api/boards/{slug}/notes/{hidden['id']}", json={"status": "hidden"}, headers=auth(key)
    )
    deleted = api.note(slug, kari["token"], "Angret innspill")
    api.client.delete(f"/api/boards/{slug}/notes/{deleted['id']}", headers=auth(kari["token"]))
    comments = f"/api/boards/{slug}/notes/{published['id']}/comments"
    api.client.post(comments, json={"body": "Enig"}, headers=auth(ola["token"]))
    api.note(slug, gone["token"], "Per sitt innspill")
    api.client.delete(f"/api/boards/{slug}/participants/{gone['id']}", headers=auth(key))
    removed = api.client.post(
        comments, json={"body": "Slettet kommentar"}, headers=auth(ola["token"])
    )
    assert removed.status_code == 201
    return {
        "slug": slug,
        "key": key,
        "tokens": [kari["token"], ola["token"]],
        "published": published["id"],
        "edited": edited["id"],
        "hidden": hidden["id"],
        "deleted": deleted["id"],
        "removed_comment": removed.json()["id"],
    }


def board_rows(store: Store, slug: str) -> dict[str, Any]:
    with store.read() as session:
        board = load_board(session, slug)
        of = {"board_id": board.id}
        return {
            "participants": session.exec(select(Participant).filter_by(**of)).all(),
            "notes": {n.id: n for n in session.exec(select(Note).filter_by(**of)).all()},
            "comments": session.exec(select(Comment).filter_by(**of)).all(),
            "events": json.dumps(
                [(e.data, e.public_data) for e in session.exec(select(Event).filter_by(**of))],
                ensure_ascii=False,
            ),
            "audit": session.exec(select(Audit).filter_by(**of)).all(),
        }


def test_purge_keeps_a_boards_content_and_removes_its_people(api: Api, store: Store) -> None:
    """Past its retention a board loses every name and token, the text of deleted notes and
    comments, and the old text in the audit trail, also from the event log; what was published
    stays, anonymous. A second run finds nothing more to do."""
    s = scene(api)
    age(store, s["slug"], 31)
    # Comments deleted with the note they were on keep nothing either.
    with store.write() as session:
        comment = session.get(Comment, s["removed_comment"])
        assert comment is not None
        comment.deleted_at = utcnow()
        session.add(comment)

    purged = [p for p in retention.purge_expired(store) if p.slug == s["slug"]]
    assert purged == [retention.Purged(s["slug"], 2, 2, 4)]

    rows = board_rows(store, s["slug"])
    assert {(p.name, p.token_hash) for p in rows["participants"]} == {("", None)}
    for token in s["tokens"]:
        refused = api.client.get(f"/api/boards/{s['slug']}", headers=auth(token))
        assert refused.status_code == 401
    notes = rows["notes"]
    assert notes[s["deleted"]].body == "" and notes[s["deleted"]].author_name == ""
    assert (notes[s["published"]].body, notes[s["published"]].author_name) == (
        "Krav om fossilfrie byggeplasser",
        "",
    )
    assert notes[s["published"]].author_id is not None  # still one person's notes, unnamed
    assert notes[s["hidden"]].body == "Skjult innspill"
    assert {(c.body, c.author_name) for c in rows["comments"]} >= {("Enig", ""), ("", "")}
    for text in GONE:
        assert text not in rows["events"], text
    assert "Krav om fossilfrie byggeplasser" in rows["events"]
    assert [(a.action, a.before, a.after) for a in rows["audit"] if a.action == "edit"] == [
        ("edit", None, None)
    ]
    snapshot = api.snapshot(s["slug"])
    assert {n["author"]["name"] for n in snapshot["notes"]} == {""}
    assert "Kari" not in json.dumps(api.events(s["slug"], s["key"]), ensure_ascii=False)

    assert retention.purge_board(store, s["slug"]) == retention.Purged(s["slug"], 0, 0, 0)


def test_only_boards_past_their_retention_are_purged(api: Api, store: Store) -> None:
    """A board younger than its retention, or without one, keeps its names."""
    young, forever = scene(api, retention_days=30), scene(api, retention_days=None)
    age(store, young["slug"], 29)
    age(store, forever["slug"], 3650)
    due = retention.due(store)
    assert young["slug"] not in due and forever["slug"] not in due
    retention.purge_expired(store)
    for s in (young, forever):
        names = {p.name for p in board_rows(store, s["slug"])["participants"]}
        assert "Kari Nordmann" in names


def test_retention_days_is_a_board_setting_anyone_may_read(api: Api) -> None:
    """PATCH retention_days: 1–36500 days or null (keep); the board view shows it to everyone,
    so a participant can see how long their name is kept."""
    slug, key = api.create_board()
    url = f"/api/boards/{slug}"
    assert api.snapshot(slug)["board"]["retention_days"] is None
    assert api.client.patch(url, json={"retention_days": 90}, headers=auth(key)).status_code == 200
    assert api.snapshot(slug)["board"]["retention_days"] == 90
    for bad in (0, -1, 36501, "90", 1.5, True):
        response = api.client.patch(url, json={"retention_days": bad}, headers=auth(key))
        assert response.status_code == 422, bad
    cleared = api.client.patch(url, json={"retention_days": None}, headers=auth(key))
    assert cleared.json()["retention_days"] is None


# --- as the operator runs it -------------------------------------------------------------------


def prepared(tmp_path: Path, days: int) -> tuple[str, str, dict[str, Any]]:
    """A SQLite database with a scene board `days` old; (database URL, slug, scene)."""
    database_url = f"sqlite:///{tmp_path / 'board.db'}"
    store = db.Store(db.create_engine(database_url))
    db.upgrade(store.engine)
    with TestClient(create_app(Settings(admin_token=ADMIN_TOKEN), store)) as client:
        s = scene(Api(client))
    age(store, s["slug"], days)
    store.dispose()
    return database_url, s["slug"], s


@pytest.mark.slow
def test_board_purge_purges_what_is_due_and_says_what_it_did(tmp_path: Path) -> None:
    """`board purge` prints a line per purged board, then nothing is left to purge; --slug
    purges one board now; an unknown slug is one line and exit 1."""
    database_url, slug, _ = prepared(tmp_path, 31)
    env = board_env(tmp_path / "data", database_url)
    first = run_board("purge", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == (
        f"Purged {slug}: 2 participants' names and tokens, 1 deleted texts, 5 author names\n"
    )
    again = run_board("purge", env=env)
    assert again.stdout.startswith("Nothing to purge")
    forced = run_board("purge", "--slug", slug, env=env)
    assert forced.returncode == 0 and forced.stdout.startswith("Nothing to purge")
    assert_one_line_error(run_board("purge", "--slug", "nope", env=env), "nope", "board list")


@pytest.mark.slow
def test_board_serve_purges_boards_past_their_retention_when_it_starts(tmp_path: Path) -> None:
    """The daily task runs at start: a due board's names are gone without anyone asking."""
    database_url, slug, s = prepared(tmp_path, 31)
    env = board_env(tmp_path / "data", database_url, admin_token=ADMIN_TOKEN)
    with serve(env) as server, httpx2.Client(base_url=server.url, timeout=10) as http:
        deadline = time.monotonic() + 10
        while True:
            names = {n["author"]["name"] for n in http.get(f"/api/boards/{slug}").json()["notes"]}
            if names == {""}:
                break
            assert time.monotonic() < deadline, names
            time.sleep(0.1)
        assert http.get(f"/api/boards/{slug}", headers=auth(s["tokens"][0])).status_code == 401
    assert f"purged board {slug} past its retention" in server.stderr()
