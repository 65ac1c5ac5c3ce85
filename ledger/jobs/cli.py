"""``carbon-ledger jobs``: list background jobs and run the queued ones in this process."""

from __future__ import annotations

import click

from ledger.clikit import Context, command, echo_json
from ledger.jobs import runner


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs (imports started from the pages)."""


@command(jobs_group, "run")
def run_cmd(ctx: Context) -> None:
    """Run every queued job, oldest first; print how each ended (JSON lines)."""
    for job in runner.run_queued(ctx.engine, ctx.settings):
        echo_json({"id": job.id, "kind": job.kind, "status": job.status, "result": job.result})
