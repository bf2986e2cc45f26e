"""API input and output models. Routes validate with these and OpenAPI is generated from them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    ValidationError,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from board.domain import sdg
from board.domain.joincode import CODE_PATTERN as JOIN_CODE_PATTERN
from board.domain.slug import SLUG_PATTERN

NOTE_MAX = 2000
COMMENT_MAX = 1000
NAME_MAX = 60
COLORS = ("yellow", "orange", "pink", "purple", "blue", "green", "white")
Color = Literal["yellow", "orange", "pink", "purple", "blue", "green", "white"]
Status = Literal["pending", "visible", "hidden"]
Moderation = Literal["pre", "post"]
# "blind": notes posted now are held until a moderator reveals them (domain/visibility.py).
Reveal = Literal["instant", "blind"]
Locale = Literal["nb", "en"]
TARGET_COUNT = 169
# What text fields are trimmed of: Unicode's White_Space, spelled out, because `\s` means
# different sets in Python, Rust and ECMAScript regexes, and the schema must say what the server
# does. `_SPACE` is the same set as a regex class (written with \uXXXX escapes, which all three
# read alike); a test holds the two together.
WHITESPACE = (
    "\t\n\v\f\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)
_SPACE = r"\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Any text without NUL (PostgreSQL text cannot hold it).
TEXT_PATTERN = r"^[^\u0000]*$"
# The same, with at least one character that is not whitespace: not blank once trimmed.
NOT_BLANK_PATTERN = rf"^[{_SPACE}]*[^\u0000{_SPACE}][^\u0000]*$"
# An http(s) link, or "" for none: a host (brackets only around an IPv6 address), then
# optionally a path, query or fragment; no control character or whitespace anywhere.
_NOT_IN_LINK = rf"\u0000-\u0020\u007f-\u00a0{_SPACE}"
_HOST_CHAR = rf"[^{_NOT_IN_LINK}/?#\[\]]"
LINK_PATTERN = (
    rf"^(?:[Hh][Tt][Tt][Pp][Ss]?://(?:{_HOST_CHAR}+|{_HOST_CHAR}*\[{_HOST_CHAR}+\]{_HOST_CHAR}*)"
    rf"(?:[/?#][^{_NOT_IN_LINK}]*)?)?$"
)
CLIENT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
# What a pattern asks for, in the words of a 422's message.
PATTERN_MEANINGS = {
    TEXT_PATTERN: "must not contain NUL characters",
    NOT_BLANK_PATTERN: "must not be blank or contain NUL characters",
    LINK_PATTERN: "must be an http:// or https:// URL, without spaces or control characters",
    CLIENT_ID_PATTERN: "must be 1 to 64 letters, digits, _ or -",
    SLUG_PATTERN: "must be 1 to 64 lower-case letters (a-z), digits or hyphens, starting and "
    "ending with a letter or digit",
}


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and lone surrogates cannot be encoded at all.
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return value


def _trim(value: str) -> str:
    return value.strip(WHITESPACE)


def _text(min_length: int, max_length: int) -> Any:
    """A text field's rules: `max_length` characters as sent, no NUL, not blank when
    `min_length` is 1. Counting before trimming (`Trimmed`) keeps the schema's maxLength true."""
    assert min_length in (0, 1)
    pattern = NOT_BLANK_PATTERN if min_length else TEXT_PATTERN
    return Field(min_length=min_length, max_length=max_length, pattern=pattern)


def _integral(value: Any) -> Any:
    # JSON Schema counts 3.0 as an integer, so the server does too; 3.5, "3" and true stay wrong.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _sorted_unique(values: list[int]) -> list[int]:
    return sorted(set(values))


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _known_targets(codes: list[str]) -> list[str]:
    unknown = [code for code in codes if not sdg.is_target(code)]
    if unknown:
        raise ValueError(
            f"unknown SDG target {unknown[0][:20]!r}; "
            "the codes are in GET /api/sdgs (such as 12.7 or 12.a)"
        )
    return sdg.in_order(codes)


def _none_if_empty(value: str | None) -> str | None:
    return value or None


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _time_zone(value: str) -> str:
    # Only names from the IANA database: ZoneInfo() alone would also open paths like "../x".
    if value not in _zones():
        raise ValueError("timezone must be an IANA time zone name such as Europe/Oslo")
    return value


