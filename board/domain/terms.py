"""Key terms: the words and two-word phrases a set of notes share most (#18).

What the presenter's key-terms view and the archive's summary show. Pure and deterministic: the
same texts give the same terms in the same order, whatever else runs.

- **Words**: runs of letters and digits (with inner hyphens and apostrophes: "e-handel"), split
  at punctuation, URLs and e-mail addresses. Dropped: numbers (no letter in them), words under
  three characters, and the bokmål and English stop words of `board/data/stopwords.json`
  (function words, modal verbs, and words too general to say anything on a board, such as
  "bør", "viktig", "should"), one list for both languages: a board mixes them.
- **Inflections folded** by a light, deterministic suffix rule instead of a dictionary: common
  bokmål noun and adjective endings (-ene, -ane, -er, -en, -et, -e) and English plurals and
  genitives (Harman's S-stemmer: -ies → -y, -s), stripped in turn until none applies and never
  below a stem of three letters. "anskaffelse", "anskaffelsen", "anskaffelser" and
  "anskaffelsene" are one term, and so are "supplier" and "suppliers" or "kommunens" and
  "kommune". The fold is only a key; the term is shown as most notes wrote it, in lower case
  unless it is only ever written with a capital inside a sentence ("Oslo kommune") or has more
  than one ("DFØ"): a capital that starts a sentence says nothing.
- **Phrases**: two meaningful words next to each other (nothing between them but spaces), in at
  least two notes. A word that only ever appears inside a listed phrase (as many notes as the
  phrase) is left out: the phrase says it.
- **Counted per note**: a term's count is the number of notes that contain it, so one note that
  repeats a word cannot push it up. Order: count, then the term alphabetically.

Speed (5,000 notes in about 70 ms on the development machine, docs/performance.md): each piece
of text between spaces is read once and remembered ("anskaffelser," with its comma), so a note
costs a few dictionary lookups per word; counting is `Counter.update` over each note's terms;
only the terms that can make the list get their shown form worked out.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from itertools import pairwise
from typing import Literal

# One key term: what to show, and how many notes contain it.
Term = tuple[str, int]

MIN_LENGTH = 3
MIN_STEM = 3
# A phrase must be in at least this many notes: one note's turn of phrase is not a key term.
MIN_PHRASE_NOTES = 2

# A whitespace-separated piece of text is read once, as the words and breaks it holds (see
# `_pieces`), and remembered by its text: notes share most of their pieces ("anskaffelser,").
# An item is a meaningful word as (key, written), or something a phrase cannot span: None for a
# word that is dropped, _PUNCTUATION, or _END where a sentence ends.
Item = tuple[str, str] | tuple[()] | Literal[False] | None
_PUNCTUATION: Literal[False] = False
# The item after a piece that ends a sentence ("krav." → the word, _END), and before each line:
# the next word's capital may be only the sentence's.
_END: tuple[()] = ()
# Marks a form written at the start of a sentence (see `note_terms`).
_START = "\x00"
_PIECES: dict[str, tuple[Item, ...]] = {}
# Bounded: user text is unbounded. Clearing costs only the next texts' first reading.
_PIECES_MAX = 100_000
# Inside a piece, what ends a word: anything but a letter, a digit, a hyphen or an apostrophe
# (the underscore too, which \w counts as a letter).
_NOT_WORD = re.compile(r"[^\w'’-]+|_+")
_EDGES = "-'’"
_SENTENCE_END = re.compile(r"[.!?][\"'»”’)\]]*$")
_LINKS = ("http://", "https://", "www.")
# What `note_terms` puts before each line: no piece of a line can be it (a line has no "\n").
_LINE = "\n"
_NB_SUFFIXES = ("ene", "ane", "er", "en", "et", "e")


@cache
def stop_words() -> frozenset[str]:
    """The bokmål and English stop words together, lower case."""
    lists = json.loads(files("board").joinpath("data/stopwords.json").read_text("utf-8"))
    return frozenset(word for words in lists.values() for word in words)


def fold(word: str) -> str:
    """The key of a lower-case word: its bokmål and English endings stripped until none is
    left, never below `MIN_STEM` letters ("anskaffelsene" → "anskaffel", "suppliers" →
    "suppli"; the same key for every form, not a word to show)."""
    while True:
        stem = _strip_once(word)
        if stem == word:
            return word
        word = stem


def _strip_once(word: str) -> str:
    for suffix in _NB_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    # Harman's S-stemmer, the English plural and genitive: -ies → -y, else -s goes (its -es →
    # -e is the same thing), but not from -us and -ss ("status", "process").
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        stem = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("us", "ss")):
        stem = word[:-1]
    else:
        return word
    return stem if len(stem) >= MIN_STEM else word


def _pieces(piece: str) -> tuple[Item, ...]:
    """What a piece of text between spaces holds: its words, each (key, written) or None when
    it is dropped, with _PUNCTUATION wherever punctuation ends a phrase ("krav," → the word,
    _PUNCTUATION) and _END after the end of a sentence. A link or an e-mail address is one
    None: its parts are no words."""
    if piece == _LINE:
        items: tuple[Item, ...] = (_END,)
    elif piece.lower().startswith(_LINKS) or "@" in piece:
        items = (None,)
    else:
        parts = _NOT_WORD.split(piece)
        items = (_word(parts[0]),) if parts[0] else ()
        for part in parts[1:]:  # each came after punctuation
            items += (_PUNCTUATION, _word(part)) if part else (_PUNCTUATION,)
    if _SENTENCE_END.search(piece):
        ended = items and items[-1] is _PUNCTUATION
        items = (*items[:-1], _END) if ended else (*items, _END)
    if len(_PIECES) >= _PIECES_MAX:
        _PIECES.clear()
    _PIECES[piece] = items
    return items


def _word(raw: str) -> Item:
    """(key, the word as written without edge hyphens) for a meaningful word, else None."""
    written = raw.strip(_EDGES)
    lower = written.lower()
    stop = lower.replace("’", "'") in stop_words()
    if len(lower) < MIN_LENGTH or stop or not any(c.isalpha() for c in lower):
        return None
    return (fold(lower), written)


def note_terms(text: str) -> dict[str, str]:
    """The terms of one note: key → the form it was written in (the last, if twice), marked
    with `_START` when that was at the start of a sentence (where a capital says nothing). A
    phrase's key is its two words' keys with a space between (a word's key has none)."""
    known = _PIECES.get
    # Each line starts with _LINE, which ends a phrase and starts a sentence.
    pieces = (
        (_LINE, *text.split())
        if "\n" not in text
        else [piece for line in text.splitlines() for piece in (_LINE, *line.split())]
    )
    items = [item for piece in pieces for item in known(piece) or _pieces(piece)]
    # Where a note has a term twice, the form kept is its last.
    found = {item[0]: item[1] for item in items if item}
    found.update(
        {
            a[0] + " " + b[0]: a[1] + " " + b[1]
            for a, b in pairwise(items)
            if a and b and a[0] != b[0]
        }
    )
    # The words that start a sentence (after a line break or a piece that ends in . ! or ?):
    # if that is the form kept, it is marked, and so is the phrase it starts.
    end = -1
    for _ in range(items.count(_END)):
        end = items.index(_END, end + 1)
        at = end + 1
        while at < len(items) and items[at] is _PUNCTUATION:  # an opening quote or bracket
            at += 1
        first = items[at] if at < len(items) else None
        if not first or found[first[0]] != first[1]:
            continue
        found[first[0]] = _START + first[1]
        second = items[at + 1] if at + 1 < len(items) else None
        if second and second[0] != first[0]:
            pair = first[0] + " " + second[0]
            if found[pair] == first[1] + " " + second[1]:
                found[pair] = _START + found[pair]
    return found


def key_terms(texts: Iterable[str], limit: int = 10) -> list[Term]:
    """The `limit` most frequent terms of `texts`: `[(term, notes containing it)]`, most
    notes first, then alphabetically."""
    notes = [note_terms(text) for text in texts]
    counts: Counter[str] = Counter()
    for found in notes:
        counts.update(found.keys())
    phrases = {k: n for k, n in counts.items() if " " in k and n >= MIN_PHRASE_NOTES}
    # A word in as many notes as a listed phrase with it is in the same notes as that phrase.
    said = {part for key, n in phrases.items() for part in key.split(" ") if counts[part] == n}
    chosen = {k: n for k, n in counts.items() if " " not in k and k not in said} | phrases
    if not chosen or limit < 1:
        return []
    # Only the keys that can make the list need a form: those with at least as many notes as
    # the last one in it (ties there are settled by the form, alphabetically).
    least = sorted(chosen.values(), reverse=True)[:limit][-1]
    wanted = {k for k, n in chosen.items() if n >= least}
    forms: Counter[tuple[str, str]] = Counter()
    for found in notes:
        for key in wanted.intersection(found):
            forms[key, found[key]] += 1
    shown = _shown_forms(forms)
    return sorted(((shown[k], chosen[k]) for k in wanted), key=_rank)[:limit]


def _rank(term: Term) -> tuple[int, str, str]:
    return (-term[1], term[0].casefold(), term[0])


def _shown_forms(forms: Counter[tuple[str, str]]) -> dict[str, str]:
    """Each key's form to show: the spelling most notes wrote, ignoring case (ties: the first
    alphabetically), in lower case if any note wrote it so other than at a sentence's start,
    else as most wrote it there; a form only ever seen at a sentence's start is lower case
    unless more than its first letter was a capital ("DFØ", "EU-krav")."""
    spellings: dict[str, Counter[str]] = {}
    for (key, form), n in forms.items():
        spellings.setdefault(key, Counter())[form] += n
    shown: dict[str, str] = {}
    for key, written in spellings.items():
        by_lower: Counter[str] = Counter()
        for form, n in written.items():
            by_lower[form.removeprefix(_START).lower()] += n
        lower = min(by_lower, key=lambda form: (-by_lower[form], form))
        plain = {f: n for f, n in written.items() if f[:1] != _START and f.lower() == lower}
        if lower in plain:
            shown[key] = lower
        elif plain:
            shown[key] = min(plain, key=lambda form: (-plain[form], form))
        else:
            starts = {f[1:]: n for f, n in written.items() if f[1:].lower() == lower}
            initial = min(starts, key=lambda form: (-starts[form], form))
            shown[key] = lower if sum(c.isupper() for c in initial) <= 1 else initial
    return shown
