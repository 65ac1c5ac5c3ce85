"""``canonical_json`` is RFC 8785 on ledger values, and ``parse_canonical`` accepts exactly the
canonical bytes: equal to the reference ``rfc8785.dumps`` on generated values (keys outside the
Basic Multilingual Plane, control characters, integers at the ±(2**53 − 1) edge), round trips,
and every other spelling of the same value is refused (whitespace, key order, duplicate keys,
escapes, floats, integers out of range)."""

from __future__ import annotations

import json

import pytest
import rfc8785
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger.core.canonical import MAX_SAFE_INTEGER, canonical_json, is_canonical, parse_canonical
from ledger.core.errors import ValidationError

SETTINGS = settings(max_examples=40, deadline=None, database=None)

# Characters where RFC 8785 is easy to get wrong: controls (escaped, short forms for \b\t\n\f\r),
# DEL and U+2028 (not escaped), quote and backslash, "/" (not escaped), BMP characters above
# the surrogate range (which sort *after* astral characters by UTF-16 code units), astral ones.
TRICKY = st.sampled_from(
    [
        "\x00",
        "\x08",
        "\t",
        "\n",
        "\x0c",
        "\r",
        "\x1f",
        "\x7f",
        '"',
        "\\",
        "/",
        "\u2028",
        "é",
        "碳",
        "\ue000",
        "\uff61",
        "\ufeff",
        "\uffff",
        "\U00010000",
        "\U0001f332",
        "\U0010ffff",
    ]
)
strings = st.text(st.one_of(TRICKY, st.characters(exclude_categories=("Cs",))), max_size=10)
keys = st.text(st.one_of(TRICKY, st.sampled_from("aAz0_")), max_size=4)
integers = st.one_of(
    st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER),
    st.sampled_from([0, 1, -1, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, 2**31, -(2**32)]),
)
scalars = st.one_of(st.none(), st.booleans(), integers, strings)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=16,
)
objects = st.dictionaries(keys, values, min_size=2, max_size=6)


def utf16_order(keys_) -> list[str]:
    return sorted(keys_, key=lambda k: k.encode("utf-16-be"))


def member(key: str, value) -> bytes:
    return canonical_json(key) + b":" + canonical_json(value)


def assert_refused(data: bytes) -> None:
    with pytest.raises(ValidationError):
        parse_canonical(data)
    assert not is_canonical(data)


# -- equal to the reference, and round trips ----------------------------------------------------


@SETTINGS
@given(values)
def test_canonical_json_equals_rfc8785_and_round_trips(value):
    data = canonical_json(value)
    assert data == rfc8785.dumps(value)
    assert parse_canonical(data) == value
    assert canonical_json(parse_canonical(data)) == data
    assert is_canonical(data)


@SETTINGS
@given(objects)
def test_keys_are_ordered_by_utf16_code_units(obj):
    data = canonical_json(obj)
    assert data == rfc8785.dumps(obj)
    ordered = b"{" + b",".join(member(k, obj[k]) for k in utf16_order(obj)) + b"}"
    assert data == ordered


def test_astral_keys_sort_before_high_bmp_keys():
    obj = {"\uff61": 1, "\U0001f332": 2, "a": 3}
    assert canonical_json(obj) == '{"a":3,"\U0001f332":2,"\uff61":1}'.encode()
    assert parse_canonical(canonical_json(obj)) == obj
    assert_refused('{"a":3,"\uff61":1,"\U0001f332":2}'.encode())  # code point order


def test_control_characters_are_escaped_as_rfc8785_says():
    text = "\x00\x08\t\n\x0c\r\x1f\x7f\u2028/"
    assert canonical_json(text) == b'"\\u0000\\b\\t\\n\\f\\r\\u001f\x7f\xe2\x80\xa8/"'
    assert parse_canonical(canonical_json(text)) == text


# -- every other spelling is refused ------------------------------------------------------------


