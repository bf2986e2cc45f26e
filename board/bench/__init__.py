"""`board bench`: load generators that speak the real protocol, in their own process.

Each scenario is one module; the CLI (`board/cli.py`, `bench`) calls its `run_*` coroutine and
prints its report. Every phase of every scenario has a deadline; clients are raw-frame
protocol speakers (asyncio.Protocol, no task per client where it can be avoided, no JSON
parsing on the hot path).

- `fanout`: seat viewers, post notes, time every delivery (#4).
- `arrivals`: first visits to a busy board, as a browser makes them, while viewers watch (#14).
- `burst`: every participant posts at once, while viewers watch (#14).
- `restart`: SIGTERM and a new process under seated viewers that resume (#14).

Shared parts: `wire` (WebSocket frames), `http1` (a minimal HTTP/1.1 client), `assets` (what a
page loads), `visit` (one visitor and their cache), `viewers` (seated readers), `resume`
(viewers that follow the resume contract), `process` (the server the restart scenario runs),
`posting` (notes and participants), `report` (the figures).
"""

from .arrivals import run_arrivals
from .burst import run_burst
from .fanout import run_fanout
from .restart import run_restart

__all__ = ["run_arrivals", "run_burst", "run_fanout", "run_restart"]
