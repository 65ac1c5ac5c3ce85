"""The ``carbon-ledger`` command line: ``init``, ``serve``, ``modules``, and the command groups
every module of the composition root contributes (:attr:`ledger.platform.Module.cli`).

Every command takes ``--db URL`` (default: the instance SQLite database, or
``LEDGER_DATABASE_URL``). Refusals print ``error: <message>`` and exit 2; ``log verify`` exits 1
when it has findings.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from ledger.clikit import Context, command, hasher
from ledger.config import ensure_instance_dir, ensure_secret_file
from ledger.platform import registry
from ledger.platform.registry import describe, resolve
from ledger.services import keys
from ledger.storage.migrate import upgrade
from ledger.vault.crypto import ensure_vault_key, vault_key_path

GUNICORN_CONF = Path(__file__).resolve().parents[1] / "deploy" / "gunicorn.conf.py"


@click.group()
@click.version_option(package_name="carbon-ledger")
def main() -> None:
    """carbon-ledger: tamper-evident books for forestry and judicial carbon."""


@command(main, "init")
@click.option("--demo", is_flag=True, help="Add a small demo log if the log is empty.")
def init_cmd(ctx: Context, demo: bool) -> None:
    """Migrate the database and create the signing, session and vault keys if missing."""
    ensure_instance_dir(ctx.settings)
    upgrade(ctx.engine)
    signer, created = keys.create_signing_key(ctx.settings.key_path, ctx.settings.log_origin)
    click.echo(f"database: {ctx.engine.url.render_as_string(hide_password=True)}")
    click.echo(f"signing key: {ctx.settings.key_path} ({'created' if created else 'existing'})")
    click.echo(f"verifier key: {signer.verifier_key()}")
    if not ctx.settings.secret_key:
        made = ensure_secret_file(ctx.settings)
        click.echo(f"secret key: {ctx.settings.secret_path} ({'created' if made else 'existing'})")
    made = ensure_vault_key(ctx.settings)
    source = (
        "LEDGER_VAULT_KEY" if os.environ.get("LEDGER_VAULT_KEY") else vault_key_path(ctx.settings)
    )
    click.echo(f"vault key: {source} ({'created' if made else 'existing'})")
    if demo:
        from ledger.demo import seed_demo

        lines = seed_demo(
            ctx.engine,
            signer,
            ctx.settings.log_origin,
            env=ctx.settings.env,
            hasher=hasher(ctx.settings),
            settings=ctx.settings,
        )
        for line in lines:
            click.echo(line)


@command(main, "serve")
@click.option("--host", default=None, help="Bind address (default 127.0.0.1, or LEDGER_BIND).")
@click.option("--port", default=None, type=int, help="Port (default 8000).")
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn.")
def serve_cmd(ctx: Context, host: str | None, port: int | None, dev: bool) -> None:
    """Serve the web app: gunicorn with deploy/gunicorn.conf.py, or --dev for Flask's server."""
    if dev:
        from ledger.web import create_app

        app = create_app({"database_url": ctx.settings.database_url})
        host, port = host or "127.0.0.1", port or 8000
        click.echo(f"serving on http://{host}:{port}/")
        app.run(host=host, port=port, debug=False, use_reloader=False)
        return
    conf = os.environ.get("LEDGER_GUNICORN_CONF") or str(GUNICORN_CONF)
    argv = [sys.executable, "-m", "gunicorn", "--config", conf]
    if host or port:
        argv += ["--bind", f"{host or '127.0.0.1'}:{port or 8000}"]
    os.environ["LEDGER_DATABASE_URL"] = ctx.settings.database_url
    os.execv(sys.executable, argv)  # noqa: S606  (replaces this process: signals reach gunicorn)


@main.command("modules")
def modules_cmd() -> None:
    """Print the modules of the composition root and what each contributes (JSON)."""
    click.echo(json.dumps(describe(registry()), ensure_ascii=False, indent=2))


def add_module_commands(group: click.Group) -> None:
    """Add every module's command groups to ``group``. Two modules' groups of one name are
    merged: the commands of the group with no help text (a module adding to another's group,
    as units adds ``receipt oneyuan``) join the one with help text."""
    for _module, path in registry().paths("cli"):
        command = resolve(path)
        existing = group.commands.get(command.name)
        if isinstance(existing, click.Group) and isinstance(command, click.Group):
            owner, guest = (existing, command) if existing.help else (command, existing)
            for sub in guest.commands.values():
                owner.add_command(sub)
            command = owner
        group.add_command(command)


add_module_commands(main)

if __name__ == "__main__":  # pragma: no cover
    main()
