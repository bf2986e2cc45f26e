"""Boards and their sections: create, read, change, and the numbers about them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from . import events, sdg, tokens
from .access import Credentials, load_board, require_moderator
from .db import Store
from .errors import ApiError, not_found
from .models import Board, ModeratorKey, Note, Participant, Section, utcnow
from .notes import note_changed
from .schemas import BoardCreate, BoardUpdate, SectionCreate, SectionUpdate
from .slug import generate_slug
from .views import board_view, comments_by_note, note_view, sections_of

OWNER_KEY_NAME = "Moderator"


def create_board(store: Store, spec: BoardCreate) -> tuple[dict[str, Any], str]:
    """Create a board with its sections; returns its view and the moderator key (shown once)."""
    # A generated slug can collide with an existing one; a fresh random suffix resolves that.
    for _attempt in range(5):
        slug = spec.slug or generate_slug(spec.title)
        try:
            return _insert_board(store, spec, slug)
        except sa.exc.IntegrityError:
            if spec.slug:
                break
    raise ApiError(409, "slug_taken", f"a board with slug {slug!r} exists; choose another")


def _insert_board(store: Store, spec: BoardCreate, slug: str) -> tuple[dict[str, Any], str]:
    key = tokens.new_token()
    with store.write() as session:
        board = Board(
            slug=slug,
            title=spec.title,
            description=spec.description,
            locale=spec.locale,
            moderation=spec.moderation,
            require_sdg=spec.require_sdg,
            timezone=spec.timezone,
        )
        session.add(board)
        session.flush()
        assert board.id is not None
        sections = [
            Section(board_id=board.id, title=title, position=index)
            for index, title in enumerate(spec.sections)
        ]
        session.add_all(sections)
        session.add(
            ModeratorKey(board_id=board.id, name=OWNER_KEY_NAME, key_hash=tokens.hash_token(key))
        )
        session.flush()
        view = _announce(session, board, sections)
    return view, key


def new_owner_key(store: Store, slug: str) -> str:
    """Give the board owner a new moderator key (an organiser lost it); returns the key."""
    key = tokens.new_token()
    with store.write() as session:
        board = load_board(session, slug, lock=True)
        # The owner key is the one made with the board: the first.
        owner = session.exec(
            select(ModeratorKey)
            .where(ModeratorKey.board_id == board.id)
            .order_by(col(ModeratorKey.id))
        ).first()
        assert owner is not None
        owner.key_hash = tokens.hash_token(key)
        session.add(owner)
    return key


def snapshot(store: Store, slug: str, creds: Credentials) -> dict[str, Any]:
    """`{board, notes, seq}` as the asker may see it."""
    with store.read() as session:
        board = load_board(session, slug)
        actor = creds.actor(session, board)
        statement = select(Note).where(Note.board_id == board.id, col(Note.deleted_at).is_(None))
        if not actor.is_moderator:
            statement = statement.where(Note.status == "visible")
        notes = session.exec(
            statement.order_by(col(Note.pinned).desc(), col(Note.position), col(Note.id).desc())
        ).all()
        comments = comments_by_note(session, [n.id for n in notes if n.id is not None])
        return {
            "board": board_view(board, sections_of(session, board.id)),  # type: ignore[arg-type]
            "notes": [note_view(n, comments[n.id]) for n in notes if n.id is not None],
            "seq": board.seq,
        }


def catch_up(store: Store, slug: str, after: int, creds: Credentials) -> dict[str, Any]:
    """`{events, seq, more}`: the events after `after` the asker may see, one page at a time."""
    with store.read() as session:
        board = load_board(session, slug)
        actor = creds.actor(session, board)
        if after > board.seq:
            raise ApiError(409, "reset", "since is ahead of this board; reload the snapshot")
        assert board.id is not None
        page, last = events.since(session, board.id, after, actor.is_moderator)
        return {"events": page, "seq": last or board.seq, "more": last is not None}


def update_board(
    store: Store, slug: str, change: BoardUpdate, creds: Credentials
) -> dict[str, Any]:
    with store.write() as session:
        board = load_board(session, slug, lock=True)
        require_moderator(creds.actor(session, board))
        if not _apply(board, change):
            return board_view(board, sections_of(session, board.id))  # type: ignore[arg-type]
        return _board_changed(session, board)


def _apply(row: Board | Section, change: BoardUpdate | SectionUpdate) -> bool:
    """Copy the fields the request sent onto the row; returns whether anything changed."""
    changed = False
    for field in change.model_fields_set:
        value = getattr(change, field)
        if value is None:
            raise ApiError(422, "invalid", f"{field} cannot be null")
        changed |= getattr(row, field) != value
        setattr(row, field, value)
    return changed


def _board_changed(session: Session, board: Board) -> dict[str, Any]:
    assert board.id is not None
    board.updated_at = utcnow()
    session.add(board)
    session.flush()
    return _announce(session, board, sections_of(session, board.id))


def _announce(session: Session, board: Board, sections: list[Section]) -> dict[str, Any]:
    """Log the board's new state as a `board.upsert` everyone sees; returns the view."""
    assert board.id is not None
    view = board_view(board, sections)
    events.append(
        session,
        board.id,
        "board.upsert",
        f"board:{board.id}",
        view,
        events.Public("board.upsert", view),
    )
    return view


