"""Bulk inserts of plain tuples: a Core statement compiled once per dialect, executed with
:meth:`Connection.exec_driver_sql`; on PostgreSQL, a plain ``INSERT`` goes through ``COPY``.

``conn.execute(insert(table), [dict, ...])`` builds and processes a parameter dictionary per
row in Python, which for the small rows of the log costs more than the database's own work.
Here the same statement, as SQLAlchemy compiles it for the connection's dialect (with
positional placeholders), goes to the driver's ``executemany`` with one tuple per row: the same
SQL on the same connection, in the same transaction, without the per-row processing. That is
right only for values the driver takes as they are, which is all the log's columns hold:
``str``, ``int``, ``bool``, ``bytes`` and ``None``.

On PostgreSQL an ``INSERT`` of rows into a table's columns (no ``ON CONFLICT``, no
``RETURNING``) is sent as ``COPY … FROM STDIN`` on the same connection and transaction instead:
the server then parses one stream rather than executing the statement once per row (about
eight times faster for a hundred thousand rows). ``COPY FROM`` needs only the ``INSERT``
privilege, fires the same ``INSERT`` triggers and checks the same constraints; a refusal is
raised as SQLAlchemy's :class:`~sqlalchemy.exc.DBAPIError`, like any statement's. A few rows
(up to :data:`VALUES_MAX_ROWS`, as a single append writes) go as one ``INSERT … VALUES (…),
(…)`` instead: one round trip to the server, where ``COPY`` takes two.

On SQLite an ``INSERT … VALUES`` (an upsert's ``ON CONFLICT`` clause included) of many rows goes
as statements of :data:`SQLITE_ROWS` rows each, then of :data:`SQLITE_FEW_ROWS`, and the last
few rows one at a time: a statement per row costs the driver a reset, a bind and a release and
re-acquisition of the interpreter lock per row, which for narrow rows is more than the
database's own work (statements of many rows take a half to a third of the time). The rows
go in the same order, in the same transaction, and a refusal is raised the same way.

On PostgreSQL an upsert (``INSERT … ON CONFLICT``, which ``COPY`` cannot do) of many rows goes
the same way when the caller says no two rows share a conflict key (``distinct``): PostgreSQL
refuses a statement that would update one row twice, so only then is a statement of many rows
the same as the rows one by one; it saves the server a statement per row (10,000 balances: a
fifth of the time).
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from queue import SimpleQueue
from typing import Any

from sqlalchemy import Connection, Table, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.expression import Executable
from sqlalchemy.sql.util import find_tables

#: Up to this many rows, a plain insert on PostgreSQL is one multi-row ``INSERT``.
VALUES_MAX_ROWS = 32
#: The rows per statement of a SQLite ``INSERT`` of many rows (fewer where the table is so wide
#: that they would pass the connection's limit of bound values), and of what remains.
SQLITE_ROWS = 500
SQLITE_FEW_ROWS = 25
#: Rows per statement written behind (:func:`write_behind`), where the connection's limit of
#: bound values allows: the second thread takes the interpreter lock between statements, and
#: a busy caller hands it over only every few milliseconds, so it writes few large ones.
SQLITE_BEHIND_ROWS = 4000

_compiled: dict[tuple[Executable, type], str] = {}
#: Per copyable statement and dialect: the ``INSERT … VALUES`` before the row and one row's
#: placeholders ``(%s, …)``.
_values: dict[tuple[Executable, type], tuple[str, str]] = {}
#: Per insert of values and dialect (on PostgreSQL, upserts): its statements of
#: :data:`SQLITE_ROWS` and of :data:`SQLITE_FEW_ROWS` rows, with the rows each takes.
_batches: dict[tuple[Executable, type], tuple[tuple[int, str], ...]] = {}
#: The same on SQLite for writing behind: statements of :data:`SQLITE_BEHIND_ROWS` rows first.
_behind_batches: dict[tuple[Executable, type], tuple[tuple[int, str], ...]] = {}
#: PostgreSQL's limit of bound values in a statement.
PG_MAX_PARAMS = 65_535


def blob_type(conn: Connection) -> type:
    """What to pass a BLOB value as in rows for :func:`insert_many` and other statements:
    ``bytearray`` on SQLite, whose driver binds it as it is but looks ``bytes`` up among its
    adapters first (about four times dearer a value); ``bytes`` elsewhere (``bytes(b)`` is
    ``b`` itself)."""
    return bytearray if conn.dialect.name == "sqlite" else bytes


def insert_many(
    conn: Connection,
    stmt: Executable,
    columns: tuple[str, ...],
    rows: Sequence[tuple],
    *,
    distinct: bool = False,
) -> None:
    """Execute ``stmt`` once per row of ``rows`` (nothing when there are none).

    ``columns`` names the statement's bind parameters in the order it takes them (checked when
    it is first compiled for a dialect); each row holds their values in that order. ``stmt``
    should be a module-level constant: compiled SQL is kept per statement and dialect.
    ``distinct`` says that no two rows of an upsert share its conflict key (on PostgreSQL the
    rows may then go many per statement).
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
        if dialect.name == "postgresql" and _copyable(stmt):
            head, _, row = str(compiled).rpartition(" VALUES ")
            _values[key] = (f"{head} VALUES ", row)
            sql = _copy_sql(conn, stmt, columns)
        else:
            sql = str(compiled)
            if _inserts_values(stmt):
                width, limit, few = len(columns), _max_params(conn), (SQLITE_ROWS, SQLITE_FEW_ROWS)
                _batches[key] = _batched(sql, width, limit, few)
                if dialect.name == "sqlite":
                    _behind_batches[key] = _batched(sql, width, limit, (SQLITE_BEHIND_ROWS, *few))
        _compiled[key] = sql
    writer = conn.info.get(_WRITER)
    if writer is not None:
        writer.put(stmt, sql, _behind_batches.get(key, ()), rows)
        return
    batches = _batches.get(key) if distinct or dialect.name == "sqlite" else None
    if batches and len(rows) >= batches[-1][0]:
        rows = _insert_batches(conn, batches, rows)
        if not rows:
            return
    if sql.startswith("COPY "):
        if len(rows) > VALUES_MAX_ROWS:
            _copy(conn, sql, rows)
            return
        head, row = _values[key]
        conn.exec_driver_sql(head + ", ".join([row] * len(rows)), tuple(v for r in rows for v in r))
        return
    conn.exec_driver_sql(sql, rows if isinstance(rows, list) else list(rows))


