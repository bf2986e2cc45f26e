"""Notes, likes and comments: the rules for who may write what, and the events each change emits."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from board.domain import audit, sdg, visibility, wordfilter
from board.domain.access import (
    Actor,
    BoardRules,
    Credentials,
    authorised,
    board_rules,
    require_moderator,
    require_participant,
    require_writer,
)
from board.domain.schemas import ApproveCreate, CommentCreate, NoteCreate, NoteUpdate
from board.domain.views import (
    NoteRecord,
    comment_ref,
    comment_view,
    for_role,
    held_view,
    like_state,
    likes_view,
    note_view,
    note_with_comments,
    ref,
)
from board.errors import ApiError, forbidden, not_found
from board.store import events
from board.store.db import Store
from board.store.models import Board, Comment, Like, Note, Section, utcnow
from board.store.prepared import Prepared

AUTHOR_FIELDS = {"body", "sdgs", "targets", "link", "color"}
CONTENT_FIELDS = ("body", "sdgs", "targets", "link", "section_id", "color")
# What a note says: a moderator who changes these marks the note `edited_by_moderator`.
WORDING_FIELDS = {"body", "link", "sdgs", "targets"}
# The same participant posting the same text again within this gets the first note back.
DUPLICATE_WINDOW = timedelta(minutes=10)

# Built once, in Core: every post runs these, and the ORM costs several times the statements.
# The duplicate check runs on the driver's cursor (prepared.py); the insert keeps SQLAlchemy's
# execution for the model's defaults and the typed RETURNING.
_RECENT_DUPLICATE = Prepared(
    sa.select(col(Note.id))
    .where(
        col(Note.board_id) == sa.bindparam("board_id"),
        col(Note.author_id) == sa.bindparam("author_id"),
        col(Note.body) == sa.bindparam("body"),
        col(Note.deleted_at).is_(None),
        col(Note.created_at) >= sa.bindparam("since"),
    )
    .order_by(col(Note.id))
    .limit(1)
)
_INSERT_NOTE = sa.insert(Note).returning(*Note.__table__.columns)  # type: ignore[attr-defined]


def note_changed(
    session: Session, note: NoteRecord, was_visible: bool, new: bool = False
) -> dict[str, Any]:
    """Append the event for a note's new state and return the moderators' view of the note
    (`{id}` once deleted); `for_role` cuts it down for anyone else.

    Viewers get a removal when the note leaves `visible`. A note a blind round holds is its
    author's alone (visibility.public), and everyone learns the new count when it starts or
    stops counting (`board.held`). A `new` note has no comments to read.
    """
    assert note.id is not None
    removed = ref(note.id)
    visible = note.deleted_at is None and note.status == "visible"
    if note.deleted_at is not None:
        public = visibility.public(note, "note.remove", removed) if was_visible else None
        events.append(session, note.board_id, "note.remove", f"note:{note.id}", removed, public)
        view = removed
    else:
        view = note_view(note, [], True) if new else note_with_comments(session, note, True)
        if visible:
            public = visibility.public(note, "note.upsert", for_role(view, False))
        else:
            public = visibility.public(note, "note.remove", removed) if was_visible else None
        events.append(session, note.board_id, "note.upsert", f"note:{note.id}", view, public)
    if note.held and visible != was_visible:
        held_changed(session, note.board_id)
    return view


def held_changed(session: Session, board_id: int) -> None:
    """Tell everyone how many notes the blind round holds now: the count, never the notes."""
    data = held_view(visibility.held_count(session, board_id))
    events.append(
        session,
        board_id,
        "board.held",
        f"board:{board_id}",
        data,
        events.Public("board.held", data),
    )


def post_note(
    store: Store, slug: str, spec: NoteCreate, creds: Credentials
) -> tuple[dict[str, Any], bool]:
    """Create a note; returns its view and whether it is new (False: a retry of the same post,
    or the same text from the same participant again within DUPLICATE_WINDOW)."""
    try:
        with store.write() as session:
            board = board_rules(session, slug, lock=True)
            actor = creds.actor(session, board)
            require_writer(actor, board)
            _check_content(session, board, spec.sdgs, spec.section_id)
            assert board.id is not None
            if actor.participant is not None:
                first = _recent_duplicate(session, board, actor.participant.id, spec.body)
                if first is not None:
                    if first.client_id == spec.client_id:
                        return _retried(session, first, spec, actor), False
                    return note_with_comments(session, first), False
            flag = None if actor.is_moderator else _flag(board, spec.body, spec.link)
            pre_moderated = board.moderation == "pre" and not actor.is_moderator
            values = {
                "board_id": board.id,
                "client_id": spec.client_id,
                "section_id": spec.section_id,
                "author_id": actor.participant.id if actor.participant else None,
                "author_name": actor.display_name,
                "body": spec.body,
                "link": spec.link,
                "sdgs": spec.sdgs,
                "targets": spec.targets,
                "color": spec.color,
                "status": "pending" if pre_moderated or flag else "visible",
                "flag_reason": flag,
                # A blind round holds what is posted in it, the moderators' notes too.
                "held": board.reveal == "blind",
            }
            # A client_id already used on this board fails here, before any event.
            note = session.connection().execute(_INSERT_NOTE, values).one()
            view = note_changed(session, note, was_visible=False, new=True)
            return for_role(view, actor.is_moderator), True
    except sa.exc.IntegrityError:
        # The client_id exists: a retry of the same post (200, same note) or a conflict (409).
        with store.read() as session:
            board = board_rules(session, slug)
            existing = _by_client_id(session, board, spec.client_id)
            if existing is None:
                raise
            return _retried(session, existing, spec, creds.actor(session, board)), False


def _recent_duplicate(
    session: Session, board: BoardRules, author_id: int | None, body: str
) -> Note | None:
    """The author's live note with this text from within DUPLICATE_WINDOW, if any."""
    params = {
        "board_id": board.id,
        "author_id": author_id,
        "body": body,
        "since": utcnow() - DUPLICATE_WINDOW,
    }
    note_id = _RECENT_DUPLICATE.scalar(session.connection(), params)
    return None if note_id is None else session.get(Note, note_id)


