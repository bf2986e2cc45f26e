"""The spreadsheet export (board/archive/spreadsheet.py): GET export.xlsx and `board export
--format xlsx`, each file read back with openpyxl, the library that wrote it, and as the zip of
XML that Excel and LibreOffice read.

Boards are filled through the real API; the CLI runs as real subprocesses against the same
SQLite file or PostgreSQL database.
"""

from __future__ import annotations

import copy
import io
import os
import pty
import re
import subprocess
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from conftest import ADMIN_TOKEN, Api, auth
from openpyxl.worksheet.worksheet import Worksheet
from servers import BOARD, board_env, run_board
from starlette.testclient import TestClient
from test_archive import boards_in
from test_cli import among, modules_after

from board.archive import contents as archive
from board.archive import spreadsheet
from board.domain.schemas import NOTE_MAX
from board.domain.sdg import catalogue
from board.settings import Settings
from board.store import db

ZONE = "Europe/Oslo"
FORMULAS = [
    "=1+1",
    '=HYPERLINK("https://example.org/","klikk")',
    "+47 22 33 44 55",
    "-5 % på alt",
    "@SUM(A1:A2)",
    "#N/A",
]


@pytest.fixture
def settings() -> Settings:
    """No rate limit on notes: the boards here take a handful from one participant at once."""
    return Settings(admin_token=ADMIN_TOKEN, notes_per_minute=0)


def fill(api: Api) -> tuple[str, str, dict[str, int]]:
    """A board with visible, hidden, pending, deleted and erased notes, likes, comments and a
    section; returns (slug, moderator key, note ids by name)."""
    slug, key = api.create_board(
        title="Innkjøp æøå 🌍", sections=["Strategi"], slug=f"ark-{uuid.uuid4().hex[:8]}"
    )
    assert api.client.patch(
        f"/api/boards/{slug}", json={"timezone": ZONE}, headers=auth(key)
    ).is_success
    strategy = api.snapshot(slug)["board"]["sections"][0]["id"]
    kari, ola, nameless, per = (api.join(slug, n) for n in ("Kari", "Ola", "", "Per"))
    ids = {
        "first": api.note(
            slug,
            kari["token"],
            "Krav om gjenbruk i alle kontrakter",
            sdgs=[12, 13],
            targets=["12.7", "13.2"],
            section_id=strategy,
            link="https://www.anskaffelser.no/",
        )["id"],
        "second": api.note(slug, ola["token"], "Markedsdialog før konkurransen", targets=["12.7"])[
            "id"
        ],
        "nameless": api.note(slug, nameless["token"], "Uten navn", color="green")["id"],
        "hidden": api.note(slug, kari["token"], "Skjult innspill", sdgs=[5])["id"],
        "pending": api.note(slug, ola["token"], "Venter på godkjenning", sdgs=[5])["id"],
        "deleted": api.note(slug, kari["token"], "Angret innspill")["id"],
        "erased": api.note(slug, per["token"], "Fra en som slettes", sdgs=[17])["id"],
        "moderator": api.note(slug, key, "Fra moderator", sdgs=[17])["id"],
    }
    for note, status in (("hidden", "hidden"), ("pending", "pending")):
        assert api.client.patch(
            f"/api/boards/{slug}/notes/{ids[note]}", json={"status": status}, headers=auth(key)
        ).is_success
    assert api.client.delete(
        f"/api/boards/{slug}/notes/{ids['deleted']}", headers=auth(kari["token"])
    ).is_success
    for who, note in ((ola, "first"), (nameless, "first"), (kari, "second")):
        assert api.client.put(
            f"/api/boards/{slug}/notes/{ids[note]}/like", headers=auth(who["token"])
        ).is_success
    for who, note in ((ola, "first"), (per, "first"), (kari, "second")):
        assert api.client.post(
            f"/api/boards/{slug}/notes/{ids[note]}/comments",
            json={"body": "Enig"},
            headers=auth(who["token"]),
        ).is_success
    assert api.client.delete(
        f"/api/boards/{slug}/participants/{per['id']}", headers=auth(key)
    ).is_success
    return slug, key, ids


def xlsx(client: TestClient, slug: str, token: str | None, query: str = "") -> Any:
    return client.get(f"/api/boards/{slug}/export.xlsx{query}", headers=auth(token))


