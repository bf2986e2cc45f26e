"""Bad input at every write route: a 4xx with the error envelope, never a 5xx, and nothing written.

Each table row is one request that must be refused. Every case runs on SQLite and PostgreSQL, on a
fresh board with a section, a participant and a note, and checks afterwards that the board (notes,
comments, likes, sections, settings, seq), its participants and the number of boards are exactly
as before. Server errors come back as responses here (not raised), so a 5xx fails with the case's
name, and its traceback is in the captured log.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import ADMIN_TOKEN, Api, auth
from starlette.testclient import TestClient

from board.app import create_app
from board.domain import boards
from board.settings import Settings
from board.store import db

LIMIT = 64 * 1024  # the default BOARD_MAX_BODY_BYTES
HUGE_ID = "99999999999999999999"  # 20 digits: more than 64 bits
DEEP = 10_000


@pytest.fixture
def client(store: db.Store, settings: Settings) -> Iterator[TestClient]:
    """The app on the test's backend; an unhandled error is a 500 response, not a raised error."""
    assert settings.max_body_bytes == LIMIT
    with TestClient(create_app(settings, store), raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass(frozen=True)
class Board:
    """A board with one of everything, and a section on another board."""

    slug: str
    key: str
    token: str
    participant: int
    section: int
    note: int
    foreign_section: int

    def url(self, template: str) -> str:
        return template.format(
            slug=self.slug,
            section=self.section,
            note=self.note,
            participant=self.participant,
            foreign_section=self.foreign_section,
        )

    def headers(self, who: str | None) -> dict[str, str]:
        tokens = {"admin": ADMIN_TOKEN, "moderator": self.key, "participant": self.token}
        return auth(tokens[who]) if who else {}


def unique_title() -> str:
    # Distinct titles give distinct slug stems: thousands of boards named alike would make a clash
    # of the 5-letter random suffix likely, and the app answers a clash with 409 (no retry).
    return f"Ugyldig input {uuid.uuid4().hex[:12]}"


def make_board(api: Api) -> Board:
    slug, key = api.create_board(title=unique_title(), sections=["Strategi"])
    section = api.snapshot(slug)["board"]["sections"][0]["id"]
    joined = api.join(slug)
    note = api.note(
        slug, joined["token"], sdgs=[12], section_id=section, link="https://example.org/"
    )
    assert (
        api.client.put(
            f"/api/boards/{slug}/notes/{note['id']}/like", headers=auth(joined["token"])
        ).status_code
        == 200
    )
    assert (
        api.client.post(
            f"/api/boards/{slug}/notes/{note['id']}/comments",
            json={"body": "Enig"},
            headers=auth(key),
        ).status_code
        == 201
    )
    other, _ = api.create_board(title=unique_title(), sections=["Annet"])
    foreign = api.snapshot(other)["board"]["sections"][0]["id"]
    return Board(slug, key, joined["token"], joined["id"], section, note["id"], foreign)


# One board per database for the whole file: every test here but one sends only bad input and
# checks, before and after, that nothing changed, so a request that did write fails its own test
# whichever board it hits. A board per test was most of the file's time (seven writes each).
_BOARDS: dict[int, Board] = {}


@pytest.fixture
def board(api: Api, store: db.Store) -> Board:
    """The file's board on this test's database (made by the first test that asks for it)."""
    if id(store) not in _BOARDS:
        _BOARDS[id(store)] = make_board(api)
    return _BOARDS[id(store)]


@pytest.fixture
def fresh_board(api: Api) -> Board:
    """A board of its own, for a test that writes."""
    return make_board(api)


def state(api: Api, store: db.Store, board: Board) -> tuple[Any, ...]:
    """What a bad request could change: the moderator's snapshot, participants, boards."""
    stats = api.client.get(f"/api/boards/{board.slug}/stats", headers=auth(board.key))
    assert stats.status_code == 200, stats.text
    return (
        api.snapshot(board.slug, board.key),
        stats.json()["participants"],
        len(boards.list_boards(store)),
    )


def assert_envelope(response: Any, status: int | None = None) -> None:
    """A client error (the given one, if any) with exactly `{"error": {"code", "message"}}`."""
    assert response.status_code < 500, f"server error {response.status_code}: {response.text}"
    if status is not None:
        assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert 400 <= response.status_code < 500, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, dict) and set(error) == {"code", "message"}, body
    assert isinstance(error["code"], str) and re.fullmatch(r"[a-z][a-z0-9_]*", error["code"])
    assert isinstance(error["message"], str) and error["message"], body