def _flag(board: BoardRules, body: str, link: str | None) -> str | None:
    """Why the board's word filter holds this text for a moderator, or None."""
    match = wordfilter.first_match(board.word_filter, body, link or "")
    return None if match is None else f'word filter: "{match}"'


def _by_client_id(session: Session, board: BoardRules, client_id: str) -> Note | None:
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
    return note_with_comments(session, note, actor.is_moderator)


def _check_content(
    session: Session, board: BoardRules, sdgs: list[int] | None, section_id: int | None
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
    """Edit a note: check who may change what and the version, work out the fields it ends up
    with, then apply what differs, flag or audit it, and announce it. An edit that changes
    nothing changes nothing: no new version, no event."""
    fields = change.model_fields_set
    with store.write() as session:
        board, actor = authorised(session, slug, creds, require_writer, lock=True)
        note = _note(session, board, note_id, actor)
        _check_may_edit(actor, note, fields)
        _check_version(note, if_match)
        wanted = _wanted(note, change)
        _check_content(
            session,
            board,
            wanted["sdgs"] if "sdgs" in fields else None,
            change.section_id if "section_id" in fields else None,
        )
        changed = {f for f, value in wanted.items() if getattr(note, f) != value}
        # A moderator who sets the status has looked at the note: the flag has done its work.
        unflag = actor.is_moderator and "status" in fields and note.flag_reason is not None
        if not changed and not unflag:
            return note_with_comments(session, note, actor.is_moderator)
        was_visible = note.status == "visible"
        before = _apply_edit(note, wanted, changed)
        if actor.is_moderator:
            _moderator_edited(session, board, actor, note, before, unflag)
        else:
            _author_edited(board, note, changed)
        _new_version(session, note)
        return for_role(note_changed(session, note, was_visible), actor.is_moderator)


def approve_notes(
    store: Store, slug: str, spec: ApproveCreate, creds: Credentials
) -> dict[str, Any]:
    """Approve many pending notes in one transaction: each as a moderator's PATCH to
    `status: visible` would (flag cleared, new version, one `approve` audit entry, one event),
    so the events of the batch are committed, and fanned out, together. Ids that are not
    pending notes of this board now (approved or hidden meanwhile, deleted, unknown) are left
    as they are and listed as skipped: two consoles approving the same queue do not fail."""
    with store.write() as session:
        board, actor = authorised(session, slug, creds, require_moderator, lock=True)
        rows = session.exec(
            select(Note)
            .where(
                Note.board_id == board.id,
                col(Note.id).in_(spec.ids),
                col(Note.deleted_at).is_(None),
                Note.status == "pending",
            )
            .order_by(col(Note.id))
        ).all()
        approved = []
        for note in rows:
            note.status = "visible"
            note.flag_reason = None
            _audit_update(session, board, actor, note, {"status": "pending"})
            _new_version(session, note)
            approved.append(note_changed(session, note, was_visible=False))
        done = {note.id for note in rows}
        return {"approved": approved, "skipped": [i for i in spec.ids if i not in done]}


def _check_may_edit(actor: Actor, note: Note, fields: set[str]) -> None:
    """Moderators may change any field; an author only the note's content (AUTHOR_FIELDS)."""
    if actor.is_moderator:
        return
    if not _is_author(actor, note):
        raise forbidden("only the author or a moderator may edit this note")
    if fields - AUTHOR_FIELDS:
        raise forbidden(f"only moderators may change {', '.join(sorted(fields - AUTHOR_FIELDS))}")


def _wanted(note: Note, change: NoteUpdate) -> dict[str, Any]:
    """The value of each field the edit sends, as the note should have it."""
    wanted = {f: getattr(change, f) for f in change.model_fields_set}
    if "sdgs" in wanted or "targets" in wanted:
        # A target implies its goal, whichever of the two the edit sends (the other is kept).
        wanted["sdgs"] = sdg.with_goals_of(
            wanted.get("sdgs", note.sdgs), wanted.get("targets", note.targets)
        )
    return wanted


def _apply_edit(note: Note, wanted: dict[str, Any], changed: set[str]) -> dict[str, Any]:
    """Set the changed fields; returns what they were before (for the audit trail)."""
    before = {f: getattr(note, f) for f in changed}
    for field in changed:
        setattr(note, field, wanted[field])
    return before


def _moderator_edited(
    session: Session,
    board: Board,
    actor: Actor,
    note: Note,
    before: dict[str, Any],
    unflag: bool,
) -> None:
    """A moderator's edit clears the flag if asked, marks changed wording, and is audited."""
    if unflag:
        note.flag_reason = None
    if before.keys() & WORDING_FIELDS and note.author_id is not None:
        note.edited_by_moderator = True
    _audit_update(session, board, actor, note, before)


def _author_edited(board: Board, note: Note, changed: set[str]) -> None:
    """The author's new words go through the filter; an approved note edited by its author on a
    pre-moderated board needs approval again."""
    flag = _flag(board, note.body, note.link) if changed & {"body", "link"} else None
    if flag is not None:
        note.status, note.flag_reason = "pending", flag
    elif board.moderation == "pre" and note.status == "visible":
        note.status = "pending"


def _new_version(session: Session, note: Note) -> None:
    note.version += 1
    note.updated_at = utcnow()
    session.add(note)
    session.flush()


# What a status change is called in the audit trail, by (from, to).
STATUS_ACTIONS = {
    ("pending", "visible"): "approve",
    ("hidden", "visible"): "restore",
    ("pending", "hidden"): "hide",
    ("visible", "hidden"): "hide",
    ("visible", "pending"): "unapprove",
    ("hidden", "pending"): "unapprove",
}


def _audit_update(
    session: Session, board: Board, actor: Actor, note: Note, before: dict[str, Any]
) -> None:
    """One audit entry per kind of change a moderator made to a note in one request."""

    def entry(action: str, fields: set[str]) -> None:
        audit.record(
            session,
            board,
            actor,
            action,
            note_id=note.id,
            before={f: before[f] for f in sorted(fields)},
            after={f: getattr(note, f) for f in sorted(fields)},
        )

    if "status" in before:
        entry(STATUS_ACTIONS[(before["status"], note.status)], {"status"})
    if content := set(before) & AUTHOR_FIELDS:
        entry("edit", content)
    if place := set(before) & {"section_id", "position"}:
        entry("move", place)
    if "pinned" in before:
        entry("pin" if note.pinned else "unpin", {"pinned"})


# The note's version, bare or as an ETag, or "*": any current version (RFC 9110). The OpenAPI
# document states the same pattern, so it is spelled for ECMAScript as much as for Python.
IF_MATCH_PATTERN = r'^[ \t]*(?:\*|(?:W/)?"?([0-9]{1,9})"?)[ \t]*$'


def _check_version(note: Note, if_match: str | None) -> None:
    if if_match is None:
        return
    match = re.fullmatch(IF_MATCH_PATTERN, if_match)
    if match is None:
        raise ApiError(400, "bad_if_match", "If-Match must be the note's version number")
    if match.group(1) is not None and int(match.group(1)) != note.version:
        raise ApiError(
            409,
            "version_conflict",
            f"the note changed meanwhile (now version {note.version}); reload and retry",
        )


def delete_note(store: Store, slug: str, note_id: int, creds: Credentials) -> None:
    with store.write() as session:
        board, actor = authorised(session, slug, creds, require_writer, lock=True)
        note = _note(session, board, note_id, actor)
        if not (actor.is_moderator or _is_author(actor, note)):
            raise forbidden("only the author or a moderator may delete this note")
        note.deleted_at = utcnow()
        session.add(note)
        note_changed(session, note, was_visible=note.status == "visible")
        audit.record(session, board, actor, "delete", note_id=note.id)


def set_like(
    store: Store, slug: str, note_id: int, liked: bool, creds: Credentials
) -> dict[str, Any]:
    """Like or unlike, idempotently: repeating either changes nothing and emits nothing."""
    with store.write() as session:
        board, actor = authorised(session, slug, creds, require_writer, lock=True)
        participant = require_participant(actor)
        note = _note(session, board, note_id, actor)
        like = session.get(Like, (note_id, participant.id))
        if liked != (like is not None):
            if like is None:
                session.add(Like(note_id=note_id, participant_id=participant.id))
            else:
                session.delete(like)
            note.likes += 1 if liked else -1
            session.add(note)
            likes_changed(session, note)
        return like_state(note, liked)


def likes_changed(session: Session, note: Note) -> None:
    data = likes_view(note)
    public = visibility.public(note, "likes", data) if note.status == "visible" else None
    events.append(session, note.board_id, "likes", f"note:{note.id}:likes", data, public)


def add_comment(
    store: Store, slug: str, note_id: int, spec: CommentCreate, creds: Credentials
) -> dict[str, Any]:
    with store.write() as session:
        board, actor = authorised(session, slug, creds, require_writer, lock=True)
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
    """The event for a comment; those on a held note are its author's alone, as the note."""
    shown = note.status == "visible"
    if comment.deleted_at is not None:
        removed = comment_ref(comment)
        public = visibility.public(note, "comment.remove", removed) if shown else None
        kind, data = "comment.remove", removed
    else:
        data = comment_view(comment)
        public = visibility.public(note, "comment.upsert", data) if shown else None
        kind = "comment.upsert"
    events.append(session, note.board_id, kind, f"comment:{comment.id}", data, public)


def _note(session: Session, board: Board, note_id: int, actor: Actor) -> Note:
    """A live note of this board that the actor may see (pending and hidden: moderators, author;
    held by a blind round: moderators, author)."""
    note = session.get(Note, note_id)
    if note is None or note.board_id != board.id or note.deleted_at is not None:
        raise not_found("note")
    hidden_from_others = note.status != "visible" or note.held
    if hidden_from_others and not (actor.is_moderator or _is_author(actor, note)):
        raise not_found("note")
    return note


def _is_author(actor: Actor, note: Note) -> bool:
    return actor.participant is not None and note.author_id == actor.participant.id
