"""The application factory: everything is built here, nothing at import time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from board.domain.retention import PURGE_INTERVAL, purge_expired
from board.errors import ApiError
from board.live.hub import Handoff, Hub
from board.live.relay import RedisRelay
from board.resources import bundled
from board.settings import Settings
from board.store.db import Store, create_engine
from board.store.events import Committed, committed_after
from board.store.unavailable import UNAVAILABLE
from board.store.writer import GroupCommit
from board.web.assets import Assets, ServeAssets
from board.web.compression import GZip
from board.web.headers import SecurityHeaders, not_a_page
from board.web.http import Context, IdConvertor, SlugConvertor, error_response, handle_api_error
from board.web.key_terms import KeyTerms
from board.web.limits import Limits
from board.web.openapi import document
from board.web.outage import RETRY_AFTER, Outage
from board.web.pages import PAGE_QUERY, not_found_page, page_routes
from board.web.request_log import SCOPE_KEY, RequestLog
from board.web.routes import OPERATIONS
from board.web.scrape import metrics_route
from board.web.snapshots import Snapshots
from board.web.socket import ExposeAbort, board_socket
from board.web.socket_log import SocketLog

log = logging.getLogger("board")
# /readyz: a database that does not answer SELECT 1 within this many seconds is not ready.
READY_TIMEOUT = 1.0


def create_app(settings: Settings | None = None, store: Store | None = None) -> Starlette:
    """Build the ASGI app. The database must already be at the latest migration."""
    # Starlette's convertor registry is global: registering the same two again for each app is
    # harmless, and it must happen before the routes below are compiled.
    register_url_convertor("id", IdConvertor())
    register_url_convertor("slug", SlugConvertor())
    settings = settings or Settings()
    store = store or Store(create_engine(settings.resolved_database_url, settings.db_timeout))

    # SQLite: one thread writes, committing in groups (writer.py). PostgreSQL takes concurrent
    # writers, each in its own transaction from the thread pool.
    writer = GroupCommit(store) if store.is_sqlite else None
    hub = Hub(
        read_after=lambda board_id, after: run_in_threadpool(read_events, store, board_id, after)
    )
    limits = Limits(settings)
    snapshots = Snapshots(store, hub)
    outage = Outage(store.ping)
    socket_log = SocketLog()
    relay = RedisRelay(settings.redis_url, hub) if settings.redis_url else None
    # The static tree and the SDG catalogue, read and compressed once (assets.py).
    assets = Assets.load(bundled("static"))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        if relay is not None:
            await relay.start()
        shared_limits = limits.use_redis(settings.redis_url) if settings.redis_url else None

        def deliver(events: list[Committed]) -> None:
            hub.publish(events)
            snapshots.committed(events)
            if relay is not None:
                relay.send(events)

        # Called in the writer's thread right after commit; the hub lives on the loop.
        after_commit = Handoff(loop, deliver).put
        store.after_commit = after_commit
        if writer is not None:
            writer.start()
        stop_purging = asyncio.Event()
        purging = asyncio.create_task(
            purge_daily(store, stop_purging, hub.forget_recent), name="purge"
        )
        try:
            yield
        finally:
            # Not cancelled: a purge under way finishes first, so it never holds a connection
            # of the pool that `dispose()` below closes.
            stop_purging.set()
            await purging
            if writer is not None:
                await writer.stop()
            store.after_commit = None
            await hub.close_all()
            socket_log.flush()  # the last storm of closes is counted, not yet written
            if relay is not None:
                await relay.stop()
            if shared_limits is not None:
                await shared_limits.close()
            outage.close()
            store.dispose()

    async def openapi(_request: Request) -> Response:
        return JSONResponse(document())

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        if not outage.down:
            try:
                await asyncio.wait_for(run_in_threadpool(store.ping), READY_TIMEOUT)
            except TimeoutError:
                outage.begin(TimeoutError(f"no answer to SELECT 1 within {READY_TIMEOUT} s"))
            except Exception as exc:  # any driver error means "not ready", which is the answer
                outage.begin(exc)
        if outage.down:
            # The reason (it names hosts) is in the log ("database unavailable: …"), not in a
            # public answer; the answer says what is unusable and since when.
            return error_response(
                503,
                "database_unavailable",
                f"the database has been unusable for {outage.lasted():.0f} s (refused, dropped "
                "or unanswered connections, or a full disk): the reason is in the server's log",
                {"Retry-After": str(RETRY_AFTER)},
            )
        # Without Redis, events still reach the other processes through the database, a little
        # later: this process can serve, and a load balancer must not drop every process at once.
        if relay is not None and (problem := await relay.problem(READY_TIMEOUT)):
            return JSONResponse({"status": "degraded", "reason": problem})
        return JSONResponse({"status": "ready"})

    routes = [Route(op.path, op.endpoint, methods=[op.method]) for op in OPERATIONS] + [
        WebSocketRoute("/ws/boards/{slug:slug}", board_socket),
        Route("/api/openapi.json", openapi),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        # Only with a token: otherwise /metrics is a 404 like any unknown path (scrape.py).
        *([metrics_route(settings.metrics_token)] if settings.metrics_token else []),
        *page_routes(lambda slug: slug in hub.board_ids, assets),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            # Outermost: every HTTP request gets its id and its line, static files included.
            Middleware(
                RequestLog,
                safe_query=frozenset(
                    {q.name for op in OPERATIONS for q in op.query if q.where == "query"}
                    | PAGE_QUERY
                ),
                trusted=settings.trusted_proxies,
            ),
            # Static files first, from memory: they are most of a first visit's requests.
            Middleware(ServeAssets, assets=assets, extra=not_a_page(settings.frame_ancestors)),
            Middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors),
            # Dynamic answers over 1 KiB (compression.py). HTTP only: a WebSocket passes with the
            # server's own `send` (ExposeAbort needs it), and the fan-out never goes through
            # middleware. An answer with its own Content-Encoding (static files, pages, the
            # catalogue, a pre-compressed snapshot) is passed on untouched.
            Middleware(GZip),
            Middleware(ExposeAbort),
        ],
        lifespan=lifespan,
        exception_handlers={
            ApiError: handle_api_error,
            HTTPException: _http_error,
            **dict.fromkeys(UNAVAILABLE, outage.handle),
            Exception: _server_error,
        },
    )
    app.state.context = Context(settings=settings, store=store, limits=limits, writer=writer)
    app.state.hub = hub
    app.state.snapshots = snapshots
    app.state.key_terms = KeyTerms()
    app.state.outage = outage
    app.state.socket_log = socket_log
    app.state.assets = assets
    return app


async def purge_daily(store: Store, stop: asyncio.Event, rewritten: Callable[[str], None]) -> None:
    """Purge boards past their retention now and then once a day (retention.py), off the loop,
    until `stop` is set; `rewritten(slug)` for each board whose past events the purge changed.

    Every process does it; a purge that finds nothing to do changes nothing, so they may overlap.
    """
    while not stop.is_set():
        try:
            for purged in await run_in_threadpool(purge_expired, store):
                if not purged.changed:
                    continue
                rewritten(purged.slug)
                log.info(
                    "purged board %s past its retention: %d participants, %d deleted texts, "
                    "%d author names",
                    purged.slug,
                    purged.participants,
                    purged.texts,
                    purged.anonymised,
                )
        except Exception:  # a failed run must not end the task; the next one tries again
            log.exception("purging boards past their retention failed; retrying tomorrow")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), PURGE_INTERVAL)


def read_events(store: Store, board_id: int, after: int) -> list[Committed]:
    with store.read() as session:
        return committed_after(session, board_id, after)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404 and _wants_page(request):
        return not_found_page(request)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), exc.headers)


def _wants_page(request: Request) -> bool:
    """A browser asking for a page (not the API) gets the HTML 404 page."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


async def _server_error(request: Request, _exc: Exception) -> Response:
    # The client gets the envelope and nothing internal. The traceback is logged once, by the
    # server ("Exception in ASGI application"): Starlette raises the error on after this answer,
    # which leaves it outside the request log's middleware: the request's id is added here.
    rid = request.scope.get(SCOPE_KEY)
    headers = {"X-Request-Id": rid} if rid else None
    return error_response(500, "internal_error", "something went wrong on the server", headers)
