"""Rows to public shapes: the one place that decides what the API, its events and the CLI's
listing show of a row, down to the order of the keys.

The shapes are plain dicts, built here and nowhere else; service functions return them and
handlers send them as they are. The pydantic models in schemas.py describe the same shapes for
the OpenAPI document, and tests/contract.py holds every answer the tests see against that
description, so the two cannot drift apart. Why dicts and not the models: a snapshot of 1,000
notes and every post build these, and validating and dumping a model per note costs several
times the dict; the models would also change the bytes (key order, number and time formats) that
clients and the snapshot cache's ETags see.

Not here, on purpose: the event envelope (`{type, seq, kind, data}`, store/events.py: the store
sits below this layer and the live fan-out encodes it there), and the archive's records
(archive/contents.py: the backup file's format, with datetimes and deleted rows, which takes
`utc()` from here).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TypedDict

import sqlalchemy as sa
from sqlmodel import Session, col, select

from board.domain import sdg
from board.domain.suggest import Suggestion
from board.store.models import Audit, Board, Comment, ModeratorKey, Note, Participant, Section

# A note as the ORM loads it, or as a Core INSERT … RETURNING hands it back (posting skips the ORM).
NoteRecord = Note | sa.Row[*tuple[Any, ...]]
# A comment as the ORM loads it, or as a Core SELECT hands it back (snapshots skip the ORM).
CommentRecord = Comment | sa.Row[*tuple[Any, ...]]


def utc(value: datetime) -> datetime:
    """UTC and aware: SQLite hands timestamps back without a zone, PostgreSQL in the session's."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def timestamp(value: datetime) -> str:
    """ISO 8601 in UTC, with `Z`."""
    return utc(value).isoformat().replace("+00:00", "Z")


class Author(TypedDict):
    """Who wrote a note or comment, in the API and in the archive alike."""

    id: int | None  # a participant's id; None: a moderator wrote it
    name: str  # empty: anonymous


def author(author_id: int | None, name: str) -> Author:
    return {"id": author_id, "name": name}


def ref(item_id: int | None) -> dict[str, Any]:
    """`{id}`: what a removal, a ban or a revoked key tells of the item."""
    return {"id": item_id}


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
        "code": board.code,
        "title": board.title,
        "description": board.description,
        "locale": board.locale,
        "moderation": board.moderation,
        "locked": board.locked,
        "require_sdg": board.require_sdg,
        "timezone": board.timezone,
        "retention_days": board.retention_days,
        "reveal": board.reveal,
        "sections": [section_view(s) for s in sections],
        "created_at": timestamp(board.created_at),
    }
    if moderator:
        view["word_filter"] = list(board.word_filter)
    return view


def section_view(section: Section) -> dict[str, Any]:
    return {"id": section.id, "title": section.title, "position": section.position}


def board_created(board: dict[str, Any], moderator_key: str) -> dict[str, Any]:
    """A new board (the moderators' view) and its owner key, shown this once."""
    return {"board": board, "moderator_key": moderator_key}


def board_listing(board: Board, notes: int) -> dict[str, Any]:
    """A line of `board list`: the creation time stays a datetime for the CLI to format."""
    return {
        "slug": board.slug,
        "code": board.code,
        "title": board.title,
        "notes": notes,
        "created_at": board.created_at,
    }