def workbook(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def table(sheet: Worksheet) -> list[dict[str, Any]]:
    """The sheet's rows below the header, as {header: value}."""
    header = [cell.value for cell in sheet[1]]
    return [
        dict(zip(header, (cell.value for cell in row), strict=True))
        for row in sheet.iter_rows(min_row=2)
    ]


def cells(book: openpyxl.Workbook) -> list[Any]:
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def formulas_in(content: bytes) -> list[str]:
    """Every formula element in the file's sheets, as Excel would read them."""
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        return [
            match
            for name in package.namelist()
            if name.startswith("xl/worksheets/")
            for match in re.findall(r"<f[ >/].*?(?:</f>|/>)", package.read(name).decode())
        ]


# HTTP ----------------------------------------------------------------------------------------


def test_moderator_gets_the_workbook_as_an_attachment(api: Api, store: db.Store) -> None:
    """GET export.xlsx with the moderator key: 200, the xlsx media type, an attachment named for
    the board, and exactly the workbook `render` makes of the board."""
    slug, key, _ = fill(api)
    response = xlsx(api.client, slug, key)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == spreadsheet.MEDIA_TYPE
    assert response.headers["content-disposition"] == f'attachment; filename="{slug}.xlsx"'
    assert response.content == spreadsheet.render(archive.read(store, slug), spreadsheet.Options())
    assert workbook(response.content).sheetnames == ["Innspill", "Bærekraftsmål"]


def test_each_visible_note_is_one_row_with_its_facts(api: Api) -> None:
    """One row per visible note in the order they came: text, goals with their bokmål names,
    targets, section, likes and comments as numbers, author, link and colour."""
    slug, key, ids = fill(api)
    rows = table(workbook(xlsx(api.client, slug, key).content)["Innspill"])
    assert [row["ID"] for row in rows] == [ids[n] for n in ("first", "second", "nameless")] + [
        ids["moderator"]
    ]
    names = {goal["number"]: goal["name"]["nb"] for goal in catalogue()}
    first, second, nameless, moderator = rows
    assert first == {
        "ID": ids["first"],
        "Tekst": "Krav om gjenbruk i alle kontrakter",
        "Mål": "12, 13",
        "Bærekraftsmål": f"12 {names[12]}; 13 {names[13]}",
        "Delmål": "12.7, 13.2",
        "Kolonne": "Strategi",
        "Liker": 2,
        "Kommentarer": 1,  # Per's comment went with Per
        "Forfatter": "Kari",
        f"Tid ({ZONE})": first[f"Tid ({ZONE})"],
        "Lenke": "https://www.anskaffelser.no/",
        "Farge": "Gul",
    }
    assert (second["Mål"], second["Delmål"], second["Kolonne"]) == ("12", "12.7", None)
    assert (second["Liker"], second["Kommentarer"], second["Forfatter"]) == (1, 1, "Ola")
    assert (nameless["Forfatter"], nameless["Farge"], nameless["Mål"]) == ("anonym", "Grønn", None)
    assert moderator["Mål"] == "17" and moderator["Forfatter"]


def test_times_are_date_cells_in_the_board_time_zone(api: Api) -> None:
    """The time column names the board's zone and holds real date cells with a date format:
    each note's created_at in that zone, to the second."""
    slug, key, _ = fill(api)
    sheet = workbook(xlsx(api.client, slug, key).content)["Innspill"]
    header = [cell.value for cell in sheet[1]]
    column = header.index(f"Tid ({ZONE})") + 1
    created = {
        note["id"]: datetime.fromisoformat(note["created_at"])
        for note in api.snapshot(slug)["notes"]
    }
    for row in range(2, sheet.max_row + 1):
        cell = sheet.cell(row, column)
        assert cell.is_date and cell.number_format == spreadsheet.TIME_FORMAT
        expected = created[sheet.cell(row, 1).value].astimezone(ZoneInfo(ZONE))
        assert cell.value == expected.replace(tzinfo=None, microsecond=0)
    assert expected.utcoffset() != timedelta(0)  # the zone is not UTC: the test means something


def test_the_goals_sheet_counts_notes_and_likes_per_goal(api: Api) -> None:
    """Sheet two has all 17 goals in order with the visible notes and their likes per goal."""
    slug, key, _ = fill(api)
    rows = table(workbook(xlsx(api.client, slug, key).content)["Bærekraftsmål"])
    assert [(row["Mål"], row["Navn"]) for row in rows] == [
        (goal["number"], goal["name"]["nb"]) for goal in catalogue()
    ]
    counts = {row["Mål"]: (row["Innspill"], row["Liker"]) for row in rows}
    assert counts[12] == (2, 3) and counts[13] == (1, 2) and counts[17] == (1, 0)
    assert counts[5] == (0, 0)  # the hidden and the pending note are not counted


def test_include_hidden_adds_every_note_with_its_status(api: Api) -> None:
    """?include_hidden=true adds the pending, hidden and deleted notes and a status column that
    says which is which; without it there is no status column."""
    slug, key, ids = fill(api)
    plain = workbook(xlsx(api.client, slug, key).content)["Innspill"]
    assert "Status" not in [cell.value for cell in plain[1]]
    rows = table(workbook(xlsx(api.client, slug, key, "?include_hidden=true").content)["Innspill"])
    status = {row["ID"]: row["Status"] for row in rows}
    assert status[ids["first"]] == "Synlig"
    assert status[ids["hidden"]] == "Skjult"
    assert status[ids["pending"]] == "Venter på godkjenning"
    assert status[ids["deleted"]] == "Slettet"
    assert {row["Forfatter"] for row in rows if row["ID"] == ids["erased"]} == {"slettet deltaker"}


def test_anonymous_names_nobody(api: Api) -> None:
    """?anonymous=true (with the hidden notes too) numbers every author, the moderator
    included, one number per person, and no participant's name is left in any cell."""
    slug, key, ids = fill(api)
    book = workbook(xlsx(api.client, slug, key, "?anonymous=true&include_hidden=true").content)
    authors = {row["ID"]: row["Forfatter"] for row in table(book["Innspill"])}
    assert authors[ids["first"]] == authors[ids["hidden"]] == "Deltaker 1"
    assert authors[ids["second"]] == "Deltaker 2"
    assert authors[ids["moderator"]].startswith("Deltaker ")
    assert authors[ids["erased"]] == "slettet deltaker"
    for cell in cells(book):
        assert not any(name in str(cell.value) for name in ("Kari", "Ola", "Per")), cell


def test_lang_en_gives_english_sheets_headers_and_words(api: Api) -> None:
    """?lang=en names the sheets, headers, statuses, colours and goals in English."""
    slug, key, ids = fill(api)
    book = workbook(xlsx(api.client, slug, key, "?lang=en&include_hidden=true").content)
    assert book.sheetnames == ["Notes", "Goals"]
    rows = {row["ID"]: row for row in table(book["Notes"])}
    names = {goal["number"]: goal["name"]["en"] for goal in catalogue()}
    assert rows[ids["first"]]["SDG names"] == f"12 {names[12]}; 13 {names[13]}"
    assert rows[ids["nameless"]]["Author"] == "anonymous"
    assert rows[ids["nameless"]]["Colour"] == "Green"
    assert rows[ids["pending"]]["Status"] == "Pending"
    assert f"Time ({ZONE})" in rows[ids["first"]]


@pytest.mark.parametrize(
    ("who", "status"), [("participant", 403), (None, 401), ("bad", 401)], ids=str
)
def test_only_moderators_may_download_the_workbook(api: Api, who: str | None, status: int) -> None:
    """A participant gets 403, no token or a wrong one 401, each with the error envelope."""
    slug, _key = api.create_board()
    token = {"participant": api.join(slug)["token"], None: None, "bad": "not-a-token"}[who]
    response = xlsx(api.client, slug, token)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()["error"]) == {"code", "message"}


