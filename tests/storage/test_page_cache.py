"""SQLite's page cache for a write of many entries: grown for the block, its own size again
after; a small write, and PostgreSQL, unchanged."""

from __future__ import annotations

from ledger.storage.db import MAX_CACHE_KIB, sqlite_cache_for_entries, write_transaction


def _cache_kib(conn) -> int | None:
    if conn.dialect.name != "sqlite":
        return None
    return -conn.exec_driver_sql("PRAGMA cache_size").scalar()


def test_a_write_of_many_entries_has_a_page_cache_of_3_kib_each_at_most_500_mb(engine):
    with write_transaction(engine) as conn:
        before = _cache_kib(conn)
        with sqlite_cache_for_entries(conn, 100_000):
            during_many = _cache_kib(conn)
        with sqlite_cache_for_entries(conn, 10_000_000):
            during_huge = _cache_kib(conn)
        with sqlite_cache_for_entries(conn, 500):
            during_few = _cache_kib(conn)
        after = _cache_kib(conn)
    if engine.dialect.name == "sqlite":
        assert before == 2_000
        assert (during_many, during_huge, during_few) == (300_000, MAX_CACHE_KIB, before)
        assert after == before
    else:
        assert {before, during_many, during_huge, during_few, after} == {None}
