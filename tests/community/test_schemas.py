"""The community kinds' body checks: the fields a body must have and may have."""

from __future__ import annotations

import pytest

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
