"""Stale runs, on both databases: a job whose process is killed (a real process, SIGKILL) in the
middle of the one-yuan import, inside its write transaction or after its commit, stays
``running`` with its lease; the next runner sees the run is gone, queues the job again and runs
it to the end, and every purchase is in the log exactly once. A live run is left alone, another
host's run is judged by its heartbeat, a job abandoned too often fails, and a run that lost its
lease does not record its outcome over its retry's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select, update

from ledger.config import load_settings
from ledger.jobs import runner
from ledger.jobs.runner import JobKind
from ledger.services.log import ENTRY
from ledger.services.verify import verify_log
from ledger.storage.db import read_transaction, write_transaction
from ledger.units.projection import SALE_T
from ledger.vault.crypto import ensure_vault_key
from tests.units import make_lot, make_project

ROOT = Path(__file__).resolve().parents[2]
HEADER = "order_id,paid_at,buyer,amount_yuan,kg,certificate_no,project_code\n"
ORDERS = 300


@pytest.fixture
def instance(tmp_path):
    path = tmp_path / "instance"
    ensure_vault_key(load_settings(instance_path=path))
    return path


@pytest.fixture
def settings(instance):
    return load_settings(instance_path=instance)


@pytest.fixture
def project(engine):
    make_project(engine, "SC-001", programme="one_yuan")
    make_lot(engine, "SC-001", "SC-001-L1", count=100_000, unit_kg=10)


def orders_csv(count: int = ORDERS) -> bytes:
    lines = [f"WX{i:05d},2024-05-01 10:00:00,买家{i},{1 + i % 5},{10 * (1 + i % 5)},C{i},SC-001"
             for i in range(count)]  # fmt: skip
    return (HEADER + "\n".join(lines) + "\n").encode()


def queue(engine, data: bytes) -> int:
    return runner.create_job(
        engine, "units.oneyuan_import", params={"within": "350428", "file": "orders.csv"},
        owner="350428", actor="user:1", input=data,
    )  # fmt: skip


def counts(engine) -> dict[str, int]:
    with read_transaction(engine) as conn:
        kinds = dict(conn.execute(select(ENTRY.c.kind, func.count()).group_by(ENTRY.c.kind)).all())
        sales = conn.execute(select(func.count()).select_from(SALE_T)).scalar_one()
        orders = conn.execute(
            select(func.count(func.distinct(SALE_T.c.order_id))).select_from(SALE_T)
        ).scalar_one()
    return {
        "purchases": kinds.get("units.oneyuan", 0),
        "anchors": kinds.get("doc.anchor", 0),
        "sales": sales,
        "orders": orders,
    }


def kill_mid_run(db_url: str, instance: Path, job_id: int, when: str, tmp_path: Path) -> int:
    """Run the job in a process of its own, SIGKILL it at ``when``; its pid."""
    marker = tmp_path / f"marker-{when}"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.jobs.crasher", db_url, str(instance), str(job_id),
         str(marker), when],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while not marker.exists():
            assert child.poll() is None, "the runner ended before reaching the kill point"
            assert time.monotonic() < deadline, "the runner never reached the kill point"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return child.pid


@pytest.mark.parametrize("when", ["writing", "written"])
def test_a_killed_run_is_retried_and_nothing_is_written_twice(
    engine, db_url, instance, settings, project, tmp_path, when
):
    job_id = queue(engine, orders_csv())
    before = counts(engine)
    pid = kill_mid_run(db_url, instance, job_id, when, tmp_path)

    stale = runner.get_job(engine, job_id)
    assert stale.status == "running" and stale.attempts == 1
    assert stale.runner.split(":")[1] == str(pid)
    assert runner.process_alive(stale.runner) is False and runner.abandoned(stale)
    committed = counts(engine)
    if when == "writing":
        assert committed == before  # the killed transaction left nothing
    else:
        assert committed["purchases"] == before["purchases"] + ORDERS

    (retried,) = runner.run_queued(engine, settings)  # reclaims, then runs it again
    assert (retried.id, retried.status, retried.attempts) == (job_id, "done", 2)
    assert retried.runner.split(":")[1] == str(os.getpid())
    if when == "writing":
        assert retried.result["imported"] == ORDERS
    else:  # the first run's commit stands; the retry finds every order in the log
        assert (retried.result["imported"], retried.result["skipped_existing"]) == (0, ORDERS)
    after = counts(engine)
    assert after == {
        "purchases": before["purchases"] + ORDERS,
        "anchors": before["anchors"] + 1,
        "sales": before["sales"] + ORDERS,
        "orders": before["orders"] + ORDERS,
    }
    with read_transaction(engine) as conn:
        assert conn.execute(select(runner.JOB.c.input)).scalar() is None
    assert verify_log(engine, []) == []
    assert runner.reclaim_abandoned(engine) == []


def _running(engine, job_id: int, runner_name: str, heartbeat: str, attempts: int = 1) -> None:
    with write_transaction(engine) as conn:
        conn.execute(
            update(runner.JOB)
            .where(runner.JOB.c.id == job_id)
            .values(status="running", runner=runner_name, heartbeat_at=heartbeat,
                    attempts=attempts)
        )  # fmt: skip


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, check=True)  # fmt: skip
    return int(done.stdout)


def test_live_runs_stay_and_gone_ones_are_queued_again(engine, project):
    now = "2026-01-01T00:10:00.000000Z"
    old = "2026-01-01T00:00:00.000000Z"  # ten minutes before: past the lease
    fresh = "2026-01-01T00:09:59.000000Z"
    host = runner.new_runner().split(":")[0]
    live, dead, far_fresh, far_old = (queue(engine, orders_csv(1)) for _ in range(4))
    _running(engine, live, runner.new_runner(), old)  # this process: alive, however old
    _running(engine, dead, f"{host}:{_dead_pid()}:1:abc", fresh)  # gone, however fresh
    _running(engine, far_fresh, "elsewhere:1:1:abc", fresh)
    _running(engine, far_old, "elsewhere:1:1:abc", old)
    assert runner.reclaim_abandoned(engine, now) == [dead, far_old]
    status = {j: runner.get_job(engine, j).status for j in (live, dead, far_fresh, far_old)}
    assert status == {live: "running", dead: "queued", far_fresh: "running", far_old: "queued"}
    assert runner.get_job(engine, dead).runner is None


def test_a_job_abandoned_too_often_fails(engine, project):
    job_id = queue(engine, orders_csv(1))
    _running(engine, job_id, "elsewhere:1:1:abc", "2026-01-01T00:00:00Z", runner.MAX_ATTEMPTS)
    assert runner.reclaim_abandoned(engine, "2026-01-02T00:00:00.000000Z") == []
    failed = runner.get_job(engine, job_id)
    assert failed.status == "failed" and failed.finished_at is not None
    assert [e["code"] for e in failed.errors] == ["job.abandoned"]
    with read_transaction(engine) as conn:
        assert conn.execute(select(runner.JOB.c.input)).scalar() is None


def test_a_run_that_lost_its_lease_keeps_its_hands_off(engine, settings, monkeypatch):
    """The kind is reclaimed while it runs (another runner claims it); when it ends, its
    outcome is not recorded over the other's."""

    def run(ctx):
        with write_transaction(ctx.engine) as conn:
            conn.execute(
                update(runner.JOB)
                .where(runner.JOB.c.id == ctx.job.id)
                .values(runner="elsewhere:1:1:other", status="running")
            )
        ctx.progress("late", 1, 1, force=True)  # no longer ours: not written
        return {"mine": True}

    monkeypatch.setattr(runner, "job_kinds", lambda: {"test.lost": JobKind("test.lost", "t", run)})
    with write_transaction(engine) as conn:
        job_id = conn.execute(
            runner.JOB.insert().values(
                kind="test.lost", status="queued", stage="", progress=0, total=0, params="{}",
                counts="{}", result="{}", errors="[]", owner="x", actor="t",
                created_at="2026-01-01T00:00:00Z",
            )
        ).inserted_primary_key[0]  # fmt: skip
    ended = runner.run_job(engine, settings, job_id)
    assert (ended.status, ended.runner, ended.result, ended.stage) == (
        "running",
        "elsewhere:1:1:other",
        {},
        "",
    )


def test_a_running_job_renews_its_heartbeat(engine, settings, monkeypatch):
    monkeypatch.setattr(runner, "HEARTBEAT", 0.02)
    seen = []

    def run(ctx):
        first = runner.get_job(ctx.engine, ctx.job.id).heartbeat_at
        for _ in range(500):  # until the heartbeat thread has renewed it
            time.sleep(0.02)
            now = runner.get_job(ctx.engine, ctx.job.id).heartbeat_at
            if now != first:
                seen.append((first, now))
                break
        return {}

    monkeypatch.setattr(runner, "job_kinds", lambda: {"test.beat": JobKind("test.beat", "t", run)})
    with write_transaction(engine) as conn:
        job_id = conn.execute(
            runner.JOB.insert().values(
                kind="test.beat", status="queued", stage="", progress=0, total=0, params="{}",
                counts="{}", result="{}", errors="[]", owner="x", actor="t",
                created_at="2026-01-01T00:00:00Z",
            )
        ).inserted_primary_key[0]  # fmt: skip
    done = runner.run_job(engine, settings, job_id)
    assert done.status == "done" and done.heartbeat_at is None
    assert len(seen) == 1 and seen[0][1] > seen[0][0]
    assert orjson.loads(orjson.dumps(done.result)) == {}
