"""The Markdown archive as a pure function: layout, grouping, languages, hidden notes, escaping.

Rendered with markdown-it-py (CommonMark, plus GitHub's tables since the export writes one), so
"renders as the literal text" and "creates no element" are checked on what a renderer makes of
the document, not on how its source looks.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from board.archive import backup, export
from board.archive.contents import Archive
from board.archive.export import WORDS, GroupBy, Options, link, render
from board.domain import sdg, terms

MD = MarkdownIt("commonmark").enable("table")
T0 = "2026-11-26T09:15:00Z"  # 10:15 in Oslo (winter time)


def note(id: int, body: str = "Krav om utslippsfrie byggeplasser", **fields: Any) -> dict[str, Any]:
    """A note record as the backup file has it; `fields` override the defaults."""
    return {
        "id": id,
        "client_id": f"n{id}",
        "section_id": None,
        "author": {"id": None, "name": "Kari"},
        "body": body,
        "link": None,
        "sdgs": [],
        "targets": [],
        "color": "yellow",
        "status": "visible",
        "pinned": False,
        "position": 0.0,
        "likes": 0,
        "version": 1,
        "created_at": T0,
        "updated_at": T0,
        "deleted_at": None,
        "comments": [],
    } | fields


def comment(id: int, body: str = "Enig", **fields: Any) -> dict[str, Any]:
    return {
        "id": id,
        "author": {"id": None, "name": "Ola"},
        "body": body,
        "created_at": T0,
        "deleted_at": None,
    } | fields


def archive(
    notes: list[dict[str, Any]],
    section: str = "Strategi",
    participants: list[dict[str, Any]] | None = None,
    **board: Any,
) -> Archive:
    """A validated archive of one board with two sections and two participants (one erased)."""
    data = {
        "format": "sdg-pinboard-backup",
        "version": 2,
        "board": {
            "slug": "webinar",
            "title": "Innovative anskaffelser",
            "description": "",
            "locale": "nb",
            "moderation": "post",
            "locked": False,
            "require_sdg": False,
            "timezone": "Europe/Oslo",
            "created_at": "2026-11-20T08:00:00Z",
            "updated_at": T0,
            "seq": 42,
        }
        | board,
        "sections": [
            {"id": 7, "title": section, "position": 0},
            {"id": 3, "title": "Eksempler", "position": 1},
        ],
        "participants": participants
        or [
            {"id": 1, "name": "Kari", "created_at": T0, "erased_at": None},
            {"id": 2, "name": "", "created_at": T0, "erased_at": T0},
        ],
        "notes": notes,
    }
    return backup.parse(json.dumps(data).encode())


# The `##` of the summary at the top (#18), in either language.
SUMMARY = {WORDS["nb"]["summary"], WORDS["en"]["summary"]}


def group_headings(tokens: list[Token]) -> list[int]:
    """Where each group's `##` opens: every `##` but the summary's, which comes first."""
    found = [i for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"]
    if found and inline_text(tokens[found[0] + 1]) in SUMMARY:
        return found[1:]
    return found


def headings(text: str) -> list[str]:
    """The groups' headings (the summary's left out)."""
    tokens = MD.parse(text)
    return [inline_text(tokens[i + 1]) for i in group_headings(tokens)]


def inline_text(token: Token) -> str:
    """What a reader sees of an inline token: its text, line breaks as LF."""
    assert token.type == "inline", token.type
    parts = []
    for child in token.children or []:
        if child.type == "text":
            parts.append(child.content)
        elif child.type in ("hardbreak", "softbreak"):
            parts.append("\n")
    return "".join(parts)


# Layout -------------------------------------------------------------------------------------


def test_layout_title_metadata_summary_then_one_heading_per_goal() -> None:
    """The document is the title, the metadata list, the summary (most liked notes, key terms,
    the count table), then the goal groups."""
    text = render(
        archive([note(1, sdgs=[12, 13], likes=2), note(2, sdgs=[12])], description="Om dagen"),
        Options(board_url="https://pinboard.example.no/b/webinar"),
    )
    assert text == (
        "# Innovative anskaffelser\n\n"
        "Om dagen\n\n"
        "- Dato: 2026-11-26\n"
        "- Tavle: <https://pinboard.example.no/b/webinar>\n"
        "- Innspill: 2\n"
        "- Deltakere: 1\n"
        "- Tidssone: Europe/Oslo\n\n"
        "## Sammendrag\n\n"
        "**Mest likte innspill**\n\n"
        "1. Krav om utslippsfrie byggeplasser\n\n"
        "   Kari · 2 liker\n\n"
        "**Nøkkelord** (innspill som nevner dem): krav (2), utslippsfrie byggeplasser (2)\n\n"
        "| Mål | Navn | Innspill |\n"
        "| ---: | :--- | ---: |\n"
        "| 12 | Ansvarlig forbruk og produksjon | 2 |\n"
        "| 13 | Stoppe klimaendringene | 1 |\n\n"
        "## 12. Ansvarlig forbruk og produksjon\n\n"
        "- Krav om utslippsfrie byggeplasser\n\n"
        "  Kari · 2026-11-26 10:15 · 2 liker · Bærekraftsmål: 12, 13\n\n"
        "- Krav om utslippsfrie byggeplasser\n\n"
        "  Kari · 2026-11-26 10:15 · 0 liker · Bærekraftsmål: 12\n\n"
        "## 13. Stoppe klimaendringene\n\n"
        "- Krav om utslippsfrie byggeplasser\n\n"
        "  Kari · 2026-11-26 10:15 · 2 liker · Bærekraftsmål: 12, 13\n"
    )


def test_the_table_is_a_table_with_a_row_per_goal_that_has_notes() -> None:
    """The counts render as a table whose rows are the goals with notes, in goal order."""
    text = render(archive([note(1, sdgs=[13, 3]), note(2, sdgs=[3])]), Options(lang="en"))
    tokens = MD.parse(text)
    cells = [inline_text(tokens[i + 1]) for i, t in enumerate(tokens) if t.type == "td_open"]
    assert cells == ["3", "Good health and well-being", "2", "13", "Climate action", "1"]


def test_each_note_has_author_time_likes_link_goals_and_nested_comments() -> None:
    """A note item holds its body, a line of facts, and its comments as a list inside it."""
    text = render(
        archive(
            [
                note(
                    1,
                    "Første linje\nandre linje",
                    sdgs=[12],
                    likes=1,
                    link="https://www.anskaffelser.no/",
                    author={"id": None, "name": ""},
                    comments=[comment(1, "Godt innspill", created_at="2026-11-26T09:20:00Z")],
                )
            ]
        ),
        Options(lang="en"),
    )
    assert (
        "- Første linje\\\n  andre linje\n\n"
        "  *anonymous* · 2026-11-26 10:15 · 1 like · SDGs: 12 · <https://www.anskaffelser.no/>\n\n"
        "  - Godt innspill\n\n"
        "    Ola · 2026-11-26 10:20\n"
    ) in text
    tokens = MD.parse(text)
    nested = [t.level for t in tokens if t.type == "bullet_list_open"]
    assert nested == [0, 0, 2]  # the metadata list, the notes, the comments inside the note


def test_a_board_without_notes_says_so_and_has_no_table() -> None:
    """No notes: the metadata (dated the board's creation) and a line saying there are none."""
    text = render(archive([]), Options(lang="en"))
    assert text.endswith("- Date: 2026-11-20\n- Notes: 0\n- Participants: 1\n"
                         "- Time zone: Europe/Oslo\n\nNo notes.\n")  # fmt: skip
    assert "|" not in text


def test_output_is_deterministic_lf_and_ends_in_one_newline() -> None:
    """Same data gives the same bytes, whatever order the notes arrive in; LF; one final LF."""
    notes = [
        note(i, f"Innspill {i}\r\nmed linjeskift", sdgs=[i % 17 + 1], pinned=i % 5 == 0)
        for i in range(1, 40)
    ]
    first = render(archive(notes), Options())
    assert render(archive(notes), Options()) == first
    assert render(archive(list(reversed(notes))), Options()) == first
    assert "\r" not in first and first.endswith("\n") and not first.endswith("\n\n")
    assert all(line == line.rstrip() for line in first.split("\n"))


def test_stamp_adds_a_generated_line_only_when_asked() -> None:
    """generated_at adds one "Generated" line in the board's time zone; without it, none."""
    data = archive([note(1)])
    plain = render(data, Options(lang="en"))
    stamped = render(
        data, Options(lang="en", generated_at=datetime(2026, 11, 27, 7, 5, tzinfo=UTC))
    )
    assert "Generated" not in plain
    assert stamped.replace("- Generated: 2026-11-27 08:05\n", "") == plain


def test_times_are_in_the_board_time_zone() -> None:
    """Times and days follow the board's zone, summer time included."""
    notes = [note(1, created_at="2026-06-30T22:30:00Z")]
    oslo = render(archive(notes), Options(lang="en"))
    assert "2026-07-01 00:30" in oslo and "- Date: 2026-07-01\n" in oslo
    new_york = render(archive(notes, timezone="America/New_York"), Options(lang="en"))
    assert "2026-06-30 18:30" in new_york and "- Date: 2026-06-30\n" in new_york


# The summary (#18) -------------------------------------------------------------------------


def summary_of(text: str) -> str:
    """The summary section: from its `##` to the first group's."""
    start = text.index("\n## ") + 1
    return text[start : text.index("\n## ", start) + 1]


def test_the_summary_lists_the_five_most_liked_notes_ties_by_time_then_id() -> None:
    """Most likes first; equal likes: the earlier note, then the lower id; five at most, and
    notes nobody liked are not among them."""
    notes = [
        note(1, "en", likes=3, created_at="2026-11-26T09:20:00Z"),
        note(2, "to", likes=3, created_at="2026-11-26T09:10:00Z"),
        note(3, "tre", likes=5),
        note(4, "fire", likes=1),
        note(5, "fem", likes=1),
        note(6, "seks", likes=1),
        note(7, "sju", likes=0),
        note(8, "åtte", likes=3, created_at="2026-11-26T09:10:00Z"),
    ]
    section = summary_of(render(archive(notes), Options(lang="en")))
    tokens = MD.parse(section)
    start = next(i for i, t in enumerate(tokens) if t.type == "ordered_list_open")
    ranked = [
        inline_text(tokens[i + 2])
        for i in range(start, len(tokens))
        if tokens[i].type == "list_item_open" and tokens[i].level == 1
    ]
    assert ranked == ["tre", "to", "åtte", "en", "fire"]
    assert "**Most liked notes**\n\n1. tre\n\n   Kari · 5 likes\n\n2. to\n" in section


def test_the_summary_has_the_ten_key_terms_of_the_notes_in_the_archives_language() -> None:
    """The key terms of the archived notes' texts, at most ten, each with the number of notes
    that mention it, after a label in the archive's language."""
    bodies = [
        "Sirkulære anskaffelser i kommunen",
        "Flere sirkulære anskaffelser, takk",
        "Leverandører må få krav om sirkulære anskaffelser",
        *(f"Ord{n} og tiltak{n} for krav" for n in range(12)),
    ]
    data = archive([note(i, body) for i, body in enumerate(bodies, 1)])
    expected = terms.key_terms(bodies, 10)
    assert expected[:2] == [("krav", 13), ("sirkulære anskaffelser", 3)]
    listed = ", ".join(f"{term} ({count})" for term, count in expected)
    nb = summary_of(render(data, Options()))
    assert f"\n**Nøkkelord** (innspill som nevner dem): {listed}\n" in nb
    en = summary_of(render(data, Options(lang="en")))
    assert f"\n**Key terms** (notes that mention them): {listed}\n" in en
    assert len(expected) == 10


def test_the_summary_counts_hidden_notes_only_when_they_are_included() -> None:
    """A hidden note, however liked, and its words are in the summary only with include_hidden,
    and then marked as hidden."""
    data = archive(
        [
            note(1, "Synlige krav", likes=1),
            note(2, "Skjulte hemmeligheter", likes=9, status="hidden"),
        ]
    )
    plain = summary_of(render(data, Options(lang="en")))
    assert "hemmeligheter" not in plain.lower() and "Hidden" not in plain
    assert "1. Synlige krav\n\n   Kari · 1 like\n" in plain
    included = summary_of(render(data, Options(lang="en", include_hidden=True)))
    assert "1. Skjulte hemmeligheter\n\n   **Hidden** · Kari · 9 likes\n" in included
    assert "hemmeligheter (1)" in included


def test_an_anonymous_summary_names_nobody() -> None:
    """With anonymous, the most liked notes' authors are numbered like everywhere else, the
    summary first: no name is in the archive."""
    data = people()
    data["notes"][1]["likes"] = 4  # Ola's note is the most liked: Ola is Participant 1
    text = render(data, Options(lang="en", anonymous=True))
    assert "1. andre\n\n   Participant 1 · 4 likes\n" in summary_of(text)
    assert "- andre\n\n  Participant 1 ·" in text
    for name in ("Kari", "Ola", "Vert"):
        assert name not in text


def test_the_summary_is_the_same_whatever_order_the_notes_come_in() -> None:
    """Ties in likes and in key terms are settled by the data, not by the input's order."""
    notes = [note(i, f"Felles krav nummer{i % 3}", likes=i % 2) for i in range(1, 12)]
    first = render(archive(notes), Options())
    assert render(archive(list(reversed(notes))), Options()) == first
    assert "**Mest likte innspill**" in first and "**Nøkkelord**" in first


def test_no_summary_heading_when_there_is_nothing_to_summarise() -> None:
    """Notes without likes, goals or a word that counts leave out the summary and its `##`;
    a board without notes has none either (its line says there are no notes)."""
    text = render(archive([note(1, "OK, ja!"), note(2, "12 3")]), Options(lang="en"))
    assert "## Summary" not in text and "Key terms" not in text
    assert "## Summary" not in render(archive([]), Options(lang="en"))


# Targets ------------------------------------------------------------------------------------


def test_targets_table_follows_the_goal_table_and_a_note_lists_its_codes() -> None:
    """Notes with targets add a table of targets (code, count, English text) after the goals."""
    text = render(
        archive([note(1, sdgs=[12], targets=["12.7"]), note(2, sdgs=[12], targets=["12.7"])]),
        Options(),
    )
    assert (
        "| Mål | Navn | Innspill |\n"
        "| ---: | :--- | ---: |\n"
        "| 12 | Ansvarlig forbruk og produksjon | 2 |\n\n"
        "| Delmål | Innspill | Tekst (engelsk) |\n"
        "| :--- | ---: | :--- |\n"
        "| 12.7 | 2 | Promote public procurement practices that are sustainable, in accordance "
        "with national policies and priorities |\n\n"
        "## 12. Ansvarlig forbruk og produksjon\n\n"
        "- Krav om utslippsfrie byggeplasser\n\n"
        "  Kari · 2026-11-26 10:15 · 0 liker · Bærekraftsmål: 12 · Delmål: 12.7\n\n"
    ) in text


def test_no_targets_table_when_no_note_has_targets() -> None:
    """Notes tagged with goals only leave the summary at the goal table, in either language."""
    data = archive([note(1, sdgs=[12]), note(2, sdgs=[13])])
    for lang in ("nb", "en"):
        tables = [t for t in MD.parse(render(data, Options(lang=lang))) if t.type == "table_open"]
        assert len(tables) == 1, lang


def test_targets_table_has_a_row_per_target_with_notes_in_catalogue_order() -> None:
    """Rows are the targets that have notes, 12.7 before 12.a, each counted once per note."""
    text = render(
        archive(
            [
                note(1, sdgs=[12, 13], targets=["12.a", "13.2"]),
                note(2, sdgs=[12], targets=["12.7", "12.a"]),
            ]
        ),
        Options(lang="en"),
    )
    tokens = MD.parse(text)
    second = [i for i, t in enumerate(tokens) if t.type == "table_open"][1]
    cells = [inline_text(tokens[i + 1]) for i, t in enumerate(tokens) if t.type == "th_open"]
    assert cells[3:] == ["Target", "Notes", "Text"]
    rows = [
        inline_text(tokens[i + 1])
        for i, t in enumerate(tokens[second:], second)
        if t.type == "td_open"
    ][::3]
    assert rows == ["12.7", "12.a", "13.2"]
    assert "| 12.a | 2 |" in text and "| 12.7 | 1 |" in text


def test_a_note_lists_its_target_codes_under_each_of_its_goals() -> None:
    """A note with goals 12 and 13 shows all its target codes under both goal headings."""
    text = render(archive([note(1, sdgs=[12, 13], targets=["12.7", "13.2"])]), Options(lang="en"))
    assert headings(text) == ["12. Responsible consumption and production", "13. Climate action"]
    assert text.count("· SDGs: 12, 13 · Targets: 12.7, 13.2\n") == 2


def test_targets_of_hidden_notes_count_only_when_they_are_included() -> None:
    """A hidden note's targets stay out of the table unless include_hidden puts the note in."""
    hidden = note(2, "skjult", status="hidden", sdgs=[12], targets=["12.7"])
    data = archive([note(1, sdgs=[12]), hidden])
    assert "12.7" not in render(data, Options(lang="en"))
    assert "| 12.7 | 1 |" in render(data, Options(lang="en", include_hidden=True))


def test_every_target_text_renders_as_itself_in_the_table() -> None:
    """The official text of each of the 169 targets ($ signs and all) reads back unchanged."""
    every = list(sdg.targets())
    data = archive([note(1, sdgs=list(range(1, 18)), targets=every)])
    tokens = MD.parse(render(data, Options(lang="en")))
    second = [i for i, t in enumerate(tokens) if t.type == "table_open"][1]
    cells = [
        inline_text(tokens[i + 1])
        for i, t in enumerate(tokens[second:], second)
        if t.type == "td_open"
    ]
    assert cells[0::3] == every
    assert cells[2::3] == [t["text"]["en"] for t in sdg.targets().values()]
    assert "$1.25" in cells[2]


# Grouping -----------------------------------------------------------------------------------


def grouped() -> Archive:
    return archive(
        [
            note(1, "a", sdgs=[13], section_id=3, created_at="2026-11-26T10:00:00Z"),
            note(2, "b", sdgs=[12, 13], section_id=7, created_at="2026-11-26T09:00:00Z"),
            note(3, "c", sdgs=[], section_id=None, created_at="2026-11-27T09:00:00Z"),
            note(4, "d", sdgs=[13], section_id=3, created_at="2026-11-26T11:00:00Z", pinned=True),
        ]
    )


def bodies(text: str) -> list[str]:
    """The first paragraph of each note (top-level item after the first group's `##`), in
    order."""
    tokens = MD.parse(text)
    start = group_headings(tokens)[0]
    return [
        inline_text(tokens[i + 2])
        for i in range(start, len(tokens))
        if tokens[i].type == "list_item_open" and tokens[i].level == 1
    ]


def test_group_by_sdg_lists_a_note_under_each_goal_untagged_last() -> None:
    """By SDG: goals in order, a note under every goal it has, pinned first, untagged last."""
    text = render(grouped(), Options(lang="en", group_by="sdg"))
    assert headings(text) == [
        "12. Responsible consumption and production",
        "13. Climate action",
        "Untagged",
    ]
    assert bodies(text) == ["b", "d", "b", "a", "c"]


def test_group_by_section_follows_board_order_with_notes_without_a_section_last() -> None:
    """By section: sections in board order (position, not id), then "No section"."""
    text = render(grouped(), Options(lang="en", group_by="section"))
    assert headings(text) == ["Strategi", "Eksempler", "No section"]
    assert bodies(text) == ["b", "d", "a", "c"]


def test_group_by_time_has_one_heading_per_day_in_order() -> None:
    """By time: one heading per day in the board's zone, notes by time, pinned first."""
    text = render(grouped(), Options(lang="en", group_by="time"))
    assert headings(text) == ["2026-11-26", "2026-11-27"]
    assert bodies(text) == ["d", "b", "a", "c"]


# Languages ----------------------------------------------------------------------------------


def test_board_locale_decides_the_words_and_lang_overrides_it() -> None:
    """nb boards get Norwegian words and goal names; lang="en" switches to English."""
    data = archive([note(1, sdgs=[5]), note(2, author={"id": None, "name": ""})])
    nb, en = render(data, Options()), render(data, Options(lang="en"))
    assert headings(nb) == ["5. Likestilling mellom kjønnene", "Uten bærekraftsmål"]
    assert headings(en) == ["5. Gender equality", "Untagged"]
    assert "*anonym* ·" in nb and "*anonymous* ·" in en
    assert "- Innspill: 2\n- Deltakere: 1\n" in nb and "- Notes: 2\n- Participants: 1\n" in en
    english_board = archive([note(1)], locale="en")
    assert headings(render(english_board, Options())) == ["Untagged"]
    assert headings(render(english_board, Options(lang="nb"))) == ["Uten bærekraftsmål"]


# Hidden, pending, deleted -------------------------------------------------------------------


def moderated() -> Archive:
    return archive(
        [
            note(1, "synlig", comments=[comment(1, "slettet kommentar", deleted_at=T0)]),
            note(2, "skjult", status="hidden"),
            note(3, "venter", status="pending"),
            note(4, "angret", deleted_at=T0),
            note(5, "", author={"id": 2, "name": ""}, deleted_at=T0),
        ]
    )


def test_hidden_pending_deleted_and_erased_are_left_out_by_default() -> None:
    """Without include_hidden only visible notes and live comments are in the archive."""
    text = render(moderated(), Options(lang="en"))
    assert bodies(text) == ["synlig"]
    for word in ("skjult", "venter", "angret", "slettet kommentar", "erased", "Hidden"):
        assert word not in text
    assert "- Notes: 1\n- Participants: 1\n" in text


def test_include_hidden_shows_them_clearly_marked() -> None:
    """include_hidden adds the others, each with a bold status word; erased authors are named so."""
    text = render(moderated(), Options(lang="en", include_hidden=True))
    assert "- Notes: 5\n- Participants: 1 (1 erased)\n" in text
    assert "- skjult\n\n  **Hidden** · Kari ·" in text
    assert "- venter\n\n  **Pending** · Kari ·" in text
    assert "- angret\n\n  **Deleted** · Kari ·" in text
    assert "- **Deleted** · *erased participant* · 2026-11-26 10:15" in text
    assert "  - slettet kommentar\n\n    **Deleted** · Ola ·" in text
    nb = render(moderated(), Options(include_hidden=True))
    assert "**Skjult**" in nb and "**Venter på godkjenning**" in nb and "*slettet deltaker*" in nb


def test_a_line_says_how_many_pending_and_hidden_notes_were_left_out() -> None:
    """Without include_hidden, one sentence under the facts counts the pending and hidden notes
    left out, in the archive's language; deleted notes are not counted."""
    en = render(moderated(), Options(lang="en"))
    assert (
        "- Time zone: Europe/Oslo\n\n"
        "1 note waiting for approval and 1 hidden note are not in this archive.\n"
    ) in en
    nb = render(moderated(), Options())
    assert (
        "1 innspill som venter på godkjenning og 1 skjult innspill er ikke med i dette arkivet.\n"
    ) in nb
    many = archive([note(i, status="pending") for i in (1, 2, 3)] + [note(4, status="hidden")])
    assert "3 notes waiting for approval and 1 hidden note are not" in render(
        many, Options(lang="en")
    )
    one = render(archive([note(1), note(2, status="hidden")]), Options(lang="en"))
    assert "\n1 hidden note is not in this archive.\n" in one


def test_no_left_out_line_when_every_note_is_shown() -> None:
    """A board whose notes are all visible (or only deleted) gets no such sentence."""
    for notes in ([note(1)], [note(1), note(2, deleted_at=T0)], []):
        text = render(archive(notes), Options(lang="en"))
        assert "not in this archive" not in text and "also holds" not in text


def test_include_hidden_says_what_it_added() -> None:
    """With include_hidden the sentence says which notes it holds, marked, deleted ones too."""
    text = render(moderated(), Options(lang="en", include_hidden=True))
    assert (
        "\n1 note waiting for approval, 1 hidden note and 2 deleted notes, each marked.\n"
        in text.replace("This archive also holds ", "\n")
    )
    assert "not in this archive" not in text
    nb = render(moderated(), Options(include_hidden=True))
    assert "Dette arkivet tar også med 1 innspill som venter på godkjenning, 1 skjult" in nb


def people() -> Archive:
    """Kari (1) writes first, Ola (3) comments on her note and writes the second note, a
    moderator writes the third; Kari comments on it."""
    return archive(
        [
            note(
                1,
                "første",
                author={"id": 1, "name": "Kari"},
                comments=[comment(1, author={"id": 3, "name": "Ola"})],
            ),
            note(2, "andre", author={"id": 3, "name": "Ola"}, created_at="2026-11-26T09:16:00Z"),
            note(
                3,
                "tredje",
                author={"id": None, "name": "Vert"},
                created_at="2026-11-26T09:17:00Z",
                comments=[comment(2, "Takk", author={"id": 1, "name": "Kari"})],
            ),
        ],
        participants=[
            {"id": 1, "name": "Kari", "created_at": T0, "erased_at": None},
            {"id": 3, "name": "Ola", "created_at": T0, "erased_at": None},
        ],
    )


def test_anonymous_numbers_people_in_order_of_first_appearance() -> None:
    """--anonymous: each author, comment authors too, is "Participant N" by first appearance,
    the same person the same number everywhere; no name is left in the archive."""
    text = render(people(), Options(lang="en", anonymous=True, group_by="time"))
    facts = [line for line in text.splitlines() if " · 2026-11-26" in line]
    assert [line.split(" · ")[0].strip() for line in facts] == [
        "Participant 1",  # Kari's note
        "Participant 2",  # Ola's comment on it
        "Participant 2",  # Ola's note
        "Participant 3",  # the moderator's note
        "Participant 1",  # Kari's comment on it
    ]
    for name in ("Kari", "Ola", "Vert"):
        assert name not in text
    nb = render(people(), Options(anonymous=True))
    assert "Deltaker 1 ·" in nb and "Deltaker 3 ·" in nb and "Kari" not in nb


def test_anonymous_numbering_follows_the_document_and_is_deterministic() -> None:
    """The numbers follow the archive's order (a pinned note comes first, so its author is 1);
    the same options give the same bytes; erased authors stay "erased participant"."""
    data = people()
    data["notes"][1]["pinned"] = True  # Ola's note now opens the archive
    text = render(data, Options(lang="en", anonymous=True))
    assert "- andre\n\n  **Pinned** · Participant 1 ·" in text
    assert "- første\n\n  Participant 2 ·" in text
    assert "  - Enig\n\n    Participant 1 ·" in text  # Ola's comment: Ola's number
    assert text == render(data, Options(lang="en", anonymous=True))
    erased = archive([note(1, author={"id": 2, "name": "Per"})])
    assert "*erased participant*" in render(erased, Options(lang="en", anonymous=True))


# Escaping -----------------------------------------------------------------------------------

CORPUS = [
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "![](http://x/y.png)",
    "# h",
    "## h ##",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "`code` and ``more``",
    "```\nfenced\n```",
    "~~~\nfenced\n~~~",
    "---",
    "***",
    "a\n===",
    "a\n---",
    "<!-- comment -->",
    "1. first",
    "1) first",
    "- item",
    "+ item",
    "* item",
    "> quote",
    "two trailing spaces  \nnext line",
    "trailing backslash\\\nnext",
    "    indented code",
    "\tindented with a tab",
    "*em* _em_ **strong** __strong__ ~~strike~~",
    "&amp; &#35; &copy;",
    "<https://evil.example>",
    "[ref]: https://evil.example\n[ref]",
    "line one\n\n\nafter blank lines",
    "\nleading and trailing breaks\n",
    "   ",
    "æøå ÆØÅ",
    "🌍🇳🇴 emoji 👩‍👩‍👧",
    "\u200fRTL mark and \u202eoverride",
    "C# & #hashtag & 100% (sikkert)",
    "\\",
    "\u00a0no-break spaces\u00a0",
    "\u2028line separator\u2029",
    "\u3000ideographic space\u3000",
]


@dataclass(frozen=True)
class UserText:
    """One text for each place a user's words appear in the archive."""

    title: str
    description: str
    section: str
    name: str
    body: str
    comment: str
    commenter: str


def user_archive(texts: UserText) -> Archive:
    return archive(
        [
            note(
                1,
                texts.body,
                section_id=7,
                sdgs=[12],
                targets=["12.7", "12.a"],
                likes=1,  # so the summary lists it as the most liked
                link="https://example.org/a?b=c&d=<e>",
                author={"id": 1, "name": texts.name},
                comments=[comment(1, texts.comment, author={"id": 1, "name": texts.commenter})],
            )
        ],
        section=texts.section,
        title=texts.title,
        description=texts.description,
    )


def benign(texts: UserText) -> UserText:
    """The same places filled with plain words: the structure the export itself creates."""
    return UserText("t", "d" if texts.description else "", "s", "n", "b", "c", "m")


def shown(text: str) -> str:
    """The text as the archive promises to show it: LF line breaks, control characters as U+FFFD."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        "\ufffd" if (ord(c) < 32 and c not in "\t\n") or 0x7F <= ord(c) <= 0x9F else c for c in text
    )


def skeleton(tokens: list[Token]) -> list[tuple[Any, ...]]:
    """Every element in the document; of inline content only what is not text or a hard break."""
    shape: list[tuple[Any, ...]] = []
    for token in tokens:
        shape.append((token.type, token.tag, token.nesting, token.level, token.markup, token.attrs))
        for child in token.children or []:
            if child.type not in ("text", "hardbreak"):
                attrs = {k: v for k, v in child.attrs.items() if k != "href"}
                shape.append(("inline", child.type, child.tag, child.nesting, attrs))
    return shape


def key_terms_paragraph(tokens: list[Token]) -> tuple[list[Token], Token | None]:
    """The tokens without the summary's paragraph of key terms, and that paragraph's inline
    (None when the document has none: a text may have no word that counts)."""
    labels = {WORDS["nb"]["key_terms"], WORDS["en"]["key_terms"]}
    for i, token in enumerate(tokens):
        children = [c for c in token.children or [] if c.type != "text" or c.content]
        if token.type == "inline" and len(children) > 1 and children[1].content in labels:
            return tokens[: i - 1] + tokens[i + 2 :], token
    return tokens, None


def check_renders_literally(texts: UserText, group_by: GroupBy) -> None:
    """The export of `texts` has exactly the elements of a benign export, and each text in it."""
    options = Options(group_by=group_by, board_url="https://pinboard.example.no/b/webinar")
    data = user_archive(texts)
    text = render(data, options)
    tokens = MD.parse(text)
    # The key terms come from the body's words: a benign body has none, so their paragraph is
    # compared with what the body's words are instead.
    tokens, found = key_terms_paragraph(tokens)
    baseline, _ = key_terms_paragraph(MD.parse(render(user_archive(benign(texts)), options)))
    assert skeleton(tokens) == skeleton(baseline), text
    expected = terms.key_terms([data["notes"][0]["body"]], 10)
    if expected:
        assert found is not None, text
        assert [c.type for c in found.children or [] if c.content or c.type != "text"] == [
            "strong_open",
            "text",
            "strong_close",
            "text",
        ], text
        listed = ", ".join(f"{term} ({count})" for term, count in expected)
        assert inline_text(found) == f"Nøkkelord (innspill som nevner dem): {listed}", text
    else:
        assert found is None, text

    inlines = [t for t in tokens if t.type == "inline"]
    assert inline_text(inlines[0]) == shown(texts.title), text
    if texts.description:
        assert inline_text(inlines[1]) == shown(texts.description), text
    # The summary's most liked note: its body, then its author and likes.
    ranked = next(i for i, t in enumerate(tokens) if t.type == "ordered_list_open")
    liked, liked_facts = [t for t in tokens[ranked:] if t.type == "inline"][:2]
    assert inline_text(liked) == shown(texts.body), text
    assert inline_text(liked_facts) == shown(texts.name) + " · 1 liker", text
    # The one group heading, then the note: body, facts (author first), comment, its facts.
    h2 = group_headings(tokens)[0]
    group = inlines.index(tokens[h2 + 1])
    if group_by == "section":
        assert inline_text(inlines[group]) == shown(texts.section), text
    body, facts, reply, reply_facts = (inline_text(t) for t in inlines[group + 1 : group + 5])
    assert body == shown(texts.body), text
    assert facts.startswith(shown(texts.name) + " · 2026-11-26 10:15 · "), text
    assert reply == shown(texts.comment), text
    assert reply_facts == shown(texts.commenter) + " · 2026-11-26 10:15", text
    links = [c.attrGet("href") for t in inlines for c in t.children or [] if c.type == "link_open"]
    assert links == [
        "https://pinboard.example.no/b/webinar",
        "https://example.org/a?b=c&d=%3Ce%3E",
    ], text


@pytest.mark.parametrize("group_by", ["sdg", "section", "time"])
@pytest.mark.parametrize("sample", CORPUS, ids=range(len(CORPUS)))
def test_corpus_renders_literally_everywhere(sample: str, group_by: GroupBy) -> None:
    """Each corpus text, as title, description, section, name, body and comment, is just text."""
    check_renders_literally(UserText(*[sample] * 7), group_by)


def test_right_to_left_override_stays_inside_its_paragraph() -> None:
    """An RLO in a body ends with the body's paragraph: the facts line is a paragraph of its own."""
    text = render(archive([note(1, "\u202eabc")]), Options())
    tokens = MD.parse(text)
    h2 = group_headings(tokens)[0]
    kinds = [t.type for t in tokens[h2 + 3 : h2 + 10]]
    assert kinds[:7] == [
        "bullet_list_open",
        "list_item_open",
        "paragraph_open",
        "inline",
        "paragraph_close",
        "paragraph_open",
        "inline",
    ]
    assert inline_text(tokens[h2 + 6]) == "\u202eabc"
    assert "\u202e" not in inline_text(tokens[h2 + 9])


def test_control_characters_show_as_replacement_characters() -> None:
    """Vertical tab, escape and C1 controls become U+FFFD; tab and line breaks stay."""
    text = render(archive([note(1, "a\x0bb\x1bc\x85d\te\r\nf")]), Options())
    assert "- a\ufffdb\ufffdc\ufffdd\te\\\n  f\n" in text


def test_only_http_links_become_links() -> None:
    """link() makes an autolink of http(s) only, percent-encoding what would end it."""
    assert link("https://x.example/a b<c>") == "<https://x.example/a%20b%3Cc%3E>"
    for unsafe in ("javascript:alert(1)", "data:text/html,<b>", "mailto:a@b.no", "//x.example"):
        children = MD.parseInline(link(unsafe))[0].children or []
        assert [c.type for c in children] == ["text"], unsafe
        assert children[0].content == unsafe


# Any text: hypothesis ------------------------------------------------------------------------

MARKDOWN_HEAVY = st.text(
    st.sampled_from(
        [
            *string.punctuation,
            *" \t\n\r0123456789aZæÅ🌍",
            *"\u00a0\u2028\u200f\u202e\x0b\x0c\x1c\x85\u3000\ufeff",
        ]
    ),
    min_size=1,
    max_size=40,
)
ANY_TEXT = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=40
)
TEXT = st.one_of(MARKDOWN_HEAVY, ANY_TEXT)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.builds(
        UserText,
        title=TEXT,
        description=st.one_of(st.just(""), TEXT),
        section=TEXT,
        name=TEXT,
        body=TEXT,
        comment=TEXT,
        commenter=TEXT,
    ),
    group_by=st.sampled_from(["sdg", "section", "time"]),
)
def test_any_text_renders_literally_and_creates_no_element(
    texts: UserText, group_by: GroupBy
) -> None:
    """For any text in any place, the document has only the export's elements and the text."""
    check_renders_literally(texts, group_by)


def test_the_check_fails_on_unescaped_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """With escaping switched off, the check above fails: it can tell a link from text."""
    monkeypatch.setattr(export, "_line", lambda line: line)
    texts = UserText("t", "", "s", "n", "[x](https://evil.example)", "c", "m")
    with pytest.raises(AssertionError):
        check_renders_literally(texts, "sdg")
