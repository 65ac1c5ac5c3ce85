"""Bulk inserts of tuples on both databases: every value type the ledger's tables hold comes
back as it went in (on PostgreSQL through one multi-row ``INSERT`` for a few rows and ``COPY``
for more; on SQLite through statements of many rows, then of a few, then one row at a time),
an upsert still upserts in row order, and a constraint the database enforces refuses the
whole statement; rows written behind (by a second thread on SQLite) are the same rows, seen by
every later statement that reads their table, and a refusal among them is raised on leaving."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from ledger.core.entry import EntryDraft
from ledger.services.bulk import (
    SQLITE_BEHIND_ROWS,
    SQLITE_FEW_ROWS,
    SQLITE_ROWS,
    VALUES_MAX_ROWS,
    blob_type,
    insert_many,
    write_behind,
)
from ledger.services.log import ENTRY, NODE, append_batch
from ledger.storage.db import make_engine

#: Rows that take every SQLite statement size: two of many rows, two of a few, and seven alone.
LADDER = 2 * SQLITE_ROWS + 2 * SQLITE_FEW_ROWS + 7

METADATA = MetaData()
ROWS = Table(
    "bulk_rows",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("text", String(50)),
    Column("amount", BigInteger),
    Column("blob", LargeBinary),
    Column("flag", Boolean),
)
COLUMNS = ("id", "text", "amount", "blob", "flag")
INSERT = insert(ROWS)


def _upsert(dialect):
    stmt = dialect.insert(ROWS)
    return stmt.on_conflict_do_update(index_elements=["id"], set_={"text": stmt.excluded.text})


UPSERT = {"sqlite": _upsert(sqlite), "postgresql": _upsert(postgresql)}


@pytest.fixture
def table(engine):
    METADATA.create_all(engine)
    yield engine
    METADATA.drop_all(engine)


@pytest.mark.parametrize(
    "copies", [1, VALUES_MAX_ROWS // 3 + 1, LADDER // 3 + 1], ids=["few", "many", "ladder"]
)
def test_values_round_trip(table, copies):
    kinds = [
        ('常口村\t集体, "quoted"\\n', 2**53 - 1, b"\x00\x01\xff\\N", True),
        (None, -5, None, False),
        ("", 0, b"", None),
    ]
    rows = [(n, *kinds[n % 3]) for n in range(3 * copies)]
    assert (len(rows) > VALUES_MAX_ROWS) == (copies > 1)
    with table.begin() as conn:
        insert_many(conn, INSERT, COLUMNS, rows)
    with table.connect() as conn:
        back = [tuple(r) for r in conn.execute(select(ROWS).order_by(ROWS.c.id))]
    assert back == rows


def test_an_upsert_upserts(table):
    upsert = UPSERT[table.dialect.name]
    with table.begin() as conn:
        insert_many(conn, upsert, COLUMNS, [(1, "a", 1, b"", True)])
        insert_many(conn, upsert, COLUMNS, [(1, "b", 1, b"", True), (2, "c", 2, b"", False)])
    with table.connect() as conn:
        assert [r.text for r in conn.execute(select(ROWS).order_by(ROWS.c.id))] == ["b", "c"]


def test_an_upsert_of_many_rows_applies_them_in_order(table):
    """The same key twice in one call, in different statements and within one: the later
    row wins, as it does when the rows go one at a time."""
    upsert = UPSERT[table.dialect.name]
    half = LADDER // 2
    rows = [(n % half, f"t{n}", n, b"", True) for n in range(2 * half)]
    with table.begin() as conn:
        insert_many(conn, upsert, COLUMNS, rows)
    with table.connect() as conn:
        back = conn.execute(select(ROWS.c.id, ROWS.c.text).order_by(ROWS.c.id)).all()
    assert [tuple(r) for r in back] == [(n, f"t{n + half}") for n in range(half)]


def test_an_upsert_of_distinct_keys_goes_many_rows_per_statement(table):
    """Rows whose keys are distinct (half of them stored already): each upserts as it would
    alone, in statements of many rows on both databases."""
    upsert = UPSERT[table.dialect.name]
    sent: list[int] = []  # rows per statement

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO bulk_rows"):
            per = max(statement.count("(?"), statement.count("(%s"))
            sent.extend([per] * (len(parameters) if executemany else 1))

    with table.begin() as conn:
        insert_many(conn, upsert, COLUMNS, [(n, "old", n, b"", True) for n in range(0, LADDER, 2)])
    event.listen(table, "before_cursor_execute", record)
    with table.begin() as conn:
        rows = [(n, f"new{n}", n, b"", True) for n in range(LADDER)]
        insert_many(conn, upsert, COLUMNS, rows, distinct=True)
    event.remove(table, "before_cursor_execute", record)
    assert sent == [SQLITE_ROWS] * 2 + [SQLITE_FEW_ROWS] * 2 + [1] * 7
    with table.connect() as conn:
        back = conn.execute(select(ROWS.c.id, ROWS.c.text).order_by(ROWS.c.id)).all()
    assert [tuple(r) for r in back] == [(n, f"new{n}") for n in range(LADDER)]


def test_sqlite_sends_many_rows_per_statement(tmp_path):
    """The ladder of statement sizes: no row goes alone while a statement of many can take it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'bulk.db'}")
    METADATA.create_all(engine)
    sent: list[tuple[int, int]] = []  # (rows per statement, statements)

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO bulk_rows"):
            sets = len(parameters) if executemany else 1
            sent.append((statement.count("(?"), sets))

    event.listen(engine, "before_cursor_execute", record)
    rows = [(n, "a", n, b"", True) for n in range(LADDER)]
    with engine.begin() as conn:
        insert_many(conn, INSERT, COLUMNS, rows)
    assert sent == [(SQLITE_ROWS, 2), (SQLITE_FEW_ROWS, 2), (1, 7)]
    with engine.connect() as conn:
        assert conn.execute(select(ROWS.c.id).order_by(ROWS.c.id)).scalars().all() == list(
            range(LADDER)
        )
    engine.dispose()


