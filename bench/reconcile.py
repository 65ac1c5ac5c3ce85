"""Reconciliation benchmarks.

- ``reconcile.import.<db>``: registry rows per second importing a 1,000,000-row Verra export
  (read, checked, stored once, anchored), against a ceiling of reading the same file with the
  ``csv`` module alone in the same run; target ratio >= 0.3.
- ``reconcile.match.<db>``: seconds to match 100,000 log retirements against the 1,000,000
  registry rows just imported (streamed from the database, swept by serial overlap), against
  a ceiling of streaming those rows alone; target <= 30 s.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from sqlalchemy import Engine

from bench.common import Result, progress, rate_result
from ledger.reconcile.formats import LAYOUTS
from ledger.reconcile.imports import import_file
from ledger.reconcile.matching import LogRetirement, Tracked, compare, registry_rows
from ledger.storage.db import read_transaction

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


def write_export(path: Path, rows: int = ROWS) -> None:
    """A Verra export: ``rows`` rows of 100 units each, one in 20 an issuance row, quoted
    fields with commas and Chinese, quantities with thousands separators."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        fh.write(HEADER + "\r\n")
        for i in range(rows):
            start = 100_000_001 + i * UNITS
            end = start + UNITS - 1
            serial = (
                f"{9000 + i // 1000}-{start}-{end}-VCS-VCU-263-VER-CN-14-1529-01012019-31122019-0"
            )
            retired = "" if i % 20 == 0 else f"{1 + i % 28:02d}/06/2023"
            who = "" if not retired else f'"福建某公司{i % 97}，碳中和"'
            fh.write(
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
    ceiling = _csv_alone(path)
    progress(f"reconcile.{db}: importing")
    began = time.perf_counter()
    result = import_file(engine, path, LAYOUTS["verra"], actor="bench")
    seconds = time.perf_counter() - began
    assert result.retirements + result.issuance_rows_skipped == ROWS
    imported = rate_result(f"reconcile.import.{db}", ROWS, seconds, ceiling, 0.3, "rows/s")

    # Every tenth retired row is in the log, under its own serials.
    log = [
        LogRetirement(
            i,
            "",
            100_000_001 + i * UNITS,
            100_000_000 + (i + 1) * UNITS,
            "",
            "2023-06-01",
            ("350428",),
        )
        for i in range(0, ROWS, ROWS // LOG_RETIREMENTS)
    ]
    tracked = [Tracked("", 100_000_001, 100_000_000 + ROWS * UNITS, ("350428",))]
    progress(f"reconcile.{db}: matching {len(log):,} log retirements")
    began = time.perf_counter()
    with read_transaction(engine) as conn:
        streamed = list(registry_rows(conn, "verra"))
    stream_seconds = time.perf_counter() - began
    found = sum(1 for _ in compare("verra", log, streamed, tracked, missing_before="2023-01-01"))
    match_seconds = time.perf_counter() - began
    assert found >= len(log)
    matched = Result(
        f"reconcile.match.{db}",
        round(match_seconds, 2),
        "s",
        round(stream_seconds, 2),
        round(stream_seconds / match_seconds, 3),
        "<= 30 s",
        match_seconds <= 30,
    )
    return [imported, matched]
