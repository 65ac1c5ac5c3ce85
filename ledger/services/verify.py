"""``log verify``: re-derive everything from the stored leaf bytes and report what disagrees.

The scan reads each log once, in ``seq`` order, in chunks, inside one snapshot. For every entry
it checks the leaf hash, that the leaf is canonical and well-formed, that its fields match the
stored columns, the chain link to the previous leaf, that its postings balance and equal the
stored postings, and the Merkle nodes the entry completes. Then it checks the head, the
projections, every stored checkpoint (signature, root at its size, consistency with the one
before) and, optionally, a checkpoint kept elsewhere. The result is a list of findings; an empty
list means the log is intact.

The per-entry checks of a chunk (:mod:`ledger.services.verify_scan`) need nothing from other
chunks, so on a big log they run in worker processes, one chunk at a time each, while this
process takes the chunks back in order and does what is sequential: the link of each chunk's
first entry, a gap between chunks, the Merkle tree and the stored nodes, and the projection
replays (merging the parts the workers fed). The findings are the same, in the same order,
whichever process checked a chunk. The workers come from multiprocessing's ``forkserver``: a
clean process, started the first time this process verifies in parallel (about half a second,
once), which forks them; never a fork of this process, whose threads and open SQLite
connections a child must not inherit. Like every multiprocessing user, a script that verifies
a big log must keep its top level under ``if __name__ == "__main__":`` (the server imports the
main module), or pass ``workers=1``. Each worker opens its own connection from ``engine.url``
and reads only rows with a ``seq`` no greater than the last entry of this process's snapshot:
on PostgreSQL inside that very snapshot (exported to them); on SQLite, which cannot share one,
in a later snapshot, which holds the same rows at those seqs because entries and postings are
only ever inserted, at the head (the append-only triggers see to it). If the workers fail in
any way, this process warns and checks everything itself.

The scan pauses the garbage collector: it makes millions of small objects and no reference
cycles, and collections would cost about a sixth of its time.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, bindparam, func, select, union_all

from ledger.core.entry import GENESIS_PREV
from ledger.core.errors import LedgerError
from ledger.core.findings import Finding
from ledger.core.merkle import CompactRange
from ledger.core.note import NoteError, Verifier, open_note, parse_checkpoint
from ledger.core.proof import ProofError, verify_consistency
from ledger.platform import registry
from ledger.platform.memory import without_gc
from ledger.services import verify_scan
from ledger.services.log import ENTRY, HEAD, NODE
from ledger.services.projections import Replay
from ledger.services.tree import consistency_proof
from ledger.services.verify_scan import Chunk, check_chunk, read_chunk
from ledger.storage.tables import LogCheckpoint

CHECKPOINT = LogCheckpoint.__table__
CHUNK = 5000
#: Logs with fewer entries are scanned in this process: starting workers would cost more
#: than they save (the break-even, starting the forkserver too, is near 90,000 entries).
PARALLEL_MIN_ENTRIES = 100_000
MAX_WORKERS = 4

_logger = logging.getLogger(__name__)


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
    workers: int | None = None,
) -> list[Finding]:
    """Verify ``log`` and return its findings (empty when everything agrees).

    ``verifiers`` are the keys whose signatures on checkpoints are accepted; ``origin`` (if
    given) is the origin every checkpoint must carry; ``external_checkpoint`` is a signed note
    kept outside the database, which the log must still contain. ``workers`` is how many
    processes check entries: 1 checks them here; None (the default) uses one per available CPU
    (at most :data:`MAX_WORKERS`) for logs of :data:`PARALLEL_MIN_ENTRIES` or more entries on
    a database other processes can open, else 1.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            return _verify(conn, engine, verifiers, log, origin, external_checkpoint, workers)


