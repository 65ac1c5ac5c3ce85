"""HTTP hardening: CSRF on every unsafe request, security headers on every response, the
reverse-proxy fix so the client address (used for throttling) is the real one, bounded
request input, and the refusal to start in production while a demo account is enabled.

Content-Security-Policy allows only this origin: no inline scripts or styles, no framing.
Pages for signed-in people are not cached (shared computers in village offices).

Bounded input: an integer in a URL (``<int:…>``) above 2**53 - 1 matches no page (404)
instead of overflowing a database integer (:class:`BoundedIntConverter`), and a JSON body that
does not parse, nesting too deeply included, is refused with a message saying so
(:func:`parse_json_body`).
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask.json.provider import DefaultJSONProvider
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, inspect
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from werkzeug.routing import ValidationError as NoMatch

from ledger.config import ConfigError, Settings
from ledger.core.canonical import MAX_SAFE_INTEGER
from ledger.core.errors import ValidationError
from ledger.demo import active_demo_users
from ledger.storage.db import read_transaction
from ledger.webkit import authz

csrf = CSRFProtect()

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def init_security(app: Flask, settings: Settings) -> None:
    """Refuse demo accounts in production; CSRF gate, JSON body check, security headers and
    (when configured) the proxy fix."""
    refuse_demo_accounts(app.extensions["ledger.engine"], settings)
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked by csrf_gate below
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid as long as the session
    csrf.init_app(app)
    app.json = BoundedJSONProvider(app)
    app.before_request(csrf_gate)
    app.before_request(parse_json_body)
    hsts = not settings.is_development

    @app.after_request
    def security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if "Cookie" in request.headers or "Authorization" in request.headers:
            response.headers.setdefault("Cache-Control", "no-store")
            response.vary.add("Cookie")
        return response

    if settings.proxy_count > 0:
        n = settings.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)


def csrf_gate() -> None:
    """Every unsafe request must carry a valid CSRF token, except API calls authenticated by a
    bearer token (they ignore cookies, and browsers cannot add the header cross-site) and API
    calls that carry no session cookie at all (they have no ambient authority to abuse, and
    are then refused as unauthenticated, 401). Pages always need the token: that also stops
    login CSRF on the sign-in form."""
    if request.method in SAFE_METHODS or authz.bearer_token() is not None:
        return
    if request.path.startswith("/api/") and not _has_session_cookie():
        return
    if any(not isinstance(name, str) for name in request.form):
        # A multipart part without a usable name (Flask-WTF would fail looking for the token).
        raise BadRequest("the form data is malformed")
    csrf.protect()


def _has_session_cookie() -> bool:
    config = current_app.config
    return any(
        name in request.cookies
        for name in (config["SESSION_COOKIE_NAME"], config["REMEMBER_COOKIE_NAME"])
    )


def refuse_demo_accounts(engine: Engine, settings: Settings) -> None:
    """Outside development, refuse to start while a demo account (``carbon-ledger init
    --demo``, passwords published in the README) is enabled in the database."""
    if settings.is_development or not inspect(engine).has_table("app_user"):
        return
    with read_transaction(engine) as conn:
        names = active_demo_users(conn)
    if names:
        commands = "; ".join(f"`carbon-ledger users disable {name}`" for name in names)
        raise ConfigError(
            f"refusing to start in {settings.env!r}: the demo accounts {', '.join(names)} are "
            f"enabled and their passwords are published. Disable them: {commands}"
        )


class BoundedIntConverter(IntegerConverter):
    """Werkzeug's ``int`` converter with an upper bound of 2**53 - 1 (every id and entry
    number fits): a larger number matches no rule, so the answer is 404, never a database
    overflow or a 4300-digit ``int()`` error."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_SAFE_INTEGER, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(self.max)):
            raise NoMatch()
        return super().to_python(value)


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with a document nested deeper than the parser can go (thousands of
    ``[``) refused as invalid JSON instead of a RecursionError."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON document is nested too deeply") from None


def parse_json_body() -> None:
    """A JSON request body that does not parse is refused before any view sees it, as the
    API refuses any malformed body (422, ``request.body``), with a message saying why.

    Only for signed-in callers: an anonymous request is left to the access rules, which
    answer 401 first (the body, if read at all, then parses as nothing)."""
    if request.method in SAFE_METHODS or not request.is_json:
        return
    if not authz.current_principal().is_authenticated:
        return
    if request.get_json(silent=True) is not None:
        return  # parsed (and cached for the view)
    try:
        current_app.json.loads(request.get_data(cache=True))
    except ValueError as exc:
        raise ValidationError(
            "request.body", f"body: not valid JSON: {exc}", {"in": "body"}
        ) from None
