"""Migration 0002 on both databases: it creates what the models describe, and reverses."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import ledger.vault.tables  # noqa: F401  (the vault's models on the metadata)
from ledger.storage.migrate import alembic_config, upgrade

VAULT_TABLES = {"vault_record", "vault_field"}


def _tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _vault_diffs(engine) -> list:
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    return [d for d in diffs if "vault_" in repr(d)]


def test_models_match_the_migration(engine):
    assert _tables(engine) >= VAULT_TABLES
    assert _vault_diffs(engine) == []
    indexes = {i["name"] for i in inspect(engine).get_indexes("vault_field")}
    assert "ix_vault_field_lookup" in indexes


def test_downgrade_and_upgrade_again(engine):
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert not VAULT_TABLES & _tables(engine)
    assert len(_vault_diffs(engine)) >= 2  # control: the comparison does see the vault
    assert "log_entry" in _tables(engine)
    upgrade(engine, "0002")
    assert _tables(engine) >= VAULT_TABLES
    assert _vault_diffs(engine) == []
