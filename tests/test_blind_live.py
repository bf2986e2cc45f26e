"""A blind round over real sockets (#18): real `board serve` processes, real WebSocket clients.

No participant receives another's held note before the reveal (not in any frame, not in the
snapshot, not in a replay from the channel's memory or from the log), its author and the
moderators do, and after the reveal every participant has all of them through the snapshot the
`board.reveal` event sends them to. With two processes over Redis the same holds in each: the
rule travels with the event (`private_to`), nothing is looked up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest
from conftest import ADMIN_TOKEN, auth, require
from servers import NO_LIMITS, Server, board_env, free_port, serve
from test_live_scale import REDIS_SERVER, RedisServer
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

pytestmark = pytest.mark.slow

TIMEOUT = 15.0
POLL = 0.05
SECRET = "HEMMELIG"  # in every held note's text, and in no other text


async def until(check: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        await asyncio.sleep(POLL)


@dataclass
class Reader:
    """One live socket: every frame as it came (to search), and its messages."""

    name: str
    ws: ClientConnection
    frames: list[str] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls, name: str, url: str, slug: str, token: str | None, since: int | None
    ) -> Reader:
        ws = await connect(
            url.replace("http://", "ws://") + f"/ws/boards/{slug}",
            proxy=None,
            open_timeout=TIMEOUT,
            close_timeout=2,
            max_size=2**24,
        )
        await ws.send(json.dumps({"type": "hello", "since": since, "token": token}))
        reader = cls(name, ws)
        reader.task = asyncio.create_task(reader.read())
        await until(lambda: bool(reader.messages), f"{name}'s welcome")
        assert reader.messages[0]["type"] == "welcome", reader.messages[0]
        return reader

    async def read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for text in self.ws:
                assert isinstance(text, str)
                self.frames.append(text)
                decoded = json.loads(text)
                self.messages += decoded if isinstance(decoded, list) else [decoded]

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("kind") == kind]

    def note_ids(self) -> set[int]:
        return {e["data"]["id"] for e in self.events("note.upsert")}

    def saw_secret(self) -> bool:
        return any(SECRET in frame for frame in self.frames)

    async def close(self) -> None:
        await self.ws.close()
        if self.task is not None:
            await asyncio.wait_for(self.task, 5)


class Board:
    """A board on a server, driven over HTTP: its moderator key, participants, notes."""

    def __init__(self, http: httpx2.AsyncClient, slug: str, key: str) -> None:
        self.http, self.slug, self.key = http, slug, key

    @classmethod
    async def create(cls, http: httpx2.AsyncClient) -> Board:
        made = await http.post(
            "/api/boards", json={"title": "Blind runde"}, headers=auth(ADMIN_TOKEN)
        )
        assert made.status_code == 201, made.text
        return cls(http, made.json()["board"]["slug"], made.json()["moderator_key"])

    async def join(self, name: str) -> str:
        joined = await self.http.post(f"/api/boards/{self.slug}/participants", json={"name": name})
        assert joined.status_code == 201, joined.text
        return str(joined.json()["token"])

    async def reveal(self, mode: str, http: httpx2.AsyncClient | None = None) -> None:
        changed = await (http or self.http).patch(
            f"/api/boards/{self.slug}", json={"reveal": mode}, headers=auth(self.key)
        )
        assert changed.status_code == 200, changed.text

    async def post(
        self, token: str, body: str, http: httpx2.AsyncClient | None = None
    ) -> dict[str, Any]:
        posted = await (http or self.http).post(
            f"/api/boards/{self.slug}/notes",
            json={"client_id": uuid.uuid4().hex, "body": body, "sdgs": [12]},
            headers=auth(token),
        )
        assert posted.status_code == 201, posted.text
        return dict(posted.json())

    async def snapshot(
        self, token: str | None = None, http: httpx2.AsyncClient | None = None
    ) -> dict[str, Any]:
        got = await (http or self.http).get(f"/api/boards/{self.slug}", headers=auth(token))
        assert got.status_code == 200, got.text
        return dict(got.json())

    async def seq(self) -> int:
        return int((await self.snapshot())["seq"])


def snapshot_ids(snapshot: dict[str, Any]) -> set[int]:
    return {note["id"] for note in snapshot["notes"]}


async def fetch_after_reveal(
    board: Board, reader: Reader, token: str | None, http: httpx2.AsyncClient | None = None
) -> set[int]:
    """What a page does on `board.reveal`: fetch the snapshot (again, until it is at least as
    new as the event), and hold its notes."""
    await until(lambda: bool(reader.events("board.reveal")), f"{reader.name} got board.reveal")
    revealed_at = reader.events("board.reveal")[-1]["seq"]
    for _ in range(20):
        snapshot = await board.snapshot(token, http)
        if snapshot["seq"] >= revealed_at:
            return snapshot_ids(snapshot)
        await asyncio.sleep(0.25)
    raise AssertionError(f"{reader.name}: no snapshot as new as the reveal")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = board_env(tmp_path_factory.mktemp("blind"), admin_token=ADMIN_TOKEN, **NO_LIMITS)
    with serve(env) as running:
        yield running


def test_before_the_reveal_only_the_author_and_moderators_have_a_held_note_after_it_everyone(
    server: Server,
) -> None:
    """Kari's held notes (with a like and a moderator's comment) reach her two sockets and the
    moderator's, not Ola's or a viewer's: not live, not in a replay from memory (a viewer a
    little behind) or from the log (Ola resuming; a viewer from 0), not in the snapshot or
    Ola's GET …/events. After the reveal every socket gets `board.reveal`, and the snapshot it
    points to holds every note for everyone."""

    async def scene() -> None:
        async with httpx2.AsyncClient(base_url=server.url, timeout=TIMEOUT) as http:
            board = await Board.create(http)
            kari, ola = await board.join("Kari"), await board.join("Ola")
            await board.reveal("blind")
            start = await board.seq()
            url, slug = server.url, board.slug
            live = [
                await Reader.open("moderator", url, slug, board.key, start),
                await Reader.open("kari", url, slug, kari, start),
                await Reader.open("kari's phone", url, slug, kari, start),
                await Reader.open("ola", url, slug, ola, start),
                await Reader.open("viewer", url, slug, None, start),
            ]
            moderator, kari_a, kari_b, ola_live, viewer = live
            held = [await board.post(kari, f"{SECRET} idé {n}") for n in range(3)]
            held_ids = {n["id"] for n in held}
            note_url = f"/api/boards/{slug}/notes/{held[0]['id']}"
            liked = await http.put(f"{note_url}/like", headers=auth(kari))
            commented = await http.post(
                f"{note_url}/comments", json={"body": f"{SECRET} svar"}, headers=auth(board.key)
            )
            assert (liked.status_code, commented.status_code) == (200, 201)
            for reader in (moderator, kari_a, kari_b):
                await until(lambda r=reader: r.note_ids() == held_ids, f"{reader.name}: notes")
                await until(lambda r=reader: bool(r.events("comment.upsert")), "comment")
            for reader in (ola_live, viewer):
                await until(
                    lambda r=reader: (
                        [e["data"]["held"] for e in r.events("board.held")] == [1, 2, 3]
                    ),
                    f"{reader.name}: the counts",
                )
            resumed = [
                await Reader.open("viewer from memory", url, slug, None, start),
                await Reader.open("viewer from the log", url, slug, None, 0),
                await Reader.open("ola from the log", url, slug, ola, start),
            ]
            kari_resumed = await Reader.open("kari from the log", url, slug, kari, start)
            now = await board.seq()
            for reader in [*resumed, kari_resumed]:
                await until(
                    lambda r=reader: any(m.get("seq") == now for m in r.messages),
                    f"{reader.name}: replayed up to now",
                )
            assert kari_resumed.note_ids() == held_ids and kari_resumed.saw_secret()
            outsiders = [ola_live, viewer, *resumed]
            assert [r.name for r in outsiders if r.saw_secret() or r.note_ids()] == []
            for token in (None, ola):
                shared = await board.snapshot(token)
                assert (snapshot_ids(shared), shared["held"]) == (set(), 3)
                assert SECRET not in json.dumps(shared)
            events = await http.get(f"/api/boards/{slug}/events?since=0", headers=auth(ola))
            assert SECRET not in events.text

            await board.reveal("instant")
            everyone = [*live, *resumed, kari_resumed]
            tokens = {"moderator": board.key, "kari": kari, "ola": ola}
            for reader in everyone:
                token = tokens.get(reader.name.split()[0])
                assert await fetch_after_reveal(board, reader, token) >= held_ids, reader.name
            # One event for the round, not one per note: nobody got the notes as frames.
            assert [r.name for r in outsiders if r.note_ids()] == []
            for reader in everyone:
                await reader.close()

    asyncio.run(asyncio.wait_for(scene(), 120))


def test_a_participant_resuming_across_the_reveal_gets_it_and_a_new_round_starts_blind(
    server: Server,
) -> None:
    """Ola's socket closes during a round; the round is revealed; Ola resumes from where she
    was and the replay holds `board.reveal` (no held text). Blind again: a new round, whose
    note does not reach Ola, while the first round's stay in the snapshot."""

    async def scene() -> None:
        async with httpx2.AsyncClient(base_url=server.url, timeout=TIMEOUT) as http:
            board = await Board.create(http)
            kari, ola = await board.join("Kari"), await board.join("Ola")
            await board.reveal("blind")
            url, slug = server.url, board.slug
            ola_first = await Reader.open("ola", url, slug, ola, await board.seq())
            left_at = await board.seq()
            await ola_first.close()
            first = await board.post(kari, f"{SECRET} første runde")
            await board.reveal("instant")
            ola_back = await Reader.open("ola back", url, slug, ola, left_at)
            await until(lambda: bool(ola_back.events("board.reveal")), "the reveal in the replay")
            assert not ola_back.saw_secret()
            assert await fetch_after_reveal(board, ola_back, None) == {first["id"]}

            await board.reveal("blind")
            second = await board.post(kari, f"{SECRET} andre runde")
            await until(
                lambda: [e["data"]["held"] for e in ola_back.events("board.held")][-1:] == [1],
                "the new round's count",
            )
            assert ola_back.note_ids() == set() and not ola_back.saw_secret()
            shared = await board.snapshot(ola)
            assert (snapshot_ids(shared), shared["held"]) == ({first["id"]}, 1)
            assert second["held"] is True
            await ola_back.close()

    asyncio.run(asyncio.wait_for(scene(), 60))


