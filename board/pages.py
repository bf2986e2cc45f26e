"""The browser pages: HTML shells for the wall, console and presenter view, and static files.

The pages are plain files in `static/`; their ES modules fetch the board over the JSON API and
follow it over the WebSocket, so the server only checks that the board exists (a 404 page if not).
Page responses carry the pages' Content-Security-Policy; `headers.py` completes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .access import load_board
from .db import Store
from .errors import ApiError
from .resources import bundled

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
# Pages and modules change with each release and have no hashed names: revalidate every time
# (a 304 costs little), so a phone never runs a new page with an old module.
PAGE_HEADERS = {"Cache-Control": "no-cache", "Content-Security-Policy": CONTENT_SECURITY_POLICY}
_JOIN_URL = re.compile(r"/b/([a-z0-9][a-z0-9-]{0,63})")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


class Static(StaticFiles):
    """`static/` with revalidation on every use (ETag and Last-Modified make that a 304)."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


def page(name: str, status: int = 200) -> Response:
    return FileResponse(bundled("static") / name, status_code=status, headers=PAGE_HEADERS)


def not_found_page() -> Response:
    return page("404.html", status=404)


def board_exists(store: Store, slug: str) -> bool:
    with store.read() as session:
        try:
            load_board(session, slug)
        except ApiError:
            return False
        return True


def join_target(code: str) -> str | None:
    """The board path for what someone typed on `/`: a board link or its code (the slug)."""
    code = code.strip()
    found = _JOIN_URL.search(code.lower())
    if found is not None:
        return f"/b/{found.group(1)}"
    slug = re.sub(r"[\s_]+", "-", code.lower()).strip("-")
    return f"/b/{slug}" if _SLUG.fullmatch(slug) else None


def page_routes(known: Callable[[str], bool]) -> list[BaseRoute]:
    """The page routes; `known(slug)` answers from memory when it can (boards seen live)."""

    def board_page(name: str) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            slug = request.path_params["slug"]
            if not known(slug):
                store = request.app.state.context.store
                if not await run_in_threadpool(board_exists, store, slug):
                    return not_found_page()
            return page(name)

        return endpoint

    async def index(_request: Request) -> Response:
        return page("index.html")

    async def join(request: Request) -> Response:
        target = join_target(request.query_params.get("code", ""))
        return RedirectResponse(target or "/?unknown=1", status_code=303)

    static: Path = bundled("static")
    return [
        Route("/", index),
        Route("/join", join),
        Route("/b/{slug:slug}", board_page("wall.html")),
        Route("/b/{slug:slug}/moderate", board_page("moderate.html")),
        Route("/b/{slug:slug}/present", board_page("present.html")),
        Mount("/static", app=Static(directory=static), name="static"),
    ]
