"""Authorisation: who is asking (the *principal*) and whether they may (one rule table per
blueprint, enforced by one ``before_request`` hook per blueprint).

The principal API (for every blueprint, including the JSON API)::

    from ledger.webkit import authz

    p = authz.current_principal()
    p.kind    # "user" (signed-in session), "token" (API bearer token) or "anonymous"
    p.role    # "village" | "court" | "bureau" | "admin" | "anonymous"
    p.org     # ledger.accounts.model.Org (id, kind, code, name, level, division) or None
    p.actor   # "user:42" / "token:7": the ``actor`` of log entries this request appends
    p.id, p.name

How a request is authenticated:

- with an ``Authorization: Bearer clt_…`` header: the API token (looked up by its SHA-256);
  cookies are then ignored, and CSRF checks do not apply (a browser cannot send that header
  cross-site). A malformed, unknown or revoked token is refused with 401 on every endpoint.
  Any other ``Authorization`` scheme is refused with 401.
- otherwise with the Flask-Login session or remember-me cookie (see :mod:`ledger.web.auth`).
- otherwise anonymous.

Protecting a blueprint (every endpoint must have a rule, or the app refuses to start)::

    bp = Blueprint("api", __name__, url_prefix="/api")
    authz.protect(bp, {
        "village_summary": authz.org_scoped("village"),   # /villages/<code>: can_read()
        "whoami": authz.SIGNED_IN,
        "status": authz.PUBLIC,
    })

    @bp.get("/villages/<code>/summary")
    def village_summary(code):
        org = authz.current_org()        # loaded and checked by the hook (404 / 403 before)

Refusals: not signed in → 401 (JSON under ``/api/`` and ``/log/``; a redirect to the sign-in
page otherwise); signed in but not allowed → 403; an organisation in the URL that does not
exist → 404. The decisions themselves are pure functions in :mod:`ledger.accounts.scopes`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, g, request
from flask_login import current_user
from werkzeug.exceptions import Forbidden as WerkzeugForbidden
from werkzeug.exceptions import HTTPException, NotFound

from ledger.accounts import audit, model, scopes, services
from ledger.accounts.model import ANONYMOUS_PRINCIPAL, Org, Principal
from ledger.storage.db import read_transaction, write_transaction
from ledger.webkit.ext import engine

log = logging.getLogger(__name__)


class AuthError(HTTPException):
    """A refusal by authentication or authorisation, with a machine-readable code."""

    def __init__(self, error_code: str, message: str):
        super().__init__(description=message)
        self.error_code = error_code


class Unauthenticated(AuthError):
    code = 401


class Forbidden(AuthError):
    code = 403


# --- the principal ------------------------------------------------------------------------


def bearer_token() -> str | None:
    """The bearer token of the request, if it carries ``Authorization: Bearer …``."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _load_principal() -> Principal:
    header = request.headers.get("Authorization")
    if header is not None:
        token = bearer_token()
        if token is None:
            raise Unauthenticated(
                "auth.scheme", "use 'Authorization: Bearer <token>' with an API token"
            )
        with read_transaction(engine()) as conn:
            principal = services.principal_for_token(conn, token)
        if principal is None:
            raise Unauthenticated("auth.token_invalid", "the API token is unknown or revoked")
        return principal
    if current_user.is_authenticated:
        return current_user.principal
    return ANONYMOUS_PRINCIPAL


def current_principal() -> Principal:
    """Who is asking (cached for the request). Raises :class:`Unauthenticated` once for a
    bad ``Authorization`` header; later calls in that request return the anonymous
    principal."""
    if "ledger_principal" not in g:
        g.ledger_principal = ANONYMOUS_PRINCIPAL
        g.ledger_principal = _load_principal()
    return g.ledger_principal


def current_org() -> Org | None:
    """The organisation named in the URL, loaded and checked by an :func:`org_scoped` rule."""
    return g.get("ledger_org")


