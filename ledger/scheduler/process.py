"""The scheduler process: APScheduler 3's ``BlockingScheduler`` running the jobs the modules
declare (:attr:`ledger.platform.Module.jobs`), started by ``carbon-ledger scheduler run``.

Each plan of each job becomes an APScheduler job whose trigger is read in Beijing time. When
it fires, :func:`ledger.scheduler.runs.execute` claims the run ``(job, scheduled time)`` in
the database before doing anything, so a second scheduler process started by mistake, or a
double firing, does the work once. The plans are read again every minute (a registry source
added on a page is scheduled without a restart), a heartbeat marks this process's runs alive,
and the queued background jobs of the web app (``ledger.jobs``, once that module is
installed) run here too, so long work never runs in a web worker.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from ledger.config import Settings
from ledger.core.errors import ValidationError
from ledger.platform import registry
from ledger.platform.jobs import TIME_ZONE, Cron, Every, Plan, ScheduledJob
from ledger.platform.registry import resolve
from ledger.scheduler import runs

ZONE = ZoneInfo(TIME_ZONE)
#: Interval triggers count from here, so every process computes the same fire times.
GRID_START = datetime(2000, 1, 1, tzinfo=ZONE)
RESYNC_SECONDS = 60
HEARTBEAT_SECONDS = 30
#: A firing missed by more than this (the process was down) is skipped, not run late.
MISFIRE_GRACE = 3600
WORKERS = 4
_PREFIX = "job:"

_log = logging.getLogger(__name__)


def scheduled_jobs() -> dict[str, ScheduledJob]:
    """Every scheduled job the modules declare, by name (a name declared twice is refused)."""
    found: dict[str, ScheduledJob] = {}
    for module, path in registry().paths("jobs"):
        job = resolve(path)
        if not isinstance(job, ScheduledJob):
            continue  # another kind of job declaration (queued background work)
        if job.name in found:
            raise RuntimeError(f"scheduled job {job.name!r} is declared twice ({module.name})")
        found[job.name] = job
    return found


def cron_trigger(expression: str) -> CronTrigger:
    """The trigger of a five-field crontab expression in Beijing time; ValidationError when
    it is not one."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValidationError(
            "schedule.cron", "a schedule is five fields: minute hour day month weekday"
        )
    try:
        return CronTrigger.from_crontab(" ".join(fields), timezone=ZONE)
    except ValueError as exc:
        raise ValidationError("schedule.cron", f"the schedule cannot be read: {exc}") from None


def trigger_of(trigger: Cron | Every):
    if isinstance(trigger, Cron):
        return cron_trigger(trigger.expression)
    if not isinstance(trigger.seconds, int) or trigger.seconds < 1:
        raise ValidationError("schedule.every", "an interval is a whole number of seconds")
    return IntervalTrigger(seconds=trigger.seconds, start_date=GRID_START, timezone=ZONE)


def plans_of(job: ScheduledJob, engine: Engine, settings: Settings) -> list[Plan]:
    if isinstance(job.plans, str):
        return list(resolve(job.plans)(engine, settings))
    return list(job.plans)


def run_name(job: str, key: str) -> str:
    """The name a plan's runs are keyed under."""
    return f"{job}:{key}" if key else job


@dataclass(frozen=True)
class Planned:
    """A plan of a job as the scheduler holds it."""

    job: ScheduledJob
    plan: Plan

    @property
    def id(self) -> str:
        return _PREFIX + run_name(self.job.name, self.plan.key)

    def signature(self) -> tuple:
        return (self.plan.trigger, sorted(self.plan.params.items()), self.plan.division)


def everything_planned(engine: Engine, settings: Settings) -> dict[str, Planned]:
    """Every plan of every scheduled job, by APScheduler job id (a plan that cannot be read
    is logged and left out)."""
    out = {}
    for job in scheduled_jobs().values():
        try:
            plans = plans_of(job, engine, settings)
        except Exception:
            _log.exception("cannot read the plans of %s", job.name)
            continue
        for plan in plans:
            planned = Planned(job, plan)
            out[planned.id] = planned
    return out


class _RunTimeExecutor(ThreadPoolExecutor):
    """Hands each run's scheduled time to the job function as ``scheduled``: APScheduler 3
    knows it (``run_times``) but does not pass it on. Jobs are coalesced, so a firing has one
    run time."""

    def _do_submit_job(self, job, run_times):
        super()._do_submit_job(_WithRunTime(job, run_times[-1]), run_times[-1:])


class _WithRunTime:
    """The parts of an APScheduler job that running it reads, with the run time added."""

    def __init__(self, job, run_time: datetime):
        self.id = job.id
        self.name = job.name
        self.func = job.func
        self.args = job.args
        self.kwargs = {**job.kwargs, "scheduled": run_time}
        self.misfire_grace_time = job.misfire_grace_time
        self._jobstore_alias = job._jobstore_alias

    def __str__(self) -> str:
        return self.name