def _target_codes(schema: dict[str, Any]) -> None:
    schema["enum"] = list(sdg.targets())


def _zone_names(schema: dict[str, Any]) -> None:
    # Listed when the document is made, not at import: reading the time zone database is slow.
    schema["enum"] = sorted(_zones())


Storable = AfterValidator(_storable)
# After the bounds in an Annotated, or the bounds leave the JSON schema.
Integral = BeforeValidator(_integral)
# Stored without edge whitespace.
Trimmed = AfterValidator(_trim)
NoteBody = Annotated[str, _text(1, NOTE_MAX), Trimmed, Storable]
CommentBody = Annotated[str, _text(1, COMMENT_MAX), Trimmed, Storable]
DisplayName = Annotated[str, _text(0, NAME_MAX), Trimmed, Storable]
Title = Annotated[str, _text(1, 200), Trimmed, Storable]
SectionTitle = Annotated[str, _text(1, 80), Trimmed, Storable]
Description = Annotated[str, _text(0, 2000), Trimmed, Storable]
Goals = Annotated[
    list[Annotated[int, Field(ge=1, le=17), Integral]],
    Field(max_length=17),
    AfterValidator(_sorted_unique),
]
# Target codes such as 12.7 or 12.a, kept unique in catalogue order (12.7 before 12.a). The
# catalogue decides, with a message a person reads; the document lists the same codes.
Targets = Annotated[
    list[Annotated[str, Field(json_schema_extra=_target_codes)]],
    Field(max_length=TARGET_COUNT),
    AfterValidator(_known_targets),
]
# Ids are 32-bit in the database; a larger number must be a 422, not an overflow deep down.
Id = Annotated[int, Field(ge=1, le=2**31 - 1), Integral]
# An empty link is no link.
Link = Annotated[
    Annotated[str, Field(max_length=2000, pattern=LINK_PATTERN), Storable] | None,
    AfterValidator(_none_if_empty),
]
TimeZone = Annotated[
    str, Field(max_length=64, json_schema_extra=_zone_names), AfterValidator(_time_zone)
]
DEFAULT_TIME_ZONE = "Europe/Oslo"
FILTER_ENTRY_MAX = 100
WordFilter = Annotated[
    list[Annotated[str, _text(1, FILTER_ENTRY_MAX), Trimmed, Storable]],
    Field(max_length=500, description="Words and phrases that hold a note for a moderator"),
    AfterValidator(_unique),
]
RetentionDays = Annotated[
    int,
    Field(ge=1, le=36500, description="Days after creation when `board purge` anonymises it"),
    Integral,
]


class Input(BaseModel):
    """Request bodies reject unknown fields, so a typo is an error rather than silently ignored.

    A field whose default is None may be left out; sending null for it is refused (and the
    schema offers no null) unless it is in `nullable`, where null means something: no section,
    no link, keep forever, a generated slug."""

    # Strict: JSON true is not goal 1 and "3" is not a number.
    model_config = ConfigDict(extra="forbid", strict=True)
    nullable: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def _not_null(cls) -> list[str]:
        return [
            name
            for name, field in cls.model_fields.items()
            if field.default is None and name not in cls.nullable
        ]

    @model_validator(mode="before")
    @classmethod
    def _refuse_null(cls, data: Any) -> Any:
        if isinstance(data, dict):
            sent_null = [name for name in cls._not_null() if name in data and data[name] is None]
            if sent_null:
                raise ValueError(f"{sent_null[0]} cannot be null; leave it out to keep it")
        return data

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        model = handler.resolve_ref_schema(schema)
        for name in cls._not_null():
            prop = model["properties"][name]
            prop.pop("default", None)
            branches = [b for b in prop.pop("anyOf", []) if b != {"type": "null"}]
            if len(branches) == 1:
                prop.update(branches[0])
            elif branches:
                prop["anyOf"] = branches
        return schema


class BoardCreate(Input):
    nullable = frozenset({"slug"})

    title: Title
    slug: Annotated[str, Field(pattern=SLUG_PATTERN)] | None = None
    description: Description = ""
    locale: Locale = "nb"
    moderation: Moderation = "post"
    require_sdg: bool = False
    timezone: TimeZone = DEFAULT_TIME_ZONE
    sections: Annotated[list[SectionTitle], Field(max_length=20)] = []