def _inserts_values(stmt: Executable) -> bool:
    """An insert of values (an upsert's ``ON CONFLICT`` clause allowed), nothing returned."""
    return isinstance(stmt, Insert) and not stmt._returning and stmt.select is None


def _max_params(conn: Connection) -> int:
    """The most bound values a statement of ``conn`` takes."""
    if conn.dialect.name == "sqlite":
        return conn.connection.dbapi_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return PG_MAX_PARAMS


def _batched(
    sql: str, width: int, limit: int, rows: tuple[int, ...]
) -> tuple[tuple[int, str], ...]:
    """The statements of each number of ``rows`` (fewer where ``limit`` bound values say so)
    of the one-row ``INSERT … VALUES (?, …) [ON CONFLICT …]`` ``sql``, largest first."""
    head, _, rest = sql.partition(" VALUES ")
    row, tail = rest[: rest.index(")") + 1], rest[rest.index(")") + 1 :]
    sizes = sorted({min(n, limit // width) for n in rows} - {0, 1})
    return tuple((n, f"{head} VALUES {', '.join([row] * n)}{tail}") for n in reversed(sizes))


def _insert_batches(
    conn: Connection, batches: tuple[tuple[int, str], ...], rows: Sequence[tuple]
) -> Sequence[tuple]:
    """Insert the leading rows in statements of many rows each; return the rows left over
    (fewer than the smallest batch)."""
    statements, done = _statements(batches, rows)
    for sql, params in statements:
        conn.exec_driver_sql(sql, params)
    return rows[done:]


def _statements(
    batches: tuple[tuple[int, str], ...], rows: Sequence[tuple]
) -> tuple[list[tuple[str, list[tuple]]], int]:
    """``(sql, parameters)`` of the statements of many rows each (largest first) that take
    the leading rows, and how many rows they take (the rest are fewer than the smallest)."""
    flat = itertools.chain.from_iterable
    statements, done = [], 0
    for n, sql in batches:
        whole = done + (len(rows) - done) // n * n
        if whole > done:
            statements.append((sql, [tuple(flat(rows[i : i + n])) for i in range(done, whole, n)]))
            done = whole
    return statements, done


def _copyable(stmt: Executable) -> bool:
    """A plain insert of values into a table's columns."""
    return (
        isinstance(stmt, Insert)
        and stmt._post_values_clause is None  # ON CONFLICT …
        and not stmt._returning
        and stmt.select is None
    )


def _copy_sql(conn: Connection, stmt: Insert, columns: tuple[str, ...]) -> str:
    quote = conn.dialect.identifier_preparer
    names = ", ".join(quote.quote(c) for c in columns)
    return f"COPY {quote.format_table(stmt.table)} ({names}) FROM STDIN"


def _copy(conn: Connection, sql: str, rows: Sequence[tuple]) -> None:
    dbapi = conn.connection.dbapi_connection
    try:
        with dbapi.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(sql, None, exc, conn.dialect.loaded_dbapi.Error) from exc


# --- writing behind ------------------------------------------------------------------------

_WRITER = "ledger_write_behind"


@contextmanager
def write_behind(conn: Connection) -> Iterator[None]:
    """On SQLite, while the block runs, the statements of :func:`insert_many` on ``conn`` are
    executed by a second thread, in the order given, while this one goes on (the driver lets
    go of the interpreter while SQLite works on a statement, so preparing the next rows and
    writing the last overlap). Every other statement on ``conn`` first waits for the queued
    ones of the tables it names and of the tables linked to those by a foreign key (for a
    statement SQLAlchemy did not compile, for all of them), so what it reads or writes is as
    if the inserts had run in place. Leaving the block waits for the rest and raises the
    first error of any (as the statement would have raised it, a
    :class:`~sqlalchemy.exc.DBAPIError`); nothing is written by then that the transaction's
    rollback does not undo. Elsewhere (PostgreSQL, an in-memory SQLite database), and when
    already writing behind, the block changes nothing."""
    if conn.dialect.name != "sqlite" or _WRITER in conn.info or not _shareable(conn):
        yield
        return
    writer = _Writer(conn.connection.dbapi_connection)
    conn.info[_WRITER] = writer
    event.listen(conn, "before_cursor_execute", writer.before_execute)
    try:
        yield
    except BaseException:
        writer.close(cancel=True)
        raise
    else:
        writer.close(cancel=False)
    finally:
        event.remove(conn, "before_cursor_execute", writer.before_execute)
        del conn.info[_WRITER]
    writer.raise_error()


def _shareable(conn: Connection) -> bool:
    """Whether the SQLite connection may be used from a second thread: SQLAlchemy opens a
    file database's so, and an in-memory database's (one per thread) not."""
    return conn.engine.url.database not in (None, "", ":memory:")


class _Writer:
    """The second thread of :func:`write_behind` and its queue of statements: ``ticket`` is
    the number of statements queued so far, ``done`` how many have run, ``last[table]`` the
    ticket of the last statement writing ``table``."""

    def __init__(self, dbapi: Any):
        self.queue: SimpleQueue[tuple[str, list[tuple]] | None] = SimpleQueue()
        self.finished = threading.Condition()
        self.ticket = self.done = 0
        self.last: dict[Table, int] = {}
        self.error: tuple[str, BaseException] | None = None
        self.cancelled = False
        self.thread = threading.Thread(
            target=self._run, args=(dbapi,), name="bulk-write-behind", daemon=True
        )
        self.thread.start()

    def put(
        self, stmt: Any, sql: str, batches: tuple[tuple[int, str], ...], rows: Sequence[tuple]
    ) -> None:
        """Queue ``rows`` of ``stmt`` as :func:`insert_many` would execute them."""
        statements, done = _statements(batches, rows) if batches else ([], 0)
        if done < len(rows):
            statements.append((sql, list(rows[done:])))
        for item in statements:
            self.ticket += 1
            self.queue.put(item)
        self.last[stmt.table] = self.ticket

    def _run(self, dbapi: Any) -> None:
        cursor = dbapi.cursor()
        try:
            while (item := self.queue.get()) is not None:
                if self.error is None and not self.cancelled:
                    try:
                        cursor.executemany(*item)
                    except BaseException as exc:  # raised by the caller's thread
                        self.error = (item[0], exc)
                with self.finished:
                    self.done += 1
                    self.finished.notify_all()
        finally:
            cursor.close()

    def wait(self, ticket: int) -> None:
        """Wait until the statements up to ``ticket`` have run; raise the first error."""
        with self.finished:
            while self.done < ticket:
                self.finished.wait()
        self.raise_error()

    def raise_error(self) -> None:
        if self.error is not None:
            sql, exc = self.error
            if isinstance(exc, sqlite3.Error):
                raise DBAPIError.instance(sql, None, exc, sqlite3.Error) from exc
            raise exc

    def before_execute(self, conn, cursor, statement, parameters, context, executemany) -> None:
        compiled = getattr(context, "compiled", None)
        if compiled is None:
            self.wait(self.ticket)
            return
        named = _tables(compiled.statement)
        self.wait(max((t for table, t in self.last.items() if table in named), default=0))

    def close(self, *, cancel: bool) -> None:
        self.cancelled = cancel
        self.queue.put(None)
        self.thread.join()


def _tables(stmt: Any) -> set[Table]:
    """The tables ``stmt`` names, and those linked to them by a foreign key either way."""
    named = {
        t for t in find_tables(stmt, check_columns=True, include_crud=True) if isinstance(t, Table)
    }
    linked = set(named)
    for table in named:
        linked.update(fk.column.table for fk in table.foreign_keys)
        linked.update(
            other
            for other in table.metadata.tables.values()
            if any(fk.column.table is table for fk in other.foreign_keys)
        )
    return linked