@pytest.mark.parametrize("count", [2, VALUES_MAX_ROWS + 1, LADDER], ids=["few", "many", "ladder"])
def test_a_refused_row_refuses_the_statement(table, count):
    rows = [(n, "a", n, b"", True) for n in range(count - 1)] + [(0, "b", 2, b"", False)]
    with pytest.raises(DBAPIError), table.begin() as conn:
        insert_many(conn, INSERT, COLUMNS, rows)
    with table.connect() as conn:
        assert conn.execute(select(ROWS)).all() == []


# --- writing behind ------------------------------------------------------------------------

OTHER = Table("bulk_other", METADATA, Column("id", Integer, primary_key=True, autoincrement=False))


def test_written_behind_rows_are_the_rows_written_in_place(table):
    """Round trips, upserts in row order, and every statement size, as without writing behind."""
    upsert = UPSERT[table.dialect.name]
    half = (SQLITE_BEHIND_ROWS + LADDER) // 2
    rows = [(n % half, f"t{n}", n, b"\x00", n % 2 == 0) for n in range(2 * half)]
    with table.begin() as conn, write_behind(conn):
        insert_many(conn, upsert, COLUMNS, rows)
        insert_many(conn, upsert, COLUMNS, [(0, "last", 0, b"", None)])
    with table.connect() as conn:
        back = conn.execute(select(ROWS.c.id, ROWS.c.text).order_by(ROWS.c.id)).all()
    assert [tuple(r) for r in back] == [(0, "last")] + [(n, f"t{n + half}") for n in range(1, half)]


