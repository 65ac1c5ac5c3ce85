"""append.<db>: entries/s through ``append_batch``, 20,000 entries of two postings each in
batches of 1,000, against bare SQLAlchemy Core inserts of the same rows.

The ceiling writes, per batch and in one ``write_transaction``, the exact ``log_entry`` and
``log_posting`` rows the append path writes (the same leaf bytes, computed before timing) with
one ``executemany`` each into bare copies of those two tables (same columns and primary keys;
no secondary index, foreign key, trigger, tree nodes, projections or head). The copies live in
a second throw-away database of the same kind, opened the same way, so each side pays for its
own SQLite WAL checkpoints instead of whichever commit happens to cross the threshold.

Ceiling and real batches alternate (which goes first alternates too), so load from other
processes falls on both alike; the whole run is repeated and the best total of each side
counts.
"""

from __future__ import annotations

from sqlalchemy import Column, MetaData, Table, insert

from bench.common import DATABASES, TIME, Result, payout_drafts, progress, rate_result, timed
from ledger.core.entry import GENESIS_PREV, EntryDraft, make_entry
from ledger.services.log import ENTRY, POSTING, append_batch
from ledger.storage.db import write_transaction

ENTRIES = 20_000
BATCH = 1_000
ROUNDS = 2
TARGET = 0.5


def bare_copy(table: Table, metadata: MetaData) -> Table:
    """``bench_<name>``: the same columns and primary key, nothing else."""
    return Table(
        f"bench_{table.name}",
        metadata,
        *(Column(c.name, c.type, primary_key=c.primary_key, autoincrement=False) for c in table.c),
    )


def ceiling_rows(drafts: list[EntryDraft], first_seq: int, prev: bytes):
    """The ``log_entry`` and ``log_posting`` rows the append path writes for ``drafts``."""
    entries, postings = [], []
    for offset, draft in enumerate(drafts):
        entry = make_entry(first_seq + offset, draft, TIME, prev)
        prev = entry.leaf_hash
        entries.append(
            {
                "log": "main",
                "seq": entry.seq,
                "kind": entry.kind,
                "time": entry.time,
                "actor": entry.actor,
                "prev_hash": entry.prev,
                "leaf": entry.leaf,
                "leaf_hash": entry.leaf_hash,
            }
        )
        postings.extend(
            {"log": "main", "seq": entry.seq, "idx": i, **p.as_json()}
            for i, p in enumerate(entry.postings)
        )
    return entries, postings, prev


def _one_round(open_database, batches, rows) -> tuple[float, float]:
    """Seconds taken by the append path and by the ceiling for every batch."""
    with open_database() as log_engine, open_database() as bare_engine:
        metadata = MetaData()
        bare_entry = bare_copy(ENTRY, metadata)
        bare_posting = bare_copy(POSTING, metadata)
        metadata.create_all(bare_engine)

        def ceiling_batch(entry_rows, posting_rows):
            with write_transaction(bare_engine) as conn:
                conn.execute(insert(bare_entry), entry_rows)
                conn.execute(insert(bare_posting), posting_rows)

        real = ceiling = 0.0
        for n, (drafts, (entry_rows, posting_rows)) in enumerate(zip(batches, rows, strict=True)):
            if n % 2:
                ceiling += timed(ceiling_batch, entry_rows, posting_rows)
                real += timed(append_batch, log_engine, drafts)
            else:
                real += timed(append_batch, log_engine, drafts)
                ceiling += timed(ceiling_batch, entry_rows, posting_rows)
    return real, ceiling


def run(db: str) -> Result:
    name = f"append.{db}"
    batches = [payout_drafts(start, BATCH) for start in range(0, ENTRIES, BATCH)]
    rows = []
    prev = GENESIS_PREV
    for n, drafts in enumerate(batches):
        entry_rows, posting_rows, prev = ceiling_rows(drafts, n * BATCH, prev)
        rows.append((entry_rows, posting_rows))

    best_real = best_ceiling = float("inf")
    for n in range(ROUNDS):
        real, ceiling = _one_round(DATABASES[db], batches, rows)
        progress(
            f"{name} round {n + 1}: {ENTRIES / real:,.0f} entries/s "
            f"(ceiling {ENTRIES / ceiling:,.0f})"
        )
        best_real, best_ceiling = min(best_real, real), min(best_ceiling, ceiling)
    return rate_result(name, ENTRIES, best_real, best_ceiling, TARGET)
