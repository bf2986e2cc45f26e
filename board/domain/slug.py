"""URL-safe board slugs, readable in Norwegian: "Bærekraft på Ås" → "baerekraft-pa-as-k3x9q"."""

from __future__ import annotations

import re
import secrets
import unicodedata

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
# No 0/o or 1/l: suffixes get read aloud and typed from a shared screen.
_SUFFIX_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_NORWEGIAN = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "ae", "Ø": "o", "Å": "a"})


def slugify(text: str, max_length: int = 40) -> str:
    """Lower-case ASCII words joined by hyphens; Norwegian letters transliterated."""
    ascii_text = (
        unicodedata.normalize("NFKD", text.translate(_NORWEGIAN))
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words)[:max_length].strip("-")


def generate_slug(title: str) -> str:
    """The title's slug plus a random suffix: titles may repeat and links are not guessable."""
    suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(5))
    base = slugify(title)
    return f"{base}-{suffix}" if base else f"board-{suffix}"
