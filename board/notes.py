"""Notes, likes and comments: the rules for who may write what, and the events each change emits."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from . import events, sdg
from .access import Actor, Credentials, load_board, require_participant, require_writer
from .db import Store
from .errors import ApiError, forbidden, not_found
from .models import Board, Comment, Like, Note, Section, utcnow
from .schemas import CommentCreate, NoteCreate, NoteUpdate
from .views import comment_view, note_view, note_with_comments

AUTHOR_FIELDS = {"body", "sdgs", "targets", "link", "color"}
CONTENT_FIELDS = ("body", "sdgs", "targets", "link", "section_id", "color")


def note_changed(
    session: Session, note: Note, was_visible: bool, new: bool = False
) -> dict[str, Any]:
    """Append the event for a note's new state and return the note's view (`{id}` once deleted).

    Viewers get a removal when the note leaves `visible`. A `new` note has no comments to read.
    """
    assert note.id is not None
    ref = {"id": note.id}
    if note.deleted_at is not None:
        events.append(
            session,
            note.board_id,
            "note.remove",
            f"note:{note.id}",
            ref,
            events.Public("note.remove", ref) if was_visible else None,
        )
        return ref
    view = note_view(note, []) if new else note_with_comments(session, note)
    if note.status == "visible":
        public: events.Public | None = events.Public("note.upsert", view)
    else:
        public = events.Public("note.remove", ref) if was_visible else None
    events.append(session, note.board_id, "note.upsert", f"note:{note.id}", view, public)
    return view


def post_note(
    store: Store, slug: str, spec: NoteCreate, creds: Credentials
) -> tuple[dict[str, Any], bool]:
    """Create a note; returns its view and whether it is new (False: a retry of the same post)."""
    try:
        with store.write() as session:
            board = load_board(session, slug, lock=True)
            actor = creds.actor(session, board)
            require_writer(actor, board)
            _check_content(session, board, spec.sdgs, spec.section_id)
            assert board.id is not None
            pre_moderated = board.moderation == "pre" and not actor.is_moderator
            note = Note(
                board_id=board.id,
                client_id=spec.client_id,
                section_id=spec.section_id,
                author_id=actor.participant.id if actor.participant else None,
                author_name=actor.display_name,
                body=spec.body,
                link=spec.link,
                sdgs=spec.sdgs,
                targets=spec.targets,
                color=spec.color,
                status="pending" if pre_moderated else "visible",
            )
            session.add(note)
            session.flush()  # a client_id already used on this board fails here, before any event
            return note_changed(session, note, was_visible=False, new=True), True
    except sa.exc.IntegrityError:
        # The client_id exists: a retry of the same post (200, same note) or a conflict (409).
        with store.read() as session:
            board = load_board(session, slug)
            existing = _by_client_id(session, board, spec.client_id)
            if existing is None:
                raise
            return _retried(session, existing, spec, creds.actor(session, board)), False


def _by_client_id(session: Session, board: Board, client_id: str) -> Note | None:
    return session.exec(
        select(Note).where(Note.board_id == board.id, Note.client_id == client_id)
    ).first()


def _retried(session: Session, note: Note, spec: NoteCreate, actor: Actor) -> dict[str, Any]:
    same_author = note.author_id == (actor.participant.id if actor.participant else None)
    same_content = all(getattr(note, f) == getattr(spec, f) for f in CONTENT_FIELDS)
    if not (same_author and same_content):
        raise ApiError(
            409,
            "client_id_conflict",
            "this client_id was already used for a different note; use a new one",
        )
    return note_with_comments(session, note)


def _check_content(
    session: Session, board: Board, sdgs: list[int] | None, section_id: int | None
) -> None:
    if sdgs is not None and board.require_sdg and not sdgs:
        raise ApiError(422, "sdg_required", "this board asks for at least one SDG per note")
    if section_id is not None:
        section = session.get(Section, section_id)
        if section is None or section.board_id != board.id:
            raise ApiError(422, "unknown_section", f"section {section_id} is not on this board")


def update_note(
    store: Store,
    slug: str,
    note_id: int,
    change: NoteUpdate,
    if_match: str | None,
    creds: Credentials,
) -> dict[str, Any]:
    fields = change.model_fields_set
    with store.write() as session:
        board = load_board(session, slug, lock=True)
        actor = creds.actor(session, board)
        require_writer(actor, board)
        note = _note(session, board, note_id, actor)
        if not actor.is_moderator:
            if not _is_author(actor, note):
                raise forbidden("only the author or a moderator may edit this note")
            if fields - AUTHOR_FIELDS:
                raise forbidden(
                    f"only moderators may change {', '.join(sorted(fields - AUTHOR_FIELDS))}"
                )
        _check_version(note, if_match)
        for field in ("body", "sdgs", "targets", "color", "status", "pinned", "position"):
            if field in fields and getattr(change, field) is None:
                raise ApiError(422, "invalid", f"{field} cannot be null")
        wanted = {f: getattr(change, f) for f in fields}
        if "sdgs" in wanted or "targets" in wanted:
            # A target implies its goal, whichever of the two the edit sends (the other is kept).
            wanted["sdgs"] = sdg.with_goals_of(
                wanted.get("sdgs", note.sdgs), wanted.get("targets", note.targets)
            )
        _check_content(
            session,
            board,
            wanted["sdgs"] if "sdgs" in fields else None,
            change.section_id if "section_id" in fields else None,
        )
        changed = {f for f, value in wanted.items() if getattr(note, f) != value}
        if not changed:
            return note_with_comments(session, note)
        was_visible = note.status == "visible"
        for field in changed:
            setattr(note, field, wanted[field])
        # An approved note edited by its author on a pre-moderated board needs approval again.
        if board.moderation == "pre" and not actor.is_moderator and note.status == "visible":
            note.status = "pending"
        note.version += 1
        note.updated_at = utcnow()
        session.add(note)
        session.flush()
        return note_changed(session, note, was_visible)


def _check_version(note: Note, if_match: str | None) -> None:
    if if_match is None or if_match.strip() == "*":  # "*": any current version (RFC 9110)
        return
    match = re.fullmatch(r'\s*(?:W/)?"?(\d{1,9})"?\s*', if_match)
    if match is None:
        raise ApiError(400, "bad_if_match", "If-Match must be the note's version number")
    if int(match.group(1)) != note.version:
        raise ApiError(
            409,
            "version_conflict",
            f"the note changed meanwhile (now version {note.version}); reload and retry",
        )


def delete_note(store: Store, slug: str, note_id: int, creds: Credentials) -> None:
    with store.write() as session:
        board = load_board(session, slug, lock=True)
        actor = creds.actor(session, board)
        require_writer(actor, board)
        note = _note(session, board, note_id, actor)
        if not (actor.is_moderator or _is_author(actor, note)):
            raise forbidden("only the author or a moderator may delete this note")
        note.deleted_at = utcnow()
        session.add(note)
        note_changed(session, note, was_visible=note.status == "visible")


def set_like(
    store: Store, slug: str, note_id: int, liked: bool, creds: Credentials
) -> dict[str, Any]:
    """Like or unlike, idempotently: repeating either changes nothing and emits nothing."""
    with store.write() as session:
        board = load_board(session, slug, lock=True)
        actor = creds.actor(session, board)
        require_writer(actor, board)
        participant = require_participant(actor)
        note = _note(session, board, note_id, actor)
        like = session.get(Like, (note_id, participant.id))
        if liked != (like is not None):
            if like is None:
                session.add(Like(note_id=note_id, participant_id=participant.id))  # type: ignore[arg-type]
            else:
                session.delete(like)
            note.likes += 1 if liked else -1
            session.add(note)
            likes_changed(session, note)
        return {"note_id": note_id, "likes": note.likes, "liked": liked}


def likes_changed(session: Session, note: Note) -> None:
    data = {"note_id": note.id, "likes": note.likes}
    events.append(
        session,
        note.board_id,
        "likes",
        f"note:{note.id}:likes",
        data,
        events.Public("likes", data) if note.status == "visible" else None,
    )


def add_comment(
    store: Store, slug: str, note_id: int, spec: CommentCreate, creds: Credentials
) -> dict[str, Any]:
    with store.write() as session:
        board = load_board(session, slug, lock=True)
        actor = creds.actor(session, board)
        require_writer(actor, board)
        note = _note(session, board, note_id, actor)
        comment = Comment(
            board_id=note.board_id,
            note_id=note_id,
            author_id=actor.participant.id if actor.participant else None,
            author_name=actor.display_name,
            body=spec.body,
        )
        session.add(comment)
        session.flush()
        comment_changed(session, comment, note)
        return comment_view(comment)


def comment_changed(session: Session, comment: Comment, note: Note) -> None:
    public = note.status == "visible"
    if comment.deleted_at is not None:
        ref = {"id": comment.id, "note_id": comment.note_id}
        events.append(
            session,
            note.board_id,
            "comment.remove",
            f"comment:{comment.id}",
            ref,
            events.Public("comment.remove", ref) if public else None,
        )
        return
    view = comment_view(comment)
    events.append(
        session,
        note.board_id,
        "comment.upsert",
        f"comment:{comment.id}",
        view,
        events.Public("comment.upsert", view) if public else None,
    )


def _note(session: Session, board: Board, note_id: int, actor: Actor) -> Note:
    """A live note of this board that the actor may see (pending and hidden: moderators, author)."""
    note = session.get(Note, note_id)
    if note is None or note.board_id != board.id or note.deleted_at is not None:
        raise not_found("note")
    if note.status != "visible" and not (actor.is_moderator or _is_author(actor, note)):
        raise not_found("note")
    return note


def _is_author(actor: Actor, note: Note) -> bool:
    return actor.participant is not None and note.author_id == actor.participant.id
