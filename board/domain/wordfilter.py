"""A board's word filter: whole words and phrases, matched ignoring case and diacritics."""

from __future__ import annotations

import functools
import re
import unicodedata

# Letters that are not a base letter plus a combining mark, so NFKD leaves them alone.
_FOLD = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ł": "l", "ı": "i", "ð": "d"})


def fold(text: str) -> str:
    """Lower case without diacritics: "Bærekraftsmål" and "baerekraftsmal" fold alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.translate(_FOLD)


@functools.lru_cache(maxsize=256)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    phrases = [fold(w).split() for w in words]
    alternatives = [r"\s+".join(re.escape(part) for part in p) for p in phrases if p]
    if not alternatives:
        return None
    # Longest first, so that a phrase wins over a word it starts with.
    alternatives.sort(key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def first_match(words: list[str], *texts: str) -> str | None:
    """The filter entry that one of `texts` contains as a whole word or phrase, if any."""
    pattern = _pattern(tuple(words))
    if pattern is None:
        return None
    for text in texts:
        found = pattern.search(fold(text))
        if found:
            matched = " ".join(found.group(0).split())
            return next((w for w in words if " ".join(fold(w).split()) == matched), matched)
    return None
