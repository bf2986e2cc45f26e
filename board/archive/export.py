"""The Markdown archive of a board: one pure function from an `Archive` to CommonMark text.

It opens with a summary (#18): the most liked notes, the key terms of the notes' texts
(domain/terms.py) and the counts per goal and target; then the notes, grouped.

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
renders as exactly the text that was written. The catalogue's words (goal names, target texts
such as "less than $1.25 a day") are escaped the same way; goal numbers and target codes, which
are checked against the catalogue, are written as they are.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast
from zoneinfo import ZoneInfo

from board.archive.contents import Archive, AuthorData, CommentData, NoteData, for_moderator
from board.domain.access import Credentials
from board.domain.sdg import catalogue, targets
from board.domain.terms import key_terms
from board.store.db import Store

GroupBy = Literal["sdg", "section", "time"]
Lang = Literal["nb", "en"]
GROUPINGS: tuple[GroupBy, ...] = ("sdg", "section", "time")
LANGS: tuple[Lang, ...] = ("nb", "en")
# The summary at the top (#18): this many most liked notes and key terms.
SUMMARY_NOTES = 5
SUMMARY_TERMS = 10

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
        "targets": "Targets",
        "target": "Target",
        "text": "Text",
        "participant": "Participant {n}",
        "summary": "Summary",
        "most_liked": "Most liked notes",
        "key_terms": "Key terms",
        "key_terms_counted": "notes that mention them",
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
        "like": "{n} liker",
        "likes": "{n} liker",
        "sdgs": "Bærekraftsmål",
        "targets": "Delmål",
        "target": "Delmål",
        # The targets' official bokmål texts are not in the catalogue (board/data/SOURCES.md).
        "text": "Tekst (engelsk)",
        "participant": "Deltaker {n}",
        "summary": "Sammendrag",
        "most_liked": "Mest likte innspill",
        "key_terms": "Nøkkelord",
        "key_terms_counted": "innspill som nevner dem",
    },
}


@dataclass(frozen=True)
class Options:
    group_by: GroupBy = "sdg"
    lang: Lang | None = None  # None: the board's locale
    include_hidden: bool = False  # pending, hidden and deleted notes, marked as such
    board_url: str | None = None  # the participants' link, https://host/b/slug
    anonymous: bool = False  # names become "Participant 1, 2, …" in order of first appearance
    generated_at: datetime | None = None  # adds a "generated" line; None keeps output stable


def board_markdown(store: Store, slug: str, creds: Credentials, options: Options) -> str:
    """The archive of `slug` for a moderator of it (the HTTP route)."""
    return render(for_moderator(store, slug, creds), options)


def render(archive: Archive, options: Options) -> str:
    """The board as a CommonMark document; see the module docstring for what is escaped how."""
    board = archive["board"]
    lang = options.lang or cast(Lang, board["locale"])
    write = _Writer(archive, options, lang)
    notes = [n for n in archive["notes"] if options.include_hidden or _public(n)]

    blocks = [f"# {inline(board['title'])}"]
    if board["description"]:
        blocks.append(block(board["description"], ""))
    blocks.append(write.facts(notes))
    if (left_out := _left_out(archive["notes"], lang, options.include_hidden)) is not None:
        blocks.append(left_out)
    if not notes:
        blocks.append(write.words["none"])
        return "\n\n".join(blocks) + "\n"

    names = {goal["number"]: goal["name"][lang] for goal in catalogue()}
    counts = dict.fromkeys(names, 0)
    for note in notes:
        for goal in note["sdgs"]:
            counts[goal] += 1
    words = write.words
    # The summary: the most liked notes, the key terms, then the tables of counts.
    summary = write.summary(notes)
    if any(counts.values()):
        summary.append(
            f"| {words['goal']} | {words['name']} | {words['notes']} |\n| ---: | :--- | ---: |\n"
            + "\n".join(f"| {n} | {inline(names[n])} | {c} |" for n, c in counts.items() if c)
        )
    per_target = Counter(code for note in notes for code in note["targets"])
    if per_target:
        # Catalogue order; the codes are checked against the catalogue, the text is escaped.
        summary.append(
            f"| {words['target']} | {words['notes']} | {words['text']} |\n| :--- | ---: | :--- |\n"
            + "\n".join(
                f"| {code} | {per_target[code]} | {inline(target['text']['en'])} |"
                for code, target in targets().items()
                if code in per_target
            )
        )
    if summary:
        blocks.append(f"## {words['summary']}")
        blocks.extend(summary)
    # Pinned first, then by time; the id settles ties so the order never depends on the input's.
    notes.sort(key=lambda n: (not n["pinned"], n["created_at"], n["id"]))
    for heading, group in _groups(archive, notes, options.group_by, write, names):
        if group:
            blocks.append(f"## {heading}")
            blocks.extend(write.note(note) for note in group)
    return "\n\n".join(blocks) + "\n"


class _Writer:
    """The parts of the document that depend on the board: words, time zone, who was erased."""

    def __init__(self, archive: Archive, options: Options, lang: Lang) -> None:
        self.archive = archive
        self.options = options
        self.words = WORDS[lang]
        self.zone = ZoneInfo(archive["board"]["timezone"])
        self.erased = {p["id"] for p in archive["participants"] if p["erased_at"] is not None}
        # A note tagged with several goals is written once and placed under each of them; and a
        # board has far fewer names than notes and comments.
        self.written: dict[int, str] = {}
        self.names: dict[tuple[int | None, str], str] = {}
        self.numbered: dict[tuple[int | None, str], str] = {}  # --anonymous: person -> number

    def time(self, value: datetime) -> str:
        """`2026-11-26 10:15` in the board's time zone."""
        return value.astimezone(self.zone).isoformat(" ", "minutes")[:16]

    def day(self, value: datetime) -> str:
        return value.astimezone(self.zone).date().isoformat()

    def facts(self, notes: list[NoteData]) -> str:
        """The metadata list: date of the event, link, counts, time zone, when generated."""
        words, options, board = self.words, self.options, self.archive["board"]
        days = sorted({self.day(n["created_at"]) for n in notes}) or [self.day(board["created_at"])]
        people = len(self.archive["participants"]) - len(self.erased)
        erased = f" ({len(self.erased)} {words['erased']})" if options.include_hidden else ""
        facts = [
            (words["date"], days[0] if len(days) == 1 else f"{days[0]} – {days[-1]}"),
            (words["board"], link(options.board_url) if options.board_url else ""),
            (words["notes"], str(len(notes))),
            (words["participants"], f"{people}{erased if self.erased else ''}"),
            (words["time_zone"], inline(board["timezone"])),
            (words["generated"], self.time(options.generated_at) if options.generated_at else ""),
        ]
        return "\n".join(f"- {label}: {value}" for label, value in facts if value)

    def author(self, who: AuthorData) -> str:
        key = (who["id"], who["name"])
        if (done := self.names.get(key)) is None:
            if who["id"] is not None and who["id"] in self.erased:
                done = f"*{self.words['erased_author']}*"
            elif self.options.anonymous and (who["id"] is not None or who["name"]):
                # One person, one number: a participant by id, a moderator's note by its name.
                person = (who["id"], "" if who["id"] is not None else who["name"])
                if (number := self.numbered.get(person)) is None:
                    number = self.words["participant"].format(n=len(self.numbered) + 1)
                    self.numbered[person] = number
                done = number
            else:
                done = inline(who["name"]) if who["name"] else f"*{self.words['anonymous']}*"
            self.names[key] = done
        return done

    def summary(self, notes: list[NoteData]) -> list[str]:
        """The summary's blocks before the tables: the most liked notes (most likes first, then
        the earliest, then by id; notes nobody liked are left out) as a numbered list, and the
        key terms of the notes' texts in one paragraph; each left out when there is none."""
        words, blocks = self.words, []
        liked = sorted(
            (n for n in notes if n["likes"] > 0),
            key=lambda n: (-n["likes"], n["created_at"], n["id"]),
        )[:SUMMARY_NOTES]
        if liked:
            items = []
            for rank, note in enumerate(liked, 1):
                facts = " · ".join(
                    [*self.marks(note), self.author(note["author"]), self.likes(note)]
                )
                parts = [block(note["body"], "   ")] if note["body"] else []
                items.append(f"{rank}. " + "\n\n   ".join([*parts, facts]))
            blocks += [f"**{words['most_liked']}**", "\n\n".join(items)]
        found = key_terms([note["body"] for note in notes], SUMMARY_TERMS)
        if found:
            listed = ", ".join(f"{inline(term)} ({count})" for term, count in found)
            blocks.append(f"**{words['key_terms']}** ({words['key_terms_counted']}): {listed}")
        return blocks

    def marks(self, note: NoteData) -> list[str]:
        """The bold status words of a note: deleted, pending or hidden (when those are in the
        archive), pinned."""
        words, include_hidden = self.words, self.options.include_hidden
        marks = []
        if include_hidden and note["deleted_at"] is not None:
            marks.append(words["deleted"])
        if include_hidden and note["status"] != "visible":
            marks.append(words[note["status"]])
        if note["pinned"]:
            marks.append(words["pinned"])
        return [f"**{mark}**" for mark in marks]

    def likes(self, note: NoteData) -> str:
        return self.words["like" if note["likes"] == 1 else "likes"].format(n=note["likes"])

    def note(self, note: NoteData) -> str:
        """A list item: the body, a line of facts, and the comments as a list inside it."""
        if (done := self.written.get(note["id"])) is not None:
            return done
        words, include_hidden = self.words, self.options.include_hidden
        facts = self.marks(note)
        facts += [
            self.author(note["author"]),
            self.time(note["created_at"]),
            self.likes(note),
        ]
        if note["sdgs"]:
            facts.append(f"{words['sdgs']}: {', '.join(map(str, note['sdgs']))}")
        if note["targets"]:
            facts.append(f"{words['targets']}: {', '.join(note['targets'])}")
        if note["link"]:
            facts.append(link(note["link"]))
        parts = [block(note["body"], "  ")] if note["body"] else []
        parts.append(" · ".join(facts))
        text = "- " + "\n\n  ".join(parts)
        for comment in note["comments"]:
            if include_hidden or comment["deleted_at"] is None:
                text += "\n\n  - " + self.comment(comment)
        self.written[note["id"]] = text
        return text

    def comment(self, comment: CommentData) -> str:
        facts = [self.author(comment["author"]), self.time(comment["created_at"])]
        if comment["deleted_at"] is not None:
            facts.insert(0, f"**{self.words['deleted']}**")
        parts = [block(comment["body"], "    ")] if comment["body"] else []
        parts.append(" · ".join(facts))
        return "\n\n    ".join(parts)


