"""The log's side of reconciliation: the retirements the carbon units module recorded, and the
lots it tracks, in a registry's serials.

**Which lots a registry holds.** A lot is held at registry ``R`` when its project's
``registry_ids`` names ``R`` (``{"verra": "1529"}``; ``R`` is ``verra``, ``gs``, ``car``,
``acr`` or a mapping's registry name such as ``haixia`` or ``ccer``). The lot's serial numbers
are the registry's (serial ``n`` of the lot is serial ``n`` at the registry), in the numbering
block :func:`block_of` gives: ``""`` for a registry that numbers across the whole registry
(Verra, and a mapping whose rows name no block), otherwise the lot's ``serial_prefix`` without
its trailing ``-`` (Gold Standard ``GS1-1-CN-GS2345-12-2016-12345-``, CAR and ACR
``CAR-1-US-1234-21-150-CA-2019-``, the way their serials are written).

**The log's retirements** are the rows of the units register with ``retired`` (a
``units.retire``, a ``units.sale`` that retires for its buyer, a ``units.oneyuan`` purchase;
court cases retire through ``units.retire`` or a judicial sale). Each becomes one
:class:`~ledger.reconcile.matching.LogRetirement` per block and run of contiguous serials it
retired there. Who it was for: the buyer's name for an organisation; for a judicial use, the
case number the entry claims (read from the entry itself); nothing for a person known only by
a vault code (never compared).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection, select

from ledger.reconcile.imports import RETIREMENT
from ledger.reconcile.matching import LogRetirement, Tracked
from ledger.storage.tables import LogEntry
from ledger.units.tables import UnitsLot, UnitsProject, UnitsSale

PROJECT = UnitsProject.__table__
LOT = UnitsLot.__table__
SALE = UnitsSale.__table__
ENTRY = LogEntry.__table__
#: Registries whose serials are numbered within a block (the serial's prefix).
BLOCKED = frozenset({"gs", "car", "acr"})
#: Registries that number their serials across the whole registry.
ACROSS = frozenset({"verra"})


@dataclass(frozen=True, slots=True)
class RegisteredLot:
    """A lot of the log held at a registry: its ``lot`` and ``project``, the ``block`` and
    serials ``first..last`` at the registry, and the bureau (``division``, 6 digits) of the
    project's county."""

    lot: str
    project: str
    block: str
    first: int
    last: int
    division: str


def numbers_in_blocks(conn: Connection, registry: str) -> bool:
    """Whether ``registry`` numbers serials within blocks: Gold Standard, CAR and ACR do,
    Verra does not; a mapping's registry does when any of its rows names a block."""
    if registry in BLOCKED:
        return True
    if registry in ACROSS:
        return False
    t = RETIREMENT.c
    found = conn.execute(select(t.id).where(t.registry == registry, t.block != "").limit(1)).first()
    return found is not None


def block_of(serial_prefix: str, blocked: bool) -> str:
    """The numbering block of a lot's serials at a registry (see the module text)."""
    return serial_prefix.removesuffix("-") if blocked else ""


def registered_lots(conn: Connection, registry: str) -> dict[str, RegisteredLot]:
    """The lots held at ``registry``, by lot."""
    projects = {}
    for row in conn.execute(select(PROJECT.c.project, PROJECT.c.details, PROJECT.c.division)):
        ids = json.loads(row.details or "{}").get("registry_ids") or {}
        if registry in ids:
            projects[row.project] = row.division[:6]
    if not projects:
        return {}
    blocked = numbers_in_blocks(conn, registry)
    stmt = select(LOT.c.lot, LOT.c.project, LOT.c.serial_prefix, LOT.c.first, LOT.c.last).where(
        LOT.c.project.in_(sorted(projects))
    )
    return {
        r.lot: RegisteredLot(
            r.lot, r.project, block_of(r.serial_prefix, blocked), r.first, r.last,
            projects[r.project],
        )
        for r in conn.execute(stmt)
    }  # fmt: skip


def tracked(lots: Iterable[RegisteredLot]) -> list[Tracked]:
    """The serials the log tracks at the registry."""
    return [Tracked(lot.block, lot.first, lot.last, (lot.division,)) for lot in lots]


def _claims(conn: Connection, seqs: Sequence[int]) -> dict[int, str]:
    """The ``claim`` of each entry (the case number of a judicial retirement)."""
    out: dict[int, str] = {}
    for i in range(0, len(seqs), 500):
        part = seqs[i : i + 500]
        stmt = select(ENTRY.c.seq, ENTRY.c.leaf).where(ENTRY.c.log == "main", ENTRY.c.seq.in_(part))
        for seq, leaf in conn.execute(stmt):
            body = orjson.loads(bytes(leaf)).get("body", {})
            claim = body.get("claim")
            if isinstance(claim, str):
                out[seq] = claim
    return out


def log_retirements(conn: Connection, lots: dict[str, RegisteredLot]) -> list[LogRetirement]:
    """The log's retirements of serials of ``lots``, in registry serials."""
    if not lots:
        return []
    projects = sorted({lot.project for lot in lots.values()})
    s = SALE.c
    stmt = select(s.seq, s.date, s.serials, s.buyer_type, s.buyer_name, s.use).where(
        s.retired.is_(True), s.project.in_(projects)
    )
    rows = conn.execute(stmt).all()
    claims = _claims(conn, [r.seq for r in rows if r.use == "judicial"])
    out: list[LogRetirement] = []
    for r in rows:
        is_case = r.use == "judicial" and bool(claims.get(r.seq))
        if is_case:
            who = claims[r.seq]
        elif r.buyer_type == "person":
            who = ""
        else:
            who = r.buyer_name or ""
        runs: dict[str, list[list[int]]] = {}
        divisions: set[str] = set()
        for lot_id, first, last in orjson.loads(r.serials):
            lot = lots.get(lot_id)
            if lot is None:
                continue
            divisions.add(lot.division)
            ranges = runs.setdefault(lot.block, [])
            ranges.append([first, last])
        for block, ranges in runs.items():
            ranges.sort()
            merged = [ranges[0]]
            for lo, hi in ranges[1:]:
                if lo <= merged[-1][1] + 1:
                    merged[-1][1] = max(merged[-1][1], hi)
                else:
                    merged.append([lo, hi])
            for lo, hi in merged:
                out.append(
                    LogRetirement(
                        r.seq, block, lo, hi, who, r.date, tuple(sorted(divisions)), is_case
                    )
                )
    return out
