"""Storing an import's retirement rows: each stored once per registry, by its serial range and
the digest of the row as written, in the import's transaction.

:func:`store` writes the blocks of rows the file's reader hands it (column by column, see
:data:`~ledger.reconcile.formats.Columns`) on a thread of its own while the file is read, and
returns how many rows were new:

- on SQLite, in ``INSERT … ON CONFLICT DO NOTHING`` statements of many rows each;
- on PostgreSQL, by one ``COPY`` into the table, kept open while the rows come in the order of
  their serials beyond every serial stored before (an export's usual order, where no row can
  be stored already); any other row is set aside, and the rows set aside are copied into a
  temporary table and inserted from there, leaving out those already stored.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import itertools
import operator
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from queue import Queue
from typing import Any

from sqlalchemy import Connection

from ledger.reconcile.formats import Columns
from ledger.services.bulk import blob_type
from ledger.storage.db import sqlite_page_cache

#: The columns of ``registry_retirement`` an import writes, in the order of
#: :data:`~ledger.reconcile.formats.Columns` and then the import's number.
COLUMNS = (
    "registry",
    "block",
    "serial_start",
    "serial_end",
    "quantity",
    "project",
    "vintage",
    "retired_on",
    "beneficiary",
    "reason",
    "details",
    "serial",
    "row_sha256",
    "line",
    "import_id",
)
_BLOCK, _START, _DIGEST = (COLUMNS.index(c) for c in ("block", "serial_start", "row_sha256"))

#: SQLite's page cache while an import writes (KiB): enough for the unique index of a million
#: rows, which takes rows in the order of their serials (an export need not follow it), and
#: not for the table too, whose pages, filled in turn, go to the write-ahead log while rows
#: are still being read instead of all at the commit.
SQLITE_CACHE_KIB = 64 * 1024
#: SQLite: the most rows one INSERT statement writes (the driver lets go of the interpreter
#: once per statement; the writer then waits for the reader to let go of it in turn).
SQLITE_ROWS = 2000
#: PostgreSQL: the most rows set aside before they are inserted.
STAGED_ROWS = 24_000
#: Blocks of rows read and not yet written, at most: rows read long before they are written
#: are no longer in the processor's caches, which costs the reading more than the waiting.
QUEUED = 2


def store(conn: Connection, blocks: Iterator[Columns], registry: str, import_id: int) -> int:
    """Insert the rows of ``blocks`` (an iterator of :data:`Columns`, rows of ``registry``) as
    stored by the import ``import_id``, leaving alone a row already stored; returns how many
    were new. The blocks are read in this thread while another writes those read before (the
    database driver lets go of the interpreter while the database works), so reading and
    writing overlap; the connection is used by that writer alone until it is done."""
    postgresql = conn.dialect.name == "postgresql"
    writer_of = _PostgresWriter if postgresql else _SqliteWriter
    batches = blocks if postgresql else _sqlite_batches(conn, blocks)
    queue: Queue[Any] = Queue(maxsize=QUEUED)
    outcome: dict[str, Any] = {}

    def writer() -> None:
        batch: Any = ()
        try:
            with writer_of(conn, registry, import_id) as write:
                while (batch := queue.get()) is not None:
                    write(batch)
            outcome["added"] = write.added
        except BaseException as exc:  # handed to the reading thread below
            outcome["error"] = exc
            while batch is not None:  # (the writer may fail after the last batch, finishing)
                batch = queue.get()

    with sqlite_page_cache(conn, SQLITE_CACHE_KIB):
        thread = threading.Thread(target=writer, name="reconcile-import", daemon=True)
        thread.start()
        try:
            for batch in batches:
                if "error" in outcome:
                    break
                queue.put(batch)
        finally:
            queue.put(None)
            thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["added"]


# --- SQLite ---------------------------------------------------------------------------------

#: SQLite: the columns bound as parameters (the registry and the import's number, the same in
#: every row of an import, are written into the statement).
_BOUND = len(COLUMNS) - 2


def _sqlite_batches(conn: Connection, blocks: Iterator[Columns]) -> Iterator[list]:
    """SQLite: the blocks' rows as the parameters of INSERT statements of many rows each (all
    of :data:`SQLITE_ROWS` rows but the last), each row's values one after another, each
    digest as :func:`~ledger.services.bulk.blob_type` has a BLOB passed. Each value is put in
    its place once (a copy more would touch every value again)."""
    limit = conn.connection.dbapi_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = min(SQLITE_ROWS, limit // _BOUND)
    blob = blob_type(conn)
    params: list = [None] * (per * _BOUND)
    filled = 0
    for columns in blocks:
        digests = list(map(blob, columns[_DIGEST]))
        bound = [*columns[1:_DIGEST], digests, *columns[_DIGEST + 1 :]]
        rows = len(digests)
        taken = 0
        while taken < rows:
            take = min(rows - taken, per - filled)
            for i, column in enumerate(bound):
                part = column if take == rows else column[taken : taken + take]
                params[filled * _BOUND + i : (filled + take) * _BOUND : _BOUND] = part
            filled += take
            taken += take
            if filled == per:
                yield params
                params = [None] * (per * _BOUND)
                filled = 0
    if filled:
        yield params[: filled * _BOUND]


class _SqliteWriter:
    """SQLite: writes batches of :func:`_sqlite_batches`, counting the rows that were new."""

    def __init__(self, conn: Connection, registry: str, import_id: int):
        self._cursor = conn.connection.dbapi_connection.cursor()
        self._registry = registry
        self._import_id = import_id
        self.added = 0

    def __enter__(self) -> _SqliteWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._cursor.close()

    def __call__(self, params: list) -> None:
        rows = len(params) // _BOUND
        self._cursor.execute(_sqlite_insert(rows, self._registry, self._import_id), params)
        self.added += self._cursor.rowcount


@functools.lru_cache(maxsize=16)
def _sqlite_insert(rows: int, registry: str, import_id: int) -> str:
    """SQLite: the insert of ``rows`` rows at once (a row already stored is left alone; any
    other constraint still refuses a row, which ``INSERT OR IGNORE`` would skip), with the
    registry and the import's number written in."""
    one = f"({_literal(registry)}, {', '.join('?' * _BOUND)}, {int(import_id)})"
    return (
        f"INSERT INTO registry_retirement ({', '.join(COLUMNS)}) "  # noqa: S608
        f"VALUES {', '.join([one] * rows)} ON CONFLICT DO NOTHING"
    )


