"""``carbon-ledger scheduler``: run the one scheduler process, list the scheduled jobs and
their recent runs."""

from __future__ import annotations

import logging

import click

from ledger.clikit import Context, command, echo_json
from ledger.scheduler import process, runs


@click.group("scheduler")
def scheduler_group() -> None:
    """The scheduler process: periodic jobs (registry reconciliation, checkpoints)."""


@command(scheduler_group, "run")
def run_cmd(ctx: Context) -> None:
    """Run the scheduler until stopped (SIGTERM or Ctrl-C). Run exactly one per deployment,
    never inside a web worker; a second one started by mistake does no work twice."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    process.run(ctx.engine, ctx.settings)


@command(scheduler_group, "jobs")
def jobs_cmd(ctx: Context) -> None:
    """Print every scheduled job with its next fire time (JSON lines)."""
    for job in process.describe(ctx.engine, ctx.settings):
        echo_json(job)


@command(scheduler_group, "runs")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
def runs_cmd(ctx: Context, limit: int) -> None:
    """Print the latest runs, newest first (JSON lines)."""
    for run in runs.recent_runs(ctx.engine, limit):
        echo_json(
            {
                "id": run.id,
                "job": run.job,
                "scheduled_at": run.scheduled_at,
                "status": run.status,
                "attempt": run.attempt,
                "counts": run.counts,
                "errors": run.errors,
            }
        )
