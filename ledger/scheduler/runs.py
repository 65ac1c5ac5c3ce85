"""Runs of scheduled jobs, keyed in the database by ``(job, scheduled time)``.

:func:`execute` is how the scheduler process runs a job for one scheduled time:

1. **claim** the run: insert its row (``status = running``, this process as ``owner``). The
   unique key ``(job, scheduled_at)`` lets one insert win; a process that loses does nothing.
   A row that is already there is taken over only when its run is *stale*: still ``running``
   but its process is gone (on this host, its pid no longer exists) or silent for longer than
   ``stale_after`` seconds (no heartbeat). The take-over is a conditional update on the row's
   owner and heartbeat, so two processes cannot both take it;
2. **run** the job's function with a :class:`RunContext` (progress, heartbeat);
3. **finish**: ``done`` with its counts, or ``failed`` with its errors.

A job's work must be safe to repeat for one scheduled time (it commits its effects in one
transaction, or recognises what it already did): a run killed half-way is then either
finished (it had committed) or cleanly retried by the next firing of its job
(:func:`retry_stale`), which takes the stale run over and runs it again.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ledger.config import Settings
from ledger.core.errors import LedgerError
from ledger.scheduler.tables import SchedulerRun
from ledger.services.clock import utc_now
from ledger.storage.db import read_transaction, write_transaction

RUN = SchedulerRun.__table__
RUNNING, DONE, FAILED = "running", "done", "failed"
#: A running run whose heartbeat is older than this (seconds) is taken to be dead.
STALE_AFTER = 300
#: Progress is written at most this often (seconds) unless its stage changes.
PROGRESS_EVERY = 0.5
MAX_ERRORS = 100

_log = logging.getLogger(__name__)


def process_owner() -> str:
    """This process as a run's owner: ``host:pid:nonce`` (the nonce tells apart two
    processes that reuse one pid)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def utc_iso(moment: datetime) -> str:
    """A scheduled time as stored: UTC, to the second (``2026-03-01T19:00:00Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)


@dataclass(frozen=True)
class Run:
    """A run as stored (JSON columns parsed)."""

    id: int
    job: str
    scheduled_at: str
    status: str
    attempt: int
    owner: str
    started_at: str
    heartbeat_at: str
    finished_at: str | None
    stage: str
    progress: int
    total: int
    counts: dict[str, Any]
    errors: list[dict[str, Any]]
    division: str = ""

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)

    @property
    def percent(self) -> int:
        """How far it is, 0..100 (100 once finished)."""
        if self.finished:
            return 100
        return min(99, self.progress * 100 // self.total) if self.total else 0


def _run(row: Any) -> Run:
    m = row._mapping
    return Run(
        **{k: m[k] for k in Run.__dataclass_fields__ if k not in ("counts", "errors")},
        counts=orjson.loads(m["counts"]),
        errors=orjson.loads(m["errors"]),
    )


def is_stale(run: Run, now: datetime, stale_after: int = STALE_AFTER) -> bool:
    """Whether a running run's process is gone: on this host its pid is not alive, or it has
    not sent a heartbeat for ``stale_after`` seconds."""
    if run.status != RUNNING:
        return False
    host, _, rest = run.owner.partition(":")
    pid = rest.partition(":")[0]
    if host == socket.gethostname() and pid.isdigit() and not _alive(int(pid)):
        return True
    return now - _parse(run.heartbeat_at) > timedelta(seconds=stale_after)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped by its parent) is gone as well
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def claim(
    engine: Engine, job: str, scheduled_at: str, owner: str, division: str = ""
) -> Run | None:
    """Claim the run of ``job`` at ``scheduled_at`` for ``owner``: the new run, a stale run
    taken over, or None when another process has it (running or finished). ``division``: the
    bureau whose work it is (see :class:`~ledger.platform.Plan`)."""
    now = utc_now()
    try:
        with write_transaction(engine) as conn:
            conn.execute(
                insert(RUN).values(
                    job=job,
                    scheduled_at=scheduled_at,
                    status=RUNNING,
                    attempt=1,
                    owner=owner,
                    started_at=now,
                    heartbeat_at=now,
                    stage="",
                    progress=0,
                    total=0,
                    counts="{}",
                    errors="[]",
                    division=division,
                )
            )
            return _get(conn, job, scheduled_at)
    except IntegrityError:
        pass
    with read_transaction(engine) as conn:
        existing = _get(conn, job, scheduled_at)
    if existing is None or not is_stale(existing, datetime.now(UTC)):
        return None
    return _take_over(engine, existing, owner)


def _get(conn, job: str, scheduled_at: str) -> Run | None:
    row = conn.execute(
        select(RUN).where(RUN.c.job == job, RUN.c.scheduled_at == scheduled_at)
    ).one_or_none()
    return None if row is None else _run(row)


def _take_over(engine: Engine, stale: Run, owner: str) -> Run | None:
    now = utc_now()
    with write_transaction(engine) as conn:
        taken = conn.execute(
            update(RUN)
            .where(
                RUN.c.id == stale.id,
                RUN.c.status == RUNNING,
                RUN.c.owner == stale.owner,
                RUN.c.heartbeat_at == stale.heartbeat_at,
            )
            .values(
                owner=owner,
                attempt=stale.attempt + 1,
                heartbeat_at=now,
                stage="",
                progress=0,
                total=0,
            )
        ).rowcount
        if not taken:
            return None
        _log.warning(
            "run %s of %s at %s: its process %s is gone; taking it over (attempt %s)",
            stale.id,
            stale.job,
            stale.scheduled_at,
            stale.owner,
            stale.attempt + 1,
        )
        return _get(conn, stale.job, stale.scheduled_at)


def stale_runs(engine: Engine, job: str | None = None) -> list[Run]:
    """The running runs (of ``job``) whose process is gone, oldest first."""
    stmt = select(RUN).where(RUN.c.status == RUNNING).order_by(RUN.c.scheduled_at)
    if job is not None:
        stmt = stmt.where(RUN.c.job == job)
    with read_transaction(engine) as conn:
        runs = [_run(row) for row in conn.execute(stmt)]
    now = datetime.now(UTC)
    return [r for r in runs if is_stale(r, now)]


@dataclass
class RunContext:
    """What a job's function gets: the ``engine``, the ``settings``, the ``run`` (its job
    name, scheduled time and attempt) and the plan's ``params``; :meth:`progress` says how
    far it is (and that the process is alive)."""

    engine: Engine
    settings: Settings
    run: Run
    params: Mapping[str, Any]
    _written: tuple[str, float] = field(default=("", 0.0))

    @property
    def scheduled_at(self) -> str:
        return self.run.scheduled_at

    def progress(self, stage: str, done: int, total: int, *, force: bool = False) -> None:
        """Record that ``done`` of ``total`` steps of ``stage`` are done (written at most
        every :data:`PROGRESS_EVERY` seconds unless the stage changes or ``force``). Never
        call it while holding a write transaction of your own (on SQLite it would wait for
        that transaction's lock)."""
        now = time.monotonic()
        last_stage, last_time = self._written
        if not force and stage == last_stage and now - last_time < PROGRESS_EVERY:
            return
        self._written = (stage, now)
        with write_transaction(self.engine) as conn:
            conn.execute(
                update(RUN)
                .where(RUN.c.id == self.run.id, RUN.c.owner == self.run.owner)
                .values(stage=stage[:64], progress=done, total=total, heartbeat_at=utc_now())
            )


def heartbeat(engine: Engine, owner: str) -> int:
    """Tell that the runs ``owner`` is running are alive; returns how many."""
    with write_transaction(engine) as conn:
        return conn.execute(
            update(RUN)
            .where(RUN.c.owner == owner, RUN.c.status == RUNNING)
            .values(heartbeat_at=utc_now())
        ).rowcount


Work = Callable[[RunContext], Mapping[str, Any]]


def perform(
    engine: Engine, settings: Settings, run: Run, work: Work, params: Mapping[str, Any]
) -> Run:
    """Run ``work`` for a claimed run and record how it ended."""
    outcome: dict[str, Any]
    try:
        counts = work(RunContext(engine, settings, run, params))
        outcome = {"status": DONE, "counts": orjson.dumps(dict(counts or {})).decode()}
    except LedgerError as exc:
        errors = exc.details.get("errors") or [{"code": exc.code, "message": exc.message}]
        outcome = {"status": FAILED, "errors": orjson.dumps(errors[:MAX_ERRORS]).decode()}
    except Exception:
        _log.exception("run %s of %s at %s failed", run.id, run.job, run.scheduled_at)
        errors = [{"code": "run.internal", "message": "the run failed; see the scheduler's log"}]
        outcome = {"status": FAILED, "errors": orjson.dumps(errors).decode()}
    with write_transaction(engine) as conn:
        conn.execute(
            update(RUN)
            .where(RUN.c.id == run.id, RUN.c.owner == run.owner)
            .values(**outcome, finished_at=utc_now(), heartbeat_at=utc_now())
        )
        return _get(conn, run.job, run.scheduled_at)


def execute(
    engine: Engine,
    settings: Settings,
    job: str,
    scheduled_at: str,
    work: Work,
    params: Mapping[str, Any],
    owner: str,
    division: str = "",
) -> Run | None:
    """Retry the stale runs of ``job``, then run it for ``scheduled_at`` if this process
    claims it. Returns the run this call did for ``scheduled_at`` (None if another process
    has it)."""
    retry_stale(engine, settings, job, work, params, owner)
    run = claim(engine, job, scheduled_at, owner, division)
    return None if run is None else perform(engine, settings, run, work, params)


def retry_stale(
    engine: Engine,
    settings: Settings,
    job: str,
    work: Work,
    params: Mapping[str, Any],
    owner: str,
) -> list[Run]:
    """Take over and run again every stale run of ``job`` (oldest first)."""
    done = []
    for stale in stale_runs(engine, job):
        run = _take_over(engine, stale, owner)
        if run is not None:
            done.append(perform(engine, settings, run, work, params))
    return done


def visible(run: Run, division: str | None) -> bool:
    """Whether a bureau of ``division`` (None: an administrator) sees ``run``: the runs of
    its division (and below) and the whole ledger's."""
    return division is None or run.division == "" or run.division.startswith(division)


def recent_runs(
    engine: Engine,
    limit: int = 50,
    job_prefix: str | None = None,
    *,
    division: str | None = None,
) -> list[Run]:
    """The latest runs a bureau of ``division`` sees (None: all), newest scheduled time
    first."""
    stmt = select(RUN).order_by(RUN.c.scheduled_at.desc(), RUN.c.id.desc()).limit(limit)
    if division is not None:
        stmt = stmt.where(
            or_(RUN.c.division == "", RUN.c.division.startswith(division, autoescape=True))
        )
    if job_prefix is not None:
        stmt = stmt.where(RUN.c.job.startswith(job_prefix, autoescape=True))
    with read_transaction(engine) as conn:
        return [_run(row) for row in conn.execute(stmt)]


def get_run(engine: Engine, run_id: int) -> Run | None:
    with read_transaction(engine) as conn:
        row = conn.execute(select(RUN).where(RUN.c.id == run_id)).one_or_none()
    return None if row is None else _run(row)
