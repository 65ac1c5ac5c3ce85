"""Benchmarks of the log's hot paths, each against a ceiling measured in the same run.

``python -m bench`` (``make bench``) runs them on SQLite (a temporary directory) and on
PostgreSQL (a throw-away database ``cl_bench_<pid>`` on ``LEDGER_BENCH_PG``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``), prints a table and writes
``bench/results.json``: a list of ``{name, value, unit, ceiling, ratio, target}``.

A *ceiling* is the same database doing only the irreducible part of the work through the same
layer (SQLAlchemy Core on the same engine): bare inserts of the same rows, a read of the same
leaf bytes plus a hash, one primary-key read. ``ratio`` is the measured code's speed as a
fraction of the ceiling's (``value / ceiling`` for rates, ``ceiling / value`` for latencies),
so it is at most about 1 and higher is better.

These are benchmarks, not tests: nothing here fails on a slow machine; the table says which
targets were met. Nothing is cached between runs.
"""
