"""Engine, transactions and migrations: the one place that knows which database we run on."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import Session

from board.resources import bundled
from board.store.events import Committed

# How long a SQLite writer waits, unless told otherwise, for another process to commit: the CLI
# waits this long for the server, and vice versa when the server is given no `timeout`.
SQLITE_BUSY_TIMEOUT = 30.0  # seconds
# Database work runs in anyio's thread pool (40 threads by default): a pool of the same size means
# a request that got a thread never waits for a connection as well.
POOL = {"pool_size": 10, "max_overflow": 30}


PG_CONNECT_TIMEOUT = 3  # seconds


def create_engine(url: str, timeout: float | None = None) -> sa.Engine:
    """An engine for `url`; SQLite files get WAL, foreign keys, a busy timeout and real BEGINs.

    `timeout` (seconds) bounds how long one statement may wait on the database: PostgreSQL's
    `statement_timeout`, SQLite's busy timeout. The server sets it, so that a stalled or locked
    database is a 503 within seconds (outage.py) rather than a request that hangs; the CLI's
    exports and restores, and `patient` sessions in the server, are not limited.
    """
    if url.startswith("sqlite"):
        path = sa.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        busy = SQLITE_BUSY_TIMEOUT if timeout is None else timeout
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": busy}, **POOL
        )
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql"):
        # A server that does not answer is an outage within seconds, not a hung request.
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT
        if timeout is not None:
            connect_args["options"] = f"-c statement_timeout={round(timeout * 1000)}"
    return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args, **POOL)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see _sqlite_on_begin).
    # The busy timeout is the `timeout` the connection was opened with.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(connection: sa.Connection) -> None:
    # BEGIN IMMEDIATE takes the write lock up front. A deferred BEGIN that reads and then writes
    # fails with "database is locked" (no retry) when another writer got there first.
    mode = "IMMEDIATE" if connection.info.get("write") else "DEFERRED"
    connection.exec_driver_sql(f"BEGIN {mode}")


class _Open(threading.local):
    """The write transaction this thread has open, if any, and the events it has collected."""

    connection: sa.Connection | None = None
    events: list[Committed]
    # Whether each write in the group gets its own savepoint (see `group()`).
    savepoints: bool = True


class GroupSpoiled(Exception):
    """A write without a savepoint failed after it had written: the group must run again."""


class Store:
    """Hands out sessions: `read()` for queries, `write()` for one atomic change."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        # Called with the events of each committed write transaction (set by the app).
        self.after_commit: Callable[[list[Committed]], None] | None = None
        self.is_sqlite = engine.dialect.name == "sqlite"
        # SQLite has one writer at a time. Queueing this process's writers on a lock is fairer
        # and faster than letting them spin in SQLite's busy handler; the busy timeout still
        # covers other processes.
        self._write_lock = threading.Lock() if self.is_sqlite else None
        self._open = _Open()

    @contextmanager
    def read(self, patient: bool = False) -> Iterator[Session]:
        """A session for queries; `patient` ones (exports, purges) have no statement timeout."""
        # Inside a write transaction, read on its connection: see what it wrote so far.
        bind = self._open.connection or self.engine
        with Session(bind=bind, expire_on_commit=False) as session:
            if patient:
                self._no_statement_timeout(session)
            yield session

    @contextmanager
    def write(self, patient: bool = False) -> Iterator[Session]:
        """A transaction that commits on success and rolls back on any exception.

        Inside `group()` it is part of the group's transaction instead, and still succeeds or
        fails on its own: in a savepoint, or without one as `group()` explains.
        """
        if self._open.connection is not None:
            joined = self._session(True) if self._open.savepoints else self._unguarded()
            with joined as session:
                yield session
            return
        with self.group(), self._session(savepoint=False) as session:
            if patient:
                self._no_statement_timeout(session)
            yield session

    def _no_statement_timeout(self, session: Session) -> None:
        # For this transaction only; SQLite's busy timeout only bounds waiting for a writer.
        if not self.is_sqlite:
            session.connection().exec_driver_sql("SET LOCAL statement_timeout = 0")

    @contextmanager
    def group(self, savepoints: bool = True) -> Iterator[None]:
        """One write transaction for every `write()` this thread makes until the block ends.

        Nothing in it is committed, nor any event published, before the block ends; if the
        commit fails, every write in the group fails with it.

        Without `savepoints` (SQLite only), the writes skip their savepoints: those were a
        fifth of the writer thread's time under load. A write that fails before writing anything
        (nearly every refusal) still fails alone; one that fails after raises GroupSpoiled,
        and the caller rolls back and runs the group again with savepoints.
        """
        lock = self._write_lock
        if lock is not None:
            lock.acquire()
        try:
            with self.engine.connect() as connection:
                connection.info["write"] = True
                self._open.connection, self._open.events = connection, []
                self._open.savepoints = savepoints or not self.is_sqlite
                try:
                    with connection.begin():
                        yield
                    events = self._open.events
                finally:
                    self._open.connection, self._open.savepoints = None, True
            # Still inside the SQLite write lock, so this process publishes in commit order.
            if events and self.after_commit is not None:
                self.after_commit(events)
        finally:
            if lock is not None:
                lock.release()

    @contextmanager
    def _session(self, savepoint: bool) -> Iterator[Session]:
        with Session(
            bind=self._open.connection,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint" if savepoint else "rollback_only",
        ) as session:
            with session.begin():
                yield session
            self._open.events.extend(session.info.pop("events", []))

    @contextmanager
    def _unguarded(self) -> Iterator[Session]:
        """A write in the group's transaction itself, with no savepoint to roll back to."""
        connection = self._open.connection
        assert connection is not None
        sqlite = connection.connection.driver_connection
        assert sqlite is not None
        changes = sqlite.total_changes
        # "rollback_only": the session never commits the group; its rollback (a failed flush)
        # would end the group's transaction, which the check below then reports.
        with Session(
            bind=connection, expire_on_commit=False, join_transaction_mode="rollback_only"
        ) as session:
            try:
                yield session
                session.flush()
            except Exception as exc:
                if sqlite.total_changes != changes or not connection.in_transaction():
                    raise GroupSpoiled("a write failed after writing") from exc
                raise
            self._open.events.extend(session.info.pop("events", []))

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(engine: sa.Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(bundled("migrations")))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: sa.Engine) -> None:
    """Bring the database to the latest revision."""
    command.upgrade(alembic_config(engine), "head")


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: sa.Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
