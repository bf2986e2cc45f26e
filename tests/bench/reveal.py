"""What a reveal costs (#18): every socket fetching the shared snapshot, against one frame that
carries the whole round to every socket.

    .venv/bin/python tests/bench/reveal.py [--notes 1000] [--sockets 200] [--spread 2.0]
        [--json FILE]

It starts a `board serve`-like process (this file with --serve: the real app under the real
uvicorn settings, SQLite in a fresh BOARD_DATA_DIR, rate limits off), makes a board blind, posts
--notes notes of about 330 characters with goals and targets from 20 participants, and seats
--sockets viewers (raw WebSocket clients that count the bytes they get and parse no JSON).

- **snapshot** (what the server does): the moderator reveals; each socket, on `board.reveal`,
  waits a random 0 to --spread seconds (the pages' spread) and fetches `GET /api/boards/{slug}`
  with `Accept-Encoding: gzip` on a connection of its own. Then once more with no spread: every
  socket at the same moment, the worst case.
- **frame** (the alternative): one event that carries every revealed note, handed to the
  process's own hub (`Hub.publish`), which encodes it once per role and writes the same frame to
  every socket, as it does any event. A route that only this bench process has triggers it.

For each: bytes each socket received for it (the frame, or the reveal event plus the HTTP
answer), the server process's CPU time (user + system, /proc) from the trigger until the last
socket had everything, the wall time of the same, and the server's largest resident memory
while it ran (sampled every 20 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from board.bench.http1 import ACCEPT_ENCODING, Pool  # noqa: E402
from board.bench.wire import TEXT, frames, masked_text_frame, upgrade_request  # noqa: E402

ADMIN = "reveal-bench-admin-token-0123456789"
ENV = {
    "BOARD_ADMIN_TOKEN": ADMIN,
    "BOARD_NOTES_PER_MINUTE": "0",
    "BOARD_JOINS_PER_MINUTE_PER_IP": "0",
    "BOARD_SOCKETS_PER_MINUTE_PER_IP": "0",
    "BOARD_SOCKETS_PER_IP": "0",
}
FRAME_KIND = b'"kind":"bench.frame"'
REVEAL_KIND = b'"kind":"board.reveal"'
TICKS = os.sysconf("SC_CLK_TCK")
# Bodies are runs of real prose (the UN's target texts that ship with the board, from a seeded
# random place: the same notes every run), so the notes differ as real ones do: the same
# sentence a thousand times would compress far better than any board.
PROSE = " ".join(
    target["text"]["en"]
    for target in json.loads((ROOT / "board" / "data" / "sdg-targets.json").read_text("utf-8"))
).split()
BODY_CHARS = 330
GOALS = [([12], ["12.7"]), ([13, 11], ["13.2"]), ([8, 9], ["8.6"]), ([17], []), ([12, 13], [])]


# --- the server process ---------------------------------------------------------------------


def serve(port: int) -> None:
    """The real app, as `board serve` runs it, plus one bench-only route: POST /bench/frame/{slug}
    publishes one event that carries every note everyone sees, through this process's hub."""
    import uvicorn  # noqa: F401  (the server's own dependency)
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from board.app import create_app
    from board.cli.server import BoardServer, raise_fd_limit, uvicorn_config
    from board.domain import boards
    from board.settings import Settings
    from board.store import db
    from board.store.events import Committed

    raise_fd_limit()
    settings = Settings()
    engine = db.create_engine(settings.resolved_database_url)
    db.upgrade(engine)
    engine.dispose()
    app = create_app(settings)

    async def frame(request: Request) -> Response:
        slug = request.path_params["slug"]
        store = request.app.state.context.store
        hub = request.app.state.hub
        rows = await run_in_threadpool(boards.snapshot_rows, store, slug, False)
        view = rows.view()
        data = {"board": view["board"], "revealed": len(view["notes"]), "notes": view["notes"]}
        channel = hub.channels[rows.board_id]
        assert channel.seq is not None
        # The next seq of the channel, so it delivers it at once; nothing follows on this board.
        event = Committed(rows.board_id, channel.seq + 1, "bench.frame", data, "bench.frame", data)
        hub.publish([event])
        return Response(status_code=204)

    app.router.routes.insert(0, Route("/bench/frame/{slug}", frame, methods=["POST"]))
    config = uvicorn_config(app)
    config.port = port
    BoardServer(config).run()


# --- the load ---------------------------------------------------------------------------------


