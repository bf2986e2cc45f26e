"""How long do key terms take (#18)? Counting 5,000 notes, and `GET /api/boards/{slug}/terms`.

    .venv/bin/python tests/bench/key_terms.py [--notes 5000] [--boards 1000 5000] [--runs 20]

Counts the key terms of --notes webinar notes (`webinar_notes` in tests/test_terms.py: about 100
characters, bokmål and English), cold (no piece of text remembered) and warm; then fills a board
(SQLite in a temporary folder) for each of --boards and times the endpoint in the real app:
the first answer after a change (the notes read back from the shared snapshot and counted, as
when the board has changed; the snapshot itself is not rebuilt) and a repeat (the kept answer).
Best and median of --runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_terms import webinar_notes

from board.app import create_app
from board.domain import boards, notes, terms
from board.domain.access import Credentials
from board.domain.schemas import BoardCreate, NoteCreate
from board.settings import Settings
from board.store import db
from board.web.key_terms import KeyTerms


def timed(
    runs: int, step: Callable[[], object], before: Callable[[], object] = lambda: None
) -> str:
    times = []
    for _ in range(runs):
        before()
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return f"best {min(times) * 1000:.1f} ms, median {statistics.median(times) * 1000:.1f} ms"


def endpoint(count: int, runs: int) -> None:
    folder = tempfile.mkdtemp()
    store = db.Store(db.create_engine(f"sqlite:///{folder}/board.db"))
    db.upgrade(store.engine)
    view, key = boards.create_board(store, BoardCreate(title="Key terms"))
    slug, creds = view["slug"], Credentials(key, None)
    for index, text in enumerate(webinar_notes(count)):
        spec = NoteCreate(client_id=uuid.uuid4().hex, body=text, sdgs=[12 + index % 2])
        notes.post_note(store, slug, spec, creds)
    with TestClient(create_app(Settings(admin_token="x" * 27), store)) as client:
        # The shared snapshot, as a presenter page makes it; its clock stands still, so the
        # times are the key terms' own, not those of a snapshot rebuilt as it ages.
        client.app.state.snapshots.clock = lambda: 0.0  # type: ignore[attr-defined]
        client.get(f"/api/boards/{slug}")
        cache: KeyTerms = client.app.state.key_terms  # type: ignore[attr-defined]

        def forget() -> None:  # what a change of the board does to the kept answers
            cache._answers.clear()

        def ask() -> None:
            assert client.get(f"/api/boards/{slug}/terms").status_code == 200

        print(
            f"GET …/terms, {count} notes, first answer after a change: {timed(runs, ask, forget)}"
        )
        print(f"GET …/terms, {count} notes, the kept answer: {timed(runs, ask)}")
    store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=5000)
    parser.add_argument("--boards", type=int, nargs="*", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    texts = webinar_notes(args.notes)
    count = lambda: terms.key_terms(texts, 20)  # noqa: E731
    print(f"key_terms, {args.notes} notes, cold: {timed(args.runs, count, terms._PIECES.clear)}")
    print(f"key_terms, {args.notes} notes, warm: {timed(args.runs, count)}")
    for size in args.boards:
        endpoint(size, args.runs)


if __name__ == "__main__":
    main()
