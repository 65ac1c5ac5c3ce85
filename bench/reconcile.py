"""Reconciliation benchmarks.

- ``reconcile.import.<db>``: registry rows per second importing a 1,000,000-row Verra export
  (read, checked, stored once, anchored), against a ceiling of reading the same file with the
  ``csv`` module alone in the same run; target ratio >= 0.3. The export is written, and
  settled on disk (:func:`bench.common.settle`), before either is timed.
- ``reconcile.match.<db>``: seconds to match 100,000 log retirements (real ``units.retire``
  entries of a Verra project's lot, see :func:`log_retirements`) against the 1,000,000
  registry rows just imported: reading both sides from the database and sweeping them by
  serial overlap, to the 100,000 findings (94,900 matched, 5,000 missing in the registry, 100
  naming another beneficiary); the ceiling reported beside it is streaming the registry's
  rows alone; target <= 30 s;
- ``reconcile.record.<db>``: findings recorded per second, each a ``reconcile.finding``
  entry through the locked write path (the first run over that data records all 100,000;
  a later run of the same data records none, which the benchmark checks); reported.
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlalchemy import Engine

from bench.common import Result, progress, rate_result, settle
from ledger.core.entry import EntryDraft, Posting
from ledger.reconcile.findings import BENEFICIARY, MATCHED, MISSING, record
from ledger.reconcile.formats import LAYOUTS
from ledger.reconcile.imports import import_file
from ledger.reconcile.matching import ACTOR, findings_of, match_registry, registry_rows
from ledger.services.log import append_batch
from ledger.storage.db import read_transaction
from ledger.units import book, services
from ledger.units.model import village_account
from ledger.units.services import Document, IssueSpec, ProjectSpec

ROWS = 1_000_000
LOG_RETIREMENTS = 100_000
HEADER = (
    "Issuance Date,Sustainable Development Goals,Credit Type,Vintage Start,Vintage End,"
    "Reporting Period Start,Reporting Period End,ID,Name,Region,Country,Project Type,Methodology,"
    "Total Vintage Quantity,Quantity Issued,Serial Number,Additional Certifications,Is Cancelled,"
    "Retirement/Cancellation Date,Retirement Beneficiary,Retirement Reason,Retirement Details,"
    "Input Type,Holding ID"
)
UNITS = 100  # serials per row
VILLAGE = "350721100201"
OWNER = village_account(VILLAGE)


def write_export(path: Path, rows: int = ROWS) -> None:
    """A Verra export of :func:`export_lines` ``0 … rows - 1``."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        fh.write(HEADER + "\r\n")
        fh.writelines(export_lines(range(rows)))


def export_lines(rows: Iterable[int]) -> Iterator[str]:
    """The lines of a Verra export's rows ``rows``, 100 units each (row ``i`` holds the
    serials from ``100_000_001 + 100 i``), one in 20 an issuance row, quoted fields with
    commas and Chinese, quantities with thousands separators."""
    for i in rows:
        start = 100_000_001 + i * UNITS
        end = start + UNITS - 1
        serial = f"{9000 + i // 1000}-{start}-{end}-VCS-VCU-263-VER-CN-14-1529-01012019-31122019-0"
        retired = "" if i % 20 == 0 else f"{1 + i % 28:02d}/06/2023"
        who = "" if not retired else f'"福建某公司{i % 97}，碳中和"'
        yield (
            f"14/03/2022,,Emission Reduction,01/01/2019,31/12/2019,01/01/2019,31/12/2019,1529,"
            f'"Fujian Forestry Carbon, Phase I",Asia,China,AFOLU,AR-ACM0003,"1,200,000",'
            f'{UNITS},{serial},,False,{retired},{who},Voluntary,"批次 {i}, 注销",Retirement,'
            f"H-{i}\r\n"
        )


def _csv_alone(path: Path) -> float:
    began = time.perf_counter()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for _row in csv.reader(fh):
            pass
    return time.perf_counter() - began


