"""Bulk inserts of plain tuples: a Core statement compiled once per dialect, executed with
:meth:`Connection.exec_driver_sql`.

``conn.execute(insert(table), [dict, ...])`` builds and processes a parameter dictionary per
row in Python, which for the small rows of the log costs more than the database's own work.
Here the same statement, as SQLAlchemy compiles it for the connection's dialect (with
positional placeholders), goes to the driver's ``executemany`` with one tuple per row: the same
SQL on the same connection, in the same transaction, without the per-row processing. That is
right only for values the driver takes as they are, which is all the log's columns hold:
``str``, ``int`` and ``bytes``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection
from sqlalchemy.sql.expression import Executable

_compiled: dict[tuple[Executable, type], str] = {}


def insert_many(
    conn: Connection, stmt: Executable, columns: tuple[str, ...], rows: Sequence[tuple]
) -> None:
    """Execute ``stmt`` once per row of ``rows`` (nothing when there are none).

    ``columns`` names the statement's bind parameters in the order it takes them (checked when
    it is first compiled for a dialect); each row holds their values in that order. ``stmt``
    should be a module-level constant: compiled SQL is kept per statement and dialect.
    """
    if not rows:
        return
    dialect = conn.dialect
    key = (stmt, type(dialect))
    sql = _compiled.get(key)
    if sql is None:
        if dialect.positional:
            compiled = stmt.compile(dialect=dialect)
        elif dialect.paramstyle == "pyformat":  # psycopg: the same SQL with %s placeholders
            compiled = stmt.compile(dialect=type(dialect)(paramstyle="format"))
        else:
            conn.execute(stmt, [dict(zip(columns, row, strict=True)) for row in rows])
            return
        if tuple(compiled.positiontup or ()) != columns:
            raise RuntimeError(f"{stmt} takes {compiled.positiontup}, not {columns}")
        sql = _compiled[key] = str(compiled)
    conn.exec_driver_sql(sql, rows if isinstance(rows, list) else list(rows))
