"""board/internals/uvicorn_private.py under the uvicorn that `board serve` runs: what it relies on
is still there (or the test says what went and where the adapter falls back), and each fallback
works on a real server."""

from __future__ import annotations

import asyncio
import gc
import json
import signal
import subprocess
import sys
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
import uvicorn
from conftest import ADMIN_TOKEN, Api
from servers import BOARD, board_env, free_port, running, stop
from starlette.types import Receive, Scope, Send
from websockets.exceptions import ConnectionClosed
from websockets.protocol import Protocol
from websockets.sync.client import ClientConnection, connect

from board.app import create_app
from board.cli.server import BoardServer, uvicorn_config
from board.internals import uvicorn_private
from board.live.hub import text_frame
from board.settings import Settings
from board.store import db

HERE = Path(__file__).resolve().parent
UPDATE = "update the adapter"


def gone(what: str, fallback: str) -> str:
    return (
        f"uvicorn {uvicorn.__version__} no longer has {what}; "
        f"board/internals/uvicorn_private.py falls back to {fallback}; {UPDATE}"
    )


# --- 1. the WebSocket protocol behind the ASGI send ------------------------------------------


def test_the_websocket_protocol_still_has_what_the_fan_out_writes_through() -> None:
    """Under `board serve`'s uvicorn the ASGI send belongs to a protocol with a websockets
    connection, a transport that can abort and a writable event; the adapter finds them, and a
    frame it writes arrives at a real client as that text message."""
    found: dict[str, Any] = {}

    async def probe(scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "websocket"
        protocol = getattr(send, "__self__", None)
        found["protocol"] = protocol
        found["conn"] = getattr(protocol, "conn", None)
        found["transport"] = getattr(protocol, "transport", None)
        found["writable"] = getattr(protocol, "writable", None)
        found["abort"] = uvicorn_private.abort_of(send)
        write = found["writer"] = uvicorn_private.frame_writer(send)
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        if write is not None:
            write(text_frame('{"type":"ping","note":"blåbær"}'))
        await receive()  # hold the socket open until the client has read

    with running(probe) as port, connect(f"ws://127.0.0.1:{port}/ws") as ws:
        message = ws.recv(timeout=5) if found.get("writer") else None
        ws.send("bye")

    slow_send = "the ASGI send for every frame (one serialisation per socket)"
    assert found["protocol"] is not None, gone("a protocol behind the ASGI send", slow_send)
    assert isinstance(found["conn"], Protocol), gone("send.__self__.conn", slow_send)
    assert isinstance(found["writable"], asyncio.Event), gone("send.__self__.writable", slow_send)
    assert found["transport"] is not None, gone("send.__self__.transport", slow_send)
    assert callable(getattr(found["transport"], "abort", None)), gone(
        "send.__self__.transport.abort", "no abort: a peer that never reads waits for the ping"
    )
    assert found["abort"] is not None and found["writer"] is not None
    assert message == '{"type":"ping","note":"blåbær"}'


@contextmanager
def board_app(tmp_path: Path, server_class: type[uvicorn.Server] = uvicorn.Server) -> Iterator[str]:
    """The whole board app on a real uvicorn in this process; its base URL."""
    settings = Settings(data_dir=tmp_path, admin_token=ADMIN_TOKEN)
    db.upgrade(db.create_engine(settings.resolved_database_url))
    with running(create_app(settings), server_class) as port:
        yield f"127.0.0.1:{port}"


def a_posted_note_arrives_live(address: str) -> None:
    with httpx2.Client(base_url=f"http://{address}", timeout=10) as http:
        api = Api(http)  # type: ignore[arg-type]
        slug, _key = api.create_board()
        token = api.join(slug)["token"]
        with connect(f"ws://{address}/ws/boards/{slug}") as ws:
            ws.send(json.dumps({"type": "hello", "since": None, "token": None}))
            welcome = json.loads(ws.recv(timeout=5))
            assert welcome["type"] == "welcome", welcome
            note = api.note(slug, token, "Gjennom reserveveien")
            assert next_note(ws)["data"]["id"] == note["id"]


def next_note(ws: ClientConnection) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        decoded = json.loads(ws.recv(timeout=deadline - time.monotonic()))
        for message in decoded if isinstance(decoded, list) else [decoded]:
            if message["type"] == "event" and message["kind"] == "note.upsert":
                return dict(message)


@pytest.mark.parametrize("absent", ["frame writer", "frame writer and abort"])
def test_without_the_protocols_internals_a_socket_still_gets_posted_notes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, absent: str
) -> None:
    """When the adapter finds no direct write (and no abort: Starlette's send_text then), a
    board socket on a real server still receives a note posted over HTTP, through the send."""
    asked: list[object] = []

    def no_writer(send: Any) -> None:
        asked.append(send)

    monkeypatch.setattr(uvicorn_private, "frame_writer", no_writer)
    if absent == "frame writer and abort":
        monkeypatch.setattr(uvicorn_private, "abort_of", lambda send: None)
    with board_app(tmp_path) as address:
        a_posted_note_arrives_live(address)
    assert len(asked) == 1  # once for the socket, not per frame
    assert (asked[0] is None) == (absent == "frame writer and abort")


