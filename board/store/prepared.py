"""Core statements that every write runs, executed straight on the driver's cursor.

SQLAlchemy's per-call work around a statement (an execution context, parameter and result
set-up, events) costs three to five times what SQLite takes to run the small statements that
every post makes (docs/performance.md). A `Prepared` statement is still written in Core: the
SQL, the order of its parameters and the conversion of each value (JSON, datetimes, booleans)
come from SQLAlchemy, once per dialect; only the per-call machinery is skipped.

What it does not do: column defaults (pass every value), ORM autoflush (as Core through
`session.connection()`, it sees what was flushed), or expanding parameters (`IN` lists).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

_Convert = Callable[[Any], Any] | None


class _Form:
    """One statement compiled for one dialect."""

    def __init__(self, statement: ClauseElement, dialect: sa.Dialect) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        self.sql = compiled.string
        self.error = dialect.loaded_dbapi.Error
        # Values the statement carries itself (`seq + 1`), beside the ones passed at each call.
        self.fixed = dict(compiled.params)
        binds = compiled.binds
        self.names = compiled.positiontup  # None for named paramstyles (psycopg)
        self.to_db: dict[str, _Convert] = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in binds.items()
        }
        columns = list(getattr(statement, "exported_columns", []))
        self.row = namedtuple("Row", [c.key for c in columns])  # type: ignore[misc]
        self.from_db: list[_Convert] = [
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        ]

    def parameters(self, params: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = {**self.fixed, **params}
        converted = {
            name: value if (convert := self.to_db.get(name)) is None else convert(value)
            for name, value in values.items()
        }
        if self.names is None:
            return converted
        return tuple(converted[name] for name in self.names)

    def make_row(self, raw: tuple[Any, ...]) -> Any:
        return self.row(*(v if f is None else f(v) for f, v in zip(self.from_db, raw, strict=True)))


class Prepared:
    """A Core statement run on the driver's cursor of a SQLAlchemy connection."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._forms: dict[str, _Form] = {}

    def _form(self, dialect: sa.Dialect) -> _Form:
        form = self._forms.get(dialect.name)
        if form is None:
            form = self._forms[dialect.name] = _Form(self.statement, dialect)
        return form

    def all(self, connection: sa.Connection, params: Mapping[str, Any]) -> list[Any]:
        """Every row, as named tuples (attribute access, like SQLAlchemy's rows)."""
        form = self._form(connection.dialect)
        parameters = form.parameters(params)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(form.sql, parameters)
            raw = cursor.fetchall() if form.from_db else []
        except form.error as exc:
            # As SQLAlchemy raises it (IntegrityError and the rest), for the callers' handlers.
            raise sa.exc.DBAPIError.instance(form.sql, parameters, exc, form.error) from exc
        finally:
            cursor.close()
        return [form.make_row(row) for row in raw]

    def first(self, connection: sa.Connection, params: Mapping[str, Any]) -> Any | None:
        rows = self.all(connection, params)
        return rows[0] if rows else None

    def scalar(self, connection: sa.Connection, params: Mapping[str, Any]) -> Any:
        """The first column of the first row; None when there is no row."""
        row = self.first(connection, params)
        return None if row is None else row[0]
