"""The JSON backup: a whole board written to a file, and a file made into a board again.

The file is an `Archive` (archive.py) as JSON, format "sdg-pinboard-backup", version 1. Import
checks the whole file before it writes anything, then recreates the board in one transaction with
new ids and a new moderator key (keys and tokens are never in a backup, so participants who come
back join again).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session, SQLModel, select

from . import tokens
from .archive import FORMAT, VERSION, Archive
from .boards import OWNER_KEY_NAME
from .db import Store
from .errors import ApiError
from .http import describe
from .models import Board, Comment, ModeratorKey, Note, Participant, Section


class BadBackup(Exception):
    """A file that is not a backup this version can import; the message says why, in one line."""


def dump(archive: Archive) -> bytes:
    """The backup file's bytes: deterministic (same board, same bytes), UTF-8, one final LF."""
    return archive.model_dump_json(indent=2).encode("utf-8") + b"\n"


def parse(raw: bytes) -> Archive:
    """Check a backup file completely; raises BadBackup with a one-line reason."""
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise BadBackup("not UTF-8 text") from None
    except (ValueError, RecursionError) as exc:
        raise BadBackup(f"not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BadBackup(f'not an SDG Pinboard backup (no "format": "{FORMAT}")')
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BadBackup("version must be a whole number from 1 up")
    if version > VERSION:
        raise BadBackup(
            f"a version {version} backup, newer than this SDG Pinboard reads "
            f"(version {VERSION}): upgrade SDG Pinboard to import it"
        )
    try:
        return Archive.model_validate_json(raw)
    except ValidationError as exc:
        raise BadBackup(f"not a valid backup: {describe(exc)}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def restore(store: Store, archive: Archive, slug: str | None = None) -> tuple[Board, str]:
    """Create the archived board (under `slug` if given) in one transaction.

    Returns the new board and its moderator key (shown once). A slug in use is a 409.
    """
    slug = slug or archive.board.slug
    key = tokens.new_token()
    taken = ApiError(
        409, "slug_taken", f"a board with slug {slug!r} exists; import it under another: --slug NEW"
    )
    try:
        with store.write() as session:
            if session.exec(select(Board.id).where(Board.slug == slug)).first() is not None:
                raise taken
            fields = archive.board.model_dump(exclude={"slug", "created_at", "updated_at"})
            board = Board(
                slug=slug,
                **fields,
                created_at=_utc(archive.board.created_at),
                updated_at=_utc(archive.board.updated_at),
            )
            session.add(board)
            session.flush()
            assert board.id is not None
            session.add(
                ModeratorKey(
                    board_id=board.id, name=OWNER_KEY_NAME, key_hash=tokens.hash_token(key)
                )
            )
            sections = _insert(
                session,
                {s.id: Section(board_id=board.id, title=s.title, position=s.position)
                 for s in archive.sections},
            )  # fmt: skip
            people = _insert(
                session,
                {
                    p.id: Participant(
                        board_id=board.id,
                        name=p.name,
                        created_at=_utc(p.created_at),
                        erased_at=_utc_or_none(p.erased_at),
                    )
                    for p in archive.participants
                },
            )
            notes = _insert(
                session,
                {
                    n.id: Note(
                        board_id=board.id,
                        client_id=n.client_id,
                        section_id=None if n.section_id is None else sections[n.section_id],
                        author_id=None if n.author.id is None else people[n.author.id],
                        author_name=n.author.name,
                        body=n.body,
                        link=n.link,
                        sdgs=list(n.sdgs),
                        color=n.color,
                        status=n.status,
                        pinned=n.pinned,
                        position=n.position,
                        likes=n.likes,
                        version=n.version,
                        created_at=_utc(n.created_at),
                        updated_at=_utc(n.updated_at),
                        deleted_at=_utc_or_none(n.deleted_at),
                    )
                    for n in archive.notes
                },
            )
            session.add_all(
                Comment(
                    board_id=board.id,
                    note_id=notes[n.id],
                    author_id=None if c.author.id is None else people[c.author.id],
                    author_name=c.author.name,
                    body=c.body,
                    created_at=_utc(c.created_at),
                    deleted_at=_utc_or_none(c.deleted_at),
                )
                for n in archive.notes
                for c in n.comments
            )
    except sa.exc.IntegrityError:
        # Another process made a board with this slug between the check and the commit.
        raise taken from None
    return board, key


def _insert(session: Session, rows: dict[int, SQLModel]) -> dict[int, int]:
    """Insert rows in the file's order (so new ids keep it); returns old id → new id."""
    session.add_all(rows.values())
    session.flush()
    return {old: row.id for old, row in rows.items()}  # type: ignore[attr-defined]


def _utc(value: datetime) -> datetime:
    # SQLite keeps the wall time it is given and drops the zone: store UTC, as the app does.
    return value.astimezone(UTC)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)
