"""Database engines with the ledger's transaction discipline.

SQLite runs in WAL mode with ``synchronous=FULL`` and foreign keys on. Transactions opened with
:func:`write_transaction` start with ``BEGIN IMMEDIATE`` on SQLite, so concurrent writers queue
for the database lock before they read the log head. On PostgreSQL the append path locks the
log's head row (``SELECT … FOR UPDATE``), which serialises writers of one log.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import Connection, Engine, bindparam, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.sql.elements import ColumnElement

SQLITE_BUSY_TIMEOUT_S = 60
_WRITE = "ledger_write"
#: ``conn.info`` key: the logs whose head the current write transaction has locked, each
#: with its head as this transaction last left it (``ledger.services.log.Head``).
LOCKED = "ledger_locked_logs"


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine for ``url`` with the ledger's pragmas and begin behaviour."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised everywhere
        # Take transaction control away from pysqlite so BEGIN is ours (SQLAlchemy recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection):
        immediate = conn.get_execution_options().get(_WRITE)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction: committed on success, rolled back on any exception.

    On SQLite it begins IMMEDIATE (the writer holds the lock from the first statement).
    """
    with engine.connect() as conn:
        conn = conn.execution_options(**{_WRITE: True})
        with conn.begin():
            conn.info[LOCKED] = {}
            try:
                yield conn
            finally:
                conn.info.pop(LOCKED, None)


def among(column: ColumnElement, values: Sequence) -> ColumnElement:
    """``column IN (…)`` with ``values`` written into the statement as literals.

    For a long list looked up in chunks (the orders of an import already in the log). With
    bound parameters, PostgreSQL's driver prepares a statement it has run five times and the
    server may then keep a generic plan, which tests every row against the list one value at
    a time (a re-imported file of 100,000 orders took minutes); with literals each chunk is
    planned with its values, as a hash look-up or through the index."""
    return column.in_(
        bindparam(f"among_{column.key}", list(values), expanding=True, literal_execute=True)
    )


@contextmanager
def sqlite_page_cache(conn: Connection, kib: int) -> Iterator[None]:
    """On SQLite, a page cache of ``kib`` KiB for the connection while the block runs (a bulk
    write that fills indexes in no particular order keeps their pages in memory instead of
    writing them out and reading them back before the commit), its own size again afterwards.
    Elsewhere, nothing."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


#: SQLite's page cache (KiB) for a write of many entries: this much per entry (an entry and
#: its rows grow the database by 1.5–3 KiB), at most :data:`MAX_CACHE_KIB`; below
#: :data:`DEFAULT_CACHE_KIB`, SQLite's own size, nothing changes.
CACHE_KIB_PER_ENTRY = 3
MAX_CACHE_KIB = 512_000
DEFAULT_CACHE_KIB = 2_000


def sqlite_cache_for_entries(conn: Connection, entries: int) -> AbstractContextManager[None]:
    """:func:`sqlite_page_cache` sized for a write transaction of ``entries`` entries (a large
    import, a large village's finalisation): their projections fill indexes (vault codes,
    parties, registers) in no particular order, and with SQLite's default 2 MB those pages are
    written out and read back many times before the commit."""
    kib = min(MAX_CACHE_KIB, entries * CACHE_KIB_PER_ENTRY)
    return sqlite_page_cache(conn, kib) if kib > DEFAULT_CACHE_KIB else nullcontext()


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A read-only snapshot (deferred BEGIN on SQLite, READ COMMITTED on PostgreSQL)."""
    with engine.connect() as conn, conn.begin():
        yield conn
