"""The audit trail: every moderator action, with the key's name and the time, newest first.

Entries name notes and participants by id and hold only what changed (`before`, `after`): an
edit keeps the text before and after, which is why erasure and retention scrub those entries too.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from board.domain.access import Actor, Credentials, authorised, require_moderator
from board.domain.views import audit_entry_view
from board.store.db import Store
from board.store.models import Audit, Board

# A page of the trail; `before` pages further back.
DEFAULT_PAGE = 50
MAX_PAGE = 200
# Audit fields that hold what a note said (scrubbed when the note's text must go).
CONTENT_ACTIONS = ("edit",)


def record(
    session: Session,
    board: Board,
    actor: Actor,
    action: str,
    *,
    note_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add one entry in the caller's transaction; only moderators' actions are audited."""
    if not actor.is_moderator:
        return
    assert board.id is not None
    session.add(
        Audit(
            board_id=board.id,
            moderator_key_id=actor.moderator.id if actor.moderator else None,
            moderator=actor.display_name,
            action=action,
            note_id=note_id,
            before=before,
            after=after,
        )
    )


def trail(
    store: Store, slug: str, before: int | None, limit: int, creds: Credentials
) -> list[dict[str, Any]]:
    """Up to `limit` entries older than the entry `before` (or the newest), newest first."""
    with store.read() as session:
        board, _actor = authorised(session, slug, creds, require_moderator)
        statement = select(Audit).where(Audit.board_id == board.id)
        if before is not None:
            statement = statement.where(col(Audit.id) < before)
        rows = session.exec(statement.order_by(col(Audit.id).desc()).limit(limit)).all()
        return [audit_entry_view(row) for row in rows]


def scrub_content(session: Session, note_ids: list[int]) -> None:
    """Blank what the entries about these notes say the notes said (erasure, retention)."""
    if not note_ids:
        return
    rows = session.exec(
        select(Audit).where(
            col(Audit.note_id).in_(note_ids), col(Audit.action).in_(CONTENT_ACTIONS)
        )
    ).all()
    for row in rows:
        if row.before is not None or row.after is not None:
            row.before, row.after = None, None
            session.add(row)
