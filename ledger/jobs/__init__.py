"""Background jobs: long work (an import of 100,000 purchases) that must not run inside a web
request. A job is a row in ``job`` (its kind, parameters and stored input, its status,
progress and outcome); :func:`ledger.jobs.runner.run_job` runs one, reporting progress in that
row as it goes, so a page (or another process) can show it. The web app starts a job in a
thread of its own process; the scheduler, or ``carbon-ledger jobs run``, runs queued jobs in
its own. A job kind is declared by a module (:attr:`ledger.platform.Module.jobs`) as a
:class:`ledger.jobs.runner.JobKind`. See ``docs/units.md`` (background jobs).
"""
