"""The scheduler process for real: ``carbon-ledger scheduler run`` processes started together
run each scheduled time of a job once, and a run killed mid-way is taken over and finished by
the next process. Also the scheduled checkpoint."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import select

from ledger.config import load_settings
from ledger.core.entry import EntryDraft
from ledger.scheduler import checkpoint, runs
from ledger.scheduler.runs import RUN
from ledger.services.checkpoints import latest
from ledger.services.keys import create_signing_key
from ledger.services.log import append_batch, read_entries, read_head
from ledger.storage.db import read_transaction
from tests.scheduler.jobs import RELEASE_ENV

EXTRA = "tests.support.module:MODULE,tests.scheduler.jobs:MODULE"


def _start(db_url, tmp_path, log=None, **env):
    environ = {
        **os.environ,
        "LEDGER_EXTRA_MODULES": EXTRA,
        "LEDGER_INSTANCE_PATH": str(tmp_path / "instance"),
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "ledger.cli", "scheduler", "run", "--db", db_url],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=(log or tmp_path / "scheduler.log").open("ab"),
    )


def _stop(*procs):
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _notes(engine, field):
    with read_transaction(engine) as conn:
        size = read_head(conn).size
        entries = list(read_entries(conn, "main", 0, size))
    return [e.body for e in entries if e.kind == "test.note" and field in e.body]


def _wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


@pytest.mark.slow
def test_two_scheduler_processes_run_each_scheduled_time_once(engine, db_url, tmp_path):
    release = tmp_path / "release"
    release.touch()
    logs = [tmp_path / f"scheduler-{i}.log" for i in range(2)]
    procs = [_start(db_url, tmp_path, log, **{RELEASE_ENV: str(release)}) for log in logs]
    try:
        _wait_for(lambda: all(b"Scheduler started" in log.read_bytes() for log in logs))
        before = len(_notes(engine, "tick"))
        _wait_for(lambda: len(_notes(engine, "tick")) >= before + 5 or None)
    finally:
        _stop(*procs)
    ticks = Counter(b["tick"] for b in _notes(engine, "tick"))
    assert ticks and max(ticks.values()) == 1, ticks
    with read_transaction(engine) as conn:
        rows = conn.execute(select(RUN.c.job, RUN.c.scheduled_at, RUN.c.status)).all()
    tick_runs = Counter(r.scheduled_at for r in rows if r.job == "test.tick")
    assert max(tick_runs.values()) == 1
    assert set(ticks) == {at for at, _ in tick_runs.items()} - {
        r.scheduled_at for r in rows if r.job == "test.tick" and r.status != runs.DONE
    }


@pytest.mark.slow
def test_a_run_killed_mid_way_is_taken_over_and_finished(engine, db_url, tmp_path):
    release = tmp_path / "release"
    first = _start(db_url, tmp_path, **{RELEASE_ENV: str(release)})
    try:

        def working():
            with read_transaction(engine) as conn:
                return conn.execute(
                    select(RUN).where(RUN.c.job == "test.slow", RUN.c.stage == "working")
                ).first()

        victim = _wait_for(working)
    finally:
        first.kill()  # SIGKILL: no chance to finish or to say so
        first.wait()
    assert _notes(engine, "slow") == []  # it died before committing its work
    release.touch()
    second = _start(db_url, tmp_path, **{RELEASE_ENV: str(release)})
    try:

        def finished():
            run = runs.get_run(engine, victim.id)
            return run if run.status == runs.DONE else None

        run = _wait_for(finished)
    finally:
        _stop(second)
    assert run.attempt == 2 and run.owner != victim.owner
    slow = Counter(b["slow"] for b in _notes(engine, "slow"))
    assert slow[victim.scheduled_at] == 1
    assert max(slow.values()) == 1


def test_the_scheduled_checkpoint_signs_only_when_the_log_grew(engine, db_url, tmp_path):
    settings = load_settings(database_url=db_url, instance_path=tmp_path / "instance")
    create_signing_key(settings.key_path, settings.log_origin)
    owner = runs.process_owner()

    def fire(at):
        return runs.execute(engine, settings, "log.checkpoint", at, checkpoint.run, {}, owner)

    assert fire("2026-03-01T00:00:00Z").counts == {"size": 0, "signed": 0}
    append_batch(engine, [EntryDraft("test.note", {"n": 1}, "t")])
    assert fire("2026-03-01T01:00:00Z").counts == {"size": 1, "signed": 1, "number": 0}
    assert fire("2026-03-01T02:00:00Z").counts == {"size": 1, "signed": 0}
    with read_transaction(engine) as conn:
        assert latest(conn).checkpoint.size == 1


def test_scheduler_jobs_lists_the_plans(db_url, tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "scheduler", "jobs", "--db", db_url],
        env={**os.environ, "LEDGER_EXTRA_MODULES": EXTRA},
        capture_output=True,
        text=True,
        check=True,
    )
    jobs = {j["job"]: j for j in map(json.loads, out.stdout.splitlines())}
    assert {"log.checkpoint", "test.tick", "test.slow"} <= set(jobs)
    assert jobs["log.checkpoint"]["next"].endswith(":00Z")


@pytest.mark.slow
def test_the_process_runs_the_web_apps_queued_jobs(engine, db_url, tmp_path):
    """A job queued by a page (here a one-yuan import) is run by ``scheduler run`` within
    seconds, and the process's own housekeeping fires without errors (it once handed the
    plans' run time to the queue runner, which refused it, so queued jobs never ran)."""
    from ledger.jobs import runner
    from ledger.vault.crypto import ensure_vault_key
    from tests.units import make_lot, make_project

    ensure_vault_key(load_settings(instance_path=tmp_path / "instance"))
    make_project(engine, "SC-001", programme="one_yuan")
    make_lot(engine, "SC-001", "SC-001-L1", count=1_000, unit_kg=10)
    header = "order_id,paid_at,buyer,amount_yuan,kg,certificate_no,project_code\n"
    job_id = runner.create_job(
        engine, "units.oneyuan_import", params={"within": "350428", "file": "orders.csv"},
        owner="350428", actor="user:1",
        input=(header + "WX1,2024-05-01 10:00:00,张三,2,20,C1,SC-001\n").encode(),
    )  # fmt: skip
    log = tmp_path / "scheduler.log"
    proc = _start(db_url, tmp_path, log)
    try:
        _wait_for(lambda: runner.get_job(engine, job_id).finished or None, timeout=90)
    finally:
        _stop(proc)
    job = runner.get_job(engine, job_id)
    assert (job.status, job.result["imported"]) == ("done", 1), job.errors
    assert b"raised an exception" not in log.read_bytes(), log.read_text()[-2000:]
