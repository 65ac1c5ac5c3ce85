"""Alembic migrations on an empty SQLite file and an empty PostgreSQL database: ``upgrade
heads`` (the base revisions and every module's branch) gives exactly the schema the models
describe, ``downgrade base`` removes everything (triggers too) and upgrading again works, and
upgrading an up-to-date database changes nothing."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from ledger.platform import registry
from ledger.services.log import append_batch
from ledger.services.verify import verify_log
from ledger.storage.db import make_engine
from ledger.storage.migrate import alembic_config, upgrade
from tests.conftest import REPO
from tests.storage.writer import LEDGER_TABLES, note, table_state, transfer

#: Two per append-only table (the log's and the modules'): UPDATE and DELETE on SQLite;
#: UPDATE-or-DELETE and TRUNCATE on PostgreSQL.
TRIGGERS = 2 * len(registry().append_only_tables())

# `alembic check` in a fresh interpreter: the metadata it compares against is exactly what the
# migration environment (env.py) imports, not whatever other tests happened to import here.
CHECK = (
    "import sys\n"
    "from alembic import command\n"
    "from ledger.storage.migrate import alembic_config\n"
    "command.check(alembic_config(sys.argv[1]))\n"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    """URL of a database with nothing in it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server = request.getfixturevalue("pg_server")
    name = f"cl_mig_{uuid.uuid4().hex[:12]}"
    with server.admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.url(name)
    server.drop(name)


@pytest.fixture
def empty(empty_url):
    engine = make_engine(empty_url)
    yield empty_url, engine
    engine.dispose()


def _revisions(engine) -> tuple[str, ...]:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_heads()


def _at_heads(engine) -> bool:
    """Whether the database is at the head of the log's base revisions and of every module's
    branch (nothing is left to upgrade)."""
    current = _revisions(engine)
    script = ScriptDirectory.from_config(alembic_config())
    return bool(current) and not list(script.iterate_revisions("heads", current))


def _triggers(engine) -> int:
    sql = {
        "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'",
        "postgresql": "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal",
    }[engine.dialect.name]
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


def test_upgrade_from_empty_matches_the_models(empty):
    url, engine = empty
    assert inspect(engine).get_table_names() == []
    command.upgrade(alembic_config(url), "heads")

    assert _at_heads(engine)
    assert set(LEDGER_TABLES) <= set(inspect(engine).get_table_names())
    assert _triggers(engine) == TRIGGERS
    with engine.connect() as conn:
        heads = conn.execute(text("SELECT log, size FROM log_head ORDER BY log")).all()
    assert [tuple(h) for h in heads] == [("audit", 0), ("main", 0)]

    check = subprocess.run(
        [sys.executable, "-c", CHECK, url],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, f"schema drift after upgrade heads:\n{check.stderr[-3000:]}"


def test_downgrade_to_base_then_upgrade_again(empty):
    url, engine = empty
    cfg = alembic_config(url)
    command.upgrade(cfg, "heads")
    append_batch(engine, [transfer(0, fen=5)])

    command.downgrade(cfg, "base")
    assert _revisions(engine) == ()
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert _triggers(engine) == 0
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            functions = conn.execute(
                text("SELECT count(*) FROM pg_proc WHERE proname = 'ledger_reject_change'")
            ).scalar_one()
        assert functions == 0

    command.upgrade(cfg, "heads")
    assert _at_heads(engine)
    assert _triggers(engine) == TRIGGERS
    entries = append_batch(engine, [note(0), transfer(1, fen=5)])
    assert [e.seq for e in entries] == [0, 1]
    assert verify_log(engine, []) == []


def test_upgrade_is_idempotent(empty):
    url, engine = empty
    upgrade(engine)  # the path `carbon-ledger init` takes
    append_batch(engine, [transfer(0, fen=5, kg=1), note(1)], idempotency_key="k")
    before = table_state(engine)
    tables = sorted(inspect(engine).get_table_names())

    upgrade(engine)
    command.upgrade(alembic_config(url), "heads")

    assert _at_heads(engine)
    assert table_state(engine) == before
    assert sorted(inspect(engine).get_table_names()) == tables
    assert _triggers(engine) == TRIGGERS
