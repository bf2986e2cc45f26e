"""The JSON backup: a whole board written to a file, and a file made into a board again.

The file is an `Archive` (archive.py) as JSON, format "sdg-pinboard-backup", version 5 (version
1 files, from before notes had targets, import with none; version 1 and 2 files, from before the
audit trail, import without one; files before version 5 import with no blind round: every note
revealed, `reveal` "instant"); the models below say what each field may hold
(docs/archive.md). Import checks the whole file against them before it writes anything, then
recreates the board in one transaction with new ids and a new moderator key (keys and tokens
are never in a backup: participants join again).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, cast

import pydantic_core
import sqlalchemy as sa
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlmodel import Session, SQLModel, select

from board.archive.contents import (
    FORMAT,
    VERSION,
    Archive,
    AuditData,
    AuthorData,
    BoardData,
    NoteData,
    ParticipantData,
    SectionData,
)
from board.domain import sdg, tokens
from board.domain.boards import OWNER_KEY_NAME
from board.domain.joincode import CODE_PATTERN as JOIN_CODE_PATTERN
from board.domain.joincode import new_code
from board.domain.schemas import (
    COMMENT_MAX,
    FILTER_ENTRY_MAX,
    NAME_MAX,
    NOTE_MAX,
    Color,
    Goals,
    Id,
    Link,
    Locale,
    Moderation,
    RetentionDays,
    Reveal,
    Status,
    Storable,
    Targets,
    TimeZone,
    describe,
)
from board.domain.slug import SLUG_PATTERN
from board.errors import ApiError
from board.store.db import Store
from board.store.models import Audit, Board, Comment, ModeratorKey, Note, Participant, Section

# Text is checked, never changed (no trimming): an import must give back exactly what was saved.
Text = Annotated[str, Storable]
Timestamp = AwareDatetime
# Counts fit the database's 32-bit integers, so a valid file cannot fail halfway through import.
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class AuthorRecord(Record):
    id: Id | None = Field(description="A participant's id in this file; null: a moderator")
    name: Annotated[Text, Field(max_length=NAME_MAX)]


class CommentRecord(Record):
    id: Id
    author: AuthorRecord
    body: Annotated[Text, Field(max_length=COMMENT_MAX)]
    created_at: Timestamp
    deleted_at: Timestamp | None


class NoteRecord(Record):
    id: Id
    client_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    section_id: Id | None
    author: AuthorRecord
    body: Annotated[Text, Field(max_length=NOTE_MAX)]
    link: Link
    sdgs: Goals
    # Absent in version 1 files, made before notes had targets.
    targets: Targets = []
    color: Color
    status: Status
    pinned: bool
    position: Annotated[float, Field(allow_inf_nan=False)]
    likes: Count
    version: Annotated[Count, Field(ge=1)]
    created_at: Timestamp
    updated_at: Timestamp
    deleted_at: Timestamp | None
    # Absent in version 1 and 2 files, made before the word filter.
    flag_reason: Annotated[Text, Field(max_length=200)] | None = None
    edited_by_moderator: bool = False
    # Absent before version 5, made before blind rounds: every note was revealed.
    held: bool = False
    comments: list[CommentRecord]

    @model_validator(mode="after")
    def _has_body(self) -> NoteRecord:
        # Only a deleted note may be empty: erasing a participant blanks their notes.
        if not self.body and self.deleted_at is None:
            raise ValueError("body is empty on a note that is not deleted")
        return self

    @model_validator(mode="after")
    def _targets_have_their_goals(self) -> NoteRecord:
        # The app never stores a target without its goal; a file that does was not made by it.
        if missing := set(sdg.with_goals_of([], self.targets)) - set(self.sdgs):
            raise ValueError(f"goal {min(missing)} of a target is not in sdgs")
        return self


class SectionRecord(Record):
    id: Id
    title: Annotated[Text, Field(min_length=1, max_length=80)]
    position: Count


class ParticipantRecord(Record):
    id: Id
    name: Annotated[Text, Field(max_length=NAME_MAX)]
    created_at: Timestamp
    erased_at: Timestamp | None
    banned_at: Timestamp | None = None


class BoardRecord(Record):
    slug: Annotated[str, Field(pattern=SLUG_PATTERN)]
    # Version 4 (#17); older files, and a code another board has, get a new one on import.
    code: Annotated[str, Field(pattern=JOIN_CODE_PATTERN)] | None = None
    title: Annotated[Text, Field(min_length=1, max_length=200)]
    description: Annotated[Text, Field(max_length=2000)]
    locale: Locale
    moderation: Moderation
    locked: bool
    require_sdg: bool
    timezone: TimeZone
    word_filter: Annotated[
        list[Annotated[Text, Field(min_length=1, max_length=FILTER_ENTRY_MAX)]],
        Field(max_length=500),
    ] = []
    retention_days: RetentionDays | None = None
    # Version 5 (#18); older files had no blind rounds.
    reveal: Reveal = "instant"
    created_at: Timestamp
    updated_at: Timestamp
    seq: Annotated[Count, Field(description="The board's last event number")]


class AuditRecord(Record):
    id: Id
    at: Timestamp
    moderator: Annotated[Text, Field(max_length=NAME_MAX)]
    action: Annotated[str, Field(pattern=r"^[a-z][a-z.]{0,19}$")]
    note_id: Id | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class BackupFile(Record):
    """What a backup file must be, checked in full before an import writes anything."""

    format: Literal["sdg-pinboard-backup"]
    version: Literal[1, 2, 3, 4, 5]
    board: BoardRecord
    sections: list[SectionRecord]
    participants: list[ParticipantRecord]
    notes: list[NoteRecord]
    audit: list[AuditRecord] = []

    @model_validator(mode="after")
    def _references_resolve(self) -> BackupFile:
        sections = _unique("sections", [s.id for s in self.sections])
        people = _unique("participants", [p.id for p in self.participants])
        notes = _unique("notes", [n.id for n in self.notes])
        _unique("comments", [c.id for n in self.notes for c in n.comments])
        _unique("audit entries", [a.id for a in self.audit])
        for index, entry in enumerate(self.audit):
            if entry.note_id is not None and entry.note_id not in notes:
                raise ValueError(f"audit.{index}.note_id {entry.note_id} is not a note")
        if len({n.client_id for n in self.notes}) != len(self.notes):
            raise ValueError("two notes have the same client_id")
        # Revealing a round lets go of every held note: only a blind board can hold one.
        if self.board.reveal != "blind" and any(n.held for n in self.notes):
            raise ValueError('a note is held but the board\'s reveal is not "blind"')
        for index, note in enumerate(self.notes):
            if note.section_id is not None and note.section_id not in sections:
                raise ValueError(f"notes.{index}.section_id {note.section_id} is not a section")
            authors = [note.author.id] + [c.author.id for c in note.comments]
            for author in authors:
                if author is not None and author not in people:
                    raise ValueError(f"notes.{index}: author {author} is not a participant")
        return self


def _unique(what: str, values: list[Any]) -> set[Any]:
    seen = set(values)
    if len(seen) != len(values):
        raise ValueError(f"two {what} have the same id")
    return seen


class BadBackup(Exception):
    """A file that is not a backup this version can import; the message says why, in one line."""


def dump(archive: Archive) -> bytes:
    """The backup file's bytes: deterministic (same board, same bytes), UTF-8, one final LF."""
    return pydantic_core.to_json(archive, indent=2) + b"\n"


