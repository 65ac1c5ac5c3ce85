"""RFC 8785 (JSON Canonicalization Scheme) encoding of ledger values.

Ledger values are restricted to JSON objects with string keys, arrays, strings, booleans, null
and integers within ±(2**53 − 1). Floats are refused: money and carbon are integers, and an
integer in that range has exactly one RFC 8785 form. Within that subset the canonical form is
what :func:`json.dumps` writes with sorted keys, no whitespace and no ASCII escaping, except that
RFC 8785 orders keys by UTF-16 code units; keys outside the Basic Multilingual Plane therefore go
through the reference :mod:`rfc8785` encoder. The encoding itself is done by :mod:`orjson`
(compact, sorted keys, the same string escapes), after a walk has validated the value;
``tests/services/test_canonical.py`` checks the result against :mod:`rfc8785`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from itertools import chain
from operator import itemgetter
from typing import Any

import orjson
import rfc8785

from ledger.core.errors import ValidationError

MAX_SAFE_INTEGER = 2**53 - 1

_SORTED = orjson.OPT_SORT_KEYS
_ASTRAL_LEAD = re.compile(rb"[\xf0-\xf4]")


class _Refused(Exception):
    """Raised inside :func:`_check`; collects the path to the bad value as it unwinds, so
    the walk builds no path strings unless something is wrong."""

    def __init__(self, code: str, what: str) -> None:
        self.code, self.what = code, what
        self.steps: list[str] = []  # innermost first

    def error(self) -> ValidationError:
        path = "$" + "".join(reversed(self.steps))
        return ValidationError(self.code, f"{path}: {self.what}", {"path": path})


def _check(value: Any) -> bool:
    """Validate ``value`` recursively; return True when some key lies outside the BMP.

    Raises :class:`_Refused`. The exact built-in types are tested first (the common case);
    subclasses take the ``isinstance`` tests below, in the same order.
    """
    kind = type(value)
    if kind is str:
        if not value.isascii():
            _check_string(value)
        return False
    if kind is int:
        _check_int(value)
        return False
    if kind is dict:
        return _check_dict(value)
    if kind is list or kind is tuple:
        return _check_list(value)
    if value is None or kind is bool:
        return False
    if isinstance(value, str):
        _check_string(value)
        return False
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        _check_int(value)
        return False
    if isinstance(value, dict):
        return _check_dict(value)
    if isinstance(value, list | tuple):
        return _check_list(value)
    if isinstance(value, float):
        raise _Refused("json.float", "floats are not allowed; use integer fen or kg")
    raise _Refused("json.type", f"{type(value).__name__} is not a JSON value")


def _check_dict(value: dict) -> bool:
    astral = False
    for key, item in value.items():
        if not isinstance(key, str):
            raise _Refused("json.key_type", "object keys must be strings")
        if not key.isascii():
            _check_string(key)
            if any(ord(c) > 0xFFFF for c in key):
                astral = True
        kind = type(item)
        try:
            # The common scalars inline (a call per value is most of the walk's cost).
            if kind is str:
                if not item.isascii():
                    _check_string(item)
            elif kind is int:
                if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                    _check_int(item)
            elif not (item is None or kind is bool):
                astral |= _check(item)
        except _Refused as refused:
            refused.steps.append(f".{key}")
            raise
    return astral


def _check_list(value: list | tuple) -> bool:
    astral = False
    for i, item in enumerate(value):
        kind = type(item)
        try:
            if kind is str:
                if not item.isascii():
                    _check_string(item)
            elif kind is int:
                if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                    _check_int(item)
            elif not (item is None or kind is bool):
                astral |= _check(item)
        except _Refused as refused:
            refused.steps.append(f"[{i}]")
            raise
    return astral


def _check_int(value: int) -> None:
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise _Refused("json.integer_range", f"integer {value} is outside ±(2**53 − 1)")


def _check_string(text: str) -> None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise _Refused("json.surrogate", "string contains a lone surrogate") from None


def astral_free(data: bytes) -> bool:
    """True when UTF-8 ``data`` holds no character outside the Basic Multilingual Plane (no
    lead byte 0xF0-0xF4). Then ordering keys by code point, as orjson does, is ordering them by
    UTF-16 unit, as RFC 8785 does, so orjson's sorted output is the canonical form."""
    return data.isascii() or _ASTRAL_LEAD.search(data) is None


_PLAIN_TYPES = frozenset({str, int, dict, list, tuple, bool, type(None)})


