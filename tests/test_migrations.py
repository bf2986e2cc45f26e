"""Alembic migrations: they build exactly the schema the models describe, both ways."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from board.domain import joincode
from board.store import db
from board.store.models import SQLModel

BACKENDS = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@BACKENDS
def test_migrations_match_the_models(database_url: str) -> None:
    """After `upgrade head` Alembic finds no difference between the database and the models."""
    engine = db.create_engine(database_url)
    db.upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    assert db.current_revision(engine) == db.head_revision(engine)
    engine.dispose()


@BACKENDS
def test_migrations_downgrade_to_empty_and_upgrade_again(database_url: str) -> None:
    """Every migration has a working downgrade: base and back to head leave a usable schema."""
    engine = db.create_engine(database_url)
    db.upgrade(engine)
    command.downgrade(db.alembic_config(engine), "base")
    assert db.current_revision(engine) is None
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision(engine)
    engine.dispose()


@BACKENDS
def test_time_zone_migration_keeps_existing_boards_and_their_notes(database_url: str) -> None:
    """0001 → 0002 → 0001 keeps the board and its notes; boards made before get Europe/Oslo."""
    engine = db.create_engine(database_url)
    config = db.alembic_config(engine)
    command.upgrade(config, "0001")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO board (slug, title, description, locale, moderation, locked, "
            "require_sdg, seq, created_at, updated_at) VALUES ('b', 'B', '', 'nb', 'post', "
            "false, false, 0, '2026-01-01 10:00:00', '2026-01-01 10:00:00')"
        )
        connection.exec_driver_sql(
            "INSERT INTO note (board_id, client_id, author_name, body, sdgs, color, status, "
            "pinned, position, likes, version, created_at, updated_at) VALUES ((SELECT id FROM "
            "board), 'c', '', 'x', '[]', 'yellow', 'visible', false, 0, 0, 1, "
            "'2026-01-01 10:00:00', '2026-01-01 10:00:00')"
        )
    command.upgrade(config, "0002")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT timezone FROM board").all() == [("Europe/Oslo",)]
    # A table copy (SQLite batch mode) would drop `board`, and the cascade would take the note.
    command.downgrade(config, "0001")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM note").scalar() == 1
    engine.dispose()


def from_json(value: Any) -> Any:
    """A JSON column read with raw SQL: text on SQLite, already decoded by psycopg."""
    return json.loads(value) if isinstance(value, str) else value


@BACKENDS
def test_targets_migration_keeps_boards_notes_comments_and_likes(database_url: str) -> None:
    """0002 → head → 0002 keeps every board, note, comment and like; old notes get no targets."""
    engine = db.create_engine(database_url)
    config = db.alembic_config(engine)
    command.upgrade(config, "0002")
    at = "'2026-01-01 10:00:00'"
    with engine.begin() as connection:
        sql = connection.exec_driver_sql
        for slug in ("a", "b"):
            sql(
                "INSERT INTO board (slug, title, description, locale, moderation, locked, "
                f"require_sdg, seq, timezone, created_at, updated_at) VALUES ('{slug}', 'B', '', "
                f"'nb', 'post', false, false, 7, 'UTC', {at}, {at})"
            )
        sql(
            "INSERT INTO participant (board_id, name, token_hash, created_at) "
            f"VALUES ((SELECT id FROM board WHERE slug = 'a'), 'Kari', 'h', {at})"
        )
        for slug, client_id, sdgs in (
            ("a", "n1", "[12, 13]"),
            ("a", "n2", "[]"),
            ("b", "n3", "[5]"),
        ):
            sql(
                "INSERT INTO note (board_id, client_id, author_id, author_name, body, sdgs, color, "
                "status, pinned, position, likes, version, created_at, updated_at) VALUES "
                f"((SELECT id FROM board WHERE slug = '{slug}'), '{client_id}', "
                f"(SELECT id FROM participant), 'Kari', 'Innspill {client_id}', '{sdgs}', "
                f"'yellow', 'visible', false, 0, 1, 1, {at}, {at})"
            )
        sql(
            "INSERT INTO comment (board_id, note_id, author_name, body, created_at) VALUES "
            "((SELECT id FROM board WHERE slug = 'a'), (SELECT id FROM note WHERE client_id = "
            f"'n1'), 'Ola', 'Enig', {at})"
        )
        sql(
            "INSERT INTO note_like (note_id, participant_id, created_at) VALUES ((SELECT id FROM "
            f"note WHERE client_id = 'n1'), (SELECT id FROM participant), {at})"
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        sql = connection.exec_driver_sql
        assert sql("SELECT slug, seq, timezone FROM board ORDER BY slug").all() == [
            ("a", 7, "UTC"),
            ("b", 7, "UTC"),
        ]
        notes = sql("SELECT client_id, body, sdgs, targets, likes FROM note ORDER BY client_id")
        assert [(c, b, from_json(s), from_json(t), n) for c, b, s, t, n in notes] == [
            ("n1", "Innspill n1", [12, 13], [], 1),
            ("n2", "Innspill n2", [], [], 1),
            ("n3", "Innspill n3", [5], [], 1),
        ]
        assert sql("SELECT body FROM comment").all() == [("Enig",)]
        assert sql("SELECT count(*) FROM note_like").scalar() == 1
    # Back down drops the column only: a table copy on SQLite would cascade to comments and likes.
    command.downgrade(config, "0002")
    with engine.connect() as connection:
        sql = connection.exec_driver_sql
        assert sql("SELECT count(*) FROM note").scalar() == 3
        assert sql("SELECT count(*) FROM comment").scalar() == 1
        assert sql("SELECT count(*) FROM note_like").scalar() == 1
    engine.dispose()


def test_sqlite_is_opened_in_wal_mode_with_foreign_keys_and_a_busy_timeout(
    database_url: str,
) -> None:
    """Every SQLite connection gets WAL, enforced foreign keys and a 30 s busy timeout."""
    engine = db.create_engine(database_url)
    with engine.connect() as connection:
        pragma = connection.exec_driver_sql
        assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert pragma("PRAGMA foreign_keys").scalar() == 1
        assert pragma("PRAGMA busy_timeout").scalar() == db.SQLITE_BUSY_TIMEOUT * 1000
    engine.dispose()


@BACKENDS
def test_moderation_migration_keeps_data_and_makes_each_first_key_the_owner(
    database_url: str,
) -> None:
    """0003 → 0004 keeps boards, keys, participants and notes; each board's first key becomes
    its owner, notes get no flag and are not marked edited; 0004 → 0003 keeps the data too."""
    engine = db.create_engine(database_url)
    config = db.alembic_config(engine)
    command.upgrade(config, "0003")
    stamp = "'2026-01-01 10:00:00'"
    with engine.begin() as connection:
        sql = connection.exec_driver_sql
        for slug in ("a", "b"):
            sql(
                "INSERT INTO board (slug, title, description, locale, moderation, locked, "
                f"require_sdg, seq, created_at, updated_at) VALUES ('{slug}', 'B', '', 'nb', "
                f"'post', false, false, 0, {stamp}, {stamp})"
            )
        for slug, name in (("a", "Moderator"), ("a", "Hilde"), ("b", "Moderator")):
            sql(
                "INSERT INTO moderator_key (board_id, name, key_hash, created_at) VALUES "
                f"((SELECT id FROM board WHERE slug = '{slug}'), '{name}', "
                f"'{slug}-{name}', {stamp})"
            )
        sql(
            "INSERT INTO participant (board_id, name, token_hash, created_at) VALUES "
            f"((SELECT id FROM board WHERE slug = 'a'), 'Kari', 'hash', {stamp})"
        )
        sql(
            "INSERT INTO note (board_id, client_id, author_id, author_name, body, sdgs, color, "
            "status, pinned, position, likes, version, created_at, updated_at) VALUES ((SELECT "
            "id FROM board WHERE slug = 'a'), 'c', (SELECT id FROM participant), 'Kari', 'x', "
            f"'[]', 'yellow', 'visible', false, 0, 0, 1, {stamp}, {stamp})"
        )
    command.upgrade(config, "0004")
    with engine.connect() as connection:
        sql = connection.exec_driver_sql
        owners = sql("SELECT name, owner FROM moderator_key ORDER BY id").all()
        assert [(name, bool(owner)) for name, owner in owners] == [
            ("Moderator", True),
            ("Hilde", False),
            ("Moderator", True),
        ]
        boards = sql("SELECT word_filter, retention_days FROM board ORDER BY id").all()
        assert [(_json(w), r) for w, r in boards] == [([], None), ([], None)]
        notes = sql("SELECT body, flag_reason, edited_by_moderator FROM note").all()
        assert [(b, f, bool(e)) for b, f, e in notes] == [("x", None, False)]
        assert sql("SELECT name, banned_at FROM participant").all() == [("Kari", None)]
        assert sql("SELECT count(*) FROM audit").scalar() == 0
    command.downgrade(config, "0003")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM note").scalar() == 1
        assert connection.exec_driver_sql("SELECT count(*) FROM moderator_key").scalar() == 3
    engine.dispose()


def _json(value: object) -> object:
    """A JSON column read by raw SQL: text on SQLite, decoded already on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


