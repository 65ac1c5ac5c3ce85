"""Scheduled jobs, as a module declares them (:attr:`ledger.platform.Module.jobs`).

Periodic work (fetching and reconciling a registry, signing a checkpoint, reminding villages
of a notice deadline) runs in the one scheduler process (``carbon-ledger scheduler run``),
never in a web worker. A module declares each job as a :class:`ScheduledJob`: what to run and
when. The scheduler keys each run in the database by ``(job, scheduled time)``, so a double
firing, or a second scheduler process, does the work once; see ``docs/modules.md``.

Pure records: no scheduler, no database here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Times of day and cron expressions are read in this time zone (北京时间).
TIME_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Cron:
    """Fire on a five-field crontab expression (minute hour day month weekday), read in
    Beijing time: ``Cron("0 3 * * *")`` is every day at 03:00 北京时间."""

    expression: str


@dataclass(frozen=True)
class Every:
    """Fire every ``seconds``, on a grid that starts at 2000-01-01 00:00 Beijing time (so
    every scheduler process computes the same times)."""

    seconds: int


@dataclass(frozen=True)
class Plan:
    """One schedule of a job.

    Attributes:
      key: tells the plans of one job apart (a registry source's name); runs of a plan are
        keyed under ``<job>:<key>`` (or ``<job>`` when the key is empty).
      trigger: when it fires.
      params: passed to the run (JSON values).
      division: the division code of the bureau whose work its runs are (a registry
        source's bureau: the runs page shows them to that bureau and those above it), or
        ``""`` for work of the whole ledger.
    """

    key: str
    trigger: Cron | Every
    params: Mapping[str, Any] = field(default_factory=dict)
    division: str = ""


@dataclass(frozen=True)
class ScheduledJob:
    """Periodic work a module declares.

    Attributes:
      name: dotted, unique (``reconcile.fetch``, ``log.checkpoint``).
      label: what it does, in English, marked with :func:`~ledger.platform.N_`.
      run: path of ``run(ctx) -> Mapping[str, int]`` (``ctx`` a
        :class:`ledger.scheduler.runs.RunContext`): does the work of one run and returns its
        counts. It must be safe to run again for the same scheduled time (a run whose process
        died is retried), and it refuses with a :class:`~ledger.core.errors.LedgerError`.
      plans: its schedules: a tuple of :class:`Plan` for a fixed schedule, or the path of
        ``plans(engine, settings) -> Iterable[Plan]`` for schedules kept in the database or
        the settings (read again every minute, so a new registry source is picked up).
      counts: what the counts its runs return mean (``"signed" → N_("checkpoints signed")``),
        so the runs page shows them in words.
    """

    name: str
    label: str
    run: str
    plans: tuple[Plan, ...] | str
    counts: Mapping[str, str] = field(default_factory=dict)
