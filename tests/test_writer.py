"""Group commit on SQLite: queued writes share one transaction; each succeeds or fails alone."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from board.domain import boards, notes, participants
from board.domain.access import Credentials, load_board
from board.domain.schemas import BoardCreate, BoardUpdate, NoteCreate, ParticipantCreate
from board.errors import ApiError
from board.store import db
from board.store.events import Committed
from board.store.models import Section
from board.store.writer import GroupCommit


@pytest.fixture
def sqlite_store(tmp_path: Path) -> db.Store:
    store = db.Store(db.create_engine(f"sqlite:///{tmp_path / 'board.db'}"))
    db.upgrade(store.engine)
    return store


def new_board(store: db.Store) -> tuple[str, Credentials]:
    view, _key = boards.create_board(store, BoardCreate(title="Innkjøp"))
    slug = view["slug"]
    joined = participants.join(store, slug, ParticipantCreate(name="Kari"))
    return slug, Credentials(joined["token"], None)


def note(client_id: str, body: str | None = None) -> NoteCreate:
    # A text of its own by default: the same text again would be caught as a duplicate.
    return NoteCreate(
        client_id=client_id, body=body or f"Krav om utslippsfrie byggeplass {client_id}"
    )


def in_one_group(store: db.Store, calls: list[tuple[Any, ...]]) -> tuple[list[Any], list[int]]:
    """Run `calls` through a GroupCommit so that they all land in one group.

    The first call waits until the others are queued, so the writer picks them up together.
    Returns each call's result (or exception) and the size of every published batch.
    """
    published: list[int] = []
    store.after_commit = lambda events: published.append(len(events))
    queued = threading.Event()

    def hold() -> None:
        assert queued.wait(10)

    async def main() -> list[Any]:
        writer = GroupCommit(store)
        writer.start()
        try:
            first = asyncio.ensure_future(writer.run(hold))
            await asyncio.sleep(0.05)  # the writer is now inside hold()
            rest = [asyncio.ensure_future(writer.run(*call)) for call in calls]
            await asyncio.sleep(0.05)
            queued.set()
            await first
            return await asyncio.gather(*rest, return_exceptions=True)
        finally:
            await writer.stop()

    try:
        return asyncio.run(main()), published
    finally:
        store.after_commit = None


def write_then_fail(store: db.Store, slug: str) -> None:
    with store.write() as session:
        board = load_board(session, slug)
        session.add(Section(board_id=board.id, title="half-done"))
        session.flush()
        raise ApiError(409, "changed_its_mind", "fails after writing")


def test_failed_write_in_a_group_leaves_the_others_committed(sqlite_store: db.Store) -> None:
    """A write that fails inside a group gets its own error; the group's other writes commit."""
    slug, creds = new_board(sqlite_store)
    seq_before = boards.snapshot(sqlite_store, slug, Credentials(None, None))["seq"]
    results, published = in_one_group(
        sqlite_store,
        [
            (notes.post_note, sqlite_store, slug, note("a"), creds),
            (write_then_fail, sqlite_store, slug),
            (notes.post_note, sqlite_store, slug, note("c"), creds),
        ],
    )
    assert isinstance(results[1], ApiError) and results[1].code == "changed_its_mind"
    assert [r[0]["client_id"] for r in (results[0], results[2])] == ["a", "c"]
    assert published == [2]  # the hold group published nothing; then one batch of two
    snapshot = boards.snapshot(sqlite_store, slug, Credentials(None, None))
    assert sorted(n["client_id"] for n in snapshot["notes"]) == ["a", "c"]
    assert snapshot["seq"] == seq_before + 2
    assert snapshot["board"]["sections"] == []  # write_then_fail's section was rolled back