class BoardUpdate(Input):
    nullable = frozenset({"retention_days"})

    title: Title | None = None
    description: Description | None = None
    moderation: Moderation | None = None
    locked: bool | None = None
    require_sdg: bool | None = None
    timezone: TimeZone | None = None
    word_filter: WordFilter | None = None
    retention_days: RetentionDays | None = Field(
        None, description="Days after creation when `board purge` anonymises it; null: never"
    )
    reveal: Reveal | None = Field(
        None,
        description='"blind" starts a blind round: notes posted from now on are held, seen by '
        'their authors and the moderators only; "instant" reveals every held note at once',
    )


class SectionCreate(Input):
    title: SectionTitle


class SectionUpdate(Input):
    title: SectionTitle | None = None
    position: Annotated[int, Field(ge=0, le=1000), Integral] | None = None


class ParticipantCreate(Input):
    name: DisplayName = ""


class NoteCreate(Input):
    nullable = frozenset({"section_id", "link"})

    client_id: Annotated[str, Field(pattern=CLIENT_ID_PATTERN)]
    body: NoteBody
    sdgs: Goals = []
    targets: Targets = Field([], description="SDG target codes; each one adds its goal to `sdgs`")
    section_id: Id | None = None
    link: Link = None
    color: Color = "yellow"

    @model_validator(mode="after")
    def _targets_imply_goals(self) -> NoteCreate:
        self.sdgs = sdg.with_goals_of(self.sdgs, self.targets)
        return self


class NoteUpdate(Input):
    """Authors may change content; moderators may also change status, pin, section and order."""

    nullable = frozenset({"section_id", "link"})

    body: NoteBody | None = None
    sdgs: Goals | None = None
    targets: Targets | None = Field(
        None, description="Replaces the note's targets; each one adds its goal to `sdgs`"
    )
    link: Link = None
    color: Color | None = None
    section_id: Id | None = None
    status: Status | None = None
    pinned: bool | None = None
    position: Annotated[float, Field(ge=-1e9, le=1e9)] | None = None


class CommentCreate(Input):
    body: CommentBody


class SuggestCreate(Input):
    """A text to suggest SDGs for (POST /api/sdgs/suggest)."""

    nullable = frozenset({"lang"})

    text: Annotated[str, Field(max_length=NOTE_MAX)] = Field(
        description=f"The note's text, up to {NOTE_MAX} characters (empty: no suggestions)"
    )
    lang: Locale | None = Field(
        None, description="The text's language; null or left out: detected from the text"
    )


class GoalSuggestion(BaseModel):
    goal: int = Field(ge=1, le=17)
    score: float = Field(ge=0, le=1, description="How strong the evidence is, 0 to 1 in hundredths")
    targets: list[str] = Field(description="The goal's targets that fit, best first; may be empty")
    matched: list[str] = Field(
        description="The words of the text (lower case, as phrases where a phrase matched) that "
        "led to the goal, in the order of the text"
    )


class Suggestions(BaseModel):
    goals: list[GoalSuggestion] = Field(
        max_length=3, description="At most three goals, best first; none when nothing matched"
    )


class SdgName(BaseModel):
    en: str
    nb: str


class TargetText(BaseModel):
    en: str = Field(description="Official English text; there is no official bokmål text here")


class SdgTarget(BaseModel):
    code: str = Field(description="12.7, 12.a: the goal's number, a dot, a number or letter")
    text: TargetText


class Sdg(BaseModel):
    number: int
    name: SdgName
    color: str
    targets: list[SdgTarget] = Field(description="The goal's targets in the UN's order")


class SectionPublic(BaseModel):
    id: int
    title: str
    position: int


class BoardPublic(BaseModel):
    slug: str
    code: str = Field(
        description="Short join code, 6 upper-case characters without look-alikes: "
        "/j/{code} leads to the board",
        pattern=JOIN_CODE_PATTERN,
    )
    title: str
    description: str
    locale: Locale
    moderation: Moderation
    locked: bool
    require_sdg: bool
    timezone: str = Field(description="IANA time zone the Markdown export writes times in")
    retention_days: int | None = Field(
        description="Days after creation when the board is anonymised; null: kept as it is"
    )
    reveal: Reveal = Field(
        description='"blind" while a blind round holds new notes back; "instant" otherwise'
    )
    word_filter: list[str] | None = Field(None, description="Moderators only")
    sections: list[SectionPublic]
    created_at: datetime


