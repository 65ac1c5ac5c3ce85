"""The real job in real processes, on both databases: two ``carbon-ledger scheduler run``
processes started together fetch a watched folder's Verra export on the source's schedule
(every minute) and reconcile it against a retirement of the log: the minute's run is done once,
the file is imported once (one ``reconcile.import`` entry) and the finding recorded once."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from ledger.reconcile import findings, sources
from ledger.scheduler import runs
from ledger.scheduler.runs import RUN
from ledger.services.log import read_entries, read_head
from ledger.storage.db import read_transaction
from tests.reconcile.test_scenarios import FIRST, HEADER, OLD, project, sell, verra_row
from tests.scheduler.test_process import _start, _stop, _wait_for
from tests.units import make_lot


def _kinds(engine) -> Counter:
    with read_transaction(engine) as conn:
        size = read_head(conn).size
        return Counter(e.kind for e in read_entries(conn, "main", 0, size))


@pytest.mark.slow
def test_two_schedulers_fetch_and_reconcile_a_source_once(engine, db_url, tmp_path):
    project(engine)
    make_lot(engine, "VCS-1529", "V1", count=1_000, first=FIRST, serial_digits=9)
    ((_, start, end),) = sell(engine, 100, on=OLD).body["serials"]
    folder = tmp_path / "verra"
    folder.mkdir()
    (folder / "export.csv").write_text(
        "\ufeff" + HEADER + "\r\n" + verra_row(start, end, who="华为技术有限公司") + "\r\n",
        "utf-8",
    )
    sources.create_source(
        engine, actor="t", name="verra-1529", format="verra", location_kind="folder",
        location=str(folder), cron="* * * * *", division="350428",
    )  # fmt: skip
    logs = [tmp_path / f"scheduler-{i}.log" for i in range(2)]
    procs = [_start(db_url, tmp_path, log) for log in logs]
    try:

        def done():
            with read_transaction(engine) as conn:
                return conn.execute(
                    select(RUN).where(RUN.c.job == "reconcile.fetch:verra-1529")
                ).all()

        (run,) = _wait_for(
            lambda: [r for r in done() if r.status == runs.DONE] or None, timeout=150
        )
    finally:
        _stop(*procs)
    fetched = [r for r in done() if r.scheduled_at == run.scheduled_at]
    assert len(fetched) == 1 and run.division == "350428"
    assert runs.get_run(engine, run.id).counts["retirements"] == 1
    kinds = _kinds(engine)
    assert kinds["reconcile.import"] == 1 and kinds["reconcile.finding"] == 1
    (matched,) = findings.list_findings(engine, "350428")
    assert matched.cls == findings.MATCHED and matched.quantity == end - start + 1


@pytest.mark.slow
def test_a_fetch_killed_while_importing_is_finished_by_the_next_scheduler(engine, db_url, tmp_path):
    from bench.reconcile import write_export
    from ledger.reconcile.imports import RETIREMENT

    folder = tmp_path / "verra"
    folder.mkdir()
    write_export(folder / "big.csv", 100_000)  # 95,000 retirements, 5,000 issuance rows
    sources.create_source(
        engine, actor="t", name="verra-big", format="verra", location_kind="folder",
        location=str(folder), cron="* * * * *", division="350428",
    )  # fmt: skip

    def importing():
        with read_transaction(engine) as conn:
            return conn.execute(
                select(RUN).where(
                    RUN.c.job == "reconcile.fetch:verra-big", RUN.c.stage == "importing"
                )
            ).first()

    first = _start(db_url, tmp_path, tmp_path / "first.log")
    try:
        victim = _wait_for(importing, timeout=150)
    finally:
        first.kill()  # SIGKILL in the middle of the import's transaction
        first.wait()
    assert _kinds(engine)["reconcile.import"] == 0  # nothing half-imported
    second = _start(db_url, tmp_path, tmp_path / "second.log")
    try:

        def finished():
            run = runs.get_run(engine, victim.id)
            return run if run.status == runs.DONE else None

        run = _wait_for(finished, timeout=150)
    finally:
        _stop(second)
    assert run.attempt == 2 and run.owner != victim.owner
    assert run.counts["retirements"] == 95_000 and run.counts["issuance_rows_skipped"] == 5_000
    assert _kinds(engine)["reconcile.import"] == 1
    with read_transaction(engine) as conn:
        assert len(conn.execute(select(RETIREMENT.c.id)).all()) == 95_000