# --- The write routes and a valid body for each ------------------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    who: str | None
    valid: dict[str, Any]


BOARD = "/api/boards/{slug}"
ROUTES = {
    "create_board": Route("POST", "/api/boards", "admin", {"title": "Ny tavle"}),
    "update_board": Route("PATCH", BOARD, "moderator", {"title": "Nytt navn"}),
    "add_section": Route("POST", BOARD + "/sections", "moderator", {"title": "Ny kolonne"}),
    "update_section": Route(
        "PATCH", BOARD + "/sections/{section}", "moderator", {"title": "Omdøpt"}
    ),
    "join": Route("POST", BOARD + "/participants", None, {"name": "Ola"}),
    "post_note": Route(
        "POST", BOARD + "/notes", "participant", {"client_id": "bad-input-1", "body": "Gyldig lapp"}
    ),
    "update_note": Route("PATCH", BOARD + "/notes/{note}", "moderator", {"body": "Endret"}),
    "comment": Route(
        "POST", BOARD + "/notes/{note}/comments", "participant", {"body": "Gyldig kommentar"}
    ),
    "create_moderator": Route("POST", BOARD + "/moderators", "moderator", {"name": "Hilde"}),
    "approve_notes": Route("POST", BOARD + "/notes/approve", "moderator", {"ids": [1]}),
}
REQUIRED_FIELDS = (
    "create_board",
    "add_section",
    "post_note",
    "comment",
    "create_moderator",
    "approve_notes",
)


# --- Payloads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """Bytes sent as they are (with a Content-Length)."""

    data: bytes


@dataclass(frozen=True)
class Streamed:
    """Bytes sent chunked from a generator, so the request has no Content-Length."""

    data: bytes


class Missing:
    """In a field override: leave the field out."""


class ForeignSection:
    """In a field override: the id of a section that belongs to another board."""


MISSING, FOREIGN_SECTION = Missing(), ForeignSection()
Payload = Raw | Streamed | dict[str, Any]


@dataclass(frozen=True)
class Case:
    route: str
    name: str
    payload: Payload
    status: int


def encode(payload: dict[str, Any], board: Board) -> bytes:
    """JSON with \\u escapes, so NUL and lone surrogates travel as raw JSON text."""
    resolved = {
        k: board.foreign_section if v is FOREIGN_SECTION else v
        for k, v in payload.items()
        if v is not MISSING
    }
    return json.dumps(resolved, ensure_ascii=True, allow_nan=False).encode("ascii")


def overflow(data: bytes) -> bytes:
    return b'{"body": "' + b"x" * LIMIT + data + b'"}'


# Any route that parses a body refuses these, whatever its fields.
GENERIC: list[tuple[str, Raw | Streamed, int]] = [
    ("malformed-json", Raw(b'{"title": '), 400),
    ("trailing-garbage", Raw(b"{} {}"), 400),
    ("single-quotes", Raw(b"{'title': 'x'}"), 400),
    ("json-array", Raw(b"[]"), 400),
    ("json-string", Raw(b'"a string"'), 400),
    ("json-number", Raw(b"42"), 400),
    ("json-null", Raw(b"null"), 400),
    ("json-true", Raw(b"true"), 400),
    ("only-whitespace-body", Raw(b"  \r\n\t "), 400),
    ("nan-literal", Raw(b'{"x": NaN}'), 400),
    ("infinity-literal", Raw(b'{"x": Infinity}'), 400),
    ("minus-infinity-literal", Raw(b'{"x": -Infinity}'), 400),
    ("integer-with-5000-digits", Raw(b'{"x": 1' + b"0" * 5000 + b"}"), 400),
    ("invalid-utf8", Raw(b'{"title": "\xff\xfe"}'), 400),
    ("array-nested-10k-deep", Raw(b"[" * DEEP + b"]" * DEEP), 400),
    ("object-nested-10k-deep", Raw(b'{"a":' * DEEP + b"1" + b"}" * DEEP), 400),
    ("value-nested-10k-deep", Raw(b'{"body": ' + b"[" * DEEP + b"]" * DEEP + b"}"), 400),
    ("over-64k-with-content-length", Raw(overflow(b"")), 413),
    ("over-64k-chunked-without-content-length", Streamed(overflow(b"")), 413),
]


