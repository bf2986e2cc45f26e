"""How long does exporting a large board take? 10,000 notes with 20,000 comments by default.

    .venv/bin/python tests/bench/export.py [--database-url URL] [--notes 10000] [--comments 20000]

Fills a fresh board (SQLite in a temporary folder unless --database-url is given) with notes of
about 300 characters carrying 0-3 SDGs, some with links, and comments spread over them; then
times, median of --runs: reading the board (archive.read), rendering the Markdown, writing the
spreadsheet (.xlsx), writing the JSON backup, and the whole `board export SLUG -o FILE` command
as a user runs it.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from board.archive import backup, export, spreadsheet
from board.archive import contents as archive
from board.domain.joincode import new_code
from board.store import db
from board.store.models import Board, Comment, Note, Participant, Section

# Norwegian procurement words, with characters the export must escape or keep.
TEXT = (
    "utslippsfrie byggeplasser krav i alle kontrakter fra 2025 sirkulære anskaffelser "
    "gjenbruk leverandørdialog markedsdialog livsløpskostnader # klimagass [DFØ] *viktig* "
    "kommunen fylket staten innovasjon æøå ÆØÅ 🌍 <merk> & 12.7.1 – 50 % av innkjøpene"
)
WORDS = TEXT.split(" ")


def fill(store: db.Store, slug: str, notes: int, comments: int, seed: int = 1) -> None:
    """One board with `notes` notes and `comments` comments, inserted in bulk."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    start = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

    def text(size: int) -> str:
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < size:
            words.append(rng.choice(WORDS))
        return " ".join(words)

    with store.write() as session:
        board = Board(
            slug=slug, code=new_code(), title="Stort webinar om bærekraftige anskaffelser"
        )
        session.add(board)
        session.flush()
        sections = [Section(board_id=board.id, title=f"Kolonne {i}", position=i) for i in range(4)]
        people = [Participant(board_id=board.id, name=f"Deltaker {i}") for i in range(500)]
        session.add_all([*sections, *people])
        session.flush()
        session.execute(
            sa.insert(Note),
            [
                {
                    "board_id": board.id,
                    "client_id": f"c{i}",
                    "section_id": rng.choice(sections).id,
                    "author_id": (who := rng.choice(people)).id,
                    "author_name": who.name,
                    "body": text(300),
                    "link": "https://www.anskaffelser.no/" if i % 7 == 0 else None,
                    "sdgs": sorted(rng.sample(range(1, 18), rng.randint(0, 3))),
                    "likes": rng.randint(0, 40),
                    "pinned": i % 100 == 0,
                    "created_at": start + timedelta(seconds=i),
                    "updated_at": start + timedelta(seconds=i),
                }
                for i in range(notes)
            ],
        )
        ids = list(session.scalars(sa.select(Note.id).where(Note.board_id == board.id)))
        session.execute(
            sa.insert(Comment),
            [
                {
                    "board_id": board.id,
                    "note_id": rng.choice(ids),
                    "author_id": (who := rng.choice(people)).id,
                    "author_name": who.name,
                    "body": text(120),
                    "created_at": start + timedelta(seconds=notes + i),
                }
                for i in range(comments)
            ],
        )


def timed(step: Callable[[], object], runs: int) -> float:
    """Median seconds of `runs` calls."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        step()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        store = db.Store(db.create_engine(url))
        db.upgrade(store.engine)
        slug = f"bench-{os.getpid()}"
        fill(store, slug, args.notes, args.comments)
        data = archive.read(store, slug)
        options = export.Options(board_url=f"https://pinboard.example.no/b/{slug}")
        text = export.render(data, options)
        workbook = spreadsheet.render(data, spreadsheet.Options())
        print(
            f"{args.notes} notes, {args.comments} comments; Markdown {len(text) / 1e6:.1f} MB, "
            f"spreadsheet {len(workbook) / 1e6:.1f} MB"
        )
        steps = {
            "read the board": lambda: archive.read(store, slug),
            "render Markdown": lambda: export.render(data, options),
            "write spreadsheet": lambda: spreadsheet.render(data, spreadsheet.Options()),
            "write JSON backup": lambda: backup.dump(data),
        }
        for name, step in steps.items():
            print(f"{name:<23}{timed(step, args.runs):.3f} s")
        command = [
            str(Path(sys.executable).with_name("board")),
            "export",
            slug,
            "-o",
            f"{folder}/out.md",
        ]
        environment = {**os.environ, "BOARD_DATABASE_URL": url}

        def cli() -> None:
            subprocess.run(command, env=environment, check=True, timeout=120)

        print(f"`board export` command {timed(cli, args.runs):.3f} s (Python start included)")
        with store.write() as session:  # leave a --database-url as it was
            session.execute(sa.delete(Board).where(Board.slug == slug))
        store.dispose()


if __name__ == "__main__":
    main()
