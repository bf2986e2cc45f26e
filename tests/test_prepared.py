"""Prepared statements: the same rows, values and errors as SQLAlchemy's own execution, on the
driver's cursor and again forced onto the adapter's fallback (`Connection.execute`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col
from test_internals_sqlalchemy import every_prepared

from board.domain import access, boards, participants
from board.domain.schemas import BoardCreate, BoardUpdate, ParticipantCreate
from board.domain.tokens import hash_token
from board.internals import sqlalchemy_private
from board.store import db, events
from board.store.models import Participant, utcnow


@pytest.fixture(autouse=True, params=["cursor", "fallback"])
def execution(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test on the cursor, and again as if SQLAlchemy no longer offered what it needs."""
    statements = every_prepared().values()
    if request.param == "fallback":
        monkeypatch.setattr(sqlalchemy_private, "cursor_form", lambda statement, dialect: None)
        for statement in statements:
            monkeypatch.setattr(statement, "_forms", {})  # forget the forms made so far
    yield
    forms = [form for statement in statements for form in statement._forms.values()]
    assert forms and all((form is None) == (request.param == "fallback") for form in forms)


def test_rows_convert_as_sqlalchemy_does(store: db.Store) -> None:
    """JSON lists, booleans, datetimes and NULLs come back as SQLAlchemy's execute gives them."""
    view, key = boards.create_board(store, BoardCreate(title="Typer"))
    slug = view["slug"]
    change = BoardUpdate(locked=True, word_filter=["gratis", "kjøp nå"])
    boards.update_board(store, slug, change, access.Credentials(key, None))
    token = participants.join(store, slug, ParticipantCreate(name="Ola"))["token"]
    banned = participants.join(store, slug, ParticipantCreate(name="Kari"))["token"]
    with store.write() as session:
        session.execute(
            sa.update(Participant)
            .where(col(Participant.token_hash) == hash_token(banned))
            .values(banned_at=utcnow() - timedelta(minutes=5))
        )
    with store.read() as session:
        connection = session.connection()
        rules = access._RULES.first(connection, {"slug": slug})
        expected = connection.execute(access._RULES.statement, {"slug": slug}).one()
        assert rules._asdict() == dict(expected._mapping)
        assert rules.locked is True and rules.word_filter == ["gratis", "kjøp nå"]
        for held in (token, banned):
            params = {"board_id": rules.id, "digest": hash_token(held)}
            row = access._PARTICIPANT.first(connection, params)
            expected = connection.execute(access._PARTICIPANT.statement, params).one()
            assert row._asdict() == dict(expected._mapping)
        assert row.banned_at is not None
        unknown = {"board_id": rules.id, "digest": hash_token("nobody")}
        assert access._PARTICIPANT.first(connection, unknown) is None


def test_values_the_statement_carries_are_sent(store: db.Store) -> None:
    """`seq + 1` keeps its own 1: each call takes the next number."""
    view, _key = boards.create_board(store, BoardCreate(title="Teller"))
    with store.write() as session:
        board = access.board_rules(session, view["slug"])
        first = events.next_seq(session, board.id)
        assert events.next_seq(session, board.id) == first + 1


def test_driver_errors_are_raised_as_sqlalchemy_errors(store: db.Store) -> None:
    """A constraint violation (a `seq` taken twice) is SQLAlchemy's IntegrityError, which the
    callers' handlers expect, not the driver's own."""
    view, _key = boards.create_board(store, BoardCreate(title="Dobbel"))
    with pytest.raises(sa.exc.IntegrityError), store.write() as session:
        board = access.board_rules(session, view["slug"])
        taken = {
            "board_id": board.id,
            "seq": events.current_seq(session, board.id),
            "entity": "board",
            "kind": "board.update",
            "data": {},
            "public_kind": None,
            "public_data": None,
            "private_to": None,
            "created_at": utcnow(),
        }
        events._INSERT_EVENT.all(session.connection(), taken)