class Author(BaseModel):
    id: int | None = Field(description="Participant id; null when a moderator wrote it")
    name: str = Field(description="Display name; empty means anonymous")


class CommentPublic(BaseModel):
    id: int
    note_id: int
    author: Author
    body: str
    created_at: datetime


class NotePublic(BaseModel):
    id: int
    client_id: str
    section_id: int | None
    author: Author
    body: str
    link: str | None
    sdgs: list[int]
    targets: list[str] = Field(description="SDG target codes in catalogue order")
    color: Color
    status: Status
    pinned: bool
    position: float
    likes: int
    comments: list[CommentPublic]
    created_at: datetime
    updated_at: datetime
    version: int
    edited_by_moderator: bool = Field(description="A moderator changed what the note says")
    held: bool = Field(
        description="Held by a blind round: only its author and the moderators see it until "
        "a moderator reveals the round"
    )
    flag_reason: str | None = Field(
        None, description="Moderators only: why the note waits for approval (the word filter)"
    )


class Snapshot(BaseModel):
    board: BoardPublic
    notes: list[NotePublic] = Field(
        description="Moderators: every live note; everyone else: the visible ones a blind round "
        "does not hold (a participant's own held notes: GET …/notes/held)"
    )
    held: int = Field(description="Notes a blind round holds, waiting to be revealed")
    seq: int = Field(description="The board's last event; pass it as `since` to resume")


class HeldNotes(BaseModel):
    notes: list[NotePublic] = Field(
        description="Held notes the caller may see, oldest first: a participant's own, all of "
        "them for moderators"
    )


class BoardCreated(BaseModel):
    board: BoardPublic
    moderator_key: str = Field(description="Shown once; only its hash is stored")


class ParticipantCreated(BaseModel):
    id: int
    name: str
    token: str = Field(description="Bearer token for this board; shown once")


class LikeState(BaseModel):
    note_id: int
    likes: int
    liked: bool


class EventPublic(BaseModel):
    type: Literal["event"] = "event"
    seq: int
    kind: str
    data: dict[str, Any]


class EventsPage(BaseModel):
    events: list[EventPublic]
    seq: int = Field(description="Cursor: pass it as `since` to continue")
    more: bool = Field(description="True when more events follow; ask again with `since=seq`")


class SdgCount(BaseModel):
    number: int
    notes: int


class TargetCount(BaseModel):
    code: str
    notes: int


class SectionCount(BaseModel):
    id: int | None
    title: str
    notes: int


class Stats(BaseModel):
    notes: int = Field(
        description="Visible notes not held by a blind round (moderators: all notes but "
        "deleted ones); per goal, target and section alike"
    )
    pending: int | None = Field(None, description="Notes awaiting approval; moderators only")
    held: int = Field(description="Notes a blind round holds, waiting to be revealed")
    sdgs: list[SdgCount]
    targets: list[TargetCount] = Field(
        description="Notes per target, every target in catalogue order"
    )
    sections: list[SectionCount]
    participants: int
    viewers: int = Field(description="Open live connections now")


class KeyTerm(BaseModel):
    term: str = Field(description="A word or two-word phrase, as most notes wrote it")
    count: int = Field(description="How many of the counted notes contain it")


class KeyTerms(BaseModel):
    terms: list[KeyTerm] = Field(description="Most notes first, then alphabetically")
    notes: int = Field(description="The notes counted: visible ones (of the goal, if asked)")
    goal: int | None = Field(description="The goal asked for; null: the whole board")
    seq: int = Field(description="The snapshot's seq the terms were counted at")


class ModeratorCreate(Input):
    name: Annotated[str, _text(1, NAME_MAX), Trimmed, Storable]


class ModeratorPublic(BaseModel):
    id: int
    name: str
    owner: bool = Field(description="The key made with the board; it manages the others")
    created_at: datetime
    revoked_at: datetime | None


class ModeratorCreated(ModeratorPublic):
    key: str = Field(description="The new moderator key; shown once, only its hash is stored")


