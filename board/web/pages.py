"""The browser pages: HTML shells for the wall, console and presenter view, and static files.

The pages are plain files in `static/`; their ES modules fetch the board over the JSON API and
follow it over the WebSocket, so the server only checks that the board exists (a 404 page if not).
Pages and static files are answered from memory (`assets.py`: versioned URLs, gzip, ETags).
Page responses carry the pages' Content-Security-Policy; `headers.py` completes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from board.domain.access import load_board
from board.domain.boards import slug_for_code
from board.domain.joincode import normalise
from board.errors import ApiError
from board.store.db import Store
from board.web.assets import REVALIDATE, Assets, respond

# The query parameters the pages read: the join form's `code` (the server) and the start page's
# `unknown` (its script). The request log prints them (request_log.py); it leaves out any other.
PAGE_QUERY = frozenset({"code", "unknown"})
# The pages' own policy: no inline scripts or styles anywhere (styles are set through the CSSOM,
# which CSP allows). 'self' in connect-src covers the same-origin ws:// and wss:// (CSP Level 3,
# Chromium 50+). headers.SecurityHeaders appends frame-ancestors and adds nosniff and
# Referrer-Policy to every response; what is not a page gets a policy that allows nothing.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)
PAGE_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY}
_JOIN_URL = re.compile(r"/b/([a-z0-9][a-z0-9-]{0,63})")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def page(
    request: Request, assets: Assets, name: str, status: int = 200, preload: str | None = None
) -> Response:
    """A page from `static/`. Pages keep their URLs across releases, so a browser revalidates
    them every time (`no-cache`; the ETag makes that a 304), and a new page brings the new
    version of every asset it names. `preload`: an API path the page fetches first, which the
    browser then asks for while it is still loading the page's modules."""
    headers = PAGE_HEADERS
    if preload is not None:
        headers = {**headers, "Link": f"<{preload}>; rel=preload; as=fetch; crossorigin"}
    return respond(request, assets.files[name], REVALIDATE, status=status, headers=headers)


def not_found_page(request: Request) -> Response:
    """The HTML 404 page (for the app's error handler, which has only the request)."""
    assets: Assets = request.app.state.assets
    return page(request, assets, "404.html", status=404)


def board_exists(store: Store, slug: str) -> bool:
    with store.read() as session:
        try:
            load_board(session, slug)
        except ApiError:
            return False
        return True


def join_target(code: str) -> str | None:
    """The board path for what someone typed on `/` that is not a join code: a board link or
    its slug."""
    code = code.strip()
    found = _JOIN_URL.search(code.lower())
    if found is not None:
        return f"/b/{found.group(1)}"
    slug = re.sub(r"[\s_]+", "-", code.lower()).strip("-")
    return f"/b/{slug}" if _SLUG.fullmatch(slug) else None


def page_routes(known: Callable[[str], bool], assets: Assets) -> list[BaseRoute]:
    """The page and static routes; `known(slug)` answers from memory when it can (boards seen
    live)."""

    def board_page(name: str, snapshot_first: bool = False) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            slug = request.path_params["slug"]
            if not known(slug):
                store = request.app.state.context.store
                if not await run_in_threadpool(board_exists, store, slug):
                    return page(request, assets, "404.html", status=404)
            # The wall's first request is the snapshot, with no token (everyone's copy).
            preload = f"/api/boards/{slug}" if snapshot_first else None
            return page(request, assets, name, preload=preload)

        return endpoint

    async def index(request: Request) -> Response:
        return page(request, assets, "index.html")

    async def join(request: Request) -> Response:
        # A board's join code first (case and spaces do not matter), then a link or a slug.
        typed = request.query_params.get("code", "")
        store = request.app.state.context.store
        slug = await run_in_threadpool(slug_for_code, store, typed)
        target = f"/b/{slug}" if slug is not None else join_target(typed)
        # Looks like a code that no board has: say so on the start page, unless it is a slug.
        if (
            slug is None
            and target is not None
            and normalise(typed) is not None
            and not await run_in_threadpool(board_exists, store, target.removeprefix("/b/"))
        ):
            target = None
        return RedirectResponse(target or "/?unknown=1", status_code=303)

    async def join_by_code(request: Request) -> Response:
        """/j/{code}: the address a host says aloud; an unknown code is the 404 page."""
        store = request.app.state.context.store
        slug = await run_in_threadpool(slug_for_code, store, request.path_params["code"])
        if slug is None:
            return page(request, assets, "404.html", status=404)
        return RedirectResponse(f"/b/{slug}", status_code=303)

    return [
        Route("/", index),
        Route("/join", join),
        Route("/j/{code}", join_by_code),
        Route("/b/{slug:slug}", board_page("wall.html", snapshot_first=True)),
        Route("/b/{slug:slug}/moderate", board_page("moderate.html")),
        Route("/b/{slug:slug}/present", board_page("present.html")),
    ]
