"""The scheduler module: the runs table, the ``scheduler`` commands, the runs page, and the
scheduled checkpoint."""

from ledger.platform import N_, Module, NavItem

MODULE = Module(
    name="scheduler",
    label=N_("Scheduled jobs"),
    tables=("ledger.scheduler.tables",),
    migrations="ledger.scheduler.migrations",
    blueprints=("ledger.scheduler.views:bp",),
    cli=("ledger.scheduler.cli:scheduler_group",),
    nav=(NavItem("scheduler.runs_page", N_("Scheduled runs"), ("bureau", "admin"), order=60),),
    translations="ledger.scheduler",
    jobs=("ledger.scheduler.checkpoint:JOB",),
)
