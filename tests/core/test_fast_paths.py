"""The shortcuts of the append and verify paths agree with the general code they stand in for:
``CompactRange.append_many`` with ``append``, ``is_plain`` with ``check_json`` (on what orjson
parses), ``postings_ok`` with ``check_postings``, ``validate_drafts`` with every rule over every
draft, ``seal_entries`` with ``make_entry`` (same leaves, same errors) and ``entry_from_leaf``
with the leaves ``make_entry`` writes."""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import pickle
import re
from decimal import Decimal
from types import MappingProxyType

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.community.services import Member
from ledger.core.canonical import (
    MAX_SAFE_INTEGER,
    all_plain,
    check_json,
    is_ledger_value,
    is_plain,
    parse_canonical,
)
from ledger.core.entry import (
    ACCOUNT_RE,
    GENESIS_PREV,
    RULES,
    Entry,
    EntryDraft,
    Posting,
    check_postings,
    entry_from_leaf,
    make_entry,
    postings_ok,
    seal_entries,
    validate_drafts,
)
from ledger.core.errors import ValidationError
from ledger.core.hashing import leaf_hash
from ledger.core.merkle import CompactRange
from ledger.core.records import stored_through_slots

SETTINGS = settings(max_examples=150, deadline=None, database=None)
TIME = "2026-01-01T00:00:00.000000Z"


def _leaf(i: int) -> bytes:
    return leaf_hash(i.to_bytes(4, "big"))


@given(st.integers(0, 300), st.lists(st.integers(0, 70), max_size=5))
@SETTINGS
def test_append_many_is_append_leaf_by_leaf(start, steps):
    one, many = CompactRange(), CompactRange()
    for i in range(start):
        one.append(_leaf(i))
    many.append_many([_leaf(i) for i in range(start)])
    at = start
    for step in steps:
        old = many.size
        levels = many.append_many([_leaf(i) for i in range(at, at + step)])
        completed = {}
        for i in range(at, at + step):
            completed.update(one.append(_leaf(i)))
        got = {
            (level, i): h
            for level, hashes in enumerate(levels, 1)
            for i, h in enumerate(hashes, old >> level)
        }
        assert got == completed
        assert (many.size, many.hashes, many.root()) == (one.size, one.hashes, one.root())
        at += step


def test_append_many_refuses_a_bad_hash_and_changes_nothing():
    cr = CompactRange()
    cr.append_many([_leaf(0), _leaf(1), _leaf(2)])
    before = (cr.size, cr.hashes)
    for bad in [b"short", "x" * 32, bytearray(32)]:
        with pytest.raises(ValueError):
            cr.append_many([_leaf(3), bad])
        assert (cr.size, cr.hashes) == before


numbers = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([MAX_SAFE_INTEGER, MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1]),
    st.floats(allow_nan=False, allow_infinity=False),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=5)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=12,
)


@given(json_values)
@SETTINGS
def test_is_plain_is_check_json_on_parsed_values(value):
    parsed = orjson.loads(json.dumps(value))  # the standard encoder takes any integer
    try:
        check_json(parsed)
        accepted = True
    except ValidationError:
        accepted = False
    assert is_plain(parsed) == accepted


ledger_like = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        numbers,
        st.text(st.sampled_from(["a", "\ud800", "\U0001f332", "碳"]), max_size=3),
        st.just(Decimal(5)),
    ),
    lambda inner: (
        st.lists(inner, max_size=3).map(tuple)
        | st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=2) | st.integers(0, 2), inner, max_size=3)
    ),
    max_leaves=10,
)


def _accepts(value) -> bool:
    """check_json accepts ``value`` and finds no key outside the BMP."""
    try:
        return not check_json(value)
    except ValidationError:
        return False