def test_in_every_process_the_rule_comes_with_the_event(
    tmp_path: Path, new_database: Callable[[], str]
) -> None:
    """Two processes on PostgreSQL and Redis. Kari posts through A: her socket on B gets the
    held note, as do the moderator's on B; Ola and a viewer on B do not, nor a viewer resuming
    from A's memory or Ola resuming on B from the log. Revealed through B: every socket in both
    processes gets `board.reveal`, and the snapshot of either process holds the notes."""
    require("redis-server", REDIS_SERVER.exists(), "install redis-server (apt-get install redis)")
    database_url = new_database()
    redis = RedisServer(free_port(), tmp_path / "redis")
    redis_url = f"redis://127.0.0.1:{redis.port}/0"
    env_a, env_b = (
        board_env(
            tmp_path / name, database_url, admin_token=ADMIN_TOKEN, redis_url=redis_url, **NO_LIMITS
        )
        for name in ("a", "b")
    )

    async def scene(a: Server, b: Server) -> None:
        async with (
            httpx2.AsyncClient(base_url=a.url, timeout=TIMEOUT) as http_a,
            httpx2.AsyncClient(base_url=b.url, timeout=TIMEOUT) as http_b,
        ):
            board = await Board.create(http_a)
            kari, ola = await board.join("Kari"), await board.join("Ola")
            await board.reveal("blind")
            start, slug = await board.seq(), board.slug
            on_a = [await Reader.open("kari on A", a.url, slug, kari, start)]
            on_b = [
                await Reader.open("kari on B", b.url, slug, kari, start),
                await Reader.open("moderator on B", b.url, slug, board.key, start),
                await Reader.open("ola on B", b.url, slug, ola, start),
                await Reader.open("viewer on B", b.url, slug, None, start),
            ]
            kari_b, moderator_b, ola_b, viewer_b = on_b
            held = {(await board.post(kari, f"{SECRET} via A {n}", http_a))["id"] for n in range(2)}
            for reader in (on_a[0], kari_b, moderator_b):
                await until(lambda r=reader: r.note_ids() == held, f"{reader.name}: the notes")
            for reader in (ola_b, viewer_b):
                await until(lambda r=reader: len(r.events("board.held")) == 2, reader.name)
            resumed = [
                await Reader.open("viewer resuming on A", a.url, slug, None, start),
                await Reader.open("ola resuming on B", b.url, slug, ola, start),
            ]
            now = await board.seq()
            for reader in resumed:
                await until(lambda r=reader: any(m.get("seq") == now for m in r.messages), "replay")
            outsiders = [ola_b, viewer_b, *resumed]
            assert [r.name for r in outsiders if r.saw_secret() or r.note_ids()] == []

            await board.reveal("instant", http_b)
            for reader in [*on_a, *on_b, *resumed]:
                http = http_a if reader.name.endswith("A") else http_b
                assert await fetch_after_reveal(board, reader, None, http) == held, reader.name
            for reader in [*on_a, *on_b, *resumed]:
                await reader.close()

    redis.start()
    try:
        with serve(env_a) as server_a, serve(env_b) as server_b:
            asyncio.run(asyncio.wait_for(scene(server_a, server_b), 120))
    finally:
        redis.stop()
