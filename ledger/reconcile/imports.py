"""Importing a registry export: every retirement row stored once, the file anchored in the log.

:func:`import_file` guarantees:

- **streams**: the file is read twice, its rows a block at a time on one thread and its
  SHA-256 on another, and rows are written in chunks: a 1,000,000-row export is never in
  memory; a file imported before is known by its digest, and its reading stops there;
- **all or nothing**: rows, the import record and the ``reconcile.import`` entry that anchors
  the file's digest are written in one transaction; a file with any bad row writes nothing and
  is refused with every bad row and its line (:class:`~ledger.core.errors.ValidationError`
  ``reconcile.rows``, ``details["errors"]``);
- **idempotent**: a row is stored once per registry (by its serial range and the digest of the
  row as written; the text gives the range), so a newer export that repeats older rows adds
  only the new ones (``already_imported`` counts the others); the same file twice adds nothing
  and appends no second entry.
"""

from __future__ import annotations

import functools
import itertools
import operator
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import IO, Any

from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from ledger.core.entry import EntryDraft
from ledger.core.errors import ValidationError
from ledger.platform.memory import without_gc
from ledger.reconcile.formats import Columns, Layout, read_blocks
from ledger.reconcile.model import IssuanceRow, RowError
from ledger.reconcile.tables import ReconcileImport, RegistryRetirementRow
from ledger.services.anchors import file_digest
from ledger.services.log import append
from ledger.storage.db import read_transaction, sqlite_page_cache, write_transaction

IMPORT_KIND = "reconcile.import"
RETIREMENT = RegistryRetirementRow.__table__
IMPORT = ReconcileImport.__table__
#: Rows written at a time (a multiple of :data:`SQLITE_ROWS`). On PostgreSQL each chunk costs a
#: probe, a COPY and the writer taking the interpreter back from the reader several times, so
#: fewer, larger chunks leave the reader more of it (a million rows: 0.25 → 0.27–0.29 of the
#: csv module's speed from 6,000 to 24,000 rows a chunk); SQLite did not mind.
CHUNK = 24_000
#: SQLite's page cache while an import writes (KiB): the unique index takes rows in the order
#: of their serials, which an export need not follow, and a cache that holds the index saves
#: rereading its pages.
SQLITE_CACHE_KIB = 256 * 1024
#: SQLite: the most rows one INSERT statement writes (the driver lets go of the interpreter
#: once per statement; the writer then waits for the reader to let go of it in turn).
SQLITE_ROWS = 2000
#: The most bad rows a refusal lists (it counts them all).
MAX_REPORTED = 1000

