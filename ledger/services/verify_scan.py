"""The per-entry half of ``log verify``: check one chunk of stored entries against their leaves.

A chunk is the entries of one log with ``after < seq <= upto``, with their postings. For each
entry, :func:`check_chunk` reports (as :class:`~ledger.core.findings.Finding`) a stored leaf
hash that is not the hash of the leaf, a leaf that is not canonical JSON or not of the entry
shape (:func:`ledger.core.entry.entry_from_leaf`), stored columns that differ from the leaf,
postings that break the entry rules (:func:`ledger.core.entry.check_postings`) or differ from
the stored postings, and a leaf that does not link to the hash of the row before it; and it
feeds the projection replays. What needs the rows before the chunk (the link of its first
entry, a gap before it, the Merkle tree) is left to :mod:`ledger.services.verify`, which gets
what it needs in a :class:`Chunk`. So chunks can be checked in any order, in other processes.

Each entry takes one of two paths with the same outcome:

- the *slow path* (:func:`_slow_entry`) runs the general code:
  :func:`~ledger.core.canonical.parse_canonical`, :func:`~ledger.core.entry.entry_from_leaf`,
  the column comparison and :func:`~ledger.core.entry.check_postings`, and says exactly what
  is wrong;
- the *fast path* takes an entry only when the slow path would find nothing wrong with the leaf
  itself, by conditions each exactly one of the slow path's: the leaf parses with orjson (which
  refuses invalid UTF-8 and lone surrogates, and keeps one of duplicate keys, so the re-encoding
  below tells); it has the eight leaf keys with the types of the entry shape, ``v`` 1 and a safe
  ``seq``; ``seq``, ``kind``, ``time``, ``actor`` equal the stored columns and ``prev`` is the
  hex of the stored ``prev_hash`` (so 64 lowercase hex digits); the body holds no float or
  unsafe integer (:func:`~ledger.core.canonical.is_plain`, the only things
  :func:`~ledger.core.canonical.check_json` can refuse in what orjson parses); every posting is
  an object of the three posting keys whose legs :func:`~ledger.core.entry.postings_ok` accepts
  (which is :func:`~ledger.core.entry.check_postings` finding nothing, and makes every amount a
  safe ``int``); the leaf has no character outside the Basic Multilingual Plane (so orjson's key
  order is RFC 8785's); and orjson's sorted re-encoding is the leaf, byte for byte. What is not
  about the leaf alone (the stored leaf hash, the stored postings, the chain link) both paths
  check alike. Every other entry takes the slow path.

The scan runs with the garbage collector paused (see :mod:`ledger.services.verify`): it creates
many small objects and no reference cycles, and collections would cost about a sixth of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from hashlib import sha256
from multiprocessing.util import Finalize
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select

from ledger.core.canonical import MAX_SAFE_INTEGER, astral_free, is_plain, parse_canonical
from ledger.core.entry import EntryDraft, check_postings, entry_from_leaf, postings_ok
from ledger.core.errors import LedgerError
from ledger.core.findings import Finding
from ledger.platform.memory import without_gc
from ledger.services.log import ENTRY, POSTING
from ledger.services.projections import Projector, Replay
from ledger.storage.db import make_engine

#: The ``log_entry`` columns a chunk compares, in this order (``log`` is known).
ENTRY_COLUMNS = (
    ENTRY.c.seq,
    ENTRY.c.kind,
    ENTRY.c.time,
    ENTRY.c.actor,
    ENTRY.c.prev_hash,
    ENTRY.c.leaf,
    ENTRY.c.leaf_hash,
)
POSTING_COLUMNS = (
    POSTING.c.seq,
    POSTING.c.idx,
    POSTING.c.account,
    POSTING.c.commodity,
    POSTING.c.amount,
)

_LEAF_PREFIX = b"\x00"
_SORTED = orjson.OPT_SORT_KEYS
_BYTES_LIKE = (bytes, bytearray, memoryview)
_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")


@dataclass(slots=True)
class Chunk:
    """What checking one chunk hands back to the scan (pickled when a worker checked it).

    Attributes:
      seqs: the ``seq`` of every stored entry of the chunk, in order (a ``range`` when
        contiguous).
      digests: the leaf hash computed from each entry's leaf, in the same order.
      first_prev: the previous-leaf hash the first entry's leaf names, or None when that leaf
        has no entry shape; the scan checks it against the entry before the chunk.
      findings: what is wrong, entry by entry in ``seq`` order, except the link of the first
        entry and a gap before it.
      first_findings: how many of ``findings`` are about the first entry (the scan puts the
        first entry's broken link, if any, after them).
      replays: the replays fed this chunk's entries.
    """

    seqs: range | list[int]
    digests: list[bytes]
    first_prev: bytes | None
    findings: list[Finding]
    first_findings: int
    replays: list[Replay]


def read_chunk(conn: Connection, log: str, after: int, upto: int) -> tuple[list, list]:
    """The entry rows (:data:`ENTRY_COLUMNS`) and posting rows (:data:`POSTING_COLUMNS`) of
    ``log`` with ``after < seq <= upto``, in ``seq`` (then ``idx``) order."""
    entries = conn.execute(
        select(*ENTRY_COLUMNS)
        .where(ENTRY.c.log == log, ENTRY.c.seq > after, ENTRY.c.seq <= upto)
        .order_by(ENTRY.c.seq)
    ).all()
    postings = conn.execute(
        select(*POSTING_COLUMNS)
        .where(POSTING.c.log == log, POSTING.c.seq > after, POSTING.c.seq <= upto)
        .order_by(POSTING.c.seq, POSTING.c.idx)
    ).all()
    return entries, postings


def check_chunk(log: str, entries, postings, replays: list[Replay], accounts: set[str]) -> Chunk:
    """Check the rows :func:`read_chunk` returned (see the module docstring); feed ``replays``.

    ``accounts`` is the caller's set of account names already found valid (it grows).
    """
    findings: list[Finding] = []
    digests: list[bytes] = []
    seqs: list[int] = []
    feeds = [replay.feed for replay in replays if replay.kinds is None]
    feeds_by_kind: dict[str, list] = {}
    for replay in replays:
        for wanted in replay.kinds or ():
            feeds_by_kind.setdefault(wanted, []).append(replay.feed)
    first_prev: bytes | None = None
    first_findings = 0
    n_postings = len(postings)
    j = 0  # the first stored posting row not yet matched to an entry
    expected = None
    prev_digest = b""
    loads, dumps = orjson.loads, orjson.dumps

    def add(code: str, message: str, seq: int) -> None:
        findings.append(Finding(code, message, seq, log))

    for seq, kind, time, actor, prev_col, leaf, stored_hash in entries:
        if expected is not None and seq != expected:
            report_gap(add, expected, seq)
        expected = seq + 1
        if type(leaf) is not bytes:  # a buffer from the driver, or text written by hand
            leaf = leaf.encode("utf-8", "surrogatepass") if isinstance(leaf, str) else bytes(leaf)
        digest = sha256(_LEAF_PREFIX + leaf).digest()
        while j < n_postings and postings[j][0] < seq:
            j += 1  # postings of a seq with no entry row: nothing to compare them with

        # -- the fast path: true only if the slow path would find nothing wrong in the leaf
        try:
            obj = loads(leaf)
            fast = type(obj) is dict and len(obj) == 8
            if fast:  # eight keys, all of them the leaf's: exactly the leaf keys
                v, lseq, lkind, ltime = obj["v"], obj["seq"], obj["kind"], obj["time"]
                lactor, lprev, body, lpostings = (
                    obj["actor"],
                    obj["prev"],
                    obj["body"],
                    obj["postings"],
                )
        except (orjson.JSONDecodeError, KeyError):
            fast = False
        if fast:
            fast = (
                type(prev_col) is bytes
                # equal to the stored columns (the prev as 64 lowercase hex digits) ...
                and (lseq, lkind, ltime, lactor, lprev, v)
                == (seq, kind, time, actor, prev_col.hex(), 1)
                # ... with the types of the entry shape, and no unsafe integer
                and type(lkind) is type(ltime) is type(lactor) is type(lprev) is str
                and type(lseq) is type(v) is int
                and lseq <= MAX_SAFE_INTEGER
                and type(body) is dict
                and type(lpostings) is list
                and is_plain(body)
            )
        if fast:
            legs = []
            for p in lpostings:
                if type(p) is not dict or len(p) != 3:
                    fast = False
                    break
                try:
                    legs.append((p["account"], p["commodity"], p["amount"]))
                except KeyError:
                    fast = False
                    break
            # postings_ok: valid names, known commodities, non-zero safe ints (so the leaf
            # holds no float or unsafe integer outside the body either), balanced.
            fast = (
                fast
                and postings_ok(legs, accounts)
                and (leaf.isascii() or astral_free(leaf))
                and dumps(obj, option=_SORTED) == leaf
            )

        if fast:
            if digest != stored_hash:
                add("leaf.hash_mismatch", "stored leaf hash is not the hash of the leaf", seq)
            # The stored rows of this seq are the next len(legs) rows, equal field by field
            # (indexing, as comparing a SQLAlchemy Row with a tuple is slow).
            k = j + len(legs)
            same = k <= n_postings and (k == n_postings or postings[k][0] != seq)
            i = 0
            while same and i < len(legs):
                row = postings[j + i]
                account, commodity, amount = legs[i]
                same = (
                    row[0] == seq
                    and row[1] == i
                    and row[2] == account
                    and row[3] == commodity
                    and row[4] == amount
                )
                i += 1
            if same:
                j = k
            else:
                add("posting.mismatch", "stored postings differ from the leaf's postings", seq)
            legs_t = tuple(legs)
            for feed in feeds:
                feed(seq, lkind, ltime, lactor, body, legs_t)
            if lkind in feeds_by_kind:
                for feed in feeds_by_kind[lkind]:
                    feed(seq, lkind, ltime, lactor, body, legs_t)
            leaf_prev = prev_col
        else:
            k = j
            while k < n_postings and postings[k][0] == seq:
                k += 1
            leaf_prev = _slow_entry(
                add, seq, kind, time, actor, prev_col, leaf, digest, stored_hash,
                [tuple(row[1:]) for row in postings[j:k]], feeds, feeds_by_kind,
            )  # fmt: skip
            j = k

        if not seqs:
            first_prev = leaf_prev
            first_findings = len(findings)
        elif leaf_prev is None or leaf_prev != prev_digest:
            add("chain.broken", "leaf does not link to the previous leaf's hash", seq)
        prev_digest = digest
        digests.append(digest)
        seqs.append(seq)

    if seqs and seqs[-1] - seqs[0] + 1 == len(seqs):
        seqs = range(seqs[0], seqs[-1] + 1)  # what every intact chunk is; pickles small
    return Chunk(seqs, digests, first_prev, findings, first_findings, replays)


def report_gap(add, expected: int, seq: int) -> None:
    """The finding for a row at ``seq`` where ``expected`` was due."""
    if seq > expected:
        add("entry.missing", f"entries {expected}..{seq - 1} are missing", expected)
    else:  # cannot happen with a primary key, but say so if it does
        add("entry.duplicate", "entry appears more than once", seq)


def _slow_entry(
    add, seq, kind, time, actor, prev_col, leaf, digest, stored_hash, stored, feeds, feeds_by_kind
) -> bytes | None:
    """Check one entry the general way, say exactly what is wrong, feed the replays.

    ``stored`` is its stored postings as ``(idx, account, commodity, amount)``. Returns the
    previous-leaf hash its leaf names, or None when the leaf has no entry shape.
    """
    entry = problem = None
    try:
        entry = entry_from_leaf(leaf, parse_canonical(leaf))
    except LedgerError as exc:
        problem = "leaf.not_canonical", f"leaf is not canonical JSON: {exc.message}"
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        problem = "leaf.malformed", f"leaf does not have the entry shape: {exc!r}"
    if digest != stored_hash:
        add("leaf.hash_mismatch", "stored leaf hash is not the hash of the leaf", seq)
    if problem is not None:
        add(*problem, seq)
    if entry is None:
        return None

    if isinstance(prev_col, _BYTES_LIKE):
        prev_col = bytes(prev_col)
    if entry.seq != seq:
        add("leaf.seq_mismatch", f"leaf says seq {entry.seq} but is stored at {seq}", seq)
    if (kind, time, actor, prev_col) != (entry.kind, entry.time, entry.actor, entry.prev):
        add("entry.column_mismatch", "stored columns differ from the leaf", seq)
    # Postings are judged, and replayed, under the seq the leaf gives.
    draft = EntryDraft(entry.kind, entry.body, entry.actor, entry.postings)
    for error in check_postings(draft, f"seq {entry.seq}"):
        add(error.code, error.message, entry.seq)
    legs = tuple((p.account, p.commodity, p.amount) for p in entry.postings)
    if stored != [(i, *leg) for i, leg in enumerate(legs)]:
        add("posting.mismatch", "stored postings differ from the leaf's postings", entry.seq)
    if all(type(a) is str and type(c) is str and isinstance(n, int) for a, c, n in legs):
        for feed in [*feeds, *feeds_by_kind.get(entry.kind, ())]:
            feed(entry.seq, entry.kind, entry.time, entry.actor, entry.body, legs)
    return entry.prev


# -- worker processes ------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def init_worker(url: str, log: str, snapshot: str | None, projectors: tuple[Projector, ...]):
    """Set up a worker process of a parallel scan: an engine of its own on ``url``, closed
    when the process ends. ``snapshot`` (PostgreSQL) is the scan's exported snapshot."""
    if snapshot is not None and not _SNAPSHOT_ID.fullmatch(snapshot):
        raise ValueError(f"not a PostgreSQL snapshot id: {snapshot!r}")
    engine: Engine = make_engine(url)
    Finalize(engine, engine.dispose, exitpriority=10)
    _worker.update(engine=engine, log=log, snapshot=snapshot, projectors=projectors)
    _worker["accounts"] = set()


def work(after: int, upto: int) -> Chunk:
    """Read and check one chunk in a worker process, with fresh replays for it."""
    engine: Engine = _worker["engine"]
    log: str = _worker["log"]
    replays = [p.replay(log) for p in _worker["projectors"]]
    with without_gc():
        with engine.connect() as conn:
            snapshot = _worker["snapshot"]
            if snapshot is not None:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                if snapshot is not None:
                    # A utility statement takes no parameters; the id was checked above.
                    conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                entries, postings = read_chunk(conn, log, after, upto)
        return check_chunk(log, entries, postings, replays, _worker["accounts"])