def _left_out(notes: list[NoteData], lang: Lang, include_hidden: bool) -> str | None:
    """The sentence that says which notes are not shown (or, with include_hidden, which are
    shown marked); None when there are none of them. Deleted notes are left out without a word
    unless include_hidden: their authors took them back."""
    counts = Counter(
        "deleted" if n["deleted_at"] is not None else n["status"] for n in notes if not _public(n)
    )
    kinds = ("pending", "hidden", "deleted") if include_hidden else ("pending", "hidden")
    found = [(kind, counts[kind]) for kind in kinds if counts[kind]]
    if not found:
        return None
    phrases = [_NOTES_PHRASE[lang][kind][count != 1].format(n=count) for kind, count in found]
    joined = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + _AND[lang] + phrases[-1]
    if include_hidden:
        return _INCLUDED[lang].format(joined)
    many = len(found) > 1 or found[0][1] != 1
    return _LEFT_OUT[lang][many].format(joined)


# (singular, plural) for each kind of note an archive may leave out.
_NOTES_PHRASE: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "pending": ("{n} note waiting for approval", "{n} notes waiting for approval"),
        "hidden": ("{n} hidden note", "{n} hidden notes"),
        "deleted": ("{n} deleted note", "{n} deleted notes"),
    },
    "nb": {
        "pending": (
            "{n} innspill som venter på godkjenning",
            "{n} innspill som venter på godkjenning",
        ),
        "hidden": ("{n} skjult innspill", "{n} skjulte innspill"),
        "deleted": ("{n} slettet innspill", "{n} slettede innspill"),
    },
}
_AND = {"en": " and ", "nb": " og "}
_LEFT_OUT = {
    "en": ("{} is not in this archive.", "{} are not in this archive."),
    "nb": ("{} er ikke med i dette arkivet.", "{} er ikke med i dette arkivet."),
}
_INCLUDED = {
    "en": "This archive also holds {}, each marked.",
    "nb": "Dette arkivet tar også med {}, merket med status.",
}


