"""Alembic migrations: they build exactly the schema the models describe, both ways."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from board import db
from board.models import SQLModel

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


def test_sqlite_is_opened_in_wal_mode_with_foreign_keys_and_a_busy_timeout(
    database_url: str,
) -> None:
    """Every SQLite connection gets WAL, enforced foreign keys and a 30 s busy timeout."""
    engine = db.create_engine(database_url)
    with engine.connect() as connection:
        pragma = connection.exec_driver_sql
        assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert pragma("PRAGMA foreign_keys").scalar() == 1
        assert pragma("PRAGMA busy_timeout").scalar() == db.SQLITE_BUSY_TIMEOUT_MS
    engine.dispose()
