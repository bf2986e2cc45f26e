"""`GET /metrics`: only with BOARD_METRICS_TOKEN and that token, the Prometheus text format, every
metric documented, the fan-out counting once per batch, and real servers (one process, and
`--workers 2` summed in one scrape) whose numbers move by what a small load did."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import httpx2
import pytest
from conftest import ADMIN_TOKEN, auth, require
from prometheus_client.parser import text_string_to_metric_families
from scraped import TOKEN, Samples, moved, samples, scrape, value
from servers import NO_LIMITS, board_env, free_port, serve
from starlette.testclient import TestClient
from websockets.asyncio.client import ClientConnection, connect

from board import metrics
from board.app import create_app
from board.cli.common import load_settings
from board.live import hub as hub_module
from board.live.hub import Channel, Client, Hub, text_frame
from board.settings import Settings
from board.store.db import Store
from board.store.events import Committed

DOCS = Path(__file__).parent.parent / "docs" / "metrics.md"
REDIS_SERVER = Path("/usr/bin/redis-server")


@pytest.fixture
def metrics_client(store: Store) -> Iterator[TestClient]:
    settings = Settings(admin_token=ADMIN_TOKEN, metrics_token=TOKEN)
    with TestClient(create_app(settings, store)) as client:
        yield client


def test_no_metrics_route_without_a_token(client: TestClient) -> None:
    """With BOARD_METRICS_TOKEN unset there is no /metrics: 404, as for any unknown path, even
    to someone who sends a token."""
    for headers in ({}, auth(TOKEN)):
        answer = client.get("/metrics", headers=headers)
        assert answer.status_code == 404, answer.text
        assert "board_" not in answer.text


@pytest.mark.parametrize(
    "header",
    [None, f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN, "Bearer "],
)
def test_metrics_without_the_token_is_401(metrics_client: TestClient, header: str | None) -> None:
    """No token, another token, a prefix of it or another scheme: 401 with the error envelope
    and WWW-Authenticate: Bearer, and none of the metrics."""
    answer = metrics_client.get("/metrics", headers={"Authorization": header} if header else {})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.json()["error"]["code"] == "invalid_token"
    assert "board_" not in answer.text


def test_metrics_with_the_token_is_prometheus_text(metrics_client: TestClient) -> None:
    """The right token (any case of the scheme) gets the Prometheus text format, which
    prometheus_client's own parser reads, with the board's metrics in it."""
    for scheme in ("Bearer", "bearer"):
        answer = metrics_client.get("/metrics", headers={"Authorization": f"{scheme} {TOKEN}"})
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
        scraped = samples(answer.text)
        assert ("board_websockets_open", frozenset({("role", "viewer")})) in scraped
        assert ("board_note_posts_total", frozenset({("outcome", "created")})) in scraped


def documented() -> set[str]:
    """The metric names docs/metrics.md lists in its table (first column, in backticks)."""
    return set(re.findall(r"^\| `(board_[a-z_]+)` \|", DOCS.read_text("utf-8"), re.M))


def test_every_metric_is_documented_and_every_documented_one_exists(
    metrics_client: TestClient,
) -> None:
    """docs/metrics.md lists exactly the board's metrics: none missing, none gone."""
    answer = metrics_client.get("/metrics", headers=auth(TOKEN))
    families = {
        family.name
        for family in text_string_to_metric_families(answer.text)
        if family.name.startswith("board_")
    }
    # The parser names a counter's family without `_total`; the docs name what a query uses.
    exposed = {
        f"{family}_total" if f"{family}_total" in answer.text else family for family in families
    }
    assert exposed == documented()


