"""SDG suggestions for a note's text (#18): curated bokmål and English keywords per goal and target
(`board/data/sdg-keywords.json`), matched with bokmål inflections and compounds. No model and no
I/O once the data is read.

`static/js/suggest.js` runs the same algorithm over the same file, so the wall suggests in the
browser what `POST /api/sdgs/suggest` answers; tests/test_pages_suggest.py holds the two together
on every note of the tune set and a list of odd texts. So everything that decides an answer is in
the data file or spelled out here in steps JavaScript takes alike: integers for every weight and
score, explicit sort keys, never the order of a dict.

1. **Words.** The text in NFC, lower case; a word is a run of `0-9`, `a-z` and the Latin-1
   letters (æ, ø, å, é, ü …); anything else separates words. A word longer than `max_word`
   matches nothing (no real word is that long; it keeps a pasted blob cheap).
2. **Language** (unless given). Bokmål stop words plus words with æ, ø or å, against English stop
   words; even evidence (none, say) counts as both. A bokmål note is matched with the bokmål and
   the English keywords (English terms are common in Norwegian procurement talk), an English
   note with the English ones only.
3. **Keywords.** A keyword is a word or a phrase (consecutive words). A word matches its forms:
   itself and itself plus one of its language's endings (`short_endings` for words shorter than
   `short_word`), also after dropping a final `e` (`anskaffelse` → `anskaffelsene`, `produce` →
   `producing`) and, in English, with a final consonant + `y` turned into `i` (`city` →
   `cities`). A bokmål word of `min_compound` letters or more, or one marked `*word`, also
   matches as a part of a compound: a form at the start of a longer word (`innkjøp` in
   `innkjøpsstrategien`) or after at least `min_head` letters (`utslipp` in
   `klimagassutslipp`). `word*` matches every word that starts with it, `=word` only its forms.
4. **Evidence.** Where keywords of different goals overlap, a match that lies strictly inside
   another goal's match gives way to it: `vannkraft` is energy, not water; `biologisk mangfold`
   is life on land, not diversity. Within a goal, the longest match at the earliest start wins
   where matches overlap (a phrase over the words in it). Each distinct matched text counts
   once with the largest weight (1–5) of the goal's keywords there, so a word said ten times is
   no more evidence than once. A goal's evidence is the sum; a target's, that of its keywords.
5. **Answer.** At most `max_goals` goals by evidence (then more distinct matches, an earlier
   first match, the lower number), each with `score` = evidence / (evidence + `half`) rounded
   half up to hundredths, its targets that matched (by evidence, then earlier, then the UN's
   order, at most `max_targets`) and the matched texts in the order of the note (at most
   `max_matched`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any, Literal

Lang = Literal["nb", "en"]
LANGS: tuple[Lang, ...] = ("nb", "en")
KEYWORDS = "sdg-keywords.json"
# The letters of a word, after lower-casing. Listed rather than \w: Python's and ECMAScript's
# ideas of a letter differ, and every keyword is bokmål or English.
_WORD = re.compile(r"[0-9a-z\u00df-\u00f6\u00f8-\u00ff]+")
_NB_LETTERS = frozenset("æøå")
# Where a match lies: (first word, offset in it, last word, end offset in it).
Cover = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggested goal: its score (0..1), the targets that fit and the words that led to it."""

    goal: int
    score: float
    targets: list[str]
    matched: list[str]


@dataclass(frozen=True, slots=True)
class Term:
    """One keyword: the goal (and target) it speaks for, its weight, a pattern per word."""

    goal: int
    target: str | None
    weight: int
    words: tuple[int, ...]


@dataclass
class Lexicon:
    """One language's keyword words, indexed so that a word is matched in a few look-ups."""

    exact: dict[str, set[int]] = field(default_factory=dict)  # form -> patterns
    parts: dict[str, set[int]] = field(default_factory=dict)  # form -> compound patterns
    part_lengths: dict[str, list[int]] = field(default_factory=dict)  # 3 letters -> lengths
    prefixes: dict[str, set[int]] = field(default_factory=dict)  # start -> patterns
    prefix_lengths: list[int] = field(default_factory=list)
    prefix_starts: frozenset[str] = frozenset()  # their first 3 letters
    # pattern -> (term, its patterns) for the terms it begins
    starting: dict[int, list[tuple[int, tuple[int, ...]]]] = field(default_factory=dict)
    patterns: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, word) -> id


