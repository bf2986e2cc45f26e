"""A real `board serve` on the lowest versions pyproject.toml allows (.ci/lowest installs them):
it answers /readyz, a board made with the CLI takes a note over HTTP, and a WebSocket viewer
receives it, `/metrics` counts the viewer and the note (both workers' in every scrape); SIGTERM
closes the viewer with 1012 and stops the server. Once with one process on
SQLite, once with `--workers 2` and Redis (a redis-server of its own on a free port).

Only the standard library and what the board itself installs (websockets): this runs in
.venv-lowest, which has no test dependencies. `python .ci/lowest_smoke.py` from the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

BOARD = Path(sys.executable).with_name("board")
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"  # .ci/run installs it
BODY = "Laveste versjoner"
METRICS_TOKEN = "lowest-metrics-token-0123456789"  # noqa: S105 (a test server's)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http(method: str, url: str, body: dict[str, Any] | None = None, token: str = "") -> Any:
    request = urllib.request.Request(url, method=method)  # noqa: S310 (http://127.0.0.1 only)
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read() or b"null")


def scrape(base: str) -> str:
    """GET /metrics with the token, as text."""
    request = urllib.request.Request(f"{base}/metrics")  # noqa: S310 (http://127.0.0.1 only)
    request.add_header("Authorization", f"Bearer {METRICS_TOKEN}")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return str(response.read().decode())


def wait_ready(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        if server.poll() is not None:
            sys.exit(f"board serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            if http("GET", f"{base}/readyz") is not None:
                return
        except (urllib.error.URLError, ConnectionError):
            pass
        if time.monotonic() > deadline:
            sys.exit(f"board serve did not answer /readyz within 30 s:\n{log.read_text()}")
        time.sleep(0.1)


def next_note(ws: ClientConnection) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        decoded = json.loads(ws.recv(timeout=deadline - time.monotonic()))
        for message in decoded if isinstance(decoded, list) else [decoded]:
            if message.get("type") == "event" and message.get("kind") == "note.upsert":
                return dict(message["data"])


def check(*serve_args: str, **settings: str) -> None:
    """One `board serve SERVE_ARGS` with BOARD_<settings>, through the whole scenario."""
    data = Path(tempfile.mkdtemp(prefix="board-lowest-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOARD_")}
    env["BOARD_DATA_DIR"] = str(data)
    env.update({f"BOARD_{name.upper()}": value for name, value in settings.items()})
    env["BOARD_METRICS_TOKEN"] = METRICS_TOKEN
    port = free_port()
    base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
    log = data / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603 (the installed board command)
            [str(BOARD), "serve", "--port", str(port), *serve_args], env=env, stdout=out, stderr=out
        )
    try:
        wait_ready(base, server, log)
        created = subprocess.run(  # noqa: S603
            [str(BOARD), "create", "Laveste", "--slug", "laveste"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert created.returncode == 0, created.stdout + created.stderr
        token = http("POST", f"{base}/api/boards/laveste/participants", {"name": "Kari"})["token"]
        with connect(f"{ws_base}/ws/boards/laveste") as ws:
            ws.send(json.dumps({"type": "hello", "since": None, "token": None}))
            welcome = json.loads(ws.recv(timeout=10))
            assert welcome["type"] == "welcome", welcome
            posted = {"client_id": "laveste-1", "body": BODY}
            note = http("POST", f"{base}/api/boards/laveste/notes", posted, token)
            arrived = next_note(ws)
            assert arrived["id"] == note["id"] and arrived["body"] == BODY, arrived
            # With --workers 2 either worker answers, and counts the other's socket too.
            for _ in range(4):
                metrics = scrape(base)
                assert 'board_websockets_open{role="viewer"} 1.0' in metrics, metrics
                assert 'board_note_posts_total{outcome="created"} 1.0' in metrics, metrics
            server.send_signal(signal.SIGTERM)
            try:
                while True:
                    ws.recv(timeout=10)
            except ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == 1012, closed
        assert server.wait(timeout=15) in (0, -signal.SIGTERM), log.read_text()
    except BaseException:
        print(log.read_text(), file=sys.stderr)
        raise
    finally:
        if server.poll() is None:
            server.kill()
    shown = " ".join(["board serve", *serve_args])
    print(
        f"lowest versions, {shown}: /readyz, a note over HTTP, live, /metrics, 1012 on SIGTERM: ok"
    )


def main() -> None:
    check()
    # Two workers share events over Redis (the [redis] extra, at its floor too).
    redis_port = free_port()
    redis = subprocess.Popen(  # noqa: S603
        [REDIS_SERVER, "--port", str(redis_port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        check("--workers", "2", redis_url=f"redis://127.0.0.1:{redis_port}/0")
    finally:
        redis.terminate()
        redis.wait(timeout=10)


if __name__ == "__main__":
    main()
