"""WebSocket lines: one when a socket joins its board and one when it closes, with its role,
close code and how long it lived; a storm of them is summarised.

A deploy closes every socket of a process with 1012 at once, and a webinar's start opens
thousands within seconds: a line each would be thousands of lines in a second. So each kind
(opened, closed) gets at most ONE_BY_ONE lines of its own per WINDOW seconds; the sockets beyond
them are counted, and one line at the end of the window says how many, by close code and role,
with how long they lived. A quiet board shows every socket; a storm is a few lines a second,
and every socket is in one line or one count. No names, tokens or keys: the role only.

Runs on the event loop (`app.state.socket_log`).
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from collections import Counter
from collections.abc import Callable

log = logging.getLogger("board.websockets")

ONE_BY_ONE = 10
WINDOW = 1.0


def _counts(counter: Counter[int] | Counter[str]) -> str:
    return ", ".join(f"{key}×{count:,}" for key, count in counter.most_common())


class Window:
    """One kind of line (`opened` or `closed`): how many had their own line in the current
    window, and the tally of those that did not."""

    def __init__(self, event: str, clock: Callable[[], float]) -> None:
        self.event = event
        self.clock = clock
        self.start = float("-inf")
        self.singly = 0
        self.roles: Counter[str] = Counter()
        self.codes: Counter[int] = Counter()
        self.lived: list[float] = []
        self.timer: asyncio.TimerHandle | None = None

    def admit(self) -> bool:
        """Whether the next socket gets a line of its own; if not, the caller counts it."""
        now = self.clock()
        if now - self.start >= WINDOW:
            self.summarise()
            self.start, self.singly = now, 0
        if self.singly < ONE_BY_ONE:
            self.singly += 1
            return True
        if self.timer is None:
            delay = max(0.0, self.start + WINDOW - now)
            self.timer = asyncio.get_running_loop().call_later(delay, self.summarise)
        return False

    def count(self, role: str, code: int | None = None, lived: float | None = None) -> None:
        self.roles[role] += 1
        if code is not None:
            self.codes[code] += 1
        if lived is not None:
            self.lived.append(lived)

    def summarise(self) -> None:
        """The line for the sockets counted in this window, if any."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        total = sum(self.roles.values())
        if not total:
            return
        fields: dict[str, object] = {
            "event": f"{self.event}_summary",
            "count": total,
            "window_s": WINDOW,
            "roles": dict(self.roles),
        }
        text = f"WebSockets {self.event}: {total:,} more in the last {WINDOW:g} s"
        if self.codes:
            fields["codes"] = {str(code): n for code, n in self.codes.items()}
            text += f", by code {_counts(self.codes)}"
        text += f"; {_counts(self.roles)}"
        if self.lived:
            fields["lived_median_s"] = round(statistics.median(self.lived), 1)
            fields["lived_max_s"] = round(max(self.lived), 1)
            text += f"; lived median {fields['lived_median_s']} s, max {fields['lived_max_s']} s"
        log.info("%s", text, extra=fields)
        self.roles.clear()
        self.codes.clear()
        self.lived.clear()


class SocketLog:
    """What the socket endpoint reports: `opened` once a socket has joined its board (its role
    known), `closed` when it has left."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.opening = Window("opened", clock)
        self.closing = Window("closed", clock)

    def opened(self, request_id: str, path: str, role: str) -> None:
        if not self.opening.admit():
            self.opening.count(role)
            return
        log.info(
            "%s WebSocket %s opened: %s",
            request_id,
            path,
            role,
            extra={"event": "open", "request_id": request_id, "path": path, "role": role},
        )

    def closed(self, request_id: str, path: str, role: str, code: int, lived: float) -> None:
        if not self.closing.admit():
            self.closing.count(role, code, lived)
            return
        log.info(
            "%s WebSocket %s closed %d: %s, lived %.1f s",
            request_id,
            path,
            code,
            role,
            lived,
            extra={
                "event": "close",
                "request_id": request_id,
                "path": path,
                "role": role,
                "code": code,
                "lived_s": round(lived, 1),
            },
        )

    def flush(self) -> None:
        """Write what is counted now: at shutdown, after the last sockets closed."""
        self.opening.summarise()
        self.closing.summarise()