@pytest.mark.parametrize("query", ["?include_hidden=yes", "?lang=sv", "?anonymous=1"])
def test_bad_workbook_options_are_400(api: Api, query: str) -> None:
    """An unknown value of include_hidden, lang or anonymous is 400 bad_query, not a 5xx."""
    slug, key = api.create_board()
    response = xlsx(api.client, slug, key, query)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_query"


def test_the_workbook_is_described_as_a_binary_file_with_its_options(
    api: Api, client: TestClient
) -> None:
    """The OpenAPI document gives export.xlsx the xlsx media type with a binary schema and the
    options include_hidden, lang and anonymous; the app answers each value with a workbook."""
    operation = client.get("/api/openapi.json").json()["paths"]["/api/boards/{slug}/export.xlsx"]
    assert operation["get"]["responses"]["200"]["content"] == {
        spreadsheet.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}
    }
    options = {
        p["name"]: p["schema"]["enum"] for p in operation["get"]["parameters"] if p["in"] == "query"
    }
    assert options == {
        "include_hidden": ["false", "true"],
        "lang": ["", "nb", "en"],
        "anonymous": ["false", "true"],
    }
    slug, key = api.create_board()
    for name, values in options.items():
        for value in values:
            response = xlsx(client, slug, key, f"?{name}={value}")
            assert response.status_code == 200, (name, value, response.text)
            assert workbook(response.content).sheetnames


