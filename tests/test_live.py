"""The board WebSocket against a real `board serve`: hello, roles, replay, filtering, limits.

Writes go over real HTTP, reads over real WebSocket clients. Every wait is bounded, so a hang
fails the test instead of blocking the run. Frames may carry one message object or a JSON array
of them (docs/websocket.md: framing); `unpack` flattens both.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from conftest import ADMIN_TOKEN, auth
from servers import NO_LIMITS, Server, board_env, serve
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

pytestmark = pytest.mark.slow

WAIT = 5.0  # seconds any single expected message may take
TEST_LIMIT = 60.0  # seconds a whole test scenario may take
HTTP_TIMEOUT = 10.0
QUIET = 0.5  # seconds to listen for anything extra (a duplicate, a leak)
POLICY, TOO_BIG = 1008, 1009
MAX_MESSAGE = 4096
LISTED_ORIGIN = "https://pinboard.example"


# --- servers -----------------------------------------------------------------------------------


@dataclass
class Watched:
    """A running server, and where its output stood when the test began."""

    server: Server
    out_mark: int = 0
    err_mark: int = 0

    def __post_init__(self) -> None:
        self.out_mark = len(self.server.stdout())
        self.err_mark = len(self.server.stderr())

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    def new_output(self) -> str:
        return self.server.stdout()[self.out_mark :] + self.server.stderr()[self.err_mark :]

    def assert_clean(self) -> None:
        """No traceback and no server error since the test began."""
        output = self.new_output()
        for sign in ("Traceback", "Exception in ASGI application", "internal_error"):
            assert sign not in output, f"{sign!r} in the server output:\n{output[-5000:]}"


@pytest.fixture(scope="module")
def default_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One `board serve` with default live settings, shared by the module (own board per test).

    The rate limits are off: these tests post notes in bursts from one token and open many
    sockets from one address (the limits are tested in test_safety_live.py)."""
    env = board_env(tmp_path_factory.mktemp("live") / "data", admin_token=ADMIN_TOKEN, **NO_LIMITS)
    with serve(env) as server:
        yield server


@pytest.fixture
def server(default_server: Server) -> Watched:
    return Watched(default_server)


@pytest.fixture(scope="module")
def listed_origin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with BOARD_ALLOWED_ORIGINS set."""
    env = board_env(
        tmp_path_factory.mktemp("origins") / "data",
        admin_token=ADMIN_TOKEN,
        allowed_origins=LISTED_ORIGIN,
    )
    with serve(env) as server:
        yield server


def run(scenario: Coroutine[Any, Any, Any]) -> Any:
    """Run one test's asyncio scenario with an overall deadline."""
    return asyncio.run(asyncio.wait_for(scenario, TEST_LIMIT))


# --- clients -----------------------------------------------------------------------------------


def unpack(text: str) -> list[dict[str, Any]]:
    """One frame: a message object or an array of message objects, in order."""
    decoded = json.loads(text)
    messages = decoded if isinstance(decoded, list) else [decoded]
    assert all(isinstance(m, dict) and "type" in m for m in messages), text
    return messages