def parse(raw: bytes) -> Archive:
    """Check a backup file completely; raises BadBackup with a one-line reason."""
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise BadBackup("not UTF-8 text") from None
    except (ValueError, RecursionError) as exc:
        raise BadBackup(f"not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BadBackup(f'not an SDG Pinboard backup (no "format": "{FORMAT}")')
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BadBackup("version must be a whole number from 1 up")
    if version > VERSION:
        raise BadBackup(
            f"a version {version} backup, newer than this SDG Pinboard reads "
            f"(version {VERSION}): upgrade SDG Pinboard to import it"
        )
    try:
        checked = BackupFile.model_validate_json(raw)
    except ValidationError as exc:
        raise BadBackup(f"not a valid backup: {describe(exc)}") from None
    return cast(Archive, checked.model_dump())


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def restore(store: Store, archive: Archive, slug: str | None = None) -> tuple[Board, str]:
    """Create the archived board (under `slug` if given) in one transaction.

    Returns the new board and its moderator key (shown once). A slug in use is a 409. The
    board keeps its join code unless another board has it (or the file has none): then it gets
    a new one, which the caller can tell from `board.code`.
    """
    slug = slug or archive["board"]["slug"]
    key = tokens.new_token()
    taken = ApiError(
        409, "slug_taken", f"a board with slug {slug!r} exists; import it under another: --slug NEW"
    )
    try:
        with store.write(patient=True) as session:
            if _slug_in_use(session, slug):
                raise taken
            board = _insert_board(session, archive["board"], slug)
            assert board.id is not None
            _insert_owner_key(session, board.id, key)
            sections = _insert_sections(session, board.id, archive["sections"])
            people = _insert_participants(session, board.id, archive["participants"])
            notes = _insert_notes(session, board.id, archive["notes"], sections, people)
            _insert_comments(session, board.id, archive["notes"], notes, people)
            ids = {"participant": people, "note": notes, "section": sections}
            _insert_audit(session, board.id, archive["audit"], ids)
    except sa.exc.IntegrityError:
        # Another process made a board with this slug (or code) between the check and the commit.
        raise taken from None
    return board, key


def _slug_in_use(session: Session, slug: str) -> bool:
    return session.exec(select(Board.id).where(Board.slug == slug)).first() is not None


def _free_code(session: Session, wanted: str | None) -> str:
    code = wanted
    while code is None or session.exec(select(Board.id).where(Board.code == code)).first():
        code = new_code()
    return code


def _insert_board(session: Session, saved: BoardData, slug: str) -> Board:
    """The board row, flushed so that its id is known."""
    board = Board(
        slug=slug,
        code=_free_code(session, saved["code"]),
        title=saved["title"],
        description=saved["description"],
        locale=saved["locale"],
        moderation=saved["moderation"],
        locked=saved["locked"],
        require_sdg=saved["require_sdg"],
        timezone=saved["timezone"],
        word_filter=saved["word_filter"],
        retention_days=saved["retention_days"],
        reveal=saved["reveal"],
        seq=saved["seq"],
        created_at=_utc(saved["created_at"]),
        updated_at=_utc(saved["updated_at"]),
    )
    session.add(board)
    session.flush()
    return board


def _insert_owner_key(session: Session, board_id: int, key: str) -> None:
    """A new owner key: keys are never in a backup, so the importer gets the only one."""
    session.add(
        ModeratorKey(
            board_id=board_id, name=OWNER_KEY_NAME, key_hash=tokens.hash_token(key), owner=True
        )
    )


def _insert_sections(
    session: Session, board_id: int, sections: list[SectionData]
) -> dict[int, int]:
    return _insert(
        session,
        {
            s["id"]: Section(board_id=board_id, title=s["title"], position=s["position"])
            for s in sections
        },
    )


def _insert_participants(
    session: Session, board_id: int, participants: list[ParticipantData]
) -> dict[int, int]:
    return _insert(
        session,
        {
            p["id"]: Participant(
                board_id=board_id,
                name=p["name"],
                created_at=_utc(p["created_at"]),
                erased_at=_utc_or_none(p["erased_at"]),
                banned_at=_utc_or_none(p["banned_at"]),
            )
            for p in participants
        },
    )


def _insert_notes(
    session: Session,
    board_id: int,
    notes: list[NoteData],
    sections: dict[int, int],
    people: dict[int, int],
) -> dict[int, int]:
    return _insert(
        session,
        {
            n["id"]: Note(
                board_id=board_id,
                client_id=n["client_id"],
                section_id=None if n["section_id"] is None else sections[n["section_id"]],
                author_id=_author_id(n["author"], people),
                author_name=n["author"]["name"],
                body=n["body"],
                link=n["link"],
                sdgs=n["sdgs"],
                targets=n["targets"],
                color=n["color"],
                status=n["status"],
                pinned=n["pinned"],
                position=n["position"],
                likes=n["likes"],
                version=n["version"],
                created_at=_utc(n["created_at"]),
                updated_at=_utc(n["updated_at"]),
                deleted_at=_utc_or_none(n["deleted_at"]),
                flag_reason=n["flag_reason"],
                edited_by_moderator=n["edited_by_moderator"],
                held=n["held"],
            )
            for n in notes
        },
    )


def _insert_comments(
    session: Session,
    board_id: int,
    notes: list[NoteData],
    note_ids: dict[int, int],
    people: dict[int, int],
) -> None:
    session.add_all(
        Comment(
            board_id=board_id,
            note_id=note_ids[n["id"]],
            author_id=_author_id(c["author"], people),
            author_name=c["author"]["name"],
            body=c["body"],
            created_at=_utc(c["created_at"]),
            deleted_at=_utc_or_none(c["deleted_at"]),
        )
        for n in notes
        for c in n["comments"]
    )


def _insert_audit(
    session: Session, board_id: int, audit: list[AuditData], ids: dict[str, dict[int, int]]
) -> None:
    session.add_all(
        Audit(
            board_id=board_id,
            at=_utc(a["at"]),
            moderator=a["moderator"],
            action=a["action"],
            note_id=None if a["note_id"] is None else ids["note"][a["note_id"]],
            before=_renumbered(a, a["before"], ids),
            after=_renumbered(a, a["after"], ids),
        )
        for a in audit
    )


def _author_id(author: AuthorData, people: dict[int, int]) -> int | None:
    """The imported participant's id; None for a moderator."""
    return None if author["id"] is None else people[author["id"]]


def _renumbered(
    entry: AuditData, data: dict[str, Any] | None, ids: dict[str, dict[int, int]]
) -> dict[str, Any] | None:
    """An audit entry's before or after with the ids it names made the imported board's ids.

    What is no longer on the board (a deleted section, a moderator key: keys are never in a
    backup) becomes null.
    """
    if data is None:
        return None
    renumbered = dict(data)
    for field, kind in (("participant_id", "participant"), ("section_id", "section")):
        if isinstance(renumbered.get(field), int):
            renumbered[field] = ids[kind].get(renumbered[field])
    if isinstance(renumbered.get("hidden"), list):
        renumbered["hidden"] = [ids["note"][i] for i in renumbered["hidden"] if i in ids["note"]]
    if isinstance(renumbered.get("id"), int):
        kind = entry["action"].split(".")[0]
        renumbered["id"] = ids[kind].get(renumbered["id"]) if kind in ids else None
    return renumbered


def _insert(session: Session, rows: dict[int, SQLModel]) -> dict[int, int]:
    """Insert rows in the file's order (so new ids keep it); returns old id → new id."""
    session.add_all(rows.values())
    session.flush()
    return {old: row.id for old, row in rows.items()}  # type: ignore[attr-defined]


def _utc(value: datetime) -> datetime:
    # SQLite keeps the wall time it is given and drops the zone: store UTC, as the app does.
    return value.astimezone(UTC)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)
