"""The server under test as a process the bench starts, stops and starts again (--restart).

It runs in its own process group, with the bench's environment, and its output goes to a file
(a chatty server can never block on a full pipe); a server that does not come up is reported with
the last line it printed. SIGTERM goes to the whole group, as a service manager sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from .http1 import Connection

STOP_TIMEOUT = 15.0


def default_command(host: str, port: int) -> list[str]:
    """`board serve` from the installation running the bench."""
    board = Path(sys.executable).with_name("board")
    start = (
        [str(board)]
        if board.exists()
        else [sys.executable, "-c", "from board.cli import main; main()"]
    )
    return [*start, "serve", "--host", host, "--port", str(port)]


def running_in_group(group: int) -> bool:
    """Whether a process of the group is still running. Its orphans belong to whoever reaps
    them, if anyone does: a zombie has exited, and counts as gone."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] not in (b"Z", b"X"):
            return True
    return False


class ServerProcess:
    """A `--server-cmd` shell command, or `board serve` itself."""

    def __init__(self, command: str | list[str]) -> None:
        self.command = command
        self.process: asyncio.subprocess.Process | None = None
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the bench)

    async def port_free(self, host: str, port: int) -> None:
        """RuntimeError when something already listens where our server is to listen: the
        figures would be that server's."""
        with contextlib.suppress(OSError):
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1.0)
            writer.close()
            raise RuntimeError(
                f"something already listens on {host}:{port}; --restart starts its own server "
                "there: stop the other one, or give --url another port"
            )

    async def start(self) -> None:
        log, command = self.log, self.command
        if isinstance(command, str):
            self.process = await asyncio.create_subprocess_shell(
                command, stdout=log, stderr=log, start_new_session=True
            )
        else:
            self.process = await asyncio.create_subprocess_exec(
                *command, stdout=log, stderr=log, start_new_session=True
            )

    def last_line(self) -> str:
        self.log.seek(0)
        lines = self.log.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1].strip() if lines else "(no output)"

    async def healthy(self, host: str, port: int, timeout: float) -> float:
        """perf_counter when `GET /healthz` first answered 200; RuntimeError if it never does."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            assert self.process is not None
            if self.process.returncode is not None:
                raise RuntimeError(
                    f"the server exited with {self.process.returncode} before answering "
                    f"/healthz: {self.last_line()}"
                )
            with contextlib.suppress(OSError, TimeoutError):
                connection = await asyncio.wait_for(Connection.open(host, port), 1.0)
                try:
                    response = await asyncio.wait_for(
                        connection.request("GET", "/healthz", {}), 1.0
                    )
                finally:
                    connection.close()
                if response.status == 200:
                    return time.perf_counter()
            await asyncio.sleep(0.01)
        raise RuntimeError(
            f"the server did not answer /healthz within {timeout:g} s: {self.last_line()}"
        )

    async def terminate(self, timeout: float) -> int | None:
        """SIGTERM the group and wait until every process in it has exited; the exit code of
        the one we started (a shell's own code says little, but it is what we have)."""
        assert self.process is not None
        self._signal(signal.SIGTERM)
        try:
            # A shell dies at once while the server it started is still shutting down: the
            # exit that counts is the last process of the group.
            await asyncio.wait_for(self._group_gone(), timeout)
        except TimeoutError:
            self._signal(signal.SIGKILL)
            await self.process.wait()
            raise RuntimeError(
                f"the server did not exit within {timeout:g} s of SIGTERM (killed it)"
            ) from None
        return self.process.returncode

    async def _group_gone(self) -> None:
        assert self.process is not None
        await self.process.wait()
        while self._signal(0) and running_in_group(self.process.pid):
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        """At the end, whatever happened: SIGTERM, and SIGKILL if it lingers."""
        if self.process is not None and running_in_group(self.process.pid):
            with contextlib.suppress(RuntimeError):
                await self.terminate(STOP_TIMEOUT)

    def _signal(self, which: int) -> bool:
        """Send `which` to the group (0: only ask whether it still exists); False: it is gone."""
        assert self.process is not None
        try:
            os.killpg(self.process.pid, which)
        except ProcessLookupError:
            return False
        return True
