"""Runs keyed by (job, scheduled time): one claim wins, finished runs are never run again, a
run whose process died is taken over once, and how a run ended is recorded."""

from __future__ import annotations

import socket
import threading

import pytest
from sqlalchemy import insert, select

from ledger.config import load_settings
from ledger.core.errors import ValidationError
from ledger.scheduler import runs
from ledger.scheduler.process import cron_trigger, run_name
from ledger.scheduler.runs import RUN, claim, execute, is_stale, perform, retry_stale
from ledger.storage.db import read_transaction, write_transaction

AT = "2026-03-01T19:00:00Z"


@pytest.fixture
def settings(tmp_path, db_url):
    return load_settings(database_url=db_url, instance_path=tmp_path / "instance")


def _rows(engine, job="j"):
    with read_transaction(engine) as conn:
        return conn.execute(select(RUN).where(RUN.c.job == job)).all()


def test_one_claim_of_a_scheduled_time_wins(engine):
    first = claim(engine, "j", AT, runs.process_owner())
    assert first is not None and first.status == runs.RUNNING and first.attempt == 1
    assert claim(engine, "j", AT, runs.process_owner()) is None
    assert claim(engine, "j", "2026-03-01T20:00:00Z", runs.process_owner()) is not None
    assert len(_rows(engine)) == 2


def test_claims_racing_in_threads_give_one_run(engine):
    won = []
    barrier = threading.Barrier(6)

    def race():
        barrier.wait()
        won.append(claim(engine, "j", AT, runs.process_owner()))

    threads = [threading.Thread(target=race) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r is not None for r in won) == 1
    assert len(_rows(engine)) == 1


def test_a_finished_run_is_never_run_again(engine, settings):
    calls = []

    def work(ctx):
        calls.append(ctx.scheduled_at)
        return {"n": 1}

    owner = runs.process_owner()
    done = execute(engine, settings, "j", AT, work, {}, owner)
    assert done.status == runs.DONE and done.counts == {"n": 1}
    assert execute(engine, settings, "j", AT, work, {}, owner) is None
    assert execute(engine, settings, "j", AT, work, {}, runs.process_owner()) is None
    assert calls == [AT]


def _insert_running(engine, owner, heartbeat):
    with write_transaction(engine) as conn:
        conn.execute(
            insert(RUN).values(
                job="j",
                scheduled_at=AT,
                status=runs.RUNNING,
                attempt=1,
                owner=owner,
                started_at=heartbeat,
                heartbeat_at=heartbeat,
                stage="working",
                progress=1,
                total=2,
                counts="{}",
                errors="[]",
            )
        )


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_run_whose_process_died_is_taken_over_and_finished(engine, settings):
    from ledger.services.clock import utc_now

    _insert_running(engine, f"{socket.gethostname()}:{_dead_pid()}:dead", utc_now())
    calls = []
    finished = retry_stale(
        engine, settings, "j", lambda ctx: calls.append(ctx.run.attempt) or {}, {}, "me:1:x"
    )
    assert [r.status for r in finished] == [runs.DONE]
    assert calls == [2]
    (row,) = _rows(engine)
    assert (row.status, row.attempt, row.owner) == (runs.DONE, 2, "me:1:x")
    # Taken over once: a second retry finds nothing stale.
    assert retry_stale(engine, settings, "j", lambda ctx: {}, {}, "other:1:y") == []


def test_a_silent_run_on_another_host_is_stale_only_after_the_threshold(engine):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    recent = runs.utc_iso(now - timedelta(seconds=10))
    _insert_running(engine, "another-host:1:x", recent)
    (row,) = _rows(engine)
    run = runs._run(row)
    assert not is_stale(run, now)
    assert is_stale(run, now + timedelta(seconds=runs.STALE_AFTER + 1))
    assert claim(engine, "j", AT, "me:1:x") is None  # alive: left alone


def test_a_live_run_of_this_process_is_not_stale(engine):
    from ledger.services.clock import utc_now

    owner = runs.process_owner()
    _insert_running(engine, owner, utc_now())
    assert runs.stale_runs(engine) == []


def test_refusals_and_crashes_are_recorded_as_failed(engine, settings):
    def refuse(ctx):
        raise ValidationError("reconcile.mapping", "no", {"errors": [{"line": 3, "reason": "x"}]})

    def crash(ctx):
        raise RuntimeError("boom")

    owner = runs.process_owner()
    failed = execute(engine, settings, "a", AT, refuse, {}, owner)
    assert failed.status == runs.FAILED and failed.errors == [{"line": 3, "reason": "x"}]
    crashed = execute(engine, settings, "b", AT, crash, {}, owner)
    assert crashed.status == runs.FAILED
    assert crashed.errors[0]["code"] == "run.internal" and "boom" not in str(crashed.errors)


def test_progress_is_visible_to_other_connections(engine, settings):
    seen = []

    def work(ctx):
        ctx.progress("importing", 5, 10, force=True)
        seen.append(runs.get_run(engine, ctx.run.id))
        return {}

    run = claim(engine, "j", AT, runs.process_owner())
    perform(engine, settings, run, work, {})
    assert (seen[0].stage, seen[0].progress, seen[0].total, seen[0].percent) == (
        "importing",
        5,
        10,
        50,
    )


def test_heartbeat_touches_only_the_owners_running_runs(engine):
    mine, other = runs.process_owner(), runs.process_owner()
    claim(engine, "j", AT, mine)
    claim(engine, "k", AT, other)
    assert runs.heartbeat(engine, mine) == 1


@pytest.mark.parametrize("expression", ["* * *", "61 * * * *", "0 25 * * *", "x y z a b"])
def test_bad_cron_expressions_are_refused(expression):
    with pytest.raises(ValidationError) as exc:
        cron_trigger(expression)
    assert exc.value.code == "schedule.cron"


def test_cron_is_read_in_beijing_time():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    trigger = cron_trigger("0 3 * * *")
    now = datetime(2026, 3, 1, 12, 0, tzinfo=ZoneInfo("UTC"))
    fire = trigger.get_next_fire_time(None, now)
    assert runs.utc_iso(fire) == "2026-03-01T19:00:00Z"  # 03:00 on the 2nd in Beijing


def test_run_names():
    assert run_name("reconcile.fetch", "verra") == "reconcile.fetch:verra"
    assert run_name("log.checkpoint", "") == "log.checkpoint"
