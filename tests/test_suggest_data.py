"""The labelled notes that measure SDG suggestions (tests/data/suggest/) keep their shape.

The engine is tuned on tune.jsonl only and only ever evaluated on holdout.jsonl; these tests
check the files, not the engine, so that a broken or thinned-out set cannot make a figure.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "suggest"
FILES = ("tune", "holdout")
FIELDS = {"text", "lang", "goals", "targets"}
REQUIRED = {"text", "lang", "goals"}
# The floors the README promises: every goal can be measured in the holdout part.
MIN_PER_GOAL = {"tune": 2, "holdout": 4}
MIN_HOLDOUT = 100
MIN_TOTAL = 150
TEXT_LENGTH = range(20, 281)

TARGET_GOAL: dict[str, int] = {
    target["code"]: target["goal"]
    for target in json.loads((ROOT / "board" / "data" / "sdg-targets.json").read_text("utf-8"))
}


def problems(line: str) -> list[str]:
    """What is wrong with one line of a notes file (an empty list when nothing is)."""
    try:
        note = json.loads(line)
    except json.JSONDecodeError as error:
        return [f"not JSON: {error}"]
    if not isinstance(note, dict):
        return ["not a JSON object"]
    found = [f"missing {name}" for name in sorted(REQUIRED - note.keys())]
    found += [f"unknown field {name}" for name in sorted(note.keys() - FIELDS)]
    text, lang = note.get("text"), note.get("lang")
    if not isinstance(text, str) or len(text.strip()) not in TEXT_LENGTH:
        found.append(f"text must be a string of 20-280 characters: {text!r}")
    if lang not in ("nb", "en"):
        found.append(f"lang must be nb or en: {lang!r}")
    goals = note.get("goals")
    valid_goals = (
        isinstance(goals, list)
        and 1 <= len(goals) <= 3
        and all(type(goal) is int and 1 <= goal <= 17 for goal in goals)
        and len(set(goals)) == len(goals)
    )
    if not valid_goals:
        found.append(f"goals must be 1-3 distinct numbers 1-17: {goals!r}")
    targets = note.get("targets", [])
    if not isinstance(targets, list) or not all(isinstance(code, str) for code in targets):
        return [*found, f"targets must be a list of codes: {targets!r}"]
    for code in targets:
        if code not in TARGET_GOAL:
            found.append(f"no such target {code}")
        elif valid_goals and TARGET_GOAL[code] not in goals:
            found.append(f"target {code} is not under one of the goals {goals}")
    return found


def lines(name: str) -> list[str]:
    """The non-empty lines of one notes file."""
    return [line for line in (DATA / f"{name}.jsonl").read_text("utf-8").splitlines() if line]


def notes(name: str) -> list[dict[str, Any]]:
    """The notes of one file, parsed."""
    return [json.loads(line) for line in lines(name)]


@pytest.mark.parametrize("name", FILES)
def test_every_line_is_a_well_formed_note(name: str) -> None:
    """Each line is a JSON object with text, lang, goals and known targets under its goals."""
    found = {number: problems(line) for number, line in enumerate(lines(name), 1)}
    assert {number: issue for number, issue in found.items() if issue} == {}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"text": "Solceller på alle kommunale tak", "lang": "nb"', "not JSON"),
        ('{"text": "Solceller på alle kommunale tak", "lang": "se", "goals": [7]}', "lang"),
        ('{"text": "Solceller på alle kommunale tak", "lang": "nb", "goals": []}', "goals"),
        ('{"text": "Solceller på alle kommunale tak", "lang": "nb", "goals": [7, 7]}', "goals"),
        ('{"text": "Solceller på alle kommunale tak", "lang": "nb", "goals": [18]}', "goals"),
        ('{"text": "Solceller på alle kommunale tak", "lang": "nb", "goals": [true]}', "goals"),
        ('{"text": "Solceller", "lang": "nb", "goals": [7]}', "text"),
        ('{"text": "Solceller på alle kommunale tak", "lang": "nb", "goal": [7]}', "missing goals"),
        (
            '{"text": "Solceller på alle kommunale tak", "lang": "nb", "goals": [7], '
            '"targets": ["7.9"]}',
            "no such target",
        ),
        (
            '{"text": "Solceller på alle kommunale tak", "lang": "nb", "goals": [7], '
            '"targets": ["13.2"]}',
            "not under one of the goals",
        ),
    ],
)
def test_the_line_check_rejects_a_malformed_note(line: str, expected: str) -> None:
    """The line check itself finds each kind of fault, so a clean file means something."""
    assert any(expected in issue for issue in problems(line))


def test_no_note_is_in_both_files_or_twice_in_one() -> None:
    """A holdout note never also sits in the tuning file, and no file repeats a note."""
    texts = [note["text"].strip().casefold() for name in FILES for note in notes(name)]
    assert [text for text, count in Counter(texts).items() if count > 1] == []


@pytest.mark.parametrize("name", FILES)
def test_every_goal_is_an_accepted_goal_often_enough(name: str) -> None:
    """Each of the 17 goals is accepted for at least 2 tuning notes and 4 holdout notes."""
    counts = Counter(goal for note in notes(name) for goal in note["goals"])
    short = {goal: counts[goal] for goal in range(1, 18) if counts[goal] < MIN_PER_GOAL[name]}
    assert short == {}


def test_there_are_enough_notes_to_measure() -> None:
    """At least 150 notes in all, at least 100 of them held out."""
    sizes = {name: len(notes(name)) for name in FILES}
    assert sizes["holdout"] >= MIN_HOLDOUT
    assert sum(sizes.values()) >= MIN_TOTAL


@pytest.mark.parametrize("name", FILES)
def test_both_languages_are_there_in_about_the_planned_mix(name: str) -> None:
    """About 60% of each file is bokmål and the rest English (between 50% and 70% bokmål)."""
    langs = Counter(note["lang"] for note in notes(name))
    assert 0.5 <= langs["nb"] / sum(langs.values()) <= 0.7
