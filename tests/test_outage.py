"""A database that goes away (outage.py), against a real `board serve` on a PostgreSQL database
of the test's own, made unusable the way an outage does it: connections refused and the open
ones terminated, a table locked, or every byte between the two held back. The PostgreSQL
server itself is never stopped."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import psycopg
import pytest
import sqlalchemy as sa
from conftest import ADMIN_TOKEN, Api, auth
from servers import board_env, serve

pytestmark = pytest.mark.slow


@contextmanager
def refused(url: str) -> Iterator[None]:
    """The database takes no new connections and loses the ones it has, until the block ends."""
    name = sa.make_url(url).database
    admin = sa.make_url(url).set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        try:
            yield
        finally:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def until(check: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_an_outage_is_a_503_with_retry_after_logged_once_and_nothing_is_lost(
    new_database: Any, tmp_path: Path
) -> None:
    """While PostgreSQL refuses connections: /readyz is 503 at its first ask (saying where the
    reason is, not the reason, which names hosts), and it is logged; every request that
    needs the database is a 503 `database_unavailable` envelope with Retry-After, and the log
    has one line when it began and one when it ended (with the count), and no traceback. Once
    the database is back, /readyz is 200 again and the note the client retried is there, once."""
    url = new_database()
    # The refused posts take from the token's note limit (taken before any database work); the
    # limit is not what this test is about.
    env = board_env(tmp_path, url, admin_token=ADMIN_TOKEN, notes_per_minute="0")
    with serve(env) as server, httpx2.Client(base_url=server.url, timeout=15) as http:
        api = Api(http)  # type: ignore[arg-type]
        slug, _key = api.create_board()
        token = api.join(slug)["token"]
        note = {"body": "Krav om utslippsfrie byggeplasser", "client_id": str(uuid.uuid4())}
        with refused(url):
            ready = http.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["error"]["code"] == "database_unavailable"
            assert ready.headers["retry-after"] == "3"
            # What is unusable and where the reason is; not the reason, which names hosts.
            assert "the reason is in the server's log" in ready.json()["error"]["message"]
            assert "5432" not in ready.text and "127.0.0.1" not in ready.text
            answers = [
                http.post(f"/api/boards/{slug}/notes", json=note, headers=auth(token))
                for _ in range(5)
            ] + [http.post(f"/api/boards/{slug}/participants", json={"name": "Ola"})]
            for answer in answers:
                assert answer.status_code == 503, answer.text
                assert answer.json()["error"]["code"] == "database_unavailable"
                assert answer.headers["retry-after"] == "3"
                assert "Traceback" not in answer.text
        assert until(lambda: http.get("/readyz").status_code == 200, 10), server.output()
        assert f"{ready.headers['x-request-id']} GET /readyz 503" in server.stderr()
        retried = http.post(f"/api/boards/{slug}/notes", json=note, headers=auth(token))
        assert retried.status_code == 201, retried.text
        assert [n["body"] for n in api.snapshot(slug)["notes"]] == [note["body"]]
        assert until(lambda: "available again" in server.output(), 5), server.output()
    log = server.output()
    assert log.count("database unavailable:") == 1, log
    assert log.count("database available again") == 1, log
    assert "6 requests refused" in log, log
    assert "Traceback" not in log, log


@contextmanager
def locked(url: str, table: str) -> Iterator[None]:
    """Another session holds `table` locked against everything, until the block ends."""
    libpq = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq) as conn, conn.transaction():
        conn.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
        yield


def test_a_locked_table_is_a_503_after_the_statement_timeout_not_a_hung_request(
    new_database: Any, tmp_path: Path
) -> None:
    """A post that waits on a locked table is cancelled by the statement timeout
    (BOARD_DB_TIMEOUT) and answered 503 `database_unavailable`, in about that time; once the
    lock is gone the client's retry with the same `client_id` is stored once."""
    url = new_database()
    env = board_env(tmp_path, url, admin_token=ADMIN_TOKEN, db_timeout="1")
    with serve(env) as server, httpx2.Client(base_url=server.url, timeout=15) as http:
        api = Api(http)  # type: ignore[arg-type]
        slug, _key = api.create_board()
        token = api.join(slug)["token"]
        note = {"body": "Livsløpskostnader i alle anbud", "client_id": str(uuid.uuid4())}
        with locked(url, "note"):
            started = time.monotonic()
            answer = http.post(f"/api/boards/{slug}/notes", json=note, headers=auth(token))
            waited = time.monotonic() - started
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "database_unavailable"
        assert 0.9 <= waited < 4, f"answered after {waited:.1f} s"
        retried = http.post(f"/api/boards/{slug}/notes", json=note, headers=auth(token))
        assert retried.status_code == 201, retried.text
        assert [n["body"] for n in api.snapshot(slug)["notes"]] == [note["body"]]
    assert "canceling statement due to statement timeout" in server.output(), server.output()
    assert "Traceback" not in server.output(), server.output()


class HeldBack:
    """A TCP proxy to PostgreSQL that can hold back every byte either way while connections stay
    open: a database that hangs, as a stalled server or a network that lost its route looks."""

    def __init__(self, port: int) -> None:
        self.target = ("127.0.0.1", port)
        self.flowing = threading.Event()
        self.flowing.set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            server = socket.create_connection(self.target)
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with source, sink:
            while data := self._recv(source):
                self.flowing.wait()
                try:
                    sink.sendall(data)
                except OSError:
                    return

    @staticmethod
    def _recv(source: socket.socket) -> bytes:
        try:
            return source.recv(65536)
        except OSError:
            return b""

    def close(self) -> None:
        self.flowing.set()
        self.listener.close()


def test_readyz_is_503_within_a_second_of_the_database_hanging(
    new_database: Any, tmp_path: Path
) -> None:
    """With every byte to and from PostgreSQL held back (connections open, nothing answered),
    /readyz answers 503 within about a second, and 200 again once the bytes flow."""
    url = sa.make_url(new_database())
    proxy = HeldBack(url.port or 5432)
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    env = board_env(tmp_path, through, admin_token=ADMIN_TOKEN)
    try:
        with serve(env) as server, httpx2.Client(base_url=server.url, timeout=15) as http:
            assert http.get("/readyz").status_code == 200
            proxy.flowing.clear()
            started = time.monotonic()
            answer = http.get("/readyz")
            waited = time.monotonic() - started
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"]["code"] == "database_unavailable"
            assert waited < 1.5, f"answered after {waited:.2f} s"
            assert http.get("/readyz").status_code == 503  # still, and at once
            proxy.flowing.set()
            assert until(lambda: http.get("/readyz").status_code == 200, 10), server.output()
        log = server.output()
        assert "database unavailable: no answer to SELECT 1 within 1.0 s" in log, log
        assert "database available again" in log, log
    finally:
        proxy.close()