def generic_cases() -> list[Case]:
    cases = [
        Case(route, name, payload, status) for route in ROUTES for name, payload, status in GENERIC
    ]
    cases += [
        Case(route, "unknown-field", {**spec.valid, "nope": 1}, 422)
        for route, spec in ROUTES.items()
    ]
    cases += [Case(route, "empty-body", Raw(b""), 422) for route in REQUIRED_FIELDS]
    return cases


def text_cases(route: str, name: str, limit: int, *, required: bool = True) -> list[Case]:
    """The ways to get a text field wrong: types, blanks, length, NUL and lone surrogates."""
    valid = ROUTES[route].valid
    wrong = {
        f"{name}-number": 5,
        f"{name}-list": ["x"],
        f"{name}-object": {"text": "x"},
        f"{name}-bool": True,
        f"{name}-{limit + 1}-chars": "x" * (limit + 1),
        f"{name}-{limit}-chars-plus-spaces-inside": "x" * limit + " x",
        f"{name}-nul-char": "før\x00etter",
        f"{name}-only-nul": "\x00",
        f"{name}-lone-high-surrogate": "a\ud800b",
        f"{name}-lone-low-surrogate": "\udfff",
    }
    if required:
        wrong |= {
            f"{name}-missing": MISSING,
            f"{name}-empty": "",
            f"{name}-only-spaces": "   ",
            f"{name}-only-whitespace": "\n\t \u00a0",
            f"{name}-null": None,
        }
    return [Case(route, key, {**valid, name: value}, 422) for key, value in wrong.items()]


SDGS_WRONG = {
    "sdgs-0": [0],
    "sdgs-18": [18],
    "sdgs-minus-1": [-1],
    "sdgs-string-12": "12",
    "sdgs-number-12": 12,
    "sdgs-1.5": [1.5],
    "sdgs-10e30": [10**30],
    "sdgs-nested-list": [[12]],
    "sdgs-18-items": [1] * 18,
    "sdgs-object": {"12": True},
    "sdgs-null": None,
}
TARGETS_WRONG = {
    "targets-unknown-12.99": ["12.99"],
    "targets-goal-18": ["18.1"],
    "targets-indicator-12.7.1": ["12.7.1"],
    "targets-upper-case": ["12.A"],
    "targets-string": "12.7",
    "targets-number": [12.7],
    "targets-nested-list": [["12.7"]],
    "targets-170-items": ["12.7"] * 170,
    "targets-long-string": ["1" * 10_000],
    "targets-null": None,
}
SECTION_WRONG = {
    "section_id-10e20": 10**20,
    "section_id-2e31": 2**31,
    "section_id-0": 0,
    "section_id-minus-1": -1,
    "section_id-string": "abc",
    "section_id-1.5": 1.5,
    "section_id-of-another-board": FOREIGN_SECTION,
}
LINK_WRONG = {
    "link-javascript": "javascript:alert(1)",
    "link-ftp": "ftp://x",
    "link-scheme-only": "http://",
    "link-not-a-url": "not a url",
    "link-no-scheme": "example.org",
    "link-data-url": "data:text/html,<script>alert(1)</script>",
    "link-space-inside": "https://example.org/a b",
    "link-newline-inside": "https://example.org/\nSet-Cookie: x=1",
    "link-bad-ipv6": "http://[",
    "link-nul": "https://example.org/\x00",
    "link-lone-surrogate": "https://example.org/\ud800",
    "link-over-2000-chars": "https://example.org/" + "a" * 2000,
    "link-number": 5,
}
COLOR_WRONG = {
    "color-not-in-palette": "red",
    "color-hex": "#ff0000",
    "color-upper-case": "YELLOW",
    "color-empty": "",
    "color-number": 1,
    "color-null": None,
}


