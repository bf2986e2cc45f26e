"""Boards and their sections: create, read, change, and the numbers about them."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from board.domain import audit, joincode, tokens, visibility
from board.domain.access import (
    Credentials,
    authorised,
    load_board,
    require_moderator,
    require_token,
)
from board.domain.notes import note_changed
from board.domain.schemas import BoardCreate, BoardUpdate, SectionCreate, SectionUpdate
from board.domain.slug import generate_slug
from board.domain.views import (
    board_listing,
    board_view,
    comments_by_note,
    events_page,
    for_role,
    held_notes_view,
    note_view,
    reveal_view,
    section_view,
    sections_of,
    snapshot_view,
    stats_view,
)
from board.errors import ApiError, not_found
from board.store import events
from board.store.db import Store
from board.store.models import Board, Comment, ModeratorKey, Note, Participant, Section, utcnow

OWNER_KEY_NAME = "Moderator"


def create_board(store: Store, spec: BoardCreate) -> tuple[dict[str, Any], str]:
    """Create a board with its sections; returns its view and the moderator key (shown once)."""
    # A generated slug or join code can collide with an existing one; fresh random ones resolve
    # that. A slug that was asked for and is taken is the caller's to change.
    for _attempt in range(8):
        slug = spec.slug or generate_slug(spec.title)
        try:
            return _insert_board(store, spec, slug, joincode.new_code())
        except sa.exc.IntegrityError:
            if spec.slug and slug_in_use(store, slug):
                break
    raise ApiError(409, "slug_taken", f"a board with slug {slug!r} exists; choose another")


def slug_in_use(store: Store, slug: str) -> bool:
    with store.read() as session:
        return session.exec(select(Board.id).where(Board.slug == slug)).first() is not None


def slug_for_code(store: Store, typed: str) -> str | None:
    """The slug of the board with this join code (any case, spaces and hyphens ignored)."""
    code = joincode.normalise(typed)
    if code is None:
        return None
    with store.read() as session:
        return session.exec(select(Board.slug).where(Board.code == code)).first()


def _insert_board(
    store: Store, spec: BoardCreate, slug: str, code: str
) -> tuple[dict[str, Any], str]:
    key = tokens.new_token()
    with store.write() as session:
        board = Board(
            slug=slug,
            code=code,
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
            ModeratorKey(
                board_id=board.id,
                name=OWNER_KEY_NAME,
                key_hash=tokens.hash_token(key),
                owner=True,
            )
        )
        session.flush()
        view = _announce(session, board, sections)
    return view, key


def new_owner_key(store: Store, slug: str) -> str:
    """Give the board owner a new moderator key (an organiser lost it); returns the key."""
    key = tokens.new_token()
    with store.write() as session:
        board = load_board(session, slug, lock=True)
        owner = session.exec(
            select(ModeratorKey).where(
                ModeratorKey.board_id == board.id, col(ModeratorKey.owner).is_(True)
            )
        ).first()
        assert owner is not None
        owner.key_hash = tokens.hash_token(key)
        session.add(owner)
    return key


def snapshot(store: Store, slug: str, creds: Credentials) -> dict[str, Any]:
    """`{board, notes, seq}` as the asker may see it."""
    with store.read() as session:
        board, actor = authorised(session, slug, creds)
        return _snapshot_rows(session, board, actor.is_moderator).view()


Row = sa.Row[*tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class SnapshotRows:
    """What a role's snapshot is made of: the board's view, and its notes, in board order, as
    rows with their comments' rows. snapshots.py encodes each note once for as long as these
    rows stay the same."""

    board_id: int
    seq: int
    moderator: bool
    board: dict[str, Any]
    notes: list[tuple[Row, list[Row]]]
    held: int  # notes a blind round holds: everyone gets the count, moderators the notes too

    def view(self) -> dict[str, Any]:
        """`{board, notes, held, seq}`: the snapshot as the API answers it."""
        notes = [note_view(note, comments, self.moderator) for note, comments in self.notes]
        return snapshot_view(self.board, notes, self.held, self.seq)


def snapshot_rows(store: Store, slug: str, moderator: bool) -> SnapshotRows:
    """The rows of the board as moderators, or everyone else, see it; no token is checked."""
    with store.read() as session:
        board = load_board(session, slug)
        assert board.id is not None
        return _snapshot_rows(session, board, moderator)


# Notes and comments as Core rows, not ORM objects: loading a thousand objects and reading their
# instrumented attributes took about 60 % of a snapshot of 1,000 notes. views.py takes either.
_NOTES = (
    sa.select(
        *(
            col(column)
            for column in (
                Note.id, Note.client_id, Note.section_id, Note.author_id, Note.author_name,
                Note.body, Note.link, Note.sdgs, Note.targets, Note.color, Note.status,
                Note.pinned, Note.position, Note.likes, Note.created_at, Note.updated_at,
                Note.version, Note.edited_by_moderator, Note.held, Note.flag_reason,
            )
        )
    )
    .where(col(Note.board_id) == sa.bindparam("board_id"), col(Note.deleted_at).is_(None))
    .order_by(col(Note.pinned).desc(), col(Note.position), col(Note.id).desc())
)  # fmt: skip
# Everyone but moderators shares one snapshot: a participant's own held notes are not in it
# (GET …/notes/held gives them to their author).
_VISIBLE_NOTES = _NOTES.where(visibility.EVERYONE_SEES)
# Every live comment of the board: for everyone but moderators, some belong to notes they do not
# see and are never shown; one indexed condition reads faster than a list of a thousand note ids.
_COMMENTS = (
    sa.select(
        col(Comment.id),
        col(Comment.note_id),
        col(Comment.author_id),
        col(Comment.author_name),
        col(Comment.body),
        col(Comment.created_at),
    )
    .where(col(Comment.board_id) == sa.bindparam("board_id"), col(Comment.deleted_at).is_(None))
    .order_by(col(Comment.id))
)


def _snapshot_rows(session: Session, board: Board, moderator: bool) -> SnapshotRows:
    assert board.id is not None
    connection, params = session.connection(), {"board_id": board.id}
    notes = connection.execute(_NOTES if moderator else _VISIBLE_NOTES, params).all()
    comments: defaultdict[int, list[Row]] = defaultdict(list)
    for comment in connection.execute(_COMMENTS, params):
        comments[comment.note_id].append(comment)
    view = board_view(board, sections_of(session, board.id), moderator)
    rows = [(n, comments[n.id]) for n in notes]
    held = visibility.held_count(session, board.id)
    return SnapshotRows(board.id, board.seq, moderator, view, rows, held)


def held_notes(store: Store, slug: str, creds: Credentials) -> dict[str, Any]:
    """`{notes}`: the notes a blind round holds that the asker may see: a participant's own
    (the shared snapshot leaves them out), every one for moderators. Oldest first."""
    with store.read() as session:
        board, actor = authorised(session, slug, creds, require_token)
        statement = select(Note).where(
            Note.board_id == board.id, col(Note.deleted_at).is_(None), visibility.HELD
        )
        if not actor.is_moderator:
            author = actor.participant.id if actor.participant is not None else None
            statement = statement.where(Note.author_id == author)
        rows = session.exec(statement.order_by(col(Note.id))).all()
        ids = [note.id for note in rows if note.id is not None]
        comments = comments_by_note(session, ids)
        moderator = actor.is_moderator
        notes = [note_view(n, comments[i], moderator) for n, i in zip(rows, ids, strict=True)]
        return held_notes_view(notes)


def catch_up(store: Store, slug: str, after: int, creds: Credentials) -> dict[str, Any]:
    """`{events, seq, more}`: the events after `after` the asker may see, one page at a time."""
    with store.read() as session:
        board, actor = authorised(session, slug, creds)
        if after > board.seq:
            raise ApiError(409, "reset", "since is ahead of this board; reload the snapshot")
        assert board.id is not None
        participant = actor.participant.id if actor.participant is not None else None
        page, last = events.since(
            session, board.id, after, actor.is_moderator, participant=participant
        )
        return events_page(page, last or board.seq, last is not None)


def update_board(
    store: Store, slug: str, change: BoardUpdate, creds: Credentials
) -> dict[str, Any]:
    """Change the settings that the request sends. `reveal` from "blind" to "instant" reveals
    the round: see `_reveal`. To "blind" again starts a new round (what was revealed stays)."""
    with store.write() as session:
        board, actor = authorised(session, slug, creds, require_moderator, lock=True)
        before, after = _apply(board, change)
        if not after:
            return board_view(board, sections_of(session, board.id), True)  # type: ignore[arg-type]
        audit.record(session, board, actor, "settings", before=before, after=after)
        if before.get("reveal") == "blind":
            return _reveal(session, board)
        return _board_changed(session, board)


def _reveal(session: Session, board: Board) -> dict[str, Any]:
    """Let go of every note the blind round held, in this transaction, with one event for all:
    `board.reveal` carries the board and how many notes everyone can see now, and clients fetch
    the (shared, compressed) snapshot rather than each socket being sent the round note by note
    (docs/performance.md measures both). Returns the moderators' view of the board."""
    assert board.id is not None
    revealed = visibility.held_count(session, board.id)
    session.execute(
        sa.update(Note)
        .where(col(Note.board_id) == board.id, col(Note.held).is_(True))
        .values(held=False)
    )
    board.updated_at = utcnow()
    session.add(board)
    session.flush()
    view = board_view(board, sections_of(session, board.id), moderator=True)
    events.append(
        session,
        board.id,
        "board.reveal",
        f"board:{board.id}",
        reveal_view(view, revealed),
        events.Public("board.reveal", reveal_view(for_role(view, False), revealed)),
    )
    return view