def test_a_statement_sees_the_rows_queued_before_it(table):
    """A read of a table with rows still queued waits for them (compiled or not); a read of
    another table need not."""
    with table.begin() as conn, write_behind(conn):
        for start in range(0, 3 * LADDER, LADDER):
            insert_many(
                conn,
                INSERT,
                COLUMNS,
                [(n, "a", n, b"", True) for n in range(start, start + LADDER)],
            )
            assert conn.execute(select(func.count()).select_from(ROWS)).scalar() == start + LADDER
            assert conn.execute(select(func.count()).select_from(OTHER)).scalar() == 0
        insert_many(conn, INSERT, COLUMNS, [(-1, "b", 0, b"", True)])
        assert conn.exec_driver_sql("SELECT count(*) FROM bulk_rows").scalar() == 3 * LADDER + 1


def test_a_refused_row_written_behind_is_raised_on_leaving(table):
    rows = [(n, "a", n, b"", True) for n in range(LADDER)] + [(0, "b", 2, b"", False)]
    with pytest.raises(DBAPIError), table.begin() as conn, write_behind(conn):
        insert_many(conn, INSERT, COLUMNS, rows)
        insert_many(conn, insert(OTHER), ("id",), [(1,)])  # not written after the error
    with table.connect() as conn:
        assert conn.execute(select(ROWS)).all() == [] and conn.execute(select(OTHER)).all() == []


def test_an_error_in_the_block_leaves_the_queued_rows_to_the_rollback(table):
    with pytest.raises(ZeroDivisionError), table.begin() as conn, write_behind(conn):
        insert_many(conn, INSERT, COLUMNS, [(n, "a", n, b"", True) for n in range(LADDER)])
        1 / 0  # noqa: B018
    with table.connect() as conn:
        assert conn.execute(select(ROWS)).all() == []
    with table.begin() as conn, write_behind(conn):  # the connection is fit for use again
        insert_many(conn, INSERT, COLUMNS, [(1, "a", 1, b"", True)])
    with table.connect() as conn:
        assert conn.execute(select(ROWS.c.id)).scalars().all() == [1]


def test_an_in_memory_database_is_written_in_place():
    """Its connection belongs to one thread: no second thread writes for it."""
    engine = make_engine("sqlite://")
    METADATA.create_all(engine)
    with engine.begin() as conn, write_behind(conn):
        insert_many(conn, INSERT, COLUMNS, [(n, "a", n, b"", True) for n in range(LADDER)])
        assert "bulk-write-behind" not in {t.name for t in threading.enumerate()}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ROWS)).scalar() == LADDER
    engine.dispose()


def test_the_log_stores_its_hashes_and_leaves_as_blobs_of_their_bytes(engine):
    """The append path binds the log's hashes and leaves as bytearrays on SQLite: they are
    stored as the same BLOBs (read back as bytes) on both databases."""
    drafts = [EntryDraft("test.note", {"n": i}, "test:x") for i in range(4)]
    entries = append_batch(engine, drafts)
    with engine.connect() as conn:
        stored = conn.execute(
            select(ENTRY.c.prev_hash, ENTRY.c.leaf, ENTRY.c.leaf_hash).order_by(ENTRY.c.seq)
        ).all()
        nodes = conn.execute(select(NODE.c.hash)).scalars().all()
        if conn.dialect.name == "sqlite":
            types = conn.exec_driver_sql(
                "SELECT DISTINCT typeof(prev_hash), typeof(leaf), typeof(leaf_hash) FROM log_entry"
            ).all()
            assert types == [("blob", "blob", "blob")]
            node_types = conn.exec_driver_sql("SELECT DISTINCT typeof(hash) FROM log_tree_node")
            assert node_types.all() == [("blob",)]
    assert [tuple(row) for row in stored] == [(e.prev, e.leaf, e.leaf_hash) for e in entries]
    assert all(type(v) is bytes for row in stored for v in row)
    assert len(nodes) == 3 and all(type(h) is bytes and len(h) == 32 for h in nodes)


def test_blobs_are_passed_as_bytearrays_on_sqlite_and_as_they_are_elsewhere(engine):
    with engine.connect() as conn:
        blob = blob_type(conn)
    digest = bytes(range(32))
    if engine.dialect.name == "sqlite":
        assert blob is bytearray and blob(digest) == digest
    else:
        assert blob is bytes and blob(digest) is digest
