"""The community kinds' body checks: the fields a body must have and may have."""

from __future__ import annotations

import collections
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.community import model


@pytest.mark.parametrize("kind", sorted(model.KINDS))
def test_a_body_missing_a_field_or_with_an_unknown_one_is_refused_naming_them(kind):
    fields = sorted(model.SCHEMAS[kind])
    body = {name: None for name in fields[1:]} | {"bogus": 1}
    errors = model.VALIDATORS[kind](body, "entry 0")
    assert [e.code for e in errors] == ["community.fields"]
    assert f"missing {[fields[0]]}" in errors[0].message
    assert "unknown ['bogus']" in errors[0].message


@pytest.mark.parametrize("kind", sorted(model.KINDS))
def test_every_field_and_the_salt_pass_the_field_check(kind):
    body = {name: None for name in model.SCHEMAS[kind]} | {"salt": "00"}
    codes = {e.code for e in model.VALIDATORS[kind](body, "entry 0")}
    assert "community.fields" not in codes
    assert codes == {"community.body"}  # each value then fails its own check


class Code(str):
    """A ``str`` subclass (never remembered by a check)."""


VALUES = st.one_of(
    st.sampled_from(["350428102201", "35042810220", "35042810220١", "", "350428102201\n"]),
    st.builds(Code, st.sampled_from(["350428102201", "x"])),
    st.none(),
    st.integers(),
    st.lists(st.none(), max_size=1),
)


@given(st.lists(st.tuples(VALUES, st.booleans()), max_size=12))
@settings(max_examples=300, deadline=None, database=None)
def test_a_pattern_check_remembering_what_it_accepted_is_the_plain_match(values):
    """The same answers, in any order and with objects seen again, as matching each value."""
    check = model._re(model.VILLAGE_RE)
    seen: list = []
    for value, again in values:
        value = seen[-1] if again and seen else value
        seen.append(value)
        expected = isinstance(value, str) and model.VILLAGE_RE.fullmatch(value) is not None
        assert check(value) is expected


def _reference(kind, body, where):
    """The body check as first written: the key sets compared first, then every field."""
    schema = model.SCHEMAS[kind]
    keys = body.keys()
    if not schema.keys() <= keys <= set(schema) | {"salt"}:
        missing, extra = sorted(schema.keys() - keys), sorted(keys - set(schema) - {"salt"})
        return [("community.fields", f"{where}: missing {missing}, unknown {extra}")]
    return [
        ("community.body", f"{where}: {name} is not valid")
        for name, check in schema.items()
        if not check(body[name])
    ]


GOOD = {
    "village": "350428102201",
    "distribution": "350428102201-001",
    "household": "CK001",
    "vault": "H-4ZZV6V5Q88VZ",
    "position": 0,
    "amount_fen": 100,
}


@given(
    st.sampled_from(sorted(model.KINDS)),
    st.dictionaries(
        st.sampled_from([*GOOD, "salt", "bogus", "lines", "batch"]),
        st.one_of(st.sampled_from([*GOOD.values(), None, "x", -1]), st.integers()),
        max_size=8,
    ),
    st.sampled_from(["dict", "defaultdict", "proxy"]),
)
@settings(max_examples=500, deadline=None, database=None)
def test_a_body_check_answers_as_comparing_the_key_sets_first(kind, body, shape):
    schema = model.SCHEMAS[kind]
    if len(body) % 2:  # often every field, with or without the salt
        body = {**{name: body.get(name, GOOD.get(name)) for name in schema}, **body}
    expected = _reference(kind, body, "entry 3")
    before = set(body)
    if shape == "defaultdict":
        body = collections.defaultdict(lambda: "350428102201", body)
    elif shape == "proxy":
        body = types.MappingProxyType(body)
    got = [(e.code, e.message) for e in model.VALIDATORS[kind](body, "entry 3")]
    assert got == expected
    assert set(body) == before  # a defaultdict is not filled in by the check