def _public(note: NoteData) -> bool:
    return note["status"] == "visible" and note["deleted_at"] is None


def _groups(
    archive: Archive,
    notes: list[NoteData],
    group_by: GroupBy,
    write: _Writer,
    names: dict[int, str],
) -> Iterator[tuple[str, list[NoteData]]]:
    """(heading, notes in order) in document order; empty groups are left out by the caller."""
    if group_by == "sdg":
        by_goal: dict[int, list[NoteData]] = {number: [] for number in names}
        for note in notes:
            for goal in note["sdgs"]:
                by_goal[goal].append(note)
        for number, name in names.items():
            yield f"{number}. {inline(name)}", by_goal[number]
        yield write.words["untagged"], [n for n in notes if not n["sdgs"]]
    elif group_by == "section":
        by_section: dict[int | None, list[NoteData]] = {s["id"]: [] for s in archive["sections"]}
        elsewhere: list[NoteData] = []
        for note in notes:
            by_section.get(note["section_id"], elsewhere).append(note)
        for section in archive["sections"]:
            yield inline(section["title"]), by_section[section["id"]]
        yield write.words["no_section"], elsewhere
    else:
        by_day: dict[str, list[NoteData]] = {}
        for note in notes:
            by_day.setdefault(write.day(note["created_at"]), []).append(note)
        yield from sorted(by_day.items())


