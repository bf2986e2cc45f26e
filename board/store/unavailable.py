"""What the database's being away looks like, whichever database and driver: the errors that
mean "cannot be reached right now" rather than a bug (the HTTP answer to them: web/outage.py)."""

from __future__ import annotations

import sqlite3

import psycopg
import sqlalchemy as sa

# What the database's being away looks like, whichever way it fails: refused or dropped
# connections, a statement or pool that timed out, SQLite's locked or full database.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.TimeoutError,
    sqlite3.OperationalError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database is away, rather than a bug."""
    return isinstance(exc, UNAVAILABLE)


def reason(exc: BaseException) -> str:
    """The driver's own words, on one line, without SQLAlchemy's statement and link."""
    original = getattr(exc, "orig", None) or exc
    return " ".join(str(original).split()) or type(original).__name__
