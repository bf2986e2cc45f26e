"""A whole board as plain data: what the Markdown export renders and the JSON backup holds.

These models are version 1 of the backup format (README: "Backup and import"). Reading a board
builds them without validation (it is our own data, and a large board must export in well under a
second); an imported file is validated against them strictly, all of it, before anything is written.
Ids are the database's and change on import; references between records use them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

import sqlalchemy as sa
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Session, SQLModel

from .access import load_board
from .db import Store
from .models import Board, Comment, Note, Participant, Section
from .schemas import (
    COMMENT_MAX,
    NAME_MAX,
    NOTE_MAX,
    Color,
    Goals,
    Id,
    Link,
    Locale,
    Moderation,
    Status,
    Storable,
    TimeZone,
)
from .slug import SLUG_PATTERN

FORMAT: Final = "sdg-pinboard-backup"
VERSION: Final = 1

# Text is checked, never changed (no trimming): an import must give back exactly what was saved.
Text = Annotated[str, Storable]
Timestamp = AwareDatetime
# Counts fit the database's 32-bit integers, so a valid file cannot fail halfway through import.
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class AuthorRecord(Record):
    id: Id | None = Field(description="A participant's id in this file; null: a moderator")
    name: Annotated[Text, Field(max_length=NAME_MAX)]


class CommentRecord(Record):
    id: Id
    author: AuthorRecord
    body: Annotated[Text, Field(max_length=COMMENT_MAX)]
    created_at: Timestamp
    deleted_at: Timestamp | None


class NoteRecord(Record):
    id: Id
    client_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    section_id: Id | None
    author: AuthorRecord
    body: Annotated[Text, Field(max_length=NOTE_MAX)]
    link: Link
    sdgs: Goals
    color: Color
    status: Status
    pinned: bool
    position: Annotated[float, Field(allow_inf_nan=False)]
    likes: Count
    version: Annotated[Count, Field(ge=1)]
    created_at: Timestamp
    updated_at: Timestamp
    deleted_at: Timestamp | None
    comments: list[CommentRecord]

    @model_validator(mode="after")
    def _has_body(self) -> NoteRecord:
        # Only a deleted note may be empty: erasing a participant blanks their notes.
        if not self.body and self.deleted_at is None:
            raise ValueError("body is empty on a note that is not deleted")
        return self


class SectionRecord(Record):
    id: Id
    title: Annotated[Text, Field(min_length=1, max_length=80)]
    position: Count


class ParticipantRecord(Record):
    id: Id
    name: Annotated[Text, Field(max_length=NAME_MAX)]
    created_at: Timestamp
    erased_at: Timestamp | None


class BoardRecord(Record):
    slug: Annotated[str, Field(pattern=SLUG_PATTERN)]
    title: Annotated[Text, Field(min_length=1, max_length=200)]
    description: Annotated[Text, Field(max_length=2000)]
    locale: Locale
    moderation: Moderation
    locked: bool
    require_sdg: bool
    timezone: TimeZone
    created_at: Timestamp
    updated_at: Timestamp
    seq: Annotated[Count, Field(description="The board's last event number")]


class Archive(Record):
    """One board with everything on it. Tokens and key hashes are never part of it."""

    format: Literal["sdg-pinboard-backup"]
    version: Literal[1]
    board: BoardRecord
    sections: list[SectionRecord]
    participants: list[ParticipantRecord]
    notes: list[NoteRecord]

    @model_validator(mode="after")
    def _references_resolve(self) -> Archive:
        sections = _unique("sections", [s.id for s in self.sections])
        people = _unique("participants", [p.id for p in self.participants])
        _unique("notes", [n.id for n in self.notes])
        _unique("comments", [c.id for n in self.notes for c in n.comments])
        if len({n.client_id for n in self.notes}) != len(self.notes):
            raise ValueError("two notes have the same client_id")
        for index, note in enumerate(self.notes):
            if note.section_id is not None and note.section_id not in sections:
                raise ValueError(f"notes.{index}.section_id {note.section_id} is not a section")
            authors = [note.author.id] + [c.author.id for c in note.comments]
            for author in authors:
                if author is not None and author not in people:
                    raise ValueError(f"notes.{index}: author {author} is not a participant")
        return self


def _unique(what: str, values: list[Any]) -> set[Any]:
    seen = set(values)
    if len(seen) != len(values):
        raise ValueError(f"two {what} have the same id")
    return seen


def read(store: Store, slug: str) -> Archive:
    """The board `slug` with everything on it, hidden and deleted notes included."""
    with store.read() as session:
        return collect(session, load_board(session, slug))


def collect(session: Session, board: Board) -> Archive:
    """Read the board's sections, participants, notes and comments in four queries.

    Plain rows, not ORM objects, and records built without validation: a board of 10,000 notes
    and 20,000 comments reads in a fraction of a second this way.
    """
    sections = [
        SectionRecord.model_construct(**row)
        for row in _rows(session, Section, board, "id", "title", "position")
    ]
    participants = [
        ParticipantRecord.model_construct(
            id=row["id"],
            name=row["name"],
            created_at=_utc(row["created_at"]),
            erased_at=_utc_or_none(row["erased_at"]),
        )
        for row in _rows(session, Participant, board, "id", "name", "created_at", "erased_at")
    ]
    comments: dict[int, list[CommentRecord]] = {}
    for row in _rows(
        session, Comment, board, "id", "note_id", "author_id", "author_name", "body",
        "created_at", "deleted_at",
    ):  # fmt: skip
        comments.setdefault(row["note_id"], []).append(
            CommentRecord.model_construct(
                id=row["id"],
                author=AuthorRecord.model_construct(id=row["author_id"], name=row["author_name"]),
                body=row["body"],
                created_at=_utc(row["created_at"]),
                deleted_at=_utc_or_none(row["deleted_at"]),
            )
        )
    notes = [
        NoteRecord.model_construct(
            **{name: row[name] for name in _NOTE_FIELDS},
            author=AuthorRecord.model_construct(id=row["author_id"], name=row["author_name"]),
            sdgs=list(row["sdgs"]),
            position=float(row["position"]),
            created_at=_utc(row["created_at"]),
            updated_at=_utc(row["updated_at"]),
            deleted_at=_utc_or_none(row["deleted_at"]),
            comments=comments.get(row["id"], []),
        )
        for row in _rows(session, Note, board, *_NOTE_COLUMNS)
    ]
    fields: dict[str, Any] = {name: getattr(board, name) for name in _BOARD_FIELDS}
    return Archive.model_construct(
        format=FORMAT,
        version=VERSION,
        board=BoardRecord.model_construct(
            **fields, created_at=_utc(board.created_at), updated_at=_utc(board.updated_at)
        ),
        sections=sections,
        participants=participants,
        notes=notes,
    )


_BOARD_FIELDS = (
    "slug", "title", "description", "locale", "moderation", "locked", "require_sdg", "timezone",
    "seq",
)  # fmt: skip
_NOTE_FIELDS = (
    "id", "client_id", "section_id", "body", "link", "color", "status", "pinned", "likes",
    "version",
)  # fmt: skip
_NOTE_COLUMNS = (
    *_NOTE_FIELDS, "author_id", "author_name", "sdgs", "position", "created_at", "updated_at",
    "deleted_at",
)  # fmt: skip


def _rows(
    session: Session, model: type[SQLModel], board: Board, *columns: str
) -> list[dict[str, Any]]:
    """The given columns of `model`'s rows on `board`, in the order the archive keeps them."""
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    order = [table.c.position, table.c.id] if model is Section else [table.c.id]
    statement = (
        sa.select(*(table.c[name] for name in columns))
        .where(table.c.board_id == board.id)
        .order_by(*order)
    )
    return [dict(row._mapping) for row in session.execute(statement)]


def _utc(value: datetime) -> datetime:
    """UTC and aware: SQLite hands timestamps back without a zone, PostgreSQL in the session's."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)
