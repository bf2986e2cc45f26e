"""The board WebSocket, `/ws/boards/{slug}`: hello, welcome, replay, then live events.

Protocol (docs/websocket.md): the client sends
`{"type": "hello", "since": N|null, "token": T|null}` within the hello timeout; the server answers
`welcome` with the board's `seq` and the client's role, replays every event after `since` the
role may see (or sends `reset` when it cannot), then pushes live events. Writes go over HTTP;
anything else the client sends is ignored.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from board import metrics
from board.domain.access import Credentials, load_board
from board.errors import ApiError
from board.internals import uvicorn_private
from board.live.hub import CLOSE_POLICY, TALLY, Channel, Client, encode
from board.store import events
from board.store.db import Store
from board.store.models import ModeratorKey, Participant
from board.web.http import Context
from board.web.limits import client_ip
from board.web.request_log import request_id

log = logging.getLogger("board.web.socket")

# How long a client that fell behind has to take its 1013 close frame before it is cut off.
CLOSE_TIMEOUT = 10.0
# The close code logged for a socket that ended without one (RFC 6455: "abnormal closure").
NO_CLOSE_CODE = 1006
ABORT_KEY = "board.abort"
SEND_KEY = "board.send"


async def board_socket(websocket: WebSocket) -> None:
    ctx = websocket.app.state.context
    settings, limits = ctx.settings, ctx.limits
    await websocket.accept()
    if not origin_allowed(websocket, settings.allowed_origins):
        await refuse(websocket, "origin not allowed")
        return
    address = client_ip(websocket, limits.trusted)
    try:
        await limits.per_address("sockets", websocket)
    except ApiError as exc:
        await refuse(websocket, exc.message)
        return
    if not limits.socket_opened(address):
        await refuse(websocket, "too many connections from your address")
        return
    try:
        await serve_socket(websocket)
    finally:
        limits.socket_closed(address)


async def serve_socket(websocket: WebSocket) -> None:
    ctx = websocket.app.state.context
    settings, hub = ctx.settings, websocket.app.state.hub
    try:
        raw = await asyncio.wait_for(websocket.receive_text(), settings.ws_hello_timeout)
        since, token = parse_hello(raw)
        slug = websocket.path_params["slug"]
        board_id = hub.board_ids.get(slug)
        if token is None and board_id is not None:
            role, who = "viewer", None  # a known board and no token: nothing to look up
        else:
            board_id, role, who = await run_in_threadpool(
                identify, ctx.store, slug, token, settings.admin_token
            )
            hub.board_ids[slug] = board_id
    except (TimeoutError, ValueError, KeyError, ApiError) as exc:
        await refuse(websocket, reason(exc))
        return
    except WebSocketDisconnect:
        return

    moderator = role == "moderator"
    # The direct frame write is looked up once here, for the socket's whole life.
    write = uvicorn_private.frame_writer(websocket.scope.get(SEND_KEY))
    client = Client(text_sender(websocket), moderator, settings.ws_queue_limit, who, write)
    channel = hub.join(board_id, client)
    open_sockets = metrics.websockets_open.labels(role)
    open_sockets.inc()
    # The id pairs the open and close lines (and nginx's line for the upgrade, if it sent one).
    socket_log = websocket.app.state.socket_log
    rid, path = request_id(websocket.scope, ctx.limits.trusted), websocket.scope["path"]
    joined = time.monotonic()
    socket_log.opened(rid, path, role)
    code = NO_CLOSE_CODE
    try:
        if await welcome(ctx, client, channel, since, role):
            code = await until_closed(websocket, client)
    finally:
        hub.leave(board_id, client)
        open_sockets.dec()
        if client.sending is not None:
            client.sending.cancel()
    try:
        if client.stopped:
            metrics.websocket_closes.labels(str(client.close_code)).inc()
            code = client.close_code
            await close(websocket, client.close_code, client.close_reason)
    finally:
        client.done.set_result(None)
        socket_log.closed(rid, path, role, code, time.monotonic() - joined)


async def welcome(
    ctx: Context, client: Client, channel: Channel, since: int | None, role: str
) -> bool:
    """Queue the welcome and the replay in front of the live events, then let them flow.

    False (and the client stopped with 1008) when its access ended meanwhile.
    """
    # Joined before reading, so no event can fall between the replay and the live stream.
    # Replays up to half the queue limit leave room for live events; further behind, a
    # client does better to reload the snapshot (reset). A viewer a little behind (a new page,
    # every page after a restart) replays from the channel's memory: no database read, so
    # thousands can arrive at once. Whoever has a token is checked against the database.
    limit = ctx.settings.ws_queue_limit // 2
    texts = (
        channel.replay(since, client.moderator, limit, client.who) if client.who is None else None
    )
    if texts is not None:
        assert channel.seq is not None
        seq = channel.seq
    else:
        read = functools.partial(
            read_replay, ctx.store, channel.board_id, since, client.moderator, limit, client.who
        )
        try:
            seq, replay = await run_in_threadpool(read)
            channel.start_at(seq)
            assert channel.started is not None
            if channel.started > seq:
                # Another client's read, later than this one, started the channel meanwhile:
                # the events between the two never passed through it, so they will not come
                # live. The database holds them all by now (its seq only grows): read again.
                seq, replay = await run_in_threadpool(read)
        except ApiError as exc:
            client.stop(CLOSE_POLICY, exc.message)
            return False
        texts = [encode(message) for message in replay]
    # Live events that arrived meanwhile wait behind the welcome and the replay; those the
    # replay already covers are dropped, as are later copies (the floor).
    client.floor = seq
    live = [(s, text) for s, text in client.queue if s is None or s > seq]
    client.queue.clear()
    client.push(None, encode({"type": "welcome", "seq": seq, "role": role}))
    for text in texts:
        client.push(None, text)
    client.queue.extend(live)
    client.held = False
    client.flush()
    TALLY.report()
    return True


def text_sender(websocket: WebSocket) -> Callable[[str], Awaitable[None]]:
    """The cheapest way to send a text frame: the server's own ASGI send when we have it.

    Starlette's `send_text` adds state checks and a wrapper per call; with ten thousand sockets
    per event that is a measurable share of the fan-out (board bench, docs/performance.md).
    """
    raw_send = websocket.scope.get(SEND_KEY)
    if raw_send is None:
        return websocket.send_text

    def send(text: str) -> Awaitable[None]:
        return raw_send({"type": "websocket.send", "text": text})  # type: ignore[no-any-return]

    return send


async def until_closed(websocket: WebSocket, client: Client) -> int:
    """Read (and ignore) client messages until it leaves or the server stops it; the code the
    client closed with (NO_CLOSE_CODE when the server stopped it).

    `Client.stop()` cancels this wait. That costs nothing per socket, where waiting on both
    (two tasks and `asyncio.wait`) cost kilobytes each, times ten thousand sockets.
    """
    task = asyncio.current_task()
    assert task is not None
    client.waiting = task
    try:
        while not client.stopped:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return int(message.get("code", 1000))
    except asyncio.CancelledError:
        # Ours from stop(), unless someone else (the server going down) cancelled too.
        if not client.stopped or task.uncancel() > 0:
            raise
    finally:
        client.waiting = None
    return NO_CLOSE_CODE


async def refuse(websocket: WebSocket, why: str) -> None:
    """Close a socket that may not follow the board (1008), before it joins a channel."""
    metrics.websocket_closes.labels(str(CLOSE_POLICY)).inc()
    await websocket.close(CLOSE_POLICY, why)


async def close(websocket: WebSocket, code: int, why: str) -> None:
    """Close with `code`; a peer that does not read it within CLOSE_TIMEOUT is cut off."""
    if websocket.application_state != WebSocketState.CONNECTED:
        return
    try:
        # The close frame waits behind what is already buffered for this client.
        await asyncio.wait_for(websocket.close(code, why), CLOSE_TIMEOUT)
    except TimeoutError:
        # A graceful close would wait forever for a peer that never reads again, holding the
        # socket and its buffers: drop the connection instead.
        abort = websocket.scope.get(ABORT_KEY)
        if abort is not None:
            abort()
    except (RuntimeError, OSError, WebSocketDisconnect):
        pass


class ExposeAbort:
    """ASGI middleware that lets the endpoint abort a WebSocket's TCP connection.

    ASGI has no abort; under uvicorn the protocol behind `send` can (`uvicorn_private.abort_of`).
    Elsewhere (the test client) there is nothing to abort and nothing is added.
    The server's `send` itself is kept too, for the fan-out's sends (see `text_sender`).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            abort = uvicorn_private.abort_of(send)
            if abort is not None:
                scope[ABORT_KEY] = abort
                scope[SEND_KEY] = send
                try:
                    await self.app(scope, receive, send)
                finally:
                    # The protocol holds the scope: without this, every closed socket would be a
                    # cycle that only a full garbage collection frees.
                    del scope[ABORT_KEY], scope[SEND_KEY]
                return
        await self.app(scope, receive, send)


