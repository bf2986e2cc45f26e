"""The SDG suggestion matcher (#18), as plain functions: no server, no browser.

Most tests use the shipped keywords (board/data/sdg-keywords.json); the ones about ordering,
rounding and the limits build a small keyword set of their own, so that what they hold does not
depend on how the curated lists are weighted. The browser's copy of the matcher is held to this
one in tests/test_pages_suggest.py; the accuracy on the tune set in tests/test_suggest_tune.py.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from board.domain import sdg
from board.domain.suggest import (
    Suggestion,
    compile_keywords,
    detect,
    inflections,
    keywords,
    raw_keywords,
    suggest,
    words_of,
)


def goals(text: str, lang: str | None = None) -> list[int]:
    return [s.goal for s in suggest(text, lang)]  # type: ignore[arg-type]


def about(goal: int, text: str, lang: str | None = None) -> Suggestion:
    """The suggestion for `goal`, which must be among the answer for `text`."""
    found = {s.goal: s for s in suggest(text, lang)}  # type: ignore[arg-type]
    assert goal in found, f"{goal} not suggested for {text!r}: {sorted(found)}"
    return found[goal]


def small(goals: list[dict[str, Any]], **rules: Any) -> Any:
    """A keyword set of its own, with the shipped rules and stop words (and `rules` changed)."""
    data = copy.deepcopy(json.loads(raw_keywords()))
    data["rules"].update(rules)
    data["goals"] = goals
    return compile_keywords(data)


# --- words, inflections and compounds -----------------------------------------------------------


def test_words_are_lower_case_runs_of_letters_and_digits_in_nfc() -> None:
    """Case, punctuation and a decomposed å make no difference to the words."""
    assert words_of("CO2-utslipp, Innkjøp!  Ga\u030arden") == [
        "co2",
        "utslipp",
        "innkjøp",
        "gården",
    ]
    assert words_of("…!?") == []


def test_a_bokmal_noun_matches_its_inflected_forms() -> None:
    """`anskaffelse` in the lists suggests goal 12 (target 12.7) for each of its forms."""
    assert "anskaffelsene" in inflections("anskaffelse", "nb", keywords().rules)
    for form in ("anskaffelse", "anskaffelsen", "anskaffelser", "anskaffelsene"):
        assert about(12, f"Om {form}", "nb").targets[0] == "12.7", form


def test_a_bokmal_word_matches_inside_a_compound() -> None:
    """`innkjøp` is found as the first part of a compound, `utslipp` as the last."""
    for text in ("innkjøp", "innkjøpene", "innkjøpsstrategien"):
        assert about(12, text, "nb").matched == [text]
    assert goals("klimagassutslippene fra ferjene", "nb")[0] == 13


def test_a_part_needs_min_head_letters_before_it() -> None:
    """`samarbeid` is not `arbeid` (work) after three letters: partnerships, not goal 8."""
    assert goals("samarbeid", "nb") == [17]
    assert 8 in goals("dugnadsarbeid", "nb")


def test_a_short_word_marked_exact_never_matches_inside_another_word() -> None:
    """`=mat` (food) is not in `matematikk` or `automat`; `maten` still is."""
    assert goals("matematikk og automater", "nb") == []
    assert goals("maten", "nb") == [2]


def test_a_match_inside_another_goals_match_gives_way() -> None:
    """`vannkraft` is energy, not water; `biologisk mangfold` is life on land, not diversity."""
    assert goals("vannkraft", "nb") == [7]
    assert goals("biologisk mangfold", "nb") == [15]


def test_within_a_goal_a_phrase_wins_over_its_words() -> None:
    """`offentlige anskaffelser` is one match, shown as the phrase, not also as `anskaffelser`."""
    assert about(12, "offentlige anskaffelser", "nb").matched == ["offentlige anskaffelser"]


def test_a_repeated_word_counts_once() -> None:
    """Saying `avfall` five times is no more evidence than saying it once."""
    once, five = about(12, "avfall", "nb"), about(12, "avfall " * 5, "nb")
    assert (five.score, five.matched) == (once.score, once.matched)


def test_a_word_longer_than_max_word_matches_nothing() -> None:
    """A pasted blob is not searched for keywords: no real word is that long."""
    blob = "innkjøp" * (keywords().rules["max_word"] // 7 + 1)
    assert goals(blob, "nb") == []
    assert goals("innkjøp" * 2, "nb") == [12]


def test_empty_and_punctuation_only_text_suggests_nothing() -> None:
    """No words, no suggestions."""
    assert suggest("") == suggest("  \n\t") == suggest("!!! ... ???") == []


# --- language --------------------------------------------------------------------------------


def test_language_is_detected_from_stop_words_and_nordic_letters() -> None:
    """Bokmål and English stop words decide; æ, ø and å count for bokmål; even evidence is None."""
    assert detect(words_of("Vi må gjøre noe med det")) == "nb"
    assert detect(words_of("We should do something about it")) == "en"
    assert detect(words_of("Gjenbruk møbler")) == "nb"
    assert detect(words_of("Circular procurement")) is None
    assert detect(words_of("")) is None


def test_an_english_text_is_matched_with_the_english_keywords_only() -> None:
    """`by` is a city in bokmål and a preposition in English: only a bokmål text gets goal 11."""
    assert 11 not in goals("Water quality measured by the river", "en")
    assert 11 not in goals("Water quality measured by the river")  # detected as English
    assert goals("Byen trenger flere parker")[0] == 11


def test_a_bokmal_text_also_matches_english_keywords() -> None:
    """English terms in a Norwegian note count: `circular economy` in bokmål text."""
    assert about(12, "Vi må satse på circular economy i kommunen").matched == ["circular economy"]


# --- the answer ------------------------------------------------------------------------------


GOAL_A = {"goal": 3, "nb": ["alfa"], "en": [], "targets": {}}
GOAL_B = {"goal": 5, "nb": ["beta"], "en": [], "targets": {}}


def test_goals_are_ordered_by_evidence_then_distinct_words_then_place_then_number() -> None:
    """More weight first; at equal weight, more distinct matches, then the earlier first match,
    then the lower goal number."""
    compiled = small(
        [
            {"goal": 3, "nb": ["alfa^2", "gamma^1"], "en": [], "targets": {}},
            {"goal": 5, "nb": ["beta^3"], "en": [], "targets": {}},
            {"goal": 7, "nb": ["delta^3"], "en": [], "targets": {}},
            {"goal": 9, "nb": ["eps^4"], "en": [], "targets": {}},
        ]
    )
    order = [s.goal for s in suggest("delta beta alfa gamma eps", "nb", compiled)]
    assert order == [9, 3, 7]  # 4; 3 in two words; 3 in one, delta before beta
    assert [s.goal for s in suggest("beta delta", "nb", compiled)] == [5, 7]
    assert [s.goal for s in suggest("delta beta", "nb", compiled)] == [7, 5]
    tie = small([GOAL_B, GOAL_A])
    assert [s.goal for s in suggest("alfa beta", "nb", tie)] == [3, 5]
    assert [s.goal for s in suggest("beta alfa", "nb", tie)] == [5, 3]


def test_at_most_max_goals_are_suggested() -> None:
    """Five goals match; three come back, the best."""
    compiled = small(
        [{"goal": g, "nb": [f"ord{g}^{g}"], "en": [], "targets": {}} for g in range(1, 6)]
    )
    text = " ".join(f"ord{g}" for g in range(1, 6))
    assert [s.goal for s in suggest(text, "nb", compiled)] == [5, 4, 3]


def test_targets_come_best_first_then_in_the_uns_order_and_at_most_three() -> None:
    """Four targets match: the heaviest first, equal ones earlier in the text first, then 12.7
    before 12.a; the fourth is left out. Goal-level words suggest no target."""
    compiled = small(
        [
            {
                "goal": 12,
                "nb": ["generelt"],
                "en": [],
                "targets": {
                    "12.a": {"nb": ["aaa^2"], "en": []},
                    "12.7": {"nb": ["sju^2"], "en": []},
                    "12.5": {"nb": ["fem^5"], "en": []},
                    "12.1": {"nb": ["en^1"], "en": []},
                },
            }
        ]
    )
    [found] = suggest("aaa sju fem en generelt", "nb", compiled)
    assert found.targets == ["12.5", "12.a", "12.7"]
    [found] = suggest("sju aaa", "nb", compiled)
    assert found.targets == ["12.7", "12.a"]
    [found] = suggest("generelt", "nb", compiled)
    assert found.targets == []


def test_matched_words_are_the_texts_words_in_their_order() -> None:
    """`matched` lists what the text says, lower case, in the order it says it."""
    assert about(12, "Avfall og ombruk, så gjenvinning").matched == [
        "avfall",
        "ombruk",
        "gjenvinning",
    ]


def test_scores_are_evidence_over_evidence_plus_half_rounded_half_up() -> None:
    """With half = 7, evidence 1 is 1/8 = 0.125: 0.13 (half up, not to even); evidence 7 is 0.5."""
    compiled = small([{"goal": 3, "nb": ["alfa^1", "beta^6"], "en": [], "targets": {}}], half=7)
    assert suggest("alfa", "nb", compiled)[0].score == 0.13
    assert suggest("alfa beta", "nb", compiled)[0].score == 0.5


# --- the data file ---------------------------------------------------------------------------


def test_the_data_file_covers_every_goal_and_target_in_both_languages() -> None:
    """Every goal has bokmål and English keywords, and every one of the UN's 169 targets has some,
    under its own goal; every keyword compiles (a bad marker or weight would raise)."""
    data = json.loads(raw_keywords())
    assert [entry["goal"] for entry in data["goals"]] == list(range(1, 18))
    named = [code for entry in data["goals"] for code in entry["targets"]]
    assert sorted(named) == sorted(sdg.targets())
    for entry in data["goals"]:
        nb = entry["nb"] + [k for t in entry["targets"].values() for k in t["nb"]]
        en = entry["en"] + [k for t in entry["targets"].values() for k in t["en"]]
        assert len(nb) >= 20 and len(en) >= 20, entry["goal"]
        for code in entry["targets"]:
            assert sdg.is_target(code) and sdg.goal_of(code) == entry["goal"], code
    assert len(keywords().terms) > 2000


def test_a_bad_keyword_is_refused_when_the_data_is_compiled() -> None:
    """A marker on a phrase, or a weight below 1, stops compiling with the keyword named."""
    for bad in ("*to ord", "null^0"):
        with pytest.raises(ValueError, match="keyword"):
            small([{"goal": 1, "nb": [bad], "en": [], "targets": {}}])
