"""What each scenario is asked to do: one frozen dataclass per scenario, built once from
`board bench`'s options (board/cli/bench.py) and read, never changed, by its `run_*`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias


@dataclass(frozen=True, kw_only=True)
class Common:
    """What every scenario is given."""

    url: str  # the server's HTTP address
    slug: str | None  # an existing board; None: create one with admin_token
    admin_token: str | None
    viewers: int  # seated readers, each timing every delivery
    size: int  # a note's body, in characters
    timeout: float  # the deadline of each phase, in seconds


@dataclass(frozen=True, kw_only=True)
class FanoutParameters(Common):
    """Seat the viewers, then post `notes`: at `rate` from one poster, or from `posters` as fast
    as they can (`--ingest`)."""

    ws_url: str | None  # where viewers connect, when not at url
    server_pid: int | None  # a local server process whose CPU and RSS to report
    notes: int
    rate: float  # notes per second, with one poster
    posters: int


@dataclass(frozen=True, kw_only=True)
class ArrivalsParameters(Common):
    """`arrivals` first visits to the board page over `over` seconds, while viewers watch notes
    posted at `rate`."""

    ws_url: str | None
    server_pid: int | None
    arrivals: int
    over: float  # seconds the arrivals spread over
    poisson: bool  # arrive as a Poisson process, not evenly spread
    prefill: int  # notes on the board before the arrivals
    rate: float
    quiet: float  # seconds of notes before the arrivals start: the viewers' baseline
    repeat_visits: int  # arrivals that visit again with their HTTP cache
    leave: bool  # arrivals close their WebSocket once live
    catalogue_url: str | None  # where the page gets the SDG catalogue; None: found


@dataclass(frozen=True, kw_only=True)
class BurstParameters(Common):
    """`burst` participants post one note each, spread over `within` seconds."""

    ws_url: str | None
    server_pid: int | None
    burst: int
    within: float


@dataclass(frozen=True, kw_only=True)
class RestartParameters(Common):
    """Start the server with `server_cmd`, seat viewers, post `notes`, SIGTERM it, start it
    again and post `notes` more."""

    server_cmd: str | None  # a shell command; None: `board serve` on url's port
    notes: int
    rate: float


Parameters: TypeAlias = FanoutParameters | ArrivalsParameters | BurstParameters | RestartParameters