@BACKENDS
def test_join_code_migration_gives_each_existing_board_its_own_code(database_url: str) -> None:
    """0005 → 0006 gives every board a distinct code from the join-code alphabet, unique from
    then on, and keeps their notes; 0006 → 0005 drops the column only."""
    engine = db.create_engine(database_url)
    config = db.alembic_config(engine)
    command.upgrade(config, "0005")
    stamp = "'2026-01-01 10:00:00'"
    with engine.begin() as connection:
        sql = connection.exec_driver_sql
        for slug in ("a", "b", "c"):
            sql(
                "INSERT INTO board (slug, title, description, locale, moderation, locked, "
                f"require_sdg, seq, created_at, updated_at) VALUES ('{slug}', 'B', '', 'nb', "
                f"'post', false, false, 0, {stamp}, {stamp})"
            )
        sql(
            "INSERT INTO note (board_id, client_id, author_name, body, sdgs, color, status, "
            "pinned, position, likes, version, created_at, updated_at) VALUES ((SELECT id FROM "
            f"board WHERE slug = 'a'), 'c', '', 'x', '[]', 'yellow', 'visible', false, 0, 0, 1, "
            f"{stamp}, {stamp})"
        )
    command.upgrade(config, "0006")
    with engine.connect() as connection:
        codes = [c for (c,) in connection.exec_driver_sql("SELECT code FROM board ORDER BY id")]
    assert len(set(codes)) == 3
    assert all(joincode.normalise(code) == code for code in codes), codes
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE board SET code = '{codes[0]}' WHERE slug = 'b'")
    command.downgrade(config, "0005")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM note").scalar() == 1
        assert connection.exec_driver_sql("SELECT count(*) FROM board").scalar() == 3
    engine.dispose()
