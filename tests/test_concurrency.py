"""Concurrent writers against a real `board serve`: `seq` stays gap-free and unique per board.

SQLite and PostgreSQL both; HTTP from many threads at once, plus a second process on SQLite.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import pytest
from conftest import ADMIN_TOKEN, auth
from servers import NO_LIMITS, Server, board_env, run_board, serve

pytestmark = pytest.mark.slow
BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

WRITERS = 8
NOTES_PER_WRITER = 25  # 200 notes in all
LIKE_EVERY = 3  # each writer likes someone's note after every third post
DEADLINE = 120.0  # seconds for one burst of writes; a hang fails instead of blocking the run
EVENT_PAGES = 100


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    """A `board serve` process on the test's empty database, with the admin token set."""
    env = board_env(tmp_path / "data", database_url, admin_token=ADMIN_TOKEN, **NO_LIMITS)
    with serve(env) as running:
        yield running


def client(server: Server) -> httpx2.Client:
    return httpx2.Client(base_url=server.url, timeout=30.0)


def create_board(server: Server, title: str = "Innovative anskaffelser") -> tuple[str, str]:
    """A new board over HTTP with the admin token; returns (slug, moderator key)."""
    with client(server) as http:
        response = http.post(
            "/api/boards", json={"title": title, "sections": ["Ideer"]}, headers=auth(ADMIN_TOKEN)
        )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["board"]["slug"], body["moderator_key"]


def join(server: Server, slug: str, count: int) -> list[str]:
    """Tokens of `count` new participants."""
    with client(server) as http:
        tokens = []
        for number in range(count):
            response = http.post(f"/api/boards/{slug}/participants", json={"name": f"P{number}"})
            assert response.status_code == 201, response.text
            tokens.append(response.json()["token"])
    return tokens


def all_events(server: Server, slug: str, key: str) -> list[dict[str, Any]]:
    """Every event of the board as a moderator sees it, following `more` page by page."""
    events: list[dict[str, Any]] = []
    since = 0
    with client(server) as http:
        for _ in range(EVENT_PAGES):
            response = http.get(
                f"/api/boards/{slug}/events", params={"since": since}, headers=auth(key)
            )
            assert response.status_code == 200, response.text
            page = response.json()
            events.extend(page["events"])
            assert page["seq"] >= since
            since = page["seq"]
            if not page["more"]:
                return events
    pytest.fail(f"events of {slug} still had more after {EVENT_PAGES} pages")


def snapshot(server: Server, slug: str, key: str) -> dict[str, Any]:
    with client(server) as http:
        response = http.get(f"/api/boards/{slug}", headers=auth(key))
    assert response.status_code == 200, response.text
    return dict(response.json())


def assert_gap_free(events: list[dict[str, Any]], board_seq: int) -> None:
    """The seqs are exactly 1..N in order, N being the board's seq."""
    seqs = [event["seq"] for event in events]
    duplicates = [seq for seq, n in Counter(seqs).items() if n > 1]
    assert not duplicates, f"seq handed out twice: {duplicates[:20]}"
    missing = sorted(set(range(1, board_seq + 1)) - set(seqs))
    assert not missing, f"seq gaps: {missing[:20]}"
    assert seqs == list(range(1, board_seq + 1))


def server_clean(server: Server) -> None:
    """The server logged no traceback and no lock error while the test ran."""
    output = server.output()
    for sign in ("Traceback", "database is locked", "internal_error", " 500 "):
        assert sign not in output, f"{sign!r} in the server output:\n{output[-5000:]}"


@BOTH
def test_concurrent_posts_and_likes_get_gap_free_unique_seqs(server: Server) -> None:
    """200 notes + likes from 8 threads at once: all 201, seqs exactly 1..N, one upsert a note."""
    slug, key = create_board(server)
    tokens = join(server, slug, WRITERS)
    posted: list[int] = []  # note ids, in the order the answers came back
    liked: set[tuple[int, int]] = set()  # (writer, note id) pairs that were liked
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(WRITERS, timeout=30)

    def write(writer: int) -> None:
        rng = random.Random(writer)  # noqa: S311 - reproducible test data, not secrets
        with client(server) as http:
            start.wait()
            for number in range(NOTES_PER_WRITER):
                body = {
                    "client_id": f"w{writer}-n{number}",
                    "body": f"Idé {number} fra {writer}",
                    "sdgs": sorted(rng.sample(range(1, 18), rng.randint(0, 3))),
                }
                try:
                    response = http.post(
                        f"/api/boards/{slug}/notes", json=body, headers=auth(tokens[writer])
                    )
                except httpx2.TransportError as exc:
                    with lock:
                        failures.append(f"post {body['client_id']}: {exc!r}")
                    continue
                if response.status_code != 201:
                    with lock:
                        failures.append(
                            f"post {body['client_id']}: {response.status_code} {response.text}"
                        )
                    continue
                with lock:
                    posted.append(response.json()["id"])
                    target = rng.choice(posted)
                if number % LIKE_EVERY == 0:
                    try:
                        like = http.put(
                            f"/api/boards/{slug}/notes/{target}/like", headers=auth(tokens[writer])
                        )
                    except httpx2.TransportError as exc:
                        with lock:
                            failures.append(f"like {target}: {exc!r}")
                        continue
                    with lock:
                        if like.status_code == 200 and like.json()["liked"] is True:
                            liked.add((writer, target))
                        else:
                            failures.append(f"like {target}: {like.status_code} {like.text}")

    with ThreadPoolExecutor(WRITERS) as pool:
        futures = [pool.submit(write, writer) for writer in range(WRITERS)]
        for future in futures:
            future.result(timeout=DEADLINE)

    assert not failures, "\n".join(failures[:20])
    assert len(posted) == len(set(posted)) == WRITERS * NOTES_PER_WRITER

    events = all_events(server, slug, key)
    state = snapshot(server, slug, key)
    assert_gap_free(events, state["seq"])
    kinds = Counter(event["kind"] for event in events)
    assert kinds == Counter({"board.upsert": 1, "note.upsert": len(posted), "likes": len(liked)})
    upserted = Counter(event["data"]["id"] for event in events if event["kind"] == "note.upsert")
    assert upserted == Counter(posted)  # exactly one note.upsert per posted note

    likes = {note["id"]: note["likes"] for note in state["notes"]}
    assert len(likes) == len(posted)
    assert likes == {n: sum(1 for _, target in liked if target == n) for n in posted}
    server_clean(server)


