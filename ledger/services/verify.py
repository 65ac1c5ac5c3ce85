"""``log verify``: re-derive everything from the stored leaf bytes and report what disagrees.

The scan reads each log once, in ``seq`` order, in chunks, inside one snapshot. For every entry
it checks the leaf hash, that the leaf is canonical and well-formed, that its fields match the
stored columns, the chain link to the previous leaf, that its postings balance and equal the
stored postings, and the Merkle nodes the entry completes. Then it checks the head, the
projections, every stored checkpoint (signature, root at its size, consistency with the one
before) and, optionally, a checkpoint kept elsewhere. The result is a list of findings; an empty
list means the log is intact.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, func, select, union_all

from ledger.core.canonical import parse_canonical
from ledger.core.entry import (
    GENESIS_PREV,
    EntryDraft,
    check_postings,
    entry_from_leaf,
)
from ledger.core.errors import LedgerError
from ledger.core.findings import Finding
from ledger.core.hashing import leaf_hash
from ledger.core.merkle import CompactRange, NodeID
from ledger.core.note import NoteError, Verifier, open_note, parse_checkpoint
from ledger.core.proof import ProofError, verify_consistency
from ledger.services.log import ENTRY, HEAD, NODE, POSTING
from ledger.services.projections import projectors
from ledger.services.tree import consistency_proof
from ledger.storage.tables import LogCheckpoint

CHECKPOINT = LogCheckpoint.__table__
CHUNK = 5000


@dataclass
class _Scan:
    """State carried across chunks of one log's scan."""

    log: str
    checkpoint_sizes: set[int]
    findings: list[Finding] = field(default_factory=list)
    tree: CompactRange = field(default_factory=CompactRange)
    expected_seq: int = 0
    prev_hash: bytes = GENESIS_PREV
    roots: dict[int, bytes] = field(default_factory=dict)

    def add(self, code: str, message: str, seq: int | None = None) -> None:
        self.findings.append(Finding(code, message, seq, self.log))