class Scheduler:
    """The scheduler of one process: its plans, the runs it claims, its heartbeat."""

    def __init__(self, engine: Engine, settings: Settings, *, queued_jobs: bool = True):
        self.engine = engine
        self.settings = settings
        self.owner = runs.process_owner()
        self.planned: dict[str, Planned] = {}
        self.aps = BlockingScheduler(
            timezone=ZONE,
            # Plans' firings get their run time; the process's own housekeeping (sync,
            # heartbeat, queued background jobs) takes no arguments.
            executors={"default": _RunTimeExecutor(WORKERS), "internal": ThreadPoolExecutor(2)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self.queued_jobs = queued_jobs

    # -- what runs ------------------------------------------------------------------------

    def fire(self, job_id: str, scheduled: datetime | None = None) -> runs.Run | None:
        """One firing of a plan: retry its stale runs, then claim and run ``scheduled`` (the
        executor always passes it; the default only satisfies APScheduler's check of the
        function's arguments)."""
        planned = self.planned.get(job_id)
        if planned is None or scheduled is None:
            return None
        name = run_name(planned.job.name, planned.plan.key)
        work = resolve(planned.job.run)
        return runs.execute(
            self.engine,
            self.settings,
            name,
            runs.utc_iso(scheduled),
            work,
            dict(planned.plan.params),
            self.owner,
            planned.plan.division,
        )

    def sync(self) -> None:
        """Bring APScheduler's jobs in line with the plans (added, changed, removed)."""
        wanted = everything_planned(self.engine, self.settings)
        for job_id in set(self.planned) - set(wanted):
            self.aps.remove_job(job_id)
            del self.planned[job_id]
        for job_id, planned in wanted.items():
            current = self.planned.get(job_id)
            if current is not None and current.signature() == planned.signature():
                continue
            try:
                trigger = trigger_of(planned.plan.trigger)
            except ValidationError as exc:
                _log.error("%s is not scheduled: %s", job_id, exc.message)
                continue
            self.planned[job_id] = planned
            self.aps.add_job(
                self.fire,
                trigger,
                id=job_id,
                name=job_id.removeprefix(_PREFIX),
                kwargs={"job_id": job_id},
                replace_existing=True,
                misfire_grace_time=MISFIRE_GRACE,
            )

    def recover(self) -> None:
        """Take over and finish the runs whose process died (at start)."""
        for planned in self.planned.values():
            runs.retry_stale(
                self.engine,
                self.settings,
                run_name(planned.job.name, planned.plan.key),
                resolve(planned.job.run),
                dict(planned.plan.params),
                self.owner,
            )

    def beat(self) -> None:
        runs.heartbeat(self.engine, self.owner)

    def run_queued(self) -> None:
        """Run the web app's queued background jobs here (the ``jobs`` module)."""
        runner = _queued_runner()
        if runner is not None:
            runner(self.engine, self.settings)

    # -- the process ----------------------------------------------------------------------

    def start(self, stop: threading.Event | None = None) -> None:
        """Schedule everything and block until SIGTERM, SIGINT or ``stop``."""
        self.sync()
        self.recover()
        every = {"start_date": GRID_START, "timezone": ZONE}
        internal = {
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": None,
            "executor": "internal",
        }
        self.aps.add_job(
            self.sync, IntervalTrigger(seconds=RESYNC_SECONDS, **every), id="sync", **internal
        )
        self.aps.add_job(
            self.beat, IntervalTrigger(seconds=HEARTBEAT_SECONDS, **every), id="beat", **internal
        )
        if self.queued_jobs and _queued_runner() is not None:
            self.aps.add_job(
                self.run_queued, IntervalTrigger(seconds=5, **every), id="queued", **internal
            )
        if stop is not None:
            threading.Thread(target=self._stop_on, args=(stop,), daemon=True).start()
        _log.info("scheduler %s: %s", self.owner, ", ".join(sorted(self.planned)) or "no jobs")
        self.aps.start()

    def _stop_on(self, stop: threading.Event) -> None:
        stop.wait()
        self.aps.shutdown(wait=True)

    def shutdown(self, *_args: Any) -> None:
        """Stop firing (a signal handler: a second signal finds it stopped). Runs already
        going finish before the process exits."""
        if self.aps.running:
            self.aps.shutdown(wait=False)


def _queued_runner():
    """``ledger.jobs.runner.run_queued`` when the jobs module is installed, else None."""
    try:
        from ledger.jobs.runner import run_queued  # type: ignore[import-not-found]
    except ImportError:
        return None
    return run_queued


def run(engine: Engine, settings: Settings) -> None:
    """Run the scheduler until SIGTERM or SIGINT (the ``scheduler run`` command)."""
    scheduler = Scheduler(engine, settings)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, scheduler.shutdown)
    scheduler.start()


def describe(engine: Engine, settings: Settings) -> Iterable[Mapping[str, Any]]:
    """Each plan with its next fire time (for ``scheduler jobs``)."""
    now = datetime.now(ZONE)
    for job_id, planned in sorted(everything_planned(engine, settings).items()):
        try:
            next_time = trigger_of(planned.plan.trigger).get_next_fire_time(None, now)
        except ValidationError as exc:
            yield {"job": job_id.removeprefix(_PREFIX), "error": exc.message}
            continue
        yield {
            "job": job_id.removeprefix(_PREFIX),
            "label": planned.job.label,
            "next": runs.utc_iso(next_time) if next_time else None,
        }
