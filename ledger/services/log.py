"""The append path and reads of a log.

:func:`write` is the one path for a service that checks facts and appends: it takes the log's
head lock, answers an idempotent retry, then lets the service read projections, decide and
append, all in one transaction. :func:`append` is the step that writes; it runs only inside a
write transaction (:func:`write`, or :func:`ledger.storage.db.write_transaction` for the audit
chain). Guarantees: a batch is validated in full (the core's rules and its kinds' modules')
before anything is written; entries get contiguous ``seq`` numbers after the head, chained by
leaf hash; the entries, their postings, the new Merkle nodes, the projections and the new head
are written in one transaction.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from ledger.core.canonical import canonical_json
from ledger.core.entry import (
    Entry,
    EntryDraft,
    Posting,
    raise_first,
    seal_entries,
    validate_drafts,
)
from ledger.core.errors import ConflictError, NotFoundError, ValidationError
from ledger.core.hashing import HASH_SIZE
from ledger.core.merkle import CompactRange
from ledger.platform.memory import without_gc
from ledger.platform.registry import SALT_KEY, Registry, registry
from ledger.services.bulk import blob_type, insert_many
from ledger.services.clock import utc_now
from ledger.storage.db import LOCKED as _LOCKED
from ledger.storage.db import write_transaction
from ledger.storage.tables import (
    LogEntry,
    LogHead,
    LogIdempotency,
    LogPosting,
    LogTreeNode,
)

ENTRY = LogEntry.__table__
POSTING = LogPosting.__table__
NODE = LogTreeNode.__table__
HEAD = LogHead.__table__
IDEMPOTENCY = LogIdempotency.__table__

LOGS = ("main", "audit")
MAX_KEY_LEN = 200

# The rows the append path writes, as tuples in these column orders (see ledger.services.bulk).
_ENTRY_ROW = ("log", "seq", "kind", "time", "actor", "prev_hash", "leaf", "leaf_hash")
_POSTING_ROW = ("log", "seq", "idx", "account", "commodity", "amount")
_NODE_ROW = ("log", "level", "idx", "hash")
_INSERT_ENTRY = insert(ENTRY)
_INSERT_POSTING = insert(POSTING)
_INSERT_NODE = insert(NODE)


@dataclass(frozen=True, slots=True)
class Head:
    """The head of a log: ``size`` entries, Merkle ``root``, the last leaf hash, and the
    hashes of the perfect subtrees on the right edge of the tree (``frontier``)."""

    log: str
    size: int
    root: bytes
    last_leaf_hash: bytes
    frontier: tuple[bytes, ...]


def _split(blob: bytes) -> tuple[bytes, ...]:
    return tuple(blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE))


_READ_HEAD = select(HEAD).where(HEAD.c.log == bindparam("log"))
_LOCK_HEAD = _READ_HEAD.with_for_update()


def read_head(conn: Connection, log: str = "main", *, lock: bool = False) -> Head:
    """Read (and with ``lock`` on PostgreSQL, lock until commit) the head of ``log``."""
    stmt = _LOCK_HEAD if lock and conn.dialect.name == "postgresql" else _READ_HEAD
    row = conn.execute(stmt, {"log": log}).one_or_none()
    if row is None:
        raise NotFoundError("log.unknown", f"there is no log named {log!r}")
    return Head(log, row.size, row.root, row.last_leaf_hash, _split(row.frontier))


def request_content(drafts: Sequence[EntryDraft]) -> list:
    """What a caller asked to append, to recognise an idempotent retry of the same drafts."""
    return [d.content() for d in drafts]


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_LEN or not key.isprintable():
        raise ValidationError(
            "idempotency.key",
            f"an idempotency key must be 1..{MAX_KEY_LEN} printable characters",
        )


def _salted(drafts: Sequence[EntryDraft], log: str, reg: Registry) -> list[EntryDraft]:
    """``drafts`` with a fresh 128-bit salt in the body of every scoped one (see
    :attr:`ledger.platform.EntryKind.public`)."""
    if log != "main":
        return list(drafts)
    kinds = reg.kinds
    salts = os.urandom(16 * len(drafts)).hex()
    return [
        d
        if kinds[d.kind].public
        else EntryDraft(
            d.kind, {**d.body, SALT_KEY: salts[32 * i : 32 * i + 32]}, d.actor, d.postings
        )
        for i, d in enumerate(drafts)
    ]


def _lock(conn: Connection, log: str) -> Head:
    """Lock ``log``'s head for the rest of the write transaction (main before audit, always)
    and read it. Once locked, the head is the one this transaction last wrote (kept in
    ``conn.info``): no other writer can move it before the commit, so it is not read again."""
    locked = conn.info.get(_LOCKED)
    if locked is None or not conn.in_transaction():
        raise RuntimeError(
            "append outside a write transaction: use ledger.services.log.write or "
            "ledger.storage.db.write_transaction"
        )
    head = locked.get(log)
    if head is None:
        if log == "main" and "audit" in locked:
            raise RuntimeError("lock order: a transaction that writes both logs locks main first")
        head = locked[log] = read_head(conn, log, lock=True)
    return head


def append(
    conn: Connection,
    drafts: Sequence[EntryDraft],
    *,
    log: str = "main",
    time: str | None = None,
) -> list[Entry]:
    """Append ``drafts`` to ``log`` inside the caller's write transaction (refused outside
    one), taking the log's head lock if the transaction does not hold it yet.

    Raises ValidationError (nothing written) when any draft breaks a rule of the core or of
    its kind's module. Scoped drafts get a fresh salt in their body. Writes the entries, their
    postings, the new tree nodes, the projections of their kinds and the new head.
    """
    reg = registry()
    raise_first(validate_drafts(drafts) or reg.check_drafts(drafts, log))
    head = _lock(conn, log)
    time = time or utc_now()
    entries = seal_entries(head.size, _salted(drafts, log, reg), time, head.last_leaf_hash)
    tree = CompactRange(head.size, head.frontier)
    levels = tree.append_many([e.leaf_hash for e in entries])

    blob = blob_type(conn)
    rows = [
        (log, e.seq, e.kind, e.time, e.actor, blob(e.prev), blob(e.leaf), blob(e.leaf_hash))
        for e in entries
    ]
    nodes = [
        (log, level, idx, blob(h))
        for level, hashes in enumerate(levels, 1)
        for idx, h in enumerate(hashes, head.size >> level)
    ]
    insert_many(conn, _INSERT_ENTRY, _ENTRY_ROW, rows)
    insert_many(
        conn,
        _INSERT_POSTING,
        _POSTING_ROW,
        [
            (log, e.seq, i, p.account, p.commodity, p.amount)
            for e in entries
            for i, p in enumerate(e.postings)
        ],
    )
    insert_many(conn, _INSERT_NODE, _NODE_ROW, nodes)
    for projector in reg.projectors_for(log):
        kinds = projector.kinds
        mine = entries if kinds is None else [e for e in entries if e.kind in kinds]
        if mine:
            projector.apply(conn, log, mine)
    new_head = Head(log, tree.size, tree.root(), entries[-1].leaf_hash, tuple(tree.hashes))
    conn.execute(
        update(HEAD)
        .where(HEAD.c.log == log)
        .values(
            size=new_head.size,
            root=new_head.root,
            last_leaf_hash=new_head.last_leaf_hash,
            frontier=b"".join(new_head.frontier),
        )
    )
    conn.info[_LOCKED][log] = new_head
    return entries


class Write:
    """One locked write to a log, handed to the ``decide`` function of :func:`write`.

    Attributes:
      conn: the write transaction's connection: read projections through it (the log's head
        lock is held, so what is read cannot change before the commit).
      log: the log written.
      entries: what this write appended so far.
    """

    def __init__(self, conn: Connection, log: str):
        self.conn = conn
        self.log = log
        self.entries: list[Entry] = []

    def append(self, drafts: Sequence[EntryDraft]) -> list[Entry]:
        """Append ``drafts`` (see :func:`append`); return their entries."""
        entries = append(self.conn, drafts, log=self.log)
        self.entries.extend(entries)
        return entries


def write(
    engine: Engine,
    decide: Callable[[Write], object],
    *,
    idempotency_key: str | None = None,
    request: object = None,
    log: str = "main",
) -> list[Entry]:
    """The one write path for a service that checks facts and appends, atomically.

    In one write transaction: take ``log``'s head lock (so no other writer of the log runs
    until the commit); with ``idempotency_key``, answer a retry (the key used before with the
    same ``request``, a JSON value describing what was asked) with the entries the first
    request appended, without calling ``decide``, or refuse the key used with another
    request (ConflictError); otherwise call ``decide(write)``, which reads the projections
    through ``write.conn``, raises a LedgerError to refuse (nothing is written), or appends
    with ``write.append``. Returns the entries appended (or, for a retry, the original ones).

    The cyclic garbage collector is paused for the transaction: a large write builds many
    objects (drafts, entries, rows) and no cycles, and its collections cost a fifth of the
    time of finalising a distribution.
    """
    digest = None
    if idempotency_key is not None:
        _check_key(idempotency_key)
        digest = hashlib.sha256(canonical_json(request)).digest()
    registry()  # a process's first write loads the modules here, not while holding the lock
    with without_gc(), write_transaction(engine) as conn:
        head = _lock(conn, log)
        if idempotency_key is not None:
            earlier = conn.execute(
                select(IDEMPOTENCY).where(
                    IDEMPOTENCY.c.log == log, IDEMPOTENCY.c.key == idempotency_key
                )
            ).one_or_none()
            if earlier is not None:
                if earlier.request_hash != digest:
                    raise ConflictError(
                        "idempotency.conflict",
                        f"idempotency key {idempotency_key!r} was already used with other content",
                        {"first_seq": earlier.first_seq, "count": earlier.count},
                    )
                first = earlier.first_seq
                return list(read_entries(conn, log, first, first + earlier.count))
        tx = Write(conn, log)
        decide(tx)
        if idempotency_key is not None and tx.entries:
            conn.execute(
                insert(IDEMPOTENCY),
                {
                    "log": log,
                    "key": idempotency_key,
                    "request_hash": digest,
                    "first_seq": head.size,
                    "count": len(tx.entries),
                },
            )
        return tx.entries


def append_batch(
    engine: Engine,
    drafts: Sequence[EntryDraft],
    *,
    log: str = "main",
    idempotency_key: str | None = None,
) -> list[Entry]:
    """:func:`append` through :func:`write`: one transaction, idempotent by the drafts'
    content when ``idempotency_key`` is given (the drafts are checked first, so a malformed
    draft is refused for what is wrong with it, not for what the key's digest cannot hold)."""
    if idempotency_key is not None:
        raise_first(validate_drafts(drafts) or registry().check_drafts(drafts, log))
    return write(
        engine,
        lambda tx: tx.append(drafts),
        idempotency_key=idempotency_key,
        request=request_content(drafts) if idempotency_key is not None else None,
        log=log,
    )


def _entry_from_row(row, postings: Sequence[Posting]) -> Entry:
    obj = json.loads(row.leaf)
    return Entry(
        seq=row.seq,
        kind=row.kind,
        body=obj.get("body", {}),
        actor=row.actor,
        time=row.time,
        prev=row.prev_hash,
        postings=tuple(postings),
        leaf=row.leaf,
        leaf_hash=row.leaf_hash,
    )


def read_entries(conn: Connection, log: str, start: int, end: int) -> Iterator[Entry]:
    """Entries ``start <= seq < end`` as stored (postings from the posting table)."""
    rows = conn.execute(
        select(ENTRY)
        .where(ENTRY.c.log == log, ENTRY.c.seq >= start, ENTRY.c.seq < end)
        .order_by(ENTRY.c.seq)
    ).all()
    by_seq: dict[int, list[Posting]] = {}
    for p in conn.execute(
        select(POSTING)
        .where(POSTING.c.log == log, POSTING.c.seq >= start, POSTING.c.seq < end)
        .order_by(POSTING.c.seq, POSTING.c.idx)
    ):
        by_seq.setdefault(p.seq, []).append(Posting(p.account, p.commodity, p.amount))
    for row in rows:
        yield _entry_from_row(row, by_seq.get(row.seq, ()))


def iter_leaves(
    conn: Connection, log: str, start: int, end: int, chunk: int = 5000
) -> Iterator[tuple[int, str, bytes, bytes]]:
    """``(seq, kind, leaf, leaf_hash)`` for ``start <= seq < end``, streamed in chunks."""
    while start < end:
        stop = min(end, start + chunk)
        rows = conn.execute(
            select(ENTRY.c.seq, ENTRY.c.kind, ENTRY.c.leaf, ENTRY.c.leaf_hash)
            .where(ENTRY.c.log == log, ENTRY.c.seq >= start, ENTRY.c.seq < stop)
            .order_by(ENTRY.c.seq)
        ).all()
        for seq, kind, leaf, leaf_hash in rows:
            yield seq, kind, bytes(leaf), bytes(leaf_hash)
        start = stop


def entry_json(seq: int, kind: str, leaf: bytes, leaf_hash: bytes, readable: bool = True) -> dict:
    """The published form of an entry: its exact leaf bytes (base64) and leaf hash (hex); for
    a reader who may not read its contents, only its position and leaf hash."""
    if not readable:
        return {"seq": seq, "leaf_hash": leaf_hash.hex()}
    return {
        "seq": seq,
        "kind": kind,
        "leaf": base64.b64encode(leaf).decode(),
        "leaf_hash": leaf_hash.hex(),
    }