def test_a_short_metrics_token_stops_the_command_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A token shorter than 16 characters is a bad setting: one line naming it."""
    monkeypatch.setenv("BOARD_METRICS_TOKEN", "too-short")
    with pytest.raises(click.ClickException) as refused:
        load_settings()
    assert refused.value.message == (
        "bad setting: BOARD_METRICS_TOKEN must be at least 16 characters (or unset)"
    )


def test_note_posts_are_counted_by_outcome(metrics_client: TestClient) -> None:
    """Created, repeated, invalid, denied and not-found posts each count under their outcome;
    only the posts that made or found a note are in the latency histogram."""
    client = metrics_client

    def scrape() -> Samples:
        return samples(client.get("/metrics", headers=auth(TOKEN)).text)

    created = client.post(
        "/api/boards", json={"title": "Innovative anskaffelser"}, headers=auth(ADMIN_TOKEN)
    )
    slug = created.json()["board"]["slug"]
    token = client.post(f"/api/boards/{slug}/participants", json={"name": "Kari"}).json()["token"]
    before = scrape()
    note = {"client_id": uuid.uuid4().hex, "body": "Krav om utslippsfrie byggeplasser"}
    assert (
        client.post(f"/api/boards/{slug}/notes", json=note, headers=auth(token)).status_code == 201
    )
    assert (
        client.post(f"/api/boards/{slug}/notes", json=note, headers=auth(token)).status_code == 200
    )
    assert client.post(f"/api/boards/{slug}/notes", json={}, headers=auth(token)).status_code == 422
    assert client.post(f"/api/boards/{slug}/notes", json=note).status_code == 401
    assert (
        client.post("/api/boards/no-such/notes", json=note, headers=auth(token)).status_code == 404
    )
    after = scrape()
    moved = {
        outcome: value(after, "board_note_posts_total", outcome=outcome)
        - value(before, "board_note_posts_total", outcome=outcome)
        for outcome in metrics.NOTE_OUTCOMES
    }
    assert moved == {
        **dict.fromkeys(metrics.NOTE_OUTCOMES, 0.0),
        "created": 1.0,
        "repeated": 1.0,
        "invalid": 1.0,
        "denied": 1.0,
        "not_found": 1.0,
    }
    count = "board_note_post_seconds_count"
    assert value(after, count) - value(before, count) == 2


class Counted:
    """Stands in for a prometheus_client metric: how often it was called, and with what."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def inc(self, amount: float = 1) -> None:
        self.calls.append(amount)

    def observe(self, amount: float) -> None:
        self.calls.append(amount)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, Counted]:
    stand_ins = {name: Counted() for name in ("frames_sent", "bytes_sent", "live_events")}
    stand_ins["queue_depth"] = Counted()
    for name, stand_in in stand_ins.items():
        monkeypatch.setattr(metrics, name, stand_in)
    hub_module.TALLY.report()  # nothing of an earlier test is handed over here
    for stand_in in stand_ins.values():
        stand_in.calls.clear()
    return stand_ins


async def no_read(_board_id: int, _after: int) -> list[Committed]:
    return []


async def fan_out(viewers: int, events: int) -> tuple[list[bytes], Channel]:
    """`events` committed at once to a board with `viewers` writable sockets; what one got."""
    written: list[list[bytes]] = [[] for _ in range(viewers)]

    def writer(into: list[bytes]) -> Callable[[bytes], bool]:
        def write(frame: bytes) -> bool:
            into.append(frame)
            return True

        return write

    async def never(_text: str) -> None:
        raise AssertionError("every socket is writable: the ASGI send is not used")

    hub = Hub(no_read)
    for into in written:
        client = Client(never, False, 100, write=writer(into))
        client.held = False
        channel = hub.join(1, client)
    channel.start_at(0)
    hub.publish(
        [
            Committed(1, seq, "note.upsert", {"id": seq}, "note.upsert", {"id": seq})
            for seq in range(1, events + 1)
        ]
    )
    assert all(into == written[0] for into in written)
    return written[0], channel


def test_a_fan_out_reports_to_the_metrics_once_not_per_socket(counted: dict[str, Counted]) -> None:
    """Three events to 500 sockets in one fan-out: the frame and byte counters are called once,
    with 500 frames and their bytes; the events counter once with 3; one queue-depth sample."""
    frames, _ = asyncio.run(fan_out(500, 3))
    assert len(frames) == 1  # the three events left as one array frame
    assert counted["frames_sent"].calls == [500]
    assert counted["bytes_sent"].calls == [500 * len(frames[0])]
    assert counted["live_events"].calls == [3]
    assert counted["queue_depth"].calls == [3]  # three messages waited in each queue


def test_frame_bytes_are_what_goes_on_the_wire(counted: dict[str, Counted]) -> None:
    """The bytes counted for a frame are the serialised frame's, header included, as the ASGI
    fallback's estimate (`frame_size`) also says, short or long."""
    for text in ("x" * 10, "y" * 300, "z" * 70_000):
        assert hub_module.frame_size(text) == len(text_frame(text))


# --- real servers ---------------------------------------------------------------------------------


