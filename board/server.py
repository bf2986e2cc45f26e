"""How `board serve` runs uvicorn: WebSocket limits, and a shutdown that says "restarting"."""

from __future__ import annotations

import copy
import gc
import logging
import resource
import socket
import time
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.supervisors import multiprocess

from .hub import Hub

# Incoming WebSocket messages are only `hello`s: anything over 4 KiB is refused with 1009.
WS_MAX_MESSAGE = 4096


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


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with the board's own loggers (hub, relay, live) printed the same way."""
    config = copy.deepcopy(LOGGING_CONFIG)
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


def uvicorn_config(app: Any, workers: int = 1) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_config=log_config(),
        factory=isinstance(app, str),
        workers=workers,
        log_level="info",
        server_header=False,
        proxy_headers=False,
        ws="websockets-sansio",
        ws_max_size=WS_MAX_MESSAGE,
        # Compression costs 2.4x the CPU per frame for little gain on short JSON notes.
        ws_per_message_deflate=False,
        ws_ping_interval=20,
        ws_ping_timeout=20,
        timeout_graceful_shutdown=5,
    )


class BoardServer(uvicorn.Server):
    """Closes live sockets with 1012 (reconnect soon and resume) before uvicorn's own shutdown."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        # Thousands of long-lived sockets make a full garbage collection pause the loop for
        # hundreds of milliseconds; freezing what startup made and collecting the young
        # generation less often keeps those pauses out of the fan-out (board bench, README).
        gc.freeze()
        gc.set_threshold(50_000, 50, 100)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()  # no new connections while the open ones are told to go
        hub = getattr(getattr(self.config.loaded_app, "state", None), "hub", None)
        if isinstance(hub, Hub):
            await hub.close_all()
        await super().shutdown(sockets)


class BoardWorker(multiprocess.Process):
    """A uvicorn worker process that runs BoardServer (module level: workers are pickled)."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = BoardServer(config=self.config)
        return self._server


def run_workers(config: uvicorn.Config, sock: socket.socket) -> None:
    """uvicorn's multi-process supervisor, with BoardServer in every worker."""
    # The supervisor builds its workers from this module-level name; uvicorn offers no option.
    multiprocess.Process = BoardWorker  # type: ignore[misc]
    multiprocess.Multiprocess(config, sockets=[sock]).run()