def all_plain(values: Sequence[Any]) -> bool:
    """True only when :func:`check_json` accepts every one of ``values`` and finds no object
    key outside the Basic Multilingual Plane: the values of a batch tested together, a type at
    a time (the strings joined, the integers' extremes), the values of objects a key at a time
    and the items of arrays together. False also for what it does not take up (a subclass of
    a JSON type, a key that is not ASCII): then :func:`check_json`, value by value, says what
    it finds."""
    kinds = set(map(type, values))
    if not kinds <= _PLAIN_TYPES:
        return False
    for kind in kinds:
        same = values if len(kinds) == 1 else [v for v in values if type(v) is kind]
        if kind is str:
            text = "".join(same)
            if not text.isascii():
                try:
                    text.encode("utf-8")  # a lone surrogate cannot be encoded
                except UnicodeEncodeError:
                    return False
        elif kind is int:
            if min(same) < -MAX_SAFE_INTEGER or max(same) > MAX_SAFE_INTEGER:
                return False
        elif kind is dict:
            if not _all_plain_dicts(same):
                return False
        elif (kind is list or kind is tuple) and not all_plain(list(chain.from_iterable(same))):
            return False
    return True


def _all_plain_dicts(objects: Sequence[dict]) -> bool:
    shapes = set(map(tuple, objects))  # the key sequences
    keys = set(chain.from_iterable(shapes))
    if not set(map(type, keys)) <= {str} or not "".join(keys).isascii():
        return False
    if len(shapes) == 1:
        return all(all_plain(list(map(itemgetter(key), objects))) for key in keys)
    return all(all_plain([o[key] for o in objects if key in o]) for key in keys)


def check_json(value: Any) -> bool:
    """Raise :class:`ValidationError` unless ``value`` is a ledger value (see
    :func:`canonical_json`), without encoding it. Returns True when some object key lies
    outside the Basic Multilingual Plane."""
    try:
        return _check(value)
    except _Refused as refused:
        raise refused.error() from None


def is_ledger_value(value: Any) -> bool:
    """True exactly when :func:`check_json` accepts ``value`` (the test alone, for the
    common case: no error is built)."""
    try:
        if type(value) is dict:
            _check_dict(value)
        else:
            _check(value)
    except _Refused:
        return False
    return True


def canonical_json(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of ``value``.

    Raises :class:`ValidationError` for floats, out-of-range integers, non-string keys, lone
    surrogates and non-JSON types, so that every accepted value has exactly one encoding.
    """
    if check_json(value):
        return rfc8785.dumps(value)
    return orjson.dumps(value, option=_SORTED)


def is_plain(value: Any) -> bool:
    """For a value as :func:`orjson.loads` returns it: True when it holds no float and no
    integer outside ±(2**53 − 1), i.e. exactly when :func:`check_json` accepts it.

    That is exact because orjson refuses lone surrogates (so every string is valid UTF-8),
    makes only string keys, and returns floats for integers beyond 64 bits; floats and unsafe
    integers are then the only things left for :func:`check_json` to refuse. It names no path
    and walks nothing but the values, so it is the fast test for verifying stored leaves; when
    it says False, :func:`parse_canonical` says why.
    """
    kind = type(value)
    if kind is dict:
        items = value.values()
    elif kind is list:
        items = value
    elif kind is int:
        return -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
    else:
        return kind is str or kind is bool or value is None
    for item in items:
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                return False
        elif kind is float or not is_plain(item):
            return False
    return True


def _no_float(text: str):
    raise ValidationError("json.float", f"float {text} in stored JSON")


def _safe_int(text: str) -> int:
    value = int(text)
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise ValidationError("json.integer_range", f"integer {text} is outside ±(2**53 − 1)")
    return value


_exact_decode = json.JSONDecoder(
    parse_float=_no_float, parse_int=_safe_int, parse_constant=_no_float
).decode


def _exact_parse(data: bytes) -> Any:
    """The standard decoder with hooks: slower, but it names the first bad number exactly
    (orjson, for instance, reads integers beyond 64 bits as floats)."""
    try:
        return _exact_decode(data.decode("utf-8"))
    except (ValueError, UnicodeError) as exc:
        raise ValidationError("json.syntax", f"not valid UTF-8 JSON: {exc}") from None


def parse_canonical(data: bytes) -> Any:
    """Parse ``data`` and return its value, guaranteeing ``canonical_json(value) == data``.

    Raises ValidationError when ``data`` is not UTF-8 JSON of a ledger value in canonical form
    (whitespace, key order, escapes, floats, big integers, duplicate keys are all refused).
    """
    try:
        value = orjson.loads(data)
        astral = check_json(value)  # floats, unsafe integers, lone surrogates
    except (orjson.JSONDecodeError, ValidationError):
        value = _exact_parse(data)
        astral = check_json(value)
    if astral or not astral_free(data):
        again = canonical_json(value)
    else:
        again = orjson.dumps(value, option=_SORTED)
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
