"""What does the hub's fan-out cost per socket, without the network? For the metrics (#19).

    .venv/bin/python tests/bench/fanout_cost.py [--viewers 5000] [--events 200] [--runs 5]
    PYTHONPATH=/path/to/another/checkout .venv/bin/python tests/bench/fanout_cost.py   # its code

One event at a time to --viewers in-process sockets whose write only drops the frame (no system
call, so what the hub itself does per socket is all there is to time), with no hold-back between
fan-outs. Prints the best of --runs medians of --events fan-outs. Run it alternately on two
checkouts to compare them: the difference per socket, set against a real fan-out's cost per
socket (`board bench`), is what the change costs (docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import board
from board.live.hub import Client, Hub
from board.store.events import Committed


async def fan_out(viewers: int, events: int) -> float:
    """The median seconds of one fan-out."""

    async def never(_text: str) -> None:
        raise AssertionError("every socket is writable")

    async def no_read(_board_id: int, _after: int) -> list[Committed]:
        return []

    hub = Hub(no_read)
    for _ in range(viewers):
        client = Client(never, False, 1000, write=lambda _frame: True)
        client.held = False
        channel = hub.join(1, client)
    channel.start_at(0)
    times = []
    for seq in range(1, events + 1):
        note = {"id": seq, "body": "x" * 300}
        started = time.perf_counter()
        hub.publish([Committed(1, seq, "note.upsert", note, "note.upsert", note)])
        times.append(time.perf_counter() - started)
        channel.flush_at = 0.0  # each event its own fan-out: no hold-back
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=5000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    medians = [asyncio.run(fan_out(args.viewers, args.events)) for _ in range(args.runs)]
    best = min(medians)
    print(
        f"{board.__file__}: {args.viewers} sockets, fan-out {best * 1e3:.3f} ms "
        f"({best / args.viewers * 1e6:.3f} µs per socket), best of {args.runs} medians: "
        + ", ".join(f"{m * 1e3:.3f}" for m in medians)
    )


if __name__ == "__main__":
    main()
