"""Where should database writes run? Measures the shipped server (SQLite: group commit on one
writer thread; PostgreSQL: the thread pool) against the same server with every write in the
thread pool, and with the database called directly on the event loop.

    .venv/bin/python tests/bench/db_offload.py [--database-url URL] [--posters 16] [--notes 800]

For each mode it starts a real uvicorn process, posts notes from concurrent HTTP clients and,
meanwhile, times GET /healthz (which touches no database) every 10 ms. When database calls
block the loop, /healthz waits behind them. Bounded: every request has a timeout and the run ends
after `--notes` posts.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
from compare import NO_LIMITS  # this folder is on sys.path when run

ADMIN = "bench-admin-token-0123456789"
MODES = ("shipped", "threadpool", "inline")


def serve(port: int, mode: str) -> None:
    """The server side: the real app, with its writes where `mode` says."""
    import uvicorn

    from board.app import create_app
    from board.settings import Settings
    from board.store import db
    from board.web import http

    if mode == "threadpool":
        from board.store.writer import GroupCommit

        # Never running, so every write goes to the thread pool.
        GroupCommit.start = lambda self: None  # type: ignore[method-assign]
    if mode == "inline":

        async def call_inline(request: Any, func: Any, *args: Any) -> Any:
            return func(http.context(request).store, *args)

        import board.web.api

        board.api.call = call_inline  # type: ignore[attr-defined]
    settings = Settings(admin_token=ADMIN)
    store = db.Store(db.create_engine(settings.resolved_database_url))
    db.upgrade(store.engine)
    uvicorn.run(create_app(settings, store), port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def measure(mode: str, database_url: str | None, posters: int, total: int) -> dict[str, Any]:
    port = free_port()
    env = {**os.environ, **NO_LIMITS}
    with tempfile.TemporaryDirectory() as data_dir:
        env["BOARD_DATA_DIR"] = data_dir
        if database_url:
            env["BOARD_DATABASE_URL"] = database_url
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port), "--mode", mode], env=env
        )
        base = f"http://127.0.0.1:{port}"
        try:
            return _load(base, posters, total) | {"mode": mode}
        finally:
            server.terminate()
            server.wait(timeout=10)


def _load(base: str, posters: int, total: int) -> dict[str, Any]:
    with httpx2.Client(base_url=base, timeout=10) as client:
        for _ in range(100):
            try:
                client.get("/healthz")
                break
            except httpx2.TransportError:
                time.sleep(0.1)
        created = client.post(
            "/api/boards", json={"title": "Bench"}, headers={"Authorization": f"Bearer {ADMIN}"}
        ).json()
        slug = created["board"]["slug"]
        tokens = [
            client.post(f"/api/boards/{slug}/participants").json()["token"] for _ in range(posters)
        ]

    done = threading.Event()
    probe_ms: list[float] = []

    def probe() -> None:
        with httpx2.Client(base_url=base, timeout=10) as client:
            while not done.is_set():
                start = time.perf_counter()
                client.get("/healthz")
                probe_ms.append((time.perf_counter() - start) * 1000)
                time.sleep(0.01)

    def post(token: str) -> int:
        ok = 0
        with httpx2.Client(base_url=base, timeout=10) as client:
            for _ in range(total // posters):
                response = client.post(
                    f"/api/boards/{slug}/notes",
                    json={
                        "client_id": uuid.uuid4().hex,
                        # Unique text: the same participant posting the same text twice gets
                        # the first note back (the duplicate guard), not a new one.
                        "body": f"Krav nr. {uuid.uuid4().hex}: utslippsfrie byggeplasser " * 4,
                        "sdgs": [12, 13],
                    },
                    headers={"Authorization": f"Bearer {token}"},
                )
                ok += response.status_code == 201
        return ok

    prober = threading.Thread(target=probe)
    prober.start()
    start = time.perf_counter()
    with ThreadPoolExecutor(posters) as pool:
        accepted = sum(pool.map(post, tokens))
    elapsed = time.perf_counter() - start
    done.set()
    prober.join()
    probe_ms.sort()
    return {
        "notes_accepted": accepted,
        "notes_per_s": round(accepted / elapsed),
        "healthz_p50_ms": round(statistics.median(probe_ms), 1),
        "healthz_p99_ms": round(probe_ms[int(len(probe_ms) * 0.99) - 1], 1),
        "healthz_max_ms": round(probe_ms[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--posters", type=int, default=16)
    parser.add_argument("--notes", type=int, default=800)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.mode)
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    for mode in MODES if not args.database_url else ("shipped", "inline"):
        result = measure(mode, args.database_url, args.posters, args.notes)
        print(json.dumps({"database": args.database_url or "sqlite", **result}), flush=True)


if __name__ == "__main__":
    main()