@BOTH
def test_same_client_id_from_two_threads_at_once_makes_one_note(server: Server) -> None:
    """One post sent by two threads at once makes one note: a 201, a 200, one id, one event."""
    slug, key = create_board(server)
    (token,) = join(server, slug, 1)
    rounds = 15
    outcomes: list[list[tuple[int, dict[str, Any]]]] = []

    for number in range(rounds):
        body = {"client_id": uuid.uuid4().hex, "body": f"Samme idé {number}", "sdgs": [12, 13]}
        together = threading.Barrier(2, timeout=30)

        def post(body: dict[str, Any] = body, together: threading.Barrier = together) -> Any:
            with client(server) as http:
                together.wait()
                response = http.post(f"/api/boards/{slug}/notes", json=body, headers=auth(token))
            return response.status_code, response.json()

        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(post) for _ in range(2)]
            outcomes.append([future.result(timeout=DEADLINE) for future in futures])

    ids = []
    for pair in outcomes:
        assert sorted(status for status, _ in pair) == [200, 201], pair
        (_, first), (_, second) = pair
        assert first["id"] == second["id"], pair
        assert first == second, pair  # the retry answers with the very same note
        ids.append(first["id"])
    assert len(set(ids)) == rounds

    events = all_events(server, slug, key)
    state = snapshot(server, slug, key)
    assert_gap_free(events, state["seq"])
    upserted = Counter(event["data"]["id"] for event in events if event["kind"] == "note.upsert")
    assert upserted == Counter(ids)
    assert sorted(note["id"] for note in state["notes"]) == sorted(ids)
    server_clean(server)


def test_cli_writes_beside_a_busy_server_never_see_database_is_locked(
    server: Server, database_url: str
) -> None:
    """`board create` in a second process beside a server busy writing one SQLite file succeeds."""
    assert database_url.startswith("sqlite")
    slug, key = create_board(server)
    tokens = join(server, slug, 4)
    stop = threading.Event()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    lock = threading.Lock()

    def keep_posting(writer: int) -> None:
        deadline = time.monotonic() + DEADLINE
        with client(server) as http:
            for number in range(2000):
                if stop.is_set() or time.monotonic() > deadline:
                    return
                note = {"client_id": f"w{writer}-{number}", "body": f"Mer gjenbruk {number}"}
                try:
                    response = http.post(
                        f"/api/boards/{slug}/notes", json=note, headers=auth(tokens[writer])
                    )
                except httpx2.TransportError as exc:
                    with lock:
                        failures.append(f"post {note['client_id']}: {exc!r}")
                    continue
                with lock:
                    statuses[response.status_code] += 1
                    if response.status_code != 201:
                        failures.append(f"{response.status_code} {response.text}")

    env = board_env(Path(database_url.removeprefix("sqlite:///")).parent, database_url)
    created = []
    with ThreadPoolExecutor(len(tokens)) as pool:
        futures = [pool.submit(keep_posting, writer) for writer in range(len(tokens))]
        try:
            time.sleep(0.5)  # let the posting get going
            for number in range(5):
                result = run_board(
                    "create",
                    f"Webinar {number}",
                    "--slug",
                    f"webinar-{number}",
                    "--section",
                    "Ideer",
                    env=env,
                )
                created.append(result)
        finally:
            stop.set()
        for future in futures:
            future.result(timeout=DEADLINE)

    for result in created:
        assert result.returncode == 0, f"stdout={result.stdout!r} stderr={result.stderr!r}"
        assert "locked" not in result.stderr
    assert not failures, "\n".join(failures[:20])
    assert statuses[201] >= 20, statuses  # the server really was busy meanwhile

    listed = run_board("list", env=env)
    assert listed.returncode == 0, listed.stderr
    slugs = {line.split()[0] for line in listed.stdout.splitlines()}
    assert {f"webinar-{n}" for n in range(5)} | {slug} == slugs

    events = all_events(server, slug, key)
    state = snapshot(server, slug, key)
    assert_gap_free(events, state["seq"])
    assert len(state["notes"]) == statuses[201]
    server_clean(server)