@dataclass
class Keywords:
    """The data file, compiled: rules, stop words, each language's lexicon, every term."""

    rules: dict[str, Any]
    stopwords: dict[str, frozenset[str]]
    lexicons: dict[str, Lexicon]
    terms: list[Term] = field(default_factory=list)
    excluded: dict[int, tuple[str, ...]] = field(default_factory=dict)  # goal -> word starts


def raw_keywords() -> bytes:
    """The data file as shipped; the static tree serves these bytes to the wall."""
    return files("board").joinpath(f"data/{KEYWORDS}").read_bytes()


@cache
def keywords() -> Keywords:
    """The shipped data file, compiled once per process."""
    return compile_keywords(json.loads(raw_keywords()))


def compile_keywords(data: dict[str, Any]) -> Keywords:
    """Index every keyword of `data` (the data file's JSON) for matching."""
    rules = data["rules"]
    compiled = Keywords(
        rules=rules,
        stopwords={lang: frozenset(data["stopwords"][lang]) for lang in LANGS},
        lexicons={lang: Lexicon() for lang in LANGS},
    )
    for entry in data["goals"]:
        goal = int(entry["goal"])
        compiled.excluded[goal] = tuple(entry.get("not", []))
        _add_terms(compiled, goal, None, entry)
        for code, target in entry.get("targets", {}).items():
            _add_terms(compiled, goal, code, target)
    for lexicon in compiled.lexicons.values():
        lexicon.prefix_lengths = sorted({len(start) for start in lexicon.prefixes})
        lexicon.prefix_starts = frozenset(start[:3] for start in lexicon.prefixes)
        lengths: dict[str, set[int]] = {}
        for form in lexicon.parts:
            lengths.setdefault(form[:3], set()).add(len(form))
        lexicon.part_lengths = {start: sorted(n) for start, n in lengths.items()}
    return compiled


def _add_terms(compiled: Keywords, goal: int, target: str | None, entry: dict[str, Any]) -> None:
    for lang in LANGS:
        lexicon = compiled.lexicons[lang]
        for keyword in entry.get(lang, []):
            text, _, weight = keyword.partition("^")
            patterns: list[int] = []
            for chunk in text.split(" "):
                patterns.extend(_chunk_patterns(lexicon, lang, chunk, compiled.rules, keyword))
            phrase = len(patterns) > 1
            value = (
                int(weight)
                if weight
                else compiled.rules["weight_phrase" if phrase else "weight_word"]
            )
            if not patterns or value < 1:
                raise ValueError(f"keyword {keyword!r} of goal {goal}: no words, or weight < 1")
            words = tuple(patterns)
            lexicon.starting.setdefault(words[0], []).append((len(compiled.terms), words))
            compiled.terms.append(Term(goal, target, value, words))


def _chunk_patterns(
    lexicon: Lexicon, lang: str, chunk: str, rules: dict[str, Any], keyword: str
) -> list[int]:
    """The patterns of one space-separated part of a keyword: its words as a note's text has
    them (`co2-utslipp` is two), a marker (`=`, `*`) applying to a part of one word only."""
    kind = ""
    if chunk.endswith("*"):
        kind, chunk = "prefix", chunk[:-1]
    elif chunk.startswith("="):
        kind, chunk = "exact", chunk[1:]
    elif chunk.startswith("*"):
        kind, chunk = "part", chunk[1:]
    words = words_of(chunk)
    if kind and (len(words) != 1 or (kind != "exact" and len(words[0]) < 3)):
        raise ValueError(f"keyword {keyword!r}: `*` needs a word of 3 letters or more, `=` a word")
    patterns = []
    for word in words:
        word_kind = kind or (
            "part" if lang == "nb" and len(word) >= rules["min_compound"] else "exact"
        )
        patterns.append(_pattern(lexicon, lang, word_kind, word, rules))
    return patterns


def _pattern(lexicon: Lexicon, lang: str, kind: str, word: str, rules: dict[str, Any]) -> int:
    """The id of one word's pattern, indexed on first sight."""
    key = (kind, word)
    if key in lexicon.patterns:
        return lexicon.patterns[key]
    # Ids apart per language, so that a term's words never mix the two lexicons.
    pattern = len(lexicon.patterns) + (0 if lang == "nb" else 1_000_000)
    lexicon.patterns[key] = pattern
    if kind == "prefix":
        lexicon.prefixes.setdefault(word, set()).add(pattern)
        return pattern
    for form in inflections(word, lang, rules):
        lexicon.exact.setdefault(form, set()).add(pattern)
        if kind == "part":
            lexicon.parts.setdefault(form, set()).add(pattern)
    return pattern


