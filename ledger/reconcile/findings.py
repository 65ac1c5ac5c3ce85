"""Findings of reconciliation, each a ``reconcile.finding`` entry of the log, and their
acknowledgements (``reconcile.acknowledge`` entries with a note).

A finding names its class (:data:`CLASSES`), the registry and numbering block, the serial
ranges concerned, the registry rows (by digest) and log entries (by ``seq``) it is about, and
the bureaus (by division) it concerns: they, and the bureaus above them, read it. Its ``key``
is the digest of what was found, so :func:`record` never records the same finding twice (a
later run over the same data finds it again and adds nothing). No personal data: beneficiary
names stay in the registry rows; a finding only points at them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update

from ledger.core.canonical import canonical_json
from ledger.core.entry import Entry, EntryDraft
from ledger.core.errors import ConflictError, NotFoundError, ValidationError
from ledger.core.findings import Finding as VerifyFinding
from ledger.core.personal import check_free_text
from ledger.reconcile.model import MAX_SERIAL
from ledger.reconcile.tables import ReconcileFinding
from ledger.services.bulk import insert_many
from ledger.services.log import write
from ledger.services.projections import Replay, compare, stream
from ledger.storage.db import among, read_transaction

FINDING_KIND = "reconcile.finding"
ACK_KIND = "reconcile.acknowledge"
FINDING = ReconcileFinding.__table__

MATCHED = "matched"
MISSING = "missing_in_registry"
QUANTITY = "quantity_mismatch"
BENEFICIARY = "beneficiary_mismatch"
DOUBLE = "double_retirement"
UNKNOWN = "unknown_retirement"
#: Every class, in the order reports list them.
CLASSES = (DOUBLE, UNKNOWN, MISSING, QUANTITY, BENEFICIARY, MATCHED)
MAX_RANGES = 1000
MAX_REFS = 100
MAX_NOTE = 500
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Found:
    """What a matching run found, before it is recorded.

    Attributes:
      cls: one of :data:`CLASSES`.
      registry, block: where the serials are numbered.
      serials: the ranges concerned, ``(start, end)``, sorted.
      quantity: how many units it concerns.
      registry_rows: SHA-256 (hex) of the registry rows concerned.
      log_seqs: the log entries concerned.
      divisions: the bureaus it concerns.
    """

    cls: str
    registry: str
    block: str
    serials: tuple[tuple[int, int], ...]
    quantity: int
    registry_rows: tuple[str, ...] = ()
    log_seqs: tuple[int, ...] = ()
    divisions: tuple[str, ...] = ()

    def body(self) -> dict[str, Any]:
        content = {
            "class": self.cls,
            "registry": self.registry,
            "block": self.block,
            "serials": [list(r) for r in self.serials[:MAX_RANGES]],
            "quantity": self.quantity,
            "registry_rows": sorted(self.registry_rows)[:MAX_REFS],
            "log_seqs": sorted(self.log_seqs)[:MAX_REFS],
        }
        key = hashlib.sha256(canonical_json(content)).hexdigest()
        return {**content, "divisions": sorted(set(self.divisions)), "key": key}


def _is_division(value: object) -> bool:
    return (
        isinstance(value, str) and value.isascii() and value.isdigit() and len(value) in (2, 4, 6)
    )


def validate_finding(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """A ``reconcile.finding`` body (see :meth:`Found.body`)."""
    fields = {
        "class",
        "registry",
        "block",
        "serials",
        "quantity",
        "registry_rows",
        "log_seqs",
        "divisions",
        "key",
    }

    def err(message: str) -> ValidationError:
        return ValidationError("reconcile.finding", f"{where}: {message}")

    if set(body) != fields:
        return [err(f"fields must be {sorted(fields)}")]
    errors = []
    if body["class"] not in CLASSES:
        errors.append(err("unknown class"))
    if not (isinstance(body["registry"], str) and 0 < len(body["registry"]) <= 32):
        errors.append(err("registry: 1..32 characters"))
    if not (isinstance(body["block"], str) and len(body["block"]) <= 100):
        errors.append(err("block: at most 100 characters"))
    serials = body["serials"]
    if not (
        isinstance(serials, list)
        and 0 < len(serials) <= MAX_RANGES
        and all(
            isinstance(r, list)
            and len(r) == 2
            and all(type(n) is int for n in r)
            and 0 <= r[0] <= r[1] <= MAX_SERIAL
            for r in serials
        )
    ):
        errors.append(err("serials: a list of [start, end] ranges"))
    if type(body["quantity"]) is not int or not 0 <= body["quantity"] <= MAX_SERIAL:
        errors.append(err("quantity: an integer >= 0"))
    rows = body["registry_rows"]
    if not (
        isinstance(rows, list)
        and len(rows) <= MAX_REFS
        and all(isinstance(h, str) and len(h) == 64 and set(h) <= _HEX for h in rows)
    ):
        errors.append(err("registry_rows: SHA-256 digests"))
    seqs = body["log_seqs"]
    if not (isinstance(seqs, list) and len(seqs) <= MAX_REFS) or not all(
        type(s) is int and s >= 0 for s in seqs
    ):
        errors.append(err("log_seqs: entry numbers"))
    divisions = body["divisions"]
    if not (isinstance(divisions, list) and len(divisions) <= 20) or not all(
        _is_division(d) for d in divisions
    ):
        errors.append(err("divisions: division codes"))
    key = body["key"]
    if not (isinstance(key, str) and len(key) == 64 and set(key) <= _HEX):
        errors.append(err("key: a SHA-256 digest"))
    return errors


def validate_acknowledge(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """A ``reconcile.acknowledge`` body: ``finding`` (its seq), ``divisions``, ``note``."""
    if set(body) != {"finding", "divisions", "note"}:
        return [ValidationError("reconcile.acknowledge", f"{where}: finding, divisions, note")]
    errors = []
    if type(body["finding"]) is not int or body["finding"] < 0:
        errors.append(ValidationError("reconcile.acknowledge", f"{where}: finding: an entry"))
    divisions = body["divisions"]
    if not (isinstance(divisions, list) and all(_is_division(d) for d in divisions)):
        errors.append(ValidationError("reconcile.acknowledge", f"{where}: divisions"))
    try:
        check_free_text(body["note"], "note", MAX_NOTE)
    except ValidationError as exc:
        errors.append(ValidationError(exc.code, f"{where}: {exc.message}", exc.details))
    return errors


def parties(body: Mapping[str, Any], postings: Sequence[Any]) -> list[str]:
    """The bureaus a finding or acknowledgement concerns."""
    divisions = body.get("divisions")
    if not isinstance(divisions, list):
        return []
    return [f"Bureau:{d}" for d in divisions if _is_division(d)]


# --- the projection -----------------------------------------------------------------------


def _row(seq: int, time: str, body: Mapping[str, Any]) -> dict[str, Any]:
    serials = body["serials"]
    return {
        "seq": seq,
        "key": body["key"],
        "class_": body["class"],
        "registry": body["registry"],
        "block": body["block"],
        "first_serial": min(r[0] for r in serials),
        "last_serial": max(r[1] for r in serials),
        "quantity": body["quantity"],
        "divisions": ",".join(body["divisions"]),
        "found_at": time,
    }


_ROW_COLUMNS = (
    "seq", "key", "class_", "registry", "block", "first_serial", "last_serial", "quantity",
    "divisions", "found_at",
)  # fmt: skip
#: The projection's insert (its columns in :func:`_row`'s order), compiled once per dialect.
_INSERT = insert(FINDING).values({c: bindparam(c) for c in _ROW_COLUMNS})


class FindingProjector:
    """``reconcile_finding`` rows for findings, marked when acknowledged (mutable)."""

    name = "reconcile_finding"
    kinds = frozenset({FINDING_KIND, ACK_KIND})
    logs = frozenset({"main"})
    rebuildable = True

    def apply(self, conn: Connection, log: str, entries: Sequence[Entry]) -> None:
        rows = [
            tuple(_row(e.seq, e.time, e.body).values()) for e in entries if e.kind == FINDING_KIND
        ]
        insert_many(conn, _INSERT, _ROW_COLUMNS, rows)
        for e in entries:
            if e.kind != FINDING_KIND:
                conn.execute(
                    update(FINDING)
                    .where(FINDING.c.seq == e.body["finding"], FINDING.c.acknowledged_seq.is_(None))
                    .values(acknowledged_seq=e.seq)
                )

    def replay(self, log: str) -> Replay:
        return _FindingReplay(log)

    def clear(self, conn: Connection, log: str) -> None:
        conn.execute(delete(FINDING))


class _FindingReplay:
    kinds = FindingProjector.kinds

    def __init__(self, log: str):
        self.log = log
        self.rows: dict[int, dict] = {}
        self.acks: dict[int, int] = {}

    def feed(self, seq, kind, time, actor, body, postings) -> None:
        try:
            if kind == FINDING_KIND:
                self.rows[seq] = _row(seq, time, body)
            else:
                self.acks.setdefault(body["finding"], seq)
        except (KeyError, TypeError, ValueError, AttributeError):
            self.rows[seq] = {"seq": seq, "malformed": True}

    def merge(self, later: _FindingReplay) -> None:
        self.rows.update(later.rows)
        for finding, ack in later.acks.items():
            self.acks.setdefault(finding, ack)

    def findings(self, conn: Connection) -> Iterator[VerifyFinding]:
        expected = {
            seq: {**row, "acknowledged_seq": self.acks.get(seq)} for seq, row in self.rows.items()
        }
        stored = ((r.seq, dict(r._mapping)) for r in stream(conn, select(FINDING)))
        for seq, _, _ in compare(stored, expected):
            yield VerifyFinding(
                "projection.reconcile_finding",
                "reconcile_finding row does not match the log",
                seq,
                self.log,
            )


# --- recording and reading ------------------------------------------------------------------


def record(engine: Engine, found: Iterable[Found], actor: str) -> dict[str, int]:
    """Append a ``reconcile.finding`` entry for each of ``found`` not recorded before (by its
    key), in one transaction; returns how many of each class were new."""
    bodies: dict[str, dict] = {}
    for f in found:
        body = f.body()
        bodies.setdefault(body["key"], body)
    counts: dict[str, int] = {}
    if not bodies:
        return counts

    def decide(tx) -> None:
        known = set()
        keys = list(bodies)
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            known.update(
                tx.conn.execute(select(FINDING.c.key).where(among(FINDING.c.key, part))).scalars()
            )
        drafts = [
            EntryDraft(FINDING_KIND, body, actor)
            for key, body in bodies.items()
            if key not in known
        ]
        for draft in drafts:
            counts[draft.body["class"]] = counts.get(draft.body["class"], 0) + 1
        if drafts:
            tx.append(drafts)

    write(engine, decide)
    return counts


@dataclass(frozen=True)
class ShownFinding:
    """A finding as pages and reports show it."""

    seq: int
    cls: str
    registry: str
    block: str
    first_serial: int
    last_serial: int
    quantity: int
    divisions: tuple[str, ...]
    found_at: str
    acknowledged_seq: int | None


def _shown(row: Any) -> ShownFinding:
    return ShownFinding(
        row.seq,
        row.class_,
        row.registry,
        row.block,
        row.first_serial,
        row.last_serial,
        row.quantity,
        tuple(d for d in row.divisions.split(",") if d),
        row.found_at,
        row.acknowledged_seq,
    )


def within(division: str | None, finding: ShownFinding) -> bool:
    """Whether a bureau of ``division`` (None: every division) may see ``finding``."""
    return division is None or any(d.startswith(division) for d in finding.divisions)


def list_findings(
    engine: Engine, division: str | None, cls: str | None = None, limit: int | None = 500
) -> list[ShownFinding]:
    """The findings a bureau of ``division`` sees (None: all), newest first."""
    stmt = select(FINDING).order_by(FINDING.c.seq.desc())
    if cls is not None:
        stmt = stmt.where(FINDING.c.class_ == cls)
    out = []
    with read_transaction(engine) as conn:
        for row in stream(conn, stmt):
            shown = _shown(row)
            if within(division, shown):
                out.append(shown)
                if limit is not None and len(out) >= limit:
                    break
    return out


def get_finding(engine: Engine, seq: int) -> ShownFinding | None:
    with read_transaction(engine) as conn:
        row = conn.execute(select(FINDING).where(FINDING.c.seq == seq)).one_or_none()
    return None if row is None else _shown(row)


def summary(engine: Engine, division: str | None) -> dict[str, dict[str, int]]:
    """Per class: how many findings, how many still open, how many units."""
    out = {c: {"count": 0, "open": 0, "quantity": 0} for c in CLASSES}
    for f in list_findings(engine, division, limit=None):
        line = out[f.cls]
        line["count"] += 1
        line["open"] += f.acknowledged_seq is None
        line["quantity"] += f.quantity
    return out


def acknowledge(
    engine: Engine, seq: int, note: str, *, actor: str, division: str | None, key: str
) -> Entry:
    """Acknowledge the finding ``seq`` with a note (a ``reconcile.acknowledge`` entry);
    refused when the finding is not within ``division`` or is acknowledged already."""
    check_free_text(note, "note", MAX_NOTE)
    if not note.strip():
        raise ValidationError("reconcile.note", "write a note saying what was done")

    def decide(tx) -> None:
        row = tx.conn.execute(select(FINDING).where(FINDING.c.seq == seq)).one_or_none()
        if row is None or not within(division, _shown(row)):
            raise NotFoundError("reconcile.finding_not_found", f"there is no finding {seq}")
        if row.acknowledged_seq is not None:
            raise ConflictError(
                "reconcile.acknowledged",
                f"finding {seq} was acknowledged by entry {row.acknowledged_seq}",
                {"seq": row.acknowledged_seq},
            )
        body = {"finding": seq, "divisions": row.divisions.split(","), "note": note.strip()}
        tx.append([EntryDraft(ACK_KIND, body, actor)])

    (entry,) = write(engine, decide, idempotency_key=key, request={"finding": seq, "note": note})
    return entry
