"""Short join codes: six characters a host can say aloud and a participant can type from a
shared screen (`K7MR4X`, shown as "K7M R4X").

The alphabet leaves out the characters that look like another: 0, O and Q; 1, I and L; 5 and S;
2 and Z; 8 and B; 6 (G, b). What is left is 23 characters, ACDEFGHJKMNPRTUVWXY3479, so there are
23^6 ≈ 148 million codes, drawn with `secrets`. Codes are stored upper-case; what people type is
read case-insensitively, with spaces and hyphens ignored.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "ACDEFGHJKMNPRTUVWXY3479"
LENGTH = 6
CODE_PATTERN = f"^[{ALPHABET}]{{{LENGTH}}}$"
_CODE = re.compile(CODE_PATTERN)
_SEPARATORS = re.compile(r"[\s\-.]+")


def new_code() -> str:
    """A random code; the caller makes sure it is not in use (the column is unique)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(text: str) -> str | None:
    """The stored form of what someone typed ("k7m 4qx" → "K7M4QX"), or None if it cannot be
    a code."""
    code = _SEPARATORS.sub("", text).upper()
    return code if _CODE.fullmatch(code) else None
