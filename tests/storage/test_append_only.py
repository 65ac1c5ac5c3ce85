"""The database itself refuses to change history: UPDATE and DELETE (and TRUNCATE on
PostgreSQL) on every log table fail, whoever asks. And the SQLite engine runs with the pragmas
and locking the append path relies on."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ledger.services.checkpoints import sign_checkpoint
from ledger.services.keys import create_signing_key
from ledger.services.log import append_batch
from ledger.storage.db import make_engine, read_transaction, write_transaction
from ledger.storage.tables import APPEND_ONLY_TABLES
from tests.storage.writer import SELF_UPDATE, anchor, note, table_state, transfer


@pytest.fixture
def filled(engine, tmp_path):
    """A log with at least one row in every append-only table."""
    append_batch(engine, [transfer(0, fen=100, kg=5), anchor(1)], idempotency_key="k")
    append_batch(engine, [note(2), note(3)])
    signer, _ = create_signing_key(tmp_path / "key.pem", "test/log")
    sign_checkpoint(engine, signer, "test/log")
    state = table_state(engine)
    assert all(state[table] for table in APPEND_ONLY_TABLES), "every log table needs a row"
    assert set(SELF_UPDATE) == set(APPEND_ONLY_TABLES)
    return engine


def _refused(engine, sql: str, table: str) -> None:
    with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
        conn.execute(text(sql))
    message = str(caught.value.orig)
    assert f"append-only table {table}" in message, message


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_update_and_delete_are_refused_by_the_database(filled, table):
    before = table_state(filled)
    # table names are our own constants, not input
    _refused(filled, f"UPDATE {table} SET {SELF_UPDATE[table]}", table)  # noqa: S608
    _refused(filled, f"UPDATE {table} SET {SELF_UPDATE[table]} WHERE 1 = 1", table)  # noqa: S608
    _refused(filled, f"DELETE FROM {table}", table)  # noqa: S608
    assert table_state(filled) == before


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite has no TRUNCATE
def test_truncate_is_refused_on_postgresql(filled):
    before = table_state(filled)
    for table in APPEND_ONLY_TABLES:
        # CASCADE so that a foreign key (log_posting -> log_entry) is not what stops it
        _refused(filled, f"TRUNCATE {table} CASCADE", table)
    assert table_state(filled) == before


# --- SQLite: pragmas and the write lock ------------------------------------------------------


@pytest.fixture
def sqlite_engine(sqlite_template, tmp_path):
    path = tmp_path / "ledger.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine, path
    engine.dispose()


def test_sqlite_connections_use_wal_full_sync_and_foreign_keys(sqlite_engine):
    engine, _ = sqlite_engine
    for _ in range(2):  # a fresh connection each time, and one from the pool
        with engine.connect() as conn:
            pragmas = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys")
            }
        assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1}


def test_sqlite_foreign_keys_are_enforced(sqlite_engine):
    engine, _ = sqlite_engine
    with pytest.raises(DBAPIError, match="FOREIGN KEY"), engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO log_posting (log, seq, idx, account, commodity, amount) "
            "VALUES ('main', 99, 0, 'Assets:X', 'CNY', 1)"
        )


def _begin_immediate_elsewhere(path) -> None:
    """BEGIN IMMEDIATE on a second connection that gives up after 50 ms."""
    other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_sqlite_write_transaction_holds_the_write_lock_from_begin(sqlite_engine):
    engine, path = sqlite_engine
    # not a single statement has run in the transaction yet
    with write_transaction(engine), pytest.raises(sqlite3.OperationalError, match="locked"):
        _begin_immediate_elsewhere(path)
    _begin_immediate_elsewhere(path)  # released at commit

    with read_transaction(engine) as conn:  # a reader does not block writers (WAL)
        conn.exec_driver_sql("SELECT count(*) FROM log_entry").scalar()
        _begin_immediate_elsewhere(path)
