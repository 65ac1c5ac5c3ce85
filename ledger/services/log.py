"""The append path and reads of a log.

:func:`append` is the only way entries enter a log. It runs inside the caller's write
transaction (see :func:`ledger.storage.db.write_transaction`), so a domain module can write its
own rows atomically with the entries; :func:`append_batch` opens that transaction itself.
Guarantees: a batch is validated in full before anything is written; entries get contiguous
``seq`` numbers after the head, chained by leaf hash; the entries, their postings, the new
Merkle nodes, the projections and the new head are written in one transaction.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, insert, select, update

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
from ledger.services.bulk import insert_many
from ledger.services.clock import utc_now
from ledger.services.projections import projectors
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


def read_head(conn: Connection, log: str = "main", *, lock: bool = False) -> Head:
    """Read (and with ``lock`` on PostgreSQL, lock until commit) the head of ``log``."""
    stmt = select(HEAD).where(HEAD.c.log == log)
    if lock and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).one_or_none()
    if row is None:
        raise NotFoundError("log.unknown", f"there is no log named {log!r}")
    return Head(log, row.size, row.root, row.last_leaf_hash, _split(row.frontier))


def request_hash(drafts: Sequence[EntryDraft]) -> bytes:
    """Digest of what the caller asked to append, to recognise an idempotent retry."""
    return hashlib.sha256(canonical_json([d.content() for d in drafts])).digest()


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_LEN or not key.isprintable():
        raise ValidationError(
            "idempotency.key",
            f"an idempotency key must be 1..{MAX_KEY_LEN} printable characters",
        )


def _projection_errors(drafts: Sequence[EntryDraft]) -> list[ValidationError]:
    checks = [projector.check for projector in projectors()]
    return [
        error
        for i, draft in enumerate(drafts)
        for check in checks
        for error in check(draft, f"entry {i}")
    ]


def append(
    conn: Connection,
    drafts: Sequence[EntryDraft],
    *,
    log: str = "main",
    idempotency_key: str | None = None,
    time: str | None = None,
) -> list[Entry]:
    """Append ``drafts`` to ``log`` inside the caller's write transaction.

    With ``idempotency_key``: if the key was used before with the same content, the original
    entries are returned and nothing is written; with other content, ConflictError.
    Raises ValidationError (nothing written) when any draft breaks a rule.
    """
    raise_first(validate_drafts(drafts) or _projection_errors(drafts))
    digest = None
    if idempotency_key is not None:
        _check_key(idempotency_key)
        digest = request_hash(drafts)
    head = read_head(conn, log, lock=True)
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
            return list(
                read_entries(conn, log, earlier.first_seq, earlier.first_seq + earlier.count)
            )

    time = time or utc_now()
    entries = seal_entries(head.size, drafts, time, head.last_leaf_hash)
    tree = CompactRange(head.size, head.frontier)
    levels = tree.append_many([e.leaf_hash for e in entries])

    insert_many(
        conn,
        _INSERT_ENTRY,
        _ENTRY_ROW,
        [(log, e.seq, e.kind, e.time, e.actor, e.prev, e.leaf, e.leaf_hash) for e in entries],
    )
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
    insert_many(
        conn,
        _INSERT_NODE,
        _NODE_ROW,
        [
            (log, level, idx, h)
            for level, hashes in enumerate(levels, 1)
            for idx, h in enumerate(hashes, head.size >> level)
        ],
    )
    if idempotency_key is not None:
        conn.execute(
            insert(IDEMPOTENCY),
            {
                "log": log,
                "key": idempotency_key,
                "request_hash": digest,
                "first_seq": head.size,
                "count": len(entries),
            },
        )
    for projector in projectors():
        projector.apply(conn, log, entries)
    conn.execute(
        update(HEAD)
        .where(HEAD.c.log == log)
        .values(
            size=tree.size,
            root=tree.root(),
            last_leaf_hash=entries[-1].leaf_hash,
            frontier=b"".join(tree.hashes),
        )
    )
    return entries


def append_batch(
    engine: Engine,
    drafts: Sequence[EntryDraft],
    *,
    log: str = "main",
    idempotency_key: str | None = None,
) -> list[Entry]:
    """:func:`append` in a transaction of its own."""
    with write_transaction(engine) as conn:
        return append(conn, drafts, log=log, idempotency_key=idempotency_key)


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


def entry_json(seq: int, kind: str, leaf: bytes, leaf_hash: bytes) -> dict:
    """The published form of an entry: its exact leaf bytes (base64) and leaf hash (hex)."""
    return {
        "seq": seq,
        "kind": kind,
        "leaf": base64.b64encode(leaf).decode(),
        "leaf_hash": leaf_hash.hex(),
    }
