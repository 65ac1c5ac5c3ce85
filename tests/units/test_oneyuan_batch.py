"""The batch test of one-yuan bodies (``oneyuan_bodies_ok``) agrees with ``validate_oneyuan``:
it accepts the purchases an import writes, and never a batch in which ``validate_oneyuan``
refuses a body; the registry's errors for a batch are those of ``validate_oneyuan`` body by
body."""

from __future__ import annotations

import contextlib
import copy
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.entry import EntryDraft
from ledger.platform.registry import registry
from ledger.units.book import ONEYUAN
from ledger.units.model import (
    MAX_SAFE_INTEGER,
    each_line,
    matches_each_line,
    oneyuan_bodies_ok,
    validate_oneyuan,
)

SETTINGS = settings(max_examples=400, deadline=None, database=None)


def body(i: int = 0) -> dict:
    yuan = 1 + i % 50
    return {
        "serials": [["SC-001-L1", 100 * i, 100 * i + yuan - 1]],
        "project": "SC-001",
        "division": "350721100201",
        "seller": "Assets:Village:350721100201:Collective",
        "buyer": {"type": "person", "code": "B-0123456789AB"},
        "kg": 10 * yuan,
        "amount_fen": 100 * yuan,
        "order_id": f"WX{i:010d}",
        "certificate_no": f"YYTH{i:010d}",
        "paid_at": "2024-05-01T12:34:56Z",
        "file_sha256": "ab" * 32,
    }


def test_the_purchases_of_an_import_pass():
    bodies = [body(i) for i in range(200)]
    assert all(validate_oneyuan(b, "x") == [] for b in bodies)
    assert oneyuan_bodies_ok(bodies)
    assert oneyuan_bodies_ok([{**body(), "salt": "00" * 16}])


def test_what_it_does_not_take_up_is_left_to_validate():
    two = {**body(), "serials": [["SC-001-L1", 0, 0], ["SC-001-L1", 2, 2]]}
    assert validate_oneyuan(two, "x") == []
    assert not oneyuan_bodies_ok([body(), two])
    assert not oneyuan_bodies_ok([])


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from([0, 10, 100, 1000, 2**53, MAX_SAFE_INTEGER, -100, 1.0, 10.0]),
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            "SC-001",
            "sc-001",
            "350721",
            "3507211002",
            "B-0123456789AB",
            "B-0123456789AI",
            "B-0123456789AB\n",
            "B-0123456789AB\nB-0123456789AB",
            "person",
            "company",
            "WX 1",
            "WX1\n",
            "x" * 64,
            "x" * 65,
            "2024-02-30T00:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T12:00:60Z",
            "2024-05-01 12:00:00Z",
            "2024-05-01T12:00:00",
            "Assets:Village:350721100201:Collective",
            "Assets:Court:350428:Case:K-1",
            "Assets:Village:350721100201",
            "AB" * 32,
            "ab" * 32,
            "SC-001-L1",
            "bad lot!",
        ]
    ),
    st.lists(st.integers(-1, 3), max_size=3),
    st.just([["SC-001-L1", 5, 4]]),
    st.just([["SC-001-L1", -1, 4]]),
    st.just([["SC-001-L1", 0, MAX_SAFE_INTEGER + 1]]),
    st.just([["SC-001-L1", True, 4]]),
    st.just([("SC-001-L1", 0, 4)]),
    st.just([["SC-001-L1", 0]]),
    st.just([]),
    st.just({"type": "person"}),
    st.just({"type": "person", "code": "B-0123456789AB", "name": "x"}),
    st.just({"type": "company", "code": "B-0123456789AB"}),
    st.just({"type": ["person"], "code": "B-0123456789AB"}),
    st.just({"type": "person", "code": 12}),
)
FIELDS = list(body())
PATHS = [*FIELDS, "buyer.type", "buyer.code", "serials.lot", "serials.first", "serials.last"]


def _mutate(b: dict, path: str, value, drop: bool) -> dict:
    b = copy.deepcopy(b)
    # An earlier change may have replaced what this one would change inside.
    with contextlib.suppress(TypeError, KeyError, IndexError, AttributeError):
        _set(b, path, value, drop)
    return b


def _set(b: dict, path: str, value, drop: bool) -> None:
    if "." not in path:
        if drop:
            del b[path]
        else:
            b[path] = value
    elif path.startswith("buyer."):
        key = path.split(".")[1]
        if drop:
            del b["buyer"][key]
        else:
            b["buyer"][key] = value
    else:
        b["serials"][0][["lot", "first", "last"].index(path.split(".")[1])] = value


@given(
    st.lists(
        st.tuples(st.sampled_from([*PATHS, "extra"]), VALUES, st.booleans()),
        min_size=1,
        max_size=3,
    ),
    st.integers(0, 3),
)
@SETTINGS
def test_a_batch_passes_only_when_every_body_is_valid(changes, at):
    bad = body(7)
    for path, value, drop in changes:
        bad = _mutate(bad, path, value, drop and path != "extra" and "serials." not in path)
    bodies = [body(i) for i in range(4)]
    bodies.insert(at, bad)
    if oneyuan_bodies_ok(bodies):
        assert validate_oneyuan(bad, "x") == []


@given(st.sampled_from(PATHS), VALUES)
@SETTINGS
def test_the_registry_reports_what_validate_reports(path, value):
    bad = _mutate(body(3), path, value, False)
    drafts = [EntryDraft(ONEYUAN, b, "test") for b in (body(0), bad, body(1))]
    expected = [e.message for e in validate_oneyuan(bad, "entry 1")]
    assert [e.message for e in registry().check_drafts(drafts, "main")] == expected


def test_a_kg_that_is_not_ten_per_yuan_is_refused():
    bodies = [body(i) for i in range(3)]
    bodies[1]["kg"] += 10
    assert not oneyuan_bodies_ok(bodies)
    bodies[1]["kg"] -= 10
    bodies[1]["amount_fen"] += 1
    assert not oneyuan_bodies_ok(bodies)


def test_amounts_must_be_positive_whole_yuan():
    for kg, fen in ((0, 0), (-10, -100), (10, True), (MAX_SAFE_INTEGER + 1, 100)):
        bodies = [body(0), {**body(1), "kg": kg, "amount_fen": fen}]
        assert validate_oneyuan(bodies[1], "x") != []
        assert not oneyuan_bodies_ok(bodies)


def test_values_match_a_line_each_only_each_whole_and_on_its_own():
    refs = each_line(re.compile(r"[A-Z]{2}\d"))
    assert matches_each_line(refs, ["AB1", "CD2"])
    assert not matches_each_line(refs, ["AB1", "CD"])  # one does not match
    assert not matches_each_line(refs, ["AB1\nCD2"])  # one value holding two lines
    assert not matches_each_line(refs, ["AB1\nCD2", "EF3", ""])  # ... with an empty one beside
    assert not matches_each_line(refs, ["AB1", 5])  # not a str
