"""uvicorn's private parts that `board serve` uses, each with the public path it falls back to.

1. The WebSocket protocol behind the ASGI `send` (`send.__self__`, uvicorn's
   `WebSocketsSansIOProtocol` under `ws="websockets-sansio"`): its websockets connection
   `.conn`, its `.transport` and its `.writable` event. Looked up once per socket, as it opens.
   - `frame_writer(send)`: a `FrameWriter` that writes a ready frame straight to the transport,
     as `websockets.broadcast()` does, so every client of an event shares one serialised frame.
     Before it, sending took 74 % of the loop at 5,000 viewers, 14 % of it uvicorn's
     per-socket send path around the write; with it, at 10,000 viewers, that rest is under 7 %
     (docs/performance.md). Fallback, None: the ASGI send, which serialises the frame again for
     each socket and waits while the socket is not writable.
   - `abort_of(send)`: `transport.abort`, to cut off a peer that never reads its close frame
     (ASGI has no abort). Fallback, None: the connection lives on until uvicorn's ping timeout.
2. `HTTP_PROTOCOL`: uvicorn's httptools protocol (the private module `httptools_impl`) with
   `handle_websocket_upgrade` extended to drop `self.parser`, which holds the protocol's bound
   methods: otherwise every upgraded connection stays a cycle until a full collection (issue
   15: ~70 objects per closed WebSocket, RSS +3.5 MiB per 10 s of reconnect churn). Fallback,
   when the module, the method or the attribute is gone: uvicorn's own "auto", and
   `UPGRADE_LEAVES_NO_CYCLE` False so that the server does not freeze what may become a cycle.
3. `run_workers`: uvicorn's multi-process supervisor with the board's `Server` subclass in every
   worker; uvicorn has no option for it. uvicorn 0.35 takes the server's `run` as `target`
   (what its own `uvicorn.run` passes); later releases build a plain `Server` in
   `Process.server` from `Process._server`, so the module's `Process` is swapped for
   `BoardWorker` while the supervisor runs. Fallback, for neither shape: the supervisor as
   `uvicorn.run` calls it, with uvicorn's plain `Server` in each worker (uvicorn closes
   WebSockets with 1012 itself; the collector keeps Python's defaults). Without the module
   `uvicorn.supervisors.multiprocess` at all, `--workers` stops with a message; one process
   does not need it.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import inspect
import socket
from collections.abc import Callable
from typing import Any, Literal

import uvicorn
from websockets.protocol import Protocol, State


class FrameWriter:
    """Writes a ready frame straight to the socket, when the connection is open and the socket
    writable now, and says whether it did; otherwise the ASGI send takes over and waits.
    Slots: there is one per open socket."""

    __slots__ = ("connection", "transport", "writable")

    def __init__(self, connection: Protocol, transport: Any, writable: asyncio.Event) -> None:
        self.connection = connection
        self.transport = transport
        self.writable = writable

    def __call__(self, frame: bytes) -> bool:
        if (
            self.connection.state is not State.OPEN
            or not self.writable.is_set()
            or self.transport.is_closing()
        ):
            return False
        self.transport.write(frame)
        return True


def frame_writer(send: Any) -> FrameWriter | None:
    """The socket's FrameWriter; None when `send` is not uvicorn's websockets-sansio protocol's."""
    protocol = getattr(send, "__self__", None)
    connection = getattr(protocol, "conn", None)
    transport = getattr(protocol, "transport", None)
    writable = getattr(protocol, "writable", None)
    if not (
        isinstance(connection, Protocol)
        and isinstance(writable, asyncio.Event)
        and transport is not None
    ):
        return None
    return FrameWriter(connection, transport, writable)


