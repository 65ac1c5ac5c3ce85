"""prove.*.sqlite: median milliseconds for an inclusion proof and a consistency proof at tree
size 1,000,000, against one primary-key row read.

The log is grown to 1,000,000 entries through the real append path (document anchors, no
postings, in batches of 10,000). Every sample opens a pooled connection and a transaction,
as a request would: the proof (``inclusion_proof`` of a random leaf, ``consistency_proof``
from a random older size), or, for the ceiling, one ``log_entry`` row read by primary key.
Samples of the three alternate.
"""

from __future__ import annotations

import random
import time

from sqlalchemy import Engine, select

from bench.common import Result, anchor_drafts, latency_result, median_ms, progress
from bench.logbuild import grow
from ledger.core.proof import verify_consistency, verify_inclusion
from ledger.services.log import ENTRY
from ledger.services.tree import consistency_proof, inclusion_proof, leaf_hash_at, root_at
from ledger.storage.db import read_transaction

SIZE = 1_000_000
BUILD_BATCH = 10_000
SAMPLES = 300
TARGET_MS = 5


def _sample(engine: Engine, fn, *args) -> float:
    """Seconds for ``fn(conn, *args)`` in a read transaction of its own, as a request does."""
    start = time.perf_counter()
    with read_transaction(engine) as conn:
        fn(conn, *args)
    return time.perf_counter() - start


def _read_row(conn, seq: int) -> bytes:
    """The ceiling: one ``log_entry`` row read by primary key."""
    stmt = select(ENTRY.c.leaf_hash).where(ENTRY.c.log == "main", ENTRY.c.seq == seq)
    return conn.execute(stmt).scalar_one()


def run(engine: Engine, db: str) -> list[Result]:
    grow(engine, SIZE, anchor_drafts, BUILD_BATCH, "the proof log")
    rng = random.Random(SIZE)

    with read_transaction(engine) as conn:  # sanity: the proofs are right
        root = root_at(conn, "main", SIZE)
        index, old = rng.randrange(SIZE), rng.randrange(1, SIZE)
        leaf = leaf_hash_at(conn, "main", index)
        verify_inclusion(leaf, index, SIZE, inclusion_proof(conn, "main", index, SIZE), root)
        verify_consistency(
            old, SIZE, consistency_proof(conn, "main", old, SIZE), root_at(conn, "main", old), root
        )

    inclusion, consistency, ceiling = [], [], []
    for _ in range(SAMPLES):
        index, old, seq = rng.randrange(SIZE), rng.randrange(1, SIZE), rng.randrange(SIZE)
        inclusion.append(_sample(engine, inclusion_proof, "main", index, SIZE))
        consistency.append(_sample(engine, consistency_proof, "main", old, SIZE))
        ceiling.append(_sample(engine, _read_row, seq))
    ceiling_ms = median_ms(ceiling)
    results = [
        latency_result(f"prove.inclusion.{db}", median_ms(inclusion), ceiling_ms, TARGET_MS),
        latency_result(f"prove.consistency.{db}", median_ms(consistency), ceiling_ms, TARGET_MS),
    ]
    for r in results:
        progress(f"{r.name}: median {r.value:.3f} ms (one row read {r.ceiling:.3f} ms)")
    return results