def test_refusal_before_writing_does_not_run_the_group_again(sqlite_store: db.Store) -> None:
    """A write refused before it wrote (403 on a locked board) fails alone; the group runs once."""
    view, key = boards.create_board(sqlite_store, BoardCreate(title="Låst"))
    slug, moderator = view["slug"], Credentials(key, None)
    creds = Credentials(participants.join(sqlite_store, slug, ParticipantCreate())["token"], None)
    boards.update_board(sqlite_store, slug, BoardUpdate(locked=True), moderator)
    ran: list[str] = []

    def post_as_moderator(client_id: str) -> Any:
        ran.append(client_id)
        return notes.post_note(sqlite_store, slug, note(client_id), moderator)

    results, published = in_one_group(
        sqlite_store,
        [
            (post_as_moderator, "a"),
            (notes.post_note, sqlite_store, slug, note("refused"), creds),
            (post_as_moderator, "c"),
        ],
    )
    assert isinstance(results[1], ApiError) and results[1].code == "board_locked"
    assert ran == ["a", "c"]  # not ["a", "c", "a", "c"]: nothing was rolled back and rerun
    assert published == [2]


def test_failed_flush_in_a_group_leaves_the_others_committed(sqlite_store: db.Store) -> None:
    """An ORM flush that fails (here a foreign key) ends the group's first run; the rerun, with a
    savepoint per write, commits the others and gives the failed write its own error."""
    slug, creds = new_board(sqlite_store)

    def orphan_section(store: db.Store) -> None:
        with store.write() as session:
            session.add(Section(board_id=999999, title="orphan"))

    results, published = in_one_group(
        sqlite_store,
        [
            (notes.post_note, sqlite_store, slug, note("a"), creds),
            (orphan_section, sqlite_store),
            (notes.post_note, sqlite_store, slug, note("c"), creds),
        ],
    )
    assert isinstance(results[1], sa.exc.IntegrityError)
    assert published == [2]
    snapshot = boards.snapshot(sqlite_store, slug, Credentials(None, None))
    assert sorted(n["client_id"] for n in snapshot["notes"]) == ["a", "c"]


def test_retry_in_the_same_group_gets_the_first_note(sqlite_store: db.Store) -> None:
    """A retried client_id in the same group sees the uncommitted first post: 200, one note."""
    slug, creds = new_board(sqlite_store)
    (first, created), (again, created_again) = in_one_group(
        sqlite_store,
        [
            (notes.post_note, sqlite_store, slug, note("same"), creds),
            (notes.post_note, sqlite_store, slug, note("same"), creds),
        ],
    )[0]
    assert (created, created_again) == (True, False)
    assert again["id"] == first["id"]
    assert len(boards.snapshot(sqlite_store, slug, Credentials(None, None))["notes"]) == 1


def test_failed_commit_fails_every_write_of_the_group(sqlite_store: db.Store) -> None:
    """When the group's COMMIT fails, every write in it gets the error and nothing is published."""
    slug, creds = new_board(sqlite_store)

    def break_the_commit(store: db.Store) -> None:
        # A deferred foreign-key violation passes its savepoint and fails only at COMMIT.
        with store.write() as session:
            connection = session.connection()
            connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            connection.exec_driver_sql(
                "INSERT INTO section (board_id, title, position) VALUES (999999, 'x', 0)"
            )

    results, published = in_one_group(
        sqlite_store,
        [
            (notes.post_note, sqlite_store, slug, note("lost"), creds),
            (break_the_commit, sqlite_store),
        ],
    )
    assert all(isinstance(r, sa.exc.IntegrityError) for r in results)
    assert published == []
    assert boards.snapshot(sqlite_store, slug, Credentials(None, None))["notes"] == []


def test_outside_a_group_each_write_commits_and_publishes_alone(sqlite_store: db.Store) -> None:
    """Without the group commit (the CLI), every write() is its own transaction, published once."""
    slug, creds = new_board(sqlite_store)
    published: list[list[Committed]] = []
    sqlite_store.after_commit = published.append
    notes.post_note(sqlite_store, slug, note("one"), creds)
    notes.post_note(sqlite_store, slug, note("two"), creds)
    assert [len(batch) for batch in published] == [1, 1]
    assert published[1][0].seq == published[0][0].seq + 1
