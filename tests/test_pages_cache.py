"""What a page load costs in real Chromium against a real `board serve` (issue 14): a first
visit loads every asset from the versioned prefix, compressed; a repeat visit reaches the server
only for the page (a 304), the board's snapshot and the live WebSocket. Counted on the server,
from its access log: requests, not time."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from chromium import Watched, board_server, make_board, new_context
from playwright.sync_api import Browser, BrowserContext, Page, Response, WebSocket, expect
from servers import REQUEST_LINE, Server

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of this module's own, so its access log holds only these tests' requests."""
    yield from board_server(tmp_path_factory.mktemp("cache"))


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """One person's browser: its pages share an HTTP cache."""
    context = new_context(browser)
    yield context
    context.close()


class Visit:
    """A page opened in `context`, what it received, and the sockets it opened."""

    def __init__(self, context: BrowserContext, url: str) -> None:
        self.page: Page = context.new_page()
        self.watched = Watched(self.page)
        self.responses: list[Response] = []
        self.sockets: list[WebSocket] = []
        self.page.on("response", lambda response: self.responses.append(response))
        self.page.on("websocket", lambda socket: self.sockets.append(socket))
        self.page.goto(url)
        # Loaded: the catalogue (the goal tiles) and the snapshot, and following it live.
        expect(self.page.locator("#sdg-tiles .sdg-tile")).to_have_count(17)
        expect(self.page.locator("#connection")).to_have_attribute("data-state", "live")


def access_log(server: Server) -> list[tuple[str, str, int]]:
    """(method, path, status) of every HTTP request the server has answered so far, once the
    log has been still for a moment (its lines are written as the answers finish). WebSocket
    open and close lines are not request lines: the page reports its socket."""
    seen, still_since = "", time.monotonic()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = server.stderr()
        if text != seen:
            seen, still_since = text, time.monotonic()
        elif time.monotonic() - still_since > 0.75:
            break
        time.sleep(0.05)
    return [
        (m["method"], urlsplit(m["path"]).path, int(m["status"]))
        for m in REQUEST_LINE.finditer(seen)
    ]


def test_a_first_visit_loads_versioned_compressed_assets(
    server: Server, context: BrowserContext
) -> None:
    """Every asset and the catalogue come from /static/<version>/ with immutable caching, every
    text response over 1 KiB arrives gzipped, and the snapshot is asked for once, by the
    preload the page names, not again by the page's script."""
    board = make_board(server)
    before = len(access_log(server))
    visit = Visit(context, board.url)
    requests = access_log(server)[before:]
    static = [path for _, path, _ in requests if path.startswith("/static/")]
    prefix = re.match(r"/static/[0-9a-f]{10}/", static[0]) if static else None
    assert prefix is not None, requests
    assert all(path.startswith(prefix.group()) for path in static), static
    assert f"{prefix.group()}sdgs.json" in static
    assert ("GET", "/api/sdgs", 200) not in requests
    # The snapshot once: the page's fetch takes the copy the Link header preloaded.
    assert [path for _, path, _ in requests if path.startswith("/api/")] == [
        f"/api/boards/{board.slug}"
    ], requests
    initiators = visit.page.evaluate(
        """(path) => performance.getEntriesByType("resource")
        .filter((e) => new URL(e.name).pathname === path).map((e) => e.initiatorType)""",
        f"/api/boards/{board.slug}",
    )
    assert initiators == ["link"]
    for response in visit.responses:
        if urlsplit(response.url).path.startswith("/static/"):
            assert response.status == 200, response.url
            headers = response.all_headers()
            assert headers["cache-control"] == "public, max-age=31536000, immutable"
            if len(response.body()) >= 1024:
                assert headers.get("content-encoding") == "gzip", response.url
    assert visit.watched.problems() == []


def test_a_repeat_visit_takes_every_asset_from_the_browser_cache(
    server: Server, context: BrowserContext
) -> None:
    """Coming back to the board in the same browser (a new tab, not a reload), only the page
    (revalidated: 304), the snapshot and the WebSocket reach the server; every module, the
    stylesheet and the SDG catalogue come from the browser's cache."""
    board = make_board(server)
    first = Visit(context, board.url)
    assert len(first.sockets) == 1
    assert first.watched.problems() == []
    first.page.close()
    before = len(access_log(server))

    again = Visit(context, board.url)
    requests = access_log(server)[before:]
    assert sorted((method, path) for method, path, _ in requests) == [
        ("GET", f"/api/boards/{board.slug}"),
        ("GET", f"/b/{board.slug}"),
    ], requests
    assert ("GET", f"/b/{board.slug}", 304) in requests
    assert len(again.sockets) == 1
    assert again.watched.problems() == []
