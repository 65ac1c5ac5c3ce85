"""The balance projection writes its rows in (account, commodity) order, as sorting the rows
would: the order PostgreSQL's upserts take their row locks in, whatever order the entries
name the accounts and commodities in."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.entry import Entry, Posting
from ledger.services import projections
from ledger.services.projections import BalanceProjector

ACCOUNTS = st.sampled_from(
    [
        "Assets:Village:350428102201:Household:H-4ZZV6V5Q88VZ:Pending",
        "Assets:Village:350428102201:Household:H-0000000000AB:Pending",
        "Assets:Village:350428102201:Collective",
        "Assets:Village:350428102201:Collective:Sharing",
        "Assets:Village:35042810220",
        "Income:Village:350428102201:CarbonSales",
    ]
)
LEGS = st.lists(
    st.tuples(ACCOUNTS, st.sampled_from(["CO2E", "CNY"]), st.integers(-9, 9)), max_size=6
)


@given(st.lists(LEGS, min_size=1, max_size=8))
@settings(max_examples=300, deadline=None, database=None)
def test_the_balance_rows_are_written_in_sorted_order(batches):
    written = []
    entries = [
        Entry(seq, "test.x", {}, "a", "t", b"", tuple(Posting(*leg) for leg in legs), b"", b"")
        for seq, legs in enumerate(batches)
    ]
    conn = SimpleNamespace(dialect=SimpleNamespace(name="sqlite"))
    saved = projections.insert_many
    projections.insert_many = lambda conn, stmt, columns, rows, **kw: written.extend(rows)
    try:
        BalanceProjector().apply(conn, "main", entries)
    finally:
        projections.insert_many = saved
    assert written == sorted(written)
    sums: dict = {}
    for e in entries:
        for p in e.postings:
            sums[p.account, p.commodity] = sums.get((p.account, p.commodity), 0) + p.amount
    assert {(a, c): d for _, a, c, d, _ in written} == sums
