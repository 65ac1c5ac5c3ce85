"""Matching by serial overlap: interval arithmetic over sorted ranges, never one row per serial.

Ranges overlap only within one registry and one numbering block. Two sweeps:

- :func:`registry_doubles`: the registry's own rows, sorted by start; a row that starts
  before the furthest end seen so far in its block retires serials twice
  (``double_retirement``);
- :func:`compare`: the log's retirements (:class:`LogRetirement`) against the registry's rows,
  both sorted: for each log retirement the registry rows that overlap it decide
  ``matched`` (one row, the same range, the same beneficiary), ``beneficiary_mismatch``,
  ``quantity_mismatch`` (the rows cover the range partly, or more than it) or, once the grace
  period has passed with nothing, ``missing_in_registry``; registry rows over serials the log
  tracks (:class:`Tracked`) that no log retirement explains are ``unknown_retirement``; two
  log retirements of one serial are ``double_retirement``.

Both run in O(n log n) for the sorts and O(n + k) for the sweeps (k the overlaps found).
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, select

from ledger.reconcile.findings import (
    BENEFICIARY,
    DOUBLE,
    MATCHED,
    MISSING,
    QUANTITY,
    UNKNOWN,
    Found,
    record,
)
from ledger.reconcile.imports import RETIREMENT
from ledger.reconcile.sources import SOURCE
from ledger.services.clock import utc_now
from ledger.services.projections import stream
from ledger.storage.db import read_transaction

ACTOR = "reconcile"
BEIJING = timezone(timedelta(hours=8))


class RegistryRange(NamedTuple):
    """A registry row as matching sees it (a tuple: ``block, start, end`` first)."""

    block: str
    start: int
    end: int
    sha256: str
    beneficiary: str
    retired_on: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class LogRetirement:
    """A retirement the log records, in registry serials: ``seq`` of its entry, the block and
    range, who it was for (``beneficiary``: a name or a case number, or ``""`` when the log
    names a person only by a vault code, which is then not compared), its date and the
    bureaus it concerns. ``is_case``: the beneficiary is a court case's number, which the
    registry may write in its beneficiary, reason or details."""

    seq: int
    block: str
    start: int
    end: int
    beneficiary: str
    retired_on: str
    divisions: tuple[str, ...]
    is_case: bool = False


@dataclass(frozen=True, slots=True)
class Tracked:
    """Serials the log tracks (a lot issued in the log), in registry serials."""

    block: str
    start: int
    end: int
    divisions: tuple[str, ...]


@functools.lru_cache(maxsize=65536)
def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def same_party(log_name: str, registry_name: str) -> bool:
    """Whether two ways of writing a beneficiary name the same one: compared after NFKC
    (full-width brackets and letters become half-width), without spaces, case-folded."""
    return _norm(log_name) == _norm(registry_name)


def names_case(case_number: str, row: RegistryRange) -> bool:
    """Whether a registry row names the case (its number, compared as :func:`same_party`
    does, within the row's beneficiary, reason or details)."""
    return _norm(case_number) in _norm(f"{row.beneficiary} {row.note}")


def agrees(item: LogRetirement, row: RegistryRange) -> bool:
    """Whether a registry row names who the log retired for (a person known only by a vault
    code is not compared)."""
    if not item.beneficiary:
        return True
    if item.is_case:
        return names_case(item.beneficiary, row)
    return same_party(item.beneficiary, row.beneficiary)


def overlaps(rows: Iterable[Any]) -> Iterator[tuple[Any, Any, int, int]]:
    """``(earlier, later, lo, hi)`` for each row of ``rows`` (sorted by block, start, end;
    each with ``block``, ``start`` and ``end`` at indexes 0, 1, 2) that starts before the
    furthest end seen so far in its block: serials ``lo..hi`` are in both."""
    furthest = None
    for row in rows:
        if furthest is not None and furthest[0] == row[0] and row[1] <= furthest[2]:
            yield furthest, row, row[1], min(row[2], furthest[2])
        if furthest is None or furthest[0] != row[0] or row[2] > furthest[2]:
            furthest = row


def registry_doubles(
    rows: Iterable[RegistryRange], registry: str, divisions: Sequence[str]
) -> Iterator[Found]:
    """Serials a registry retired twice, from its rows sorted by (block, start, end)."""
    for earlier, later, lo, hi in overlaps(rows):
        yield Found(
            DOUBLE,
            registry,
            later.block,
            ((lo, hi),),
            hi - lo + 1,
            registry_rows=(earlier.sha256, later.sha256),
            divisions=tuple(divisions),
        )


def _merged(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted ranges as a sorted list of disjoint ranges (touching ones joined)."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def compare(
    registry: str,
    log: Sequence[LogRetirement],
    rows: Sequence[RegistryRange],
    tracked: Sequence[Tracked],
    *,
    missing_before: str,
) -> Iterator[Found]:
    """The findings of the log's retirements against the registry's rows of one registry
    (see the module text). ``missing_before``: an ISO date; a log retirement dated before it
    that the registry does not show is missing (later ones are given time)."""
    rows_of: dict[str, list[RegistryRange]] = {}
    for row in sorted(rows, key=lambda r: (r.block, r.start, r.end)):
        rows_of.setdefault(row.block, []).append(row)
    log = sorted(log, key=lambda r: (r.block, r.start, r.end))
    yield from _log_doubles(registry, log)
    explained: list[tuple[str, int, int]] = []
    block, block_rows, j, active = None, [], 0, []
    for item in log:
        if item.block != block:
            block, block_rows, j, active = item.block, rows_of.get(item.block, []), 0, []
        while j < len(block_rows) and block_rows[j].start <= item.end:
            active.append(block_rows[j])
            j += 1
        # Log retirements come by start: a row that ends before this one starts is done.
        active = [r for r in active if r.end >= item.start]
        overlapping = [r for r in active if r.start <= item.end]
        explained.append((item.block, item.start, item.end))
        yield from _judge(registry, item, overlapping, missing_before)
    yield from _unknown(registry, [r for rs in rows_of.values() for r in rs], explained, tracked)


def _judge(
    registry: str, item: LogRetirement, overlapping: list[RegistryRange], missing_before: str
) -> Iterator[Found]:
    serials = ((item.start, item.end),)
    size = item.end - item.start + 1
    shas = tuple(r.sha256 for r in overlapping)
    base = {"log_seqs": (item.seq,), "divisions": item.divisions, "registry_rows": shas}
    if not overlapping:
        if item.retired_on < missing_before:
            yield Found(MISSING, registry, item.block, serials, size, **base)
        return
    if len(overlapping) == 1 and (overlapping[0].start, overlapping[0].end) == serials[0]:
        row = overlapping[0]
        if not agrees(item, row):
            yield Found(BENEFICIARY, registry, item.block, serials, size, **base)
        else:
            yield Found(MATCHED, registry, item.block, serials, size, **base)
        return
    covered = sum(min(r.end, item.end) - max(r.start, item.start) + 1 for r in overlapping)
    ranges = tuple(sorted({(min(r.start, item.start), max(r.end, item.end)) for r in overlapping}))
    yield Found(QUANTITY, registry, item.block, ranges, abs(size - covered) or size, **base)


def _log_doubles(registry: str, log: Sequence[LogRetirement]) -> Iterator[Found]:
    furthest: LogRetirement | None = None
    for item in log:
        if furthest is not None and furthest.block == item.block and item.start <= furthest.end:
            lo, hi = item.start, min(item.end, furthest.end)
            yield Found(
                DOUBLE,
                registry,
                item.block,
                ((lo, hi),),
                hi - lo + 1,
                log_seqs=(furthest.seq, item.seq),
                divisions=tuple(sorted({*furthest.divisions, *item.divisions})),
            )
        if furthest is None or furthest.block != item.block or item.end > furthest.end:
            furthest = item


def _unknown(
    registry: str,
    rows: Sequence[RegistryRange],
    explained: list[tuple[str, int, int]],
    tracked: Sequence[Tracked],
) -> Iterator[Found]:
    """Registry rows over tracked serials that no log retirement explains: one sweep over
    the rows (sorted by block and start), the explained ranges and the tracked lots."""
    covers: dict[str, list[tuple[int, int]]] = {}
    for block, lo, hi in explained:
        covers.setdefault(block, []).append((lo, hi))
    covers = {block: _merged(ranges) for block, ranges in covers.items()}
    lots: dict[str, list[Tracked]] = {}
    for t in sorted(tracked, key=lambda t: (t.block, t.start)):
        lots.setdefault(t.block, []).append(t)
    block, ci, li = None, 0, 0
    for row in rows:
        if row.block not in lots:
            continue
        if row.block != block:
            block, ci, li = row.block, 0, 0
        cover, lot_list = covers.get(block, []), lots[block]
        # Rows come by start: explained ranges and lots that end before it are done.
        while ci < len(cover) and cover[ci][1] < row.start:
            ci += 1
        while li < len(lot_list) and lot_list[li].end < row.start:
            li += 1
        gaps, at, k = [], row.start, ci
        while k < len(cover) and cover[k][0] <= row.end:
            if cover[k][0] > at:
                gaps.append((at, cover[k][0] - 1))
            at = max(at, cover[k][1] + 1)
            k += 1
        if at <= row.end:
            gaps.append((at, row.end))
        for lo, hi in gaps:
            k = li
            while k < len(lot_list) and lot_list[k].start <= hi:
                lot = lot_list[k]
                a, b = max(lo, lot.start), min(hi, lot.end)
                if a <= b:
                    yield Found(
                        UNKNOWN,
                        registry,
                        row.block,
                        ((a, b),),
                        b - a + 1,
                        registry_rows=(row.sha256,),
                        divisions=lot.divisions,
                    )
                k += 1


# --- against the database -------------------------------------------------------------------


def registry_rows(conn: Connection, registry: str) -> Iterator[RegistryRange]:
    """The registry's rows, sorted by (block, start, end), streamed."""
    t = RETIREMENT.c
    stmt = (
        select(*_DETAIL_COLUMNS)
        .where(t.registry == registry)
        .order_by(t.block, t.serial_start, t.serial_end)
    )
    for r in stream(conn, stmt):
        yield _range(*r[:8])


_DETAIL_COLUMNS = tuple(
    RETIREMENT.c[name]
    for name in (
        "block", "serial_start", "serial_end", "row_sha256", "beneficiary", "retired_on",
        "reason", "details", "id",
    )
)  # fmt: skip


def _range(block, start, end, sha, beneficiary, retired_on, reason, details) -> RegistryRange:
    note = f"{reason} {details}" if reason or details else ""
    return RegistryRange(block, start, end, bytes(sha).hex(), beneficiary, retired_on, note)


_SPANS_SQL = (
    "SELECT block, serial_start, serial_end, id FROM registry_retirement "
    "WHERE registry = {mark} ORDER BY block, serial_start, serial_end"
)
_ROWS_SQL = (
    "SELECT block, serial_start, serial_end, row_sha256, beneficiary, retired_on, reason, "
    "details, id FROM registry_retirement WHERE id "
)


def spans(conn: Connection, registry: str) -> Iterator[tuple[str, int, int, int]]:
    """``(block, start, end, id)`` of the registry's rows, sorted, streamed (through the
    driver's cursor, a server-side one on PostgreSQL, in batches of 20,000): what the sweeps
    need to find overlaps, without the rows' text."""
    dbapi = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        cursor = dbapi.cursor(name="reconcile_spans")
        sql = _SPANS_SQL.format(mark="%s")
    else:
        cursor = dbapi.cursor()
        sql = _SPANS_SQL.format(mark="?")
    try:
        cursor.execute(sql, (registry,))
        while batch := cursor.fetchmany(20_000):
            yield from batch
    finally:
        cursor.close()


def rows_by_id(conn: Connection, ids: Iterable[int]) -> dict[int, RegistryRange]:
    """The registry rows ``ids`` (in batches), by id."""
    wanted = sorted(set(ids))
    out: dict[int, RegistryRange] = {}
    postgres = conn.dialect.name == "postgresql"
    size = 20_000 if postgres else 900
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        for i in range(0, len(wanted), size):
            part = wanted[i : i + size]
            if postgres:
                cursor.execute(_ROWS_SQL + "= ANY(%s)", (part,))
            else:
                cursor.execute(_ROWS_SQL + f"IN ({', '.join('?' * len(part))})", part)
            for row in cursor.fetchall():
                out[row[8]] = _range(*row[:8])
    finally:
        cursor.close()
    return out


def within_tracked(
    spans_: Iterable[tuple[str, int, int, int]], tracked: Sequence[Tracked]
) -> Iterator[tuple[str, int, int, int]]:
    """The spans (sorted) that overlap serials the log tracks: one sweep."""
    covers: dict[str, list[tuple[int, int]]] = {}
    for t in tracked:
        covers.setdefault(t.block, []).append((t.start, t.end))
    covers = {block: _merged(ranges) for block, ranges in covers.items()}
    block, cover, k = None, [], 0
    for span in spans_:
        if span[0] != block:
            block, cover, k = span[0], covers.get(span[0], []), 0
        if not cover:
            continue
        while k < len(cover) and cover[k][1] < span[1]:
            k += 1
        # Spans come by start; a span that starts past every cover still might not end
        # before the next cover: test the one found.
        if k < len(cover) and cover[k][0] <= span[2]:
            yield span


def source_divisions(conn: Connection, registry: str) -> list[str]:
    """The divisions of the bureaus with a source of this registry."""
    divisions = set()
    for s in conn.execute(select(SOURCE.c.format, SOURCE.c.mapping, SOURCE.c.division)):
        named = json.loads(s.mapping).get("registry") if s.format == "mapping" else s.format
        if named == registry:
            divisions.add(s.division)
    return sorted(divisions)


def missing_before(today: str, grace_days: int) -> str:
    """The ISO date before which a log retirement the registry does not show is missing:
    ``grace_days`` before ``today``."""
    return (date.fromisoformat(today) - timedelta(days=grace_days)).isoformat()


def findings_of(
    conn: Connection, registry: str, divisions: Sequence[str], *, today: str, grace_days: int
) -> list[Found]:
    """Everything matching finds for one registry now: the registry's own double
    retirements, and the log's retirements (:mod:`ledger.reconcile.logside`) against its
    rows. Registry-only findings concern ``divisions`` and the bureaus with a source of this
    registry. The sweeps run over the rows' serials alone; the text of the rows that a
    finding concerns (or that cover serials the log tracks) is read afterwards, by id."""
    from ledger.reconcile import logside

    concerned = sorted({*divisions, *source_divisions(conn, registry)})
    lots = logside.registered_lots(conn, registry)
    tracked = logside.tracked(lots.values())
    all_spans = list(spans(conn, registry))
    pairs = list(overlaps(all_spans))
    ours = list(within_tracked(all_spans, tracked)) if tracked else []
    del all_spans
    rows = rows_by_id(conn, [s[3] for s in ours] + [p[i][3] for p in pairs for i in (0, 1)])
    found = [
        Found(
            DOUBLE,
            registry,
            later[0],
            ((lo, hi),),
            hi - lo + 1,
            registry_rows=(rows[earlier[3]].sha256, rows[later[3]].sha256),
            divisions=tuple(concerned),
        )
        for earlier, later, lo, hi in pairs
    ]
    if lots:
        log = logside.log_retirements(conn, lots)
        found.extend(
            compare(
                registry,
                log,
                [rows[s[3]] for s in ours],
                tracked,
                missing_before=missing_before(today, grace_days),
            )
        )
    return found


def match_registry(
    engine: Engine,
    registry: str,
    divisions: Sequence[str] = (),
    *,
    grace_days: int = 14,
    today: str | None = None,
) -> dict[str, int]:
    """Match one registry now and record the findings not recorded before; returns how many
    of each class were new. ``today`` (Beijing, ISO) defaults to the clock's;
    ``grace_days``: how long the registry may take to show a retirement of the log."""
    today = today or beijing_today()
    with read_transaction(engine) as conn:
        found = findings_of(conn, registry, divisions, today=today, grace_days=grace_days)
    return record(engine, found, ACTOR)


def beijing_today() -> str:
    """Today's date in Beijing (ISO)."""
    now = datetime.fromisoformat(utc_now().replace("Z", "+00:00"))
    return now.astimezone(BEIJING).date().isoformat()
