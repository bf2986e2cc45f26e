"""A whole board as plain data: what the Markdown export renders and the JSON backup holds.

Plain dicts with static types (TypedDict), read from the database in five queries: a board of
10,000 notes and 20,000 comments reads in a fraction of a second, which validated objects would
not. The JSON backup is this data as it is (backup.py checks a file against the same shape before
importing it). Ids are the database's and change on import; references between records use them.
Timestamps are aware datetimes in UTC.

These records are the archive's own format, kept here with their types; the API's shapes live in
domain/views.py, which also gives the archive its authors and its UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, TypedDict

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from board.domain.access import Credentials, authorised, load_board, require_moderator
from board.domain.views import Author, author, utc
from board.store.db import Store
from board.store.models import Audit, Board, Comment, Note, Participant, Section

FORMAT: Final = "sdg-pinboard-backup"
# 2: notes have `targets` (#8). 3: the audit trail, bans, flags, word filter, retention (#7).
# 4: the board's join `code` (#17). 5: the board's `reveal` and held notes (#18). Older files,
# without them, still import.
VERSION: Final = 5


# The archive names authors as the API does.
AuthorData = Author


class CommentData(TypedDict):
    id: int
    author: AuthorData
    body: str
    created_at: datetime
    deleted_at: datetime | None


class NoteData(TypedDict):
    id: int
    client_id: str
    section_id: int | None
    author: AuthorData
    body: str
    link: str | None
    sdgs: list[int]
    targets: list[str]
    color: str
    status: str
    pinned: bool
    position: float
    likes: int
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    flag_reason: str | None  # why the word filter held it (moderators' eyes only)
    edited_by_moderator: bool
    held: bool  # held by a blind round, not revealed yet
    comments: list[CommentData]


class SectionData(TypedDict):
    id: int
    title: str
    position: int


class ParticipantData(TypedDict):
    id: int
    name: str
    created_at: datetime
    erased_at: datetime | None
    banned_at: datetime | None


class BoardData(TypedDict):
    slug: str
    code: str | None  # None: a backup from before join codes (version 3 and older)
    title: str
    description: str
    locale: str
    moderation: str
    locked: bool
    require_sdg: bool
    timezone: str
    word_filter: list[str]
    retention_days: int | None
    reveal: str  # "blind" while a blind round holds new notes back
    created_at: datetime
    updated_at: datetime
    seq: int


class AuditData(TypedDict):
    id: int
    at: datetime
    moderator: str  # the key's name
    action: str
    note_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class Archive(TypedDict):
    """One board with everything on it. Tokens and key hashes are never part of it."""

    format: str
    version: int
    board: BoardData
    sections: list[SectionData]
    participants: list[ParticipantData]
    notes: list[NoteData]
    audit: list[AuditData]  # oldest first


def read(store: Store, slug: str) -> Archive:
    """The board `slug` with everything on it, hidden and deleted notes included."""
    with store.read() as session:
        return collect(session, load_board(session, slug))


def for_moderator(store: Store, slug: str, creds: Credentials) -> Archive:
    """As `read`, for the HTTP exports: only for a moderator of the board (401, 403, 404)."""
    with store.read(patient=True) as session:
        board, _actor = authorised(session, slug, creds, require_moderator)
        return collect(session, board)


def collect(session: Session, board: Board) -> Archive:
    """Read the board's sections, participants, notes, comments and audit trail in five queries."""
    sections: list[SectionData] = [
        {"id": i, "title": title, "position": position}
        for i, title, position in _rows(session, Section, board, "id", "title", "position")
    ]
    participants: list[ParticipantData] = [
        {
            "id": i,
            "name": name,
            "created_at": utc(created),
            "erased_at": _utc_or_none(erased),
            "banned_at": _utc_or_none(banned),
        }
        for i, name, created, erased, banned in _rows(
            session, Participant, board, "id", "name", "created_at", "erased_at", "banned_at"
        )
    ]
    comments: dict[int, list[CommentData]] = {}
    for i, note_id, author_id, author_name, body, created, deleted in _rows(
        session, Comment, board, "id", "note_id", "author_id", "author_name", "body",
        "created_at", "deleted_at",
    ):  # fmt: skip
        comments.setdefault(note_id, []).append(
            {
                "id": i,
                "author": author(author_id, author_name),
                "body": body,
                "created_at": utc(created),
                "deleted_at": _utc_or_none(deleted),
            }
        )
    notes: list[NoteData] = [
        {
            "id": row[0],
            "client_id": row[1],
            "section_id": row[2],
            "author": author(row[3], row[4]),
            "body": row[5],
            "link": row[6],
            "sdgs": list(row[7]),
            "targets": list(row[8]),
            "color": row[9],
            "status": row[10],
            "pinned": row[11],
            "position": float(row[12]),
            "likes": row[13],
            "version": row[14],
            "created_at": utc(row[15]),
            "updated_at": utc(row[16]),
            "deleted_at": _utc_or_none(row[17]),
            "flag_reason": row[18],
            "edited_by_moderator": row[19],
            "held": row[20],
            "comments": comments.get(row[0], []),
        }
        for row in _rows(
            session, Note, board, "id", "client_id", "section_id", "author_id", "author_name",
            "body", "link", "sdgs", "targets", "color", "status", "pinned", "position", "likes",
            "version", "created_at", "updated_at", "deleted_at", "flag_reason",
            "edited_by_moderator", "held",
        )
    ]  # fmt: skip
    audit: list[AuditData] = [
        {
            "id": i,
            "at": utc(at),
            "moderator": moderator,
            "action": action,
            "note_id": note_id,
            "before": before,
            "after": after,
        }
        for i, at, moderator, action, note_id, before, after in _rows(
            session, Audit, board, "id", "at", "moderator", "action", "note_id", "before", "after"
        )
    ]
    assert board.id is not None
    return {
        "format": FORMAT,
        "version": VERSION,
        "board": {
            "slug": board.slug,
            "code": board.code,
            "title": board.title,
            "description": board.description,
            "locale": board.locale,
            "moderation": board.moderation,
            "locked": board.locked,
            "require_sdg": board.require_sdg,
            "timezone": board.timezone,
            "word_filter": list(board.word_filter),
            "retention_days": board.retention_days,
            "reveal": board.reveal,
            "created_at": utc(board.created_at),
            "updated_at": utc(board.updated_at),
            "seq": board.seq,
        },
        "sections": sections,
        "participants": participants,
        "notes": notes,
        "audit": audit,
    }


def _rows(session: Session, model: type[SQLModel], board: Board, *columns: str) -> list[Any]:
    """The given columns of `model`'s rows on `board` as tuples, in the order the archive keeps."""
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    order = [table.c.position, table.c.id] if model is Section else [table.c.id]
    statement = (
        sa.select(*(table.c[name] for name in columns))
        .where(table.c.board_id == board.id)
        .order_by(*order)
    )
    return list(session.execute(statement))


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)
