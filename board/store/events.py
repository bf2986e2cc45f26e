"""The per-board event log: the only way a change becomes visible to live clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from board.store.models import Board, Event, utcnow
from board.store.prepared import Prepared

# Catch-up pages are bounded so one request can never read a whole board's history at once.
PAGE_SIZE = 500


@dataclass(frozen=True)
class Public:
    """What viewers and participants get for an event (moderators always get the full one):
    everyone, or only the participant `private_to` (the author of a note a blind round holds)."""

    kind: str
    data: dict[str, Any]
    private_to: int | None = None


@dataclass(frozen=True)
class Committed:
    """An event after commit, with both views: what the hub fans out and Redis carries.

    `private_to` travels with it, so every process (and every replay, from memory or from the
    log) applies the same rule without looking anything up: the public view is that
    participant's alone. A message from a process that predates it has none: everyone's.
    """

    board_id: int
    seq: int
    kind: str
    data: dict[str, Any]
    public_kind: str | None
    public_data: dict[str, Any] | None
    private_to: int | None = None

    @classmethod
    def of(cls, event: Event) -> Committed:
        return cls(
            event.board_id,
            event.seq,
            event.kind,
            event.data,
            event.public_kind,
            event.public_data,
            event.private_to,
        )

    def view(self, moderator: bool, participant: int | None = None) -> dict[str, Any] | None:
        """The event as a moderator, or as anyone else (a participant: by their id), sees it."""
        if moderator:
            return {"type": "event", "seq": self.seq, "kind": self.kind, "data": self.data}
        if self.public_kind is None or not sees_private(self.private_to, participant):
            return None
        return {
            "type": "event",
            "seq": self.seq,
            "kind": self.public_kind,
            "data": self.public_data,
        }


# Built once and run on the driver's cursor (prepared.py): these run on every write.
_NEXT_SEQ = Prepared(
    sa.update(Board)
    .where(col(Board.id) == sa.bindparam("board_id"))
    .values(seq=Board.seq + 1)
    .returning(col(Board.seq))
)
_INSERT_EVENT = Prepared(
    # inline(): no RETURNING of the new id, which nothing reads.
    sa.insert(Event)
    .inline()
    .values(
        {
            name: sa.bindparam(name)
            for name in (
                "board_id",
                "seq",
                "entity",
                "kind",
                "data",
                "public_kind",
                "public_data",
                "private_to",
                "created_at",
            )
        }
    )
)


def sees_private(private_to: int | None, participant: int | None) -> bool:
    """Whether a non-moderator gets a public view meant for `private_to` (None: everyone)."""
    return private_to is None or private_to == participant


def next_seq(session: Session, board_id: int) -> int:
    """Take the board's next sequence number inside the current write transaction.

    The UPDATE locks the board row until commit (PostgreSQL row lock; SQLite's write lock), so
    writers to one board commit in `seq` order. A SEQUENCE would not: two transactions could
    commit 6 before 5, and a reader that saw 6 would skip 5 forever.
    """
    return int(_NEXT_SEQ.scalar(session.connection(), {"board_id": board_id}))


def current_seq(session: Session, board_id: int) -> int:
    return int(session.exec(select(Board.seq).where(Board.id == board_id)).one())


def append(
    session: Session,
    board_id: int,
    kind: str,
    entity: str,
    data: dict[str, Any],
    public: Public | None,
) -> Committed:
    """Write one event row with the board's next `seq`, in the caller's transaction."""
    event = Committed(
        board_id,
        next_seq(session, board_id),
        kind,
        data,
        public.kind if public else None,
        public.data if public else None,
        public.private_to if public else None,
    )
    _INSERT_EVENT.all(
        session.connection(),
        {
            "board_id": board_id,
            "seq": event.seq,
            "entity": entity,
            "kind": kind,
            "data": data,
            "public_kind": event.public_kind,
            "public_data": event.public_data,
            "private_to": event.private_to,
            "created_at": utcnow(),
        },
    )
    # Store.write() hands these to the live fan-out once the transaction has committed.
    session.info.setdefault("events", []).append(event)
    return event


def since(
    session: Session,
    board_id: int,
    after: int,
    moderator: bool,
    limit: int = PAGE_SIZE,
    participant: int | None = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """Events after `after` the role may see (a participant, by id, also their own private
    ones), and the last seq scanned when the page was full."""
    statement = (
        select(Event)
        .where(Event.board_id == board_id, Event.seq > after)
        .order_by(col(Event.seq))
        .limit(limit)
    )
    if not moderator:
        # Filtering in SQL keeps a moderator-only burst (or a blind round of others' notes)
        # from filling the page with nothing. The same rule as `sees_private`.
        mine: sa.ColumnElement[bool] = col(Event.private_to).is_(None)
        if participant is not None:
            mine = sa.or_(mine, col(Event.private_to) == participant)
        statement = statement.where(col(Event.public_kind).is_not(None), mine)
    rows = session.exec(statement).all()
    events = [
        v for row in rows if (v := Committed.of(row).view(moderator, participant)) is not None
    ]
    return events, rows[-1].seq if len(rows) == limit else None


def committed_after(
    session: Session, board_id: int, after: int, limit: int = PAGE_SIZE
) -> list[Committed]:
    """Every event after `after`, both views, for a live channel that missed some."""
    rows = session.exec(
        select(Event)
        .where(Event.board_id == board_id, Event.seq > after)
        .order_by(col(Event.seq))
        .limit(limit)
    ).all()
    return [Committed.of(row) for row in rows]


def rewrite_as_removed(session: Session, entities: list[str], kind: str) -> None:
    """Replace past events about erased entities by removals, so their text leaves the log too.

    Clients replaying the log end in the same state: the entity is gone.
    """
    if not entities:
        return
    events = session.exec(select(Event).where(col(Event.entity).in_(entities))).all()
    for event in events:
        ref = {"id": int(event.entity.split(":", 1)[1])}
        if "note_id" in event.data:
            ref["note_id"] = event.data["note_id"]
        if event.kind.endswith(".upsert"):
            event.kind, event.data = kind, ref
            if event.public_kind is not None:
                event.public_kind, event.public_data = kind, ref


def drop_comments(session: Session, note_ids: set[int], comment_ids: set[int]) -> None:
    """Take erased comments out of the past note events that carried them inside the note."""
    if not comment_ids:
        return
    rows = session.exec(
        select(Event).where(
            col(Event.entity).in_([f"note:{i}" for i in note_ids]), Event.kind == "note.upsert"
        )
    ).all()
    for event in rows:
        event.data = _without_comments(event.data, comment_ids)
        if event.public_kind == "note.upsert" and event.public_data is not None:
            event.public_data = _without_comments(event.public_data, comment_ids)


def _without_comments(note: dict[str, Any], comment_ids: set[int]) -> dict[str, Any]:
    # A new dict, not an in-place edit: SQLAlchemy only saves JSON values that are reassigned.
    kept = [c for c in note.get("comments", []) if c["id"] not in comment_ids]
    return {**note, "comments": kept}