class Listener:
    """A WebSocket that reads everything and counts the frames and their bytes on the wire."""

    def __init__(self, ws: ClientConnection, welcome: str) -> None:
        self.ws = ws
        self.frames = 0
        self.bytes = 0
        self.notes: set[int] = set()
        self.take(welcome)
        self.reader = asyncio.create_task(self.read())

    @classmethod
    async def open(cls, url: str, slug: str, token: str | None = None) -> Listener:
        """Once welcomed: the socket follows the board from then on."""
        ws = await connect(url.replace("http://", "ws://") + f"/ws/boards/{slug}", proxy=None)
        await ws.send(json.dumps({"type": "hello", "since": None, "token": token}))
        welcome = await asyncio.wait_for(ws.recv(), 10)
        assert isinstance(welcome, str) and '"welcome"' in welcome, welcome
        return cls(ws, welcome)

    def take(self, text: str | bytes) -> None:
        assert isinstance(text, str)
        payload = len(text.encode())
        self.frames += 1
        self.bytes += payload + (2 if payload < 126 else 4 if payload < 65536 else 10)
        messages = json.loads(text)
        for message in messages if isinstance(messages, list) else [messages]:
            if message.get("kind") == "note.upsert":
                self.notes.add(message["data"]["id"])

    async def read(self) -> None:
        async for text in self.ws:
            self.take(text)


async def eventually(check: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what}"
        await asyncio.sleep(0.05)


async def small_load(url: str) -> None:
    """A board, a participant, three viewers and the participant's socket; notes created,
    repeated, invalid and over the limit; a bad hello; two snapshot reads. Checks each metric
    against what the clients saw."""
    async with httpx2.AsyncClient(base_url=url, timeout=10) as http:
        answer = await http.post(
            "/api/boards", json={"title": "Innovative anskaffelser"}, headers=auth(ADMIN_TOKEN)
        )
        slug = answer.json()["board"]["slug"]
        token = (await http.post(f"/api/boards/{slug}/participants", json={"name": "Kari"})).json()[
            "token"
        ]
        before = await asyncio.to_thread(scrape, url)
        listeners = [await Listener.open(url, slug) for _ in range(3)]
        listeners.append(await Listener.open(url, slug, token))

        def post(body: dict[str, Any]) -> Any:
            return http.post(f"/api/boards/{slug}/notes", json=body, headers=auth(token))

        first = {"client_id": uuid.uuid4().hex, "body": "Krav om utslippsfrie byggeplasser"}
        second = {"client_id": uuid.uuid4().hex, "body": "Gjenbruk av byggematerialer"}
        ids = {(await post(first)).json()["id"], (await post(second)).json()["id"]}
        assert (await post(first)).status_code == 200  # the third of the burst of 3
        assert (await post({"body": ""})).status_code == 422  # refused before the limit
        assert (
            await post({"client_id": uuid.uuid4().hex, "body": "Enda et notat om innkjøp"})
        ).status_code == 429
        await eventually(lambda: all(ids <= one.notes for one in listeners), "every note live")

        bad = await connect(url.replace("http://", "ws://") + f"/ws/boards/{slug}", proxy=None)
        await bad.send("not a hello")
        await eventually(lambda: bad.close_code is not None, "the bad hello closed")
        assert bad.close_code == 1008
        await bad.close()
        for _ in range(2):
            assert (await http.get(f"/api/boards/{slug}")).status_code == 200

        # Presence goes out a second after the sockets changed: let it, then nothing moves.
        await asyncio.sleep(1.5)
        after = await asyncio.to_thread(scrape, url)
        scraped_text = (await http.get("/metrics", headers=auth(TOKEN))).text
        for one in listeners:
            await one.ws.close()

    assert slug not in scraped_text and token not in scraped_text and TOKEN not in scraped_text
    assert value(after, "board_websockets_open", role="viewer") == 3
    assert value(after, "board_websockets_open", role="participant") == 1
    assert moved(before, after, "board_live_events_total") == 2  # the two new notes
    assert moved(before, after, "board_websocket_frames_total") == sum(
        one.frames for one in listeners
    )
    assert moved(before, after, "board_websocket_sent_bytes_total") == sum(
        one.bytes for one in listeners
    )
    assert moved(before, after, "board_websocket_queue_depth_count") >= 1
    posts = {
        o: moved(before, after, "board_note_posts_total", outcome=o)
        for o in ("created", "repeated", "invalid", "rate_limited")
    }
    assert posts == {"created": 2, "repeated": 1, "invalid": 1, "rate_limited": 1}
    assert moved(before, after, "board_note_post_seconds_count") == 3
    assert moved(before, after, "board_rate_limited_total", kind="notes") == 1
    # The three posts that passed the limit each went through the group commit.
    assert moved(before, after, "board_group_commit_writes_sum") == 3
    assert 1 <= moved(before, after, "board_group_commit_seconds_count") <= 3
    assert moved(before, after, "board_websocket_closes_total", code="1008") == 1
    assert moved(before, after, "board_snapshot_builds_total") == 1
    assert moved(before, after, "board_snapshot_cache_hits_total") == 1
    assert value(after, "board_database_unavailable") == 0


