"""The jobs module: the ``job`` table and its migrations (job kinds are declared by the
modules whose work they are)."""

from ledger.platform import N_, Module

MODULE = Module(
    name="jobs",
    label=N_("Background jobs"),
    tables=("ledger.jobs.tables",),
    migrations="ledger.jobs.migrations",
    cli=("ledger.jobs.cli:jobs_group",),
)