def writable_org(refusal: str) -> Org:
    """The organisation named in the URL, if the principal may write for it (its own users
    and tokens: :func:`ledger.accounts.scopes.can_write`); otherwise 403 with ``refusal``, said
    in the reader's words (those who may only read, such as the bureaus above, are refused)."""
    org = current_org()
    if not scopes.can_write(current_principal(), org):
        raise WerkzeugForbidden(refusal)
    return org


# --- rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Who may call an endpoint.

    Attributes:
      signed_in: whether a principal is required at all (False: public).
      roles: the roles allowed.
      users_only: refuse API tokens (pages for people: admin, own account).
      org_kind: the endpoint shows one organisation of this kind, named by the URL
        argument ``org_arg``; the principal must be allowed to read it (``can_read``).
    """

    signed_in: bool = True
    roles: frozenset[str] = frozenset(model.ROLES)
    users_only: bool = False
    org_kind: str | None = None
    org_arg: str = "code"

    def enforce(self, principal: Principal, view_args: Mapping[str, Any]) -> None:
        if not self.signed_in:
            return
        if not principal.is_authenticated:
            raise Unauthenticated("auth.required", "sign in to see this page")
        if self.users_only and principal.kind != "user":
            raise Forbidden("auth.users_only", "API tokens cannot use this page")
        if principal.role not in self.roles:
            raise Forbidden("auth.role", "your role does not allow this")
        if self.org_kind is not None:
            code = str(view_args.get(self.org_arg, ""))
            with read_transaction(engine()) as conn:
                org = services.find_org(conn, self.org_kind, code)
            if org is None:
                raise NotFound(f"there is no {self.org_kind} with code {code}")
            if not scopes.can_read(principal, org):
                raise Forbidden("auth.scope", "this organisation is outside your scope")
            g.ledger_org = org


PUBLIC = Rule(signed_in=False)
SIGNED_IN = Rule()
USER = Rule(users_only=True)
ADMIN = Rule(roles=frozenset({"admin"}), users_only=True)


def roles(*names: str, users_only: bool = False) -> Rule:
    return Rule(roles=frozenset(names), users_only=users_only)


def org_scoped(kind: str, arg: str = "code") -> Rule:
    return Rule(org_kind=kind, org_arg=arg)


_TABLES: dict[str, tuple[dict[str, Rule], Rule | None]] = {}
_GUARDED: set[int] = set()


def protect(bp: Blueprint, rules: Mapping[str, Rule], default: Rule | None = None) -> None:
    """Guard every endpoint of ``bp`` with ``rules`` (by view name), or ``default``.

    Call it once where the blueprint is defined; calling it again replaces the table.
    """
    _TABLES[bp.name] = (dict(rules), default)
    if id(bp) not in _GUARDED:
        _GUARDED.add(id(bp))
        bp.before_request(enforce)


def rule_for(endpoint: str) -> Rule | None:
    blueprint, _, view = endpoint.rpartition(".")
    rules, default = _TABLES.get(blueprint, ({}, None))
    return rules.get(view, default)


def enforce() -> None:
    """Check the current request against its endpoint's rule (fail closed without one)."""
    endpoint = request.endpoint
    rule = rule_for(endpoint) if endpoint else None
    if rule is None:
        log.error("endpoint %s has no access rule; refusing", endpoint)
        raise Forbidden("auth.no_rule", "this page has no access rule")
    rule.enforce(current_principal(), request.view_args or {})


def check_coverage(app: Flask) -> None:
    """Refuse to build an app in which some endpoint has no access rule."""
    missing = [
        r.endpoint
        for r in app.url_map.iter_rules()
        if r.endpoint != "static" and rule_for(r.endpoint) is None
    ]
    if missing:
        raise RuntimeError(
            f"endpoints without an access rule: {', '.join(sorted(missing))}; "
            "declare them with ledger.webkit.authz.protect(blueprint, {...})"
        )


def record_export(what: str, org: Org | None = None, details: Mapping[str, Any] | None = None):
    """Record in the audit log that the current principal exported ``what`` (call it from
    every view that hands out a file or a bulk download)."""
    with write_transaction(engine()) as conn:
        return audit.record_export(
            conn,
            current_principal().actor,
            what,
            org_id=org.id if org else None,
            details=details,
        )
