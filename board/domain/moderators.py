"""Named moderator keys: the owner key (made with the board) adds keys for co-hosts, revokes them.

A key is 256 random bits, shown once and stored as its SHA-256 (tokens.py). Revoking one writes a
`moderator.revoke` event: the live fan-out closes that key's sockets in every process (hub.py), and
the key's next request is a 401 like any unknown token.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, func, select

from board.domain import audit, tokens
from board.domain.access import Credentials, authorised, require_moderator, require_owner
from board.domain.schemas import ModeratorCreate
from board.domain.views import key_created, key_holder_view, key_view, ref
from board.errors import ApiError, not_found
from board.store import events
from board.store.db import Store
from board.store.models import ModeratorKey, utcnow

# Keys a board may have in use at once: co-hosts, not a crowd.
MAX_KEYS = 50


def list_keys(store: Store, slug: str, creds: Credentials) -> list[dict[str, Any]]:
    """Every key of the board, revoked ones too, oldest first (never a key or its hash)."""
    with store.read() as session:
        board, _actor = authorised(session, slug, creds, require_moderator)
        rows = session.exec(
            select(ModeratorKey)
            .where(ModeratorKey.board_id == board.id)
            .order_by(col(ModeratorKey.id))
        ).all()
        return [key_view(row) for row in rows]


def whoami(store: Store, slug: str, creds: Credentials) -> dict[str, Any]:
    """The presented key: its id and name, and whether it manages keys (the owner key, or the
    admin token: no key, id null, named "Admin" as in the audit trail)."""
    with store.read() as session:
        _board, actor = authorised(session, slug, creds, require_moderator)
        holder = actor.moderator
        if holder is None:  # the admin token
            return key_holder_view(None, actor.display_name, True)
        return key_holder_view(holder.id, holder.name, holder.owner)


def create_key(
    store: Store, slug: str, spec: ModeratorCreate, creds: Credentials
) -> dict[str, Any]:
    """A new named key; the response is the only place the key itself ever appears."""
    key = tokens.new_token()
    with store.write() as session:
        board, actor = authorised(session, slug, creds, require_owner, lock=True)
        active = session.exec(
            select(func.count())
            .select_from(ModeratorKey)
            .where(ModeratorKey.board_id == board.id, col(ModeratorKey.revoked_at).is_(None))
        ).one()
        if active >= MAX_KEYS:
            raise ApiError(
                409, "too_many_keys", f"a board has at most {MAX_KEYS} keys; revoke one first"
            )
        assert board.id is not None
        row = ModeratorKey(board_id=board.id, name=spec.name, key_hash=tokens.hash_token(key))
        session.add(row)
        session.flush()
        audit.record(session, board, actor, "key.create", after={"id": row.id, "name": row.name})
        return key_created(row, key)


def revoke_key(store: Store, slug: str, key_id: int, creds: Credentials) -> None:
    """Revoke a key at once: its requests fail and its live sockets close (1008)."""
    with store.write() as session:
        board, actor = authorised(session, slug, creds, require_owner, lock=True)
        row = session.get(ModeratorKey, key_id)
        if row is None or row.board_id != board.id or row.revoked_at is not None:
            raise not_found("moderator key")
        if row.owner:
            raise ApiError(403, "owner_key", "the owner key cannot be revoked")
        assert board.id is not None
        row.revoked_at = utcnow()
        session.add(row)
        # Moderators only: the consoles learn of it; the hub closes the key's own sockets.
        events.append(
            session, board.id, "moderator.revoke", f"moderator:{key_id}", ref(key_id), None
        )
        audit.record(session, board, actor, "key.revoke", before={"id": key_id, "name": row.name})
