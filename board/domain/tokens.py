"""Bearer secrets: 256 random bits, stored only as SHA-256, compared in constant time.

A plain hash is enough because the secrets are random and long: there is nothing to brute-force
that a slow hash would protect.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def matches(token: str | None, expected: str | None) -> bool:
    """Whether `token` equals `expected`, in time that does not depend on where they differ."""
    if not token or not expected:
        return False
    return hmac.compare_digest(token.encode("utf-8"), expected.encode("utf-8"))
