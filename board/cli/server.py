"""How `board serve` runs uvicorn: WebSocket limits, garbage sweeps, and a shutdown that says
"restarting"."""

from __future__ import annotations

import asyncio
import copy
import gc
import logging
import resource
import socket
import time
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from board.cli.log_format import JsonFormatter
from board.internals import uvicorn_private
from board.live.hub import Hub
from board.settings import Settings

# Incoming WebSocket messages are only `hello`s: anything over 4 KiB is refused with 1009.
WS_MAX_MESSAGE = 4096
# Seconds between garbage sweeps (see `sweep_garbage`).
SWEEP_EVERY = 0.25


class QuietWebSockets(logging.Filter):
    """Drops uvicorn's per-WebSocket lines: 10,000 viewers joining are 20,000 log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("connection ") or '"WebSocket /' in message)


class ClientNoise(logging.Filter):
    """What any client can make uvicorn log (a text frame of invalid UTF-8: the right close
    code, 1007, and a traceback per frame) becomes at most one line a minute, with how many
    there were, and never a traceback: a script sending bad frames cannot flood the log."""

    MESSAGES = frozenset({"Invalid UTF-8 sequence received from client."})
    EVERY = 60.0  # seconds

    def __init__(self) -> None:
        super().__init__()
        self.last = float("-inf")
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg not in self.MESSAGES:
            return True
        self.count += 1
        now = time.monotonic()
        if now - self.last < self.EVERY:
            return False
        record.msg = f"{record.msg} ({self.count} since the last such line; at most one a minute)"
        record.args, record.exc_info, record.exc_text = None, None, None
        self.last, self.count = now, 0
        return True


def log_config(log_format: str = "text") -> dict[str, Any]:
    """uvicorn's logging, with the board's own loggers (requests, sockets, hub, relay…) printed
    the same way, on standard error; `json`: every line as one JSON object (log_format.py)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    if log_format == "json":
        for formatter in config["formatters"].values():
            formatter.clear()
            formatter["()"] = JsonFormatter
    config["loggers"]["board"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["filters"] = {
        "quiet_websockets": {"()": QuietWebSockets},
        "client_noise": {"()": ClientNoise},
    }
    config["handlers"]["default"]["filters"] = ["quiet_websockets", "client_noise"]
    return config


def raise_fd_limit() -> int:
    """Raise the soft open-files limit to the hard one; returns the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def uvicorn_config(app: Any, workers: int = 1, settings: Settings | None = None) -> uvicorn.Config:
    """uvicorn's settings for `board serve`; the WebSocket pings come from `settings` (read
    from the environment when not given)."""
    settings = settings or Settings()
    return uvicorn.Config(
        app,
        log_config=log_config(settings.log_format),
        # The board's own request log replaces it: uvicorn's prints the query string as sent,
        # secrets included (web/request_log.py).
        access_log=False,
        factory=isinstance(app, str),
        workers=workers,
        log_level="info",
        server_header=False,
        proxy_headers=False,
        http=uvicorn_private.HTTP_PROTOCOL,
        ws="websockets-sansio",
        ws_max_size=WS_MAX_MESSAGE,
        # Compression costs 2.4x the CPU per frame for little gain on short JSON notes.
        ws_per_message_deflate=False,
        # Pings keep idle sockets open through a proxy's read timeout (deploy/nginx.conf).
        ws_ping_interval=settings.ws_ping_interval,
        ws_ping_timeout=settings.ws_ping_timeout,
        timeout_graceful_shutdown=5,
    )


class BoardServer(uvicorn.Server):
    """Closes live sockets with 1012 (reconnect soon and resume) before uvicorn's own shutdown,
    and sweeps the garbage while it runs (`sweep_garbage`)."""

    sweeping: asyncio.Task[None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        gc.collect()
        gc.freeze()  # what startup made lives as long as the process
        # Sweeping freezes what survives: only safe while closed connections leave no cycle.
        # Where uvicorn's upgrade cannot be made to drop its parser, the collector keeps
        # Python's own schedule (longer pauses, every cycle freed).
        if uvicorn_private.UPGRADE_LEAVES_NO_CYCLE:
            # The young generation is collected less often: a fan-out to thousands of sockets
            # allocates in bursts, and most of it is freed by reference counting anyway.
            gc.set_threshold(50_000, 50, 100)
            self.sweeping = asyncio.create_task(sweep_garbage(), name="sweep garbage")

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.sweeping is not None:
            self.sweeping.cancel()
        for server in self.servers:
            server.close()  # no new connections while the open ones are told to go
        hub = getattr(getattr(self.config.loaded_app, "state", None), "hub", None)
        if isinstance(hub, Hub):
            await hub.close_all()
        await super().shutdown(sockets)


async def sweep_garbage() -> None:
    """Collect the garbage of the last SWEEP_EVERY seconds, then freeze what survived.

    A full collection walks every object the collector tracks: with 5,000 sockets open that is
    over 600,000 objects and a 400 ms pause of the loop. Frozen objects are out of every later
    collection's way, so each sweep walks only what is new since the one before (well under a
    millisecond between events, tens of milliseconds while a crowd arrives). A frozen object is
    still freed when nothing refers to it; one in a reference cycle would not be, which is why
    a closed connection leaves no cycle behind (`uvicorn_private.HTTP_PROTOCOL`,
    `web.socket.ExposeAbort`).
    """
    while True:
        await asyncio.sleep(SWEEP_EVERY)
        gc.collect()
        gc.freeze()


def run_workers(config: uvicorn.Config, sock: socket.socket) -> None:
    """uvicorn's multi-process supervisor, with BoardServer in every worker."""
    uvicorn_private.run_workers(config, sock, BoardServer)
