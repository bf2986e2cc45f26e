"""A `board serve` that the fault tests SIGKILL and start again, on one port and the same data.

The same port, because clients keep their base URL across a crash as a browser keeps its page.
Each start is a fresh `servers.serve` (its own log files), so a failed start fails the test with
that start's output.
"""

from __future__ import annotations

import signal
from contextlib import ExitStack
from pathlib import Path

from servers import Server, free_port, serve


class KillableServer:
    """One `board serve` at a time on a fixed port: `start`, `kill` (SIGKILL), `start` again."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.kills = 0
        self.started: list[Server] = []  # every process so far, for its output
        self._running: ExitStack | None = None

    def start(self) -> None:
        assert self._running is None, "already running"
        stack = ExitStack()
        self.started.append(
            stack.enter_context(serve(self.env, port=self.port, log_dir=self.log_dir))
        )
        self._running = stack

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, open requests and sockets are cut mid-way."""
        assert self._running is not None, "not running"
        process = self.started[-1].process
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
        self.kills += 1
        self._running.close()  # serve() sees the process gone and only reaps it
        self._running = None

    def kill_and_restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        """SIGTERM the running process, if any (the end of a test)."""
        if self._running is not None:
            self._running.close()
            self._running = None

    def output(self) -> str:
        return "\n".join(f"=== start {n} ===\n{s.output()}" for n, s in enumerate(self.started))
