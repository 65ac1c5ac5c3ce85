"""The community projector's shortcut for allocations (:func:`allocation_row`) agrees with the
general path it stands in for: the same row :func:`model.operations` puts, taken exactly when
:func:`model.check_postings` accepts the postings; and an append with wrong postings is
refused the same way, with nothing written, on both databases."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ledger.community import model
from ledger.community.projection import (
    ALLOCATION_COLUMNS,
    KEYS,
    TABLES,
    CommunityProjector,
    allocation_row,
)
from ledger.core.entry import Entry, EntryDraft, Posting
from ledger.core.errors import ValidationError
from ledger.services import log
from ledger.services.log import append_batch

SETTINGS = settings(max_examples=300, deadline=None, database=None)
VILLAGES = st.sampled_from(["350428102201", "350428102202"])
VAULTS = st.sampled_from(["H-4ZZV6V5Q88VZ", "H-0000000000AB"])
ACCOUNTS = st.sampled_from(
    [
        "Assets:Village:350428102201:Collective:Sharing",
        "Assets:Village:350428102202:Collective:Sharing",
        "Assets:Village:350428102201:Household:H-4ZZV6V5Q88VZ:Pending",
        "Assets:Village:350428102201:Household:H-0000000000AB:Pending",
        "Assets:Village:350428102202:Household:H-4ZZV6V5Q88VZ:Pending",
        "Assets:Village:350428102201:Collective",
    ]
)


@st.composite
def allocations(draw):
    village, vault = draw(VILLAGES), draw(VAULTS)
    amount = draw(st.sampled_from([0, 1, 22301, 10**12]))
    body = {
        "village": village,
        "distribution": f"{village}-001",
        "household": draw(st.sampled_from(["CK001", "CK002"])),
        "vault": vault,
        "position": draw(st.integers(0, 10**6)),
        "amount_fen": amount,
        "salt": "ab" * 16,
    }
    legs = model.expected_postings(model.ALLOCATION, body)
    how = draw(st.sampled_from(["exact", "drawn", "swapped", "fewer", "more", "sign"]))
    if how == "drawn":
        legs = draw(
            st.lists(
                st.tuples(
                    ACCOUNTS,
                    st.sampled_from(["CNY", "CO2E"]),
                    st.sampled_from([-amount, amount, 5]),
                ),
                max_size=3,
            )
        )
    elif how == "swapped":
        legs = legs[::-1]
    elif how == "fewer":
        legs = legs[:1]
    elif how == "more":
        legs = [*legs, (model.sharing(village), "CNY", 0)]
    elif how == "sign":
        legs = [(a, c, -n) for a, c, n in legs]
    postings = tuple(Posting(a, c, n) for a, c, n in legs)
    seq = draw(st.integers(0, 10**9))
    return Entry(
        seq, model.ALLOCATION, body, "test:x", "2021-07-10T02:03:04Z", bytes(32), postings, b"", b""
    )


@given(allocations())
@SETTINGS
def test_the_allocation_shortcut_is_the_general_path(entry):
    sharing: dict[str, str] = {}
    row = allocation_row(entry, sharing)
    agrees = model.check_postings(entry.kind, entry.body, entry.postings)
    assert (row is not None) == agrees
    if row is not None:
        [(op, name, key, values)] = model.operations(entry.seq, entry.kind, entry.time, entry.body)
        assert (op, name) == ("put", "community_allocation")
        assert (*KEYS[name], *values) == ALLOCATION_COLUMNS
        assert row == (*key, *values.values())
        assert all(type(a) is type(b) for a, b in zip(row, (*key, *values.values()), strict=True))


def test_an_allocation_with_wrong_postings_is_refused_and_nothing_is_written(engine):
    body = {
        "village": "350428102201",
        "distribution": "350428102201-001",
        "household": "CK001",
        "vault": "H-4ZZV6V5Q88VZ",
        "position": 0,
        "amount_fen": 100,
    }
    right = tuple(Posting(*leg) for leg in model.expected_postings(model.ALLOCATION, body))
    wrong = (right[0], Posting(model.household("350428102201", "H-4ZZV6V5Q88VZ"), "CNY", 100))
    drafts = [
        EntryDraft(model.ALLOCATION, body, "test:x", right),
        EntryDraft(model.ALLOCATION, {**body, "household": "CK002"}, "test:x", wrong),
    ]
    with pytest.raises(ValidationError) as caught:
        append_batch(engine, drafts)
    assert caught.value.code == "community.postings"
    assert "entry 1 (community.allocation)" in caught.value.message
    with engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(TABLES["community_allocation"])).scalar()
            == 0
        )
        assert log.read_head(conn).size == 0


def test_allocations_between_other_entries_are_written_in_entry_order(engine):
    """A batch that mixes allocations and other community entries: each run is written where
    it stands, so a later entry's change to an allocation row applies to it."""
    village, d = "350428102201", "350428102201-001"
    body = {
        "village": village,
        "distribution": d,
        "household": "CK001",
        "vault": "H-4ZZV6V5Q88VZ",
        "position": 0,
        "amount_fen": 100,
    }

    def draft(kind, body):
        legs = model.expected_postings(kind, body)
        return EntryDraft(kind, body, "test:x", tuple(Posting(*leg) for leg in legs))

    batch = {
        "village": village,
        "distribution": d,
        "batch": f"{d}-B1",
        "lines": [[1, "CK001", 100]],
    }
    drafts = [
        draft(model.ALLOCATION, body),
        draft(model.BATCH, batch),
        draft(model.ALLOCATION, {**body, "household": "CK002", "position": 1}),
    ]
    projector = CommunityProjector()
    with engine.begin() as conn:
        entries = [
            Entry(
                i,
                dr.kind,
                dr.body,
                dr.actor,
                "2021-07-10T02:03:04Z",
                bytes(32),
                dr.postings,
                b"",
                b"",
            )
            for i, dr in enumerate(drafts)
        ]
        projector.apply(conn, "main", entries)
        table = TABLES["community_allocation"]
        rows = conn.execute(
            select(table.c.household, table.c.status, table.c.batch, table.c.seq).order_by(
                table.c.household
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("CK001", model.IN_BATCH, f"{d}-B1", 0),
        ("CK002", model.UNPAID, None, 2),
    ]
