"""Bulk inserts of tuples on both databases: every value type the ledger's tables hold comes
back as it went in (on PostgreSQL through one multi-row ``INSERT`` for a few rows and ``COPY``
for more, ``executemany`` elsewhere), an upsert still upserts, and a constraint the database
enforces refuses the whole statement."""

from __future__ import annotations

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
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from ledger.services.bulk import VALUES_MAX_ROWS, insert_many

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


@pytest.mark.parametrize("copies", [1, VALUES_MAX_ROWS // 3 + 1], ids=["few", "many"])
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


@pytest.mark.parametrize("count", [2, VALUES_MAX_ROWS + 1], ids=["few", "many"])
def test_a_refused_row_refuses_the_statement(table, count):
    rows = [(n, "a", n, b"", True) for n in range(count - 1)] + [(0, "b", 2, b"", False)]
    with pytest.raises(DBAPIError), table.begin() as conn:
        insert_many(conn, INSERT, COLUMNS, rows)
    with table.connect() as conn:
        assert conn.execute(select(ROWS)).all() == []
