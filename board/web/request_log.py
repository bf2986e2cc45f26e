"""One log line per HTTP request: its id, method, path (secrets left out), status and duration.

It replaces uvicorn's access log, which prints the query string as the client sent it: a
`?code=` holding a pasted moderator link (`…/moderate#key=…`), or a token a script put in the
URL, would be in the log. Here the path keeps only the query parameters the board reads, with
short plain values, and any run of characters shaped like a token or key becomes `…`.

Each request has an id: the one a trusted proxy sent in `X-Request-Id` (nginx's
`$request_id`, deploy/nginx.conf) when it is sane, otherwise a new random one. The answer
carries it back in `X-Request-Id`, so a user's report (or the browser's network panel) leads to
the line. WebSockets are logged when they open and close (socket_log.py), not here.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from board.settings import Network
from board.web.limits import within

log = logging.getLogger("board.requests")

HEADER = b"x-request-id"
# Where the request's id is kept in the ASGI scope, for the 500 answer (app.py) and sockets.
SCOPE_KEY = "board.request_id"
# An incoming id is used only if it looks like one: bounded, and nothing that could break a
# log line or a header. nginx's $request_id is 32 hex digits.
_SANE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
# The shape of a token or key (secrets.token_urlsafe: 43 characters of A–Z a–z 0–9 _ -): a run
# of 20 or more such characters with an upper-case letter or an underscore. Slugs are lower
# case and ids are digits, so the board's own paths never match.
_LONG_RUN = re.compile(r"[A-Za-z0-9_-]{20,}")
_SECRET_LOOKING = re.compile(r"[A-Z_]")
# A query value printed as it is: short and plain (ids, numbers, choices, a join code).
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9._-]{1,16}")
REDACTED = "…"
PATH_LIMIT = 200
# Polled by load balancers every few seconds, per process: their 200s would be most of a quiet
# board's log and say nothing. Any other answer from them is logged.
QUIET = frozenset({"/healthz", "/readyz"})


def new_id() -> str:
    """12 hex digits: unique enough to find one request among a day's in one process's log."""
    return os.urandom(6).hex()


def request_id(scope: Scope, trusted: list[Network]) -> str:
    """The id a trusted proxy gave this request, when sane; otherwise a new one."""
    if trusted:
        client = scope.get("client")
        if client and within(client[0], trusted):
            for name, value in scope["headers"]:
                if name == HEADER:
                    if _SANE_ID.fullmatch(value):
                        return str(value.decode("ascii"))
                    break
    return new_id()


def loggable_path(scope: Scope, safe_query: frozenset[str]) -> str:
    """The path as the client sent it (percent-encoded), without anything shaped like a secret,
    and with only the query parameters in `safe_query` that have plain values."""
    raw = scope.get("raw_path")
    path: str = raw.decode("latin-1") if raw else scope["path"]
    if "?" in path:  # not every server splits the query off raw_path
        path = path.partition("?")[0]
    if not path.isprintable():
        path = path.encode("unicode_escape").decode("ascii")
    if len(path) >= 20:
        path = _LONG_RUN.sub(_redact, path)
        if len(path) > PATH_LIMIT:
            path = path[:PATH_LIMIT] + REDACTED
    query = scope.get("query_string")
    if query:
        kept = "&".join(_safe_pairs(query.decode("latin-1").split("&"), safe_query))
        if kept:
            path = f"{path}?{kept}"
    return path


def _redact(match: re.Match[str]) -> str:
    run = match.group()
    return REDACTED if _SECRET_LOOKING.search(run) else run


def _safe_pairs(pairs: Iterable[str], safe_query: frozenset[str]) -> Iterable[str]:
    """`name=value` for each parameter the board reads; a value that is not plain is `…`.
    Parameters the board does not read are left out: it ignores them, and one may be a token
    pasted into the wrong place."""
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name in safe_query:
            yield f"{name}={value if _PLAIN_VALUE.fullmatch(value) else REDACTED}"


class RequestLog:
    """ASGI middleware: the request's id in the scope and in the answer's `X-Request-Id`, and
    one line when the answer has been sent (duration: from the request to its last byte)."""

    def __init__(self, app: ASGIApp, safe_query: frozenset[str], trusted: list[Network]) -> None:
        self.app = app
        self.safe_query = safe_query
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        rid = scope[SCOPE_KEY] = request_id(scope, self.trusted)
        header = (HEADER, rid.encode("ascii"))
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # A new list: a response may share its header list with others (assets.py).
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            # Starlette's outermost handler answers 500 (with the id, app.py) and re-raises.
            status = status or 500
            raise
        finally:
            if status != 200 or scope["path"] not in QUIET:
                self.write(scope, rid, status, time.perf_counter() - start)

    def write(self, scope: Scope, rid: str, status: int | None, seconds: float) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        method, path, ms = scope["method"], loggable_path(scope, self.safe_query), seconds * 1000
        log.info(
            "%s %s %s %s %.1f ms",
            rid,
            method,
            path,
            "-" if status is None else status,
            ms,
            extra={
                "request_id": rid,
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": round(ms, 1),
            },
        )
