"""The community kinds' body checks: the fields a body must have and may have."""

from __future__ import annotations

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