def _literal(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


# --- PostgreSQL -----------------------------------------------------------------------------

#: PostgreSQL: the types of :data:`COLUMNS`, for COPY in the binary format (no digest in hex,
#: no number in decimal).
_COPY_TYPES = (
    *("text", "text", "int8", "int8", "int8"),
    *("text", "text", "text", "text", "text", "text", "text"),
    *("bytea", "int8", "int8"),
)
_COPY = f"COPY {{}} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
#: PostgreSQL: the rows set aside that are not stored yet (constant names only).
_MOVE_NEW = (
    f"INSERT INTO registry_retirement ({', '.join(COLUMNS)}) "  # noqa: S608
    f"SELECT {', '.join(COLUMNS)} FROM reconcile_incoming ON CONFLICT DO NOTHING"
)
#: PostgreSQL: the greatest first serial stored of each of some blocks of a registry (one
#: walk down the unique index each).
_STORED_UP_TO = (
    "SELECT block, (SELECT max(serial_start) FROM registry_retirement "
    "WHERE registry = %s AND block = blocks.block) FROM unnest(%s::text[]) AS blocks(block)"
)


class _PostgresWriter:
    """PostgreSQL: writes blocks of rows of one registry, each row stored once.

    A row whose first serial is beyond the greatest first serial of its block of serials
    stored before the import and read before it in the file (its *frontier*) cannot be stored
    already: the unique index holds its range, and nothing of it is that far. Such rows go
    straight into the table by one COPY, kept open; the others are set aside and, by
    :data:`STAGED_ROWS` and at the end, copied into a temporary table and inserted from
    there, leaving out what is stored. Imports of one registry take turns (the caller holds
    its lock), so nothing is stored in between by another. No savepoint is taken: a
    transaction of more than 64 would overflow the server's cache of subtransactions.
    """

    def __init__(self, conn: Connection, registry: str, import_id: int):
        self._cursor = conn.connection.dbapi_connection.cursor()
        self._registry = registry
        self._import_id = import_id
        self._frontier: dict[str, int] = {}
        self._copying = contextlib.ExitStack()
        self._copy: Any = None
        self._staged: list[tuple] = []
        self.added = 0

    def __enter__(self) -> _PostgresWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is None:
            self._end_copy()
            self._insert_staged()
        else:  # a COPY still open fails with the error
            self._copying.__exit__(*exc)
        self._cursor.close()

    def __call__(self, columns: Columns) -> None:
        blocks, starts = columns[_BLOCK], columns[_START]
        names = set(blocks)
        if not names <= self._frontier.keys():
            self._find_frontiers(names - self._frontier.keys())
        rows = zip(*columns, itertools.repeat(self._import_id))
        if len(names) == 1:  # an export's usual block: first serials increasing beyond all
            (name,) = names
            if starts[0] > self._frontier[name] and all(
                map(operator.lt, starts, itertools.islice(starts, 1, None))
            ):
                self._write(rows, len(starts))
                self._frontier[name] = starts[-1]
                return
        for row in rows:
            name, start = row[_BLOCK], row[_START]
            if start > self._frontier[name]:
                self._write((row,), 1)
                self._frontier[name] = start
            else:
                self._staged.append(row)
        if len(self._staged) >= STAGED_ROWS:
            self._insert_staged()

    def _write(self, rows: Iterable[tuple], count: int) -> None:
        """COPY the ``count`` ``rows`` into the table (opening the COPY if it is not open)."""
        if self._copy is None:
            self._copy = self._copying.enter_context(
                self._cursor.copy(_COPY.format("registry_retirement"))
            )
            self._copy.set_types(_COPY_TYPES)
        collections.deque(map(self._copy.write_row, rows), maxlen=0)
        self.added += count

    def _end_copy(self) -> None:
        self._copying.close()
        self._copy = None

    def _find_frontiers(self, names: set[str]) -> None:
        """The frontier of each block of serials ``names`` not met before: the greatest first
        serial stored (-1 for none; serials are not negative)."""
        self._end_copy()
        self._cursor.execute(_STORED_UP_TO, (self._registry, sorted(names)))
        for name, greatest in self._cursor.fetchall():
            self._frontier[name] = -1 if greatest is None else greatest

    def _insert_staged(self) -> None:
        """Insert the rows set aside that are not stored yet."""
        if not self._staged:
            return
        self._end_copy()
        cursor = self._cursor
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS reconcile_incoming "
            "(LIKE registry_retirement INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE reconcile_incoming")
        with cursor.copy(_COPY.format("reconcile_incoming")) as copy:
            copy.set_types(_COPY_TYPES)
            collections.deque(map(copy.write_row, self._staged), maxlen=0)
        cursor.execute(_MOVE_NEW)
        self.added += cursor.rowcount
        self._staged = []