class Socket(asyncio.Protocol):
    """A viewer that counts bytes: when `board.reveal` came (and calls `on_reveal`), and when the
    bench frame had fully arrived."""

    def __init__(self, host: str, path: str, seated: asyncio.Event, counter: list[int]) -> None:
        self.host, self.path, self.seated, self.counter = host, path, seated, counter
        self.buffer = bytearray()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None
        self.received = 0
        self.on_reveal: Any = None
        self.reveal_bytes = 0
        self.frame_bytes = 0
        self.frame_done: float | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(upgrade_request(self.host, self.path))

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            del self.buffer[: end + 4]
            self.upgraded = True
            assert self.transport is not None
            hello = {"type": "hello", "since": None, "token": None}
            self.transport.write(masked_text_frame(json.dumps(hello).encode()))
            self.counter[0] += 1
            if self.counter[0] == self.counter[1]:
                self.seated.set()
        for opcode, payload in frames(self.buffer):
            if opcode != TEXT:
                continue
            size = len(payload) + (2 if len(payload) < 126 else 4 if len(payload) < 65536 else 10)
            if REVEAL_KIND in payload and self.on_reveal is not None:
                self.reveal_bytes = size
                callback, self.on_reveal = self.on_reveal, None
                callback()
            elif FRAME_KIND in payload:
                self.frame_bytes = size
                self.frame_done = time.perf_counter()