class Live:
    """One WebSocket: every raw frame and every message received, and a cursor of unread ones."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[str] = []
        self.messages: list[dict[str, Any]] = []
        self.unread: deque[dict[str, Any]] = deque()

    async def _read_frame(self, timeout: float) -> None:
        frame = await asyncio.wait_for(self.ws.recv(), max(timeout, 0.001))
        assert isinstance(frame, str), f"a binary frame from the server: {frame!r}"
        self.frames.append(frame)
        messages = unpack(frame)
        self.messages += messages
        self.unread += messages

    async def next(self, timeout: float = WAIT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while not self.unread:
            await self._read_frame(deadline - time.monotonic())
        return self.unread.popleft()

    async def until(
        self, match: Callable[[dict[str, Any]], bool], what: str, timeout: float = WAIT
    ) -> dict[str, Any]:
        """Read on until a message matches; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                message = await self.next(deadline - time.monotonic())
            except TimeoutError:
                raise AssertionError(
                    f"{what}: not within {timeout} s; last messages: {self.messages[-10:]}"
                ) from None
            if match(message):
                return message

    async def listen(self, seconds: float = QUIET) -> list[dict[str, Any]]:
        """The unread messages plus everything that arrives within `seconds`."""
        deadline = time.monotonic() + seconds
        with contextlib.suppress(TimeoutError):
            while (left := deadline - time.monotonic()) > 0:
                await self._read_frame(left)
        got = list(self.unread)
        self.unread.clear()
        return got

    async def events_until_seq(self, seq: int, timeout: float = WAIT) -> list[dict[str, Any]]:
        """Every event up to and including `seq` (and anything else read meanwhile, in order)."""
        events: list[dict[str, Any]] = []
        await self.until(
            lambda m: m["type"] == "event" and (events.append(m) or m["seq"] >= seq),
            f"event seq {seq}",
            timeout,
        )
        return events

    async def closed(self, timeout: float = WAIT) -> int | None:
        """Read until the server closes the connection; its close code."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                await self._read_frame(deadline - time.monotonic())
        except ConnectionClosed:
            return self.ws.close_code
        except TimeoutError:
            raise AssertionError(
                f"the server did not close within {timeout} s; got {self.messages}"
            ) from None

    def raw(self) -> str:
        return "\n".join(self.frames)


class Clients:
    """A test's HTTP client and WebSockets; all closed when the scenario ends."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.ws_base = base_url.replace("http://", "ws://", 1)
        self.http = httpx2.AsyncClient(base_url=base_url, timeout=HTTP_TIMEOUT)
        self.sockets: list[Live] = []

    async def __aenter__(self) -> Clients:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for live in self.sockets:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(live.ws.close(), 3)
        await self.http.aclose()

    # WebSocket

    async def connect(
        self, slug: str, origin: str | None = None, max_size: int | None = 2**22
    ) -> Live:
        ws = await connect(
            f"{self.ws_base}/ws/boards/{slug}",
            origin=Origin(origin) if origin is not None else None,
            proxy=None,
            open_timeout=WAIT,
            close_timeout=2,
            max_size=max_size,
        )
        live = Live(ws)
        self.sockets.append(live)
        return live

    async def join_live(
        self, slug: str, since: int | None = None, token: str | None = None
    ) -> tuple[Live, dict[str, Any]]:
        """Connect, send the hello and return the socket with its welcome."""
        live = await self.connect(slug)
        await live.ws.send(hello(since, token))
        welcome = await live.next()
        assert welcome["type"] == "welcome", welcome
        return live, welcome

    # HTTP

    async def create_board(self, **fields: Any) -> tuple[str, str]:
        """A new board; (slug, moderator key)."""
        fields.setdefault("title", "Innovative anskaffelser")
        response = await self.http.post("/api/boards", json=fields, headers=auth(ADMIN_TOKEN))
        assert response.status_code == 201, response.text
        body = response.json()
        return str(body["board"]["slug"]), str(body["moderator_key"])

    async def join(self, slug: str, name: str = "Kari") -> str:
        """A new participant's token."""
        response = await self.http.post(f"/api/boards/{slug}/participants", json={"name": name})
        assert response.status_code == 201, response.text
        return str(response.json()["token"])

    async def post(self, slug: str, token: str, body: str, **fields: Any) -> dict[str, Any]:
        response = await self.http.post(
            f"/api/boards/{slug}/notes",
            json={"client_id": uuid.uuid4().hex, "body": body, "sdgs": [12, 13], **fields},
            headers=auth(token),
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def patch(self, slug: str, note_id: int, token: str, **fields: Any) -> dict[str, Any]:
        response = await self.http.patch(
            f"/api/boards/{slug}/notes/{note_id}", json=fields, headers=auth(token)
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def seq(self, slug: str) -> int:
        response = await self.http.get(f"/api/boards/{slug}")
        assert response.status_code == 200, response.text
        return int(response.json()["seq"])

    async def events(self, slug: str, since: int, token: str | None = None) -> list[Any]:
        response = await self.http.get(
            f"/api/boards/{slug}/events", params={"since": since}, headers=auth(token)
        )
        assert response.status_code == 200, response.text
        page = response.json()
        assert not page.get("more"), page
        return list(page["events"])

    async def viewers(self, slug: str) -> int:
        response = await self.http.get(f"/api/boards/{slug}/stats")
        assert response.status_code == 200, response.text
        return int(response.json()["viewers"])

    async def until_viewers(self, slug: str, count: int, timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while (now := await self.viewers(slug)) != count:
            assert time.monotonic() < deadline, f"stats says {now} viewers, expected {count}"
            await asyncio.sleep(0.05)


def without_presence(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Presence comes and goes with other sockets; leave it out where it is not the point."""
    return [m for m in messages if m["type"] != "presence"]


def hello(since: int | None = None, token: str | None = None) -> str:
    return json.dumps({"type": "hello", "since": since, "token": token})


def note_events(events: list[dict[str, Any]]) -> list[tuple[int, str, int]]:
    """(seq, kind, note id) of each event."""
    return [(e["seq"], e["kind"], e["data"]["id"]) for e in events]


def secret(label: str) -> str:
    """A note body that cannot appear in a frame by accident."""
    return f"{label} {uuid.uuid4().hex}"


# --- hello and welcome -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["viewer", "participant", "moderator", "admin"])
def test_welcome_reports_the_board_seq_and_the_role(server: Watched, who: str) -> None:
    """The welcome carries the board's current seq and the role the hello's token grants."""

    async def scenario() -> tuple[dict[str, Any], int]:
        async with Clients(server.url) as c:
            slug, key = await c.create_board()
            token = await c.join(slug)
            await c.post(slug, token, "Utslippsfrie byggeplasser")
            given = {"viewer": None, "participant": token, "moderator": key}
            _, welcome = await c.join_live(slug, token=given.get(who, ADMIN_TOKEN))
            return welcome, await c.seq(slug)

    welcome, seq = run(scenario())
    expected_role = "moderator" if who == "admin" else who
    assert welcome == {"type": "welcome", "seq": seq, "role": expected_role}
    server.assert_clean()


@pytest.mark.parametrize("token", ["not-a-token", "other-board"])
def test_invalid_token_is_closed_with_1008(server: Watched, token: str) -> None:
    """A hello with a token that is not valid for this board is closed with 1008, no welcome."""

    async def scenario() -> Live:
        async with Clients(server.url) as c:
            slug, _ = await c.create_board()
            given = token
            if token == "other-board":
                other, _ = await c.create_board()
                given = await c.join(other)
            live = await c.connect(slug)
            await live.ws.send(hello(None, given))
            await live.closed()
            return live

    live = run(scenario())
    assert live.ws.close_code == POLICY, (live.ws.close_code, live.messages)
    assert live.messages == []
    server.assert_clean()


# --- live events and resume --------------------------------------------------------------------


def test_note_posted_over_http_arrives_live_with_the_next_seq(server: Watched) -> None:
    """A note posted over HTTP arrives as `note.upsert` with the seq after the welcome's."""

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        async with Clients(server.url) as c:
            slug, _ = await c.create_board()
            token = await c.join(slug)
            live, welcome = await c.join_live(slug)
            note = await c.post(slug, token, "Krav om utslippsfrie byggeplasser")
            event = await live.until(lambda m: m["type"] == "event", "the note event")
            return welcome, note, event

    welcome, note, event = run(scenario())
    assert event["kind"] == "note.upsert"
    assert event["seq"] == welcome["seq"] + 1
    assert event["data"]["id"] == note["id"]
    assert event["data"]["body"] == "Krav om utslippsfrie byggeplasser"
    server.assert_clean()


def test_targets_and_a_change_of_them_arrive_live(server: Watched) -> None:
    """A note's targets reach live viewers in its note.upsert, and so does a moderator's edit."""

    async def scenario() -> list[dict[str, Any]]:
        async with Clients(server.url) as c:
            slug, key = await c.create_board()
            token = await c.join(slug)
            live, welcome = await c.join_live(slug)
            note = await c.post(slug, token, "Bærekraftige anskaffelser", targets=["12.7"])
            await c.patch(slug, note["id"], key, targets=["12.a", "12.7"])
            return await live.events_until_seq(welcome["seq"] + 2)

    events = run(scenario())
    assert [(e["kind"], e["data"]["targets"]) for e in events] == [
        ("note.upsert", ["12.7"]),
        ("note.upsert", ["12.7", "12.a"]),
    ]
    assert events[0]["data"]["sdgs"] == [12, 13]
    server.assert_clean()


@pytest.mark.parametrize("who", ["viewer", "moderator"])
def test_resume_replays_exactly_the_missed_events_then_goes_live(server: Watched, who: str) -> None:
    """Reconnecting with `since` replays exactly the missed events in order, then live ones."""

    async def scenario() -> dict[str, Any]:
        async with Clients(server.url) as c:
            slug, key = await c.create_board()
            token = await c.join(slug)
            ws_token = key if who == "moderator" else None
            first, _ = await c.join_live(slug, token=ws_token)
            seen = await c.post(slug, token, "Sett før frakobling")
            last = await first.until(lambda m: m["type"] == "event", "the first note")
            assert last["data"]["id"] == seen["id"]
            since = last["seq"]
            await first.ws.close()

            missed = [(await c.post(slug, token, f"Mens frakoblet {n}"))["id"] for n in range(3)]
            await c.patch(slug, missed[1], key, status="hidden")
            truth = await c.events(slug, since, ws_token)

            again, welcome = await c.join_live(slug, since=since, token=ws_token)
            replay = await again.events_until_seq(since + 4)
            after_replay = await again.listen()
            live_note = await c.post(slug, token, "Direkte etter gjenoppkobling")
            live_event = await again.until(lambda m: m["type"] == "event", "the live note")
            extra = await again.listen()
            return {
                "since": since,
                "welcome": welcome,
                "missed": missed,
                "truth": truth,
                "replay": replay,
                "after_replay": after_replay,
                "live_note": live_note,
                "live_event": live_event,
                "extra": extra,
                "all": again.messages,
            }

    r = run(scenario())
    since, (one, two, three) = r["since"], r["missed"]
    assert r["welcome"]["seq"] == since + 4
    hidden_kind = "note.upsert" if who == "moderator" else "note.remove"
    assert note_events(r["replay"]) == [
        (since + 1, "note.upsert", one),
        (since + 2, "note.upsert", two),
        (since + 3, "note.upsert", three),
        (since + 4, hidden_kind, two),
    ]
    assert r["replay"] == r["truth"], "the replay differs from GET /events"
    assert without_presence(r["after_replay"]) == [], (
        "something after the replay before any new write"
    )
    assert (r["live_event"]["seq"], r["live_event"]["data"]["id"]) == (
        since + 5,
        r["live_note"]["id"],
    )
    assert without_presence(r["extra"]) == [], "something after the live note"
    seqs = [m["seq"] for m in r["all"] if m["type"] == "event"]
    assert seqs == list(range(since + 1, since + 6)), seqs
    assert not [m for m in r["all"] if m["type"] == "reset"]
    server.assert_clean()


def test_since_ahead_of_the_board_gets_reset(server: Watched) -> None:
    """A `since` beyond the board's seq gets welcome, then `reset`, then live events."""

    async def scenario() -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any], int]:
        async with Clients(server.url) as c:
            slug, _ = await c.create_board()
            token = await c.join(slug)
            seq = await c.seq(slug)
            live, welcome = await c.join_live(slug, since=seq + 100)
            first = await live.listen()
            note = await c.post(slug, token, "Etter reset")
            event = await live.until(lambda m: m["type"] == "event", "the live note")
            assert event["data"]["id"] == note["id"]
            return welcome, first, event, seq

    welcome, first, event, seq = run(scenario())
    assert welcome["seq"] == seq
    assert without_presence(first) == [{"type": "reset"}]
    assert event["seq"] == seq + 1
    server.assert_clean()


# --- role filtering ----------------------------------------------------------------------------


def test_pending_notes_reach_only_moderators_live(server: Watched) -> None:
    """Pre-moderated: pending text reaches only moderators; approval and hiding reach viewers."""

    async def scenario() -> dict[str, Any]:
        async with Clients(server.url) as c:
            slug, key = await c.create_board(moderation="pre")
            author = await c.join(slug, "Ola")
            reader_token = await c.join(slug, "Kari")
            moderator, _ = await c.join_live(slug, token=key)
            viewer, _ = await c.join_live(slug)
            participant, p_welcome = await c.join_live(slug, token=reader_token)
            assert p_welcome["role"] == "participant"

            approved_text, pending_text = secret("Godkjennes"), secret("Venter")
            approved = await c.post(slug, author, approved_text)
            waiting = await c.post(slug, author, pending_text)
            assert approved["status"] == waiting["status"] == "pending"
            posted_seq = await c.seq(slug)
            upserts = {
                m["data"]["id"]: m
                for m in await moderator.events_until_seq(posted_seq)
                if m["kind"] == "note.upsert"
            }
            assert posted_seq == upserts[waiting["id"]]["seq"]

            await c.patch(slug, approved["id"], key, status="visible")
            shown = {}
            before_approval = {}
            for name, live in (("viewer", viewer), ("participant", participant)):
                shown[name] = await live.until(lambda m: m["type"] == "event", "the approval")
                before_approval[name] = "\n".join(live.frames[:-1])

            await c.patch(slug, approved["id"], key, status="hidden")
            removed = {
                name: await live.until(lambda m: m["type"] == "event", "the removal")
                for name, live in (("viewer", viewer), ("participant", participant))
            }
            removal_frames = {"viewer": viewer.frames[-1], "participant": participant.frames[-1]}
            await asyncio.sleep(QUIET)
            for live in (viewer, participant):
                await live.listen(0.1)
            return {
                "approved": approved,
                "waiting": waiting,
                "approved_text": approved_text,
                "pending_text": pending_text,
                "moderator_upserts": upserts,
                "shown": shown,
                "before_approval": before_approval,
                "removed": removed,
                "removal_frames": removal_frames,
                "raw": {"viewer": viewer.raw(), "participant": participant.raw()},
            }

    r = run(scenario())
    approved_id, waiting_id = r["approved"]["id"], r["waiting"]["id"]
    upserts = r["moderator_upserts"]
    assert upserts[approved_id]["data"]["body"] == r["approved_text"]
    assert upserts[waiting_id]["data"]["body"] == r["pending_text"]
    assert upserts[waiting_id]["data"]["status"] == "pending"
    for name in ("viewer", "participant"):
        assert r["pending_text"] not in r["raw"][name], f"pending text leaked to the {name}"
        assert r["approved_text"] not in r["before_approval"][name], (
            f"the {name} saw the note before it was approved"
        )
        shown = r["shown"][name]
        assert (shown["kind"], shown["data"]["id"]) == ("note.upsert", approved_id)
        assert shown["data"]["status"] == "visible"
        assert shown["data"]["body"] == r["approved_text"]
        removed = r["removed"][name]
        assert removed["kind"] == "note.remove"
        assert removed["data"] == {"id": approved_id}
        assert removed["seq"] > shown["seq"]
        assert r["approved_text"] not in r["removal_frames"][name]
    server.assert_clean()


def test_replay_on_a_pre_moderated_board_is_role_filtered(server: Watched) -> None:
    """A viewer's replay leaves out pending notes and shows a hidden one only as a removal."""

    async def scenario() -> tuple[Live, Live, dict[str, int], dict[str, str], int]:
        async with Clients(server.url) as c:
            slug, key = await c.create_board(moderation="pre")
            author = await c.join(slug)
            since = await c.seq(slug)
            texts = {name: secret(name) for name in ("pending", "approved", "hidden")}
            ids = {name: (await c.post(slug, author, text))["id"] for name, text in texts.items()}
            await c.patch(slug, ids["approved"], key, status="visible")
            await c.patch(slug, ids["hidden"], key, status="visible")
            await c.patch(slug, ids["hidden"], key, status="hidden")
            now = await c.seq(slug)
            viewer, _ = await c.join_live(slug, since=since)
            await viewer.events_until_seq(now)
            await viewer.listen()
            moderator, _ = await c.join_live(slug, since=since, token=key)
            await moderator.events_until_seq(now)
            await moderator.listen()
            return viewer, moderator, ids, texts, since

    viewer, moderator, ids, texts, since = run(scenario())
    assert texts["pending"] not in viewer.raw()
    assert note_events([m for m in viewer.messages if m["type"] == "event"]) == [
        (since + 4, "note.upsert", ids["approved"]),
        (since + 5, "note.upsert", ids["hidden"]),
        (since + 6, "note.remove", ids["hidden"]),
    ]
    moderator_seqs = [m["seq"] for m in moderator.messages if m["type"] == "event"]
    assert moderator_seqs == list(range(since + 1, since + 7))
    assert all(text in moderator.raw() for text in texts.values())
    server.assert_clean()


# --- origin ------------------------------------------------------------------------------------


async def try_origin(base_url: str, origin: str | None) -> tuple[Live, int | None]:
    """Connect with this Origin and say hello: (socket, close code or None when welcomed)."""
    async with Clients(base_url) as c:
        slug, _ = await c.create_board()
        live = await c.connect(slug, origin=origin)
        with contextlib.suppress(ConnectionClosed):
            await live.ws.send(hello())
        try:
            first = await live.next()
        except ConnectionClosed:
            return live, live.ws.close_code
        assert first["type"] == "welcome", first
        return live, None


@pytest.mark.parametrize(
    ("origin", "refused"),
    [
        (None, False),
        ("same", False),
        ("http://evil.example", True),
        ("null", True),
        ("http://127.0.0.1.evil.example", True),
    ],
)
def test_default_origin_check_allows_only_the_same_origin(
    server: Watched, origin: str | None, refused: bool
) -> None:
    """Default settings: no Origin or the page's own origin works; any other gets 1008."""
    sent = f"http://127.0.0.1:{server.port}" if origin == "same" else origin
    live, code = run(try_origin(server.url, sent))
    if refused:
        assert code == POLICY, (code, live.messages)
        assert live.messages == []
    else:
        assert code is None, (code, live.messages)
    server.assert_clean()


@pytest.mark.parametrize(
    ("origin", "refused"),
    [
        (LISTED_ORIGIN, False),
        (None, False),
        ("http://evil.example", True),
        ("http://pinboard.example", True),
        ("https://pinboard.example.evil.example", True),
    ],
)
def test_allowed_origins_setting_is_enforced(
    listed_origin_server: Server, origin: str | None, refused: bool
) -> None:
    """BOARD_ALLOWED_ORIGINS=https://pinboard.example: that origin works, other origins get 1008."""
    server = Watched(listed_origin_server)
    live, code = run(try_origin(server.url, origin))
    if refused:
        assert code == POLICY, (code, live.messages)
        assert live.messages == []
    else:
        assert code is None, (code, live.messages)
    server.assert_clean()


# --- hello timeout and malformed hellos --------------------------------------------------------


def test_silent_client_is_closed_after_the_hello_timeout(tmp_path: Path) -> None:
    """BOARD_WS_HELLO_TIMEOUT=0.5: a client that sends nothing is closed with 1008 promptly."""
    env = board_env(tmp_path / "data", admin_token=ADMIN_TOKEN, ws_hello_timeout="0.5")

    async def scenario(url: str) -> tuple[Live, float]:
        async with Clients(url) as c:
            slug, _ = await c.create_board()
            live = await c.connect(slug)
            start = time.monotonic()
            await live.closed(timeout=5)
            return live, time.monotonic() - start

    with serve(env) as started:
        server = Watched(started)
        live, took = run(scenario(server.url))
        server.assert_clean()
    assert live.ws.close_code == POLICY, (live.ws.close_code, live.messages)
    assert live.messages == []
    assert 0.3 < took < 2.5, f"closed after {took:.2f} s"


MALFORMED_HELLOS: dict[str, str | bytes] = {
    "not json": "hello, board",
    "json string": '"hello"',
    "array": '[{"type": "hello", "since": null, "token": null}]',
    "no type": '{"since": null, "token": null}',
    "wrong type": '{"type": "subscribe", "since": null, "token": null}',
    "since -1": '{"type": "hello", "since": -1, "token": null}',
    'since "3"': '{"type": "hello", "since": "3", "token": null}',
    "since 1.5": '{"type": "hello", "since": 1.5, "token": null}',
    "since true": '{"type": "hello", "since": true, "token": null}',
    "token number": '{"type": "hello", "since": null, "token": 5}',
    "deeply nested": "[" * 2000 + "]" * 2000,
    "binary frame": b'{"type": "hello", "since": null, "token": null}',
}


@pytest.mark.parametrize("name", list(MALFORMED_HELLOS))
def test_malformed_hello_is_closed_with_1008(server: Watched, name: str) -> None:
    """A first message that is not a valid hello is closed with 1008, without a welcome."""

    async def scenario() -> Live:
        async with Clients(server.url) as c:
            slug, _ = await c.create_board()
            live = await c.connect(slug)
            await live.ws.send(MALFORMED_HELLOS[name])
            await live.closed()
            return live

    live = run(scenario())
    assert live.ws.close_code == POLICY, (live.ws.close_code, live.messages)
    assert live.messages == []
    server.assert_clean()


# --- message size ------------------------------------------------------------------------------


def padded_hello(size: int) -> str:
    """A valid hello of exactly `size` bytes (an ignored extra field pads it)."""
    bare = json.dumps({"type": "hello", "since": None, "token": None, "pad": ""})
    text = json.dumps(
        {"type": "hello", "since": None, "token": None, "pad": "x" * (size - len(bare))}
    )
    assert len(text.encode()) == size
    return text


@pytest.mark.parametrize("when", ["as the hello", "after the welcome"])
def test_frame_over_4_kib_is_closed_with_1009(server: Watched, when: str) -> None:
    """A client frame of 4097 bytes is refused with close code 1009."""

    async def scenario() -> Live:
        async with Clients(server.url) as c:
            slug, _ = await c.create_board()
            live = await c.connect(slug)
            if when == "after the welcome":
                await live.ws.send(hello())
                assert (await live.next())["type"] == "welcome"
            await live.ws.send(padded_hello(MAX_MESSAGE + 1))
            await live.closed()
            return live

    live = run(scenario())
    assert live.ws.close_code == TOO_BIG, (live.ws.close_code, live.messages)
    server.assert_clean()


def test_hello_of_exactly_4_kib_is_accepted(server: Watched) -> None:
    """A hello of exactly 4096 bytes is within the limit and gets its welcome."""

    async def scenario() -> dict[str, Any]:
        async with Clients(server.url) as c:
            slug, _ = await c.create_board()
            live = await c.connect(slug)
            await live.ws.send(padded_hello(MAX_MESSAGE))
            return await live.next()

    assert run(scenario())["type"] == "welcome"
    server.assert_clean()


# --- presence and stats ------------------------------------------------------------------------


def test_presence_reports_the_number_of_viewers(server: Watched) -> None:
    """Three sockets get `presence` with viewers 3; after two leave the last gets viewers 1."""

    def presence(count: int) -> Callable[[dict[str, Any]], bool]:
        return lambda m: m == {"type": "presence", "viewers": count}

    async def scenario() -> tuple[list[Live], list[float]]:
        async with Clients(server.url) as c:
            slug, _ = await c.create_board()
            lives = [
                live for live, _ in await asyncio.gather(*(c.join_live(slug) for _ in range(3)))
            ]
            start = time.monotonic()
            await asyncio.gather(
                *(live.until(presence(3), "presence 3", timeout=2.5) for live in lives)
            )
            took = [time.monotonic() - start]
            stay, *leave = lives
            for live in leave:
                await live.ws.close()
            start = time.monotonic()
            await stay.until(presence(1), "presence 1 after two left", timeout=2.5)
            took.append(time.monotonic() - start)
            await stay.listen()
            return lives, took

    lives, took = run(scenario())
    assert all(t < 2.5 for t in took), took
    counts = [m["viewers"] for m in lives[0].messages if m["type"] == "presence"]
    assert counts[-1] == 1, counts
    # Throttled: one message per change burst, not one per join or leave.
    assert len(counts) <= 3, counts
    server.assert_clean()


def test_stats_reports_open_sockets_as_viewers(server: Watched) -> None:
    """GET /api/boards/{slug}/stats counts open sockets: 3, then 1 after two close, then 0."""

    async def scenario() -> list[int]:
        async with Clients(server.url) as c:
            slug, _ = await c.create_board()
            seen = [await c.viewers(slug)]
            lives = [
                live for live, _ in await asyncio.gather(*(c.join_live(slug) for _ in range(3)))
            ]
            refused = await c.connect(slug)
            await refused.ws.send(hello(None, "not-a-token"))
            assert await refused.closed() == POLICY
            seen.append(await c.viewers(slug))
            for live in lives[1:]:
                await live.ws.close()
            await c.until_viewers(slug, 1)
            seen.append(await c.viewers(slug))
            await lives[0].ws.close()
            await c.until_viewers(slug, 0)
            seen.append(await c.viewers(slug))
            return seen

    assert run(scenario()) == [0, 3, 1, 0]
    server.assert_clean()


def test_no_event_is_delivered_twice_across_roles(server: Watched) -> None:
    """Every socket of a busy board sees strictly increasing seqs, each at most once."""

    async def scenario() -> list[Live]:
        async with Clients(server.url) as c:
            slug, key = await c.create_board()
            token = await c.join(slug)
            lives = [
                live for live, _ in await asyncio.gather(*(c.join_live(slug) for _ in range(2)))
            ]
            lives.append((await c.join_live(slug, token=key))[0])
            await asyncio.gather(*(c.post(slug, token, f"Notat {n}") for n in range(10)))
            last = await c.seq(slug)
            for live in lives:
                await live.events_until_seq(last)
                await live.listen()
            return lives

    lives = run(scenario())
    for live in lives:
        seqs = [m["seq"] for m in live.messages if m["type"] == "event"]
        assert len(seqs) == 10, seqs
        assert not [s for s, n in Counter(seqs).items() if n > 1], seqs
        assert seqs == sorted(seqs), seqs
    server.assert_clean()


def test_resume_while_notes_are_posted_loses_and_repeats_nothing(server: Watched) -> None:
    """Sockets resuming from one `since` while notes are posted each get every seq exactly once."""

    async def scenario() -> tuple[int, int, list[Live]]:
        async with Clients(server.url) as c:
            slug, _ = await c.create_board()
            token = await c.join(slug)
            since = await c.seq(slug)

            async def write() -> None:
                for n in range(30):
                    await c.post(slug, token, f"Samtidig {n}")

            async def resume(delay: float) -> Live:
                await asyncio.sleep(delay)
                live, _ = await c.join_live(slug, since=since)
                return live

            writer = asyncio.create_task(write())
            lives = await asyncio.gather(*(resume(0.02 * n) for n in range(10)))
            await writer
            last = await c.seq(slug)
            for live in lives:
                await live.events_until_seq(last)
                await live.listen(0.2)
            return since, last, list(lives)

    since, last, lives = run(scenario())
    assert last == since + 30
    for number, live in enumerate(lives):
        seqs = [m["seq"] for m in live.messages if m["type"] == "event"]
        twice = sorted(s for s, n in Counter(seqs).items() if n > 1)
        assert not twice, f"socket {number}: delivered twice: {twice}"
        assert seqs == list(range(since + 1, last + 1)), f"socket {number}: {seqs}"
    server.assert_clean()