# Escaping -----------------------------------------------------------------------------------

# The backslash first, so the escapes added after it are not escaped again.
_SIGNIFICANT = "\\`*_[]<>&|~#{}^$"
# List items, thematic breaks and setext underlines: only where a line starts.
_LINE_START = re.compile(r"^(?:[-+=]|[0-9]{1,9}[.)])")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BREAK = re.compile(r"\r\n?")
_EDGE_SPACE = re.compile(r"^\s+|\s+$")
_SAFE_LINK = re.compile(r"(?i)https?://")


def _plain(text: str) -> str:
    if "\r" in text:
        text = _BREAK.sub("\n", text)
    return _CONTROL.sub("\ufffd", text)


def _references(match: re.Match[str]) -> str:
    return "".join(f"&#{ord(c)};" for c in match.group())


def _line(line: str) -> str:
    # Whitespace at either end of a line is dropped by a paragraph, or read as indentation (code)
    # or as a hard break (two trailing spaces); as character references it is just text.
    for char in _SIGNIFICANT:
        if char in line:  # most lines have none of them: a scan is cheaper than a regex
            line = line.replace(char, "\\" + char)
    if line[:1] in "-+=0123456789":
        line = _LINE_START.sub(_escape_last, line)
    if line[:1].isspace() or line[-1:].isspace():
        line = _EDGE_SPACE.sub(_references, line)
    return line


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
