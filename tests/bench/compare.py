"""Fan-out figures as ratios: `board serve` against the bare `websockets` floor, in one run.

    .venv/bin/python tests/bench/compare.py [--viewers 1000 5000 10000] [--repeat 3]

For each audience size and each repeat it starts a fresh server of each kind, runs
`board bench` against it (50 notes of 300 B at 10/s), and prints the median p99 of each and their
ratio. Servers are stopped after each run; every run has the bench's own deadlines.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
ADMIN = "bench-admin-token-0123456789"
# A load generator is one address with one token per poster: the rate limits are off for it.
NO_LIMITS = {
    f"BOARD_{name}": "0"
    for name in (
        "NOTES_PER_MINUTE",
        "JOINS_PER_MINUTE_PER_IP",
        "SOCKETS_PER_MINUTE_PER_IP",
        "SOCKETS_PER_IP",
    )
}


def bench(url: str, viewers: int, pid: int, extra: list[str]) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            [
                str(BIN / "board"),
                "bench",
                "--url",
                url,
                "--viewers",
                str(viewers),
                "--notes",
                "50",
                "--rate",
                "10",
                "--server-pid",
                str(pid),
                "--timeout",
                "90",
                "--json",
                out.name,
                *extra,
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        figures = json.loads(Path(out.name).read_text())
    return {
        "p99": figures["latency_ms"]["p99"],
        "p50": figures["latency_ms"]["p50"],
        "lost": figures["lost"],
        "seat_s": figures["seat_seconds"],
        "rss_mib": figures["server_rss_mib"],
    }


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(2.5)  # both servers answer well within this on this machine
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def run_pair(viewers: int) -> tuple[dict[str, float], dict[str, float]]:
    bare = start(
        [
            sys.executable,
            str(HERE / "bare_broadcast.py"),
            "--ws-port",
            "8765",
            "--http-port",
            "8766",
        ],
        dict(os.environ),
    )
    try:
        floor = bench(
            "http://127.0.0.1:8766",
            viewers,
            bare.pid,
            ["--ws-url", "http://127.0.0.1:8765", "--slug", "bare"],
        )
    finally:
        stop(bare)
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "BOARD_DATA_DIR": data, "BOARD_ADMIN_TOKEN": ADMIN, **NO_LIMITS}
        server = start([str(BIN / "board"), "serve", "--port", "8767"], env)
        try:
            board = bench("http://127.0.0.1:8767", viewers, server.pid, ["--admin-token", ADMIN])
        finally:
            stop(server)
    return floor, board


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| viewers | bare websockets p99 | board serve p99 | ratio | board p50 | seat | lost |")
    print("|---|---|---|---|---|---|---|")
    for viewers in args.viewers:
        runs = [run_pair(viewers) for _ in range(args.repeat)]
        floor = statistics.median(f["p99"] for f, _ in runs)
        board = statistics.median(b["p99"] for _, b in runs)
        p50 = statistics.median(b["p50"] for _, b in runs)
        seat = statistics.median(b["seat_s"] for _, b in runs)
        lost = sum(f["lost"] + b["lost"] for f, b in runs)
        print(
            f"| {viewers:,} | {floor:.0f} ms | {board:.0f} ms | {board / floor:.2f}x "
            f"| {p50:.0f} ms | {seat:.1f} s | {lost} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
