"""The ``orgs``, ``users`` and ``tokens`` commands (the accounts module)."""

from __future__ import annotations

import sys

import click

from ledger.accounts import services as accounts
from ledger.clikit import Context, command, default_actor, echo_json, hasher
from ledger.core.errors import NotFoundError
from ledger.storage.db import read_transaction, write_transaction


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


@click.group("orgs")
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
@click.option("--actor", default=default_actor, show_default="cli:<user>")
def orgs_create_cmd(ctx: Context, kind: str, code: str, name: str, division, actor: str) -> None:
    """Add an organisation."""
    with write_transaction(ctx.engine) as conn:
        org = accounts.create_org(conn, kind, code, name, division=division, actor=actor)
    echo_json(_org_json(org))


@command(orgs_group, "list")
def orgs_list_cmd(ctx: Context) -> None:
    """Print the organisations as JSON lines."""
    with read_transaction(ctx.engine) as conn:
        for org in accounts.list_orgs(conn):
            echo_json(_org_json(org))


def _org_json(org) -> dict:
    return {
        "id": org.id,
        "kind": org.kind,
        "code": org.code,
        "name": org.name,
        "level": org.level,
        "division": org.division,
    }


@click.group("users")
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
@click.option("--actor", default=default_actor, show_default="cli:<user>")
def users_create_cmd(ctx: Context, username, role, org_code, password_stdin, actor) -> None:
    """Add a user (the password is prompted for, or read from stdin)."""
    password = _read_password(password_stdin)
    with write_transaction(ctx.engine) as conn:
        org = _org_by_code(conn, org_code)
        user = accounts.create_user(
            conn,
            hasher(ctx.settings),
            username,
            password,
            role,
            org.id if org else None,
            actor=actor,
        )
    echo_json(_user_json(user))


@command(users_group, "list")
def users_list_cmd(ctx: Context) -> None:
    """Print the users as JSON lines."""
    with read_transaction(ctx.engine) as conn:
        for user in accounts.list_users(conn):
            echo_json(_user_json(user))


def _set_disabled(ctx: Context, username: str, disabled: bool, actor: str) -> None:
    with write_transaction(ctx.engine) as conn:
        user = accounts.set_disabled(conn, _user_by_name(conn, username).id, disabled, actor=actor)
    echo_json(_user_json(user))


@command(users_group, "disable")
@click.argument("username")
@click.option("--actor", default=default_actor, show_default="cli:<user>")
def users_disable_cmd(ctx: Context, username: str, actor: str) -> None:
    """Disable a user: sign-in is refused and their sessions end at once."""
    _set_disabled(ctx, username, True, actor)


@command(users_group, "enable")
@click.argument("username")
@click.option("--actor", default=default_actor, show_default="cli:<user>")
def users_enable_cmd(ctx: Context, username: str, actor: str) -> None:
    """Enable a disabled user again."""
    _set_disabled(ctx, username, False, actor)


@command(users_group, "set-role")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["village", "court", "bureau", "admin"]))
@click.option(
    "--org", "org_code", default=None, help="Code of the user's organisation (not for admins)."
)
@click.option("--actor", default=default_actor, show_default="cli:<user>")
def users_set_role_cmd(ctx: Context, username, role, org_code, actor) -> None:
    """Change a user's role and organisation (their sessions end)."""
    with write_transaction(ctx.engine) as conn:
        org = _org_by_code(conn, org_code)
        user = accounts.set_role(
            conn, _user_by_name(conn, username).id, role, org.id if org else None, actor=actor
        )
    echo_json(_user_json(user))


@command(users_group, "set-password")
@click.argument("username")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@click.option("--actor", default=default_actor, show_default="cli:<user>")
def users_set_password_cmd(ctx: Context, username, password_stdin, actor) -> None:
    """Set a user's password (their sessions end)."""
    password = _read_password(password_stdin)
    with write_transaction(ctx.engine) as conn:
        user = accounts.reset_password(
            conn, hasher(ctx.settings), _user_by_name(conn, username).id, password, actor=actor
        )
    echo_json(_user_json(user))


@click.group("tokens")
def tokens_group() -> None:
    """API bearer tokens, each scoped to one organisation."""


@command(tokens_group, "create")
@click.option(
    "--org", "org_code", required=True, help="Code of the organisation the token acts for."
)
@click.option("--label", required=True, help="What the token is for (no personal data).")
@click.option("--actor", default=default_actor, show_default="cli:<user>")
def tokens_create_cmd(ctx: Context, org_code: str, label: str, actor: str) -> None:
    """Create a token and print it once (only its SHA-256 is stored)."""
    with write_transaction(ctx.engine) as conn:
        org = _org_by_code(conn, org_code)
        text, token = accounts.create_token(conn, org.id, label, created_by=None, actor=actor)
    echo_json({"id": token.id, "org": org.code, "label": token.label, "token": text})


@command(tokens_group, "revoke")
@click.argument("token_id", type=int)
@click.option("--actor", default=default_actor, show_default="cli:<user>")
def tokens_revoke_cmd(ctx: Context, token_id: int, actor: str) -> None:
    """Revoke a token: it stops working at once."""
    with write_transaction(ctx.engine) as conn:
        token = accounts.revoke_token(conn, token_id, actor=actor)
    echo_json({"id": token.id, "revoked_at": token.revoked_at})


@command(tokens_group, "list")
def tokens_list_cmd(ctx: Context) -> None:
    """Print the tokens (never their secret part) as JSON lines."""
    with read_transaction(ctx.engine) as conn:
        for t in accounts.list_tokens(conn):
            echo_json(
                {
                    "id": t.id,
                    "hint": t.hint,
                    "label": t.label,
                    "org": t.org.code,
                    "created_at": t.created_at,
                    "revoked_at": t.revoked_at,
                }
            )