def run(engine: Engine, db: str, workdir: Path) -> list[Result]:
    path = workdir / "verra.csv"
    progress(f"reconcile.{db}: writing a {ROWS:,}-row Verra export")
    write_export(path, ROWS)
    settle(engine)
    ceiling = _csv_alone(path)
    progress(f"reconcile.{db}: importing")
    began = time.perf_counter()
    result = import_file(engine, path, LAYOUTS["verra"], actor="bench")
    seconds = time.perf_counter() - began
    assert result.retirements + result.issuance_rows_skipped == ROWS
    imported = rate_result(f"reconcile.import.{db}", ROWS, seconds, ceiling, 0.3, "rows/s")

    progress(f"reconcile.{db}: retiring {LOG_RETIREMENTS:,} times in the log")
    log_retirements(engine)
    progress(f"reconcile.{db}: matching {LOG_RETIREMENTS:,} log retirements")
    began = time.perf_counter()
    with read_transaction(engine) as conn:
        for _row in registry_rows(conn, "verra"):
            pass
    stream_seconds = time.perf_counter() - began
    began = time.perf_counter()
    with read_transaction(engine) as conn:
        found = findings_of(conn, "verra", [], today="2026-03-01", grace_days=14)
    match_seconds = time.perf_counter() - began
    progress(f"reconcile.{db}: recording {len(found):,} findings")
    began = time.perf_counter()
    counts = record(engine, found, ACTOR)
    record_seconds = time.perf_counter() - began
    expected = {
        MATCHED: LOG_RETIREMENTS * 19 // 20 - MISNAMED,
        MISSING: LOG_RETIREMENTS // 20,
        BENEFICIARY: MISNAMED,
    }
    assert counts == expected, counts
    assert match_registry(engine, "verra", today="2026-03-01", grace_days=14) == {}
    matched = Result(
        f"reconcile.match.{db}",
        round(match_seconds, 2),
        "s",
        round(stream_seconds, 2),
        round(stream_seconds / match_seconds, 3),
        "<= 30 s",
        match_seconds <= 30,
    )
    recorded = Result(
        f"reconcile.record.{db}",
        round(len(found) / record_seconds, 1),
        "entries/s",
        0.0,
        0.0,
        "none yet (reported)",
        True,
    )
    return [imported, matched, recorded]


#: Of the log's retirements, one in this many names another beneficiary than the registry.
MISNAME_EVERY = 1000
#: Those are odd rows: none is an issuance row of the export (one in 20, the even ``i % 20 == 0``).
MISNAMED = len(range(1, LOG_RETIREMENTS, MISNAME_EVERY))


def log_retirements(engine: Engine) -> None:
    """The log's side, through the carbon units module: a village's Verra project
    (``registry_ids`` ``{"verra": "1529"}``) with one lot holding the serials of the export's
    first :data:`LOG_RETIREMENTS` rows, and one ``units.retire`` entry per row (appended in
    batches through the locked write path, so the units projector checks every serial),
    each for the organisation the registry row names (one in :data:`MISNAME_EVERY` for
    another). Of them, the rows the export has as issuance rows (one in 20) are missing in the
    registry; the others match."""
    services.register_project(
        engine,
        ProjectSpec("VCS-1529", "vcs", "福建林业碳汇（基准）", OWNER, VILLAGE, "1000",
                    ("2019-01-01", "2019-12-31"), registry_ids={"verra": "1529"}),
        actor="bench", within=None,
    )  # fmt: skip
    doc = Document(hashlib.sha256(b"verra-lot").hexdigest(), 9, "签发文件（基准）")
    services.issue_lot(
        engine,
        IssueSpec("VCS-1529", "V1", 2019, ("2019-01-01", "2019-12-31"), LOG_RETIREMENTS * UNITS,
                  "2022-03-14", doc, first=100_000_001, serial_digits=10),
        actor="bench", within=None,
    )  # fmt: skip
    with read_transaction(engine) as conn:
        lots = {lot.lot: lot for lot in services.lots_of(conn, "VCS-1529")}
    batch: list[EntryDraft] = []
    for i in range(LOG_RETIREMENTS):
        start = 100_000_001 + i * UNITS
        name = f"福建某公司{i % 97}，碳中和" if i % MISNAME_EVERY != 1 else "另一家公司"
        body = {
            "serials": [["V1", start, start + UNITS - 1]],
            "project": "VCS-1529",
            "division": VILLAGE,
            "holder": OWNER,
            "beneficiary": {"type": "organisation", "name": name},
            "use": "esg",
            "date": f"2023-06-{1 + i % 28:02d}",
        }
        legs = book.postings_for(book.RETIRE, body, lots)
        batch.append(EntryDraft(book.RETIRE, body, "bench", tuple(Posting(*leg) for leg in legs)))
        if len(batch) == 10_000:
            append_batch(engine, batch)
            batch = []
    if batch:
        append_batch(engine, batch)
