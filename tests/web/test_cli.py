"""The account commands of ``carbon-ledger`` and ``init --demo``'s demo sign-ins."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from ledger.cli import main
from ledger.web import create_app
from tests.web.conftest import FAST_ARGON2, audit_entries, sign_in


def run(*args, input=None):
    result = CliRunner().invoke(main, list(args), input=input)
    return result


def fast_argon2(monkeypatch):
    for name, value in FAST_ARGON2.items():
        monkeypatch.setenv(f"LEDGER_{name.upper()}", str(value))


def test_init_demo_prints_one_working_sign_in_per_role(instance, db_url, monkeypatch):
    fast_argon2(monkeypatch)
    result = run("init", "--demo")
    assert result.exit_code == 0, result.output
    lines = re.findall(r"^demo sign-in: (\w+) +(\S+) / (\S+)$", result.output, re.M)
    assert [role for role, _, _ in lines] == ["village", "court", "bureau", "admin"]
    again = run("init", "--demo")  # idempotent: same lines, nothing duplicated
    assert again.exit_code == 0, again.output
    assert re.findall(r"^demo sign-in: (\w+) +(\S+) / (\S+)$", again.output, re.M) == lines

    app = create_app({"TESTING": True})
    homes = {
        "village": "/villages/350428102201",
        "court": "/courts/%E9%97%BD0428",
        "bureau": "/bureaus/350428",
        "admin": "/admin/users",
    }
    for role, username, password in lines:
        client = app.test_client()
        assert sign_in(client, username, password).status_code == 302, role
        assert client.get("/home").status_code == 200
        assert client.get(homes[role]).status_code == 200, role
    app.extensions["ledger.engine"].dispose()


def test_init_demo_makes_no_users_outside_development(instance, monkeypatch):
    monkeypatch.setenv("LEDGER_ENV", "production")
    result = run("init", "--demo")
    assert result.exit_code == 0, result.output
    assert "demo sign-in" not in result.output
    assert "demo users: not created" in result.output


def test_account_commands(instance, db_url, monkeypatch):
    fast_argon2(monkeypatch)
    assert run("init").exit_code == 0
    out = run("orgs", "create", "--kind", "village", "--code", "350428102201", "--name", "常口村")
    assert out.exit_code == 0, out.output
    out = run(
        "orgs", "create", "--kind", "court", "--code", "闽0428", "--name", "将乐县人民法院",
        "--division", "350428",
    )  # fmt: skip
    assert json.loads(out.output)["division"] == "350428"
    bad = run("orgs", "create", "--kind", "village", "--code", "123", "--name", "x")
    assert bad.exit_code == 2 and "12-digit" in bad.output

    out = run(
        "users", "create", "cunmin", "--role", "village", "--org", "350428102201",
        "--password-stdin", input="a good long password\n",
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["org"] == "350428102201"
    prompt = run("users", "create", "root", "--role", "admin", input="pw for the admin\n" * 2)
    assert prompt.exit_code == 0, prompt.output
    dup = run(
        "users",
        "create",
        "cunmin",
        "--role",
        "admin",
        "--password-stdin",
        input="a fine new password\n",
    )
    assert dup.exit_code == 2 and "taken" in dup.output
    missing = run("users", "disable", "nobody")
    assert missing.exit_code == 2 and "no user" in missing.output
    wrong_org = run(
        "users", "create", "x1", "--role", "village", "--org", "350428109999",
        "--password-stdin", input="a good long password\n",
    )  # fmt: skip
    assert wrong_org.exit_code == 2 and "no organisation" in wrong_org.output

    app = create_app({"TESTING": True})
    assert sign_in(app.test_client(), "cunmin", "a good long password").status_code == 302
    assert run("users", "disable", "cunmin").exit_code == 0
    assert sign_in(app.test_client(), "cunmin", "a good long password").status_code == 403
    assert run("users", "enable", "cunmin").exit_code == 0
    out = run("users", "set-password", "cunmin", "--password-stdin", input="another password!\n")
    assert out.exit_code == 0
    assert sign_in(app.test_client(), "cunmin", "another password!").status_code == 302
    out = run("users", "set-role", "cunmin", "--role", "court", "--org", "闽0428")
    assert json.loads(out.output)["role"] == "court"
    users = [json.loads(line) for line in run("users", "list").output.splitlines()]
    assert {u["username"] for u in users} == {"cunmin", "root"}

    out = run("tokens", "create", "--org", "350428102201", "--label", "village app")
    created = json.loads(out.output)
    assert created["token"].startswith("clt_")
    api = app.test_client()
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert api.get("/villages/350428102201", headers=headers).status_code == 200
    listed = run("tokens", "list").output
    assert created["token"] not in listed and created["token"][:8] in listed
    assert run("tokens", "revoke", str(created["id"])).exit_code == 0
    assert api.get("/villages/350428102201", headers=headers).status_code == 401
    assert run("tokens", "revoke", "999").exit_code == 2

    engine = app.extensions["ledger.engine"]
    kinds = [e.kind for e in audit_entries(engine)]
    for kind in ("audit.token_created", "audit.token_revoked", "audit.user_disabled",
                 "audit.role_changed", "audit.password_reset"):  # fmt: skip
        assert kind in kinds
    assert all(e.actor.startswith(("cli:", "user:", "anonymous")) for e in audit_entries(engine))
    engine.dispose()


def test_flask_cli_has_the_account_commands(app):
    runner = app.test_cli_runner()
    db = app.extensions["ledger.settings"].database_url
    result = runner.invoke(args=["users", "list", "--db", db])
    assert result.exit_code == 0, result.output
    assert "v1clerk" in result.output
