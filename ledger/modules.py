"""The composition root: the one list of modules that make up carbon-ledger.

Every process loads this list through :func:`ledger.platform.registry` — the web app, the
command line, ``log verify``, the scheduler, the benchmarks and Alembic — so they all know the
same entry kinds, projections, tables, pages and commands. To add a module, write its
``module.py`` (see ``docs/modules.md``) and add its path here. Order matters only for display
(navigation) and demo data (a module's demo may use what an earlier one seeded).
"""

MODULES = (
    "ledger.services.module:MODULE",
    "ledger.vault.module:MODULE",
    "ledger.accounts.module:MODULE",
    "ledger.receipts.module:MODULE",
    "ledger.scheduler.module:MODULE",
    "ledger.reconcile.module:MODULE",
    "ledger.jobs.module:MODULE",
    "ledger.units.module:MODULE",
    "ledger.community.module:MODULE",
    "ledger.judicial.module:MODULE",
)