def abort_of(send: Any) -> Callable[[], None] | None:
    """What drops the connection behind `send` at once; None where the server offers none."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    abort = getattr(transport, "abort", None)
    return abort if callable(abort) else None


def _httptools_protocol() -> type[Any] | None:
    """uvicorn's httptools protocol, if it still upgrades and keeps a `parser` as we know."""
    try:
        module = importlib.import_module("uvicorn.protocols.http.httptools_impl")
    except ImportError:  # moved, renamed, or httptools not installed
        return None
    protocol = getattr(module, "HttpToolsProtocol", None)
    init = getattr(getattr(protocol, "__init__", None), "__code__", None)
    if (
        isinstance(protocol, type)
        and callable(getattr(protocol, "handle_websocket_upgrade", None))
        and init is not None
        and "parser" in init.co_names  # __init__ sets self.parser
    ):
        return protocol
    return None


HTTP_PROTOCOL: type[Any] | str = "auto"
UPGRADE_LEAVES_NO_CYCLE = False
_HttpToolsProtocol = _httptools_protocol()

if _HttpToolsProtocol is not None:

    class HttpProtocol(_HttpToolsProtocol):  # type: ignore[misc, valid-type]
        """uvicorn's HTTP protocol, letting go of its parser once the connection is a WebSocket
        (module level: worker processes unpickle it by name)."""

        def handle_websocket_upgrade(self) -> None:
            super().handle_websocket_upgrade()
            self.parser = None  # the WebSocket protocol owns the bytes now

    HTTP_PROTOCOL, UPGRADE_LEAVES_NO_CYCLE = HttpProtocol, True


def _supervisor_module() -> Any:
    try:
        return importlib.import_module("uvicorn.supervisors.multiprocess")
    except ImportError:
        return None


multiprocess = _supervisor_module()


class BoardWorker(multiprocess.Process if multiprocess else object):  # type: ignore[misc]
    """A worker process that builds `server_class` where uvicorn would build its plain Server."""

    config: uvicorn.Config
    _server: uvicorn.Server | None

    def __init__(self, *args: Any, server_class: type[uvicorn.Server], **kwargs: Any) -> None:
        self.server_class = server_class  # set first: pickled with the worker when it spawns
        super().__init__(*args, **kwargs)

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = self.server_class(config=self.config)
        return self._server


def _takes_target() -> bool:
    return "target" in inspect.signature(multiprocess.Multiprocess).parameters


def _supervisor_shape() -> Literal["target", "worker", "plain", "none"]:
    """How this uvicorn's supervisor can be given the board's server class, if at all."""
    if multiprocess is None or not hasattr(multiprocess, "Multiprocess"):
        return "none"
    if _takes_target():
        return "target"
    server = inspect.getattr_static(getattr(multiprocess, "Process", None), "server", None)
    reads = getattr(getattr(server, "fget", None), "__code__", None)
    if isinstance(server, property) and reads is not None and "_server" in reads.co_names:
        return "worker"
    return "plain"


# "target": pass the server's run; "worker": swap in BoardWorker; "plain": uvicorn's own Server;
# "none": no supervisor where uvicorn kept it.
SUPERVISOR = _supervisor_shape()


def run_workers(
    config: uvicorn.Config, sock: socket.socket, server_class: type[uvicorn.Server]
) -> None:
    """Run uvicorn's multi-process supervisor on `sock`, with `server_class` in every worker."""
    if SUPERVISOR == "none":
        raise RuntimeError(
            f"uvicorn {uvicorn.__version__} has no uvicorn.supervisors.multiprocess.Multiprocess: "
            "run one process, or update board/internals/uvicorn_private.py"
        )
    if SUPERVISOR == "worker":
        # The supervisor builds its workers from this module-level name.
        plain = multiprocess.Process
        multiprocess.Process = functools.partial(BoardWorker, server_class=server_class)
        try:
            multiprocess.Multiprocess(config, sockets=[sock]).run()
        finally:
            multiprocess.Process = plain
        return
    if SUPERVISOR == "plain":
        server_class = uvicorn.Server
    if _takes_target():  # as `uvicorn.run` calls it in this release
        run = server_class(config=config).run
        multiprocess.Multiprocess(config, target=run, sockets=[sock]).run()
    else:
        multiprocess.Multiprocess(config, sockets=[sock]).run()
