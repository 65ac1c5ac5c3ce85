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
:func:`run_queued`. A job whose process died while running stays ``running``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
                .where(JOB.c.id == self.job.id)
                .values(stage=stage, progress=done, total=total)
            )


def run_job(engine: Engine, settings: Settings, job_id: int) -> Job:
    """Claim the queued job ``job_id``, run it, record how it ended; return it as it ended
    (as it is, if another process claimed it first)."""
    with write_transaction(engine) as conn:
        claimed = conn.execute(
            update(JOB)
            .where(JOB.c.id == job_id, JOB.c.status == QUEUED)
            .values(status=RUNNING, started_at=utc_now())
        ).rowcount
        row = conn.execute(select(JOB).where(JOB.c.id == job_id)).one_or_none()
        job_input = row.input if row is not None else None
    if row is None:
        raise NotFoundError("job.not_found", f"there is no job {job_id}")
    job = _job(row)
    if not claimed:
        return job
    outcome: dict[str, Any]
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
        conn.execute(
            update(JOB)
            .where(JOB.c.id == job_id)
            .values(**outcome, input=None, finished_at=utc_now())
        )
    return get_job(engine, job_id)


def run_queued(engine: Engine, settings: Settings) -> list[Job]:
    """Run every queued job, oldest first, in this process."""
    return [run_job(engine, settings, job_id) for job_id in queued(engine)]


def start_in_thread(engine: Engine, settings: Settings, job_id: int) -> threading.Thread:
    """Run the job in a thread of this process (the web app's way: the request returns at
    once and the job's page shows its progress)."""
    thread = threading.Thread(
        target=run_job, args=(engine, settings, job_id), name=f"job-{job_id}", daemon=True
    )
    thread.start()
    return thread
