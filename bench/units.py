"""The units module's benchmarks.

``oneyuan_import.<db>``: purchases/s of ``carbon-ledger oneyuan import``'s service importing
100,000 purchases of one file (one transaction: the file's anchor and one entry per purchase,
vault records for the buyers' names, holdings, the sales register), against the append
benchmark's ceiling of the same run (bare inserts of entry and posting rows; target ratio
≥ 0.3). The file and the project (a village's one-yuan project with enough serials) are made
before timing.

``units.transfer.postgresql``: single transfers/s from 20 client processes, each transfer its
own transaction through the locked write path (``ledger.units.services.transfer``: the head
lock, the holdings read, the entry, its projections), against the same 20 processes
inserting one row per transaction into a bare table. No target: the figure is reported so a
later change to the write path can be judged against it.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time

from sqlalchemy import Column, Integer, MetaData, Table, Text, insert

from bench.common import DATABASES, Result, progress
from ledger.platform.registry import registry
from ledger.storage.db import make_engine, write_transaction
from ledger.units import oneyuan, services
from ledger.units.services import Document, IssueSpec, ProjectSpec
from ledger.vault.crypto import Vault

PURCHASES = 100_000
ROUNDS = 2
TARGET = 0.3
VILLAGE = "350721100201"
OWNER = f"Assets:Village:{VILLAGE}:Collective"
COMPANY = "Assets:Company:914403001922038216"
CLIENTS = 20
TRANSFERS_EACH = 100
ACTOR = "bench"


def purchases_csv(count: int, project: str = "SC-001", start: int = 0) -> bytes:
    """A mini-programme export of ``count`` purchases of 1 to 50 yuan."""
    lines = ["order_id,paid_at,buyer,amount_yuan,kg,certificate_no,project_code"]
    for i in range(start, start + count):
        yuan = 1 + i % 50
        second = i % 86_400
        paid = f"2024-05-{1 + i // 86_400 % 28:02d} {second // 3600:02d}:{second // 60 % 60:02d}"
        lines.append(
            f"WX{i:010d},{paid}:{second % 60:02d},买家{i % 9973},{yuan},{10 * yuan},"
            f"YYTH{i:010d},{project}"
        )
    return ("\n".join(lines) + "\n").encode()


def setup_project(engine, project: str, units: int, owner: str = OWNER) -> None:
    """A one-yuan project owned by a village, with one lot of ``units`` serials of 10 kg."""
    services.register_project(
        engine,
        ProjectSpec(project, "one_yuan", "一元碳汇（基准）", owner, VILLAGE, "1000",
                    ("2020-01-01", "2029-12-31")),
        actor=ACTOR, within=None,
    )  # fmt: skip
    doc = Document(hashlib.sha256(project.encode()).hexdigest(), len(project), "签发文件（基准）")
    services.issue_lot(
        engine,
        IssueSpec(project, f"{project}-L1", 2020, ("2020-01-01", "2020-12-31"), units,
                  "2021-01-01", doc),
        actor=ACTOR, within=None,
    )  # fmt: skip


def run_import(db: str, append_ceiling: float) -> Result:
    """``oneyuan_import.<db>`` against the append ceiling measured in the same run: the best
    of :data:`ROUNDS` imports, each into a fresh database (as the append benchmark takes the
    best of its rounds)."""
    name = f"oneyuan_import.{db}"
    data = purchases_csv(PURCHASES)
    vault = Vault.from_key(os.urandom(32))
    best = float("inf")
    for n in range(ROUNDS):
        with DATABASES[db]() as engine:
            setup_project(engine, "SC-001", PURCHASES * 50)
            start = time.perf_counter()
            result = oneyuan.import_purchases(engine, vault, data, actor=ACTOR)
            seconds = time.perf_counter() - start
        if result.imported != PURCHASES:
            raise RuntimeError(f"{name}: imported {result.imported} of {PURCHASES}")
        progress(f"{name} round {n + 1}: {PURCHASES / seconds:,.0f} purchases/s")
        best = min(best, seconds)
    value = PURCHASES / best
    ratio = value / append_ceiling
    progress(f"{name}: {value:,.0f} purchases/s (append ceiling {append_ceiling:,.0f})")
    return Result(
        name, round(value, 1), "purchases/s", round(append_ceiling, 1), round(ratio, 3),
        f">= {TARGET} ratio", ratio >= TARGET,
    )  # fmt: skip


def _client(url: str, mode: str, barrier, done) -> None:
    """One client process: start up (load the modules, as a server process does before its
    first request), wait for the others, then transfer (or insert) one at a time."""
    registry()
    engine = make_engine(url, pool_size=1)
    try:
        table = Table("bench_commit", MetaData(), Column("id", Integer, primary_key=True),
                      Column("payload", Text))  # fmt: skip
        barrier.wait()
        for _ in range(TRANSFERS_EACH):
            if mode == "transfer":
                services.transfer(
                    engine, project="SC-T", from_=OWNER, to=COMPANY, kg=10, date="2024-05-01",
                    actor=ACTOR, within=None,
                )  # fmt: skip
            else:
                with write_transaction(engine) as conn:
                    conn.execute(insert(table).values(payload="one transfer's worth"))
        done.put(os.getpid())
    finally:
        engine.dispose()


def _clients(url: str, mode: str) -> float:
    """Seconds for :data:`CLIENTS` processes to do :data:`TRANSFERS_EACH` each."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(CLIENTS + 1)
    done = context.Queue()
    workers = [
        context.Process(target=_client, args=(url, mode, barrier, done)) for _ in range(CLIENTS)
    ]
    for w in workers:
        w.start()
    barrier.wait()
    start = time.perf_counter()
    for _ in workers:
        done.get(timeout=600)
    seconds = time.perf_counter() - start
    for w in workers:
        w.join()
        if w.exitcode:
            raise RuntimeError(f"a {mode} client failed (exit {w.exitcode})")
    return seconds


def run_transfers() -> Result:
    """``units.transfer.postgresql``."""
    name = "units.transfer.postgresql"
    count = CLIENTS * TRANSFERS_EACH
    with DATABASES["postgresql"]() as engine:
        setup_project(engine, "SC-T", count * 2)
        Table("bench_commit", MetaData(), Column("id", Integer, primary_key=True),
              Column("payload", Text)).create(engine)  # fmt: skip
        url = engine.url.render_as_string(hide_password=False)
        ceiling = count / _clients(url, "insert")
        value = count / _clients(url, "transfer")
    ratio = value / ceiling
    progress(f"{name}: {value:,.0f} transfers/s (ceiling {ceiling:,.0f} commits/s)")
    return Result(
        name, round(value, 1), "transfers/s", round(ceiling, 1), round(ratio, 3),
        "none yet (reported)", True,
    )  # fmt: skip