@dataclass
class Figures:
    path: str
    sockets: int
    notes: int
    bytes_per_socket: float
    server_cpu_s: float
    wall_s: float
    server_rss_peak_mib: float
    server_rss_before_mib: float


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Sampler:
    """The server's resident memory, sampled every 20 ms while a phase runs."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.task = pid, 0.0, None

    async def _run(self) -> None:
        while True:
            self.peak = max(self.peak, rss_mib(self.pid))
            await asyncio.sleep(0.02)

    def __enter__(self) -> Sampler:
        self.peak = rss_mib(self.pid)
        self.task = asyncio.create_task(self._run())  # type: ignore[assignment]
        return self

    def __exit__(self, *_: object) -> None:
        assert self.task is not None
        self.task.cancel()  # type: ignore[unreachable]


def body(rng: random.Random, number: int) -> str:
    at = rng.randrange(len(PROSE) - 200)
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < BODY_CHARS:
        words.append(PROSE[at + len(words)])
    return f"{' '.join(words)} (nr. {number})"


async def setup(pool: Pool, notes: int) -> tuple[str, str]:
    made = await pool.json("POST", "/api/boards", {"title": "Blind runde (bench)"}, ADMIN)
    board = json.loads(made.content())
    slug, key = board["board"]["slug"], board["moderator_key"]
    await pool.json("PATCH", f"/api/boards/{slug}", {"reveal": "blind"}, key)
    people = []
    for number in range(20):
        joined = await pool.json("POST", f"/api/boards/{slug}/participants", {"name": f"P{number}"})
        people.append(json.loads(joined.content())["token"])

    rng = random.Random(18)  # noqa: S311  (the same notes every run, not a secret)
    bodies = [body(rng, number) for number in range(notes)]

    async def post(number: int) -> None:
        goals, targets = GOALS[number % len(GOALS)]
        note = {
            "client_id": uuid.uuid4().hex,
            "body": bodies[number],
            "sdgs": goals,
            "targets": targets,
        }
        answer = await pool.json("POST", f"/api/boards/{slug}/notes", note, people[number % 20])
        assert answer.status == 201, answer.content()

    for start in range(0, notes, 50):
        await asyncio.gather(*(post(n) for n in range(start, min(start + 50, notes))))
    return slug, key


async def seat(host: str, port: int, slug: str, count: int) -> list[Socket]:
    loop = asyncio.get_running_loop()
    seated = asyncio.Event()
    counter = [0, count]
    sockets: list[Socket] = []
    for _ in range(count):
        _, protocol = await loop.create_connection(
            lambda: Socket(f"{host}:{port}", f"/ws/boards/{slug}", seated, counter), host, port
        )
        sockets.append(protocol)
    await asyncio.wait_for(seated.wait(), 60)
    await asyncio.sleep(1.0)  # the welcomes and presence are in; what comes now is the phase's
    return sockets


async def snapshot_phase(
    host: str, port: int, pid: int, slug: str, key: str, sockets: list[Socket], spread: float
) -> Figures:
    """Reveal; each socket fetches the snapshot after a random wait of up to `spread` s."""
    pool = Pool(host, port, len(sockets) + 1, 60)
    fetched: list[float] = []
    answers: list[int] = []

    async def fetch(viewer: Socket) -> None:
        await asyncio.sleep(random.uniform(0, spread))  # noqa: S311
        headers = {"Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING}
        response = await pool.request("GET", f"/api/boards/{slug}", headers)
        assert response.status == 200, response.status
        answers.append(viewer.reveal_bytes + response.wire)
        fetched.append(time.perf_counter())

    tasks: list[asyncio.Task[None]] = []
    for viewer in sockets:
        viewer.on_reveal = lambda s=viewer: tasks.append(asyncio.create_task(fetch(s)))
    control = Pool(host, port, 1, 60)
    before = rss_mib(pid)
    with Sampler(pid) as memory:
        cpu, started = cpu_seconds(pid), time.perf_counter()
        answer = await control.json("PATCH", f"/api/boards/{slug}", {"reveal": "instant"}, key)
        assert answer.status == 200
        while len(tasks) < len(sockets):
            await asyncio.sleep(0.01)
        await asyncio.gather(*tasks)
        wall, used = max(fetched) - started, cpu_seconds(pid) - cpu
        peak = memory.peak
    pool.close()
    control.close()
    return Figures(
        f"snapshot, spread {spread:g} s",
        len(sockets),
        0,
        statistics.mean(answers),
        used,
        wall,
        peak,
        before,
    )


async def frame_phase(host: str, port: int, pid: int, slug: str, sockets: list[Socket]) -> Figures:
    """One frame of every note to every socket, through the hub."""
    control = Pool(host, port, 1, 60)
    with Sampler(pid) as memory:
        before = rss_mib(pid)
        cpu, started = cpu_seconds(pid), time.perf_counter()
        answer = await control.request("POST", f"/bench/frame/{slug}")
        assert answer.status == 204, answer.status
        deadline = time.monotonic() + 120
        while any(s.frame_done is None for s in sockets):
            assert time.monotonic() < deadline, "the frame did not reach every socket"
            await asyncio.sleep(0.01)
        done = max(s.frame_done for s in sockets if s.frame_done is not None)
        wall, used = done - started, cpu_seconds(pid) - cpu
        peak = memory.peak
    control.close()
    sizes = [s.frame_bytes for s in sockets]
    return Figures("one frame", len(sockets), 0, statistics.mean(sizes), used, wall, peak, before)


async def measure(port: int, pid: int, notes: int, count: int, spread: float) -> list[Figures]:
    host = "127.0.0.1"
    pool = Pool(host, port, 50, 60)
    slug, key = await setup(pool, notes)
    pool.close()
    sockets = await seat(host, port, slug, count)
    results = [await snapshot_phase(host, port, pid, slug, key, sockets, spread)]
    # Once more, every socket at the same moment: the board blind again, a note, the reveal.
    again = Pool(host, port, 1, 60)
    await again.json("PATCH", f"/api/boards/{slug}", {"reveal": "blind"}, key)
    again.close()
    await asyncio.sleep(1.0)
    results.append(await snapshot_phase(host, port, pid, slug, key, sockets, 0.0))
    await asyncio.sleep(1.0)
    results.append(await frame_phase(host, port, pid, slug, sockets))
    for figures in results:
        figures.notes = notes
    for viewer in sockets:
        assert viewer.transport is not None
        viewer.transport.close()
    return results


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "the bench server exited"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError("the bench server did not answer /healthz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--spread", type=float, default=2.0)
    parser.add_argument("--json", help="Also write the figures to this file.")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    from board.cli.server import raise_fd_limit

    raise_fd_limit()
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, **ENV, "BOARD_DATA_DIR": data, "PYTHONUNBUFFERED": "1"}
        log = open(Path(data) / "server.log", "wb")  # noqa: SIM115
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port)], env=env, stdout=log, stderr=log
        )
        try:
            wait_healthy(port, server)
            results = asyncio.run(measure(port, server.pid, args.notes, args.sockets, args.spread))
        finally:
            server.terminate()
            server.wait(15)
            log.close()
    for f in results:
        print(
            f"{f.path:>22}: {f.sockets} sockets, {f.notes} notes: "
            f"{f.bytes_per_socket / 1024:7.1f} KiB per socket, "
            f"server CPU {f.server_cpu_s:5.2f} s, wall {f.wall_s:5.2f} s, "
            f"server RSS {f.server_rss_before_mib:.0f} → peak {f.server_rss_peak_mib:.0f} MiB"
        )
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(f) for f in results], indent=2))


if __name__ == "__main__":
    main()