tricky = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**54), 2**54)
    | st.sampled_from([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, 1.5, Decimal(1), b"x", "\ud800"])
    | st.text(st.sampled_from(["a", "碳", "\U0001f332", "\ud83c", "\udf32", "\x00"]), max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(
            st.sampled_from(["a", "b", "碳", "\U0001f332", "\ud800", 1, None]), inner, max_size=3
        )
        | st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2).map(MappingProxyType)
    ),
    max_leaves=10,
)


@given(ledger_like)
@SETTINGS
def test_is_ledger_value_is_check_json_silent(value):
    try:
        check_json(value)
        accepted = True
    except ValidationError:
        accepted = False
    assert is_ledger_value(value) == accepted


@given(st.lists(tricky, max_size=5))
@SETTINGS
def test_all_plain_is_check_json_of_each(values):
    if all_plain(values):
        assert all(_accepts(v) for v in values)
    if all(type(v) is not float for v in values) and all(_accepts(v) for v in values):
        # what it does not take up: subclasses and non-ASCII keys
        assert all_plain(values) or any(
            isinstance(v, MappingProxyType)
            or not json.dumps(v, default=str, ensure_ascii=False).isascii()
            for v in values
        )


def test_all_plain_takes_up_the_bodies_of_an_import():
    bodies = [
        {"serials": [["L1", i, i + 4]], "buyer": {"type": "person", "code": "B-1"}, "n": i}
        for i in range(50)
    ]
    assert all_plain(bodies)
    assert not all_plain([*bodies, {"n": 2**53}])
    assert not all_plain([*bodies, {"serials": [["L1", 1.0, 2]]}])
    assert not all_plain([*bodies, {"t": "碳\ud800"}])
    assert all_plain([*bodies, {"t": "碳"}, {"t": ["\U0001f332"]}])


odd = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.just(Decimal(5)),
    st.lists(st.just("A"), max_size=1),
    st.text(max_size=3),
    st.integers(-(2**54), 2**54),
)
accounts = st.sampled_from(
    ["Assets:Village:1:Collective", "Liabilities:Household:H1", "assets:bad", "Assets:X\n"]
)
legs = st.tuples(
    accounts | odd,
    st.sampled_from(["CNY", "CO2E", "USD"]) | odd,
    st.integers(-5, 5) | st.sampled_from([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]) | odd,
)


@given(st.lists(legs, max_size=4))
@SETTINGS
def test_postings_ok_is_check_postings_silent(legs_):
    draft = EntryDraft("test.x", {}, "a", tuple(Posting(*leg) for leg in legs_))
    silent = check_postings(draft, "e") == []
    assert postings_ok(legs_) == silent
    seen: set[str] = set()
    assert postings_ok(legs_, seen) == silent
    assert postings_ok(legs_, seen) == silent  # the second time from the set


texts = st.text(
    st.one_of(
        st.sampled_from(["\U0001f332", "\ud800", "碳", "\x00", '"', "\uffff"]),
        st.characters(),
    ),
    max_size=6,
)
bodies = st.dictionaries(texts, st.one_of(texts, st.integers(-9, 9), st.none()), max_size=4)
drafts = st.builds(
    EntryDraft,
    st.sampled_from(["test.note", "doc.anchor", "Bad"]),
    bodies | st.builds(lambda b: {"nested": [b, (1, 2)]}, bodies),
    texts.filter(bool) | st.just("user:42"),
    st.lists(
        st.tuples(st.sampled_from(["Assets:A", "Liabilities:B"]), st.sampled_from(["CNY", "CO2E"])),
        max_size=2,
    ).map(lambda pairs: tuple(p for a, c in pairs for p in (Posting(a, c, 7), Posting(a, c, -7)))),
)


any_drafts = st.builds(
    EntryDraft,
    st.sampled_from(["test.note", "doc.anchor", "Bad", "a.b\n", "a." + "b" * 99, 5]),
    bodies
    | st.sampled_from([[], {"n": 1.5}, {"n": 2**53}, {1: "x"}, {"t": "\ud800"}])
    | st.builds(lambda b: MappingProxyType(b), bodies),
    st.sampled_from(["user:42", "", "x" * 201, 5, "a"]),
    st.lists(legs.map(lambda leg: Posting(*leg)) | st.just("leg"), max_size=3).map(tuple),
)


