"""Create, run and read background jobs.

A job kind is a :class:`JobKind` a module lists in :attr:`ledger.platform.Module.jobs`. Its
``run(ctx)`` gets a :class:`JobContext` (the engine, the settings, the job's parameters and
input) and returns a JSON result; it reports progress with :meth:`JobContext.progress` and
refuses with a :class:`~ledger.core.errors.LedgerError` (the job fails with that error; a
``details["errors"]`` list, such as an import's bad lines, becomes the job's errors).

Progress is written in its own short transaction, so other processes see it at once. A kind
must not report progress while it holds a write transaction of its own: on SQLite that
transaction holds the database's write lock, and the progress write would wait for it.

:func:`run_job` claims a queued job (only one process can: the claim is a conditional
update), runs it and records how it ended; the uploaded input is dropped when it ends. The web
app runs jobs with :func:`start_in_thread`; ``carbon-ledger jobs run`` and the scheduler with
:func:`run_queued`.

A running job holds a lease: its row names the run that claimed it (``runner``: host, process
id, the process's start time and a random token) and the run renews ``heartbeat_at`` every
:data:`HEARTBEAT` seconds from a thread of its own. A run is *abandoned* when its process is
gone (same host: no process with that id and start time) or, for a run on another host, when
its heartbeat is older than :data:`LEASE`. :func:`reclaim_abandoned` (called by
:func:`run_queued` before it runs anything) puts an abandoned job back in the queue, or fails it
with ``job.abandoned`` after :data:`MAX_ATTEMPTS` claims. The retry runs the kind again from
the start with the same input, so a kind must be safe to run again after a crash at any point:
the one-yuan import writes in one transaction (all or nothing) and skips orders already in the
log. A run's own outcome is recorded only while it still holds the lease, so a run that was
thought dead and comes back cannot overwrite its retry's.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Engine, insert, select, update

from ledger.config import Settings
from ledger.core.errors import LedgerError, NotFoundError
from ledger.jobs.tables import JobRow
from ledger.platform import registry
from ledger.platform.registry import resolve
from ledger.services.clock import utc_now
from ledger.storage.db import read_transaction, write_transaction

JOB = JobRow.__table__
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
#: Progress is written at most this often (seconds), and whenever the stage changes.
PROGRESS_EVERY = 0.5
#: A running job's heartbeat is renewed this often (seconds).
HEARTBEAT = 5.0
#: A run on another host whose heartbeat is older than this (seconds) is abandoned. Long:
#: on SQLite a heartbeat waits while the job's own write transaction holds the lock.
LEASE = 300.0
#: Claims of a job before an abandoned run fails it instead of queueing it again.
MAX_ATTEMPTS = 3

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobKind:
    """A kind of job: its ``name`` (stored in ``job.kind``), a ``label`` (English, marked for
    translation) and the function that runs one."""

    name: str
    label: str
    run: Callable[[JobContext], Mapping[str, Any]]


@dataclass(frozen=True)
class Job:
    """A job as stored (JSON columns parsed)."""

    id: int
    kind: str
    status: str
    stage: str
    progress: int
    total: int
    params: dict[str, Any]
    counts: dict[str, Any]
    result: dict[str, Any]
    errors: list[dict[str, Any]]
    owner: str
    actor: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    runner: str | None = None
    heartbeat_at: str | None = None
    attempts: int = 0

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)

    @property
    def percent(self) -> int:
        """How far it is, 0..100 (100 once finished)."""
        if self.finished:
            return 100
        return min(99, self.progress * 100 // self.total) if self.total else 0


def _job(row: Any) -> Job:
    m = row._mapping
    return Job(
        m["id"],
        m["kind"],
        m["status"],
        m["stage"],
        m["progress"],
        m["total"],
        orjson.loads(m["params"]),
        orjson.loads(m["counts"]),
        orjson.loads(m["result"]),
        orjson.loads(m["errors"]),
        m["owner"],
        m["actor"],
        m["created_at"],
        m["started_at"],
        m["finished_at"],
        m["runner"],
        m["heartbeat_at"],
        m["attempts"],
    )


def job_kinds() -> dict[str, JobKind]:
    """Every on-demand job kind the modules declare, by name (their other declarations in
    ``Module.jobs`` are the scheduler's periodic jobs)."""
    found = {}
    for _module, path in registry().paths("jobs"):
        kind = resolve(path)
        if isinstance(kind, JobKind):
            found[kind.name] = kind
    return found


def create_job(
    engine: Engine,
    kind: str,
    *,
    params: Mapping[str, Any],
    owner: str,
    actor: str,
    input: bytes | None = None,
) -> int:
    """Queue a job of ``kind``; returns its id."""
    if kind not in job_kinds():
        raise NotFoundError("job.kind_unknown", f"no module declares the job kind {kind!r}")
    with write_transaction(engine) as conn:
        result = conn.execute(
            insert(JOB).values(
                kind=kind,
                status=QUEUED,
                stage="",
                progress=0,
                total=0,
                params=orjson.dumps(dict(params)).decode(),
                input=input,
                counts="{}",
                result="{}",
                errors="[]",
                owner=owner,
                actor=actor,
                created_at=utc_now(),
            )
        )
        return int(result.inserted_primary_key[0])


def get_job(engine: Engine, job_id: int) -> Job | None:
    with read_transaction(engine) as conn:
        row = conn.execute(select(JOB).where(JOB.c.id == job_id)).one_or_none()
    return None if row is None else _job(row)


def queued(engine: Engine) -> list[int]:
    with read_transaction(engine) as conn:
        stmt = select(JOB.c.id).where(JOB.c.status == QUEUED).order_by(JOB.c.id)
        return list(conn.execute(stmt).scalars())


@dataclass
class JobContext:
    """What a running job gets: ``engine``, ``settings``, its ``job`` and stored ``input``;
    :meth:`progress` reports how far it is."""

    engine: Engine
    settings: Settings
    job: Job
    input: bytes | None
    _written: tuple[str, float] = field(default=("", 0.0))

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    def progress(self, stage: str, done: int, total: int, *, force: bool = False) -> None:
        """Record that ``done`` of ``total`` steps of ``stage`` are done (written at most
        every :data:`PROGRESS_EVERY` seconds unless the stage changes or ``force``)."""
        now = time.monotonic()
        last_stage, last_time = self._written
        if not force and stage == last_stage and now - last_time < PROGRESS_EVERY:
            return
        self._written = (stage, now)
        with write_transaction(self.engine) as conn:
            conn.execute(
                update(JOB)
                .where(JOB.c.id == self.job.id, JOB.c.runner == self.job.runner)
                .values(stage=stage, progress=done, total=total, heartbeat_at=utc_now())
            )


# --- leases --------------------------------------------------------------------------------


def _process_start(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot, from ``/proc``), or ``"?"`` where
    that cannot be read; with the pid it names one process even after the pid is reused."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return "?"
    return stat.rsplit(b")", 1)[1].split()[19].decode()


def new_runner() -> str:
    """The name of a new run in this process: ``host:pid:start:token``."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_process_start(pid)}:{secrets.token_hex(6)}"


def process_alive(runner: str) -> bool | None:
    """Whether the process of run ``runner`` still exists: True or False for a run on this
    host, None for another host's (or a name that cannot be read), which only its heartbeat
    can tell."""
    try:
        host, pid_text, start, _token = runner.rsplit(":", 3)
        pid = int(pid_text)
    except ValueError:
        return None
    if host != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    return start == "?" or _process_start(pid) in (start, "?")


def _age(moment: str | None, now: str) -> float:
    if moment is None:
        return float("inf")
    return (datetime.fromisoformat(now) - datetime.fromisoformat(moment)).total_seconds()


def abandoned(job: Job, now: str | None = None) -> bool:
    """Whether a running job's run is gone: its process is dead (this host), or its heartbeat
    is older than :data:`LEASE` (another host's run, or one whose process cannot be told)."""
    if job.status != RUNNING:
        return False
    alive = process_alive(job.runner) if job.runner else None
    if alive is not None:
        return not alive
    return _age(job.heartbeat_at, now or utc_now()) > LEASE


def reclaim_abandoned(engine: Engine, now: str | None = None) -> list[int]:
    """Put every abandoned run's job back in the queue (its input is still stored), or fail
    it with ``job.abandoned`` once it has been claimed :data:`MAX_ATTEMPTS` times. Returns the
    ids of the jobs queued again. Each change is conditional on the run still holding the job,
    so two processes reclaiming at once change it once."""
    now = now or utc_now()
    with read_transaction(engine) as conn:
        rows = conn.execute(select(JOB).where(JOB.c.status == RUNNING).order_by(JOB.c.id)).all()
    requeued = []
    for job in (_job(row) for row in rows):
        if not abandoned(job, now):
            continue
        if job.attempts < MAX_ATTEMPTS:
            values = {"status": QUEUED, "runner": None, "heartbeat_at": None}
            _log.warning(
                "job %s (%s): its run %s is gone; queued again", job.id, job.kind, job.runner
            )
        else:
            errors = [
                {
                    "code": "job.abandoned",
                    "message": f"the job's process died {job.attempts} times",
                    "params": {"attempts": job.attempts},
                }
            ]
            values = {
                "status": FAILED,
                "errors": orjson.dumps(errors).decode(),
                "input": None,
                "finished_at": now,
            }
            _log.error("job %s (%s): abandoned %s times; failed", job.id, job.kind, job.attempts)
        held = JOB.c.runner == job.runner if job.runner else JOB.c.runner.is_(None)
        with write_transaction(engine) as conn:
            changed = conn.execute(
                update(JOB)
                .where(JOB.c.id == job.id, JOB.c.status == RUNNING, held)
                .values(**values)
            ).rowcount
        if changed and values["status"] == QUEUED:
            requeued.append(job.id)
    return requeued


class _Heartbeat:
    """Renews a run's ``heartbeat_at`` every :data:`HEARTBEAT` seconds from a daemon thread,
    while the run holds the job; notes when it no longer does (``lost``)."""

    def __init__(self, engine: Engine, job_id: int, runner: str):
        self.engine, self.job_id, self.runner = engine, job_id, runner
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"job-{job_id}-heartbeat", daemon=True
        )

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=HEARTBEAT + 1)

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            try:
                with write_transaction(self.engine) as conn:
                    held = conn.execute(
                        update(JOB)
                        .where(JOB.c.id == self.job_id, JOB.c.runner == self.runner)
                        .values(heartbeat_at=utc_now())
                    ).rowcount
            except Exception:  # a busy database: try again at the next beat
                _log.debug("job %s: heartbeat not written", self.job_id, exc_info=True)
                continue
            if not held:
                self.lost = True
                _log.error("job %s: run %s lost its lease", self.job_id, self.runner)
                return


