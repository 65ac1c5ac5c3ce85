"""Background jobs on both databases, with the one job kind the modules declare today (the
one-yuan import): a queued job runs once (a second claim does nothing), reports its progress in
its row as it goes, ends ``done`` with its result or ``failed`` with its errors (an import's bad
lines), and drops its stored input when it ends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ledger.config import load_settings
from ledger.core.errors import NotFoundError
from ledger.jobs import runner
from ledger.vault.crypto import ensure_vault_key
from tests.units import make_lot, make_project

HEADER = "order_id,paid_at,buyer,amount_yuan,kg,certificate_no,project_code\n"


@pytest.fixture
def settings(tmp_path):
    settings = load_settings(instance_path=tmp_path / "instance")
    ensure_vault_key(settings)
    return settings


@pytest.fixture
def project(engine):
    make_project(engine, "SC-001", programme="one_yuan")
    make_lot(engine, "SC-001", "SC-001-L1", count=1_000, unit_kg=10)


def queue(engine, data: bytes) -> int:
    return runner.create_job(
        engine, "units.oneyuan_import", params={"within": "350428", "file": "orders.csv"},
        owner="350428", actor="user:1", input=data,
    )  # fmt: skip


def test_a_job_runs_once_and_keeps_its_outcome(engine, settings, project):
    job_id = queue(engine, (HEADER + "WX1,2024-05-01 10:00:00,张三,2,20,C1,SC-001\n").encode())
    queued = runner.get_job(engine, job_id)
    assert (queued.status, queued.percent, queued.finished) == ("queued", 0, False)
    seen = []
    original = runner.JobContext.progress

    def spy(self, stage, done, total, *, force=False):
        seen.append((stage, done, total))
        original(self, stage, done, total, force=force)

    runner.JobContext.progress = spy
    try:
        done = runner.run_job(engine, settings, job_id)
    finally:
        runner.JobContext.progress = original
    assert done.status == "done" and done.finished and done.percent == 100
    assert done.result["imported"] == 1 and done.errors == []
    assert ("writing", 0, 1) in seen and seen[0][0] == "checking"
    assert (done.stage, done.total) == ("writing", 1)  # the last progress written
    with engine.connect() as conn:
        assert conn.execute(select(runner.JOB.c.input)).scalar() is None
    assert runner.run_job(engine, settings, job_id) == done  # claimed once only
    assert runner.queued(engine) == []


def test_a_failing_job_keeps_every_error(engine, settings, project):
    job_id = queue(engine, (HEADER + "WX1,2024-05-01 10:00:00,张三,2,21,C1,SC-001\n").encode())
    failed = runner.run_job(engine, settings, job_id)
    assert failed.status == "failed"
    assert [(e["line"], e["code"]) for e in failed.errors] == [(2, "kg")]


def test_queued_jobs_run_in_order(engine, settings, project):
    ids = [queue(engine, (HEADER + f"WX{i},2024-05-01 10:00:00,张三,1,10,C{i},SC-001\n").encode())
           for i in range(3)]  # fmt: skip
    ran = runner.run_queued(engine, settings)
    assert [j.id for j in ran] == ids and {j.status for j in ran} == {"done"}


def test_unknown_kinds_and_jobs_are_refused(engine, settings):
    with pytest.raises(NotFoundError):
        runner.create_job(engine, "no.such", params={}, owner="x", actor="y")
    with pytest.raises(NotFoundError):
        runner.run_job(engine, settings, 12345)
