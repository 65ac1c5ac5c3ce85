"""Sign-in, sign-out and password change; Flask-Login wiring.

Sessions are Flask's signed cookies (HttpOnly, SameSite=Lax, Secure outside development).
The session stores ``"<user id>:<session version>"``; every request reloads the user and
drops the session when the user is disabled or the version moved on (sign-out, password
change, role change, disabling). Remember-me uses the same id, so it ends the same way.
"""

from __future__ import annotations

import math
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, login_user, logout_user

from ledger.accounts import model, services
from ledger.accounts.model import User, user_principal
from ledger.accounts.throttle import Throttled
from ledger.core.errors import LedgerError
from ledger.storage.db import read_transaction, write_transaction
from ledger.web.forms import PasswordForm, SigninForm
from ledger.webkit import authz
from ledger.webkit.ext import engine, hasher, settings
from ledger.webkit.forms import error_message

bp = Blueprint("auth", __name__)
authz.protect(
    bp,
    {
        "signin": authz.PUBLIC,
        "signout": authz.PUBLIC,
        "password": authz.USER,
    },
)


class WebUser(UserMixin):
    """A signed-in user as Flask-Login sees it."""

    def __init__(self, user: User):
        self.user = user
        self.principal = user_principal(user)

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_version}"

    @property
    def is_active(self) -> bool:
        return not self.user.disabled


def load_session_user(session_id: str) -> WebUser | None:
    """Flask-Login's user loader: the user of a session, if it is still valid."""
    user_id, _, version = str(session_id).partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(session_id) > 40:
        return None
    with read_transaction(engine()) as conn:
        user = services.session_user(conn, int(user_id), int(version))
    return None if user is None else WebUser(user)


def init_login(app: Flask) -> LoginManager:
    manager = LoginManager(app)
    manager.session_protection = "basic"
    manager.user_loader(load_session_user)
    manager.login_view = "auth.signin"
    manager.login_message = None
    return manager


def client_address() -> str:
    """The client's address (after ProxyFix when ``LEDGER_PROXY_COUNT`` is set)."""
    return request.remote_addr or "unknown"


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (no scheme, no host), else None."""
    if not target or len(target) > 1000 or "\\" in target or not target.isprintable():
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def start_session(user: User, remember: bool = False) -> None:
    session.clear()  # a fresh session at every sign-in: no fixation
    login_user(
        WebUser(user),
        remember=remember,
        duration=timedelta(days=settings().remember_days),
        fresh=True,
    )


def throttled_message(retry_after: int) -> str:
    """What a throttled person reads: how long to wait, in seconds or whole minutes."""
    if retry_after < 60:
        return _(
            "Too many failed attempts. Wait %(seconds)d seconds and try again.",
            seconds=retry_after,
        )
    return _(
        "Too many failed sign-ins. Wait %(minutes)d minutes and try again.",
        minutes=math.ceil(retry_after / 60),
    )


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    principal = authz.current_principal()
    if principal.kind == "user":
        return redirect(url_for("home.home"))
    form = SigninForm()
    error, status, headers = None, 200, {}
    if form.validate_on_submit():
        result = services.authenticate(
            engine(),
            hasher(),
            form.username.data,
            form.password.data,
            client_address(),
            retention_days=settings().address_retention_days,
        )
        if result.ok:
            start_session(result.user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("home.home"))
        if result.reason == "throttled":
            error = throttled_message(result.retry_after)
            status, headers = 429, {"Retry-After": str(result.retry_after)}
        elif result.reason == "disabled":
            error, status = _("This account is disabled. Ask your administrator."), 403
        else:
            error, status = _("Wrong username or password."), 401
    elif request.method == "POST":
        error, status = _("Enter your username and password."), 400
    form.password.data = None
    return render_template("auth/signin.html", form=form, error=error), status, headers


@bp.post("/signout")
def signout():
    principal = authz.current_principal()
    if principal.kind == "user":
        with write_transaction(engine()) as conn:
            services.sign_out(conn, principal.id, actor=principal.actor)
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("home.index"), 303)


@bp.route("/account/password", methods=["GET", "POST"])
def password():
    """Change one's own password. The current password is checked like a sign-in: throttled
    (429 with ``Retry-After``) and audited."""
    principal = authz.current_principal()
    form = PasswordForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            user = services.change_password(
                engine(),
                hasher(),
                principal.id,
                form.current.data,
                form.new.data,
                client_address(),
                actor=principal.actor,
                retention_days=settings().address_retention_days,
            )
        except Throttled as exc:
            form.form_errors.append(throttled_message(exc.retry_after))
            status, headers = 429, {"Retry-After": str(exc.retry_after)}
        except LedgerError as exc:
            form.form_errors.append(error_message(exc))
            status = 422
        else:
            start_session(user)  # this session carries on; every other one ends
            flash(_("Your password has been changed."), "info")
            return redirect(url_for("home.home"), 303)
    elif request.method == "POST":
        status = 422
    page = render_template("auth/password.html", form=form, min_length=model.MIN_PASSWORD_LEN)
    return page, status, headers