# --- 2. the HTTP protocol that lets go of its parser -----------------------------------------


def test_an_upgraded_connection_leaves_no_cycle_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    """`board serve` runs the HTTP protocol that drops its parser on the upgrade, and with the
    collector off a WebSocket's HTTP protocol is freed all the same (no cycle)."""
    assert uvicorn_private.UPGRADE_LEAVES_NO_CYCLE, gone(
        "HttpToolsProtocol in uvicorn.protocols.http.httptools_impl, with its "
        "handle_websocket_upgrade and a parser set in __init__",
        'http="auto", and Python\'s own collector schedule instead of the frozen sweeps',
    )
    assert uvicorn_config(None).http is uvicorn_private.HTTP_PROTOCOL
    made: list[weakref.ref[Any]] = []

    class Counted(uvicorn_private.HTTP_PROTOCOL):  # type: ignore[misc, name-defined]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(weakref.ref(self))

    monkeypatch.setattr(uvicorn_private, "HTTP_PROTOCOL", Counted)

    async def echo(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await receive()

    gc.disable()
    try:
        with running(echo) as port:
            with connect(f"ws://127.0.0.1:{port}/ws") as ws:
                ws.send("bye")
            deadline = time.monotonic() + 5
            while any(ref() is not None for ref in made) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(made) == 1
            assert made[0]() is None, (
                f"uvicorn {uvicorn.__version__}: a WebSocket's HTTP protocol outlives it although "
                "board/internals/uvicorn_private.py dropped its parser (another cycle, which the "
                f"garbage sweep would freeze for good); {UPDATE}"
            )
    finally:
        gc.enable()


def test_without_the_parser_fix_the_server_keeps_pythons_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With uvicorn's plain HTTP protocol, BoardServer neither raises the collection thresholds
    nor sweeps and freezes (a frozen cycle would never be freed), and serves live notes."""
    monkeypatch.setattr(uvicorn_private, "HTTP_PROTOCOL", "auto")
    monkeypatch.setattr(uvicorn_private, "UPGRADE_LEAVES_NO_CYCLE", False)
    thresholds = gc.get_threshold()
    servers: list[BoardServer] = []

    class Watched(BoardServer):
        def __init__(self, config: uvicorn.Config) -> None:
            super().__init__(config)
            servers.append(self)

    try:
        with board_app(tmp_path, Watched) as address:
            assert gc.get_threshold() == thresholds
            a_posted_note_arrives_live(address)
    finally:
        gc.unfreeze()  # what the server's start-up froze in this test process
    [server] = servers
    assert server.config.http == "auto" and server.sweeping is None


# --- 3. the supervisor's workers ---------------------------------------------------------------


def test_the_supervisor_can_still_run_the_board_server_in_its_workers() -> None:
    """uvicorn's Multiprocess either takes the server's run as `target`, or builds each worker's
    server in `Process.server` from `_server`: the adapter knows how to hand it BoardServer."""
    assert uvicorn_private.SUPERVISOR != "none", gone(
        "uvicorn.supervisors.multiprocess.Multiprocess", "no --workers (one process still runs)"
    )
    assert uvicorn_private.SUPERVISOR != "plain", gone(
        "a Multiprocess that takes a target, nor a Process.server that reads _server",
        "uvicorn's plain Server in each worker (no restart reason on close, no garbage sweep)",
    )


def workers_close_reason(tmp_path: Path, shape: str) -> str:
    """Start two workers the adapter's way `shape`, seat a viewer, SIGTERM the supervisor:
    the viewer's close code must be 1012; returns the close reason."""
    env = board_env(tmp_path / "data", admin_token=ADMIN_TOKEN)
    created = subprocess.run(
        [str(BOARD), "create", "Arbeidere", "--slug", "arbeidere"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "arbeidere" in created.stdout
    port = free_port()
    with (tmp_path / "workers.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(HERE / "run_workers.py"), str(port), shape],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "workers.log").read_text()
            try:
                if httpx2.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "workers.log").read_text()
            time.sleep(0.1)
        with connect(f"ws://127.0.0.1:{port}/ws/boards/arbeidere") as ws:
            ws.send(json.dumps({"type": "hello", "since": None, "token": None}))
            assert json.loads(ws.recv(timeout=5))["type"] == "welcome"
            process.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    ws.recv(timeout=10)
        assert closed.value.rcvd is not None, (tmp_path / "workers.log").read_text()
        assert closed.value.rcvd.code == 1012
        return closed.value.rcvd.reason
    finally:
        stop(process)


@pytest.mark.slow
def test_workers_run_the_board_server(tmp_path: Path) -> None:
    """Under this uvicorn each worker runs BoardServer: SIGTERM closes viewers with 1012 and the
    board's reason."""
    reason = workers_close_reason(tmp_path, uvicorn_private.SUPERVISOR)
    assert reason == "server restarting: reconnect and resume"


@pytest.mark.slow
def test_the_supervisors_fallback_serves_and_closes_with_1012(tmp_path: Path) -> None:
    """Forced onto the fallback (uvicorn's plain Server in each worker) the workers still serve
    the board and close viewers with 1012 on SIGTERM, uvicorn's close without a reason."""
    assert workers_close_reason(tmp_path, "plain") == ""  # uvicorn's own close, not BoardServer's


def test_the_websocket_ping_settings_reach_uvicorns_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """BOARD_WS_PING_INTERVAL and BOARD_WS_PING_TIMEOUT are what uvicorn pings with, from the
    environment and from the settings `board serve` passes; unset, 20 s each."""
    monkeypatch.delenv("BOARD_WS_PING_INTERVAL", raising=False)
    monkeypatch.delenv("BOARD_WS_PING_TIMEOUT", raising=False)
    default = uvicorn_config(None)
    monkeypatch.setenv("BOARD_WS_PING_INTERVAL", "1.5")
    monkeypatch.setenv("BOARD_WS_PING_TIMEOUT", "4")
    from_environment = uvicorn_config(None)
    given = uvicorn_config(None, settings=Settings(ws_ping_interval=7, ws_ping_timeout=3))
    assert (default.ws_ping_interval, default.ws_ping_timeout) == (20, 20)
    assert (from_environment.ws_ping_interval, from_environment.ws_ping_timeout) == (1.5, 4)
    assert (given.ws_ping_interval, given.ws_ping_timeout) == (7, 3)