def run_job(engine: Engine, settings: Settings, job_id: int) -> Job:
    """Claim the queued job ``job_id``, run it, record how it ended; return it as it ended
    (as it is, if another process claimed it first)."""
    me = new_runner()
    now = utc_now()
    with write_transaction(engine) as conn:
        claimed = conn.execute(
            update(JOB)
            .where(JOB.c.id == job_id, JOB.c.status == QUEUED)
            .values(
                status=RUNNING,
                started_at=now,
                runner=me,
                heartbeat_at=now,
                attempts=JOB.c.attempts + 1,
                stage="",
                progress=0,
                total=0,
            )
        ).rowcount
        row = conn.execute(select(JOB).where(JOB.c.id == job_id)).one_or_none()
        job_input = row.input if row is not None else None
    if row is None:
        raise NotFoundError("job.not_found", f"there is no job {job_id}")
    job = _job(row)
    if not claimed:
        return job
    outcome: dict[str, Any]
    with _Heartbeat(engine, job_id, me):
        try:
            kind = job_kinds()[job.kind]
            result = kind.run(JobContext(engine, settings, job, job_input))
            outcome = {"status": DONE, "result": orjson.dumps(dict(result)).decode()}
        except LedgerError as exc:
            params = {k: v for k, v in exc.details.items() if isinstance(v, str | int)}
            errors = exc.details.get("errors") or [
                {"code": exc.code, "message": exc.message, "params": params}
            ]
            outcome = {"status": FAILED, "errors": orjson.dumps(errors).decode()}
        except Exception:
            _log.exception("job %s (%s) failed", job_id, job.kind)
            errors = [{"code": "job.internal", "message": "the job failed; it has been logged"}]
            outcome = {"status": FAILED, "errors": orjson.dumps(errors).decode()}
    with write_transaction(engine) as conn:
        recorded = conn.execute(
            update(JOB)
            .where(JOB.c.id == job_id, JOB.c.runner == me)
            .values(**outcome, input=None, finished_at=utc_now(), heartbeat_at=None)
        ).rowcount
    if not recorded:
        _log.error("job %s: run %s ended after losing its lease; outcome not recorded", job_id, me)
    return get_job(engine, job_id)


def run_queued(engine: Engine, settings: Settings) -> list[Job]:
    """Queue again the jobs whose runs were abandoned (:func:`reclaim_abandoned`), then run
    every queued job, oldest first, in this process."""
    reclaim_abandoned(engine)
    return [run_job(engine, settings, job_id) for job_id in queued(engine)]


def start_in_thread(engine: Engine, settings: Settings, job_id: int) -> threading.Thread:
    """Run the job in a thread of this process (the web app's way: the request returns at
    once and the job's page shows its progress)."""
    thread = threading.Thread(
        target=run_job, args=(engine, settings, job_id), name=f"job-{job_id}", daemon=True
    )
    thread.start()
    return thread
