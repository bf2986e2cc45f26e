"""board/internals/sqlalchemy_private.py under the SQLAlchemy installed: every prepared statement
of the board still compiles to what the cursor path needs, on SQLite and on PostgreSQL (the
fallback, `Connection.execute`, runs every test of tests/test_prepared.py a second time)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
import sqlalchemy as sa

import board
from board.internals import sqlalchemy_private
from board.store.prepared import Prepared

# Engines are made without connecting: only their dialects are used.
DIALECTS = {
    "sqlite": sa.create_engine("sqlite://").dialect,
    "postgresql": sa.create_engine("postgresql+psycopg://").dialect,
}


def every_prepared() -> dict[str, Prepared]:
    """Every module-level Prepared statement in board/, by its module and name."""
    found = {}
    for module_info in pkgutil.walk_packages(board.__path__, "board."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if isinstance(value, Prepared):
                found[f"{module_info.name}.{name}"] = value
    assert len(found) >= 7, found  # the board's rules, the token holders, seq, event, duplicates
    return found


def what_is_missing(prepared: Prepared, dialect: sa.Dialect) -> list[str]:
    compiled = prepared.statement.compile(dialect=dialect)
    missing = [
        f"compiled.{name}"
        for name in ("string", "params", "binds", "positiontup")
        if not hasattr(compiled, name)
    ]
    if not callable(getattr(sa.exc.DBAPIError, "instance", None)):
        missing.append("DBAPIError.instance()")
    if not hasattr(dialect, "loaded_dbapi"):
        missing.append("dialect.loaded_dbapi")
    return missing


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_prepared_statement_still_runs_on_the_cursor(dialect: str) -> None:
    """Each statement gets a cursor form; when one does not, the message says what is gone."""
    for name, prepared in every_prepared().items():
        form = sqlalchemy_private.cursor_form(prepared.statement, DIALECTS[dialect])
        missing = what_is_missing(prepared, DIALECTS[dialect]) or [
            "SQL the cursor can run as compiled (it needs per-call rendering)"
        ]
        assert form is not None, (
            f"SQLAlchemy {sa.__version__} no longer gives {', '.join(missing)} for {name} on "
            f"{dialect}; board/internals/sqlalchemy_private.py falls back to Connection.execute "
            "(three to five times the per-call cost); update the adapter"
        )


def test_a_statement_that_needs_rendering_per_call_takes_the_fallback() -> None:
    """An expanding IN list is rendered by SQLAlchemy at each execution: no cursor form."""
    statement = sa.select(sa.literal_column("1")).where(
        sa.column("x").in_(sa.bindparam("xs", expanding=True))
    )
    assert sqlalchemy_private.cursor_form(statement, DIALECTS["sqlite"]) is None