def overrides(route: str, table: dict[str, Any], name: str | None = None) -> list[Case]:
    """Cases that set one field (named by the key's prefix, or `name`) to a wrong value."""
    valid = ROUTES[route].valid
    return [
        Case(route, key, {**valid, name or key.split("-")[0]: value}, 422)
        for key, value in table.items()
    ]


def field_cases() -> list[Case]:
    cases: list[Case] = []

    cases += text_cases("create_board", "title", 200)
    cases += text_cases("create_board", "description", 2000, required=False)
    cases += overrides(
        "create_board",
        {
            "slug-upper-case": "Stor-Bokstav",
            "slug-with-space": "to ord",
            "slug-leading-hyphen": "-x",
            "slug-trailing-hyphen": "x-",
            "slug-65-chars": "a" * 65,
            "slug-empty": "",
            "slug-path-traversal": "../admin",
            "slug-number": 5,
            "locale-unknown": "de",
            "locale-null": None,
            "moderation-unknown": "maybe",
            "require_sdg-not-a-bool": "maybe",
            "require_sdg-2": 2,
            "timezone-unknown": "Europe/Atlantis",
            "timezone-path": "../../etc/passwd",
            "timezone-null": None,
            "sections-string": "Strategi",
            "sections-21-items": ["Kolonne"] * 21,
            "sections-empty-title": [""],
            "sections-81-chars": ["x" * 81],
            "sections-number": [5],
            "sections-nul": ["a\x00"],
            "sections-lone-surrogate": ["\ud800"],
        },
    )
    cases += [
        Case("create_board", "id-is-read-only", {"title": "X", "id": 1}, 422),
        Case("create_board", "seq-is-read-only", {"title": "X", "seq": 5}, 422),
    ]

    cases += text_cases("update_board", "title", 200, required=False)
    cases += text_cases("update_board", "description", 2000, required=False)
    cases += overrides(
        "update_board",
        {
            "title-null": None,
            "title-empty": "",
            "title-only-spaces": "   ",
            "description-null": None,
            "moderation-unknown": "maybe",
            "moderation-null": None,
            "locked-not-a-bool": "maybe",
            "locked-null": None,
            "require_sdg-2": 2,
            "timezone-unknown": "Mars/Olympus_Mons",
            "timezone-lower-case": "europe/oslo",
            "timezone-number": 1,
            "timezone-null": None,
            "slug-is-not-changeable": "ny-slug",
            "seq-is-read-only": 0,
            "word_filter-string": "svindel",
            "word_filter-number-entry": [5],
            "word_filter-empty-entry": [""],
            "word_filter-blank-entry": ["   "],
            "word_filter-101-chars": ["x" * 101],
            "word_filter-501-entries": [f"ord{n}" for n in range(501)],
            "word_filter-nul": ["a\x00"],
            "word_filter-lone-surrogate": ["\ud800"],
            "word_filter-null": None,
            "retention_days-0": 0,
            "retention_days-minus-1": -1,
            "retention_days-36501": 36501,
            "retention_days-string": "30",
            "retention_days-1.5": 1.5,
            "retention_days-bool": True,
        },
    )

    cases += text_cases("add_section", "title", 80)
    cases += [Case("add_section", "position-is-not-accepted", {"title": "X", "position": 1}, 422)]

    cases += text_cases("update_section", "title", 80, required=False)
    cases += overrides(
        "update_section",
        {
            "title-empty": "",
            "position-minus-1": -1,
            "position-1001": 1001,
            "position-10e30": 10**30,
            "position-1.5": 1.5,
            "position-not-a-number": "abc",
            "board_id-is-read-only": 1,
        },
    )

    cases += text_cases("join", "name", 60, required=False)
    cases += overrides("join", {"token-is-not-accepted": "x", "id-is-read-only": 1})

    cases += text_cases("post_note", "body", 2000)
    cases += overrides(
        "post_note",
        {
            "client_id-missing": MISSING,
            "client_id-empty": "",
            "client_id-with-space": "a b",
            "client_id-65-chars": "a" * 65,
            "client_id-slash": "a/b",
            "client_id-number": 5,
            "client_id-nul": "a\x00",
            "client_id-null": None,
        },
    )
    cases += overrides(
        "post_note", SDGS_WRONG | TARGETS_WRONG | SECTION_WRONG | LINK_WRONG | COLOR_WRONG
    )
    cases += overrides(
        "post_note",
        {
            "status-is-for-moderators": "visible",
            "pinned-is-for-moderators": True,
            "author-is-not-accepted": {"id": 1, "name": "Noen"},
            "likes-is-read-only": 100,
            "version-is-read-only": 1,
        },
    )
    cases += [
        Case(
            "post_note",
            "sdgs-raw-1e400",
            Raw(b'{"client_id": "bad-input-1", "body": "x", "sdgs": [1e400]}'),
            422,
        )
    ]

    cases += text_cases("update_note", "body", 2000, required=False)
    cases += overrides(
        "update_note",
        {
            "body-null": None,
            "body-empty": "",
            "body-only-spaces": "   ",
            "sdgs-0": [0],
            "sdgs-18": [18],
            "sdgs-string-12": "12",
            "sdgs-null": None,
            "targets-unknown-12.99": ["12.99"],
            "targets-string": "12.7",
            "targets-null": None,
            "color-not-in-palette": "red",
            "color-null": None,
            "status-unknown": "deleted",
            "status-empty": "",
            "status-null": None,
            "pinned-not-a-bool": "maybe",
            "pinned-null": None,
            "position-over-1e9": 1e10,
            "position-under-minus-1e9": -1e10,
            "position-not-a-number": "abc",
            "position-string-infinity": "Infinity",
            "position-string-nan": "NaN",
            "position-null": None,
            "version-is-read-only": 99,
            "likes-is-read-only": 100,
            "client_id-is-not-changeable": "other",
        },
    )
    cases += overrides("update_note", SECTION_WRONG | LINK_WRONG)
    cases += [
        Case("update_note", "position-raw-1e400", Raw(b'{"position": 1e400}'), 422),
        Case("update_note", "position-raw-nan", Raw(b'{"position": NaN}'), 400),
    ]

    cases += text_cases("comment", "body", 1000)
    cases += overrides("comment", {"note_id-is-not-accepted": 1})

    cases += text_cases("create_moderator", "name", 60)
    cases += overrides(
        "create_moderator", {"key-is-not-accepted": "x" * 43, "owner-is-not-accepted": True}
    )
    return cases


