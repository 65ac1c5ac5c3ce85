"""A writer that runs in its own OS process, for the race tests of the locked write path.

``python -m tests.platform.racer URL spend WORKER`` prints ``ready``, waits for a line on stdin
(so all racers start together), then checks that the pot account holds at least
:data:`AMOUNT` fen and, if so, moves that much to the racer's own account — through
:func:`ledger.services.log.write`, so the check and the append happen under the log's lock.
It prints ``{"won": seq}`` or ``{"refused": code}``.

``python -m tests.platform.racer URL retry WORKER`` does the same dance with one idempotency
key and one request for every racer, and prints ``{"seqs": [...]}``.
"""

from __future__ import annotations

import json
import sys

from sqlalchemy import select

from ledger.core.entry import EntryDraft, Posting
from ledger.core.errors import ConflictError
from ledger.services.log import write
from ledger.storage.db import make_engine
from ledger.storage.tables import AccountBalance

POT = "Assets:Village:350428102201:Collective"
SOURCE = "Income:Village:350428102201:Grant"
AMOUNT = 100
BALANCE = AccountBalance.__table__


def racer_account(worker: int) -> str:
    return f"Assets:Village:350428102201:Household:H{worker:04d}"


def balance(conn, account: str) -> int:
    return (
        conn.execute(
            select(BALANCE.c.balance).where(
                BALANCE.c.log == "main", BALANCE.c.account == account, BALANCE.c.commodity == "CNY"
            )
        ).scalar()
        or 0
    )


def spend(engine, worker: int) -> dict:
    def decide(tx):
        if balance(tx.conn, POT) < AMOUNT:
            raise ConflictError("test.spent", "the pot is empty")
        tx.append(
            [
                EntryDraft(
                    "test.sale",
                    {"worker": worker},
                    f"test:racer:{worker}",
                    (
                        Posting(POT, "CNY", -AMOUNT),
                        Posting(racer_account(worker), "CNY", AMOUNT),
                    ),
                )
            ]
        )

    try:
        (entry,) = write(engine, decide)
    except ConflictError as exc:
        return {"refused": exc.code}
    return {"won": entry.seq}


def retry(engine, worker: int) -> dict:
    def decide(tx):
        tx.append([EntryDraft("test.note", {"once": True}, "test:racer")])

    entries = write(engine, decide, idempotency_key="race-once", request={"once": True})
    return {"seqs": [e.seq for e in entries]}


def main() -> None:
    url, mode, worker = sys.argv[1], sys.argv[2], int(sys.argv[3])
    engine = make_engine(url)
    with engine.connect():
        pass
    print("ready", flush=True)
    sys.stdin.readline()
    result = {"spend": spend, "retry": retry}[mode](engine, worker)
    print(json.dumps(result), flush=True)
    engine.dispose()


if __name__ == "__main__":
    main()