_COLUMNS = (
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


_DIGEST = _COLUMNS.index("row_sha256")

#: PostgreSQL: the types of :data:`_COLUMNS`, for COPY in the binary format (no digest in hex,
#: no number in decimal).
_COPY_TYPES = (
    *("text", "text", "int8", "int8", "int8"),
    *("text", "text", "text", "text", "text", "text", "text"),
    *("bytea", "int8", "int8"),
)
#: PostgreSQL: the rows of a chunk COPY-ed aside that are not stored yet (constant names only).
_MOVE_NEW = (
    f"INSERT INTO registry_retirement ({', '.join(_COLUMNS)}) "  # noqa: S608
    f"SELECT {', '.join(_COLUMNS)} FROM reconcile_incoming ON CONFLICT DO NOTHING"
)


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the file (``registry``, ``file_sha256``, ``size``), the entry that
    anchors it (``seq``; for a file imported before, that first entry), the retirement rows
    it added, the issuance rows it skipped, the rows already stored, and the findings the
    matching that followed recorded, by class."""

    registry: str
    file_sha256: str
    size: int
    seq: int
    retirements: int
    issuance_rows_skipped: int
    already_imported: int
    findings: dict[str, int] = field(default_factory=dict)
    repeated: bool = False

    def as_json(self) -> dict[str, Any]:
        """The command line's ``--json`` answer."""
        return {
            "retirements": self.retirements,
            "issuance_rows_skipped": self.issuance_rows_skipped,
            "already_imported": self.already_imported,
            "findings": dict(self.findings),
        }


def validate_import(body: dict, where: str) -> list[ValidationError]:
    """A ``reconcile.import`` body: ``registry``, ``format``, ``source``, ``file_sha256``,
    ``size``, ``retirements``, ``issuance_rows_skipped``, ``already_imported``."""
    errors = []
    expected = {
        "registry",
        "format",
        "source",
        "file_sha256",
        "size",
        "retirements",
        "issuance_rows_skipped",
        "already_imported",
    }
    if set(body) != expected:
        return [ValidationError("reconcile.import", f"{where}: fields must be {sorted(expected)}")]
    sha = body["file_sha256"]
    if not (isinstance(sha, str) and len(sha) == 64 and set(sha) <= set("0123456789abcdef")):
        errors.append(ValidationError("reconcile.import", f"{where}: file_sha256: 64 hex digits"))
    for key in ("size", "retirements", "issuance_rows_skipped", "already_imported"):
        if type(body[key]) is not int or body[key] < 0:
            errors.append(ValidationError("reconcile.import", f"{where}: {key}: an integer >= 0"))
    for key in ("registry", "format", "source"):
        if not isinstance(body[key], str) or len(body[key]) > 48:
            errors.append(ValidationError("reconcile.import", f"{where}: {key}: short text"))
    return errors


def earlier_import(conn: Connection, registry: str, sha256: str) -> Any:
    return conn.execute(
        select(IMPORT).where(IMPORT.c.registry == registry, IMPORT.c.file_sha256 == sha256)
    ).one_or_none()


def _repeat(row: Any) -> ImportResult:
    return ImportResult(
        row.registry,
        row.file_sha256,
        row.size,
        row.seq,
        0,
        row.issuance_rows_skipped,
        row.retirements + row.already_imported,
        repeated=True,
    )


class _ImportedBefore(Exception):
    """The file being imported was imported before: its ``reconcile_import`` row."""

    def __init__(self, row: Any):
        super().__init__(row.file_sha256)
        self.row = row


class _Digest:
    """A file's SHA-256 and size, taken on a second thread while its rows are read (reading a
    file and hashing let go of the interpreter, so this costs the reading nothing), and the
    refusal of a file imported before as soon as the digest is known."""

    def __init__(self, pool: ThreadPoolExecutor, engine: Engine, registry: str, path: Path):
        self._future = pool.submit(file_digest, path)
        self._engine = engine
        self._registry = registry
        self._checked = False

    def result(self) -> tuple[str, int]:
        """(hex SHA-256, size), once taken."""
        return self._future.result()

    def check(self, wait: bool = False) -> None:
        """Raise :class:`_ImportedBefore` if the file was imported before, once its digest is
        known (at once, or with ``wait`` after waiting for it); after that, do nothing. The
        earlier import is looked up on a connection of its own, which sees what is committed."""
        if self._checked or not (wait or self._future.done()):
            return
        self._checked = True
        with read_transaction(self._engine) as conn:
            earlier = earlier_import(conn, self._registry, self.result()[0])
        if earlier is not None:
            raise _ImportedBefore(earlier)


def _rows(
    fh: IO[bytes],
    layout: Layout,
    digest: _Digest,
    counts: dict[str, int],
    errors: list[RowError],
) -> Iterator[Columns]:
    """The file's retirements, a block at a time, column by column (counting issuance rows
    and collecting bad rows as it goes; after the first bad row nothing more is yielded). It
    stops with :class:`_ImportedBefore` as soon as the digest shows the file was imported
    before, and at the latest at its end."""
    for columns, others in read_blocks(fh, layout):
        for other in others:
            if type(other) is IssuanceRow:
                counts["issuance"] += 1
            else:
                counts["errors"] += 1
                if len(errors) < MAX_REPORTED:
                    errors.append(other)
        if errors or not columns[0]:
            continue
        digest.check()
        counts["rows"] += len(columns[0])
        yield columns
    digest.check(wait=True)


def _store(conn: Connection, blocks: Iterator[Columns], registry: str, import_id: int) -> int:
    """Insert the blocks' rows (a row already stored is left alone); returns how many were
    new. The file is read in this thread while another writes what was read before (the
    database driver lets go of the interpreter while the database works), so reading and
    writing overlap; the connection is used by that writer alone until it is done. Few rows
    wait between the two: rows read long before are no longer in the processor's caches."""
    if conn.dialect.name == "postgresql":
        batches, write = _copy_chunks(blocks, import_id), functools.partial(_copy_chunk, conn)
    else:
        batches, write = _sqlite_batches(conn, blocks), _sqlite_writer(conn, registry, import_id)
    queue: Queue[Any] = Queue(maxsize=2)
    outcome: dict[str, Any] = {"added": 0}

    def writer() -> None:
        try:
            while (batch := queue.get()) is not None:
                outcome["added"] += write(batch)
        except BaseException as exc:  # handed to the reading thread below
            outcome["error"] = exc
            while queue.get() is not None:
                pass

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


#: SQLite: the columns bound as parameters (the registry and the import's number, the same in
#: every row of an import, are written into the statement).
_BOUND = len(_COLUMNS) - 2


def _sqlite_batches(conn: Connection, blocks: Iterator[Columns]) -> Iterator[tuple[str, list]]:
    """SQLite: the blocks' rows as the parameters of INSERT statements of many rows each (all
    of :data:`SQLITE_ROWS` rows but the last), each row's values one after another, each
    digest as a ``bytearray``: the driver binds that type directly, while ``bytes`` it first
    looks up among its adapters, which costs as much as binding the rest of the row."""
    limit = conn.connection.dbapi_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    size = min(SQLITE_ROWS, limit // _BOUND) * _BOUND
    pending: list = []
    for columns in blocks:
        flat = [None] * (len(columns[0]) * _BOUND)
        for i, column in enumerate(columns[1:]):
            flat[i::_BOUND] = column
        flat[_DIGEST - 1 :: _BOUND] = map(bytearray, columns[_DIGEST])
        pending += flat
        while len(pending) >= size:
            yield pending[:size]
            del pending[:size]
    if pending:
        yield pending


def _sqlite_writer(conn: Connection, registry: str, import_id: int) -> Callable[[list], int]:
    """SQLite: writes a batch of :func:`_sqlite_batches` (rows of ``registry`` stored by the
    import ``import_id``); returns how many of its rows were new."""
    cursor = conn.connection.dbapi_connection.cursor()

    def write(params: list) -> int:
        cursor.execute(_sqlite_insert(len(params) // _BOUND, registry, import_id), params)
        return cursor.rowcount

    return write


def _copy_chunks(blocks: Iterator[Columns], import_id: int) -> Iterator[list[tuple]]:
    """PostgreSQL: the blocks' rows of the import ``import_id`` as rows to COPY, in chunks of
    at least :data:`CHUNK` rows (the last may hold fewer)."""
    chunk: list[tuple] = []
    for columns in blocks:
        chunk += zip(*columns, itertools.repeat(import_id))
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@functools.lru_cache(maxsize=16)
def _sqlite_insert(rows: int, registry: str, import_id: int) -> str:
    """SQLite: the insert of ``rows`` rows at once (a row already stored is left alone), with
    the registry and the import's number written in."""
    one = f"({_literal(registry)}, {', '.join('?' * (len(_COLUMNS) - 2))}, {int(import_id)})"
    return (
        f"INSERT OR IGNORE INTO registry_retirement ({', '.join(_COLUMNS)}) "  # noqa: S608
        f"VALUES {', '.join([one] * rows)}"
    )


def _literal(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _copy_chunk(conn: Connection, chunk: list[tuple]) -> int:
    """PostgreSQL: COPY the chunk straight into the table when none of its rows can be stored
    already: no two of them alike, and no stored row of the registry between its first and its
    last serial range (one probe of the unique index; an export's chunks mostly hold serials
    not seen before). Otherwise COPY it into a temporary table and insert from there what is
    new. Imports of one registry take turns (:func:`_lock_registry`), so nothing is stored in
    between by another; no savepoint is needed, and none is taken (a transaction of more
    than 64 would overflow the server's cache of subtransactions)."""
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        if _all_new(cursor, chunk):
            _copy(cursor, "registry_retirement", chunk)
            return len(chunk)
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS reconcile_incoming "
            "(LIKE registry_retirement INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE reconcile_incoming")
        _copy(cursor, "reconcile_incoming", chunk)
        cursor.execute(_MOVE_NEW)
        return cursor.rowcount
    finally:
        cursor.close()


#: PostgreSQL: the most blocks of serials a chunk may span to be probed (else it is taken as
#: possibly stored).
_MAX_PROBED_BLOCKS = 32
#: PostgreSQL: whether a registry has a stored row in a block with a first serial between two.
#: Read in the unique index's order, so the planner walks the index: during an import the
#: table's statistics are stale, and through ``EXISTS`` it would scan the table, expecting a
#: row soon.
_STORED_BETWEEN = (
    "(SELECT 1 FROM registry_retirement "
    "WHERE (registry, block, serial_start) BETWEEN (%s, %s, %s) AND (%s, %s, %s) "
    "ORDER BY registry, block, serial_start LIMIT 1) IS NOT NULL"
)
_BLOCK = operator.itemgetter(1)
_START = operator.itemgetter(2)


def _all_new(cursor: Any, chunk: list[tuple]) -> bool:
    """PostgreSQL: whether no row of ``chunk`` (rows of one registry) appears twice in it or
    is stored already: no digest twice (a row's text gives its place in the unique index), and
    for each block of serials it spans, no stored row from its first serial to its last (one
    probe of the index each)."""
    if len(set(map(operator.itemgetter(_DIGEST), chunk))) < len(chunk):
        return False
    blocks = set(map(_BLOCK, chunk))
    if len(blocks) > _MAX_PROBED_BLOCKS:
        return False
    spans: dict[str, tuple[int, int]] = {}
    if len(blocks) == 1:  # an export's usual chunk: its first and last serial found in C
        starts = list(map(_START, chunk))
        spans[blocks.pop()] = (min(starts), max(starts))
    else:
        for block, start in zip(map(_BLOCK, chunk), map(_START, chunk), strict=True):
            low, high = spans.get(block, (start, start))
            spans[block] = (min(low, start), max(high, start))
    registry = chunk[0][0]
    params = [
        value
        for block, (low, high) in spans.items()
        for value in (registry, block, low, registry, block, high)
    ]
    cursor.execute("SELECT " + " OR ".join([_STORED_BETWEEN] * len(spans)), params)
    return not cursor.fetchone()[0]


def _lock_registry(conn: Connection, registry: str) -> None:
    """PostgreSQL: wait for any other import of ``registry`` to end, and keep the others
    waiting until this transaction ends (SQLite's writers take turns anyway)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"reconcile:{registry}"))))


def _next_import_id(conn: Connection) -> int:
    """The number the import being written will have: its rows name it before its
    ``reconcile_import`` row (which needs their counts) is written, in the same transaction.
    PostgreSQL takes it from the table's sequence; on SQLite, whose writers take turns, it is
    the next after the largest."""
    if conn.dialect.name == "postgresql":
        return conn.execute(
            select(func.nextval(func.pg_get_serial_sequence("reconcile_import", "id")))
        ).scalar_one()
    return conn.execute(select(func.coalesce(func.max(IMPORT.c.id), 0) + 1)).scalar_one()


def _copy(cursor: Any, table: str, chunk: list[tuple]) -> None:
    """PostgreSQL: the chunk's rows into ``table``, by COPY in the binary format."""
    with cursor.copy(f"COPY {table} ({', '.join(_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(_COPY_TYPES)
        for row in chunk:
            copy.write_row(row)


def import_file(
    engine: Engine,
    path: Path,
    layout: Layout,
    *,
    actor: str,
    source: str = "",
    match: Callable[[Engine, str], dict[str, int]] | None = None,
) -> ImportResult:
    """Import the registry export at ``path`` read with ``layout`` (see the module text),
    then run ``match(engine, registry)`` (the matching that records findings)."""
    registry = layout.registry
    try:
        with Path(path).open("rb") as fh, ThreadPoolExecutor(1, "reconcile-digest") as pool:
            digest = _Digest(pool, engine, registry, path)
            try:
                result = _import(engine, fh, layout, digest, actor, source)
            except _ImportedBefore as before:
                return _repeat(before.row)
            except IntegrityError:  # the same file, imported by another process just now
                with read_transaction(engine) as conn:
                    earlier = earlier_import(conn, registry, digest.result()[0])
                if earlier is None:
                    raise
                return _repeat(earlier)
    except OSError as exc:  # opening or reading the file (the database's errors are not these)
        raise ValidationError("reconcile.file", f"cannot read {path}: {exc.strerror}") from None
    if match is not None:
        return ImportResult(**{**result.__dict__, "findings": match(engine, registry)})
    return result


def _import(
    engine: Engine, fh: IO[bytes], layout: Layout, digest: _Digest, actor: str, source: str
) -> ImportResult:
    counts = {"rows": 0, "issuance": 0, "errors": 0}
    errors: list[RowError] = []
    with write_transaction(engine) as conn:
        _lock_registry(conn, layout.registry)
        import_id = _next_import_id(conn)
        with without_gc():
            blocks = _rows(fh, layout, digest, counts, errors)
            added = _store(conn, blocks, layout.registry, import_id)
        sha256, size = digest.result()
        if errors:
            raise ValidationError(
                "reconcile.rows",
                f"{counts['errors']:,} rows of the file cannot be read; nothing was imported",
                {"errors": [e.as_dict() for e in errors], "count": counts["errors"]},
            )
        body = {
            "registry": layout.registry,
            "format": layout.key,
            "source": source,
            "file_sha256": sha256,
            "size": size,
            "retirements": added,
            "issuance_rows_skipped": counts["issuance"],
            "already_imported": counts["rows"] - added,
        }
        (entry,) = append(conn, [EntryDraft(IMPORT_KIND, body, actor)])
        conn.execute(
            insert(IMPORT).values(
                id=import_id,
                registry=layout.registry,
                file_sha256=sha256,
                size=size,
                seq=entry.seq,
                source=source,
                format=layout.key,
                retirements=added,
                issuance_rows_skipped=counts["issuance"],
                already_imported=counts["rows"] - added,
                imported_at=entry.time,
                actor=actor,
            )
        )
    return ImportResult(
        layout.registry,
        sha256,
        size,
        entry.seq,
        added,
        counts["issuance"],
        counts["rows"] - added,
    )


def imports(engine: Engine, limit: int = 50) -> list[Any]:
    """The latest imports, newest first."""
    with read_transaction(engine) as conn:
        return conn.execute(select(IMPORT).order_by(IMPORT.c.id.desc()).limit(limit)).all()