@given(st.lists(any_drafts | st.just("not a draft"), min_size=1, max_size=5))
@SETTINGS
def test_validate_drafts_is_every_rule_over_every_draft(batch):
    expected = []
    for i, draft in enumerate(batch):
        if not isinstance(draft, EntryDraft):
            expected.append(ValidationError("entry.type", f"entry {i}: not an EntryDraft"))
            continue
        for rule in RULES:
            expected.extend(rule(draft, f"entry {i}"))
    got = validate_drafts(batch)
    assert [(e.code, e.message, e.details) for e in got] == [
        (e.code, e.message, e.details) for e in expected
    ]


def _sealed(make) -> tuple:
    try:
        return ("ok", make())
    except ValidationError as exc:
        return ("error", exc.code, exc.message)


@given(st.lists(drafts, min_size=1, max_size=4), st.sampled_from([TIME, "t\ud800", 5]))
@SETTINGS
def test_seal_entries_is_make_entry(batch, time):
    if validate_drafts(batch):
        return  # seal_entries is for batches the rules accept

    def one_by_one():
        out, prev = [], GENESIS_PREV
        for offset, draft in enumerate(batch):
            out.append(make_entry(3 + offset, draft, time, prev))
            prev = out[-1].leaf_hash
        return out

    assert _sealed(lambda: seal_entries(3, batch, time, GENESIS_PREV)) == _sealed(one_by_one)


def test_entry_from_leaf_takes_back_what_make_entry_writes():
    draft = EntryDraft("test.x", {"n": 1}, "a", (Posting("Assets:A", "CNY", 5),))
    entry = make_entry(4, draft, TIME, hashlib.sha256(b"x").digest())
    again = entry_from_leaf(entry.leaf, parse_canonical(entry.leaf))
    assert again == entry


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda o: o.update(v=True), "version"),
        (lambda o: o.update(seq="4"), "seq"),
        (lambda o: o.update(kind=5), "kind"),
        (lambda o: o.update(extra=1), "keys"),
        (lambda o: o.update(prev=o["prev"].upper()), "prev"),
        (lambda o: o.update(body=[]), "body"),
        (lambda o: o.update(postings={}), "postings"),
        (lambda o: o["postings"][0].update(note="x"), "posting 0"),
    ],
)
def test_entry_from_leaf_refuses_what_make_entry_never_writes(change, words):
    draft = EntryDraft("test.x", {"n": 1}, "a", (Posting("Assets:A", "CNY", 5),))
    obj = orjson.loads(make_entry(4, draft, TIME, hashlib.sha256(b"x").digest()).leaf)
    change(obj)
    with pytest.raises(ValueError, match=words):
        entry_from_leaf(b"", obj)


@pytest.mark.parametrize("cls", [Posting, EntryDraft, Entry, Member])
def test_records_stored_through_slots_are_the_dataclasses_they_were(cls):
    """The records' faster ``__init__`` takes what the generated one took (positions,
    keywords, defaults; a missing or unknown argument refused), stores the same values and
    leaves the instances frozen, comparable, replaceable and picklable."""
    fields = dataclasses.fields(cls)
    same = dataclasses.make_dataclass(
        cls.__name__,
        [(f.name, f.type, dataclasses.field(default=f.default, repr=f.repr)) for f in fields],
        frozen=True,
        slots=True,
    )
    assert inspect.signature(cls) == inspect.signature(same)
    values = [object() for _ in fields]
    made = cls(*values)
    assert [getattr(made, f.name) for f in fields] == values
    assert cls(**{f.name: v for f, v in zip(fields, values, strict=True)}) == made
    assert hash(made) == hash(cls(*values))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.__setattr__(fields[0].name, 1)
    with pytest.raises(TypeError):
        cls(*values[:-1]) if fields[-1].default is dataclasses.MISSING else cls()
    with pytest.raises(TypeError):
        cls(*values, nonsense=1)
    changed = dataclasses.replace(made, **{fields[0].name: "x"})
    assert getattr(changed, fields[0].name) == "x"
    assert [getattr(changed, f.name) for f in fields[1:]] == values[1:]
    posting = Posting("Assets:Village:1:Collective", "CNY", 5)
    assert pickle.loads(pickle.dumps(posting)) == posting  # noqa: S301 - our own bytes
    assert EntryDraft("a.b", {}, "x").postings == ()


