"""Migration ``reconcile_0002`` on both databases, with rows already stored: they are kept,
a row is still stored once, the table stays append-only, and the migration reverses."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from ledger.reconcile.formats import LAYOUTS
from ledger.reconcile.imports import RETIREMENT, import_file
from ledger.storage.db import read_transaction
from ledger.storage.migrate import alembic_config, upgrade

VERRA = Path(__file__).with_name("data") / "verra_current.csv"
EXTRA = (
    "20/05/2022,,Emission Reduction,01/01/2020,31/12/2020,01/01/2020,31/12/2020,1529,P,"
    'Asia,China,AFOLU,AR-ACM0003,"50,000",9,'
    "9002-200000502-200000510-VCS-VCU-263-VER-CN-14-1529-01012020-31122020-0,,False,"
    "17/01/2024,某公司,,,Retirement,H-5\r\n"
)


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
    import_file(engine, VERRA, LAYOUTS["verra"], actor="test")
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
