"""Shared fixtures: real databases (SQLite files and PostgreSQL databases), migrated once per
worker into a template and copied for every test.

Tests that take ``engine`` or ``db_url`` run on both databases. The PostgreSQL lane needs a
server at ``LEDGER_TEST_PG`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``);
when it is unreachable the lane is skipped locally and fails under ``CI=true``.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ledger.storage.db import make_engine
from ledger.storage.migrate import upgrade

# The suite's own entry kinds (tests.support.module), here and in every process a test starts
# (which find the ``tests`` package through PYTHONPATH, whatever their working directory).
os.environ["LEDGER_EXTRA_MODULES"] = "tests.support.module:MODULE"
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")) if p
)

PG_ADMIN_URL = os.environ.get(
    "LEDGER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REPO = Path(__file__).resolve().parents[1]
_counter = itertools.count()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw") + f"_{os.getpid()}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "ledger.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


class PostgresServer:
    """Creates throw-away databases from a migrated template on the test server."""

    def __init__(self, admin_url: str):
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.base = make_url(admin_url)
        self.template = f"cl_tmpl_{_worker()}"
        self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{self.template}"')
        engine = make_engine(self.url(self.template))
        upgrade(engine)
        engine.dispose()

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def url(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def create(self) -> str:
        name = f"cl_t_{_worker()}_{next(_counter)}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def drop(self, name: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self.drop(self.template)
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_server():
    try:
        server = PostgresServer(PG_ADMIN_URL)
    except Exception as exc:  # the server is down or refuses us
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL lane is required under CI but unavailable: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
    yield server
    server.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """URL of a fresh, migrated database; every test using it runs on both databases."""
    if request.param == "sqlite":
        path = tmp_path / "ledger.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = server.create()
    yield server.url(name)
    server.drop(name)


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def instance(tmp_path, db_url, monkeypatch) -> Path:
    """An instance directory with a signing key, pointing at the test database."""
    from ledger.services.keys import create_signing_key

    path = tmp_path / "instance"
    path.mkdir()
    monkeypatch.setenv("LEDGER_INSTANCE_PATH", str(path))
    monkeypatch.setenv("LEDGER_DATABASE_URL", db_url)
    monkeypatch.setenv("LEDGER_LOG_ORIGIN", "test.carbon-ledger.localhost/log")
    create_signing_key(path / "keys" / "checkpoint-ed25519.pem", "test.carbon-ledger.localhost/log")
    return path