def test_only_plain_frozen_slotted_dataclasses_are_stored_through_slots():
    def made(**options):
        fields = [("a", int), ("b", list, dataclasses.field(default_factory=list))]
        return dataclasses.make_dataclass(
            "R", fields if options.pop("factory") else fields[:1], **options
        )

    for options in (
        {"frozen": False, "slots": True, "factory": False},
        {"frozen": True, "slots": False, "factory": False},
        {"frozen": True, "slots": True, "factory": True},
    ):
        with pytest.raises(TypeError):
            stored_through_slots(made(**options))
    record = stored_through_slots(made(frozen=True, slots=True, factory=False))
    assert record(5).a == 5

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        a: int

        def __post_init__(self):
            if self.a < 0:
                raise ValueError("a < 0")

    with pytest.raises(TypeError, match="__post_init__"):
        stored_through_slots(Checked)


#: The account pattern as it was written first, with capturing groups.
CAPTURING_ACCOUNT_RE = re.compile(
    r"^(Assets|Liabilities|Equity|Income|Expenses)(:[A-Z0-9][A-Za-z0-9-]*)+$"
)
account_like = st.one_of(
    st.from_regex(CAPTURING_ACCOUNT_RE),
    st.text(st.sampled_from("AEILSacdeinostx:0-Z\n é"), max_size=30),
    st.builds(
        lambda root, rest: root + rest,
        st.sampled_from(["Assets", "Income", "Expenses", "Equity", "Liabilities", "assets"]),
        st.text(st.sampled_from(":Aa0-_\n"), max_size=12),
    ),
)


@given(account_like)
@SETTINGS
def test_the_account_pattern_accepts_what_it_always_accepted(name):
    assert bool(ACCOUNT_RE.match(name)) == bool(CAPTURING_ACCOUNT_RE.match(name))


def _rules(batch) -> list:
    return [
        (e.code, e.message)
        for i, d in enumerate(batch)
        for rule in RULES
        for e in rule(d, f"entry {i}")
    ]


@given(
    st.lists(
        st.lists(
            st.tuples(
                st.sampled_from(["Assets:A", "Liabilities:B"]),
                st.sampled_from(["CNY", "CO2E"]),
                st.sampled_from([1, -1, 7, -7, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]),
            ),
            max_size=4,
        ),
        min_size=1,
        max_size=4,
    )
)
@SETTINGS
def test_a_batch_passes_only_when_every_draft_balances(legs_of):
    batch = [
        EntryDraft("test.note", {"i": i}, "a", tuple(Posting(*leg) for leg in legs))
        for i, legs in enumerate(legs_of)
    ]
    assert [(e.code, e.message) for e in validate_drafts(batch)] == _rules(batch)


def test_drafts_that_balance_only_together_are_refused():
    plus = EntryDraft("test.note", {}, "a", (Posting("Assets:A", "CNY", 7),))
    minus = EntryDraft("test.note", {}, "a", (Posting("Assets:A", "CNY", -7),))
    across = EntryDraft(
        "test.note", {}, "a", (Posting("Assets:A", "CNY", 7), Posting("Assets:A", "CO2E", -7))
    )
    for batch in ([plus, minus], [across], [minus, across, plus]):
        assert validate_drafts(batch)
        assert [(e.code, e.message) for e in validate_drafts(batch)] == _rules(batch)
