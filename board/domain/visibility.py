"""Who sees a note: the one place that decides it, for the API, its events, stats and snapshots.

Moderators see every live note. Everyone else sees a note once it is `visible` and not `held`:
a note posted while the board's `reveal` is "blind" is held until a moderator reveals the round
(boards.py), and until then only its author sees it, with its likes and comments (the events
about it go to the author alone, `events.Public.private_to`). Everyone learns how many notes a
round holds (`held_count`, the `board.held` event), never what they say.

Anything that shows notes, or counts them, to someone who is not a moderator asks here:
`seen_by_everyone`, or `EVERYONE_SEES` in a query.
"""

from __future__ import annotations

from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, col

from board.store import events
from board.store.models import Note

# The notes of a board everyone may see, as a query's condition (the board and `deleted_at` are
# the query's own business).
EVERYONE_SEES = sa.and_(col(Note.status) == "visible", col(Note.held).is_(False))
# The notes a blind round holds that will show once it is revealed: what `held` counts.
HELD = sa.and_(
    col(Note.status) == "visible", col(Note.held).is_(True), col(Note.deleted_at).is_(None)
)


class NoteState(Protocol):
    """What `public` reads of a note: a `Note`, or a row with these columns."""

    @property
    def held(self) -> bool: ...
    @property
    def author_id(self) -> int | None: ...


def seen_by_everyone(status: str, held: bool) -> bool:
    """Whether viewers and every participant may see a live note with this status."""
    return status == "visible" and not held


def public(note: NoteState, kind: str, data: dict[str, Any]) -> events.Public | None:
    """The public view of an event about `note`: everyone's, or its author's alone while a
    blind round holds it (none when a moderator wrote it: only moderators see that)."""
    if not note.held:
        return events.Public(kind, data)
    if note.author_id is None:
        return None
    return events.Public(kind, data, private_to=note.author_id)


def held_count(session: Session, board_id: int) -> int:
    """How many notes of the board a blind round holds now (visible, live, not revealed)."""
    statement = (
        sa.select(sa.func.count()).select_from(Note).where(col(Note.board_id) == board_id, HELD)
    )
    return int(session.execute(statement).scalar_one())
