"""The board as an Excel workbook for the organiser: one row per note, to sort, filter and count.

`render` is a pure function from an `Archive` (the same read as the Markdown export) to the bytes
of an .xlsx file (Office Open XML, which Excel and LibreOffice read). Sheet one holds the notes,
with a bold, frozen header row and an autofilter; sheet two the notes and likes per goal.
Headers, status words and goal names are in the board's language or the one asked for; times are
real date cells in the board's time zone, which the time column's header names.

**Participants' text stays text.** openpyxl makes a formula of any string that starts with `=`
and an error value of `#N/A` and its kin, so every string is written through `_put`, which makes
the cell a string cell whatever it holds; a string that starts with `=`, `+`, `-`, `@`, a tab or
a line break (what a spreadsheet reads as the start of a formula when someone edits the cell and
presses Enter) also gets the cell's quote prefix, Excel's own mark for "typed with a leading
apostrophe", so it stays text after an edit too. The text itself is not changed, except that
CR LF and CR become LF and the characters XML 1.0 cannot hold (control characters other than tab
and LF, U+FFFE, U+FFFF) become U+FFFD, as in the Markdown archive; openpyxl would refuse them.

**The same board gives the same bytes.** A workbook carries dates of its own: the created and
modified dates in docProps/core.xml, which openpyxl's `save` sets to the clock, and each zip
member's date. Here they are the board's creation and its last recorded change (a note or comment
written, edited or deleted, a moderator's action, a change of settings; a like records no time,
so it changes the counts but not the date).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, cast
from urllib.parse import quote
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from board.archive.contents import Archive, AuthorData, NoteData, for_moderator
from board.archive.export import Lang
from board.domain.access import Credentials
from board.domain.sdg import catalogue
from board.store.db import Store

MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "notes_sheet": "Notes",
        "goals_sheet": "Goals",
        "id": "ID",
        "text": "Text",
        "sdgs": "SDGs",
        "sdg_names": "SDG names",
        "targets": "Targets",
        "section": "Section",
        "likes": "Likes",
        "comments": "Comments",
        "author": "Author",
        "time": "Time ({zone})",
        "status": "Status",
        "link": "Link",
        "color": "Colour",
        "goal": "SDG",
        "name": "Goal",
        "notes": "Notes",
        "anonymous": "anonymous",
        "erased_author": "erased participant",
        "participant": "Participant {n}",
        "visible": "Visible",
        "pending": "Pending",
        "hidden": "Hidden",
        "deleted": "Deleted",
        "yellow": "Yellow",
        "orange": "Orange",
        "pink": "Pink",
        "purple": "Purple",
        "blue": "Blue",
        "green": "Green",
        "white": "White",
    },
    "nb": {
        "notes_sheet": "Innspill",
        "goals_sheet": "Bærekraftsmål",
        "id": "ID",
        "text": "Tekst",
        "sdgs": "Mål",
        "sdg_names": "Bærekraftsmål",
        "targets": "Delmål",
        "section": "Kolonne",
        "likes": "Liker",
        "comments": "Kommentarer",
        "author": "Forfatter",
        "time": "Tid ({zone})",
        "status": "Status",
        "link": "Lenke",
        "color": "Farge",
        "goal": "Mål",
        "name": "Navn",
        "notes": "Innspill",
        "anonymous": "anonym",
        "erased_author": "slettet deltaker",
        "participant": "Deltaker {n}",
        "visible": "Synlig",
        "pending": "Venter på godkjenning",
        "hidden": "Skjult",
        "deleted": "Slettet",
        "yellow": "Gul",
        "orange": "Oransje",
        "pink": "Rosa",
        "purple": "Lilla",
        "blue": "Blå",
        "green": "Grønn",
        "white": "Hvit",
    },
}

# The notes' colours as the wall shows them (static/css/board.css, --note-*), for the colour cell.
NOTE_COLORS: Final = {
    "yellow": "FFF3A3",
    "orange": "FFDCB8",
    "pink": "FFD7E5",
    "purple": "E7DDFF",
    "blue": "D3E8FB",
    "green": "D7F0CF",
    "white": "FFFFFF",
}

# What a spreadsheet may take for the start of a formula (OWASP's list for CSV injection).
FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r", "\n")
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BREAK = re.compile(r"\r\n?")
TIME_FORMAT: Final = "yyyy-mm-dd hh:mm"
# Excel opens a sheet with more hyperlinks than this only after "repairing" it; later links are
# written as text.
EXCEL_HYPERLINKS: Final = 65_530
# What may stay as it is in a URI (RFC 3986's reserved and unreserved characters, and `%` for
# what is already escaped); anything else in a link (`<`, `"`, `æ`) is percent-encoded in the
# hyperlink's target, which Excel refuses otherwise. The cell shows the link as written.
_URI_SAFE = ":/?#[]@!$&'()*+,;=-._~%"
# Every cell at the top of its row and wrapped within its column's width.
_ALIGN = Alignment(wrap_text=True, vertical="top")
# LibreOffice (7.4) keeps a row one line high when it opens a file, however long its wrapped text
# (its PDF of a workbook showed rows running into each other), so each row's height is set from
# its longest text: lines of 15 points, Excel's row for its 11-point default font, up to the 409
# points a row can be.
LINE_HEIGHT: Final = 15
MAX_ROW_HEIGHT: Final = 409
# Column widths in characters: at least the header, at most these, else the longest value.
_WIDEST = {"text": 60, "sdg_names": 45, "section": 30, "author": 28, "link": 40}
_WIDEST_OTHER = 24


@dataclass(frozen=True)
class Options:
    lang: Lang | None = None  # None: the board's locale
    include_hidden: bool = False  # pending, hidden and deleted notes too, with a status column
    anonymous: bool = False  # names become "Participant 1, 2, …" in order of the rows


def board_workbook(store: Store, slug: str, creds: Credentials, options: Options) -> bytes:
    """The workbook of `slug` for a moderator of it (the HTTP route)."""
    return render(for_moderator(store, slug, creds), options)


def render(archive: Archive, options: Options) -> bytes:
    """The board as .xlsx bytes; see the module docstring for what is written how."""
    board = archive["board"]
    lang = options.lang or cast(Lang, board["locale"])
    words = WORDS[lang]
    notes = sorted(
        (n for n in archive["notes"] if options.include_hidden or _public(n)),
        key=lambda n: (n["created_at"], n["id"]),
    )
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = words["notes_sheet"]
    _notes_sheet(sheet, archive, notes, options, lang)
    _goals_sheet(book.create_sheet(words["goals_sheet"]), notes, lang, words)

    created, changed = _naive_utc(board["created_at"]), _naive_utc(last_change(archive))
    book.properties.creator = "SDG Pinboard"
    book.properties.title = _clean(board["title"])
    book.properties.language = lang
    book.properties.created = created
    book.properties.modified = changed
    book.properties.lastModifiedBy = None
    return _dated(_save(book), changed)


def last_change(archive: Archive) -> datetime:
    """The newest time the board records: its settings, a note or comment written, edited or
    deleted, a moderator's action."""
    times = [archive["board"]["created_at"], archive["board"]["updated_at"]]
    for note in archive["notes"]:
        times += [note["created_at"], note["updated_at"]]
        times += [c["created_at"] for c in note["comments"]]
        times += [
            t for t in (note["deleted_at"], *(c["deleted_at"] for c in note["comments"])) if t
        ]
    times += [entry["at"] for entry in archive["audit"]]
    return max(times)