def comment_view(comment: CommentRecord) -> dict[str, Any]:
    return {
        "id": comment.id,
        "note_id": comment.note_id,
        "author": author(comment.author_id, comment.author_name),
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
        "author": author(note.author_id, note.author_name),
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
        "held": note.held,
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


def comment_ref(comment: Comment) -> dict[str, Any]:
    """What a comment's removal tells: the comment and its note."""
    return {"id": comment.id, "note_id": comment.note_id}


def likes_view(note: Note) -> dict[str, Any]:
    """A note's like count, as the `likes` event carries it."""
    return {"note_id": note.id, "likes": note.likes}


def like_state(note: Note, liked: bool) -> dict[str, Any]:
    """The answer to a like or unlike: the count, and whether the asker likes the note now."""
    return likes_view(note) | {"liked": liked}


def snapshot_view(
    board: dict[str, Any], notes: list[dict[str, Any]], held: int, seq: int
) -> dict[str, Any]:
    """`{board, notes, held, seq}`; snapshots.py writes the same bytes without building this
    dict."""
    return {"board": board, "notes": notes, "held": held, "seq": seq}


def held_view(held: int) -> dict[str, Any]:
    """`{held}`: how many notes a blind round holds, as the `board.held` event tells everyone."""
    return {"held": held}


def reveal_view(board: dict[str, Any], revealed: int) -> dict[str, Any]:
    """What `board.reveal` tells: the board as it is now, and how many notes became visible."""
    return {"board": board, "revealed": revealed}


def held_notes_view(notes: list[dict[str, Any]]) -> dict[str, Any]:
    """`{notes}`: the held notes the asker may see (GET …/notes/held)."""
    return {"notes": notes}


def events_page(page: list[dict[str, Any]], seq: int, more: bool) -> dict[str, Any]:
    return {"events": page, "seq": seq, "more": more}


def stats_view(
    notes: int,
    pending: int | None,
    held: int,
    per_goal: Counter[int],
    per_target: Counter[str],
    per_section: Counter[int | None],
    sections: Iterable[Section],
    participants: int,
    viewers: int,
) -> dict[str, Any]:
    """The board's numbers; `pending` only for moderators (None leaves it out); `held`, what a
    blind round holds, for everyone. Every goal and target is listed, and the notes outside any
    section last."""
    view: dict[str, Any] = {"notes": notes}
    if pending is not None:
        view["pending"] = pending
    view |= {
        "held": held,
        "sdgs": [{"number": n, "notes": per_goal[n]} for n in sdg.GOAL_NUMBERS],
        "targets": [{"code": c, "notes": per_target[c]} for c in sdg.targets()],
        "sections": [{"id": s.id, "title": s.title, "notes": per_section[s.id]} for s in sections]
        + [{"id": None, "title": "", "notes": per_section[None]}],
        "participants": participants,
        "viewers": viewers,
    }
    return view


def key_terms_view(
    terms: list[tuple[str, int]], notes: int, goal: int | None, seq: int
) -> dict[str, Any]:
    """A board's or a goal's key terms (`GET …/terms`): each with the number of notes that
    contain it, out of `notes` counted, as of the snapshot at `seq`."""
    return {
        "terms": [{"term": term, "count": count} for term, count in terms],
        "notes": notes,
        "goal": goal,
        "seq": seq,
    }


def participant_created(participant: Participant, token: str) -> dict[str, Any]:
    """A participant who just joined, with their token (shown this once)."""
    return {"id": participant.id, "name": participant.name, "token": token}


def ban_state(participant_id: int, banned: bool, hidden: list[int]) -> dict[str, Any]:
    return {"id": participant_id, "banned": banned, "hidden": hidden}


def key_view(key: ModeratorKey) -> dict[str, Any]:
    """A moderator key by name: never the key or its hash."""
    return {
        "id": key.id,
        "name": key.name,
        "owner": key.owner,
        "created_at": timestamp(key.created_at),
        "revoked_at": timestamp(key.revoked_at) if key.revoked_at else None,
    }


def key_created(key: ModeratorKey, secret: str) -> dict[str, Any]:
    """A new key's view with the key itself, which no other answer ever shows."""
    return key_view(key) | {"key": secret}


def key_holder_view(key_id: int | None, name: str, owner: bool) -> dict[str, Any]:
    """Who a presented key is (GET …/moderators/me): the key's id, name and owner flag."""
    return {"id": key_id, "name": name, "owner": owner}


def audit_entry_view(entry: Audit) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": timestamp(entry.at),
        "moderator": entry.moderator,
        "action": entry.action,
        "note_id": entry.note_id,
        "before": entry.before,
        "after": entry.after,
    }


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


def suggestions_view(suggestions: Iterable[Suggestion]) -> dict[str, Any]:
    """`{goals: [{goal, score, targets, matched}]}`: the same keys, in the same order, as
    static/js/suggest.js returns them in the browser."""
    return {
        "goals": [
            {"goal": s.goal, "score": s.score, "targets": s.targets, "matched": s.matched}
            for s in suggestions
        ]
    }
