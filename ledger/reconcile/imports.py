"""Importing a registry export: every retirement row stored once, the file anchored in the log.

:func:`import_file` guarantees:

- **streams**: the file is read twice, its rows a block at a time on one thread (a large
  file's in a child process, :mod:`ledger.reconcile.worker`) and its SHA-256 on another, and
  each block of rows is written on a third while the next is read
  (:mod:`ledger.reconcile.storing`): a 1,000,000-row export is never in memory; a file
  imported before is known by its digest, and its reading stops there;
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

import contextlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from ledger.core.entry import EntryDraft
from ledger.core.errors import ValidationError
from ledger.platform.memory import without_gc
from ledger.reconcile import worker
from ledger.reconcile.formats import Columns, Layout, read_blocks
from ledger.reconcile.model import IssuanceRow, RowError
from ledger.reconcile.storing import store
from ledger.reconcile.tables import ReconcileImport, RegistryRetirementRow
from ledger.services.anchors import file_digest
from ledger.services.log import append
from ledger.storage.db import read_transaction, write_transaction

IMPORT_KIND = "reconcile.import"
RETIREMENT = RegistryRetirementRow.__table__
IMPORT = ReconcileImport.__table__
#: The most bad rows a refusal lists (it counts them all).
MAX_REPORTED = 1000


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


def _blocks(fh: IO[bytes], path: Path, layout: Layout) -> Iterator[tuple[Columns, list]]:
    """:func:`~ledger.reconcile.formats.read_blocks` of the file: a large one read by a
    child process (:mod:`ledger.reconcile.worker`), so the reading and the writing run on
    two processors."""
    size = os.fstat(fh.fileno()).st_size
    if size >= worker.MIN_BYTES and worker.can_read(layout):
        return worker.read_blocks_beside(path, layout)
    return read_blocks(fh, layout)


def _rows(
    blocks: Iterator[tuple[Columns, list]],
    digest: _Digest,
    counts: dict[str, int],
    errors: list[RowError],
) -> Iterator[Columns]:
    """The retirements of ``blocks`` (what :func:`_blocks` gives), a block at a time, column
    by column (counting issuance rows and collecting bad rows as it goes; after the first bad
    row nothing more is yielded). It stops with :class:`_ImportedBefore` as soon as the digest
    shows the file was imported before, and at the latest at its end."""
    for columns, others in blocks:
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
    path = Path(path)
    try:
        with path.open("rb") as fh, ThreadPoolExecutor(1, "reconcile-digest") as pool:
            digest = _Digest(pool, engine, registry, path)
            try:
                with contextlib.closing(_blocks(fh, path, layout)) as blocks:
                    result = _import(engine, blocks, layout, digest, actor, source)
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
    engine: Engine,
    blocks: Iterator[tuple[Columns, list]],
    layout: Layout,
    digest: _Digest,
    actor: str,
    source: str,
) -> ImportResult:
    counts = {"rows": 0, "issuance": 0, "errors": 0}
    errors: list[RowError] = []
    with write_transaction(engine) as conn:
        _lock_registry(conn, layout.registry)
        import_id = _next_import_id(conn)
        with without_gc():
            rows = _rows(blocks, digest, counts, errors)
            added = store(conn, rows, layout.registry, import_id)
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