def add_section(store: Store, slug: str, spec: SectionCreate, creds: Credentials) -> dict[str, Any]:
    with store.write() as session:
        board = load_board(session, slug, lock=True)
        require_moderator(creds.actor(session, board))
        assert board.id is not None
        last = session.exec(
            select(func.max(Section.position)).where(Section.board_id == board.id)
        ).one()
        section = Section(board_id=board.id, title=spec.title, position=(last or 0) + 1)
        session.add(section)
        session.flush()
        _board_changed(session, board)
        return {"id": section.id, "title": section.title, "position": section.position}


def update_section(
    store: Store, slug: str, section_id: int, change: SectionUpdate, creds: Credentials
) -> dict[str, Any]:
    with store.write() as session:
        board = load_board(session, slug, lock=True)
        require_moderator(creds.actor(session, board))
        section = _section(session, board, section_id)
        if _apply(section, change):
            session.add(section)
            _board_changed(session, board)
        return {"id": section.id, "title": section.title, "position": section.position}


def delete_section(store: Store, slug: str, section_id: int, creds: Credentials) -> None:
    """Remove a column; its notes stay on the board without a section."""
    with store.write() as session:
        board = load_board(session, slug, lock=True)
        require_moderator(creds.actor(session, board))
        section = _section(session, board, section_id)
        moved = session.exec(
            select(Note).where(Note.section_id == section_id, col(Note.deleted_at).is_(None))
        ).all()
        session.delete(section)
        session.flush()
        _board_changed(session, board)
        # Clients learn of each moved note, so their columns stay right without a reload.
        for note in moved:
            session.refresh(note)
            note_changed(session, note, was_visible=note.status == "visible")


def _section(session: Session, board: Board, section_id: int) -> Section:
    section = session.get(Section, section_id)
    if section is None or section.board_id != board.id:
        raise not_found("section")
    return section


def stats(
    store: Store, slug: str, creds: Credentials, viewers: Callable[[int], int]
) -> dict[str, Any]:
    with store.read() as session:
        board = load_board(session, slug)
        actor = creds.actor(session, board)
        rows = session.exec(
            select(Note.status, Note.sdgs, Note.targets, Note.section_id).where(
                Note.board_id == board.id, col(Note.deleted_at).is_(None)
            )
        ).all()
        counted = [r for r in rows if actor.is_moderator or r[0] == "visible"]
        per_goal = Counter(goal for _, goals, _, _ in counted for goal in goals)
        per_target = Counter(code for _, _, codes, _ in counted for code in codes)
        per_section = Counter(section_id for _, _, _, section_id in counted)
        sections = sections_of(session, board.id)  # type: ignore[arg-type]
        participants = session.exec(
            select(func.count())
            .select_from(Participant)
            .where(Participant.board_id == board.id, col(Participant.erased_at).is_(None))
        ).one()
        return {
            "notes": len(counted),
            "pending": sum(r[0] == "pending" for r in rows) if actor.is_moderator else None,
            "sdgs": [{"number": n, "notes": per_goal[n]} for n in sdg.GOAL_NUMBERS],
            "targets": [{"code": c, "notes": per_target[c]} for c in sdg.targets()],
            "sections": [
                {"id": s.id, "title": s.title, "notes": per_section[s.id]} for s in sections
            ]
            + [{"id": None, "title": "", "notes": per_section[None]}],
            "participants": participants,
            "viewers": viewers(board.id),  # type: ignore[arg-type]
        }


def list_boards(store: Store) -> list[dict[str, Any]]:
    """Every board with its note count, newest first (for the CLI)."""
    with store.read() as session:
        counts = (
            select(Note.board_id, func.count().label("notes"))
            .where(col(Note.deleted_at).is_(None))
            .group_by(col(Note.board_id))
            .subquery()
        )
        rows = session.exec(
            select(Board, counts.c.notes)
            .outerjoin(counts, counts.c.board_id == Board.id)
            .order_by(col(Board.created_at).desc(), col(Board.id).desc())
        ).all()
        return [
            {"slug": b.slug, "title": b.title, "notes": n or 0, "created_at": b.created_at}
            for b, n in rows
        ]
