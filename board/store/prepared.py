"""Core statements that every write runs, executed straight on the driver's cursor.

SQLAlchemy's per-call work around a statement (an execution context, parameter and result
set-up, events) costs three to five times what SQLite takes to run the small statements that
every post makes (docs/performance.md). A `Prepared` statement is still written in Core: the
SQL, the order of its parameters and the conversion of each value (JSON, datetimes, booleans)
come from SQLAlchemy, once per dialect; only the per-call machinery is skipped. How, with what
of SQLAlchemy's internals, is `internals.sqlalchemy_private`; where this SQLAlchemy does not
offer them, the statement runs through `Connection.execute` (SQLAlchemy's own rows and errors).

What it does not do: column defaults (pass every value), ORM autoflush (as Core through
`session.connection()`, it sees what was flushed), or expanding parameters (`IN` lists).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.sql.expression import ClauseElement

from board.internals import sqlalchemy_private
from board.internals.sqlalchemy_private import CursorForm


class Prepared:
    """A Core statement run on the driver's cursor of a SQLAlchemy connection."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        # Per dialect name: the cursor form, or None for SQLAlchemy's own execution.
        self._forms: dict[str, CursorForm | None] = {}

    def _form(self, dialect: sa.Dialect) -> CursorForm | None:
        try:
            return self._forms[dialect.name]
        except KeyError:
            form = self._forms[dialect.name] = sqlalchemy_private.cursor_form(
                self.statement, dialect
            )
            return form

    def all(self, connection: sa.Connection, params: Mapping[str, Any]) -> list[Any]:
        """Every row, with attribute access (named tuples, or SQLAlchemy's rows)."""
        form = self._form(connection.dialect)
        if form is None:
            result = connection.execute(cast(sa.Executable, self.statement), params)
            return list(result) if result.returns_rows else []
        return form.all(connection, params)

    def first(self, connection: sa.Connection, params: Mapping[str, Any]) -> Any | None:
        rows = self.all(connection, params)
        return rows[0] if rows else None

    def scalar(self, connection: sa.Connection, params: Mapping[str, Any]) -> Any:
        """The first column of the first row; None when there is no row."""
        row = self.first(connection, params)
        return None if row is None else row[0]
