"""Administration: users, organisations and API tokens (admins only, signed in, not tokens).

Every change goes through :mod:`ledger.accounts.services`, which records it in the audit log.
Create forms re-render with their errors (422); row actions redirect back with a message.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ledger.accounts import model, services
from ledger.core.errors import LedgerError, ValidationError
from ledger.storage.db import read_transaction, write_transaction
from ledger.web.forms import (
    OrgForm,
    ResetPasswordForm,
    RoleForm,
    TokenForm,
    UserForm,
    org_choices,
    org_id,
)
from ledger.webkit import authz
from ledger.webkit.ext import engine, hasher
from ledger.webkit.forms import error_message

bp = Blueprint("admin", __name__, url_prefix="/admin")
authz.protect(bp, {}, default=authz.ADMIN)


def _users_page(form: UserForm | None = None, status: int = 200):
    with read_transaction(engine()) as conn:
        users = services.list_users(conn)
        orgs = services.list_orgs(conn)
    form = form or UserForm()
    form.org.choices = org_choices(orgs, blank=_("— none (admins) —"))
    role_form = RoleForm()
    role_form.org.choices = form.org.choices
    return (
        render_template(
            "admin/users.html",
            users=users,
            form=form,
            role_form=role_form,
            reset_form=ResetPasswordForm(),
            min_length=model.MIN_PASSWORD_LEN,
        ),
        status,
    )


@bp.get("/users")
def users():
    return _users_page()


@bp.post("/users")
def create_user():
    form = UserForm()
    form.org.choices = []
    if not form.validate():
        return _users_page(form, 422)
    principal = authz.current_principal()
    try:
        with write_transaction(engine()) as conn:
            user = services.create_user(
                conn,
                hasher(),
                form.username.data,
                form.password.data,
                form.role.data,
                org_id(form.org.data),
                actor=principal.actor,
            )
    except LedgerError as exc:
        form.form_errors.append(error_message(exc))
        return _users_page(form, 422)
    flash(_("User %(name)s created.", name=user.username), "info")
    return redirect(url_for("admin.users"), 303)


def _user_action(user_id: int, change) -> object:
    principal = authz.current_principal()
    try:
        with write_transaction(engine()) as conn:
            change(conn, principal)
    except LedgerError as exc:
        flash(error_message(exc), "error")
    else:
        flash(_("Saved."), "info")
    return redirect(url_for("admin.users"), 303)


def _not_self(principal, user_id: int) -> None:
    if principal.id == user_id:
        raise ValidationError("user.self", "you cannot disable yourself or change your own role")


@bp.post("/users/<int:user_id>/role")
def set_role(user_id: int):
    form = RoleForm()
    form.org.choices = []

    def change(conn, principal):
        _not_self(principal, user_id)
        services.set_role(
            conn, user_id, form.role.data, org_id(form.org.data), actor=principal.actor
        )

    if not form.validate():
        flash(_("Choose a role."), "error")
        return redirect(url_for("admin.users"), 303)
    return _user_action(user_id, change)


@bp.post("/users/<int:user_id>/disable")
def disable_user(user_id: int):
    def change(conn, principal):
        _not_self(principal, user_id)
        services.set_disabled(conn, user_id, True, actor=principal.actor)

    return _user_action(user_id, change)


@bp.post("/users/<int:user_id>/enable")
def enable_user(user_id: int):
    def change(conn, principal):
        services.set_disabled(conn, user_id, False, actor=principal.actor)

    return _user_action(user_id, change)


PASSWORD_LENGTH_ERROR = ValidationError(
    "user.password_length",
    "the password has the wrong length",
    {"min": model.MIN_PASSWORD_LEN, "max": model.MAX_PASSWORD_LEN},
)


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int):
    form = ResetPasswordForm()
    if not form.validate():
        flash(error_message(PASSWORD_LENGTH_ERROR), "error")
        return redirect(url_for("admin.users"), 303)

    def change(conn, principal):
        services.reset_password(conn, hasher(), user_id, form.password.data, actor=principal.actor)

    return _user_action(user_id, change)


def _orgs_page(form: OrgForm | None = None, status: int = 200):
    with read_transaction(engine()) as conn:
        orgs = services.list_orgs(conn)
    return render_template("admin/orgs.html", orgs=orgs, form=form or OrgForm()), status


@bp.get("/orgs")
def orgs():
    return _orgs_page()


@bp.post("/orgs")
def create_org():
    form = OrgForm()
    if not form.validate():
        return _orgs_page(form, 422)
    try:
        with write_transaction(engine()) as conn:
            org = services.create_org(
                conn,
                form.kind.data,
                form.code.data,
                form.name.data,
                division=form.division.data or None,
                actor=authz.current_principal().actor,
            )
    except LedgerError as exc:
        form.form_errors.append(error_message(exc))
        return _orgs_page(form, 422)
    flash(_("Organisation %(name)s created.", name=org.name), "info")
    return redirect(url_for("admin.orgs"), 303)


def _tokens_page(form: TokenForm | None = None, status: int = 200, new_token: str | None = None):
    with read_transaction(engine()) as conn:
        tokens = services.list_tokens(conn)
        orgs = services.list_orgs(conn)
    form = form or TokenForm()
    form.org.choices = org_choices(orgs)
    headers = {"Cache-Control": "no-store"}
    page = render_template("admin/tokens.html", tokens=tokens, form=form, new_token=new_token)
    return page, status, headers


@bp.get("/tokens")
def tokens():
    return _tokens_page()


@bp.post("/tokens")
def create_token():
    form = TokenForm()
    form.org.choices = []
    if not form.validate():
        return _tokens_page(form, 422)
    principal = authz.current_principal()
    chosen = org_id(form.org.data)
    try:
        if chosen is None:
            raise ValidationError("token.org", "choose an organisation")
        with write_transaction(engine()) as conn:
            text, _token = services.create_token(
                conn, chosen, form.label.data, created_by=principal.id, actor=principal.actor
            )
    except LedgerError as exc:
        form.form_errors.append(error_message(exc))
        return _tokens_page(form, 422)
    return _tokens_page(None, 201, new_token=text)


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    try:
        with write_transaction(engine()) as conn:
            services.revoke_token(conn, token_id, actor=authz.current_principal().actor)
    except LedgerError as exc:
        flash(error_message(exc), "error")
    else:
        flash(_("Token revoked."), "info")
    return redirect(url_for("admin.tokens"), 303)
