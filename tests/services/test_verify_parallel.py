"""``verify_log`` gives the same findings, in the same order, whether it checks the entries
itself or has worker processes check them chunk by chunk, on SQLite and PostgreSQL.

The log is small, so the chunks are made tiny (``CHUNK = 4``): every join the parallel scan
makes (a chain link, a gap, the tree and the replays across chunk boundaries) is exercised.
Each attacker's move from ``test_verify_tamper`` is applied to a copy of one built log.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from ledger.core.findings import Finding
from ledger.core.note import Signer
from ledger.platform import Module, registry, using
from ledger.services import verify
from ledger.services.log import ENTRY, NODE
from tests.services import (
    BALANCE,
    ORIGIN,
    attack,
    build_log,
    database_copies,
    delete_entry,
    flip_leaf_byte,
    postings_of,
    set_posting,
    swap_entries,
    truncate,
)

SIZE = 29
SIGNER = Signer.generate(ORIGIN)
POSTINGS = postings_of(SIZE)


def _set_column(conn, seq, column, value):
    conn.execute(update(ENTRY).where(ENTRY.c.seq == seq).values({column: value}))


def _flip_node(conn, level, idx):
    where = (NODE.c.log == "main", NODE.c.level == level, NODE.c.idx == idx)
    h = conn.execute(select(NODE.c.hash).where(*where)).scalar_one()
    conn.execute(update(NODE).where(*where).values(hash=bytes(b ^ 1 for b in h)))


def _shift_balance(conn):
    row = conn.execute(select(BALANCE).order_by(BALANCE.c.account).limit(1)).one()
    conn.execute(
        update(BALANCE)
        .where(BALANCE.c.account == row.account, BALANCE.c.commodity == row.commodity)
        .values(balance=row.balance + 7)
    )


MOVES = {
    "untouched": [],
    "leaf_byte": [(flip_leaf_byte, 5, 40, 1)],
    "leaf_bytes_in_three_chunks": [
        (flip_leaf_byte, 3, 0, 1),
        (flip_leaf_byte, 4, 200, 2),
        (flip_leaf_byte, 17, 9, 0x20),
    ],
    "posting": [(set_posting, POSTINGS[3][0], POSTINGS[3][1], {"amount": 1})],
    "swap_across_chunks": [(swap_entries, 7, 8)],
    "delete_at_chunk_start": [(delete_entry, 8)],
    "delete_two_runs": [(delete_entry, 10), (delete_entry, 11), (delete_entry, 20)],
    "column": [(_set_column, 12, "prev_hash", b"\xff" * 32)],
    "node": [(_flip_node, 3, 1)],
    "balance": [(_shift_balance,)],
    "truncate": [(truncate, 17, {"drop_checkpoints": False})],
}


def _apply(conn, steps) -> None:
    for step, *args in steps:
        kwargs = args.pop() if args and isinstance(args[-1], dict) else {}
        step(conn, *args, **kwargs)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def log_copy(request, tmp_path_factory):
    """A function giving throw-away copies of one built log, as engines."""
    with database_copies(
        request, tmp_path_factory, lambda engine: build_log(engine, SIGNER, SIZE, (13,))
    ) as (copy, _):
        yield copy


@pytest.mark.parametrize("move", sorted(MOVES))
def test_workers_find_what_one_process_finds(log_copy, move, monkeypatch, caplog):
    with log_copy() as engine:
        if MOVES[move]:
            attack(engine, _apply, MOVES[move])

        def run(workers: int):
            return verify.verify_log(engine, [SIGNER.verifier()], origin=ORIGIN, workers=workers)

        whole = run(1)  # one chunk: what the scan has always done
        monkeypatch.setattr(verify, "CHUNK", 4)
        alone = run(1)
        parallel = run(2)
    assert not [r for r in caplog.records if r.name == verify.__name__]  # no fallback
    assert parallel == alone
    # The chunk size moves stored-node findings (to the end of their chunk) and, after a
    # gap, can turn a "wrong" node into a "missing" one; what is found, and where, stays.
    assert {(f.code, f.seq) for f in alone} == {(f.code, f.seq) for f in whole}
    assert (move == "untouched") == (whole == [])


def test_a_failing_worker_pool_falls_back_to_one_process(log_copy, monkeypatch, caplog):
    """A replay that cannot be sent to a worker (here: a class local to this test does not
    pickle) makes the scan warn and check everything in this process, with the same result."""

    class LocalReplay:
        kinds = frozenset({"test.note"})

        def __init__(self):
            self.seen = []

        def feed(self, seq, kind, time, actor, body, postings):
            self.seen.append(seq)

        def merge(self, later):
            self.seen += later.seen

        def findings(self, conn):
            return [Finding("test.notes", f"notes at {self.seen}", None, "main")]

    class LocalProjector:
        name = "test_local"
        kinds = LocalReplay.kinds
        logs = frozenset({"main"})
        rebuildable = False

        def apply(self, conn, log, entries):
            pass

        def replay(self, log):
            return LocalReplay()

    local = Module("local", "local", projectors=(LocalProjector(),))
    monkeypatch.setattr(verify, "CHUNK", 4)
    with log_copy() as engine, using([*registry().modules, local]):
        alone = verify.verify_log(engine, [SIGNER.verifier()], origin=ORIGIN, workers=1)
        parallel = verify.verify_log(engine, [SIGNER.verifier()], origin=ORIGIN, workers=2)
    warnings = [r.getMessage() for r in caplog.records if r.name == verify.__name__]
    assert len(warnings) == 1 and "worker processes failed" in warnings[0]
    assert parallel == alone
    assert [f.message for f in alone] == [f"notes at {list(range(2, SIZE, 3))}"]