class ModeratorSelf(BaseModel):
    """Who the presented key is on the board (GET …/moderators/me)."""

    id: int | None = Field(description="The key's id; null for the admin token, which is no key")
    name: str = Field(description="The name the audit trail records for this key's actions")
    owner: bool = Field(description="May manage the moderator keys: the owner key or admin")


# Notes one bulk approve takes: one commit, and its events leave as one frame per socket.
APPROVE_MAX = 100


class ApproveCreate(Input):
    """Pending notes to approve at once (POST …/notes/approve)."""

    ids: Annotated[
        list[Id],
        Field(min_length=1, max_length=APPROVE_MAX),
        AfterValidator(_sorted_unique),
    ] = Field(description=f"Note ids, 1–{APPROVE_MAX}; repeats count once")


class ApproveResult(BaseModel):
    approved: list[NotePublic] = Field(description="The notes now visible, oldest first")
    skipped: list[int] = Field(
        description="Ids that were not pending notes of this board (approved or hidden "
        "meanwhile, deleted, unknown): left as they are"
    )


class BanState(BaseModel):
    id: int = Field(description="The participant")
    banned: bool
    hidden: list[int] = Field(description="Notes the ban hid (empty when lifting)")


class AuditEntry(BaseModel):
    id: int
    at: datetime
    moderator: str = Field(description="The name of the key that did it")
    action: str = Field(
        description="approve, hide, restore, unapprove, edit, move, pin, unpin, delete, ban, "
        "unban, erase, settings, section.add, section.edit, section.delete, key.create, "
        "key.revoke"
    )
    note_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorEnvelope(BaseModel):
    error: ErrorBody


# What pydantic's messages say, in words that tell a person what to send instead ({…} from the
# error's context). Types not listed keep pydantic's message.
MEANINGS = {
    "missing": "is required",
    "extra_forbidden": "is not a field this takes",
    "string_too_short": "must have at least {min_length} characters",
    "string_too_long": "must have at most {max_length} characters",
    "too_short": "must have at least {min_length} items",
    "too_long": "must have at most {max_length} items",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "greater_than_equal": "must be {ge} or more",
    "greater_than": "must be more than {gt}",
    "less_than_equal": "must be {le} or less",
    "less_than": "must be less than {lt}",
    "literal_error": "must be {expected}",
}
# Errors about the kind or size of a value, which a `takes` phrase (see `describe`) answers.
SHAPE_ERRORS = frozenset(MEANINGS) - {"missing", "extra_forbidden"}


def describe(
    exc: ValidationError,
    names: Mapping[str, str] | None = None,
    takes: Mapping[str, str] | None = None,
) -> str:
    """`field: problem; …` for the first few problems, phrased for a person: no regex, no
    pydantic wording.

    The API names fields as the JSON has them. `names` renames the top-level fields for where
    the value came from (`slug` → `--slug`, `notes_per_minute` → `BOARD_NOTES_PER_MINUTE`), and
    `takes` says what such a field takes ("a whole number, 0 or more") for errors about the
    value's kind or size. A message that already starts with the field's name is not prefixed
    again."""
    parts = []
    for error in exc.errors(include_url=False)[:5]:
        loc = error["loc"]
        field = str(loc[0]) if loc else ""
        where = _where(loc, names)
        if takes and field in takes and error["type"] in SHAPE_ERRORS:
            message = f"must be {takes[field]}"
        else:
            message = _meaning(error)
        parts.append(message if where and message.startswith(where) else f"{where}: {message}")
    return "; ".join(parts)


def _where(loc: tuple[int | str, ...], names: Mapping[str, str] | None) -> str:
    if not loc:
        return "request body"
    if names is None or str(loc[0]) not in names:
        return ".".join(str(p) for p in loc)
    rest = [f"number {p + 1}" if isinstance(p, int) else p for p in loc[1:]]
    return " ".join([names[str(loc[0])], *rest])


def _meaning(error: Any) -> str:
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "string_pattern_mismatch":
        return PATTERN_MEANINGS.get(str(context.get("pattern")), "is not in the expected form")
    if kind == "string_too_short" and context.get("min_length") == 1:
        return "must not be empty"
    if kind in MEANINGS:
        try:
            return MEANINGS[kind].format(**context)
        except (KeyError, IndexError):
            pass
    return str(error["msg"]).removeprefix("Value error, ")
