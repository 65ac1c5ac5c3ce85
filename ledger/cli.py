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
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from ledger.accounts import services as accounts
from ledger.accounts.passwords import Hasher
from ledger.config import Settings, ensure_secret_file, load_settings
from ledger.core.errors import LedgerError, NotFoundError
from ledger.core.note import NoteError, Verifier
from ledger.services import anchors, checkpoints, keys, log, tree, verify
from ledger.services.keys import public_paths
from ledger.storage.db import make_engine, read_transaction, write_transaction
from ledger.storage.migrate import upgrade
from ledger.vault.crypto import ensure_vault_key, vault_key_path

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
            except (OperationalError, ProgrammingError) as exc:
                url = make_url(settings.database_url).render_as_string(hide_password=True)
                if _missing_table(exc):
                    message = f"the database {url} is not initialised; run `carbon-ledger init`"
                elif isinstance(exc, OperationalError):
                    message = f"cannot use the database {url}: {str(exc.orig).strip()}"
                else:
                    raise
                click.echo(f"error: {message}", err=True)
                sys.exit(2)
            finally:
                if ctx.obj._engine is not None:
                    ctx.obj._engine.dispose()

        return wrapper

    return decorate


def _missing_table(exc: DBAPIError) -> bool:
    """Whether a database error says a table does not exist (an uninitialised database)."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "42P01":  # PostgreSQL undefined_table
        return True
    return "no such table" in str(orig)


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
    """Migrate the database and create the signing, session and vault keys if missing."""
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
            hasher=_hasher(ctx.settings),
        )
        for line in lines:
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
    try:
        external = checkpoint_file.read_text(encoding="utf-8") if checkpoint_file else None
    except UnicodeDecodeError:
        raise click.BadParameter("not a UTF-8 text file", param_hint="--checkpoint") from None
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


# --- organisations, users, API tokens (ledger.accounts) -----------------------------------


def _hasher(settings: Settings):
    return Hasher(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )


def _read_password(from_stdin: bool) -> str:
    """A new password: the first line of stdin, or typed twice at a hidden prompt (never an
    argument: arguments show in the process list and the shell history)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _org_by_code(conn, code: str | None):
    if not code:
        return None
    org = accounts.find_org_by_code(conn, code)
    if org is None:
        raise NotFoundError("org.not_found", f"there is no organisation with code {code}")
    return org


def _user_by_name(conn, username: str):
    user = accounts.find_user(conn, username)
    if user is None:
        raise NotFoundError("user.not_found", f"there is no user {username!r}")
    return user


def _user_json(user) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "org": user.org.code if user.org else None,
        "disabled": user.disabled,
    }


@main.group("orgs")
def orgs_group() -> None:
    """Organisations: villages, courts and forestry bureaus."""


@command(orgs_group, "create")
@click.option("--kind", required=True, type=click.Choice(["village", "court", "bureau"]))
@click.option(
    "--code",
    required=True,
    help="12-digit village code, court code (闽0428), or 2/4/6-digit bureau division.",
)
@click.option("--name", required=True)
@click.option("--division", default=None, help="Courts: the division code of their county.")
@click.option("--actor", default=_default_actor, show_default="cli:<user>")
def orgs_create_cmd(ctx: Context, kind: str, code: str, name: str, division, actor: str) -> None:
    """Add an organisation."""
    with write_transaction(ctx.engine) as conn:
        org = accounts.create_org(conn, kind, code, name, division=division, actor=actor)
    _echo_json(_org_json(org))


@command(orgs_group, "list")
def orgs_list_cmd(ctx: Context) -> None:
    """Print the organisations as JSON lines."""
    with read_transaction(ctx.engine) as conn:
        for org in accounts.list_orgs(conn):
            _echo_json(_org_json(org))


def _org_json(org) -> dict:
    return {
        "id": org.id,
        "kind": org.kind,
        "code": org.code,
        "name": org.name,
        "level": org.level,
        "division": org.division,
    }


@main.group("users")
def users_group() -> None:
    """People who sign in to the web app."""


