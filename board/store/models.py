"""Database tables. API input and output use the models in `schemas.py`, never these directly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# Named constraints, so that Alembic migrations (and SQLite batch mode) can refer to them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _timestamp(**kwargs: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True), **kwargs)


class Board(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    # The short join code (domain/joincode.py): upper-case, unique, for /j/{code}.
    code: str = Field(max_length=6, unique=True, index=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    locale: str = Field(default="nb", max_length=2)
    moderation: str = Field(default="post", max_length=4)
    locked: bool = False
    require_sdg: bool = False
    # IANA zone that exports show times in; the server default fills boards made before it existed.
    timezone: str = Field(
        default="Europe/Oslo", max_length=64, sa_column_kwargs={"server_default": "Europe/Oslo"}
    )
    # Words and phrases that send a participant's note to the moderation queue (wordfilter.py).
    word_filter: list[str] = Field(
        default_factory=list, sa_type=sa.JSON, sa_column_kwargs={"server_default": "[]"}
    )
    # Days after creation when `board purge` anonymises the board; NULL keeps it as it is.
    retention_days: int | None = None
    # "blind": notes posted now are held back from everyone but their author and the moderators
    # until a moderator reveals them (sets "instant" again); see domain/visibility.py.
    reveal: str = Field(
        default="instant", max_length=8, sa_column_kwargs={"server_default": "instant"}
    )
    # The last event sequence number handed out; see events.append() for why it lives here.
    seq: int = 0
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class ModeratorKey(SQLModel, table=True):
    __tablename__ = "moderator_key"

    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=60)
    key_hash: str = Field(max_length=64, unique=True)
    # The key made with the board: it alone creates and revokes the others, and is never revoked.
    owner: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    created_at: datetime = _timestamp()
    revoked_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class Section(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", ondelete="CASCADE", index=True)
    title: str = Field(max_length=80)
    position: int = 0


class Participant(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", ondelete="CASCADE", index=True)
    name: str = Field(default="", max_length=60)
    # SHA-256 of the bearer token; NULL once the participant is erased.
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = _timestamp()
    erased_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    # Set while banned: the token is refused (403) until a moderator lifts the ban.
    banned_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class Note(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("board_id", "client_id"),
        # The duplicate guard looks up an author's recent notes on every post; by board alone
        # that would scan the whole board.
        sa.Index("ix_note_author_id_created_at", "author_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", ondelete="CASCADE", index=True)
    client_id: str = Field(max_length=64)
    section_id: int | None = Field(
        default=None, foreign_key="section.id", ondelete="SET NULL", index=True
    )
    # NULL author: posted by a moderator (the name is kept in author_name).
    author_id: int | None = Field(default=None, foreign_key="participant.id", ondelete="SET NULL")
    author_name: str = Field(default="", max_length=60)
    body: str = Field(max_length=2000)
    link: str | None = Field(default=None, max_length=2000)
    sdgs: list[int] = Field(default_factory=list, sa_type=sa.JSON)
    # SDG target codes in catalogue order (#8); notes made before targets existed have none.
    targets: list[str] = Field(
        default_factory=list, sa_type=sa.JSON, sa_column_kwargs={"server_default": "[]"}
    )
    color: str = Field(default="yellow", max_length=16)
    status: str = Field(default="visible", max_length=8)
    pinned: bool = False
    position: float = 0.0
    likes: int = 0
    version: int = 1
    # Why the note waits for a moderator (the word filter's match); moderators only see it.
    flag_reason: str | None = Field(default=None, max_length=200)
    # A moderator changed what the note says; shown with the note.
    edited_by_moderator: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}
    )
    # Posted during a blind round and not revealed yet: its author and the moderators see it.
    held: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()
    deleted_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class Like(SQLModel, table=True):
    __tablename__ = "note_like"

    note_id: int = Field(foreign_key="note.id", ondelete="CASCADE", primary_key=True)
    participant_id: int = Field(
        foreign_key="participant.id", ondelete="CASCADE", primary_key=True, index=True
    )
    created_at: datetime = _timestamp()


class Comment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", ondelete="CASCADE", index=True)
    note_id: int = Field(foreign_key="note.id", ondelete="CASCADE", index=True)
    author_id: int | None = Field(
        default=None, foreign_key="participant.id", ondelete="SET NULL", index=True
    )
    author_name: str = Field(default="", max_length=60)
    body: str = Field(max_length=1000)
    created_at: datetime = _timestamp()
    deleted_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class Event(SQLModel, table=True):
    """One committed change, as moderators see it, and as everyone else sees it (or not at all)."""

    __table_args__ = (sa.UniqueConstraint("board_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", ondelete="CASCADE")
    seq: int
    # What the event is about ("note:12", "comment:3", "board:1"), so erasure can find it.
    entity: str = Field(max_length=40, index=True)
    kind: str = Field(max_length=20)
    data: dict[str, Any] = Field(sa_type=sa.JSON)
    # The version viewers and participants get; NULL when they get nothing.
    public_kind: str | None = Field(default=None, max_length=20)
    public_data: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    # Set: the public version is this participant's alone (their note, held by a blind round).
    # Kept in the row, and carried with the event, so every process decides alike, unaided.
    private_to: int | None = None
    created_at: datetime = _timestamp()


class Audit(SQLModel, table=True):
    """One moderator action: who (the key's name, kept if the key goes), what, when, on what."""

    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", ondelete="CASCADE", index=True)
    at: datetime = _timestamp()
    # NULL: the admin token, or a key since deleted with its board.
    moderator_key_id: int | None = Field(
        default=None, foreign_key="moderator_key.id", ondelete="SET NULL"
    )
    moderator: str = Field(max_length=60)
    action: str = Field(max_length=20)
    note_id: int | None = Field(default=None, foreign_key="note.id", ondelete="SET NULL")
    before: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
