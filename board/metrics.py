"""The server's Prometheus metrics: every metric object, and the text a scrape of `/metrics` gets.

The objects are module-level because prometheus_client's registry is global by design: a
metric is registered once per process, whatever the number of apps a test builds. Importing this
module starts nothing (no thread, no HTTP server, no file); it only defines the objects, and
`exposition()` reads them when a scrape asks (the route is board/web/scrape.py, added only when
`BOARD_METRICS_TOKEN` is set).

One process counts in memory. Under `board serve --workers N` every worker counts in files of
a shared directory (prometheus_client's multi-process mode), so that one scrape, answered by any
worker, sums them all. prometheus_client decides the mode when it is first imported, from
`PROMETHEUS_MULTIPROC_DIR`: `board serve` sets it (board/cli/multiprocess.py) before anything
imports this module, and each worker inherits it. Gauges therefore say how processes combine
(`multiprocess_mode`): open sockets add up over the live workers (`livesum`).

Names and labels follow Prometheus' conventions: base units (`_seconds`, `_bytes`), counters end
in `_total`, and every label has a small, fixed set of values; never a board, token or address.
docs/metrics.md lists them all (tests/test_metrics.py fails on a metric it does not name).

The hot path counts in plain integers and hands them over once per fan-out (`board/live/hub.py`
`Tally`): an `inc()` takes a lock, and in multi-process mode writes a memory-mapped file.
"""

from __future__ import annotations

import glob
import os

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Read when prometheus_client is (it is imported just above): the mode it chose.
MULTIPROC_DIR = os.environ.get(MULTIPROC_ENV) or None
# The text format every Prometheus reads; `generate_latest` writes it for names like ours
# (ASCII), whatever newer format its release announces by default.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# No `_created` series beside each counter and histogram: they would double the series, and
# rate() and increase() already allow for a process that started again. Before any metric below.
disable_created_metrics()  # type: ignore[no-untyped-call]

# The values each label takes (bounded: see the module docstring).
ROLES = ("viewer", "participant", "moderator")
CLOSE_CODES = ("1008", "1012", "1013")
NOTE_OUTCOMES = (
    "created",  # 201
    "repeated",  # 200: the same client_id (or text) again, nothing new made
    "invalid",  # 400, 413, 422
    "denied",  # 401, 403: no or a bad token, banned, the board closed to posts
    "not_found",  # 404
    "rate_limited",  # 429
    "unavailable",  # 503: the database is away
    "error",  # anything else (a 5xx)
)
LIMIT_KINDS = ("notes", "comments", "likes", "joins", "sockets", "suggestions", "open_sockets")
PUBLISH_RESULTS = ("sent", "failed", "dropped")

websockets_open = Gauge(
    "board_websockets_open",
    "Live WebSockets past their hello, by role",
    ["role"],
    multiprocess_mode="livesum",
)
live_events = Counter(
    "board_live_events_total",
    "Events the hub delivered to a board's channel in this process (once per event and board, "
    "however many sockets follow it)",
)
frames_sent = Counter(
    "board_websocket_frames_total", "WebSocket frames written to sockets (one per socket per batch)"
)
bytes_sent = Counter(
    "board_websocket_sent_bytes_total", "Bytes of the WebSocket frames written to sockets"
)
websocket_closes = Counter(
    "board_websocket_closes_total",
    "WebSockets the server closed, by close code: 1008 policy (origin, limits, a bad hello, "
    "access revoked), 1012 restart, 1013 too slow",
    ["code"],
)
queue_depth = Histogram(
    "board_websocket_queue_depth",
    "Messages waiting in the deepest socket queue a batch of events was queued to, once per "
    "fan-out (sampled: not per socket)",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000),
)
note_posts = Counter(
    "board_note_posts_total", "Answers to POST /api/boards/{slug}/notes, by outcome", ["outcome"]
)
note_post_seconds = Histogram(
    "board_note_post_seconds",
    "Time to answer a note post that made or found its note (created or repeated): parse, limit, "
    "write and commit",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
group_commit_writes = Histogram(
    "board_group_commit_writes",
    "Writes per SQLite group commit",
    buckets=(1, 2, 4, 8, 16, 32, 64),
)
group_commit_seconds = Histogram(
    "board_group_commit_seconds",
    "Time to run and commit one SQLite group of writes",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)
relay_publishes = Counter(
    "board_relay_publishes_total",
    "Messages of committed events for the other processes, by result: sent to Redis, failed "
    "(Redis away), dropped (the outbox was full)",
    ["result"],
)
relay_reconnects = Counter(
    "board_relay_reconnects_total",
    "Times the Redis subscriber lost (or could not get) its subscription and retried",
)
gap_fills = Counter(
    "board_live_gap_filled_events_total",
    "Events a channel read from the database because they had not reached it live (a seq "
    "jump, or the periodic resync with Redis)",
)
rate_limited = Counter(
    "board_rate_limited_total",
    "Requests and sockets refused by a rate limit (429, or close 1008 for sockets), by kind",
    ["kind"],
)
snapshot_hits = Counter(
    "board_snapshot_cache_hits_total",
    "Snapshot requests answered from the shared cache without waiting for a build",
)
snapshot_builds = Counter(
    "board_snapshot_builds_total", "Snapshot builds (one per board and role class at a time)"
)
database_unavailable = Gauge(
    "board_database_unavailable",
    "1 while this process counts the database as away (every request that needs it is a 503)",
    multiprocess_mode="livemax",
)

# Every labelled series exists from the start at 0: a rate() over a series that appears only
# with its first event misses that event, and an alert on it would fire late.
for _role in ROLES:
    websockets_open.labels(_role)
for _code in CLOSE_CODES:
    websocket_closes.labels(_code)
for _outcome in NOTE_OUTCOMES:
    note_posts.labels(_outcome)
for _kind in LIMIT_KINDS:
    rate_limited.labels(_kind)
for _result in PUBLISH_RESULTS:
    relay_publishes.labels(_result)


def exposition() -> bytes:
    """What a scrape gets: this process's metrics, or every worker's summed in multi-process
    mode (reading their files: call it off the event loop)."""
    if MULTIPROC_DIR is None:
        return generate_latest(REGISTRY)
    forget_dead_processes(MULTIPROC_DIR)
    registry = CollectorRegistry()
    _multiprocess.MultiProcessCollector(registry, path=MULTIPROC_DIR)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def forget_dead_processes(directory: str) -> None:
    """Drop the live gauges of workers that are gone (uvicorn replaces a worker that died): a
    worker killed with open sockets would count them forever. Counters and histograms of a
    dead worker stay, as prometheus_client intends: a total never goes down."""
    pids = set()
    for path in glob.glob(os.path.join(directory, "gauge_live*_*.db")):
        number = os.path.basename(path).rsplit("_", 1)[-1].removesuffix(".db")
        if number.isdigit():
            pids.add(int(number))
    for pid in pids:
        if not _alive(pid):
            _multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process by now: not one of our workers
        return False
    return True
