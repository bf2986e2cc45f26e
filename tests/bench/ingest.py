"""Notes/s accepted over HTTP: `board serve` against the same server with a database that costs
nothing, in one run, so the figures say how much of a note's cost is the database.

    .venv/bin/python tests/bench/ingest.py [--posters 16] [--notes 3000] [--repeat 3]

Each repeat starts a fresh server of each kind and runs `board bench --ingest` against it (100
viewers seated, every delivery counted). The free-database server is `board serve` whose note
posting only numbers the note and hands its event to the fan-out: the HTTP layer, the writer
thread's hand-off and the fan-out all run as they do for real, and nothing is stored.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from compare import ADMIN, BIN, NO_LIMITS, start, stop  # this folder is on sys.path when run

PORT = 8768


def serve_free_database(port: int) -> None:
    """`board serve`, with posting that stores nothing: the ceiling for any database."""
    from board.cli import main as cli
    from board.domain import notes
    from board.domain.access import board_rules
    from board.domain.views import for_role, note_view
    from board.store import events
    from board.store.events import Committed
    from board.store.models import Note, utcnow

    last: dict[str, int] = {}
    lock = threading.Lock()

    def post_note(store: Any, slug: str, spec: Any, _creds: Any) -> tuple[dict[str, Any], bool]:
        with lock:
            if not last:
                with store.read() as session:
                    board = board_rules(session, slug)
                    last.update(board=board.id, seq=events.current_seq(session, board.id))
            last["seq"] += 1
            seq = last["seq"]
        now = utcnow()
        note = Note(
            id=seq,
            board_id=last["board"],
            client_id=spec.client_id,
            author_name="bench",
            body=spec.body,
            status="visible",
            created_at=now,
            updated_at=now,
        )
        view = for_role(note_view(note, []), False)
        # The same hand-off as a real write: the group commit publishes it after its COMMIT.
        store._open.events.append(
            Committed(last["board"], seq, "note.upsert", view, "note.upsert", view)
        )
        return view, True

    notes.post_note = post_note  # type: ignore[assignment]
    sys.argv = ["board", "serve", "--port", str(port)]
    cli.main()


def ingest(command: list[str], posters: int, total: int) -> float:
    with tempfile.TemporaryDirectory() as data, tempfile.NamedTemporaryFile(suffix=".json") as out:
        env = {**os.environ, "BOARD_DATA_DIR": data, "BOARD_ADMIN_TOKEN": ADMIN, **NO_LIMITS}
        server = start(command, env)
        try:
            subprocess.run(
                [
                    str(BIN / "board"),
                    "bench",
                    "--url",
                    f"http://127.0.0.1:{PORT}",
                    "--admin-token",
                    ADMIN,
                    "--ingest",
                    str(posters),
                    "--notes",
                    str(total),
                    "--json",
                    out.name,
                ],
                check=True,
                capture_output=True,
                timeout=300,
            )
        finally:
            stop(server)
        figures = json.loads(Path(out.name).read_text())
    assert figures["lost"] == 0, f"{figures['lost']} deliveries lost"
    return float(figures["notes_per_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posters", type=int, default=16)
    parser.add_argument("--notes", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--serve-free-database", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_free_database:
        serve_free_database(args.serve_free_database)
        return
    real, free = [], []
    for _ in range(args.repeat):  # alternating, so that drift in the machine hits both alike
        real.append(
            ingest([str(BIN / "board"), "serve", "--port", str(PORT)], args.posters, args.notes)
        )
        free.append(
            ingest(
                [sys.executable, __file__, "--serve-free-database", str(PORT)],
                args.posters,
                args.notes,
            )
        )
    print("| server | notes/s (median) | runs |")
    print("|---|---|---|")
    for name, runs in (("board serve (SQLite)", real), ("database that costs nothing", free)):
        listed = ", ".join(f"{r:.0f}" for r in runs)
        print(f"| {name} | {statistics.median(runs):.0f} | {listed} |")


if __name__ == "__main__":
    main()