def inflections(word: str, lang: str, rules: dict[str, Any]) -> list[str]:
    """The forms a keyword word matches: itself, and each of its bases with each ending."""
    short = len(word) < rules["short_word"]
    endings = rules["short_endings" if short else "endings"][lang]
    bases = [word]
    if word.endswith("e") and len(word) >= rules["min_drop_e"]:
        bases.append(word[:-1])
    if lang == "en" and len(word) >= 4 and word.endswith("y") and word[-2] not in "aeiou":
        bases.append(word[:-1] + "i")
    forms = [word, *(base + ending for base in bases for ending in endings)]
    return list(dict.fromkeys(forms))


def words_of(text: str) -> list[str]:
    """The text's words in order: NFC, lower case, runs of the letters `_WORD` allows."""
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())


def detect(words: Iterable[str], compiled: Keywords | None = None) -> Lang | None:
    """`nb`, `en`, or None when the evidence is even (none at all, say)."""
    compiled = compiled or keywords()
    nb = en = 0
    for word in words:
        nb += (word in compiled.stopwords["nb"]) + (not _NB_LETTERS.isdisjoint(word))
        en += word in compiled.stopwords["en"]
    if nb == en:
        return None
    return "nb" if nb > en else "en"


def match_word(word: str, lexicon: Lexicon, rules: dict[str, Any]) -> dict[int, tuple[int, int]]:
    """Every pattern of `lexicon` that `word` matches, with the letters it covers (the widest,
    then the earliest, where it matches more than once)."""
    found: dict[int, tuple[int, int]] = {}
    places: list[tuple[set[int], int, int]] = []
    exact = lexicon.exact.get(word)
    if exact:
        places.append((exact, 0, len(word)))
    if word[:3] in lexicon.prefix_starts:
        for n in lexicon.prefix_lengths:
            if n > len(word):
                break
            if (patterns := lexicon.prefixes.get(word[:n])) is not None:
                places.append((patterns, 0, n))
    # A part of a compound: at the start, or after at least min_head letters.
    lengths = lexicon.part_lengths
    for start in (0, *range(rules["min_head"], len(word) - 2)):
        for n in lengths.get(word[start : start + 3], ()):
            if start + n > len(word):
                break
            if (patterns := lexicon.parts.get(word[start : start + n])) is not None:
                places.append((patterns, start, start + n))
    for patterns, start, end in places:
        for pattern in patterns:
            old = found.get(pattern)
            if old is None or (end - start, -start) > (old[1] - old[0], -old[0]):
                found[pattern] = (start, end)
    return found


@dataclass(frozen=True, slots=True)
class _Match:
    start: int  # first word
    length: int  # words
    cover: Cover
    term: int


def suggest(
    text: str, lang: Lang | None = None, compiled: Keywords | None = None
) -> list[Suggestion]:
    """The goals `text` suggests, best first (the module docstring says how)."""
    compiled = compiled or keywords()
    rules = compiled.rules
    words = words_of(text)
    if lang is None:
        lang = detect(words, compiled)
    matches = []
    for name in ["en"] if lang == "en" else ["nb", "en"]:
        matches.extend(_matches(words, compiled, compiled.lexicons[name]))
    kept = _without_contained(_allowed(matches, words, compiled), compiled)
    by_goal: dict[int, list[_Match]] = {}
    for match in kept:
        by_goal.setdefault(compiled.terms[match.term].goal, []).append(match)
    ranked = sorted(
        (_evidence(goal, found, words, compiled) for goal, found in by_goal.items()),
        key=lambda e: (-e.total, -len(e.matched), e.first, e.goal),
    )
    return [e.suggestion(rules) for e in ranked[: rules["max_goals"]]]


