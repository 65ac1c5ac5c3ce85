"""Refused input: every bad entry raises a ValidationError (or ConflictError) whose code and
message name the problem, and NOTHING is written, on SQLite and PostgreSQL, whether the bad
entry is alone or the last of a batch of good ones."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger.core.entry import EntryDraft, Posting
from ledger.core.errors import ConflictError, ValidationError
from ledger.core.units import parse_amount
from ledger.services.log import append_batch
from tests.storage.writer import (
    ACTOR,
    BUYER,
    COLLECTIVE,
    FOREST,
    SALES,
    anchor,
    note,
    table_state,
    transfer,
)


def _sale(*postings: Posting, body=None, kind="test.sale", actor=ACTOR) -> EntryDraft:
    return EntryDraft(kind, body if body is not None else {"memo": "sale"}, actor, postings)


def _pair(amount, commodity="CNY", to=COLLECTIVE, source=SALES) -> tuple[Posting, Posting]:
    """Two postings that would balance if ``amount`` were a proper integer."""
    return Posting(to, commodity, amount), Posting(source, commodity, -1 if amount else 0)


# (id, bad draft, error code, words the message must contain)
CASES = [
    (
        "unbalanced",
        _sale(Posting(COLLECTIVE, "CNY", 100), Posting(SALES, "CNY", -99)),
        "posting.unbalanced",
        ["CNY", "sum to 1 fen", "not 0"],
    ),
    (
        "unbalanced_second_commodity",
        _sale(*transfer(0, fen=5).postings, Posting(BUYER, "CO2E", 7), Posting(FOREST, "CO2E", -6)),
        "posting.unbalanced",
        ["CO2E", "sum to 1 kg"],
    ),
    (
        "float_amount",
        _sale(Posting(COLLECTIVE, "CNY", 12.34), Posting(SALES, "CNY", -12.34)),
        "posting.amount_type",
        ["12.34", "integer in fen", "not float"],
    ),
    (
        "decimal_amount",
        _sale(Posting(COLLECTIVE, "CNY", Decimal("12.34")), Posting(SALES, "CNY", -1234)),
        "posting.amount_type",
        ["Decimal('12.34')", "integer in fen", "not Decimal"],
    ),
    (
        "str_amount",
        _sale(Posting(COLLECTIVE, "CO2E", "1500"), Posting(SALES, "CO2E", -1500)),
        "posting.amount_type",
        ["'1500'", "integer in kg", "not str"],
    ),
    (
        "bool_amount",
        _sale(Posting(COLLECTIVE, "CNY", True), Posting(SALES, "CNY", -1)),
        "posting.amount_type",
        ["True", "not bool"],
    ),
    (
        "zero_amount",
        _sale(Posting(COLLECTIVE, "CNY", 0), Posting(SALES, "CNY", 0)),
        "posting.amount_range",
        ["posting 0", "non-zero"],
    ),
    (
        "unsafe_amount",
        _sale(Posting(COLLECTIVE, "CNY", 2**53), Posting(SALES, "CNY", -(2**53))),
        "posting.amount_range",
        ["posting 0", "safe"],
    ),
    (
        "unknown_commodity",
        _sale(*_pair(100, "USD")),
        "posting.commodity",
        ["'USD'", "unknown commodity", "CNY", "CO2E"],
    ),
    (
        "commodity_not_a_string",
        _sale(*_pair(100, ["CNY"])),
        "posting.commodity",
        ["['CNY']", "unknown commodity"],
    ),
    (
        "bad_account_name",
        _sale(*_pair(100, to="assets:village")),
        "posting.account",
        ["'assets:village'", "not valid"],
    ),
    (
        "bad_account_root",
        _sale(*_pair(100, to="Bank:Village:1")),
        "posting.account",
        ["'Bank:Village:1'"],
    ),
    ("bad_kind", _sale(kind="Sale"), "entry.kind", ["'Sale'", "dotted name"]),
    ("kind_too_long", _sale(kind="test." + "x" * 100), "entry.kind", ["at most 100"]),
    ("empty_actor", _sale(actor=""), "entry.actor", ["actor"]),
    (
        "float_in_body",
        _sale(body={"price": {"per_t": [30, 2.5]}}),
        "json.float",
        ["$.price.per_t[1]", "floats are not allowed"],
    ),
    (
        "float_at_top_of_body",
        _sale(*transfer(0, fen=1).postings, body={"rate": 0.1}),
        "json.float",
        ["$.rate", "floats are not allowed"],
    ),
    ("nan_in_body", _sale(body={"x": float("nan")}), "json.float", ["$.x"]),
    ("decimal_in_body", _sale(body={"x": Decimal(1)}), "json.type", ["$.x", "Decimal"]),
    (
        "unsafe_integer_in_body",
        _sale(body={"x": 2**53}),
        "json.integer_range",
        ["$.x", "outside"],
    ),
    ("body_not_an_object", _sale(body=[1, 2]), "entry.body", ["JSON object"]),
    (
        "anchor_without_digest",
        EntryDraft("doc.anchor", {"size": 3, "title": "x"}, "test:bad"),
        "anchor.sha256",
        ["64 lowercase hex"],
    ),
    (
        "anchor_title_too_long",
        EntryDraft("doc.anchor", {"sha256": "a" * 64, "size": 3, "title": "x" * 501}, "test:bad"),
        "text.invalid",
        ["title", "at most 500"],
    ),
    (
        "anchor_title_with_nul",
        EntryDraft("doc.anchor", {"sha256": "a" * 64, "size": 3, "title": "a\x00b"}, "test:bad"),
        "text.control",
        ["title", "U+0000"],
    ),
    (
        "anchor_title_with_a_resident_id",
        EntryDraft(
            "doc.anchor",
            {"sha256": "a" * 64, "size": 3, "title": "判决书 11010519491231002X"},
            "test:bad",
        ),
        "text.personal_data",
        ["title", "resident ID number"],
    ),
    (
        "anchor_negative_size",
        EntryDraft("doc.anchor", {"sha256": "a" * 64, "size": -1, "title": ""}, "test:bad"),
        "anchor.size",
        ["non-negative"],
    ),
]


@pytest.fixture
def loaded(engine):
    """A log with a few good entries (postings, an anchor, an idempotency key) already in."""
    append_batch(engine, [transfer(0, fen=100, kg=2), anchor(1)], idempotency_key="seed")
    append_batch(engine, [note(2)])
    return engine


@pytest.mark.parametrize(
    ("bad", "code", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_entry_is_refused_and_nothing_is_written(loaded, bad, code, words):
    before = table_state(loaded)
    good = [transfer(10, fen=7, kg=1), anchor(11), note(12)]
    for batch, where in (([bad], "entry 0"), ([*good, bad], "entry 3")):
        with pytest.raises(ValidationError) as caught:
            append_batch(loaded, batch, idempotency_key=f"bad-{where}")
        error = caught.value
        assert error.code == code, error.message
        assert error.message.startswith(where), error.message
        for word in words:
            assert word in error.message, f"{word!r} not in {error.message!r}"
        assert table_state(loaded) == before, f"{code} ({where}) wrote something"


def test_reused_idempotency_key_with_other_content_writes_nothing(loaded):
    before = table_state(loaded)
    good = [transfer(10, fen=7, kg=1), anchor(11), note(12)]
    for batch in ([transfer(0, fen=101, kg=2), anchor(1)], [*good, note(13)]):
        with pytest.raises(ConflictError) as caught:
            append_batch(loaded, batch, idempotency_key="seed")
        assert caught.value.code == "idempotency.conflict"
        assert "'seed' was already used with other content" in caught.value.message
        assert table_state(loaded) == before


@pytest.mark.parametrize(
    ("batch", "key", "code", "words"),
    [
        ([], None, "batch.empty", ["nothing to append"]),
        (["not a draft"], None, "entry.type", ["entry 0", "not an EntryDraft"]),
        ([note(0)], "", "idempotency.key", ["idempotency key", "1..200"]),
        ([note(0)], "k" * 201, "idempotency.key", ["1..200"]),
        ([note(0)], "line\nbreak", "idempotency.key", ["printable"]),
    ],
    ids=["empty_batch", "not_a_draft", "empty_key", "long_key", "unprintable_key"],
)
def test_bad_batch_or_key_is_refused(loaded, batch, key, code, words):
    before = table_state(loaded)
    with pytest.raises(ValidationError) as caught:
        append_batch(loaded, batch, idempotency_key=key)
    assert caught.value.code == code
    for word in words:
        assert word in caught.value.message
    assert table_state(loaded) == before


# --- amounts typed by people ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "commodity", "units"),
    [
        ("12.34", "CNY", 1234),
        ("0.01", "CNY", 1),
        ("12", "CNY", 1200),
        (" 1,234.50 ", "CNY", 123450),
        ("-3.2", "CNY", -320),
        ("1.5", "CO2E", 1500),
        ("0.001", "CO2E", 1),
        ("20000", "CO2E", 20_000_000),
    ],
)
def test_parse_amount_converts_exactly(text, commodity, units):
    value = parse_amount(text, commodity)
    assert value == units
    assert type(value) is int


@pytest.mark.parametrize(
    ("text", "commodity", "code", "word"),
    [
        ("0.001", "CNY", "amount.precision", "more than 2 decimal places of 元"),
        ("12.345", "CNY", "amount.precision", "'12.345'"),
        ("1.0005", "CO2E", "amount.precision", "more than 3 decimal places of t"),
        ("abc", "CNY", "amount.syntax", "'abc' is not a number"),
        ("", "CNY", "amount.syntax", "not a number"),
        ("NaN", "CNY", "amount.syntax", "finite"),
        ("Infinity", "CO2E", "amount.syntax", "finite"),
        ("1", "USD", "amount.commodity", "unknown commodity 'USD'"),
        ("1e30", "CNY", "amount.range", "too large"),
    ],
)
def test_parse_amount_refuses_what_it_cannot_convert_exactly(text, commodity, code, word):
    with pytest.raises(ValidationError) as caught:
        parse_amount(text, commodity)
    assert caught.value.code == code
    assert word in caught.value.message
