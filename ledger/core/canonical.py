"""RFC 8785 (JSON Canonicalization Scheme) encoding of ledger values.

Ledger values are restricted to JSON objects with string keys, arrays, strings, booleans, null
and integers within ±(2**53 − 1). Floats are refused: money and carbon are integers, and an
integer in that range has exactly one RFC 8785 form. Within that subset the canonical form is
what :func:`json.dumps` writes with sorted keys, no whitespace and no ASCII escaping, except that
RFC 8785 orders keys by UTF-16 code units; keys outside the Basic Multilingual Plane therefore go
through the reference :mod:`rfc8785` encoder. ``tests/core/test_canonical.py`` checks the fast
path against :mod:`rfc8785`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import rfc8785

from ledger.core.errors import ValidationError

MAX_SAFE_INTEGER = 2**53 - 1

_encode = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode


def _check(value: Any, path: str) -> bool:
    """Validate ``value`` recursively; return True when some key lies outside the BMP."""
    if isinstance(value, str):
        _check_string(value, path)
        return False
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise ValidationError(
                "json.integer_range",
                f"{path}: integer {value} is outside ±(2**53 − 1)",
                {"path": path},
            )
        return False
    if isinstance(value, dict):
        astral = False
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(
                    "json.key_type", f"{path}: object keys must be strings", {"path": path}
                )
            _check_string(key, path)
            if not key.isascii() and any(ord(c) > 0xFFFF for c in key):
                astral = True
            astral |= _check(item, f"{path}.{key}")
        return astral
    if isinstance(value, list | tuple):
        astral = False
        for i, item in enumerate(value):
            astral |= _check(item, f"{path}[{i}]")
        return astral
    if isinstance(value, float):
        raise ValidationError(
            "json.float",
            f"{path}: floats are not allowed; use integer fen or kg",
            {"path": path},
        )
    raise ValidationError(
        "json.type", f"{path}: {type(value).__name__} is not a JSON value", {"path": path}
    )


def _check_string(text: str, path: str) -> None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError(
                "json.surrogate", f"{path}: string contains a lone surrogate", {"path": path}
            ) from None


def canonical_json(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of ``value``.

    Raises :class:`ValidationError` for floats, out-of-range integers, non-string keys, lone
    surrogates and non-JSON types, so that every accepted value has exactly one encoding.
    """
    if _check(value, "$"):
        return rfc8785.dumps(value)
    return _encode(value).encode("utf-8")


def _no_float(text: str):
    raise ValidationError("json.float", f"float {text} in stored JSON")


def _safe_int(text: str) -> int:
    value = int(text)
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise ValidationError("json.integer_range", f"integer {text} is outside ±(2**53 − 1)")
    return value


_decode = json.JSONDecoder(
    parse_float=_no_float, parse_int=_safe_int, parse_constant=_no_float
).decode
_ASTRAL_LEAD = re.compile(rb"[\xf0-\xf4]")


def parse_canonical(data: bytes) -> Any:
    """Parse ``data`` and return its value, guaranteeing ``canonical_json(value) == data``.

    Raises ValidationError when ``data`` is not UTF-8 JSON of a ledger value in canonical form
    (whitespace, key order, escapes, floats, big integers, duplicate keys are all refused).
    Fast path: the C JSON codec; text with characters outside the BMP takes the reference
    encoder.
    """
    try:
        value = _decode(data.decode("utf-8"))
        if _ASTRAL_LEAD.search(data):
            again = canonical_json(value)
        else:
            again = _encode(value).encode("utf-8")
    except (ValueError, UnicodeError) as exc:
        raise ValidationError("json.syntax", f"not valid UTF-8 JSON: {exc}") from None
    if again != data:
        raise ValidationError("json.not_canonical", "JSON is not in RFC 8785 canonical form")
    return value


def is_canonical(data: bytes) -> bool:
    """True when ``data`` parses as a ledger value and is exactly its canonical encoding."""
    try:
        parse_canonical(data)
    except ValidationError:
        return False
    return True