def _matches(words: list[str], compiled: Keywords, lexicon: Lexicon) -> list[_Match]:
    """Every place where a term of `lexicon` matches `words`."""
    rules = compiled.rules
    seen: dict[str, dict[int, tuple[int, int]]] = {}
    per_word = []
    for word in words:
        if word not in seen:
            fits = len(word) <= rules["max_word"]
            seen[word] = match_word(word, lexicon, rules) if fits else {}
        per_word.append(seen[word])
    found = []
    starting = lexicon.starting
    for start, patterns in enumerate(per_word):
        for pattern, (first_from, first_to) in patterns.items():
            for term, wanted in starting.get(pattern, ()):
                if len(wanted) == 1:  # most terms: one word, nothing more to check
                    found.append(_Match(start, 1, (start, first_from, start, first_to), term))
                    continue
                end = start + len(wanted) - 1
                if end >= len(words) or any(
                    wanted[i] not in per_word[start + i] for i in range(1, len(wanted))
                ):
                    continue
                last_to = per_word[end][wanted[-1]][1]
                found.append(_Match(start, len(wanted), (start, first_from, end, last_to), term))
    return found


def _allowed(matches: list[_Match], words: list[str], compiled: Keywords) -> list[_Match]:
    """The matches whose words do not start with one of their goal's exclusions."""
    allowed = []
    for match in matches:
        excluded = compiled.excluded[compiled.terms[match.term].goal]
        span = words[match.start : match.start + match.length]
        if not excluded or not any(word.startswith(excluded) for word in span):
            allowed.append(match)
    return allowed


def _without_contained(matches: list[_Match], compiled: Keywords) -> list[_Match]:
    """The matches that do not lie strictly inside a match of another goal."""
    by_start: dict[int, list[_Match]] = {}
    for match in matches:
        by_start.setdefault(match.start, []).append(match)
    longest = max((m.length for m in matches), default=0)
    kept = []
    for match in matches:
        goal = compiled.terms[match.term].goal
        s, a, e, b = match.cover
        inside = any(
            compiled.terms[other.term].goal != goal
            and other.cover != match.cover
            and (other.cover[0], other.cover[1]) <= (s, a)
            and (other.cover[2], other.cover[3]) >= (e, b)
            for start in range(match.start - longest + 1, match.start + 1)
            for other in by_start.get(start, ())
        )
        if not inside:
            kept.append(match)
    return kept


@dataclass
class _Evidence:
    goal: int
    total: int
    first: int
    matched: list[str]
    targets: list[str]

    def suggestion(self, rules: dict[str, Any]) -> Suggestion:
        half = rules["half"]
        # Half up, in integers, so that JavaScript computes the same hundredths.
        hundredths = (200 * self.total + self.total + half) // (2 * (self.total + half))
        return Suggestion(
            self.goal,
            hundredths / 100,
            self.targets[: rules["max_targets"]],
            self.matched[: rules["max_matched"]],
        )


def target_rank(code: str) -> tuple[int, int, int]:
    """The UN's order of target codes: 12.1 … 12.8, then 12.a, 12.b, 12.c."""
    goal, _, rest = code.partition(".")
    return (int(goal), 0, int(rest)) if rest.isdigit() else (int(goal), 1, ord(rest[0]))


def _evidence(goal: int, found: list[_Match], words: list[str], compiled: Keywords) -> _Evidence:
    """One goal's evidence from where its terms matched."""
    found.sort(key=lambda m: (m.start, -m.length, m.term))
    kept = []
    span: tuple[int, int] | None = None
    until = -1
    for match in found:
        # The longest at the earliest start wins; others that overlap it go.
        if span == (match.start, match.length):
            kept.append(match)
        elif match.start > until:
            kept.append(match)
            span, until = (match.start, match.length), match.start + match.length - 1
    texts: dict[str, list[int]] = {}  # text -> [first word, largest weight]
    target_weights: dict[str, dict[str, int]] = {}  # target -> text -> largest weight
    target_first: dict[str, int] = {}
    for match in kept:
        term = compiled.terms[match.term]
        text = " ".join(words[match.start : match.start + match.length])
        entry = texts.setdefault(text, [match.start, 0])
        entry[1] = max(entry[1], term.weight)
        if term.target is not None:
            weights = target_weights.setdefault(term.target, {})
            weights[text] = max(weights.get(text, 0), term.weight)
            target_first.setdefault(term.target, match.start)
    order = sorted(texts, key=lambda text: texts[text][0])
    targets = sorted(
        target_weights,
        key=lambda code: (
            -sum(target_weights[code].values()),
            target_first[code],
            target_rank(code),
        ),
    )
    return _Evidence(
        goal=goal,
        total=sum(weight for _, weight in texts.values()),
        first=texts[order[0]][0],
        matched=order,
        targets=targets,
    )