def verify_log(
    engine: Engine,
    verifiers: Sequence[Verifier],
    *,
    log: str = "main",
    origin: str | None = None,
    external_checkpoint: str | None = None,
) -> list[Finding]:
    """Verify ``log`` and return its findings (empty when everything agrees).

    ``verifiers`` are the keys whose signatures on checkpoints are accepted; ``origin`` (if
    given) is the origin every checkpoint must carry; ``external_checkpoint`` is a signed note
    kept outside the database, which the log must still contain.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            return _verify(conn, verifiers, log, origin, external_checkpoint)


def _verify(conn, verifiers, log, origin, external) -> list[Finding]:
    checkpoints = conn.execute(
        select(CHECKPOINT).where(CHECKPOINT.c.log == log).order_by(CHECKPOINT.c.number)
    ).all()
    notes = [_open(c.note, verifiers, origin) for c in checkpoints]
    external_cp = _open(external, verifiers, origin) if external is not None else None
    sizes = {cp.size for cp, _ in notes if cp is not None}
    if external_cp is not None and external_cp[0] is not None:
        sizes.add(external_cp[0].size)
    scan = _Scan(log, sizes)
    replays = [p.replay(log) for p in projectors()]
    if 0 in sizes:
        scan.roots[0] = scan.tree.root()

    last = -1
    while True:
        rows = conn.execute(
            select(*_ENTRY_COLUMNS)
            .where(ENTRY.c.log == log, ENTRY.c.seq > last)
            .order_by(ENTRY.c.seq)
            .limit(CHUNK)
        ).all()
        if not rows:
            break
        _scan_chunk(conn, scan, rows, replays)
        last = rows[-1][0]

    _check_node_count(conn, scan)
    _check_head(conn, scan)
    for replay in replays:
        scan.findings.extend(replay.findings(conn))
    _check_checkpoints(conn, scan, checkpoints, notes)
    if external is not None:
        _check_external(scan, external_cp)
    return scan.findings


def _open(note: str, verifiers, origin):
    """(Checkpoint, None) when the note verifies and parses, else (None, reason)."""
    try:
        opened = open_note(note, verifiers)
        cp = parse_checkpoint(opened.text)
    except NoteError as exc:
        return None, str(exc)
    if origin is not None and cp.origin != origin:
        return None, f"origin {cp.origin!r} is not this log's origin {origin!r}"
    return cp, None


#: The ``log_entry`` columns the scan compares, in this order (``log`` is known).
_ENTRY_COLUMNS = (
    ENTRY.c.seq,
    ENTRY.c.kind,
    ENTRY.c.time,
    ENTRY.c.actor,
    ENTRY.c.prev_hash,
    ENTRY.c.leaf,
    ENTRY.c.leaf_hash,
)


def _scan_chunk(conn: Connection, scan: _Scan, rows, replays) -> None:
    first, last = rows[0][0], rows[-1][0]
    stored_postings: dict[int, list[tuple]] = {}
    for seq, idx, account, commodity, amount in conn.execute(
        select(
            POSTING.c.seq, POSTING.c.idx, POSTING.c.account, POSTING.c.commodity, POSTING.c.amount
        )
        .where(POSTING.c.log == scan.log, POSTING.c.seq >= first, POSTING.c.seq <= last)
        .order_by(POSTING.c.seq, POSTING.c.idx)
    ).all():
        stored_postings.setdefault(seq, []).append((idx, account, commodity, amount))
    stored_nodes = _nodes_completed_by(conn, scan.log, first, last)
    computed_nodes: dict[NodeID, tuple[bytes, int]] = {}
    tree = scan.tree

    for row in rows:
        seq, kind, time, actor, prev_hash, leaf, stored_hash = row
        if seq != scan.expected_seq:
            if seq > scan.expected_seq:
                scan.add(
                    "entry.missing",
                    f"entries {scan.expected_seq}..{seq - 1} are missing",
                    scan.expected_seq,
                )
            else:  # cannot happen with a primary key, but say so if it does
                scan.add("entry.duplicate", "entry appears more than once", seq)
        scan.expected_seq = seq + 1
        leaf = bytes(leaf)
        entry = problem = None
        try:
            entry = entry_from_leaf(leaf, parse_canonical(leaf))
        except LedgerError as exc:
            problem = "leaf.not_canonical", f"leaf is not canonical JSON: {exc.message}"
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            problem = "leaf.malformed", f"leaf does not have the entry shape: {exc!r}"
        # entry_from_leaf hashed the leaf already; hash it here only when it could not.
        digest = entry.leaf_hash if entry is not None else leaf_hash(leaf)
        if digest != stored_hash:
            scan.add("leaf.hash_mismatch", "stored leaf hash is not the hash of the leaf", seq)
        if problem is not None:
            scan.add(*problem, seq)
        if entry is not None:
            if (seq, kind, time, actor, bytes(prev_hash)) != (
                entry.seq,
                entry.kind,
                entry.time,
                entry.actor,
                entry.prev,
            ):
                _column_findings(scan, seq, kind, time, actor, prev_hash, entry)
            _check_postings(scan, entry, stored_postings.get(seq, []))
            for replay in replays:
                replay.feed(entry)
        if entry is None or entry.prev != scan.prev_hash:
            scan.add("chain.broken", "leaf does not link to the previous leaf's hash", seq)
        scan.prev_hash = digest
        for node, h in tree.append(digest):
            computed_nodes[node] = (h, seq)
        if tree.size in scan.checkpoint_sizes:
            scan.roots[tree.size] = tree.root()

    for node, (h, seq) in computed_nodes.items():
        stored = stored_nodes.get(node)
        if stored != h:
            what = "missing" if stored is None else "wrong"
            scan.add("tree.node_mismatch", f"stored tree node {node} is {what}", seq)


def _column_findings(scan: _Scan, seq, kind, time, actor, prev_hash, entry) -> None:
    """The stored columns of ``seq`` differ from its leaf: say which way."""
    if entry.seq != seq:
        scan.add("leaf.seq_mismatch", f"leaf says seq {entry.seq} but is stored at {seq}", seq)
    if (kind, time, actor, bytes(prev_hash)) != (entry.kind, entry.time, entry.actor, entry.prev):
        scan.add("entry.column_mismatch", "stored columns differ from the leaf", seq)


def _check_postings(scan: _Scan, entry, stored: list[tuple]) -> None:
    seq = entry.seq
    draft = EntryDraft(entry.kind, entry.body, entry.actor, entry.postings)
    for error in check_postings(draft, f"seq {seq}"):
        scan.add(error.code, error.message, seq)
    want = [(i, p.account, p.commodity, p.amount) for i, p in enumerate(entry.postings)]
    if stored != want:
        scan.add("posting.mismatch", "stored postings differ from the leaf's postings", seq)


def _nodes_completed_by(conn: Connection, log: str, first: int, last: int) -> dict:
    """Stored nodes (level >= 1) whose last leaf lies in ``[first, last]``.

    One primary-key range per level, glued with UNION ALL: given an OR of the ranges, SQLite
    would scan every node of the log for every chunk.
    """
    ranges = []
    level = 1
    while (1 << level) <= last + 1:
        lo = ((first + (1 << level)) >> level) - 1  # smallest idx ending at or after first
        hi = (last + 1) >> level
        if lo < hi:
            ranges.append(
                select(NODE.c.level, NODE.c.idx, NODE.c.hash).where(
                    NODE.c.log == log, NODE.c.level == level, NODE.c.idx >= lo, NODE.c.idx < hi
                )
            )
        level += 1
    if not ranges:
        return {}
    rows = conn.execute(union_all(*ranges)).all()
    return {(level, idx): bytes(h) for level, idx, h in rows}


def _check_node_count(conn: Connection, scan: _Scan) -> None:
    size = scan.tree.size
    want = sum(size >> level for level in range(1, size.bit_length() + 1))
    have = conn.execute(select(func.count()).select_from(NODE).where(NODE.c.log == scan.log))
    have = have.scalar_one()
    if have != want:
        scan.add("tree.node_count", f"{have} stored tree nodes, the log needs {want}")


def _check_head(conn: Connection, scan: _Scan) -> None:
    row = conn.execute(select(HEAD).where(HEAD.c.log == scan.log)).one_or_none()
    if row is None:
        scan.add("head.missing", "the log has no head row")
        return
    tree = scan.tree
    if row.size != tree.size:
        seq = min(row.size, tree.size)
        scan.add("head.size", f"head says {row.size} entries, the log has {tree.size}", seq)
    elif (bytes(row.root), bytes(row.last_leaf_hash), bytes(row.frontier)) != (
        tree.root(),
        scan.prev_hash,
        b"".join(tree.hashes),
    ):
        scan.add("head.mismatch", "head root or frontier differs from the log", tree.size - 1)


def _check_checkpoints(conn, scan: _Scan, rows, notes) -> None:
    previous = None
    for number, (row, (cp, reason)) in enumerate(zip(rows, notes, strict=True)):
        label = f"checkpoint {row.number}"
        if row.number != number:
            scan.add("checkpoint.numbering", f"{label} is out of sequence (expected {number})")
        if cp is None:
            scan.add("checkpoint.signature", f"{label} does not verify: {reason}")
            continue
        if (cp.size, cp.root) != (row.size, bytes(row.root)):
            scan.add("checkpoint.columns", f"{label}: stored size/root differ from its note")
        if not _root_matches(scan, cp, label):
            continue
        if previous is not None:
            if cp.size < previous.size:
                scan.add("checkpoint.shrunk", f"{label} is smaller than the one before")
                continue
            if previous.size > 0:
                try:
                    proof = consistency_proof(conn, scan.log, previous.size, cp.size)
                    verify_consistency(previous.size, cp.size, proof, previous.root, cp.root)
                except (LedgerError, ProofError) as exc:
                    scan.add(
                        "checkpoint.inconsistent",
                        f"{label} is not consistent with the one before: {exc}",
                    )
        previous = cp


def _root_matches(scan: _Scan, cp, label: str) -> bool:
    if cp.size > scan.tree.size:
        scan.add(
            "log.truncated",
            f"{label} covers {cp.size} entries but the log has {scan.tree.size}",
            scan.tree.size,
        )
        return False
    if scan.roots.get(cp.size) != cp.root:
        scan.add(
            "log.rewritten",
            f"{label}: the first {cp.size} entries no longer have the signed root",
            cp.size - 1 if cp.size else None,
        )
        return False
    return True


def _check_external(scan: _Scan, opened) -> None:
    cp, reason = opened
    if cp is None:
        scan.add("checkpoint.external", f"the given checkpoint does not verify: {reason}")
        return
    _root_matches(scan, cp, "the given checkpoint")


def summarize(findings: Iterable[Finding]) -> str:
    lines = [str(f) for f in findings]
    return "\n".join(lines) if lines else "ok"
