"""The ``carbon-ledger`` command line.

Every command takes ``--db URL`` (default: the instance SQLite database, or
``LEDGER_DATABASE_URL``). Refusals print ``error: <message>`` and exit 2; ``log verify`` exits 1
when it has findings.
"""

from __future__ import annotations

import functools
import getpass
import json
import os
import sys
from pathlib import Path

import click

from ledger.config import Settings, load_settings
from ledger.core.errors import LedgerError
from ledger.core.note import NoteError, Verifier
from ledger.services import anchors, checkpoints, keys, log, tree, verify
from ledger.services.keys import public_paths
from ledger.storage.db import make_engine, read_transaction
from ledger.storage.migrate import upgrade

GUNICORN_CONF = Path(__file__).resolve().parents[1] / "deploy" / "gunicorn.conf.py"


class Context:
    """Settings and a lazily created engine for one CLI invocation."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine

    def signer(self):
        return keys.load_signer(self.settings.key_path, self.settings.log_origin)

    def verifiers(self, verifier_key: str | None) -> list[Verifier]:
        if verifier_key:
            return [Verifier.from_verifier_key(verifier_key)]
        _, vkey = public_paths(self.settings.key_path)
        if vkey.exists():
            return [Verifier.from_verifier_key(vkey.read_text().strip())]
        return [self.signer().verifier()]


def command(group, *args, **kwargs):
    """A subcommand with ``--db`` and LedgerError → ``error: …`` (exit 2)."""

    def decorate(fn):
        @group.command(*args, **kwargs)
        @click.option("--db", "db_url", metavar="URL", help="SQLAlchemy database URL.")
        @click.pass_context
        @functools.wraps(fn)
        def wrapper(ctx, db_url, **params):
            settings = load_settings(database_url=db_url)
            ctx.obj = Context(settings)
            try:
                return ctx.invoke(fn, ctx.obj, **params)
            except (LedgerError, NoteError) as exc:
                message = getattr(exc, "message", str(exc))
                click.echo(f"error: {message}", err=True)
                sys.exit(2)

        return wrapper

    return decorate


def _default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _echo_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


@click.group()
@click.version_option(package_name="carbon-ledger")
def main() -> None:
    """carbon-ledger: tamper-evident books for forestry and judicial carbon."""


@command(main, "init")
@click.option("--demo", is_flag=True, help="Add a small demo log if the log is empty.")
def init_cmd(ctx: Context, demo: bool) -> None:
    """Migrate the database and create the signing key if missing."""
    upgrade(ctx.engine)
    signer, created = keys.create_signing_key(ctx.settings.key_path, ctx.settings.log_origin)
    click.echo(f"database: {ctx.engine.url.render_as_string(hide_password=True)}")
    click.echo(f"signing key: {ctx.settings.key_path} ({'created' if created else 'existing'})")
    click.echo(f"verifier key: {signer.verifier_key()}")
    if demo:
        from ledger.demo import seed_demo

        for line in seed_demo(ctx.engine, signer, ctx.settings.log_origin):
            click.echo(line)


@main.group("log")
def log_group() -> None:
    """Read, extend, prove and verify the log."""


@command(log_group, "anchor")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", default="", help="Title of the documents (no personal data).")
@click.option("--actor", default=_default_actor, show_default="cli:<user>")
@click.option("--idempotency-key", default=None)
def anchor_cmd(ctx: Context, files, title: str, actor: str, idempotency_key) -> None:
    """Append one doc.anchor entry per FILE, in one transaction."""
    for entry in anchors.anchor_files(
        ctx.engine, files, title=title, actor=actor, idempotency_key=idempotency_key
    ):
        _echo_json({"seq": entry.seq, "sha256": entry.body["sha256"], "size": entry.body["size"]})


@command(log_group, "entries")
@click.option("--start", default=0, type=click.IntRange(min=0))
@click.option("--end", default=None, type=click.IntRange(min=0), help="Exclusive; default: size.")
def entries_cmd(ctx: Context, start: int, end: int | None) -> None:
    """Print entries START <= seq < END as JSON lines (seq, kind, leaf, leaf_hash)."""
    with read_transaction(ctx.engine) as conn:
        size = log.read_head(conn).size
        end = size if end is None else min(end, size)
        for seq, kind, leaf, leaf_hash in log.iter_leaves(conn, "main", start, end):
            _echo_json(log.entry_json(seq, kind, leaf, leaf_hash))


@command(log_group, "checkpoint")
@click.option("--sign", is_flag=True, help="Sign a new checkpoint of the current head first.")
def checkpoint_cmd(ctx: Context, sign: bool) -> None:
    """Print the latest signed checkpoint."""
    if sign:
        signed = checkpoints.sign_checkpoint(ctx.engine, ctx.signer(), ctx.settings.log_origin)
    else:
        signed = checkpoints.latest_checkpoint(ctx.engine)
    click.echo(signed.note, nl=False)


@command(log_group, "prove-inclusion")
@click.argument("seq", type=int)
@click.option("--size", required=True, type=int, help="The tree size to prove against.")
def prove_inclusion_cmd(ctx: Context, seq: int, size: int) -> None:
    """JSON inclusion proof of entry SEQ in the tree of SIZE entries."""
    with read_transaction(ctx.engine) as conn:
        _echo_json(tree.inclusion_document(conn, "main", seq, size))


@command(log_group, "prove-consistency")
@click.argument("old", type=int)
@click.argument("new", type=int)
def prove_consistency_cmd(ctx: Context, old: int, new: int) -> None:
    """JSON consistency proof from tree size OLD to NEW."""
    with read_transaction(ctx.engine) as conn:
        _echo_json(tree.consistency_document(conn, "main", old, new))


@command(log_group, "verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A signed checkpoint kept elsewhere that the log must still contain.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable findings.")
@click.option("--verifier-key", default=None, help="Accept checkpoints signed by this key.")
@click.option("--log", "log_name", default="main", type=click.Choice(log.LOGS))
def verify_cmd(ctx: Context, checkpoint_file, as_json: bool, verifier_key, log_name) -> None:
    """Re-derive the log from its leaves; exit 1 if anything disagrees."""
    external = checkpoint_file.read_text(encoding="utf-8") if checkpoint_file else None
    findings = verify.verify_log(
        ctx.engine,
        ctx.verifiers(verifier_key),
        log=log_name,
        origin=ctx.settings.log_origin if log_name == "main" else None,
        external_checkpoint=external,
    )
    if as_json:
        _echo_json({"ok": not findings, "findings": [f.as_dict() for f in findings]})
    else:
        for finding in findings:
            click.echo(str(finding))
        click.echo("ok: the log verifies" if not findings else f"{len(findings)} finding(s)")
    if findings:
        sys.exit(1)


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


@main.group("keys")
def keys_group() -> None:
    """The checkpoint signing key."""


@command(keys_group, "show")
@click.option("--pem", is_flag=True, help="Print the public key as PEM instead.")
def keys_show_cmd(ctx: Context, pem: bool) -> None:
    """Print the verifier key (name+hex8+base64)."""
    verifier = ctx.signer().verifier()
    if pem:
        click.echo(verifier.pem().decode(), nl=False)
    else:
        click.echo(verifier.verifier_key())


if __name__ == "__main__":  # pragma: no cover
    main()