BODY_CASES = generic_cases() + field_cases()


def send(client: TestClient, board: Board, case: Case) -> Any:
    route = ROUTES[case.route]
    headers = board.headers(route.who)
    url = board.url(route.path)
    if isinstance(case.payload, Streamed):
        data = case.payload.data

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(data), 4096):
                yield data[start : start + 4096]

        response = client.request(route.method, url, content=chunks(), headers=headers)
        assert "content-length" not in response.request.headers
        return response
    raw = case.payload.data if isinstance(case.payload, Raw) else encode(case.payload, board)
    return client.request(
        route.method, url, content=raw, headers={"content-type": "application/json"} | headers
    )


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c.route}-{c.name}") for c in BODY_CASES])
def test_bad_body_is_a_4xx_envelope_and_writes_nothing(
    api: Api, store: db.Store, board: Board, case: Case
) -> None:
    """Each bad body at each write route gets its 4xx with the envelope and changes nothing."""
    before = state(api, store, board)
    assert_envelope(send(api.client, board, case), case.status)
    assert state(api, store, board) == before


def test_the_valid_bodies_of_the_table_are_accepted(api: Api, fresh_board: Board) -> None:
    """The table's base bodies are valid, so each bad case fails for the reason its name gives."""
    for name, route in ROUTES.items():
        response = send(api.client, fresh_board, Case(name, "valid", route.valid, 0))
        assert response.status_code in (200, 201), f"{name}: {response.text}"


# --- Paths, query strings and headers ----------------------------------------------------------


