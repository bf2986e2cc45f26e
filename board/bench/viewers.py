"""Seated viewers: raw-frame readers that note when each bench note reached them, and nothing else.

A viewer is an asyncio.Protocol (no task, no JSON parsing): every note carries a marker
`bench-n000042` in its body, and a viewer only scans the bytes of each frame for markers, so ten
thousand of them cost the load generator little.
"""

from __future__ import annotations

import asyncio
import json
import time
from array import array
from collections.abc import Callable, Iterable
from typing import Any, cast

from .wire import CLOSE, MARKER, PING, TEXT, frames, masked_pong, masked_text_frame, upgrade_request

SEAT_CONCURRENCY = 200
# The server under test must let one address open thousands of sockets and join and post fast.
LIMITS_OFF = (
    "run the server under test with BOARD_NOTES_PER_MINUTE=0 BOARD_SOCKETS_PER_IP=0 "
    "BOARD_SOCKETS_PER_MINUTE_PER_IP=0 BOARD_JOINS_PER_MINUTE_PER_IP=0 (docs/performance.md)"
)

Record = Callable[[int, float], Any]


class Viewer(asyncio.Protocol):
    """One WebSocket viewer that records when each note marker arrived: `record(number, when)`."""

    def __init__(self, host: str, path: str, record: Record, seated: asyncio.Event) -> None:
        self.host, self.path = host, path
        self.record = record
        self.seated = seated
        self.buffer = bytearray()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None
        self.closed_with: int | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport = cast(asyncio.Transport, transport)  # uvloop's is not one
        transport.write(upgrade_request(self.host, self.path))

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buffer.startswith(b"HTTP/1.1 101"):
                self.closed_with = -1
                self.seated.set()  # let the seating phase see the failure
                return
            del self.buffer[: end + 4]
            self.upgraded = True
            hello = {"type": "hello", "since": None, "token": None}
            assert self.transport is not None
            self.transport.write(masked_text_frame(json.dumps(hello).encode()))
        for opcode, payload in frames(self.buffer):
            if opcode == TEXT:
                if not self.seated.is_set() and b'"welcome"' in payload:
                    self.seated.set()
                for match in MARKER.finditer(payload):
                    self.record(int(match.group(1)), now)
            elif opcode == PING and self.transport is not None:
                self.transport.write(masked_pong(payload))
            elif opcode == CLOSE:
                self.closed_with = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self.seated.set()  # a refused viewer: let the seating phase see it

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closed_with is None:
            self.closed_with = 1006


async def seat(
    host: str, port: int, path: str, records: list[Record], timeout: float
) -> tuple[list[Viewer], float]:
    """Seat one viewer per `records` entry, SEAT_CONCURRENCY at a time; (viewers, seconds).

    RuntimeError when the server refuses one, TimeoutError when they are not all in by `timeout`.
    """
    loop = asyncio.get_running_loop()
    protocols: list[Viewer] = []
    semaphore = asyncio.Semaphore(SEAT_CONCURRENCY)

    async def one(record: Record) -> None:
        async with semaphore:
            seated = asyncio.Event()
            _, protocol = await loop.create_connection(
                lambda: Viewer(f"{host}:{port}", path, record, seated), host, port
            )
            protocols.append(protocol)
            await asyncio.wait_for(seated.wait(), timeout)
            if protocol.closed_with is not None:
                raise RuntimeError(
                    f"the server closed a viewer's connection ({protocol.closed_with}); "
                    f"with 1008 its connection limits refused it: {LIMITS_OFF}"
                )

    start = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*(one(r) for r in records)), timeout)
    except BaseException:
        close(protocols)
        raise
    return protocols, time.perf_counter() - start


def close(viewers: Iterable[Viewer]) -> None:
    for viewer in viewers:
        if viewer.transport is not None:
            viewer.transport.abort()


class Deliveries:
    """When each viewer first saw each numbered note: an array of times per viewer (0: not yet).

    Arrays, not dicts: 2,000 viewers × 1,000 notes is 16 MB instead of 200.
    """

    def __init__(self, viewers: int, notes: int) -> None:
        self.times = [array("d", bytes(8 * notes)) for _ in range(viewers)]
        self.count = 0  # (viewer, note) pairs seen so far

    def recorder(self, index: int) -> Record:
        times = self.times[index]
        size = len(times)

        def record(number: int, when: float) -> None:
            if number < size and not times[number]:
                times[number] = when
                self.count += 1

        return record

    def latencies_ms(self, sent: dict[int, float]) -> list[float]:
        """Every delivery of a note in `sent`, in ms from its POST, sorted."""
        return sorted(
            (times[n] - when) * 1000 for times in self.times for n, when in sent.items() if times[n]
        )

    def missing(self, numbers: Iterable[int]) -> int:
        """(viewer, note) pairs among `numbers` never seen."""
        wanted = list(numbers)
        return sum(1 for times in self.times for n in wanted if not times[n])
