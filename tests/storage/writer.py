"""Helpers shared by the storage tests, and a writer that runs in its own OS process.

As a module it gives the tests their drafts (:func:`note`, :func:`transfer`, :func:`anchor`) and
:func:`table_state`, a dump of every ledger table used to prove that a refused append wrote
nothing. As a script (``python -m tests.storage.writer …``, from the repository root) it is the
child process of the concurrency and crash tests:

``concurrent URL --worker W --batches B --size S``
    prints ``ready``, waits for a line on stdin (so all workers start together), then appends
    ``B`` batches of ``S`` entries, one transaction each, and prints one JSON line per batch:
    ``{"batch": b, "seqs": [...]}``. Every worker also appends the same ``shared`` batch under
    the same idempotency key and prints ``{"batch": "shared", "seqs": [...]}``. The first and
    last lines, ``{"started": t}`` and ``{"finished": t}``, carry ``time.monotonic()`` (one clock
    for all processes on Linux) taken before the first append and after the last.

``crash URL --entries N --announce insert|commit``
    appends one batch of ``N`` entries (two postings each) in one transaction. It prints
    ``@insert`` as the postings start to be inserted (the entries are already in, uncommitted),
    or ``@commit`` just before the commit is sent, and ``committed`` once the commit returned.
    The parent kills it with SIGKILL on the announcement.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time

from sqlalchemy import Engine, event, select
from sqlmodel import SQLModel

from ledger.core.entry import EntryDraft, Posting
from ledger.storage.tables import APPEND_ONLY_TABLES

#: Every table the append path writes: the log tables and the projections beside them.
LEDGER_TABLES = (*APPEND_ONLY_TABLES, "log_head", "account_balance")

#: A harmless-looking change per log table: set a column to itself (a change all the same).
SELF_UPDATE = {
    "log_entry": "kind = kind",
    "log_posting": "amount = amount",
    "log_tree_node": "hash = hash",
    "log_checkpoint": "note = note",
    "log_idempotency": "count = count",
    "doc_anchor": "title = title",
}

ACTOR = "test:storage"
COLLECTIVE = "Assets:Village:350428102201:Collective"
SALES = "Income:Sales:350428"
FOREST = "Assets:Forest:350428102201"
BUYER = "Liabilities:Buyer:Acme"


def worker_account(worker: int) -> str:
    """The account a concurrent worker pays into (distinct from :data:`COLLECTIVE`)."""
    return f"Assets:Village:3504281023{worker:02d}:Collective"


def note(i: int, **body) -> EntryDraft:
    """An entry without postings."""
    return EntryDraft("test.note", {"n": i, **body}, ACTOR)


def transfer(i: int, fen: int, kg: int = 0, *, to: str = COLLECTIVE) -> EntryDraft:
    """``fen`` of CNY from sales to ``to`` and, when ``kg``, carbon from the forest to a buyer."""
    postings = [Posting(to, "CNY", fen), Posting(SALES, "CNY", -fen)]
    if kg:
        postings += [Posting(BUYER, "CO2E", kg), Posting(FOREST, "CO2E", -kg)]
    return EntryDraft("test.sale", {"n": i, "memo": "林业碳票 sale"}, ACTOR, tuple(postings))


def anchor(i: int) -> EntryDraft:
    """A ``doc.anchor`` entry (projected into ``doc_anchor``)."""
    digest = hashlib.sha256(f"document {i}".encode()).hexdigest()
    return EntryDraft("doc.anchor", {"sha256": digest, "size": i, "title": f"doc {i}"}, ACTOR)


def _plain(value):
    return bytes(value) if isinstance(value, memoryview) else value


def table_state(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every ledger table, sorted: equal before and after means nothing changed."""
    tables = SQLModel.metadata.tables
    with engine.connect() as conn:
        return {
            name: sorted(
                tuple(_plain(v) for v in row) for row in conn.execute(select(tables[name]))
            )
            for name in LEDGER_TABLES
        }


# --- the child process -------------------------------------------------------------------


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def concurrent(url: str, worker: int, batches: int, size: int) -> None:
    from ledger.services.log import append_batch
    from ledger.storage.db import make_engine

    engine = make_engine(url)
    with engine.connect():  # connect (and set the pragmas) before the start signal
        pass
    _say("ready")
    sys.stdin.readline()
    _say(json.dumps({"started": time.monotonic()}))
    account = worker_account(worker)
    for b in range(batches):
        drafts = [
            transfer(i, fen=100 + b, to=account) if i % 2 else note(i, worker=worker, batch=b)
            for i in range(size)
        ]
        key = f"w{worker}-b{b}" if b % 3 == 0 else None
        entries = append_batch(engine, drafts, idempotency_key=key)
        if key is not None:  # a retry returns the same entries
            again = append_batch(engine, drafts, idempotency_key=key)
            assert [e.seq for e in again] == [e.seq for e in entries]
        _say(json.dumps({"batch": b, "seqs": [e.seq for e in entries]}))
    shared = [note(0, shared=True), transfer(1, fen=1, kg=2)]
    entries = append_batch(engine, shared, idempotency_key="shared-by-all-workers")
    _say(json.dumps({"batch": "shared", "seqs": [e.seq for e in entries]}))
    _say(json.dumps({"finished": time.monotonic()}))
    engine.dispose()


POSTING_INSERTS = ("INSERT INTO log_posting", "COPY log_posting")


def crash(url: str, entries: int, announce: str) -> None:
    from ledger.services import bulk
    from ledger.services.log import append
    from ledger.storage.db import make_engine, write_transaction

    drafts = [transfer(i, fen=1 + i % 1000, kg=1 + i % 7) for i in range(entries)]
    engine = make_engine(url)
    said = False

    def _starting(statement: str) -> None:
        nonlocal said
        if announce == "insert" and not said and statement.startswith(POSTING_INSERTS):
            said = True
            _say("@insert")

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        _starting(statement)

    copy = bulk._copy  # PostgreSQL inserts the postings with COPY, outside cursor events

    def _copy(conn, sql, rows):
        _starting(sql)
        copy(conn, sql, rows)

    bulk._copy = _copy

    @event.listens_for(engine, "commit")
    def _commit(conn):
        if announce == "commit":
            _say("@commit")

    _say("started")
    with write_transaction(engine) as conn:
        append(conn, drafts)
    _say("committed")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.storage.writer")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("concurrent")
    c.add_argument("url")
    c.add_argument("--worker", type=int, required=True)
    c.add_argument("--batches", type=int, required=True)
    c.add_argument("--size", type=int, required=True)
    k = sub.add_parser("crash")
    k.add_argument("url")
    k.add_argument("--entries", type=int, required=True)
    k.add_argument("--announce", choices=["insert", "commit"], required=True)
    args = parser.parse_args(argv)
    if args.command == "concurrent":
        concurrent(args.url, args.worker, args.batches, args.size)
    else:
        crash(args.url, args.entries, args.announce)


if __name__ == "__main__":
    main()
