"""`board bench`: load generators that speak the real protocol, in their own process.

Each scenario is one module with a `run_*` coroutine that takes the scenario's parameters (one
frozen dataclass, `parameters`); the CLI (`board/cli/bench_command.py`) builds them from its
options, runs `scenario(parameters)` and prints the report. Every phase of every scenario has a
deadline; clients are raw-frame protocol speakers (asyncio.Protocol, no task per client where it
can be avoided, no JSON parsing on the hot path).

- `fanout`: seat viewers, post notes, time every delivery (#4).
- `arrivals`: first visits to a busy board, as a browser makes them, while viewers watch (#14).
- `burst`: every participant posts at once, while viewers watch (#14).
- `restart`: SIGTERM and a new process under seated viewers that resume (#14).

Shared parts: `wire` (WebSocket frames), `http1` (a minimal HTTP/1.1 client), `assets` (what a
page loads), `visit` (one visitor and their cache), `viewers` (seated readers), `resume`
(viewers that follow the resume contract), `process` (the server the restart scenario runs),
`posting` (notes and participants), `report` (the figures), `parameters` (what each scenario is
asked to do).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeAlias, TypeVar

from .arrivals import run_arrivals
from .burst import run_burst
from .fanout import run_fanout
from .parameters import (
    ArrivalsParameters,
    BurstParameters,
    FanoutParameters,
    Parameters,
    RestartParameters,
)
from .report import ArrivalsReport, BurstReport, FanoutReport, RestartReport
from .restart import run_restart

__all__ = ["Report", "run", "run_arrivals", "run_burst", "run_fanout", "run_restart", "scenario"]

T = TypeVar("T")
Report: TypeAlias = FanoutReport | ArrivalsReport | BurstReport | RestartReport


def scenario(parameters: Parameters) -> Coroutine[Any, Any, Report]:
    """The scenario these parameters are for, ready to `run`."""
    match parameters:
        case FanoutParameters():
            return run_fanout(parameters)
        case ArrivalsParameters():
            return run_arrivals(parameters)
        case BurstParameters():
            return run_burst(parameters)
        case RestartParameters():
            return run_restart(parameters)


def run(scenario: Coroutine[Any, Any, T]) -> T:
    """Run a scenario on uvloop, as the server runs: with thousands of sockets the load
    generator's own loop must not be what the figures measure (asyncio's costs 2-3x more per
    frame received). uvloop comes with uvicorn[standard] wherever it builds (not on Windows)."""
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:
        pass
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(scenario)