def _notes_sheet(
    sheet: Worksheet,
    archive: Archive,
    notes: list[NoteData],
    options: Options,
    lang: Lang,
) -> None:
    """Header, one row per note, widths, the frozen header and the autofilter."""
    board, words = archive["board"], WORDS[lang]
    zone = ZoneInfo(board["timezone"])
    names = {goal["number"]: goal["name"][lang] for goal in catalogue()}
    sections = {s["id"]: s["title"] for s in archive["sections"]}
    authors = _Authors(archive, options, words)
    assert sheet.parent is not None
    styles = _Styles(sheet.parent)
    columns = ["id", "text", "sdgs", "sdg_names", "targets", "section", "likes", "comments"]
    columns += ["author", "time"]
    if options.include_hidden:
        columns.append("status")
    columns += ["link", "color"]
    header = [words[c].format(zone=board["timezone"]) for c in columns]
    for index, title in enumerate(header, start=1):
        header_cell = _cell(sheet, 1, index)
        styles.apply(header_cell, "header")
        _put(header_cell, title)
    widths = {c: len(h) for c, h in zip(columns, header, strict=True)}
    # row -> column -> text, for the row's height (a long time zone's name wraps the header)
    texts: dict[int, dict[str, str]] = {1: dict(zip(columns, header, strict=True))}
    linked = 0

    for row, note in enumerate(notes, start=2):
        texts[row] = {}
        values: dict[str, Any] = {
            "id": note["id"],
            "text": note["body"],
            "sdgs": ", ".join(map(str, note["sdgs"])),
            "sdg_names": "; ".join(f"{n} {names[n]}" for n in note["sdgs"]),
            "targets": ", ".join(note["targets"]),
            "section": sections.get(note["section_id"], "") if note["section_id"] else "",
            "likes": note["likes"],
            "comments": sum(1 for c in note["comments"] if c["deleted_at"] is None),
            "author": authors.name(note["author"]),
            "time": note["created_at"].astimezone(zone).replace(tzinfo=None, microsecond=0),
            "status": words["deleted" if note["deleted_at"] is not None else note["status"]],
            "link": note["link"] or "",
            "color": words[note["color"]],
        }
        for index, column in enumerate(columns, start=1):
            value = values[column]
            if value == "":
                continue  # no cell at all: what the autofilter lists as (Blanks)
            cell = _cell(sheet, row, index)
            # The style comes first: applying a named style replaces the quote prefix too.
            style = "time" if column == "time" else "cell"
            if column == "color":
                style = f"colour-{note['color']}"
            elif column == "link" and linked < EXCEL_HYPERLINKS:
                cell.hyperlink = _uri(note["link"] or "")
                style, linked = "link", linked + 1
            styles.apply(cell, style)
            if isinstance(value, str):
                texts[row][column] = text = _put(cell, value)
                widths[column] = max(widths[column], _longest_line(text))
            else:
                cell.value = value

    widths["time"] = max(widths["time"], len(TIME_FORMAT))
    widths["id"] = max(widths["id"], len(str(notes[-1]["id"])) if notes else 0)
    for index, column in enumerate(columns, start=1):
        widths[column] = min(widths[column], _WIDEST.get(column, _WIDEST_OTHER))
        sheet.column_dimensions[get_column_letter(index)].width = widths[column] + 2
    for row, row_texts in texts.items():
        lines = max((_lines(text, widths[c]) for c, text in row_texts.items()), default=1)
        if lines > 1:
            sheet.row_dimensions[row].height = min(lines * LINE_HEIGHT, MAX_ROW_HEIGHT)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(notes) + 1}"