# Participants' text stays text ---------------------------------------------------------------


def test_formula_looking_text_stays_text(api: Api, store: db.Store) -> None:
    """Notes, a name and a section title that start with =, +, -, @ or look like an error value
    are string cells holding exactly that text, with the quote prefix; the file has no formula.
    A tab or a line break at the start (which the API trims, a backup could bring) too."""
    slug, key = api.create_board(sections=["=A1*2"])
    section = api.snapshot(slug)["board"]["sections"][0]["id"]
    token = api.join(slug, "=cmd|' /C calc'!A0")["token"]
    for text in FORMULAS:
        api.note(slug, token, text, section_id=section)
    data = archive.read(store, slug)
    data["notes"][0]["body"] = "\t=1+1"
    data["notes"][1]["body"] = "\n=2+2"
    content = spreadsheet.render(data, spreadsheet.Options())
    assert formulas_in(content) == []
    rows = workbook(content)["Innspill"]
    texts = ["\t=1+1", "\n=2+2", *FORMULAS[2:]]
    for row, text in enumerate(texts, start=2):
        for column, value in ((2, text), (6, "=A1*2"), (9, "=cmd|' /C calc'!A0")):
            cell = rows.cell(row, column)
            prefixed = value.startswith(spreadsheet.FORMULA_START)
            assert (cell.value, cell.data_type, cell.quotePrefix) == (value, "s", prefixed), cell
    over_http = xlsx(api.client, slug, key).content
    assert formulas_in(over_http) == []
    assert [row["Tekst"] for row in table(workbook(over_http)["Innspill"])] == FORMULAS


