"""Tests of verification, tamper evidence, checkpoints, the CLI and the HTTP log endpoints.

Shared here: a small deterministic log (documents, balanced movements of money and carbon,
plain notes) and the moves of an attacker with database access, who drops the append-only
triggers first (by the names the migration gives them) and then edits the log tables.
"""

from __future__ import annotations

import hashlib
import itertools
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, delete, func, insert, select, text, update

from ledger.core.entry import GENESIS_PREV, EntryDraft, Posting
from ledger.core.merkle import CompactRange
from ledger.core.note import Signer
from ledger.services.anchors import anchor_draft
from ledger.services.checkpoints import SignedCheckpoint, sign_checkpoint
from ledger.services.log import ENTRY, HEAD, IDEMPOTENCY, NODE, POSTING, append_batch
from ledger.storage.db import make_engine
from ledger.storage.tables import (
    APPEND_ONLY_TABLES,
    AccountBalance,
    DocAnchor,
    LogCheckpoint,
    LogEntryParty,
)

T = TypeVar("T")

ORIGIN = "test.carbon-ledger.localhost/log"
ACTOR = "test:bureau:350428"
#: A village that holds no carbon units in the demo: the test sales move its CO2E without
#: serials, which the units invariant would (rightly) call lost serials for a village that
#: holds some (常口村 does: the judicial demo buys from its second carbon ticket lot).
VILLAGE = "Assets:Village:350428102202:Collective"
BUYER = "Assets:Buyer:Test"
HOUSEHOLD = "Liabilities:Household:H0001"
ACCOUNTS = (VILLAGE, BUYER, HOUSEHOLD, "Equity:Programme:Carbon-Ticket")

BALANCE = AccountBalance.__table__
ANCHOR = DocAnchor.__table__
CHECKPOINT = LogCheckpoint.__table__
PARTY = LogEntryParty.__table__


def draft(i: int) -> EntryDraft:
    """The i-th entry of the test log: a document anchor, a sale with postings, or a note."""
    if i % 3 == 0:
        data = f"document {i}".encode()
        return anchor_draft(hashlib.sha256(data).hexdigest(), len(data), f"决议 {i}", ACTOR)
    if i % 3 == 1:
        fen, kg = 150_000 + i, 1_000 + i
        return EntryDraft(
            "test.sale",
            {"ticket": f"{i:07d}", "note": "一元碳汇 \U0001f332"},
            ACTOR,
            (
                Posting(BUYER, "CO2E", kg),
                Posting(VILLAGE, "CO2E", -kg),
                Posting(VILLAGE, "CNY", fen),
                Posting(BUYER, "CNY", -fen),
            ),
        )
    return EntryDraft("test.note", {"i": i, "text": "村集体\t公示"}, ACTOR)


def build_log(
    engine: Engine, signer: Signer, size: int = 29, checkpoint_at: tuple[int, ...] = (13,)
) -> list[SignedCheckpoint]:
    """Append ``size`` entries in batches of 1..4, signing a checkpoint at each size in
    ``checkpoint_at`` and at the end. Returns the checkpoints signed."""
    signed = []
    done = 0
    batch = 1
    stops = sorted({*checkpoint_at, size})
    for stop in stops:
        while done < stop:
            n = min(batch, stop - done)
            append_batch(engine, [draft(done + k) for k in range(n)])
            done += n
            batch = batch % 4 + 1
        signed.append(sign_checkpoint(engine, signer, ORIGIN))
    return signed


def postings_of(size: int) -> list[tuple[int, int, Posting]]:
    """``(seq, idx, posting)`` of every posting of the test log of ``size`` entries."""
    return [(i, k, p) for i in range(size) for k, p in enumerate(draft(i).postings)]


# -- the attacker ---------------------------------------------------------------------------


def drop_append_only_triggers(conn: Connection) -> None:
    """What a database owner can always do: drop the triggers the migration created."""
    pg = conn.dialect.name == "postgresql"
    for table in APPEND_ONLY_TABLES:
        if pg:
            conn.exec_driver_sql(f"DROP TRIGGER {table}_no_change ON {table}")
            conn.exec_driver_sql(f"DROP TRIGGER {table}_no_truncate ON {table}")
        else:
            conn.exec_driver_sql(f"DROP TRIGGER {table}_no_update")
            conn.exec_driver_sql(f"DROP TRIGGER {table}_no_delete")


def flip_leaf_byte(conn: Connection, seq: int, pos: int, xor: int) -> None:
    """XOR byte ``pos % len(leaf)`` of the stored leaf of ``seq`` with ``xor`` (1..255)."""
    leaf = bytearray(conn.execute(select(ENTRY.c.leaf).where(ENTRY.c.seq == seq)).scalar_one())
    leaf[pos % len(leaf)] ^= xor
    conn.execute(update(ENTRY).where(ENTRY.c.seq == seq).values(leaf=bytes(leaf)))


def set_posting(conn: Connection, seq: int, idx: int, **values) -> None:
    conn.execute(update(POSTING).where(POSTING.c.seq == seq, POSTING.c.idx == idx).values(**values))


