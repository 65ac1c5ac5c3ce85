"""Scheduled jobs for the scheduler's tests, in a module of their own that only the scheduler
processes these tests start load (through ``LEDGER_EXTRA_MODULES``).

- ``test.tick`` fires every second and appends one ``test.note`` entry naming its scheduled
  time, with no idempotency key of its own: if two processes both ran one scheduled time, the
  log would show it twice.
- ``test.slow`` fires every two seconds, reports progress, then waits until the file named by
  ``TEST_RELEASE_FILE`` exists before it appends its entry (so a test can kill it mid-run).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ledger.core.entry import EntryDraft
from ledger.platform import N_, Every, Module, Plan, ScheduledJob
from ledger.services.log import append_batch

RELEASE_ENV = "TEST_RELEASE_FILE"


def tick(ctx):
    append_batch(
        ctx.engine,
        [EntryDraft("test.note", {"tick": ctx.scheduled_at, "pid": os.getpid()}, "scheduler")],
    )
    return {"ticks": 1}


def slow(ctx):
    ctx.progress("working", 1, 2, force=True)
    release = os.environ.get(RELEASE_ENV)
    while release and not Path(release).exists():
        time.sleep(0.05)
    append_batch(
        ctx.engine,
        [EntryDraft("test.note", {"slow": ctx.scheduled_at, "attempt": ctx.run.attempt}, "s")],
    )
    return {"ticks": 1}


TICK = ScheduledJob(
    "test.tick", N_("Test record"), "tests.scheduler.jobs:tick", (Plan("", Every(1)),)
)
SLOW = ScheduledJob(
    "test.slow", N_("Test record"), "tests.scheduler.jobs:slow", (Plan("", Every(2)),)
)

MODULE = Module(
    name="scheduler-tests",
    label=N_("Tests"),
    jobs=("tests.scheduler.jobs:TICK", "tests.scheduler.jobs:SLOW"),
)
