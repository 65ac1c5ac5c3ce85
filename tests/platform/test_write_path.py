"""The locked write path (:func:`ledger.services.log.write`) on SQLite and PostgreSQL: several
processes that check a fact and append at the same moment let exactly one through; a retried
request is answered with the first result before any check; ``append`` refuses to run outside
a write transaction; a transaction that writes both logs locks main before audit."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ledger.core.entry import EntryDraft, Posting
from ledger.core.errors import ConflictError
from ledger.services.log import append, append_batch, read_head, write
from ledger.storage.db import read_transaction, write_transaction
from tests.conftest import REPO
from tests.platform.racer import AMOUNT, POT, SOURCE, balance, racer_account

RACERS = 6


def _race(db_url: str, mode: str) -> list[dict]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.platform.racer", db_url, mode, str(w)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(RACERS)
    ]
    try:
        for proc in procs:
            line = proc.stdout.readline()
            assert line == "ready\n", f"racer failed to start: {line!r} {proc.stderr.read()}"
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=120) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    return [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]


@pytest.mark.slow
def test_check_then_append_of_the_same_fact_lets_exactly_one_through(engine, db_url):
    append_batch(
        engine,
        [
            EntryDraft(
                "test.sale",
                {},
                "test",
                (Posting(SOURCE, "CNY", -AMOUNT), Posting(POT, "CNY", AMOUNT)),
            )
        ],
    )
    results = _race(db_url, "spend")
    won = [r["won"] for r in results if "won" in r]
    assert len(won) == 1, results
    assert sorted(r["refused"] for r in results if "refused" in r) == ["test.spent"] * (RACERS - 1)
    with read_transaction(engine) as conn:
        assert balance(conn, POT) == 0  # never spent twice
        assert sum(balance(conn, racer_account(w)) for w in range(RACERS)) == AMOUNT
        assert read_head(conn).size == 2


@pytest.mark.slow
def test_a_raced_retry_is_answered_with_the_first_result(engine, db_url):
    results = _race(db_url, "retry")
    assert results == [{"seqs": [0]}] * RACERS
    with read_transaction(engine) as conn:
        assert read_head(conn).size == 1


def test_a_retry_is_answered_before_the_domain_check(engine):
    calls = []

    def decide(tx):
        calls.append(1)
        if balance(tx.conn, POT) > 0:  # true after the first call: a check a retry would fail
            raise ConflictError("test.again", "already done")
        tx.append(
            [EntryDraft("test.sale", {}, "t", (Posting(SOURCE, "CNY", -5), Posting(POT, "CNY", 5)))]
        )

    first = write(engine, decide, idempotency_key="k", request={"n": 5})
    again = write(engine, decide, idempotency_key="k", request={"n": 5})
    assert again == first and calls == [1]
    with pytest.raises(ConflictError) as caught:
        write(engine, decide, idempotency_key="k", request={"n": 6})
    assert caught.value.code == "idempotency.conflict"


def test_append_refuses_to_run_outside_a_write_transaction(engine):
    def outside():
        return pytest.raises(RuntimeError, match="outside a write transaction")

    with engine.connect() as conn, conn.begin(), outside():  # a read transaction
        append(conn, [EntryDraft("test.note", {}, "t")])
    with engine.connect() as conn, outside():  # no transaction at all
        append(conn, [EntryDraft("test.note", {}, "t")])
    with read_transaction(engine) as conn:
        assert read_head(conn).size == 0


def test_a_transaction_locks_main_before_audit(engine):
    with write_transaction(engine) as conn:
        append(conn, [EntryDraft("test.note", {}, "t")])
        append(conn, [EntryDraft("audit.signin", {"user": 1}, "t")], log="audit")  # fine
    with pytest.raises(RuntimeError, match="lock order"), write_transaction(engine) as conn:
        append(conn, [EntryDraft("audit.signin", {"user": 1}, "t")], log="audit")
        append(conn, [EntryDraft("test.note", {}, "t")])
    with read_transaction(engine) as conn:
        assert (read_head(conn).size, read_head(conn, "audit").size) == (1, 1)
