"""Bad networks in real Chromium: posting offline, a lost acknowledgement, a reload with a note
still unsent, a dropped live connection that resumes from its last seq, and a reset (issue #6)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from chromium import Board, Watched, board_server, make_board, new_context
from playwright.sync_api import Browser, BrowserContext, Page, Route, WebSocketRoute, expect
from servers import Server

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)

# A replay of more than half the queue limit is a `reset`; 16 makes that 9 missed events.
QUEUE_LIMIT = 16


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from board_server(tmp_path_factory.mktemp("network"), ws_queue_limit=str(QUEUE_LIMIT))


@pytest.fixture
def person(browser: Browser) -> Iterator[Any]:
    """Makes (context, page) pairs, one per person; checks them for errors and CSP violations."""
    made: list[tuple[BrowserContext, Watched]] = []

    def make(url: str) -> tuple[BrowserContext, Page]:
        context = new_context(browser)
        page = context.new_page()
        made.append((context, Watched(page)))
        page.goto(url)
        return context, page

    yield make
    problems = [p for _, watched in made for p in watched.errors + watched.dialogs]
    problems += [p for _, watched in made for p in watched.csp_violations()]
    for context, _ in made:
        context.close()
    assert problems == []


def join_and_write(page: Page, text: str) -> None:
    page.fill("#join-name", "Kari")
    page.locator("#join-form button[type=submit]").click()
    expect(page.locator("#note-form")).to_be_visible()
    page.fill("#note-body", text)


def submit(page: Page) -> None:
    page.locator("#note-form button[type=submit]").click()


def copies(page: Page, text: str) -> Any:
    return page.locator("#notes .note-body", has_text=text)


def stored(board: Board, text: str) -> int:
    return sum(1 for note in board.snapshot()["notes"] if note["body"] == text)


def test_a_note_posted_offline_arrives_once_when_back_online(server: Server, person: Any) -> None:
    """Posted while offline the note waits as 'sending'; back online it is sent, and every wall
    and the API hold exactly one copy."""
    board = make_board(server)
    context, author = person(board.url)
    _, reader = person(board.url)
    text = "Krav om utslippsfrie byggeplasser, skrevet uten nett"
    join_and_write(author, text)
    context.set_offline(True)
    submit(author)
    waiting = author.locator("#outbox .note.state-sending")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("Venter på nett")
    expect(author.locator("#connection")).to_have_attribute("data-state", "offline")
    author.wait_for_timeout(1500)  # let a retry or two fail while offline
    assert stored(board, text) == 0
    context.set_offline(False)
    for page in (author, reader):
        expect(copies(page, text)).to_have_count(1)
    expect(author.locator("#outbox .note")).to_have_count(0)
    author.wait_for_timeout(1000)
    assert copies(author, text).count() == 1
    assert stored(board, text) == 1


def test_a_lost_acknowledgement_makes_no_duplicate(server: Server, person: Any) -> None:
    """The server stores the note but its answer is lost: the retry with the same client_id
    gets the same note back, so there is still exactly one."""
    board = make_board(server)
    _, author = person(board.url)
    _, reader = person(board.url)
    text = "Leverandørdialog før konkurransen"
    join_and_write(author, text)
    lost: list[str] = []

    def lose_first_answer(route: Route) -> None:
        if route.request.method == "POST" and not lost:
            response = route.fetch()  # the server gets the note and answers ...
            lost.append(str(response.status))
            route.abort("connectionreset")  # ... but the page never hears it
        else:
            route.continue_()

    author.route(re.compile(r"/api/boards/[^/]+/notes$"), lose_first_answer)
    submit(author)
    for page in (author, reader):
        expect(copies(page, text)).to_have_count(1)
    expect(author.locator("#outbox .note")).to_have_count(0)
    assert lost == ["201"]
    assert stored(board, text) == 1


def test_an_unsent_note_survives_a_reload(server: Server, person: Any) -> None:
    """A note that could not be sent is kept in localStorage: after a reload it is still shown
    as sending and goes out once the server can be reached."""
    board = make_board(server)
    context, author = person(board.url)
    text = "Sirkulære møbler i alle nye skoler"
    join_and_write(author, text)
    notes = re.compile(r"/api/boards/[^/]+/notes$")
    context.route(notes, lambda route: route.abort("internetdisconnected"))
    submit(author)
    expect(author.locator("#outbox .note.state-sending")).to_have_count(1)
    author.reload()
    expect(author.locator("#outbox .note.state-sending")).to_contain_text(text)
    assert stored(board, text) == 0
    context.unroute(notes)
    expect(copies(author, text)).to_have_count(1)
    expect(author.locator("#outbox .note")).to_have_count(0)
    assert stored(board, text) == 1


def test_a_note_refused_for_a_database_outage_says_so_and_is_sent_after(
    server: Server, person: Any
) -> None:
    """A 503 `database_unavailable` (the server's answer while its database is away, with
    Retry-After): the outbox card says the board cannot save right now and the note will be
    sent, and it goes out once, after the wait the server asked for."""
    board = make_board(server)
    _context, author = person(board.url)
    text = "Felles innkjøp av elektriske anleggsmaskiner"
    join_and_write(author, text)
    refused: list[int] = []

    def refuse_once(route: Route) -> None:
        if refused:
            route.continue_()
            return
        refused.append(1)
        route.fulfill(
            status=503,
            headers={"Retry-After": "2", "Content-Type": "application/json"},
            body=json.dumps(
                {"error": {"code": "database_unavailable", "message": "try again in 2 s"}}
            ),
        )

    author.route(re.compile(r"/api/boards/[^/]+/notes$"), refuse_once)
    submit(author)
    expect(author.locator("#outbox .note.state-sending")).to_contain_text(
        "Tavla kan ikke lagre akkurat nå"
    )
    expect(copies(author, text)).to_have_count(1)
    expect(author.locator("#outbox .note")).to_have_count(0)
    assert refused == [1]
    assert stored(board, text) == 1


class Socket:
    """The page's live WebSocket, passed through Playwright so a test can cut it."""

    def __init__(self, page: Page) -> None:
        self.blocked = False
        self.hellos: list[dict[str, Any]] = []
        self.frames: list[str] = []
        self.open: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        page.route_web_socket(re.compile(r"/ws/boards/"), self.handle)

    def handle(self, ws: WebSocketRoute) -> None:
        if self.blocked:
            ws.close(code=1011, reason="test: network down")
            return
        upstream = ws.connect_to_server()

        def to_server(message: str | bytes) -> None:
            self.hellos.append(json.loads(message))
            upstream.send(message)

        def to_page(message: str | bytes) -> None:
            self.frames.append(str(message))
            ws.send(message)

        ws.on_message(to_server)
        upstream.on_message(to_page)
        self.open.append((ws, upstream))

    def cut(self) -> None:
        """Drop the connection and refuse new ones until `restore`."""
        self.blocked = True
        for ws, upstream in self.open:
            upstream.close()
            ws.close(code=1011, reason="test: network down")
        self.open.clear()

    def restore(self) -> None:
        self.blocked = False