@pytest.mark.slow
def test_a_real_server_counts_what_a_small_load_did(tmp_path: Path) -> None:
    """`board serve` with a metrics token, under a small load: each metric moved by exactly
    what the clients did and saw (frames and bytes as counted on the wire), and no slug or
    token is in the scrape."""
    env = board_env(tmp_path, admin_token=ADMIN_TOKEN, metrics_token=TOKEN, notes_burst="3")
    with serve(env) as server:
        asyncio.run(asyncio.wait_for(small_load(server.url), 60))


def worker_pids(supervisor: int) -> list[int]:
    """The supervisor's workers (not multiprocessing's resource tracker, its child too)."""
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    return [
        int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


async def sockets_on_both_workers(url: str, slug: str) -> tuple[list[ClientConnection], list[int]]:
    """Viewers until each worker holds some (the kernel picks the worker); what the workers'
    own counts are, from /stats (each process counts its own)."""
    sockets: list[ClientConnection] = []
    for _ in range(20):
        for _ in range(10):
            ws = await connect(url.replace("http://", "ws://") + f"/ws/boards/{slug}", proxy=None)
            await ws.send(json.dumps({"type": "hello", "since": None, "token": None}))
            await ws.recv()  # the welcome: it has joined its worker's channel
            sockets.append(ws)
        seen = set()
        for _ in range(30):  # new connections land on either worker
            async with httpx2.AsyncClient(base_url=url, timeout=10) as fresh:
                seen.add((await fresh.get(f"/api/boards/{slug}/stats")).json()["viewers"])
        if len(seen) == 2 and sum(seen) == len(sockets):
            return sockets, sorted(seen)
    raise AssertionError(f"never saw the {len(sockets)} sockets split over both workers")


@pytest.mark.slow
def test_two_workers_are_summed_in_one_scrape_and_a_killed_one_drops_out(
    tmp_path: Path, new_database: Callable[[], str]
) -> None:
    """`board serve --workers 2`: every scrape, whichever worker answers it, counts the sockets
    of both; once a worker is killed (SIGKILL), its sockets no longer count. The multi-process
    directory is gone after the server stops."""
    require("redis-server", REDIS_SERVER.exists(), "install redis-server (apt-get install redis)")
    from test_live_scale import RedisServer

    redis = RedisServer(free_port(), tmp_path / "redis")
    env = board_env(
        tmp_path / "data",
        new_database(),
        admin_token=ADMIN_TOKEN,
        metrics_token=TOKEN,
        redis_url=f"redis://127.0.0.1:{redis.port}/0",
        **NO_LIMITS,
    )
    redis.start()
    try:
        with serve(env, "--workers", "2") as server:
            directory = asyncio.run(
                asyncio.wait_for(two_workers(server.url, server.process.pid), 90)
            )
            assert directory.is_dir()
    finally:
        redis.stop()
    assert not directory.exists(), "board serve left its multi-process directory behind"


def multiproc_dir(pid: int) -> Path:
    """The PROMETHEUS_MULTIPROC_DIR a process runs with."""
    for part in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
        name, _, setting = part.partition(b"=")
        if name == b"PROMETHEUS_MULTIPROC_DIR":
            return Path(setting.decode())
    raise AssertionError(f"process {pid} has no PROMETHEUS_MULTIPROC_DIR")


async def two_workers(url: str, supervisor: int) -> Path:
    async with httpx2.AsyncClient(base_url=url, timeout=10) as http:
        answer = await http.post(
            "/api/boards", json={"title": "Innovative anskaffelser"}, headers=auth(ADMIN_TOKEN)
        )
        slug = answer.json()["board"]["slug"]
    sockets, split = await sockets_on_both_workers(url, slug)
    for _ in range(10):  # either worker answers; each must count both
        scraped = await asyncio.to_thread(scrape, url)
        assert value(scraped, "board_websockets_open", role="viewer") == len(sockets), split
    workers = worker_pids(supervisor)
    assert len(workers) == 2, workers
    directory = multiproc_dir(workers[0])
    assert directory == multiproc_dir(workers[1])
    victim = workers[0]
    os.kill(victim, signal.SIGKILL)
    survivors = 0
    for ws in sockets:
        # A socket of the killed worker fails its ping, whatever the client makes of it.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(await ws.ping(), 2)
            survivors += 1
    assert survivors in split, (survivors, split)
    deadline = time.monotonic() + 15
    while True:
        try:
            scraped = await asyncio.to_thread(scrape, url)
            if value(scraped, "board_websockets_open", role="viewer") == survivors:
                break
        except httpx2.TransportError:
            pass  # the scrape went to the dying worker's connection
        assert time.monotonic() < deadline, "the killed worker's sockets still counted"
        await asyncio.sleep(0.2)
    for ws in sockets:
        await ws.close()
    return directory
