"""Migrations ``reconcile_0002`` and ``reconcile_0003`` on both databases, with rows already
stored: they are kept, a row is still stored once and names the import that stored it, the
table stays append-only, and the migrations reverse."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError

from ledger.reconcile import storing
from ledger.reconcile.formats import LAYOUTS, read_tuples
from ledger.reconcile.imports import IMPORT, RETIREMENT, import_file
from ledger.services.anchors import file_digest
from ledger.storage.db import read_transaction
from ledger.storage.migrate import alembic_config, upgrade

VERRA = Path(__file__).with_name("data") / "verra_current.csv"
EXTRA = (
    "20/05/2022,,Emission Reduction,01/01/2020,31/12/2020,01/01/2020,31/12/2020,1529,P,"
    'Asia,China,AFOLU,AR-ACM0003,"50,000",9,'
    "9002-200000502-200000510-VCS-VCU-263-VER-CN-14-1529-01012020-31122020-0,,False,"
    "17/01/2024,某公司,,,Retirement,H-5\r\n"
)


def _import_before_0003(engine, path: Path) -> str:
    """The rows of the Verra export at ``path`` and its import record, written as the code
    before ``reconcile_0003`` wrote them (each row with its file's digest); the digest."""
    sha, size = file_digest(path)
    with path.open("rb") as fh:
        rows = [(*row, sha) for row in read_tuples(fh, LAYOUTS["verra"]) if type(row) is tuple]
    columns = [*storing.COLUMNS[:-1], "file_sha256"]
    with engine.begin() as conn:
        conn.execute(
            insert(IMPORT).values(
                registry="verra", file_sha256=sha, size=size, seq=0, source="", format="verra",
                retirements=len(rows), issuance_rows_skipped=0, already_imported=0,
                imported_at="2024-01-01T00:00:00Z", actor="test",
            )
        )  # fmt: skip
        conn.execute(
            text(
                f"INSERT INTO registry_retirement ({', '.join(columns)}) "  # noqa: S608
                f"VALUES ({', '.join(':' + c for c in columns)})"
            ),
            [dict(zip(columns, row, strict=True)) for row in rows],
        )
    return sha


def _migrate(engine, revision: str, down: bool = False) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def _indexes(engine) -> set[str]:
    return {i["name"] for i in inspect(engine).get_indexes("registry_retirement")}


def _rows(engine) -> list[tuple]:
    with read_transaction(engine) as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(RETIREMENT.c.serial_start, RETIREMENT.c.line).order_by(RETIREMENT.c.id)
            )
        ]


def test_rows_stored_before_are_kept_and_still_stored_once(engine, tmp_path):
    _migrate(engine, "reconcile_0001", down=True)
    assert "uq_registry_retirement_range_row" not in _indexes(engine)
    _import_before_0003(engine, VERRA)
    before = _rows(engine)
    assert len(before) == 3

    upgrade(engine)
    assert "uq_registry_retirement_range_row" in _indexes(engine)
    assert "ix_registry_retirement_range" not in _indexes(engine)
    assert _rows(engine) == before
    newer = tmp_path / "newer.csv"
    newer.write_bytes(VERRA.read_bytes() + EXTRA.encode())
    result = import_file(engine, newer, LAYOUTS["verra"], actor="test")
    assert (result.retirements, result.already_imported) == (1, 3)
    with engine.connect() as conn, pytest.raises(DBAPIError):
        conn.execute(text("UPDATE registry_retirement SET line = 0"))

    _migrate(engine, "reconcile_0001", down=True)
    assert "ix_registry_retirement_range" in _indexes(engine)
    assert len(_rows(engine)) == 4
    with engine.connect() as conn, pytest.raises(DBAPIError):
        conn.execute(text("DELETE FROM registry_retirement"))
    upgrade(engine)
    with read_transaction(engine) as conn:
        assert conn.execute(select(func.count()).select_from(RETIREMENT)).scalar_one() == 4


def _files(engine) -> list[str]:
    """Each stored row's file digest, through the import it names."""
    with read_transaction(engine) as conn:
        return list(
            conn.execute(
                select(IMPORT.c.file_sha256)
                .join(RETIREMENT, RETIREMENT.c.import_id == IMPORT.c.id)
                .order_by(RETIREMENT.c.id)
            ).scalars()
        )


def _columns(engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("registry_retirement")}


def test_rows_stored_with_the_file_digest_name_their_import_after_0003(engine, tmp_path):
    _migrate(engine, "reconcile_0002", down=True)
    assert "file_sha256" in _columns(engine) and "import_id" not in _columns(engine)
    first = _import_before_0003(engine, VERRA)
    later = tmp_path / "later.csv"
    later.write_bytes(VERRA.read_bytes().splitlines(keepends=True)[0] + EXTRA.encode())
    second = _import_before_0003(engine, later)
    with read_transaction(engine) as conn:
        before = [
            tuple(r)
            for r in conn.execute(
                text("SELECT serial_start, line, file_sha256 FROM registry_retirement ORDER BY id")
            )
        ]
    assert [r[2] for r in before] == [first] * 3 + [second]

    upgrade(engine)
    assert "file_sha256" not in _columns(engine) and "import_id" in _columns(engine)
    assert _files(engine) == [r[2] for r in before]
    assert _rows(engine) == [r[:2] for r in before]
    with engine.connect() as conn, pytest.raises(DBAPIError):
        conn.execute(text("UPDATE registry_retirement SET import_id = 0"))

    _migrate(engine, "reconcile_0002", down=True)
    with read_transaction(engine) as conn:
        after = [
            tuple(r)
            for r in conn.execute(
                text("SELECT serial_start, line, file_sha256 FROM registry_retirement ORDER BY id")
            )
        ]
    assert after == before
    with engine.connect() as conn, pytest.raises(DBAPIError):
        conn.execute(text("DELETE FROM registry_retirement"))
    upgrade(engine)
    assert _files(engine) == [r[2] for r in before]
