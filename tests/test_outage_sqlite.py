"""SQLite's own ways of being unusable (outage.py): a disk that is full, and a write lock held by
another process beyond the busy timeout. Each is a 503 `database_unavailable` with Retry-After,
logged once, and nothing acknowledged is lost; against a real `board serve` and a real file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest
from conftest import ADMIN_TOKEN, Api, auth, require
from servers import board_env, serve

pytestmark = pytest.mark.slow

# Small enough to fill in a moment, large enough for the database, its WAL and the server's
# start-up writes.
DISK = "8m"


@contextmanager
def small_disk(path: Path) -> Iterator[Path]:
    """A tmpfs of DISK bytes mounted at `path`: a real filesystem that fills up."""
    require(
        "mounting a small filesystem",
        os.geteuid() == 0,
        "run the tests as root (CI does), which may mount a tmpfs",
    )
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=True)


def fill(folder: Path) -> Path:
    """Write a file until the filesystem under `folder` has no room left; returns the file."""
    filler = folder / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    return filler


def post(http: httpx2.Client, slug: str, token: str, body: str) -> httpx2.Response:
    note = {"body": body, "client_id": str(uuid.uuid4())}
    return http.post(f"/api/boards/{slug}/notes", json=note, headers=auth(token))


def test_a_full_disk_is_a_503_and_posting_resumes_when_there_is_room(tmp_path: Path) -> None:
    """With the disk under the SQLite file full, posts are 503 `database_unavailable` with
    Retry-After (logged once, no traceback); once there is room again posting works, and every
    note acknowledged before, during and after is on the board."""
    with small_disk(tmp_path / "disk") as disk:
        env = board_env(disk, admin_token=ADMIN_TOKEN, notes_per_minute="0")
        with serve(env) as server, httpx2.Client(base_url=server.url, timeout=15) as http:
            api = Api(http)  # type: ignore[arg-type]
            slug, _key = api.create_board()
            token = api.join(slug)["token"]
            acknowledged = [f"Før disken ble full {n}" for n in range(3)]
            for body in acknowledged:
                assert post(http, slug, token, body).status_code == 201
            filler = fill(disk)
            refused = 0
            # A WAL with free pages may take a few notes still; a full disk refuses soon after.
            for number in range(200):
                body = "Under full disk " + str(number) + " " + "x" * 1500
                answer = post(http, slug, token, body)
                if answer.status_code == 201:
                    acknowledged.append(body)
                    continue
                assert answer.status_code == 503, answer.text
                assert answer.json()["error"]["code"] == "database_unavailable"
                assert answer.headers["retry-after"] == "3"
                refused += 1
                if refused == 3:
                    break
            assert refused == 3, "the full disk never refused a post"
            filler.unlink()
            deadline = time.monotonic() + 10
            while (answer := post(http, slug, token, "Etter at det ble plass")).status_code != 201:
                assert answer.status_code == 503 and time.monotonic() < deadline, answer.text
                time.sleep(0.2)
            acknowledged.append("Etter at det ble plass")
            stored = [n["body"] for n in api.snapshot(slug)["notes"]]
            assert sorted(stored) == sorted(acknowledged)
        log = server.output()
        assert log.count("database unavailable: database or disk is full") == 1, log
        assert "Traceback" not in log, log


def test_a_write_lock_held_beyond_the_busy_timeout_is_a_503(tmp_path: Path) -> None:
    """While another process holds SQLite's write lock longer than BOARD_DB_TIMEOUT, a post is
    503 `database_unavailable` after about that long; once the lock is released the retry with
    the same `client_id` is stored once."""
    env = board_env(tmp_path, admin_token=ADMIN_TOKEN, db_timeout="1")
    with serve(env) as server, httpx2.Client(base_url=server.url, timeout=15) as http:
        api = Api(http)  # type: ignore[arg-type]
        slug, _key = api.create_board()
        token = api.join(slug)["token"]
        note = {"body": "Felles rammeavtale for ladestasjoner", "client_id": str(uuid.uuid4())}
        other = sqlite3.connect(tmp_path / "board.db", isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            started = time.monotonic()
            answer = http.post(f"/api/boards/{slug}/notes", json=note, headers=auth(token))
            waited = time.monotonic() - started
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "database_unavailable"
        assert 0.9 <= waited < 4, f"answered after {waited:.1f} s"
        retried = http.post(f"/api/boards/{slug}/notes", json=note, headers=auth(token))
        assert retried.status_code == 201, retried.text
        assert [n["body"] for n in api.snapshot(slug)["notes"]] == [note["body"]]
    log = server.output()
    assert log.count("database unavailable: database is locked") == 1, log
    assert "Traceback" not in log, log