@command(users_group, "create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["village", "court", "bureau", "admin"]))
@click.option(
    "--org", "org_code", default=None, help="Code of the user's organisation (not for admins)."
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@click.option("--actor", default=_default_actor, show_default="cli:<user>")
def users_create_cmd(ctx: Context, username, role, org_code, password_stdin, actor) -> None:
    """Add a user (the password is prompted for, or read from stdin)."""
    password = _read_password(password_stdin)
    with write_transaction(ctx.engine) as conn:
        org = _org_by_code(conn, org_code)
        user = accounts.create_user(
            conn,
            _hasher(ctx.settings),
            username,
            password,
            role,
            org.id if org else None,
            actor=actor,
        )
    _echo_json(_user_json(user))


@command(users_group, "list")
def users_list_cmd(ctx: Context) -> None:
    """Print the users as JSON lines."""
    with read_transaction(ctx.engine) as conn:
        for user in accounts.list_users(conn):
            _echo_json(_user_json(user))


def _set_disabled(ctx: Context, username: str, disabled: bool, actor: str) -> None:
    with write_transaction(ctx.engine) as conn:
        user = accounts.set_disabled(conn, _user_by_name(conn, username).id, disabled, actor=actor)
    _echo_json(_user_json(user))


@command(users_group, "disable")
@click.argument("username")
@click.option("--actor", default=_default_actor, show_default="cli:<user>")
def users_disable_cmd(ctx: Context, username: str, actor: str) -> None:
    """Disable a user: sign-in is refused and their sessions end at once."""
    _set_disabled(ctx, username, True, actor)


@command(users_group, "enable")
@click.argument("username")
@click.option("--actor", default=_default_actor, show_default="cli:<user>")
def users_enable_cmd(ctx: Context, username: str, actor: str) -> None:
    """Enable a disabled user again."""
    _set_disabled(ctx, username, False, actor)


@command(users_group, "set-role")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["village", "court", "bureau", "admin"]))
@click.option(
    "--org", "org_code", default=None, help="Code of the user's organisation (not for admins)."
)
@click.option("--actor", default=_default_actor, show_default="cli:<user>")
def users_set_role_cmd(ctx: Context, username, role, org_code, actor) -> None:
    """Change a user's role and organisation (their sessions end)."""
    with write_transaction(ctx.engine) as conn:
        org = _org_by_code(conn, org_code)
        user = accounts.set_role(
            conn, _user_by_name(conn, username).id, role, org.id if org else None, actor=actor
        )
    _echo_json(_user_json(user))


@command(users_group, "set-password")
@click.argument("username")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@click.option("--actor", default=_default_actor, show_default="cli:<user>")
def users_set_password_cmd(ctx: Context, username, password_stdin, actor) -> None:
    """Set a user's password (their sessions end)."""
    password = _read_password(password_stdin)
    with write_transaction(ctx.engine) as conn:
        user = accounts.reset_password(
            conn, _hasher(ctx.settings), _user_by_name(conn, username).id, password, actor=actor
        )
    _echo_json(_user_json(user))


@main.group("tokens")
def tokens_group() -> None:
    """API bearer tokens, each scoped to one organisation."""


@command(tokens_group, "create")
@click.option(
    "--org", "org_code", required=True, help="Code of the organisation the token acts for."
)
@click.option("--label", required=True, help="What the token is for (no personal data).")
@click.option("--actor", default=_default_actor, show_default="cli:<user>")
def tokens_create_cmd(ctx: Context, org_code: str, label: str, actor: str) -> None:
    """Create a token and print it once (only its SHA-256 is stored)."""
    with write_transaction(ctx.engine) as conn:
        org = _org_by_code(conn, org_code)
        text, token = accounts.create_token(conn, org.id, label, created_by=None, actor=actor)
    _echo_json({"id": token.id, "org": org.code, "label": token.label, "token": text})


@command(tokens_group, "revoke")
@click.argument("token_id", type=int)
@click.option("--actor", default=_default_actor, show_default="cli:<user>")
def tokens_revoke_cmd(ctx: Context, token_id: int, actor: str) -> None:
    """Revoke a token: it stops working at once."""
    with write_transaction(ctx.engine) as conn:
        token = accounts.revoke_token(conn, token_id, actor=actor)
    _echo_json({"id": token.id, "revoked_at": token.revoked_at})


@command(tokens_group, "list")
def tokens_list_cmd(ctx: Context) -> None:
    """Print the tokens (never their secret part) as JSON lines."""
    with read_transaction(ctx.engine) as conn:
        for t in accounts.list_tokens(conn):
            _echo_json(
                {
                    "id": t.id,
                    "hint": t.hint,
                    "label": t.label,
                    "org": t.org.code,
                    "created_at": t.created_at,
                    "revoked_at": t.revoked_at,
                }
            )


if __name__ == "__main__":  # pragma: no cover
    main()
