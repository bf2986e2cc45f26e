"""The Markdown archive of a board: one pure function from an `Archive` to CommonMark text.

The same archive and options give the same bytes (LF line ends, one final newline, no clock unless
a generated-at time is passed in), so archives can be diffed and committed.

User text cannot change the document's structure. Each ASCII punctuation character that can start
something in CommonMark (or in GitHub's tables and strikethrough) is backslash-escaped, which
leaves no way to start a heading, list, quote, table, code, HTML, link, image or emphasis; `-`, `+`,
`=` and the `.` or `)` after a number matter only at the start of a line and are escaped there.
The rest (`, . ? ! : ; / ( ) ' " % @`) can do nothing once `[`, `<` and `&` are escaped, and stays
as it is, so the archive reads well as plain text. Line breaks inside a note become hard breaks;
whitespace at the edge of a line, which Markdown would drop or read as indentation or a line
break, becomes character references (`&#32;`). Two things are changed on the way: CR LF and CR
become LF, and control characters other than tab and LF become U+FFFD (a renderer drops some of
them at a paragraph's edge, and no character reference can stand for them). Everything else
renders as exactly the text that was written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from .access import Credentials, load_board, require_moderator
from .archive import Archive, AuthorRecord, CommentRecord, NoteRecord, collect
from .db import Store
from .sdg import catalogue

GroupBy = Literal["sdg", "section", "time"]
Lang = Literal["nb", "en"]
GROUPINGS: tuple[GroupBy, ...] = ("sdg", "section", "time")
LANGS: tuple[Lang, ...] = ("nb", "en")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "date": "Date",
        "board": "Board",
        "notes": "Notes",
        "participants": "Participants",
        "erased": "erased",
        "time_zone": "Time zone",
        "generated": "Generated",
        "goal": "SDG",
        "name": "Goal",
        "none": "No notes.",
        "untagged": "Untagged",
        "no_section": "No section",
        "anonymous": "anonymous",
        "erased_author": "erased participant",
        "pinned": "Pinned",
        "pending": "Pending",
        "hidden": "Hidden",
        "deleted": "Deleted",
        "like": "{n} like",
        "likes": "{n} likes",
        "sdgs": "SDGs",
    },
    "nb": {
        "date": "Dato",
        "board": "Tavle",
        "notes": "Innspill",
        "participants": "Deltakere",
        "erased": "slettet",
        "time_zone": "Tidssone",
        "generated": "Generert",
        "goal": "Mål",
        "name": "Navn",
        "none": "Ingen innspill.",
        "untagged": "Uten bærekraftsmål",
        "no_section": "Uten kolonne",
        "anonymous": "anonym",
        "erased_author": "slettet deltaker",
        "pinned": "Festet",
        "pending": "Venter på godkjenning",
        "hidden": "Skjult",
        "deleted": "Slettet",
        "like": "{n} likerklikk",
        "likes": "{n} likerklikk",
        "sdgs": "Bærekraftsmål",
    },
}


@dataclass(frozen=True)
class Options:
    group_by: GroupBy = "sdg"
    lang: Lang | None = None  # None: the board's locale
    include_hidden: bool = False  # pending, hidden and deleted notes, marked as such
    board_url: str | None = None  # the participants' link, https://host/b/slug
    generated_at: datetime | None = None  # adds a "generated" line; None keeps output stable


def board_markdown(store: Store, slug: str, creds: Credentials, options: Options) -> str:
    """The archive of `slug` for a moderator of it (the HTTP route)."""
    with store.read() as session:
        board = load_board(session, slug)
        require_moderator(creds.actor(session, board))
        archive = collect(session, board)
    return render(archive, options)


def render(archive: Archive, options: Options) -> str:
    """The board as a CommonMark document; see the module docstring for what is escaped how."""
    board = archive.board
    words = WORDS[options.lang or board.locale]
    zone = ZoneInfo(board.timezone)
    erased = {p.id for p in archive.participants if p.erased_at is not None}
    notes = [n for n in archive.notes if options.include_hidden or _public(n)]

    def when(value: datetime, pattern: str = "%Y-%m-%d %H:%M") -> str:
        return value.astimezone(zone).strftime(pattern)

    def author(who: AuthorRecord) -> str:
        if who.id is not None and who.id in erased:
            return f"*{words['erased_author']}*"
        return inline(who.name) if who.name else f"*{words['anonymous']}*"

    blocks = [f"# {inline(board.title)}"]
    if board.description:
        blocks.append(block(board.description, ""))
    days = sorted({when(n.created_at, "%Y-%m-%d") for n in notes}) or [
        when(board.created_at, "%Y-%m-%d")
    ]
    people = len(archive.participants) - len(erased)
    facts = [
        (words["date"], days[0] if len(days) == 1 else f"{days[0]} – {days[-1]}"),
        (words["board"], link(options.board_url) if options.board_url else ""),
        (words["notes"], str(len(notes))),
        (
            words["participants"],
            f"{people} ({len(erased)} {words['erased']})"
            if options.include_hidden and erased
            else str(people),
        ),
        (words["time_zone"], inline(board.timezone)),
        (words["generated"], when(options.generated_at) if options.generated_at else ""),
    ]
    blocks.append("\n".join(f"- {label}: {value}" for label, value in facts if value))
    if not notes:
        blocks.append(words["none"])
        return "\n\n".join(blocks) + "\n"

    lang = options.lang or board.locale
    names = {goal["number"]: goal["name"][lang] for goal in catalogue()}
    counts = {n: sum(n in note.sdgs for note in notes) for n in names}
    rows = [f"| {n} | {inline(names[n])} | {c} |" for n, c in counts.items() if c]
    if rows:
        header = f"| {words['goal']} | {words['name']} | {words['notes']} |\n| ---: | :--- | ---: |"
        blocks.append("\n".join([header, *rows]))

    def item(note: NoteRecord) -> str:
        marks = [_mark(words, note, options.include_hidden)]
        facts = [
            *filter(None, marks),
            author(note.author),
            when(note.created_at),
            words["like" if note.likes == 1 else "likes"].format(n=note.likes),
        ]
        if note.sdgs:
            facts.append(f"{words['sdgs']}: {', '.join(map(str, note.sdgs))}")
        if note.link:
            facts.append(link(note.link))
        parts = [block(note.body, "  ")] if note.body else []
        parts.append(" · ".join(facts))
        text = "- " + "\n\n  ".join(parts)
        for comment in note.comments:
            if options.include_hidden or comment.deleted_at is None:
                text += "\n\n  - " + _comment(comment, author, when, words)
        return text

    for heading, group in _groups(archive, notes, options.group_by, words, names, when):
        if not group:
            continue
        ordered = sorted(group, key=lambda n: (not n.pinned, n.created_at, n.id))
        blocks.append(f"## {heading}")
        blocks.extend(item(note) for note in ordered)
    return "\n\n".join(blocks) + "\n"


def _public(note: NoteRecord) -> bool:
    return note.status == "visible" and note.deleted_at is None


def _mark(words: dict[str, str], note: NoteRecord, include_hidden: bool) -> str:
    """Bold words that set a note apart: deleted, pending or hidden (when shown), pinned."""
    marks = []
    if include_hidden and note.deleted_at is not None:
        marks.append(words["deleted"])
    if include_hidden and note.status != "visible":
        marks.append(words[note.status])
    if note.pinned:
        marks.append(words["pinned"])
    return " · ".join(f"**{m}**" for m in marks)


def _comment(
    comment: CommentRecord,
    author: Callable[[AuthorRecord], str],
    when: Callable[[datetime], str],
    words: dict[str, str],
) -> str:
    facts = [author(comment.author), when(comment.created_at)]
    if comment.deleted_at is not None:
        facts.insert(0, f"**{words['deleted']}**")
    parts = [block(comment.body, "    ")] if comment.body else []
    parts.append(" · ".join(facts))
    return "\n\n    ".join(parts)


def _groups(
    archive: Archive,
    notes: list[NoteRecord],
    group_by: GroupBy,
    words: dict[str, str],
    names: dict[int, str],
    when: Callable[[datetime, str], str],
) -> Iterable[tuple[str, list[NoteRecord]]]:
    """(heading, notes) in document order; groups without notes are left out."""
    if group_by == "sdg":
        for number, name in names.items():
            yield f"{number}. {inline(name)}", [n for n in notes if number in n.sdgs]
        yield words["untagged"], [n for n in notes if not n.sdgs]
    elif group_by == "section":
        known = {s.id for s in archive.sections}
        for section in archive.sections:
            yield inline(section.title), [n for n in notes if n.section_id == section.id]
        yield words["no_section"], [n for n in notes if n.section_id not in known]
    else:
        days: dict[str, list[NoteRecord]] = {}
        for note in notes:
            days.setdefault(when(note.created_at, "%Y-%m-%d"), []).append(note)
        yield from sorted(days.items())


# Escaping -----------------------------------------------------------------------------------

_ESCAPES = {ord(c): "\\" + c for c in "\\`*_[]<>&|~#{}^$"}
# List items, thematic breaks and setext underlines: only where a line starts.
_LINE_START = re.compile(r"^(?:[-+=]|[0-9]{1,9}[.)])")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BREAK = re.compile(r"\r\n?")
_EDGE_SPACE = re.compile(r"^\s+|\s+$")
_SAFE_LINK = re.compile(r"(?i)https?://")


def _plain(text: str) -> str:
    return _CONTROL.sub("\ufffd", _BREAK.sub("\n", text))


def _references(match: re.Match[str]) -> str:
    return "".join(f"&#{ord(c)};" for c in match.group())


def _line(line: str) -> str:
    # Whitespace at either end of a line is dropped by a paragraph, or read as indentation (code)
    # or as a hard break (two trailing spaces); as character references it is just text.
    line = _LINE_START.sub(_escape_last, line.translate(_ESCAPES))
    return _EDGE_SPACE.sub(_references, line)


def _escape_last(match: re.Match[str]) -> str:
    return match.group()[:-1] + "\\" + match.group()[-1]


def inline(text: str) -> str:
    """User text for a place that holds one line (a heading, a name): breaks become `&#10;`."""
    return "&#10;".join(_line(part) for part in _plain(text).split("\n"))


def block(text: str, indent: str) -> str:
    """User text as the lines of one paragraph; `indent` starts each line after the first.

    Inner line breaks are hard breaks (a backslash at the end of the line). Breaks at the very
    start or end, which a paragraph would drop, and blank lines, which would end it, cannot be:
    those at the ends are written as `&#10;`, and a blank inner line holds just the hard break.
    """
    text = _plain(text)
    core = text.strip("\n")
    lead = len(text) - len(text.lstrip("\n"))
    trail = len(text) - len(core) - lead
    if not core:
        return "&#10;" * lead
    lines = ("\\\n" + indent).join(_line(line) for line in core.split("\n"))
    return "&#10;" * lead + lines + "&#10;" * trail


def link(url: str) -> str:
    """An http(s) URL as an autolink `<…>`; anything else as plain text, never a link.

    Inside an autolink backslash escapes do not work, so the characters that would end it or are
    not allowed in it (`<`, `>`, space, control characters) are percent-encoded instead.
    """
    if not _SAFE_LINK.match(url):
        return inline(url)
    return "<" + "".join(_percent(c) if c in "<> " or _is_control(c) else c for c in url) + ">"


def _is_control(char: str) -> bool:
    return char < " " or "\x7f" <= char <= "\x9f"


def _percent(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))