def swap_entries(conn: Connection, a: int, b: int) -> None:
    """Swap the positions of entries ``a`` and ``b`` (rows and postings) via a temp seq."""
    tmp = -1_000_000
    moved = {}
    for seq in (a, b):
        moved[seq] = conn.execute(select(POSTING).where(POSTING.c.seq == seq)).mappings().all()
        conn.execute(delete(POSTING).where(POSTING.c.seq == seq))
    conn.execute(update(ENTRY).where(ENTRY.c.seq == a).values(seq=tmp))
    conn.execute(update(ENTRY).where(ENTRY.c.seq == b).values(seq=a))
    conn.execute(update(ENTRY).where(ENTRY.c.seq == tmp).values(seq=b))
    rows = [{**row, "seq": b if seq == a else a} for seq in (a, b) for row in moved[seq]]
    if rows:
        conn.execute(insert(POSTING), rows)


def delete_entry(conn: Connection, seq: int) -> None:
    conn.execute(delete(POSTING).where(POSTING.c.seq == seq))
    conn.execute(delete(ENTRY).where(ENTRY.c.seq == seq))


def truncate(conn: Connection, size: int, *, drop_checkpoints: bool = False) -> None:
    """Cut the main log back to ``size`` entries as a careful attacker would: entries,
    postings, tree nodes, idempotency keys and projections beyond it go, and the head and
    balances are rewritten to agree with the shorter log. With ``drop_checkpoints`` the stored
    checkpoints beyond ``size`` go too, so nothing inside the database shows the cut."""
    log = "main"
    conn.execute(delete(POSTING).where(POSTING.c.log == log, POSTING.c.seq >= size))
    conn.execute(delete(ANCHOR).where(ANCHOR.c.seq >= size))
    conn.execute(delete(PARTY).where(PARTY.c.log == log, PARTY.c.seq >= size))
    conn.execute(delete(ENTRY).where(ENTRY.c.log == log, ENTRY.c.seq >= size))
    conn.execute(
        delete(IDEMPOTENCY).where(
            IDEMPOTENCY.c.log == log, IDEMPOTENCY.c.first_seq + IDEMPOTENCY.c.count > size
        )
    )
    for level, idx in conn.execute(select(NODE.c.level, NODE.c.idx).where(NODE.c.log == log)):
        if (idx + 1) << level > size:
            conn.execute(
                delete(NODE).where(NODE.c.log == log, NODE.c.level == level, NODE.c.idx == idx)
            )
    conn.execute(delete(BALANCE).where(BALANCE.c.log == log))
    sums = conn.execute(
        select(
            POSTING.c.account,
            POSTING.c.commodity,
            func.sum(POSTING.c.amount),
            func.max(POSTING.c.seq),
        )
        .where(POSTING.c.log == log)
        .group_by(POSTING.c.account, POSTING.c.commodity)
    ).all()
    if sums:
        conn.execute(
            insert(BALANCE),
            [
                {"log": log, "account": a, "commodity": c, "balance": int(s), "last_seq": m}
                for a, c, s, m in sums
            ],
        )
    tree, last = CompactRange(), GENESIS_PREV
    for (h,) in conn.execute(
        select(ENTRY.c.leaf_hash).where(ENTRY.c.log == log).order_by(ENTRY.c.seq)
    ):
        last = bytes(h)
        tree.append(last)
    conn.execute(
        update(HEAD)
        .where(HEAD.c.log == log)
        .values(size=size, root=tree.root(), last_leaf_hash=last, frontier=b"".join(tree.hashes))
    )
    if drop_checkpoints:
        conn.execute(delete(CHECKPOINT).where(CHECKPOINT.c.log == log, CHECKPOINT.c.size > size))


def attack(engine: Engine, move, *args, **kwargs):
    """Drop the triggers and apply ``move(conn, *args, **kwargs)`` in one transaction;
    return what the move returns."""
    with engine.begin() as conn:
        drop_append_only_triggers(conn)
        return move(conn, *args, **kwargs)


@contextmanager
def database_copies(request, tmp_path_factory, build: Callable[[Engine], T]):
    """Build one migrated database with ``build`` on ``request.param`` (``sqlite`` or
    ``postgresql``) and give ``(copy, built)``: ``copy()`` is a context manager yielding an
    engine on a throw-away copy of it (a file copy, or ``CREATE DATABASE … TEMPLATE``)."""
    counter = itertools.count()
    if request.param == "sqlite":
        base = tmp_path_factory.mktemp("copies")
        path = base / "log.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        engine = make_engine(f"sqlite:///{path}")
        built = build(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()

        @contextmanager
        def copy() -> Iterator[Engine]:
            dest = base / f"copy{next(counter)}.db"
            shutil.copyfile(path, dest)
            copy_engine = make_engine(f"sqlite:///{dest}")
            try:
                yield copy_engine
            finally:
                copy_engine.dispose()
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{dest}{suffix}").unlink(missing_ok=True)

        yield copy, built
        return

    server = request.getfixturevalue("pg_server")
    name = server.create()
    engine = make_engine(server.url(name))
    built = build(engine)
    engine.dispose()

    @contextmanager
    def copy() -> Iterator[Engine]:
        copy_name = f"{name}_c{next(counter)}"
        with server.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{copy_name}" TEMPLATE "{name}"'))
        copy_engine = make_engine(server.url(copy_name))
        try:
            yield copy_engine
        finally:
            copy_engine.dispose()
            server.drop(copy_name)

    try:
        yield copy, built
    finally:
        server.drop(name)