@SETTINGS
@given(values, st.sampled_from([b" ", b"\t", b"\n", b"\r"]), st.booleans())
def test_whitespace_is_refused(value, ws, before):
    data = canonical_json(value)
    assert_refused(ws + data if before else data + ws)
    spaced = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), sort_keys=False)
    assume(spaced.encode() != data)
    assert_refused(spaced.encode())


@SETTINGS
@given(objects)
def test_unsorted_keys_are_refused(obj):
    backwards = b"{" + b",".join(member(k, obj[k]) for k in reversed(utf16_order(obj))) + b"}"
    assert_refused(backwards)
    nested = b"[" + backwards + b"]"
    assert_refused(nested)


@SETTINGS
@given(objects, st.data())
def test_duplicate_keys_are_refused(obj, data):
    ordered = utf16_order(obj)
    i = data.draw(st.integers(0, len(ordered) - 1))
    members = [member(k, obj[k]) for k in ordered]
    members.insert(i, members[i])  # the same key twice, still in order
    assert_refused(b"{" + b",".join(members) + b"}")
    other = data.draw(values.filter(lambda v: v != obj[ordered[i]]))
    members[i] = member(ordered[i], other)  # the same key with two values
    assert_refused(b"{" + b",".join(members) + b"}")


@SETTINGS
@given(values)
def test_escaped_spellings_are_refused(value):
    data = canonical_json(value)
    ascii_only = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    assume(ascii_only.encode() != data)
    assert_refused(ascii_only.encode())


@pytest.mark.parametrize(
    "data",
    [
        b'"\\u0041"',  # an escaped letter
        b'"\\/"',  # an escaped solidus
        b'"\\u001F"',  # upper-case hex
        b'"\\u0009"',  # \t spelled long
        b'"\\ud83c\\udf32"',  # an astral character as a surrogate pair
        b'"\\ud800"',  # a lone surrogate
        b'"\xff"',  # not UTF-8
        b"-0",
        b"01",
        b"+1",
        b"NaN",
        b"Infinity",
        b"-Infinity",
        b"",
        b"[1,]",
        b'{"a":1}x',
    ],
)
def test_non_canonical_literals_are_refused(data):
    assert_refused(data)


FLOAT_SHAPES = [
    (lambda x: x, "{}"),
    (lambda x: [{"a": x}], '[{{"a":{}}}]'),
    (lambda x: {"amount": x, "b": 1}, '{{"amount":{},"b":1}}'),
]


@SETTINGS
@given(
    st.floats(allow_nan=False, allow_infinity=False) | integers.map(float),
    st.sampled_from(FLOAT_SHAPES),
)
def test_floats_are_refused(number, shape):
    build, text = shape
    with pytest.raises(ValidationError) as info:
        canonical_json(build(number))
    assert info.value.code == "json.float"
    assert_refused(text.format(json.dumps(number)).encode())
    if number.is_integer() and abs(number) <= MAX_SAFE_INTEGER:
        assert_refused(text.format(f"{int(number)}e0").encode())
        assert_refused(text.format(f"{int(number)}.0").encode())


@SETTINGS
@given(st.integers(MAX_SAFE_INTEGER + 1, 2**80) | st.integers(-(2**80), -MAX_SAFE_INTEGER - 1))
def test_integers_beyond_2_53_are_refused(number):
    for value in (number, [number], {"amount": number}):
        with pytest.raises(ValidationError) as info:
            canonical_json(value)
        assert info.value.code == "json.integer_range"
    for text in (str(number), f"[{number}]", f'{{"amount":{number}}}'):
        with pytest.raises(ValidationError) as info:
            parse_canonical(text.encode())
        assert info.value.code == "json.integer_range"


def test_the_safe_integer_edges():
    for n in (MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER):
        assert parse_canonical(str(n).encode()) == n
        assert canonical_json(n) == rfc8785.dumps(n)
    for n in (MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1):
        assert_refused(str(n).encode())


def test_non_ledger_values_are_refused():
    for value in ({1: "a"}, {"a": {1.5}}, b"bytes", "\ud800", {"\udfff": 1}):
        with pytest.raises(ValidationError):
            canonical_json(value)
