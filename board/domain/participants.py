"""Joining a board, and erasing a participant with everything they wrote."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from board.domain import audit, tokens
from board.domain.access import Credentials, authorised, load_board, require_moderator
from board.domain.notes import comment_changed, likes_changed, note_changed
from board.domain.schemas import ParticipantCreate
from board.domain.views import ban_state, participant_created, ref
from board.errors import forbidden, not_found
from board.store import events
from board.store.db import Store
from board.store.models import Board, Comment, Like, Note, Participant, utcnow


def join(store: Store, slug: str, spec: ParticipantCreate) -> dict[str, Any]:
    """A new participant with a fresh token (returned once; only its hash is kept)."""
    token = tokens.new_token()
    with store.write() as session:
        board = load_board(session, slug)
        assert board.id is not None
        participant = Participant(
            board_id=board.id, name=spec.name, token_hash=tokens.hash_token(token)
        )
        session.add(participant)
        session.flush()
        return participant_created(participant, token)


def erase(store: Store, slug: str, participant_id: int, creds: Credentials) -> None:
    """Remove a participant's name, token, notes, comments and likes, and their text from the log.

    Allowed to moderators and to the participant themself, also on a locked board.
    """
    with store.write() as session:
        board, actor = authorised(session, slug, creds, lock=True)
        is_self = actor.participant is not None and actor.participant.id == participant_id
        if not (actor.is_moderator or is_self):
            raise forbidden("only a moderator or the participant themself may erase a participant")
        participant = _participant(session, board, participant_id)
        now = utcnow()

        notes = session.exec(
            select(Note).where(Note.author_id == participant_id, col(Note.deleted_at).is_(None))
        ).all()
        for note in notes:
            was_visible = note.status == "visible"
            note.deleted_at, note.body, note.link, note.author_name = now, "", None, ""
            session.add(note)
            note_changed(session, note, was_visible)

        comments = session.exec(
            select(Comment).where(
                Comment.author_id == participant_id, col(Comment.deleted_at).is_(None)
            )
        ).all()
        for comment in comments:
            comment.deleted_at, comment.body, comment.author_name = now, "", ""
            session.add(comment)
            parent = session.get(Note, comment.note_id)
            assert parent is not None
            if parent.deleted_at is None:
                comment_changed(session, comment, parent)

        likes = session.exec(select(Like).where(Like.participant_id == participant_id)).all()
        for like in likes:
            liked = session.get(Note, like.note_id)
            assert liked is not None
            session.delete(like)
            liked.likes -= 1
            session.add(liked)
            if liked.deleted_at is None:
                likes_changed(session, liked)

        session.flush()
        events.rewrite_as_removed(session, [f"note:{n.id}" for n in notes], "note.remove")
        events.rewrite_as_removed(session, [f"comment:{c.id}" for c in comments], "comment.remove")
        events.drop_comments(
            session, {c.note_id for c in comments}, {c.id for c in comments if c.id is not None}
        )
        audit.scrub_content(session, [n.id for n in notes if n.id is not None])
        participant.name, participant.token_hash, participant.erased_at = "", None, now
        session.add(participant)
        audit.record(session, board, actor, "erase", after={"participant_id": participant_id})


def _participant(session: Session, board: Board, participant_id: int) -> Participant:
    """A participant of this board who has not been erased, or 404."""
    participant = session.get(Participant, participant_id)
    if participant is None or participant.board_id != board.id or participant.erased_at:
        raise not_found("participant")
    return participant


def ban(store: Store, slug: str, participant_id: int, creds: Credentials) -> dict[str, Any]:
    """Ban a participant: their token is refused from now on (403), their live sockets close
    (1008, in every process, through the `participant.ban` event) and their notes that are
    visible or waiting are hidden; moderators may restore them one by one. Banning again
    changes nothing."""
    with store.write() as session:
        board, actor = authorised(session, slug, creds, require_moderator, lock=True)
        participant = _participant(session, board, participant_id)
        if participant.banned_at is not None:
            return ban_state(participant_id, True, [])
        participant.banned_at = utcnow()
        session.add(participant)
        notes = session.exec(
            select(Note)
            .where(
                Note.author_id == participant_id,
                col(Note.deleted_at).is_(None),
                col(Note.status).in_(("visible", "pending")),
            )
            .order_by(col(Note.id))
        ).all()
        for note in notes:
            was_visible = note.status == "visible"
            note.status, note.version, note.updated_at = "hidden", note.version + 1, utcnow()
            session.add(note)
            session.flush()
            note_changed(session, note, was_visible)
        assert board.id is not None
        entity = f"participant:{participant_id}"
        # Moderators only: the consoles learn of it; the hub closes the participant's sockets.
        events.append(session, board.id, "participant.ban", entity, ref(participant_id), None)
        hidden = [n.id for n in notes if n.id is not None]
        audit.record(
            session, board, actor, "ban", after={"participant_id": participant_id, "hidden": hidden}
        )
        return ban_state(participant_id, True, hidden)


def unban(store: Store, slug: str, participant_id: int, creds: Credentials) -> dict[str, Any]:
    """Lift a ban: the token works again. Notes the ban hid stay hidden until restored."""
    with store.write() as session:
        board, actor = authorised(session, slug, creds, require_moderator, lock=True)
        participant = _participant(session, board, participant_id)
        if participant.banned_at is not None:
            participant.banned_at = None
            session.add(participant)
            audit.record(session, board, actor, "unban", after={"participant_id": participant_id})
        return ban_state(participant_id, False, [])
