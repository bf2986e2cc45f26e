"""Who is asking: viewer, participant, moderator or admin, decided from a bearer token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, select

from board.domain import tokens
from board.errors import ApiError, forbidden, not_found
from board.store.models import Board, ModeratorKey, Participant
from board.store.prepared import Prepared

Role = Literal["viewer", "participant", "moderator"]


class BoardRules(Protocol):
    """What access and posting read of a board: a `Board`, or the cheaper `board_rules()`."""

    @property
    def id(self) -> int | None: ...
    @property
    def locked(self) -> bool: ...
    @property
    def moderation(self) -> str: ...
    @property
    def require_sdg(self) -> bool: ...
    @property
    def word_filter(self) -> list[str]: ...
    @property
    def reveal(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Rules:
    """A board's rules as `board_rules()` reads them, without the rest of the row."""

    id: int
    locked: bool
    moderation: str
    require_sdg: bool
    word_filter: list[str]
    reveal: str


@dataclass(frozen=True, slots=True)
class Holder:
    """Whoever holds a token: a participant, or a moderator key (`owner`: the board's first)."""

    id: int
    name: str
    owner: bool = False


@dataclass(frozen=True)
class Actor:
    role: Role
    participant: Holder | None = None
    moderator: Holder | None = None
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

    def actor(self, session: Session, board: BoardRules) -> Actor:
        return resolve(session, board, self.token, self.admin_token)


# What a service function asks of the actor on a board before it does anything: a `require_*`.
Requirement = Callable[[Actor, BoardRules], None]


# Built once with bound parameters, and in Core: every request runs these, and building a
# statement or loading ORM objects costs more than SQLite takes to run it. Those that every
# write runs go on the driver's cursor (prepared.py).
_BOARD = select(Board).where(Board.slug == sa.bindparam("slug"))
_BOARD_LOCKED = _BOARD.with_for_update()
_RULES_SELECT = sa.select(
    col(Board.id),
    col(Board.locked),
    col(Board.moderation),
    col(Board.require_sdg),
    col(Board.word_filter),
    col(Board.reveal),
).where(col(Board.slug) == sa.bindparam("slug"))
_RULES = Prepared(_RULES_SELECT)
_RULES_LOCKED = Prepared(_RULES_SELECT.with_for_update())
_PARTICIPANT = Prepared(
    sa.select(
        col(Participant.id),
        col(Participant.name),
        col(Participant.token_hash),
        col(Participant.banned_at),
    ).where(
        col(Participant.board_id) == sa.bindparam("board_id"),
        col(Participant.token_hash) == sa.bindparam("digest"),
    )
)
_MODERATOR_KEY = Prepared(
    sa.select(
        col(ModeratorKey.id),
        col(ModeratorKey.name),
        col(ModeratorKey.key_hash),
        col(ModeratorKey.owner),
    ).where(
        col(ModeratorKey.board_id) == sa.bindparam("board_id"),
        col(ModeratorKey.key_hash) == sa.bindparam("digest"),
        col(ModeratorKey.revoked_at).is_(None),
    )
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


def board_rules(session: Session, slug: str, lock: bool = False) -> Rules:
    """`load_board()` for writes that only check the board's rules (posting): no ORM object."""
    statement = _RULES_LOCKED if lock else _RULES
    row = statement.first(session.connection(), {"slug": slug})
    if row is None:
        raise not_found("board")
    return Rules(**row._asdict())


def authorised(
    session: Session,
    slug: str,
    creds: Credentials,
    requirement: Requirement | None = None,
    *,
    lock: bool = False,
) -> tuple[Board, Actor]:
    """The board `slug` and who `creds` stand for on it, once they meet `requirement` (one of the
    `require_*` below; None: anyone, viewers too). The prologue of every service function that
    loads the whole board; `lock` as for `load_board()`. Posting reads only `board_rules()`."""
    board = load_board(session, slug, lock=lock)
    actor = creds.actor(session, board)
    if requirement is not None:
        requirement(actor, board)
    return board, actor


def resolve(
    session: Session, board: BoardRules, token: str | None, admin_token: str | None
) -> Actor:
    """The actor a token stands for on `board`; no token is a viewer, an unknown one is a 401."""
    if token is None:
        return VIEWER
    if tokens.matches(token, admin_token):
        return Actor("moderator", is_admin=True)
    digest = tokens.hash_token(token)
    # Participants first: they make nearly all requests. Each lookup is by hash; the
    # constant-time compare keeps the final check timing-safe too.
    params = {"board_id": board.id, "digest": digest}
    connection = session.connection()
    participant = _PARTICIPANT.first(connection, params)
    if participant is not None and tokens.matches(digest, participant.token_hash):
        if participant.banned_at is not None:
            raise ApiError(403, "banned", "the moderators have banned you from this board")
        return Actor("participant", participant=Holder(participant.id, participant.name))
    key = _MODERATOR_KEY.first(connection, params)
    if key is not None and tokens.matches(digest, key.key_hash):
        return Actor("moderator", moderator=Holder(key.id, key.name, key.owner))
    raise ApiError(401, "invalid_token", "the token is not valid for this board")


def require_moderator(actor: Actor, _board: BoardRules | None = None) -> None:
    """A moderator of the board (the actor was resolved against it), or the admin token."""
    if actor.role == "viewer":
        raise ApiError(401, "token_required", "send this board's moderator key as a bearer token")
    if not actor.is_moderator:
        raise forbidden("only a moderator of this board may do this")


def require_owner(actor: Actor, _board: BoardRules | None = None) -> None:
    """The board's owner key (the one made with it) or the admin token."""
    require_moderator(actor)
    if not (actor.is_admin or (actor.moderator is not None and actor.moderator.owner)):
        raise ApiError(403, "owner_only", "only the board's owner key may manage moderator keys")


def require_token(actor: Actor, _board: BoardRules | None = None) -> None:
    """Anyone with a token: a participant or a moderator (viewers have nothing of their own)."""
    if actor.role == "viewer":
        raise ApiError(401, "token_required", "send a participant token or moderator key")


def require_participant(actor: Actor) -> Holder:
    if actor.participant is None:
        raise forbidden("join the board first: POST /api/boards/{slug}/participants")
    return actor.participant


def require_writer(actor: Actor, board: BoardRules) -> None:
    """Participants and moderators may write; participants not while the board is locked."""
    if actor.role == "viewer":
        raise ApiError(401, "token_required", "join the board to write: send a bearer token")
    if board.locked and not actor.is_moderator:
        raise ApiError(403, "board_locked", "the board is locked by its moderators")