def _goals_sheet(
    sheet: Worksheet, notes: list[NoteData], lang: Lang, words: dict[str, str]
) -> None:
    """One row per goal, all 17: its number, name, notes and the likes those notes have."""
    count: Counter[int] = Counter()
    likes: Counter[int] = Counter()
    for note in notes:
        for number in note["sdgs"]:
            count[number] += 1
            likes[number] += note["likes"]
    for index, title in enumerate(
        (words["goal"], words["name"], words["notes"], words["likes"]), 1
    ):
        title_cell = _cell(sheet, 1, index)
        title_cell.font = Font(bold=True)
        _put(title_cell, title)
    for row, goal in enumerate(catalogue(), start=2):
        number = goal["number"]
        _cell(sheet, row, 1).value = number
        _cell(sheet, row, 1).fill = PatternFill("solid", fgColor=goal["color"].lstrip("#").upper())
        _cell(sheet, row, 1).font = Font(bold=True, color="FFFFFF")
        _put(_cell(sheet, row, 2), goal["name"][lang])
        _cell(sheet, row, 3).value = count[number]
        _cell(sheet, row, 4).value = likes[number]
    longest = max(len(goal["name"][lang]) for goal in catalogue())
    for letter, width in zip("ABCD", (8, longest + 2, 12, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:D{len(catalogue()) + 1}"


class _Styles:
    """The cells' looks as named styles, made once per workbook: a named style is applied by a
    copy, where setting a font or an alignment on a cell hashes it to find it in the workbook
    (under cProfile, 29 µs a cell against 40)."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.made: set[str] = set()

    def apply(self, cell: Cell, name: str) -> None:
        if name not in self.made:
            self.book.add_named_style(_style(name))
            self.made.add(name)
        cell.style = f"pinboard-{name}"


def _style(name: str) -> NamedStyle:
    """The named style `pinboard-{name}`."""
    style = NamedStyle(name=f"pinboard-{name}", alignment=_ALIGN)
    if name == "header":
        style.font = Font(bold=True)
    elif name == "time":
        style.number_format = TIME_FORMAT
    elif name == "link":
        style.font = Font(color="0563C1", underline="single")  # Excel's own hyperlink colour
    elif name.startswith("colour-"):
        style.fill = PatternFill("solid", fgColor=NOTE_COLORS[name.removeprefix("colour-")])
    return style


class _Authors:
    """Names as the Markdown archive gives them (export.py), without its Markdown: an erased
    participant as such, no name as anonymous, and with `anonymous` one number per person."""

    def __init__(self, archive: Archive, options: Options, words: dict[str, str]) -> None:
        self.words = words
        self.anonymous = options.anonymous
        self.erased = {p["id"] for p in archive["participants"] if p["erased_at"] is not None}
        self.numbered: dict[tuple[int | None, str], str] = {}

    def name(self, who: AuthorData) -> str:
        if who["id"] is not None and who["id"] in self.erased:
            return self.words["erased_author"]
        if self.anonymous and (who["id"] is not None or who["name"]):
            # One person, one number: a participant by id, a moderator's note by its name.
            person = (who["id"], "" if who["id"] is not None else who["name"])
            if person not in self.numbered:
                self.numbered[person] = self.words["participant"].format(n=len(self.numbered) + 1)
            return self.numbered[person]
        return who["name"] or self.words["anonymous"]


def _cell(sheet: Worksheet, row: int, column: int) -> Cell:
    cell = sheet.cell(row, column)
    assert isinstance(cell, Cell)  # not a MergedCell: nothing here is merged
    return cell


def _put(cell: Cell, text: str) -> str:
    """`text` as a string cell, never a formula or an error value, whatever it starts with;
    returns the text as the cell holds it."""
    cell.value = text = _clean(text)  # openpyxl types "=…" as a formula, "#N/A" as an error
    cell.data_type = "s"
    if text.startswith(FORMULA_START):
        cell.quotePrefix = True
    return text


def _clean(text: str) -> str:
    """LF line breaks, and U+FFFD for what XML 1.0 cannot hold (openpyxl refuses those)."""
    if "\r" in text:
        text = _BREAK.sub("\n", text)
    return _NOT_IN_XML.sub("\ufffd", text)


def _uri(link: str) -> str:
    return quote(link, safe=_URI_SAFE)


def _lines(text: str, width: int) -> int:
    """How many lines `text` takes wrapped at `width` characters, about: a column's width counts
    digits, most letters are narrower, and wrapping at spaces leaves a line short."""
    return sum(max(1, -(-len(line) // max(width, 1))) for line in text.split("\n"))


def _longest_line(text: str) -> int:
    return max(len(line) for line in text.split("\n"))


def _public(note: NoteData) -> bool:
    return note["status"] == "visible" and note["deleted_at"] is None


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def _save(book: Workbook) -> bytes:
    """The workbook's bytes, with the dates its properties hold: openpyxl's `Workbook.save` would
    set the modified date to the clock first; its writer, which `save` calls, writes them as set."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).write_data()
    return buffer.getvalue()


def _dated(raw: bytes, when: datetime) -> bytes:
    """The same zip with every member dated `when`, in the order it had: zipfile dates members by
    the clock or by the temporary file openpyxl wrote a sheet to."""
    buffer = io.BytesIO()
    stamp = when.timetuple()[:6]
    with zipfile.ZipFile(io.BytesIO(raw)) as source, zipfile.ZipFile(buffer, "w") as out:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            out.writestr(info, source.read(member))
    return buffer.getvalue()
