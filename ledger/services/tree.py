"""Merkle roots and proofs read from stored subtree hashes, for an explicitly named size.

Each function reads O(log n) stored hashes in at most two queries: leaf hashes from
``log_entry`` and perfect-subtree hashes from ``log_tree_node``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, select, union_all

from ledger.core import merkle
from ledger.core.errors import NotFoundError, ValidationError
from ledger.core.merkle import NodeID
from ledger.services.log import ENTRY, NODE, read_head


def fetch_nodes(conn: Connection, log: str, ids: Iterable[NodeID]) -> dict[NodeID, bytes]:
    """The stored hashes of ``ids``; a missing node raises NotFoundError."""
    ids = set(ids)
    leaves = sorted(idx for level, idx in ids if level == 0)
    inner = sorted((level, idx) for level, idx in ids if level > 0)
    found: dict[NodeID, bytes] = {}
    if leaves:
        for seq, h in conn.execute(
            select(ENTRY.c.seq, ENTRY.c.leaf_hash).where(
                ENTRY.c.log == log, ENTRY.c.seq.in_(leaves)
            )
        ):
            found[(0, seq)] = h
    if inner:
        # One primary-key lookup per level, glued with UNION ALL: SQLite does not use the
        # primary key for ``(level, idx) IN (VALUES ...)`` (nor, reliably, for an OR of
        # per-level terms) and would scan every node of the log instead.
        by_level: dict[int, list[int]] = {}
        for level, idx in inner:
            by_level.setdefault(level, []).append(idx)
        lookups = [
            select(NODE.c.level, NODE.c.idx, NODE.c.hash).where(
                NODE.c.log == log, NODE.c.level == level, NODE.c.idx.in_(idxs)
            )
            for level, idxs in by_level.items()
        ]
        for level, idx, h in conn.execute(union_all(*lookups)):
            found[(level, idx)] = h
    missing = ids - found.keys()
    if missing:
        raise NotFoundError(
            "tree.node_missing",
            f"log {log!r} is missing {len(missing)} stored tree node(s), e.g. {min(missing)}",
        )
    return found


def _check_size(conn: Connection, log: str, size: int, what: str = "size") -> None:
    if type(size) is not int or size < 0:
        raise ValidationError("tree.size", f"{what} must be a non-negative integer")
    current = read_head(conn, log).size
    if size > current:
        raise NotFoundError(
            "tree.size_too_large",
            f"{what} {size} is larger than the log ({current} entries)",
            {"size": current},
        )


def root_at(conn: Connection, log: str, size: int) -> bytes:
    """RFC 9162 root of the first ``size`` entries of ``log``."""
    _check_size(conn, log, size)
    plan = merkle.root_plan(size)
    hashes = fetch_nodes(conn, log, plan)
    return merkle.fold([hashes[n] for n in plan])


def leaf_hash_at(conn: Connection, log: str, seq: int) -> bytes:
    return fetch_nodes(conn, log, [(0, seq)])[(0, seq)]


def inclusion_proof(conn: Connection, log: str, index: int, size: int) -> list[bytes]:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` entries."""
    return inclusion_proofs(conn, log, [index], size)[0]


def inclusion_proofs(
    conn: Connection, log: str, indexes: Sequence[int], size: int
) -> list[list[bytes]]:
    """The inclusion proofs of entries ``indexes`` in the tree of ``size`` entries, in order,
    from one read of the stored hashes they need (a receipt batch)."""
    _check_size(conn, log, size)
    for index in indexes:
        if type(index) is not int or not 0 <= index < size:
            raise ValidationError("tree.index", f"seq {index} is not in a tree of size {size}")
    plans = [merkle.inclusion_plan(index, size) for index in indexes]
    hashes = fetch_nodes(conn, log, {node for plan in plans for node in merkle.plan_nodes(plan)})
    return [merkle.build(plan, hashes) for plan in plans]


def consistency_proof(conn: Connection, log: str, old: int, new: int) -> list[bytes]:
    """RFC 9162 consistency proof from ``old`` to ``new`` entries (0 < old <= new)."""
    _check_size(conn, log, new, "new size")
    if type(old) is not int or not 0 < old <= new:
        raise ValidationError("tree.old_size", f"old size must be in 1..{new}, not {old}")
    plan = merkle.consistency_plan(old, new)
    return merkle.build(plan, fetch_nodes(conn, log, merkle.plan_nodes(plan)))


def inclusion_document(conn: Connection, log: str, seq: int, size: int) -> dict:
    """The published inclusion proof: ``leaf_index, tree_size, leaf_hash, root, proof`` (hex)."""
    proof = inclusion_proof(conn, log, seq, size)
    return {
        "leaf_index": seq,
        "tree_size": size,
        "leaf_hash": leaf_hash_at(conn, log, seq).hex(),
        "root": root_at(conn, log, size).hex(),
        "proof": [h.hex() for h in proof],
    }


def consistency_document(conn: Connection, log: str, old: int, new: int) -> dict:
    """The published consistency proof: ``old_size, new_size, old_root, new_root, proof``."""
    proof = consistency_proof(conn, log, old, new)
    return {
        "old_size": old,
        "new_size": new,
        "old_root": root_at(conn, log, old).hex(),
        "new_root": root_at(conn, log, new).hex(),
        "proof": [h.hex() for h in proof],
    }
