"""Rows to public shapes: the single place that decides what the API and events show of a row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from board.store.models import Board, Comment, Note, Section

# A note as the ORM loads it, or as a Core INSERT … RETURNING hands it back (posting skips the ORM).
NoteRecord = Note | sa.Row[*tuple[Any, ...]]
# A comment as the ORM loads it, or as a Core SELECT hands it back (snapshots skip the ORM).
CommentRecord = Comment | sa.Row[*tuple[Any, ...]]


def timestamp(value: datetime) -> str:
    """ISO 8601 in UTC; SQLite hands timestamps back without their zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def sections_of(session: Session, board_id: int) -> list[Section]:
    return list(
        session.exec(
            select(Section)
            .where(Section.board_id == board_id)
            .order_by(col(Section.position), col(Section.id))
        ).all()
    )


def board_view(
    board: Board, sections: Iterable[Section], moderator: bool = False
) -> dict[str, Any]:
    """The board as a role sees it: the word filter is for moderators (it would teach the way
    around it)."""
    view = {
        "slug": board.slug,
        "title": board.title,
        "description": board.description,
        "locale": board.locale,
        "moderation": board.moderation,
        "locked": board.locked,
        "require_sdg": board.require_sdg,
        "timezone": board.timezone,
        "retention_days": board.retention_days,
        "sections": [{"id": s.id, "title": s.title, "position": s.position} for s in sections],
        "created_at": timestamp(board.created_at),
    }
    if moderator:
        view["word_filter"] = list(board.word_filter)
    return view


def comment_view(comment: CommentRecord) -> dict[str, Any]:
    return {
        "id": comment.id,
        "note_id": comment.note_id,
        "author": {"id": comment.author_id, "name": comment.author_name},
        "body": comment.body,
        "created_at": timestamp(comment.created_at),
    }


def note_view(
    note: NoteRecord, comments: Iterable[CommentRecord], moderator: bool = False
) -> dict[str, Any]:
    """The note as a role sees it: why it was flagged is for moderators only."""
    view = {
        "id": note.id,
        "client_id": note.client_id,
        "section_id": note.section_id,
        "author": {"id": note.author_id, "name": note.author_name},
        "body": note.body,
        "link": note.link,
        "sdgs": list(note.sdgs),
        "targets": list(note.targets),
        "color": note.color,
        "status": note.status,
        "pinned": note.pinned,
        "position": note.position,
        "likes": note.likes,
        "comments": [comment_view(c) for c in comments],
        "created_at": timestamp(note.created_at),
        "updated_at": timestamp(note.updated_at),
        "version": note.version,
        "edited_by_moderator": note.edited_by_moderator,
    }
    if moderator:
        view["flag_reason"] = note.flag_reason
    return view


def for_role(view: dict[str, Any], moderator: bool) -> dict[str, Any]:
    """A moderator's view of a note or board, cut down for everyone else."""
    if moderator:
        return view
    return {k: v for k, v in view.items() if k not in MODERATOR_ONLY}


# Fields of note and board views that only moderators see.
MODERATOR_ONLY = frozenset({"flag_reason", "word_filter"})


def comments_by_note(session: Session, note_ids: list[int]) -> dict[int, list[Comment]]:
    grouped: dict[int, list[Comment]] = defaultdict(list)
    if not note_ids:
        return grouped
    rows = session.exec(
        select(Comment)
        .where(col(Comment.note_id).in_(note_ids), col(Comment.deleted_at).is_(None))
        .order_by(col(Comment.id))
    ).all()
    for comment in rows:
        grouped[comment.note_id].append(comment)
    return grouped


def note_with_comments(
    session: Session, note: NoteRecord, moderator: bool = False
) -> dict[str, Any]:
    assert note.id is not None
    return note_view(note, comments_by_note(session, [note.id])[note.id], moderator)