def test_a_dropped_connection_resumes_from_the_last_seq(server: Server, person: Any) -> None:
    """After the socket drops, the page reconnects with hello since = the last seq it applied
    and receives the notes posted meanwhile, without reloading."""
    board = make_board(server)
    token = board.join("Ola")["token"]
    board.post(token, "Før bruddet")
    _, page = person("about:blank")
    socket = Socket(page)
    page.goto(board.url)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(copies(page, "Før bruddet")).to_have_count(1)
    seq_before = board.snapshot()["seq"]
    page.evaluate("window.__marker = 1")  # gone if the page reloads

    socket.cut()
    expect(page.locator("#connection")).to_have_attribute("data-state", "reconnecting")
    for n in range(3):
        board.post(token, f"Under bruddet {n}")
    socket.restore()
    for n in range(3):
        expect(copies(page, f"Under bruddet {n}")).to_have_count(1)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    assert socket.hellos[-1]["since"] == seq_before
    assert not any('"reset"' in frame for frame in socket.frames)
    assert page.evaluate("window.__marker") == 1


def test_a_reset_reloads_the_snapshot_without_losing_notes(server: Server, person: Any) -> None:
    """Missing more than the server replays, the page gets `reset`, reloads the snapshot and
    shows every note (and none twice), still without a page reload."""
    board = make_board(server)
    token = board.join("Ola")["token"]
    _, page = person("about:blank")
    socket = Socket(page)
    page.goto(board.url)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    page.evaluate("window.__marker = 1")
    socket.cut()
    count = QUEUE_LIMIT
    for n in range(count):
        board.post(token, f"Lapp {n:02d}")
    socket.restore()
    expect(page.locator("#notes .note")).to_have_count(count)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    assert any('"reset"' in frame for frame in socket.frames)
    assert page.evaluate("window.__marker") == 1
    board.post(token, "Etter reset")
    expect(copies(page, "Etter reset")).to_have_count(1)
    expect(page.locator("#notes .note")).to_have_count(count + 1)
