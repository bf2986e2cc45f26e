"""Running a compiled Core statement straight on the driver's cursor, past SQLAlchemy's execution.

What it uses that SQLAlchemy keeps for its own execution ("Core internals" in its docs, free to
change in any release): the compiled statement's `string`, `params`, `binds` and `positiontup`;
each bound and selected type's `dialect_impl(dialect)` processors; `dialect.loaded_dbapi.Error`
and `DBAPIError.instance()`, to raise a driver's error as SQLAlchemy would; and the DB-API
connection under `Connection.connection`.

Why: SQLAlchemy's per-call work around a statement (an execution context, parameter and result
set-up, events) costs three to five times what SQLite takes to run the small statements that
every post makes; on the cursor, one post in a tight loop went from 0.88 to 0.47–0.62 ms
(docs/performance.md).

Fallback: `cursor_form()` answers None when the compiled statement lacks any of these, or when
its SQL would need SQLAlchemy's own per-call rendering (expanding or literal parameters), and the
caller runs the statement through `Connection.execute` instead. Decided once per statement and
dialect, when the statement first runs.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.sql.expression import ClauseElement

_Convert = Callable[[Any], Any] | None
# How SQLAlchemy marks a parameter it renders into the SQL at each execution.
_POST_COMPILE = "__[POSTCOMPILE_"
_GONE = object()


class CursorForm:
    """One statement compiled for one dialect, run on the driver's cursor."""

    def __init__(
        self,
        sql: str,
        names: tuple[str, ...] | None,
        fixed: dict[str, Any],
        to_db: dict[str, _Convert],
        columns: list[Any],
        dialect: sa.Dialect,
    ) -> None:
        self.sql = sql
        self.error = dialect.loaded_dbapi.Error
        # Values the statement carries itself (`seq + 1`), beside the ones passed at each call.
        self.fixed = fixed
        self.names = names  # None for named paramstyles (psycopg)
        self.to_db = to_db
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

    def all(self, connection: sa.Connection, params: Mapping[str, Any]) -> list[Any]:
        """Every row, as named tuples (attribute access, like SQLAlchemy's rows)."""
        parameters = self.parameters(params)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(self.sql, parameters)
            raw = cursor.fetchall() if self.from_db else []
        except self.error as exc:
            # As SQLAlchemy raises it (IntegrityError and the rest), for the callers' handlers.
            raise sa.exc.DBAPIError.instance(self.sql, parameters, exc, self.error) from exc
        finally:
            cursor.close()
        return [self.make_row(row) for row in raw]


def cursor_form(statement: ClauseElement, dialect: sa.Dialect) -> CursorForm | None:
    """`statement` ready for the cursor; None when this SQLAlchemy cannot say all it takes."""
    compiled = statement.compile(dialect=dialect)
    sql = getattr(compiled, "string", None)
    binds = getattr(compiled, "binds", None)
    names = getattr(compiled, "positiontup", _GONE)
    if (
        not isinstance(sql, str)
        or _POST_COMPILE in sql
        or not isinstance(binds, dict)
        or names is _GONE
        or (names is None) == dialect.positional  # positional SQL needs the order
        or not callable(getattr(sa.exc.DBAPIError, "instance", None))
        or not hasattr(dialect, "loaded_dbapi")
    ):
        return None
    to_db: dict[str, _Convert] = {
        name: bind.type.dialect_impl(dialect).bind_processor(dialect)
        for name, bind in binds.items()
    }
    columns = list(getattr(statement, "exported_columns", []))
    return CursorForm(
        sql,
        None if names is None else tuple(cast(list[str], names)),
        dict(compiled.params),
        to_db,
        columns,
        dialect,
    )