NOTE = BOARD + "/notes"
PATH_CASES = [
    # (method, path, who, body, status, id)
    ("PATCH", BOARD + "/sections/" + HUGE_ID, "moderator", {"title": "X"}, "section-20-digits"),
    ("PATCH", BOARD + "/sections/4294967296", "moderator", {"title": "X"}, "section-2e32"),
    ("PATCH", BOARD + "/sections/2147483648", "moderator", {"title": "X"}, "section-2e31"),
    ("PATCH", BOARD + "/sections/0", "moderator", {"title": "X"}, "section-0"),
    ("PATCH", BOARD + "/sections/-1", "moderator", {"title": "X"}, "section-minus-1"),
    ("PATCH", BOARD + "/sections/1e3", "moderator", {"title": "X"}, "section-exponent"),
    ("PATCH", BOARD + "/sections/999999999", "moderator", {"title": "X"}, "section-unknown"),
    (
        "PATCH",
        BOARD + "/sections/{foreign_section}",
        "moderator",
        {"title": "X"},
        "section-of-another-board",
    ),
    ("DELETE", BOARD + "/sections/" + HUGE_ID, "moderator", None, "delete-section-20-digits"),
    (
        "DELETE",
        BOARD + "/sections/{foreign_section}",
        "moderator",
        None,
        "delete-section-of-another-board",
    ),
    ("PATCH", NOTE + "/" + HUGE_ID, "moderator", {"body": "X"}, "note-20-digits"),
    ("PATCH", NOTE + "/4294967296", "moderator", {"body": "X"}, "note-2e32"),
    ("PATCH", NOTE + "/999999999", "moderator", {"body": "X"}, "note-unknown"),
    ("DELETE", NOTE + "/" + HUGE_ID, "moderator", None, "delete-note-20-digits"),
    ("DELETE", NOTE + "/2147483648", "moderator", None, "delete-note-2e31"),
    ("PUT", NOTE + "/" + HUGE_ID + "/like", "participant", None, "like-20-digits"),
    ("PUT", NOTE + "/4294967296/like", "participant", None, "like-2e32"),
    ("PUT", NOTE + "/999999999/like", "participant", None, "like-unknown-note"),
    ("DELETE", NOTE + "/" + HUGE_ID + "/like", "participant", None, "unlike-20-digits"),
    ("DELETE", NOTE + "/999999999/like", "participant", None, "unlike-unknown-note"),
    ("POST", NOTE + "/" + HUGE_ID + "/comments", "participant", {"body": "X"}, "comment-20-digits"),
    ("POST", NOTE + "/999999999/comments", "participant", {"body": "X"}, "comment-unknown-note"),
    ("DELETE", BOARD + "/participants/" + HUGE_ID, "moderator", None, "participant-20-digits"),
    ("DELETE", BOARD + "/participants/999999999", "moderator", None, "participant-unknown"),
    ("POST", BOARD + "/participants/999999999/ban", "moderator", None, "ban-unknown"),
    ("POST", BOARD + "/participants/" + HUGE_ID + "/ban", "moderator", None, "ban-20-digits"),
    ("DELETE", BOARD + "/participants/999999999/ban", "moderator", None, "unban-unknown"),
    ("DELETE", BOARD + "/moderators/999999999", "moderator", None, "revoke-unknown"),
    ("DELETE", BOARD + "/moderators/" + HUGE_ID, "moderator", None, "revoke-20-digits"),
    (
        "POST",
        "/api/boards/no-such-board/notes",
        "participant",
        {"client_id": "x", "body": "X"},
        "unknown-board",
    ),
    ("POST", "/api/boards/UPPER/participants", None, {}, "slug-upper-case"),
    ("POST", "/api/boards/" + "a" * 65 + "/participants", None, {}, "slug-65-chars"),
]


@pytest.mark.parametrize(
    ("method", "path", "who", "body"), [pytest.param(*row[:4], id=row[4]) for row in PATH_CASES]
)
def test_unknown_or_overflowing_ids_in_the_path_are_404(
    api: Api,
    store: db.Store,
    board: Board,
    method: str,
    path: str,
    who: str | None,
    body: dict[str, Any] | None,
) -> None:
    """Path ids beyond 32 bits, unknown or of another board are a 404 that writes nothing."""
    before = state(api, store, board)
    response = api.client.request(
        method,
        board.url(path),
        headers=board.headers(who),
        content=json.dumps(body) if body is not None else None,
    )
    assert_envelope(response, 404)
    assert state(api, store, board) == before


