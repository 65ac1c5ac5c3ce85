"""HTTP hardening: CSRF on every unsafe request, security headers on every response, and the
reverse-proxy fix so the client address (used for throttling) is the real one.

Content-Security-Policy allows only this origin: no inline scripts or styles, no framing.
Pages for signed-in people are not cached (shared computers in village offices).
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from ledger.config import Settings
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
    """CSRF gate, security headers and (when configured) the proxy fix."""
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked by csrf_gate below
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid as long as the session
    csrf.init_app(app)
    app.before_request(csrf_gate)
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
    csrf.protect()


def _has_session_cookie() -> bool:
    config = current_app.config
    return any(
        name in request.cookies
        for name in (config["SESSION_COOKIE_NAME"], config["REMEMBER_COOKIE_NAME"])
    )
