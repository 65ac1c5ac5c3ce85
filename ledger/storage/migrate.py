"""Run the Alembic migrations programmatically (no alembic.ini needed).

The log module's base revisions live in ``migrations/versions``; every other module's in its
own folder (:attr:`ledger.platform.Module.migrations`), as its own branch labelled with the
module's name and depending on the base. :func:`upgrade` brings every branch to its head.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from ledger.platform import registry

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    folders = [str(folder) for folder in registry().migration_folders()]
    cfg.set_main_option("version_locations", os.pathsep.join(folders))
    cfg.set_main_option("path_separator", "os")
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database behind ``engine`` to ``revision`` (idempotent)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
