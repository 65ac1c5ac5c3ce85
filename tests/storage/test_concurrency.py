"""Several OS processes append to one log at once (the same SQLite file, the same PostgreSQL
database). The log must come out as one contiguous, unforked chain in which every batch sits in
one piece, that verifies and can be signed; an idempotency key raced by all writers is used once.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import select

from ledger.core.entry import GENESIS_PREV
from ledger.services.checkpoints import sign_checkpoint
from ledger.services.keys import create_signing_key
from ledger.services.log import ENTRY, read_head
from ledger.services.verify import verify_log
from ledger.storage.db import read_transaction
from ledger.storage.tables import AccountBalance
from tests.conftest import REPO
from tests.storage.writer import worker_account

WORKERS = 4
BATCHES = 25
SIZE = 4  # entries 1 and 3 of each batch carry postings
SHARED = 2  # the batch every worker appends under the same idempotency key
TOTAL = WORKERS * BATCHES * SIZE + SHARED


def _start(db_url: str, worker: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.storage.writer", "concurrent", db_url),
            *("--worker", str(worker), "--batches", str(BATCHES), "--size", str(SIZE)),
        ],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run_workers(db_url: str) -> list[list[dict]]:
    """Start the workers, release them together, and return each one's JSON lines."""
    procs = [_start(db_url, w) for w in range(WORKERS)]
    try:
        for proc in procs:  # every worker has imported everything and connected
            line = proc.stdout.readline()
            assert line == "ready\n", f"worker failed to start: {line!r} {proc.stderr.read()}"
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=180) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    results = []
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, f"worker failed:\n{err}"
        results.append([json.loads(line) for line in out.splitlines()])
    return results


@pytest.mark.slow
def test_concurrent_writers_leave_one_contiguous_verifiable_chain(db_url, engine, tmp_path):
    results = _run_workers(db_url)

    # The writers really ran at the same time: each one started before any one finished.
    # (Their batches need not interleave: SQLite's busy handler lets a writer that just
    # committed take the lock again before the waiting ones wake up.)
    started = [lines.pop(0)["started"] for lines in results]
    finished = [lines.pop()["finished"] for lines in results]
    assert max(started) < min(finished), "the workers ran one after another"

    # Each worker's batches landed in one piece (contiguous seqs), the shared key was written
    # once and every worker got its entries back, and together they cover 0..TOTAL-1 once.
    written: list[int] = []
    shared = {tuple(r["seqs"]) for lines in results for r in lines if r["batch"] == "shared"}
    assert len(shared) == 1, f"the shared idempotency key was written more than once: {shared}"
    for lines in results:
        assert [r["batch"] for r in lines] == [*range(BATCHES), "shared"]
        for r in lines[:-1]:
            seqs = r["seqs"]
            assert seqs == list(range(seqs[0], seqs[0] + SIZE)), f"batch split: {seqs}"
            written += seqs
    assert sorted(written + list(next(iter(shared)))) == list(range(TOTAL))

    # The stored log: contiguous, no fork, the head at the end of the chain.
    with read_transaction(engine) as conn:
        rows = conn.execute(
            select(ENTRY.c.seq, ENTRY.c.prev_hash, ENTRY.c.leaf_hash).order_by(ENTRY.c.seq)
        ).all()
        head = read_head(conn)
        balances = {
            r.account: r.balance
            for r in conn.execute(select(AccountBalance.__table__))
            if r.commodity == "CNY"
        }
    assert [r.seq for r in rows] == list(range(TOTAL))
    prev = GENESIS_PREV
    for r in rows:
        assert bytes(r.prev_hash) == prev, f"fork or broken link at seq {r.seq}"
        prev = bytes(r.leaf_hash)
    assert (head.size, head.last_leaf_hash) == (TOTAL, prev)
    for worker in range(WORKERS):
        assert balances[worker_account(worker)] == sum(2 * (100 + b) for b in range(BATCHES))

    signer, _ = create_signing_key(tmp_path / "keys" / "log.pem", "test/log")
    verifiers = [signer.verifier()]
    assert verify_log(engine, verifiers) == []
    signed = sign_checkpoint(engine, signer, "test/log")
    assert (signed.number, signed.checkpoint.size, signed.checkpoint.root) == (0, TOTAL, head.root)
    assert verify_log(engine, verifiers, origin="test/log") == []