def _verify(conn, engine, verifiers, log, origin, external, workers) -> list[Finding]:
    checkpoints = conn.execute(
        select(CHECKPOINT).where(CHECKPOINT.c.log == log).order_by(CHECKPOINT.c.number)
    ).all()
    notes = [_open(c.note, verifiers, origin) for c in checkpoints]
    external_cp = _open(external, verifiers, origin) if external is not None else None
    sizes = {cp.size for cp, _ in notes if cp is not None}
    if external_cp is not None and external_cp[0] is not None:
        sizes.add(external_cp[0].size)
    top = conn.execute(select(func.max(ENTRY.c.seq)).where(ENTRY.c.log == log)).scalar()
    workers = _worker_count(engine, workers, top)

    with without_gc():
        try:
            scan, replays = _scan_entries(conn, engine, log, sizes, top, workers)
        except Exception as exc:
            if workers == 1:
                raise
            # The workers are only a speed-up: they could not start, reach the database or
            # send a replay back. This process checks everything itself (and raises, after
            # this exception, if the fault was not theirs).
            _logger.warning("log verify: worker processes failed (%r); checking here", exc)
            scan, replays = _scan_entries(conn, engine, log, sizes, top, 1)

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


def _worker_count(engine: Engine, requested: int | None, top: int | None) -> int:
    """How many processes should check entries (see :func:`verify_log`)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return 1
    if requested is not None:
        return max(1, requested)
    if top is None or top + 1 < PARALLEL_MIN_ENTRIES:
        return 1
    url = engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            return 1  # a private or URI-named database: other processes may not open it
    elif url.get_backend_name() != "postgresql":
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return min(cpus, MAX_WORKERS) if cpus > 1 else 1


def _scan_entries(conn, engine, log, sizes, top, workers) -> tuple[_Scan, list[Replay]]:
    """Check every entry of ``log`` up to ``top``: the chunks (here or in ``workers``
    processes), then, in order, what joins them. Returns the scan state and the replays."""
    scan = _Scan(log, sizes)
    replays = [p.replay(log) for p in registry().projectors_for(log)]
    if 0 in sizes:
        scan.roots[0] = scan.tree.root()
    ranges = _ranges(conn, log, top)
    if workers == 1:
        accounts: set[str] = set()
        for after, upto in ranges:
            entries, postings = read_chunk(conn, log, after, upto)
            _join(conn, scan, check_chunk(log, entries, postings, replays, accounts))
    else:

        def take(chunk: Chunk) -> None:
            _join(conn, scan, chunk)
            for replay, part in zip(replays, chunk.replays, strict=True):
                replay.merge(part)

        _check_in_workers(conn, engine, log, ranges, workers, take)
    return scan, replays


def _ranges(conn: Connection, log: str, top: int | None) -> Iterator[tuple[int, int]]:
    """``(after, upto)`` seq bounds of the chunks: :data:`CHUNK` entries each, the last one
    ending at ``top`` (the last seq of this snapshot)."""
    after = -1
    while top is not None and after < top:
        upto = conn.execute(
            select(ENTRY.c.seq)
            .where(ENTRY.c.log == log, ENTRY.c.seq > after)
            .order_by(ENTRY.c.seq)
            .offset(CHUNK - 1)
            .limit(1)
        ).scalar()
        upto = top if upto is None else min(upto, top)
        yield after, upto
        after = upto


def _check_in_workers(conn, engine, log, ranges, workers, take) -> None:
    """Have a pool of ``workers`` processes check the chunks of ``ranges``; ``take`` each
    checked chunk, in order. The pool is gone when this returns or raises."""
    snapshot = None
    if conn.dialect.name == "postgresql":
        snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
    url = engine.url
    if url.get_backend_name() == "sqlite":  # the workers' working directory may differ
        url = url.set(database=os.path.abspath(url.database))
    context = multiprocessing.get_context("forkserver")
    # Loaded once into the server (if it is not running yet), not into every worker.
    context.set_forkserver_preload(["__main__", verify_scan.__name__])
    pool = ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=verify_scan.init_worker,
        initargs=(
            url.render_as_string(hide_password=False),
            log,
            snapshot,
            registry().projectors_for(log),
        ),
    )
    try:
        pending: deque = deque()
        for after, upto in ranges:
            pending.append(pool.submit(verify_scan.work, after, upto))
            if len(pending) > 2 * workers:  # enough queued to keep every worker busy
                take(pending.popleft().result())
        while pending:
            take(pending.popleft().result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _join(conn: Connection, scan: _Scan, chunk: Chunk) -> None:
    """Take a checked chunk into the scan, after the chunks before it."""
    seqs = chunk.seqs
    if not seqs:
        return
    first, last = seqs[0], seqs[-1]
    if first != scan.expected_seq:
        verify_scan.report_gap(scan.add, scan.expected_seq, first)
    scan.expected_seq = last + 1
    k = chunk.first_findings
    scan.findings.extend(chunk.findings[:k])
    if chunk.first_prev is None or chunk.first_prev != scan.prev_hash:
        scan.add("chain.broken", "leaf does not link to the previous leaf's hash", first)
    scan.findings.extend(chunk.findings[k:])
    scan.prev_hash = chunk.digests[-1]

    _join_tree(conn, scan, chunk)


def _join_tree(conn: Connection, scan: _Scan, chunk: Chunk) -> None:
    """Append the chunk's leaf hashes to the tree (noting the roots at checkpoint sizes) and
    check the stored nodes they complete."""
    tree = scan.tree
    start = tree.size
    seqs = chunk.seqs
    count = len(seqs)
    computed: list[list[bytes]] = []  # computed[L - 1]: level L, indices from start >> L
    done = 0
    stops = sorted(size - start for size in scan.checkpoint_sizes if 0 < size - start <= count)
    for stop in [*stops, count]:
        for level, hashes in enumerate(tree.append_many(chunk.digests[done:stop])):
            if level < len(computed):
                computed[level].extend(hashes)
            else:
                computed.append(hashes)
        done = stop
        if tree.size in scan.checkpoint_sizes:
            scan.roots[tree.size] = tree.root()

    first, last = seqs[0], seqs[-1]
    if (
        first == start
        and last == start + count - 1
        and _nodes_match(conn, scan.log, first, last, computed)
    ):
        return
    # Something differs (or the seqs have gaps): compare node by node, in the order the
    # nodes were completed, naming the seq of the entry that completed each.
    ranges = [
        select(NODE.c.level, NODE.c.idx, NODE.c.hash).where(
            NODE.c.log == scan.log, NODE.c.level == level, NODE.c.idx >= lo, NODE.c.idx < hi
        )
        for level, lo, hi in _completed_ranges(first, last)
    ]
    stored_nodes = (
        {(level, idx): bytes(h) for level, idx, h in conn.execute(union_all(*ranges))}
        if ranges
        else {}
    )
    nodes = sorted(
        (((i + 1) << level) - 1 - start, level, i, h)
        for level, hashes in enumerate(computed, 1)
        for i, h in enumerate(hashes, start >> level)
    )
    for offset, level, idx, h in nodes:
        stored = stored_nodes.get((level, idx))
        if stored != h:
            what = "missing" if stored is None else "wrong"
            scan.add(
                "tree.node_mismatch", f"stored tree node {(level, idx)} is {what}", seqs[offset]
            )


def _nodes_match(conn: Connection, log: str, first: int, last: int, computed) -> bool:
    """True when the stored nodes completed by leaves ``first..last`` are the computed ones,
    for a chunk whose tree positions are its seqs.

    Then the nodes completed are, at level L, those with ``lo = first >> L <= idx < hi =
    (last + 1) >> L`` (``computed[L - 1]``, in idx order). The primary key makes a level's
    stored nodes distinct, so its stored hashes in idx order equal the computed list exactly
    when every computed node is stored with its computed hash.
    """
    return all(
        conn.execute(_LEVEL_HASHES, {"log": log, "level": level, "lo": lo, "hi": hi})
        .scalars()
        .all()
        == computed[level - 1]
        for level, lo, hi in _completed_ranges(first, last)
    )


#: The stored hashes of one level's nodes ``lo <= idx < hi``, in idx order (a primary-key range).
_LEVEL_HASHES = (
    select(NODE.c.hash)
    .where(
        NODE.c.log == bindparam("log"),
        NODE.c.level == bindparam("level"),
        NODE.c.idx >= bindparam("lo"),
        NODE.c.idx < bindparam("hi"),
    )
    .order_by(NODE.c.idx)
)


def _completed_ranges(first: int, last: int) -> Iterator[tuple[int, int, int]]:
    """``(level, lo, hi)``: the nodes (level >= 1) whose last leaf lies in ``[first, last]``
    are those with ``lo <= idx < hi``, level by level (levels without any are left out)."""
    level = 1
    while (1 << level) <= last + 1:
        lo = ((first + (1 << level)) >> level) - 1  # smallest idx ending at or after first
        hi = (last + 1) >> level
        if lo < hi:
            yield level, lo, hi
        level += 1


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
