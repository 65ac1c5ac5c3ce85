"""``python -m bench``: run every benchmark, print the table, write ``bench/results.json``.

Options: ``--only NAME`` (repeatable; ``append``, ``verify``, ``prove``, ``receipts``,
``reconcile``, ``oneyuan``, ``transfer``, ``community``, ``finalise``, ``judicial``,
``purchase``) and ``--no-postgres`` for a quick look; a full run is what ``make bench`` does.
``oneyuan`` and ``finalise`` run ``append`` too: their ceiling is the append benchmark's of the
same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

# The benchmarks' own entry kinds, for this process and every process it starts; the
# composition root's modules load with them (ledger.platform.registry).
os.environ["LEDGER_EXTRA_MODULES"] = "bench.module:MODULE"

from bench import (
    append,
    community,
    judicial,
    judicial_purchase,
    prove,
    receipts,
    reconcile,
    sharing,
    units,
    verify,
)
from bench.common import (
    RESULTS_PATH,
    postgres_database,
    print_table,
    progress,
    require_postgres,
    sqlite_database,
    write_results,
)

SUITES = (
    "append",
    "verify",
    "prove",
    "receipts",
    "reconcile",
    "oneyuan",
    "transfer",
    "community",
    "judicial",
    "purchase",
    "finalise",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", action="append", choices=SUITES, help="run only these")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL lane")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH, help="results file")
    args = parser.parse_args(argv)
    only = set(args.only or SUITES)

    if only & {"append", "reconcile", "oneyuan", "transfer", "finalise"} and not args.no_postgres:
        require_postgres()
    began = time.perf_counter()
    results = []
    databases = ["sqlite"] + ([] if args.no_postgres else ["postgresql"])
    if only & {"append", "oneyuan", "finalise"}:
        for db in databases:
            appended = append.run(db)
            results.append(appended)
            if "oneyuan" in only:
                results.append(units.run_import(db, appended.ceiling))
            if "finalise" in only:
                results.append(sharing.run_finalise(db, appended.ceiling))
    if "transfer" in only and not args.no_postgres:
        results.append(units.run_transfers())
    if only & {"verify", "prove"}:
        # One SQLite log serves both: verified at 200,000 entries, then grown to 1,000,000.
        with sqlite_database() as engine, tempfile.TemporaryDirectory() as workdir:
            if "verify" in only:
                results.append(verify.run(engine, "verify.sqlite", Path(workdir)))
            if "prove" in only:
                results.extend(prove.run(engine, "sqlite"))
    if "receipts" in only:
        results.append(receipts.run())
    if "community" in only:
        results.extend(community.run())
    if "judicial" in only:
        results.extend(judicial.run())
    if "purchase" in only:
        results.extend(judicial_purchase.run(db) for db in databases)
    if "reconcile" in only:
        with sqlite_database() as engine, tempfile.TemporaryDirectory() as workdir:
            results.extend(reconcile.run(engine, "sqlite", Path(workdir)))
        if not args.no_postgres:
            with postgres_database() as engine, tempfile.TemporaryDirectory() as workdir:
                results.extend(reconcile.run(engine, "postgresql", Path(workdir)))

    print()
    print_table(results)
    write_results(results, args.output)
    progress(f"wrote {args.output} in {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