def origin_allowed(websocket: WebSocket, allowed: list[str]) -> bool:
    """Browsers always send Origin: it must be the page's own origin or one that is listed."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser: cross-site WebSocket hijacking needs one
    if origin.rstrip("/") in allowed:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc == websocket.headers.get("host")


def parse_hello(raw: str) -> tuple[int | None, str | None]:
    try:
        hello = json.loads(raw)
    except RecursionError:  # "[[[[…": within 4 KiB, but too deep for the decoder
        raise ValueError("the hello is nested too deeply") from None
    if not isinstance(hello, dict) or hello.get("type") != "hello":
        raise ValueError("the first message must be a hello")
    since, token = hello.get("since"), hello.get("token")
    if since is not None and (type(since) is not int or since < 0):
        raise ValueError("since must be a non-negative integer or null")
    if token is not None and not isinstance(token, str):
        raise ValueError("token must be a string or null")
    return since, token


def identify(
    store: Store, slug: str, token: str | None, admin_token: str | None
) -> tuple[int, str, str | None]:
    """The board's id, the token's role on it, and whose access it is (see `Actor.who`)."""
    with store.read() as session:
        board = load_board(session, slug)
        actor = Credentials(token, admin_token).actor(session, board)
        assert board.id is not None
        return board.id, actor.role, actor.who


def read_replay(
    store: Store,
    board_id: int,
    since: int | None,
    moderator: bool,
    limit: int,
    who: str | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """The board's seq now and what the client missed: its events, or a reset when it cannot.

    A ban or revocation that committed after the hello was checked but before the socket joined
    its channel went past it; reading after joining catches that (ApiError: close 1008). A
    participant's replay holds the events meant for them alone (their held notes), as the live
    fan-out does (hub.private_who).
    """
    kind, _, number = (who or "").partition(":")
    participant = int(number) if kind == "participant" else None
    with store.read() as session:
        if who is not None:
            check_access(session, who)
        seq = events.current_seq(session, board_id)
        if since is None or since == seq:
            return seq, []
        if since > seq or seq - since > limit:
            return seq, [{"type": "reset"}]
        replay: list[dict[str, Any]] = []
        after = since
        while True:
            page, last = events.since(session, board_id, after, moderator, participant=participant)
            replay += [e for e in page if e["seq"] <= seq]
            if last is None or last >= seq:
                return seq, replay
            after = last


def check_access(session: Session, who: str) -> None:
    """Raise ApiError when the participant is banned or erased, or the key revoked, by now."""
    kind, _, number = who.partition(":")
    if kind == "participant":
        person = session.get(Participant, int(number))
        if person is None or person.banned_at is not None or person.token_hash is None:
            raise ApiError(403, "banned", "this participant may no longer follow the board")
    elif kind == "moderator":
        key = session.get(ModeratorKey, int(number))
        if key is None or key.revoked_at is not None:
            raise ApiError(401, "invalid_token", "the moderator key was revoked")


def reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "hello expected"
    if isinstance(exc, ApiError):
        return exc.message
    return "bad hello"
