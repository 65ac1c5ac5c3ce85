"""API bearer tokens: 32 random bytes, shown once, stored only as their SHA-256.

A token looks like ``clt_<43 base64url characters>``. Its first characters (``hint``) are
kept to recognise it in lists; the rest cannot be recovered from the database.
"""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "clt_"
TOKEN_BYTES = 32
HINT_LEN = 8
MAX_TOKEN_LEN = 100


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """Hex SHA-256 of the token's UTF-8 bytes: what the database stores and looks up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hint(token: str) -> str:
    return token[:HINT_LEN]


def well_formed(token: str) -> bool:
    """Cheap shape check before any look-up."""
    return (
        isinstance(token, str)
        and token.startswith(PREFIX)
        and len(token) <= MAX_TOKEN_LEN
        and token.isascii()
        and token[len(PREFIX) :].replace("-", "").replace("_", "").isalnum()
    )
