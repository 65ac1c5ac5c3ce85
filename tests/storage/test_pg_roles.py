"""deploy/postgres-roles.sql on a real PostgreSQL server: applied with psql to a database it
creates, migrations run as the owner role, and the application role can append but cannot
change history, even once the append-only triggers are gone. Role names are unique per test, so
reruns and parallel runs do not collide; the roles are dropped afterwards."""

from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from ledger.platform import registry
from ledger.services.checkpoints import sign_checkpoint
from ledger.services.keys import create_signing_key
from ledger.services.log import append_batch
from ledger.services.verify import verify_log
from ledger.storage.db import make_engine
from ledger.storage.migrate import upgrade
from ledger.storage.tables import APPEND_ONLY_TABLES as LOG_TABLES
from tests.conftest import PG_ADMIN_URL, REPO, PostgresServer
from tests.storage.writer import SELF_UPDATE, anchor, note, table_state, transfer

SCRIPT = REPO / "deploy" / "postgres-roles.sql"
PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
APPEND_ONLY = {"SELECT", "INSERT"}
#: Every append-only table: the log's and the modules'.
APPEND_ONLY_TABLES = registry().append_only_tables()
PROJECTION = {"SELECT", "INSERT", "UPDATE"}
MUTABLE = {"SELECT", "INSERT", "UPDATE", "DELETE"}


@dataclass
class Setup:
    db: str
    owner: str
    app: str
    server: PostgresServer

    def url(self, role: str | None = None) -> str:
        """The database's URL, as the test superuser or as ``role``."""
        url = make_url(self.server.url(self.db))
        if role:
            url = url.set(username=role, password=None)
        return url.render_as_string(hide_password=False)


def _psql(*variables: str) -> subprocess.CompletedProcess:
    admin = make_url(PG_ADMIN_URL)
    env = {**os.environ}
    if admin.password:
        env["PGPASSWORD"] = str(admin.password)
    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"]
    for name, value in (("host", admin.host), ("port", admin.port), ("username", admin.username)):
        if value:
            command.append(f"--{name}={value}")
    command += ["-d", admin.database or "postgres", "-f", str(SCRIPT)]
    for variable in variables:
        command += ["-v", variable]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def _apply(setup: Setup) -> None:
    done = _psql(f"dbname={setup.db}", f"owner={setup.owner}", f"app={setup.app}")
    assert done.returncode == 0, done.stderr


@pytest.fixture
def setup(pg_server):
    uid = uuid.uuid4().hex[:10]
    setup = Setup(f"cl_roles_{uid}", f"cl_owner_{uid}", f"cl_app_{uid}", pg_server)
    yield setup
    pg_server.drop(setup.db)
    with pg_server.admin.connect() as conn:
        for role in (setup.app, setup.owner):
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))


@pytest.fixture
def engines(setup):
    """Superuser, owner and app engines on the database, set up and migrated as the owner."""
    _apply(setup)
    made = {
        who: make_engine(setup.url(role))
        for who, role in (("admin", None), ("owner", setup.owner), ("app", setup.app))
    }
    upgrade(made["owner"])
    yield made
    for engine in made.values():
        engine.dispose()


def _privileges(admin, role: str) -> dict[str, set[str]]:
    """Table privileges of ``role`` on every table in the public schema."""
    with admin.connect() as conn:
        tables = (
            conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            .scalars()
            .all()
        )
        return {
            table: {
                p
                for p in PRIVILEGES
                if conn.execute(
                    text("SELECT has_table_privilege(:role, :table, :p)"),
                    {"role": role, "table": f"public.{table}", "p": p},
                ).scalar_one()
            }
            for table in tables
        }


def _expected(table: str) -> set[str]:
    if table in APPEND_ONLY_TABLES:
        return APPEND_ONLY
    if table in ("log_head", "account_balance"):
        return PROJECTION
    if table == "alembic_version":
        return {"SELECT"}
    return MUTABLE  # e.g. the vault's tables


def _denied(engine, sql: str) -> str:
    with pytest.raises(ProgrammingError) as caught, engine.begin() as conn:
        conn.execute(text(sql))
    assert caught.value.orig.sqlstate == "42501", caught.value  # insufficient_privilege
    return str(caught.value.orig)


def test_app_role_appends_but_cannot_change_history(setup, engines, tmp_path):
    admin, owner, app = engines["admin"], engines["owner"], engines["app"]
    with owner.connect() as conn:
        owners = set(
            conn.execute(
                text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
        )
    assert owners == {setup.owner}

    # The app does its job: append (postings, an anchor, an idempotency key), sign, verify.
    entries = append_batch(app, [transfer(0, fen=100, kg=3), anchor(1)], idempotency_key="k")
    assert (
        append_batch(app, [transfer(0, fen=100, kg=3), anchor(1)], idempotency_key="k") == entries
    )
    append_batch(app, [note(2)])
    signer, _ = create_signing_key(tmp_path / "log.pem", "test/log")
    sign_checkpoint(app, signer, "test/log")
    assert verify_log(app, [signer.verifier()]) == []

    privileges = _privileges(admin, setup.app)
    assert set(APPEND_ONLY_TABLES) | {"log_head", "account_balance"} <= set(privileges)
    assert privileges == {table: _expected(table) for table in privileges}

    # Take the triggers away (as the owner may): the app is still refused, by privileges.
    with owner.begin() as conn:
        conn.execute(text("DROP FUNCTION ledger_reject_change() CASCADE"))
    before = table_state(app)
    for table in LOG_TABLES:
        for sql in (
            f"UPDATE {table} SET {SELF_UPDATE[table]}",  # noqa: S608 (our own names)
            f"DELETE FROM {table}",  # noqa: S608
            f"TRUNCATE {table} CASCADE",
        ):
            assert f"permission denied for table {table}" in _denied(app, sql)
    _denied(app, "DELETE FROM log_head")
    _denied(app, "DELETE FROM account_balance")
    _denied(app, "UPDATE alembic_version SET version_num = version_num")
    # nor can it get at the triggers or the schema
    _denied(app, "ALTER TABLE log_entry DISABLE TRIGGER ALL")
    _denied(app, "CREATE TABLE public.scratch (id int)")
    assert table_state(app) == before


def test_later_tables_get_the_right_privileges_and_reruns_change_nothing(setup, engines):
    admin, owner = engines["admin"], engines["owner"]
    with owner.begin() as conn:  # what later migrations would do
        conn.execute(text("CREATE TABLE later_mutable (id int PRIMARY KEY)"))
        conn.execute(text("CREATE TABLE later_log (id int PRIMARY KEY)"))
        conn.execute(
            text(
                "CREATE TRIGGER later_log_no_change BEFORE UPDATE OR DELETE ON later_log "
                "FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()"
            )
        )
    privileges = _privileges(admin, setup.app)
    assert privileges["later_mutable"] == MUTABLE
    assert privileges["later_log"] == APPEND_ONLY

    _apply(setup)  # again, after the migrations: idempotent
    again = _privileges(admin, setup.app)
    assert again == privileges
    assert {t: p for t, p in again.items() if not t.startswith("later_")} == {
        t: _expected(t) for t in again if not t.startswith("later_")
    }


def test_script_requires_a_database_name_and_defaults_the_role_names(pg_server):
    done = _psql()
    assert done.returncode != 0
    assert "psql -v dbname=NAME" in done.stderr
    script = SCRIPT.read_text()
    assert "\\set owner carbon_ledger_owner\n" in script
    assert "\\set app carbon_ledger_app\n" in script
