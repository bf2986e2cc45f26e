"""Real `board` processes for tests: one-shot CLI runs and a `board serve` on a free port.

Output goes to files, not pipes, so a chatty server can never block on a full pipe buffer.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
import uvicorn

from board.cli.server import uvicorn_config

# The console script installed next to the interpreter running the tests.
BOARD = Path(sys.executable).with_name("board")
START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0
# One line of the board's request log on a server's stderr (board/web/request_log.py):
# `INFO:     3f2a9c01b7de GET /b/demo 304 1.2 ms`. findall gives (id, method, path, status, ms).
REQUEST_LINE = re.compile(
    r"^INFO: +(?P<id>[0-9a-f]{12}) (?P<method>\w+) (?P<path>\S+) (?P<status>\d{3})"
    r" (?P<ms>\d+\.\d) ms$",
    re.M,
)


# `board_env` extras that turn the rate limits off, for load tests from one address and token.
NO_LIMITS = {
    "notes_per_minute": "0",
    "joins_per_minute_per_ip": "0",
    "sockets_per_minute_per_ip": "0",
    "sockets_per_ip": "0",
    "suggestions_per_minute_per_ip": "0",
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def board_env(data_dir: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """The test process's environment without any BOARD_* setting, plus the given ones.

    `extra` takes setting names without the prefix: `admin_token="…"` → BOARD_ADMIN_TOKEN.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOARD_")}
    env["BOARD_DATA_DIR"] = str(data_dir)
    if database_url is not None:
        env["BOARD_DATABASE_URL"] = database_url
    for name, value in extra.items():
        env[f"BOARD_{name.upper()}"] = value
    return env


def run_board(
    *args: str, env: dict[str, str], timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """Run `board ARGS…` to completion and capture its output as text."""
    return subprocess.run(
        [str(BOARD), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@dataclass
class Server:
    """A running `board serve`: its base URL and where its output goes."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path

    def stdout(self) -> str:
        return self.stdout_path.read_text("utf-8", errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text("utf-8", errors="replace")

    def output(self) -> str:
        return f"--- stdout ---\n{self.stdout()}\n--- stderr ---\n{self.stderr()}"


@contextmanager
def serve(
    env: dict[str, str],
    *args: str,
    log_dir: Path | None = None,
    timeout: float = START_TIMEOUT,
    port: int | None = None,
) -> Iterator[Server]:
    """Start `board serve --port <port or a free one> ARGS…`, wait for /healthz, then SIGTERM."""
    port = port or free_port()
    log_dir = Path(log_dir or env["BOARD_DATA_DIR"])
    log_dir.mkdir(parents=True, exist_ok=True)
    stamp = f"{port}-{time.monotonic_ns()}"
    stdout_path = log_dir / f"serve-{stamp}.out"
    stderr_path = log_dir / f"serve-{stamp}.err"
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        process = subprocess.Popen(
            [str(BOARD), "serve", "--port", str(port), *args], env=env, stdout=out, stderr=err
        )
    server = Server(f"http://127.0.0.1:{port}", port, process, stdout_path, stderr_path)
    try:
        _wait_until_healthy(server, timeout)
        yield server
    finally:
        stop(process)


def _wait_until_healthy(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx2.Client(base_url=server.url, timeout=2.0) as client:
        while True:
            if server.process.poll() is not None:
                pytest.fail(
                    f"`board serve` exited with {server.process.returncode} before answering "
                    f"/healthz\n{server.output()}"
                )
            try:
                if client.get("/healthz").status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"`board serve` did not answer /healthz within {timeout:.0f} s\n"
                    f"{server.output()}"
                )
            time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then SIGKILL if it has not exited within STOP_TIMEOUT; returns the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait(timeout=STOP_TIMEOUT)


@contextmanager
def running(app: Any, server_class: type[uvicorn.Server] = uvicorn.Server) -> Iterator[int]:
    """`app` under `board serve`'s uvicorn settings, in a thread of this process; its port."""
    config = uvicorn_config(app)
    config.port = free_port()
    server = server_class(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        yield config.port
    finally:
        server.should_exit = True
        thread.join(10)
