"""The directory where the workers of `board serve --workers N` keep their metrics.

prometheus_client's multi-process mode: each worker writes its counters to memory-mapped files
in one directory, and a scrape answered by any worker sums them all (board/metrics.py). The
library decides the mode when it is first imported, from `PROMETHEUS_MULTIPROC_DIR`, so the
variable must be set before anything imports board.metrics, in this process and in the workers
it spawns (they inherit the environment). The directory is fresh for every start, so no file of
an earlier run is summed in, and removed when the server stops.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

# prometheus_client's name for it (board.metrics.MULTIPROC_ENV: not imported here, see above).
ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def metrics_directory(shared: bool) -> Iterator[str | None]:
    """A fresh directory in `PROMETHEUS_MULTIPROC_DIR` while the block runs, when `shared`
    (several workers and a metrics token); otherwise the variable is unset, so one process
    counts in memory, whatever the environment had."""
    os.environ.pop(ENV, None)
    if not shared:
        yield None
        return
    directory = tempfile.mkdtemp(prefix="board-metrics-")
    os.environ[ENV] = directory
    try:
        yield directory
    finally:
        os.environ.pop(ENV, None)
        shutil.rmtree(directory, ignore_errors=True)