def _apply(
    row: Board | Section, change: BoardUpdate | SectionUpdate
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Copy the fields the request sent onto the row; returns what changed, before and after.
    Only fields whose null means something can be None here: the models refuse other nulls."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for field in sorted(change.model_fields_set):
        value = getattr(change, field)
        if getattr(row, field) != value:
            before[field], after[field] = getattr(row, field), value
            setattr(row, field, value)
    return before, after


def _board_changed(session: Session, board: Board) -> dict[str, Any]:
    assert board.id is not None
    board.updated_at = utcnow()
    session.add(board)
    session.flush()
    return _announce(session, board, sections_of(session, board.id))


def _announce(session: Session, board: Board, sections: list[Section]) -> dict[str, Any]:
    """Log the board's new state as a `board.upsert` everyone sees; returns the moderators'
    view (everyone else's leaves the word filter out)."""
    assert board.id is not None
    view = board_view(board, sections, moderator=True)
    events.append(
        session,
        board.id,
        "board.upsert",
        f"board:{board.id}",
        view,
        events.Public("board.upsert", for_role(view, False)),
    )
    return view


def add_section(store: Store, slug: str, spec: SectionCreate, creds: Credentials) -> dict[str, Any]:
    with store.write() as session:
        board, actor = authorised(session, slug, creds, require_moderator, lock=True)
        assert board.id is not None
        last = session.exec(
            select(func.max(Section.position)).where(Section.board_id == board.id)
        ).one()
        section = Section(board_id=board.id, title=spec.title, position=(last or 0) + 1)
        session.add(section)
        session.flush()
        _board_changed(session, board)
        view = section_view(section)
        audit.record(session, board, actor, "section.add", after=view)
        return view


def update_section(
    store: Store, slug: str, section_id: int, change: SectionUpdate, creds: Credentials
) -> dict[str, Any]:
    with store.write() as session:
        board, actor = authorised(session, slug, creds, require_moderator, lock=True)
        section = _section(session, board, section_id)
        before, after = _apply(section, change)
        if after:
            session.add(section)
            _board_changed(session, board)
            audit.record(
                session,
                board,
                actor,
                "section.edit",
                before={"id": section.id, **before},
                after={"id": section.id, **after},
            )
        return section_view(section)


def delete_section(store: Store, slug: str, section_id: int, creds: Credentials) -> None:
    """Remove a column; its notes stay on the board without a section."""
    with store.write() as session:
        board, actor = authorised(session, slug, creds, require_moderator, lock=True)
        section = _section(session, board, section_id)
        audit.record(session, board, actor, "section.delete", before=section_view(section))
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
        board, actor = authorised(session, slug, creds)
        rows = session.execute(
            sa.select(
                col(Note.status),
                col(Note.sdgs),
                col(Note.targets),
                col(Note.section_id),
                col(Note.held),
            ).where(col(Note.board_id) == board.id, col(Note.deleted_at).is_(None))
        ).all()
        counted = [
            r for r in rows if actor.is_moderator or visibility.seen_by_everyone(r.status, r.held)
        ]
        held = sum(r.status == "visible" and r.held for r in rows)
        per_goal = Counter(goal for r in counted for goal in r.sdgs)
        per_target = Counter(code for r in counted for code in r.targets)
        per_section = Counter(r.section_id for r in counted)
        sections = sections_of(session, board.id)  # type: ignore[arg-type]
        participants = session.exec(
            select(func.count())
            .select_from(Participant)
            .where(Participant.board_id == board.id, col(Participant.erased_at).is_(None))
        ).one()
        return stats_view(
            len(counted),
            sum(r.status == "pending" for r in rows) if actor.is_moderator else None,
            held,
            per_goal,
            per_target,
            per_section,
            sections,
            participants,
            viewers(board.id),  # type: ignore[arg-type]
        )


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
        return [board_listing(b, n or 0) for b, n in rows]