def test_the_formula_check_finds_a_formula() -> None:
    """A test of the test: a workbook with openpyxl's own typing of "=1+1" has a formula, and
    `formulas_in` finds it (so an empty answer above means something)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = "=1+1"
    buffer = io.BytesIO()
    book.save(buffer)
    assert formulas_in(buffer.getvalue()) == ["<f>1+1</f>"]


def test_letters_emoji_and_long_notes_come_back_whole(api: Api) -> None:
    """æøå, emoji and a note of the longest length allowed come back as they were written; the
    board's title is the workbook's title."""
    slug, key = api.create_board(title="Tavle for æøå ÆØÅ 🌍")
    token = api.join(slug, "Åse Ødegård")["token"]
    texts = ["Blåbærsyltetøy på skolen 🫐 – ÆØÅ", "ø" * NOTE_MAX, "Linje én\nlinje to 👩🏽‍🔬"]
    for text in texts:
        api.note(slug, token, text)
    book = workbook(xlsx(api.client, slug, key).content)
    rows = table(book["Innspill"])
    assert [row["Tekst"] for row in rows] == texts
    assert {row["Forfatter"] for row in rows} == {"Åse Ødegård"}
    assert book.properties.title == "Tavle for æøå ÆØÅ 🌍"


def test_rows_are_as_tall_as_their_wrapped_text(api: Api) -> None:
    """LibreOffice does not fit a row to wrapped text on opening a file, so the workbook sets
    each row's height: one line as it is, three lines three lines high, the longest note as
    high as a row can be."""
    slug, key = api.create_board()
    token = api.join(slug)["token"]
    for text in ("Kort", "Én\nto\ntre", "lang tekst " * (NOTE_MAX // 11)):
        api.note(slug, token, text)
    sheet = workbook(xlsx(api.client, slug, key).content)["Innspill"]
    heights = [sheet.row_dimensions[row].height for row in (2, 3, 4)]
    assert heights == [None, 3 * spreadsheet.LINE_HEIGHT, spreadsheet.MAX_ROW_HEIGHT]
    assert all(cell.alignment.wrap_text for cell in sheet[4] if cell.value is not None)


def test_a_link_is_clickable_and_its_target_a_valid_uri(api: Api) -> None:
    """A note's link is the cell's text as written and its hyperlink, with what a URI cannot
    hold (`<`, `>`, æøå) percent-encoded in the target, which Excel refuses otherwise."""
    slug, key = api.create_board()
    link = "https://example.org/søk?q=<æ>&side=2#treff"
    api.note(slug, api.join(slug)["token"], "Se lenken", link=link)
    cell = workbook(xlsx(api.client, slug, key).content)["Innspill"]["K2"]
    assert cell.value == link
    assert cell.hyperlink.target == "https://example.org/s%C3%B8k?q=%3C%C3%A6%3E&side=2#treff"


def test_characters_xml_cannot_hold_become_replacement_characters(api: Api) -> None:
    """Control characters that XML 1.0 cannot hold (which openpyxl refuses) become U+FFFD; CR LF
    becomes LF; tab stays."""
    slug, key = api.create_board()
    token = api.join(slug)["token"]
    api.note(slug, token, "a\x01b\x08c\x0bd\x1fe\tf\r\ng")
    rows = table(workbook(xlsx(api.client, slug, key).content)["Innspill"])
    assert rows[0]["Tekst"] == "a\ufffdb\ufffdc\ufffdd\ufffde\tf\ng"


# The same board, the same bytes --------------------------------------------------------------


def test_the_same_board_gives_the_same_bytes_dated_by_its_last_change(
    api: Api, store: db.Store
) -> None:
    """Two downloads are byte for byte the same; the workbook is created when the board was and
    modified when it last changed, as is every member of the zip; a new note changes that."""
    slug, key, _ = fill(api)
    first, again = xlsx(api.client, slug, key).content, xlsx(api.client, slug, key).content
    assert first == again
    data = archive.read(store, slug)
    properties = workbook(first).properties
    assert properties.created == data["board"]["created_at"].replace(tzinfo=None, microsecond=0)
    changed = spreadsheet.last_change(data).replace(tzinfo=None, microsecond=0)
    assert properties.modified == changed
    with zipfile.ZipFile(io.BytesIO(first)) as package:
        dates = {info.date_time for info in package.infolist()}
    assert len(dates) == 1 and dates.pop()[:5] == changed.timetuple()[:5]
    api.note(slug, key, "Ett til")
    assert xlsx(api.client, slug, key).content != first


@pytest.mark.parametrize(
    "where", ["board", "note edited", "note deleted", "comment", "comment deleted", "audit"]
)
def test_the_last_change_is_the_newest_time_the_board_records(
    api: Api, store: db.Store, where: str
) -> None:
    """Whichever record holds the newest time (the board's settings, a note edited or deleted,
    a comment written or deleted, a moderator's action), that is the workbook's modified date."""
    slug, _key, _ = fill(api)
    data = archive.read(store, slug)
    later = datetime(2030, 5, 17, 12, 30, 15, tzinfo=UTC)
    note, comment = data["notes"][0], data["notes"][0]["comments"][0]
    if where == "board":
        data["board"]["updated_at"] = later
    elif where == "note edited":
        note["updated_at"] = later
    elif where == "note deleted":
        note["deleted_at"] = later
    elif where == "comment":
        comment["created_at"] = later
    elif where == "comment deleted":
        comment["deleted_at"] = later
    else:
        data["audit"][0]["at"] = later
    assert spreadsheet.last_change(data) == later
    content = spreadsheet.render(data, spreadsheet.Options())
    assert workbook(content).properties.modified == later.replace(tzinfo=None)


def test_the_workbook_is_deterministic_whatever_the_note_order(store: db.Store, api: Api) -> None:
    """`render` sorts the notes itself: the archive's notes in reverse give the same bytes."""
    slug, _key, _ = fill(api)
    data = archive.read(store, slug)
    shuffled = copy.deepcopy(data)
    shuffled["notes"].reverse()
    options = spreadsheet.Options(include_hidden=True)
    assert spreadsheet.render(shuffled, options) == spreadsheet.render(data, options)


# The command line ----------------------------------------------------------------------------


def url_of(store: db.Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


@pytest.mark.parametrize(
    ("args", "query"),
    [
        ([], ""),
        (
            ["--include-hidden", "--anonymous", "--lang", "en"],
            "?include_hidden=true&anonymous=true&lang=en",
        ),
    ],
    ids=["default", "options"],
)
def test_cli_writes_the_same_file_as_http(
    api: Api, store: db.Store, tmp_path: Path, args: list[str], query: str
) -> None:
    """`board export SLUG --format xlsx -o FILE` writes the bytes GET export.xlsx gives with the
    same options, and openpyxl reads its rows back."""
    slug, key, ids = fill(api)
    out = tmp_path / "board.xlsx"
    result = run_board(
        "export", slug, "--format", "xlsx", "-o", str(out), *args,
        env=board_env(tmp_path / "data", url_of(store)),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert out.read_bytes() == xlsx(api.client, slug, key, query).content
    sheet = workbook(out.read_bytes()).worksheets[0]
    assert ids["first"] in [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_cli_export_all_writes_a_workbook_per_board(tmp_path: Path) -> None:
    """--all --dir with --format xlsx writes DIR/{slug}.xlsx for every board, each the board's
    workbook."""
    database_url = f"sqlite:///{tmp_path / 'board.db'}"
    store, slugs = boards_in(database_url, 2)
    result = run_board(
        "export", "--all", "--dir", str(tmp_path / "out"), "--format", "xlsx",
        env=board_env(tmp_path / "data", database_url),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"{s}.xlsx" for s in slugs]
    for slug in slugs:
        expected = spreadsheet.render(archive.read(store, slug), spreadsheet.Options())
        assert (tmp_path / "out" / f"{slug}.xlsx").read_bytes() == expected


@pytest.mark.parametrize("args", [["--group-by", "section"], ["--stamp"]], ids=" ".join)
def test_markdown_only_options_are_refused_for_a_workbook(tmp_path: Path, args: list[str]) -> None:
    """--group-by and --stamp are usage errors with --format xlsx: exit 2, nothing written."""
    result = run_board(
        "export", "x", "--format", "xlsx", "-o", str(tmp_path / "x.xlsx"), *args,
        env=board_env(tmp_path / "data", f"sqlite:///{tmp_path / 'board.db'}"),
    )  # fmt: skip
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr and "for Markdown" in result.stderr
    assert not (tmp_path / "board.db").exists() and not (tmp_path / "x.xlsx").exists()


def test_a_workbook_is_not_written_to_a_terminal(tmp_path: Path) -> None:
    """Without -o, on a terminal, `--format xlsx` is a usage error that says to use -o, instead
    of binary on the screen."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [str(BOARD), "export", "x", "--format", "xlsx"],
        env=board_env(tmp_path / "data", f"sqlite:///{tmp_path / 'board.db'}"),
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process has exited
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 2, output
    assert b"-o FILE.xlsx" in output and b"Traceback" not in output


def test_only_the_xlsx_export_loads_openpyxl(tmp_path: Path) -> None:
    """`board export SLUG` (Markdown) does not import openpyxl, a tenth of a second of every
    command's start; `--format xlsx` does."""
    database_url = f"sqlite:///{tmp_path / 'board.db'}"
    _store, (slug,) = boards_in(database_url, 1)
    env = board_env(tmp_path / "data", database_url)
    markdown = modules_after(env, "export", slug, "-o", str(tmp_path / "board.md"))
    assert "board.archive.export" in markdown and among(markdown, ("openpyxl",)) == []
    workbook = modules_after(
        env, "export", slug, "--format", "xlsx", "-o", str(tmp_path / "b.xlsx")
    )
    assert among(workbook, ("openpyxl",)) == ["openpyxl"]
