"""Retention: once a board is older than its `retention_days`, keep its content, not its people.

`purge_board` removes every participant's name and token, the text of every deleted or erased
note and comment and the author names on everything that stays published, from the tables and
from the event log; what a note said before a moderator edited it goes from the log and the
audit trail. It can run any number of times: what is gone stays gone, and people who join later
are purged on the next run. `board purge` runs it by hand; `board serve` runs it once a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from board.domain import audit
from board.domain.access import load_board
from board.store import events
from board.store.db import Store
from board.store.models import Board, Comment, Event, Note, Participant, utcnow

# How often `board serve` looks for boards past their retention.
PURGE_INTERVAL = 24 * 3600.0


@dataclass(frozen=True)
class Purged:
    """What one purge changed on one board."""

    slug: str
    participants: int  # names and tokens removed
    texts: int  # deleted notes and comments whose text went
    anonymised: int  # published notes and comments whose author name went

    @property
    def changed(self) -> bool:
        return bool(self.participants or self.texts or self.anonymised)


def due(store: Store, now: datetime | None = None) -> list[str]:
    """The slugs of boards whose retention has run out."""
    now = now or utcnow()
    with store.read(patient=True) as session:
        rows = session.exec(
            select(Board.slug, Board.created_at, Board.retention_days).where(
                col(Board.retention_days).is_not(None)
            )
        ).all()
    return [
        slug
        for slug, created, days in rows
        if days is not None and _utc(created) + timedelta(days=days) <= now
    ]


def purge_expired(store: Store, now: datetime | None = None) -> list[Purged]:
    """Purge every board past its retention, each in its own transaction."""
    return [purge_board(store, slug) for slug in due(store, now)]


def purge_board(store: Store, slug: str) -> Purged:
    with store.write(patient=True) as session:
        board = load_board(session, slug, lock=True)
        assert board.id is not None
        people = session.exec(
            select(Participant).where(
                Participant.board_id == board.id,
                sa.or_(col(Participant.name) != "", col(Participant.token_hash).is_not(None)),
            )
        ).all()
        for person in people:
            person.name, person.token_hash = "", None
            session.add(person)

        texts = anonymised = 0
        notes = session.exec(select(Note).where(Note.board_id == board.id)).all()
        gone_notes = [n for n in notes if n.deleted_at is not None]
        for note in notes:
            if note.deleted_at is not None and (note.body or note.link or note.author_name):
                note.body, note.link, note.author_name = "", None, ""
                texts += 1
            elif note.author_name:
                note.author_name = ""
                anonymised += 1
            session.add(note)
        comments = session.exec(select(Comment).where(Comment.board_id == board.id)).all()
        gone_comments = [c for c in comments if c.deleted_at is not None]
        for comment in comments:
            if comment.deleted_at is not None and (comment.body or comment.author_name):
                comment.body, comment.author_name = "", ""
                texts += 1
            elif comment.author_name:
                comment.author_name = ""
                anonymised += 1
            session.add(comment)
        session.flush()

        events.rewrite_as_removed(session, [f"note:{n.id}" for n in gone_notes], "note.remove")
        events.rewrite_as_removed(
            session, [f"comment:{c.id}" for c in gone_comments], "comment.remove"
        )
        events.drop_comments(
            session,
            {c.note_id for c in gone_comments},
            {c.id for c in gone_comments if c.id is not None},
        )
        current = {n.id: (n.body, n.link) for n in notes if n.deleted_at is None}
        _scrub_events(session, board.id, current)
        audit.scrub_content(session, [n.id for n in notes if n.id is not None])
        return Purged(slug, len(people), texts, anonymised)


def _scrub_events(
    session: Session, board_id: int, current: dict[int | None, tuple[str, str | None]]
) -> None:
    """Blank the author names that past note and comment events carry, and give past versions
    of a note the words it has now (what it said before an edit goes)."""
    rows = session.exec(
        select(Event).where(
            Event.board_id == board_id,
            col(Event.kind).in_(("note.upsert", "comment.upsert")),
        )
    ).all()
    for event in rows:
        now = current.get(event.data.get("id")) if event.kind == "note.upsert" else None
        # New values only where something changes: a daily run rewrites nothing twice.
        data = _scrubbed(event.data, now)
        if data != event.data:
            event.data = data
        if event.public_data is not None:
            public = _scrubbed(event.public_data, now)
            if public != event.public_data:
                event.public_data = public
        session.add(event)


def _scrubbed(view: dict[str, Any], words: tuple[str, str | None] | None) -> dict[str, Any]:
    view = _without_names(view)
    if words is not None:
        view["body"], view["link"] = words
    return view


def _without_names(view: dict[str, Any]) -> dict[str, Any]:
    """A note or comment view with its author's name, and its comments' authors', blanked."""
    copy = dict(view)
    if isinstance(copy.get("author"), dict):
        copy["author"] = {**copy["author"], "name": ""}
    if isinstance(copy.get("comments"), list):
        copy["comments"] = [_without_names(c) for c in copy["comments"]]
    return copy


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
