"""API input and output models. Routes validate with these and OpenAPI is generated from them."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from . import sdg
from .slug import SLUG_PATTERN

NOTE_MAX = 2000
COMMENT_MAX = 1000
NAME_MAX = 60
COLORS = ("yellow", "orange", "pink", "purple", "blue", "green", "white")
Color = Literal["yellow", "orange", "pink", "purple", "blue", "green", "white"]
Status = Literal["pending", "visible", "hidden"]
Moderation = Literal["pre", "post"]
Locale = Literal["nb", "en"]
TARGET_PATTERN = r"^(?:[1-9]|1[0-7])\.(?:[1-9][0-9]?|[a-z])$"
TARGET_COUNT = 169


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and lone surrogates cannot be encoded at all.
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return value


def _trimmed(min_length: int, max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


def _sorted_unique(values: list[int]) -> list[int]:
    return sorted(set(values))


def _known_targets(codes: list[str]) -> list[str]:
    unknown = [code for code in codes if not sdg.is_target(code)]
    if unknown:
        raise ValueError(
            f"unknown SDG target {unknown[0][:20]!r}; "
            "the codes are in GET /api/sdgs (such as 12.7 or 12.a)"
        )
    return sdg.in_order(codes)


def _http_url(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    _storable(value)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c in value for c in " \n"):
        raise ValueError("link must be an http:// or https:// URL")
    return value


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _time_zone(value: str) -> str:
    # Only names from the IANA database: ZoneInfo() alone would also open paths like "../x".
    if value not in _zones():
        raise ValueError("timezone must be an IANA time zone name such as Europe/Oslo")
    return value


Storable = AfterValidator(_storable)
NoteBody = Annotated[str, _trimmed(1, NOTE_MAX), Storable]
CommentBody = Annotated[str, _trimmed(1, COMMENT_MAX), Storable]
DisplayName = Annotated[str, _trimmed(0, NAME_MAX), Storable]
Title = Annotated[str, _trimmed(1, 200), Storable]
SectionTitle = Annotated[str, _trimmed(1, 80), Storable]
Description = Annotated[str, _trimmed(0, 2000), Storable]
Goals = Annotated[
    list[Annotated[int, Field(ge=1, le=17)]],
    Field(max_length=17),
    AfterValidator(_sorted_unique),
]
# Target codes such as 12.7 or 12.a, kept unique in catalogue order (12.7 before 12.a). The
# pattern is for the OpenAPI document only: the catalogue decides, with a message a person reads.
Targets = Annotated[
    list[Annotated[str, Field(json_schema_extra={"pattern": TARGET_PATTERN})]],
    Field(max_length=TARGET_COUNT),
    AfterValidator(_known_targets),
]
# Ids are 32-bit in the database; a larger number must be a 422, not an overflow deep down.
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Link = Annotated[str | None, Field(max_length=2000), AfterValidator(_http_url)]
TimeZone = Annotated[str, Field(max_length=64), AfterValidator(_time_zone)]
DEFAULT_TIME_ZONE = "Europe/Oslo"


class Input(BaseModel):
    """Request bodies reject unknown fields, so a typo is an error rather than silently ignored."""

    # Strict: JSON true is not goal 1 and "3" is not a number.
    model_config = ConfigDict(extra="forbid", strict=True)


class BoardCreate(Input):
    title: Title
    slug: Annotated[str, Field(pattern=SLUG_PATTERN)] | None = None
    description: Description = ""
    locale: Locale = "nb"
    moderation: Moderation = "post"
    require_sdg: bool = False
    timezone: TimeZone = DEFAULT_TIME_ZONE
    sections: Annotated[list[SectionTitle], Field(max_length=20)] = []


class BoardUpdate(Input):
    title: Title | None = None
    description: Description | None = None
    moderation: Moderation | None = None
    locked: bool | None = None
    require_sdg: bool | None = None
    timezone: TimeZone | None = None


class SectionCreate(Input):
    title: SectionTitle


class SectionUpdate(Input):
    title: SectionTitle | None = None
    position: Annotated[int, Field(ge=0, le=1000)] | None = None


class ParticipantCreate(Input):
    name: DisplayName = ""


class NoteCreate(Input):
    client_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
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
    title: str
    description: str
    locale: Locale
    moderation: Moderation
    locked: bool
    require_sdg: bool
    timezone: str = Field(description="IANA time zone the Markdown export writes times in")
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


class Snapshot(BaseModel):
    board: BoardPublic
    notes: list[NotePublic]
    seq: int = Field(description="The board's last event; pass it as `since` to resume")


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
    notes: int = Field(description="Visible notes (moderators: all notes but deleted ones)")
    pending: int | None = Field(None, description="Notes awaiting approval; moderators only")
    sdgs: list[SdgCount]
    targets: list[TargetCount] = Field(
        description="Notes per target, every target in catalogue order"
    )
    sections: list[SectionCount]
    participants: int
    viewers: int = Field(description="Open live connections now")


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorEnvelope(BaseModel):
    error: ErrorBody
