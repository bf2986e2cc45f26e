"""Who is asking: viewer, participant, moderator or admin, decided from a bearer token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Session, col, select

from . import tokens
from .errors import ApiError, forbidden, not_found
from .models import Board, ModeratorKey, Participant

Role = Literal["viewer", "participant", "moderator"]


@dataclass(frozen=True)
class Actor:
    role: Role
    participant: Participant | None = None
    moderator: ModeratorKey | None = None
    is_admin: bool = False

    @property
    def is_moderator(self) -> bool:
        return self.role == "moderator"

    @property
    def who(self) -> str | None:
        """Whose access this is, as ban and revoke events name it; None for viewers and admin."""
        if self.participant is not None:
            return f"participant:{self.participant.id}"
        if self.moderator is not None:
            return f"moderator:{self.moderator.id}"
        return None

    @property
    def display_name(self) -> str:
        if self.participant is not None:
            return self.participant.name
        if self.moderator is not None:
            return self.moderator.name
        return "Admin" if self.is_admin else ""


VIEWER = Actor("viewer")


@dataclass(frozen=True)
class Credentials:
    """What a request presented; resolved against a board inside the service's session."""

    token: str | None
    admin_token: str | None

    def actor(self, session: Session, board: Board) -> Actor:
        return resolve(session, board, self.token, self.admin_token)


# Built once with bound parameters: every request runs these, and building a statement costs
# more than SQLite takes to run it.
_BOARD = select(Board).where(Board.slug == sa.bindparam("slug"))
_BOARD_LOCKED = _BOARD.with_for_update()
_PARTICIPANT = select(Participant).where(
    Participant.board_id == sa.bindparam("board_id"),
    Participant.token_hash == sa.bindparam("digest"),
)
_MODERATOR_KEY = select(ModeratorKey).where(
    ModeratorKey.board_id == sa.bindparam("board_id"),
    ModeratorKey.key_hash == sa.bindparam("digest"),
    col(ModeratorKey.revoked_at).is_(None),
)


def load_board(session: Session, slug: str, lock: bool = False) -> Board:
    """The board, or 404. Writers pass `lock`: on PostgreSQL the row lock makes all writes to one
    board take turns, so read-modify-write (likes, versions) cannot lose an update and no two
    transactions can lock notes and the board in opposite orders (SQLite serialises anyway)."""
    statement = _BOARD_LOCKED if lock else _BOARD
    board = session.exec(statement, params={"slug": slug}).first()
    if board is None:
        raise not_found("board")
    return board


def resolve(session: Session, board: Board, token: str | None, admin_token: str | None) -> Actor:
    """The actor a token stands for on `board`; no token is a viewer, an unknown one is a 401."""
    if token is None:
        return VIEWER
    if tokens.matches(token, admin_token):
        return Actor("moderator", is_admin=True)
    digest = tokens.hash_token(token)
    # Participants first: they make nearly all requests. Each lookup is by hash; the
    # constant-time compare keeps the final check timing-safe too.
    params = {"board_id": board.id, "digest": digest}
    participant = session.exec(_PARTICIPANT, params=params).first()
    if participant is not None and tokens.matches(digest, participant.token_hash):
        return Actor("participant", participant=participant)
    key = session.exec(_MODERATOR_KEY, params=params).first()
    if key is not None and tokens.matches(digest, key.key_hash):
        return Actor("moderator", moderator=key)
    raise ApiError(401, "invalid_token", "the token is not valid for this board")


def require_moderator(actor: Actor) -> None:
    if actor.role == "viewer":
        raise ApiError(401, "token_required", "send this board's moderator key as a bearer token")
    if not actor.is_moderator:
        raise forbidden("only a moderator of this board may do this")


def require_participant(actor: Actor) -> Participant:
    if actor.participant is None:
        raise forbidden("join the board first: POST /api/boards/{slug}/participants")
    return actor.participant


def require_writer(actor: Actor, board: Board) -> None:
    """Participants and moderators may write; participants not while the board is locked."""
    if actor.role == "viewer":
        raise ApiError(401, "token_required", "join the board to write: send a bearer token")
    if board.locked and not actor.is_moderator:
        raise ApiError(403, "board_locked", "the board is locked by its moderators")