@pytest.mark.parametrize(
    ("since", "status"),
    [
        pytest.param("-1", 400, id="minus-1"),
        pytest.param("abc", 400, id="letters"),
        pytest.param(HUGE_ID, 400, id="20-digits"),
        pytest.param("", 400, id="empty"),
        pytest.param("1.5", 400, id="fraction"),
        pytest.param("1e3", 400, id="exponent"),
        pytest.param("%20", 400, id="space"),
        pytest.param("0x10", 400, id="hex"),
        pytest.param("%C2%B2", 400, id="superscript-two"),
        pytest.param("%D9%A1", 400, id="arabic-indic-one"),
        pytest.param("999999999999", 409, id="12-digits-ahead-of-the-board"),
    ],
)
def test_bad_events_cursor_is_a_4xx(api: Api, board: Board, since: str, status: int) -> None:
    """GET events with a since that is not a non-negative integer is a 400 (ahead: 409 reset)."""
    response = api.client.get(f"/api/boards/{board.slug}/events?since={since}")
    assert_envelope(response, status)


@pytest.mark.parametrize(
    ("if_match", "status"),
    [
        pytest.param("abc", 400, id="letters"),
        pytest.param("", 400, id="empty"),
        pytest.param("-1", 400, id="minus-1"),
        pytest.param("1.0", 400, id="fraction"),
        pytest.param("1234567890", 400, id="10-digits"),
        pytest.param('"1", "2"', 400, id="list"),
        pytest.param("W/abc", 400, id="weak-letters"),
        pytest.param("99", 409, id="stale-version"),
    ],
)
def test_bad_if_match_is_a_4xx_and_leaves_the_note(
    api: Api, store: db.Store, board: Board, if_match: str, status: int
) -> None:
    """PATCH note with an If-Match that is no version number is a 400 (a stale one: 409)."""
    before = state(api, store, board)
    response = api.client.patch(
        f"/api/boards/{board.slug}/notes/{board.note}",
        json={"body": "Endret"},
        headers=board.headers("moderator") | {"If-Match": if_match},
    )
    assert_envelope(response, status)
    assert state(api, store, board) == before


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(b"Bearer", id="no-token"),
        pytest.param(b"Bearer    ", id="blank-token"),
        pytest.param(b"Basic dXNlcjpwYXNz", id="basic-scheme"),
        pytest.param(b"Bearer not-a-real-token", id="unknown-token"),
        pytest.param(b"Bearer \xff\xfe\x80", id="non-ascii-token"),
        pytest.param(b"Bearer " + b"x" * 10_000, id="10k-token"),
    ],
)
@pytest.mark.parametrize("route", ["create_board", "post_note", "update_note", "comment"])
def test_bad_authorization_is_a_401(
    api: Api, store: db.Store, board: Board, route: str, authorization: bytes
) -> None:
    """A malformed or unknown bearer token is a 401 envelope at a write route and writes nothing."""
    before = state(api, store, board)
    spec = ROUTES[route]
    response = api.client.request(
        spec.method,
        board.url(spec.path),
        content=encode(spec.valid, board),
        headers={"Authorization": authorization},
    )
    assert_envelope(response, 401)
    assert state(api, store, board) == before


def test_a_barrage_of_bad_input_leaves_the_board_as_it_was(
    api: Api, store: db.Store, board: Board
) -> None:
    """After every bad body, path and If-Match of this file on one board, nothing has changed."""
    before = state(api, store, board)
    for case in BODY_CASES:
        assert_envelope(send(api.client, board, case))
    for method, path, who, body, _ in PATH_CASES:
        assert_envelope(
            api.client.request(
                method,
                board.url(path),
                headers=board.headers(who),
                content=json.dumps(body) if body else None,
            )
        )
    for if_match in ("abc", "99"):
        assert_envelope(
            api.client.patch(
                f"/api/boards/{board.slug}/notes/{board.note}",
                json={"body": "Endret"},
                headers=board.headers("moderator") | {"If-Match": if_match},
            )
        )
    after = state(api, store, board)
    assert after == before
    snapshot = after[0]
    assert [
        (n["id"], n["body"], n["likes"], len(n["comments"]), n["version"])
        for n in snapshot["notes"]
    ] == [(board.note, "Krav om utslippsfrie byggeplasser", 1, 1, 1)]
