"""A database that goes away (outage.py), against a real `board serve` on a PostgreSQL database
of the test's own, made unusable the way an outage does it: connections refused and the open
ones terminated. The server itself is never stopped."""

from __future__ import annotations

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
    """While PostgreSQL refuses connections: /readyz is 503 at its first ask, every request that
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
            assert http.get("/readyz").status_code == 503
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
        retried = http.post(f"/api/boards/{slug}/notes", json=note, headers=auth(token))
        assert retried.status_code == 201, retried.text
        assert [n["body"] for n in api.snapshot(slug)["notes"]] == [note["body"]]
        assert until(lambda: "available again" in server.output(), 5), server.output()
    log = server.output()
    assert log.count("database unavailable:") == 1, log
    assert log.count("database available again") == 1, log
    assert "6 requests refused" in log, log
    assert "Traceback" not in log, log
