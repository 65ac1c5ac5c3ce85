"""Shared pieces of the benchmarks: results, throw-away databases, workloads, timing."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from ledger.core.entry import EntryDraft, Posting
from ledger.storage.db import make_engine
from ledger.storage.migrate import upgrade

PG_ADMIN_URL = os.environ.get(
    "LEDGER_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
RESULTS_PATH = Path(__file__).with_name("results.json")

#: A fixed entry time, so every run writes leaves of the same size.
TIME = "2026-01-01T00:00:00.000000Z"


@dataclass(frozen=True)
class Result:
    """One figure: ``value`` in ``unit`` against ``ceiling`` (same unit), ``ratio`` the
    fraction of the ceiling's speed achieved, ``target`` what it should reach."""

    name: str
    value: float
    unit: str
    ceiling: float
    ratio: float
    target: str
    met: bool

    def as_json(self) -> dict:
        row = asdict(self)
        del row["met"]
        return row


def rate_result(
    name: str,
    count: int,
    seconds: float,
    ceiling_seconds: float,
    min_ratio: float,
    unit: str = "entries/s",
):
    """A throughput figure (``count`` items in ``seconds``, in ``unit``) against its ceiling."""
    value = count / seconds
    ceiling = count / ceiling_seconds
    ratio = value / ceiling
    return Result(
        name,
        round(value, 1),
        unit,
        round(ceiling, 1),
        round(ratio, 3),
        f">= {min_ratio} ratio",
        ratio >= min_ratio,
    )


def latency_result(name: str, value_ms: float, ceiling_ms: float, max_ms: float):
    """A latency figure (median milliseconds) against its ceiling."""
    return Result(
        name,
        round(value_ms, 3),
        "ms",
        round(ceiling_ms, 3),
        round(ceiling_ms / value_ms, 3),
        f"<= {max_ms:g} ms",
        value_ms <= max_ms,
    )


def write_results(results: list[Result], path: Path = RESULTS_PATH) -> None:
    path.write_text(json.dumps([r.as_json() for r in results], indent=2) + "\n")


def print_table(results: list[Result]) -> None:
    header = ("benchmark", "value", "unit", "ceiling", "ratio", "target", "")
    rows = [header] + [
        (
            r.name,
            f"{r.value:,.3f}" if r.unit in ("ms", "s") else f"{r.value:,.0f}",
            r.unit,
            f"{r.ceiling:,.3f}" if r.unit in ("ms", "s") else f"{r.ceiling:,.0f}",
            f"{r.ratio:.3f}",
            r.target,
            "ok" if r.met else "MISSED",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    right = {1, 3, 4}
    for n, row in enumerate(rows):
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def progress(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# --- databases ------------------------------------------------------------------------------


_databases = itertools.count()


@contextmanager
def sqlite_database() -> Iterator[Engine]:
    """A migrated SQLite database in a temporary directory, removed afterwards."""
    directory = tempfile.mkdtemp(prefix=f"cl_bench_{os.getpid()}_")
    engine = make_engine(f"sqlite:///{directory}/ledger.db")
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        shutil.rmtree(directory, ignore_errors=True)


def settle(engine: Engine) -> None:
    """Let what was written before a timed run reach the disk first: the page cache's dirty
    pages (a file the benchmark just wrote, the databases of the lanes before it) and, on
    PostgreSQL, the server's dirty buffers (a ``CHECKPOINT``, as pgbench's documentation
    advises before each run). Otherwise the kernel and the server write them out during the
    timed run, into its commits and checkpoints."""
    os.sync()
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("CHECKPOINT"))
            conn.commit()


@contextmanager
def postgres_database(admin_url: str = PG_ADMIN_URL) -> Iterator[Engine]:
    """A migrated throw-away PostgreSQL database ``cl_bench_<pid>[_<n>]``, dropped afterwards."""
    n = next(_databases)
    name = f"cl_bench_{os.getpid()}" + (f"_{n}" if n else "")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")

    def run(sql: str) -> None:
        with admin.connect() as conn:
            conn.execute(text(sql))

    try:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        run(f'CREATE DATABASE "{name}"')
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        engine = make_engine(url)
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()
            run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def require_postgres(admin_url: str = PG_ADMIN_URL) -> None:
    """Exit with a clear message when the PostgreSQL server cannot be reached."""
    admin = create_engine(admin_url)
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        where = make_url(admin_url).render_as_string(hide_password=True)
        raise SystemExit(
            f"bench: PostgreSQL at {where} is unreachable ({exc.orig}); start it, point "
            "LEDGER_BENCH_PG at another server, or pass --no-postgres"
        ) from None
    finally:
        admin.dispose()


#: How to open a throw-away database of each kind.
DATABASES = {"sqlite": sqlite_database, "postgresql": postgres_database}


# --- workloads ------------------------------------------------------------------------------


def payout_drafts(start: int, count: int) -> list[EntryDraft]:
    """Benefit-sharing payouts: a village collective pays a household, two CNY postings.

    100 villages of 1,000 households each, so the balance projection touches a realistic
    spread of accounts.
    """
    drafts = []
    for i in range(start, start + count):
        village = f"35042810{i % 100:04d}"
        household = f"H{village}{i % 1000:04d}"
        amount = 1_000 + i % 50_000
        drafts.append(
            EntryDraft(
                "bench.payout",
                {
                    "distribution": f"D{i // 1000:07d}",
                    "household": household,
                    "line": i % 1000,
                    "method": "bank",
                    "memo": "2026 carbon ticket benefit share",
                },
                "user:42",
                (
                    Posting(f"Assets:Village:{village}:Collective", "CNY", -amount),
                    Posting(f"Liabilities:Household:{household}", "CNY", amount),
                ),
            )
        )
    return drafts


def anchor_drafts(start: int, count: int) -> list[EntryDraft]:
    """Document anchors without postings (small entries, to grow a log quickly)."""
    return [
        EntryDraft(
            "doc.anchor",
            {"sha256": f"{i:064x}", "size": 1_000 + i % 100_000, "title": ""},
            "cli:bench",
        )
        for i in range(start, start + count)
    ]


# --- timing ---------------------------------------------------------------------------------


def timed(fn: Callable[..., object], *args: object) -> float:
    """Seconds taken by ``fn(*args)``."""
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000
