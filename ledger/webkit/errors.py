"""Errors as answers: JSON ``{"error": {"code", "message", "details"}}`` under ``/api/`` and
``/log/`` (and for bearer-token requests), an HTML page otherwise. Nothing escapes as a bare
500: unexpected exceptions are logged and answered with a generic error."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from ledger.core.errors import LedgerError
from ledger.webkit.authz import AuthError, Unauthenticated

log = logging.getLogger(__name__)
JSON_PREFIXES = ("/api/", "/log/")


def wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES) or "Authorization" in request.headers


def _json(code: str, message: str, status: int, details=None, headers=None):
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return jsonify(body), status, headers or {}


def _page(status: int, title: str, message: str, headers=None):
    page = render_template("errors/error.html", status=status, title=title, message=message)
    return page, status, headers or {}


def _titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        401: _("Please sign in"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Not allowed"),
        413: _("Too large"),
        422: _("Cannot accept this"),
        429: _("Too many attempts"),
    }


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(LedgerError)
    def ledger_error(exc: LedgerError):
        if wants_json():
            return _json(exc.code, exc.message, exc.status, exc.details)
        from ledger.webkit.forms import error_message

        title = _titles().get(exc.status, _("Error"))
        return _page(exc.status, title, error_message(exc))

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = _(
            "The form is missing its security token or has expired. "
            "Go back, reload the page and try again."
        )
        if wants_json():
            return _json("request.csrf", exc.description, 400)
        return _page(400, _("Bad request"), message)

    @app.errorhandler(AuthError)
    def auth_error(exc: AuthError):
        if wants_json():
            headers = {"WWW-Authenticate": "Bearer"} if exc.code == 401 else {}
            return _json(exc.error_code, exc.description, exc.code, headers=headers)
        if isinstance(exc, Unauthenticated):
            return redirect(url_for("auth.signin", next=request.full_path.rstrip("?")))
        return _page(403, _("Not allowed"), _("You are not allowed to see this page."))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if status >= 500:
            log.error("HTTP %s on %s %s", status, request.method, request.path)
        # Keep protocol headers such as ``Allow`` on 405 and ``Retry-After`` on 429.
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        if wants_json():
            return _json(f"http.{status}", exc.description or exc.name, status, headers=headers)
        title = _titles().get(status, exc.name)
        messages = {
            404: _("There is no such page."),
            405: _("This page does not accept this kind of request."),
            413: _("The upload is too large."),
        }
        return _page(status, title, messages.get(status, exc.description or exc.name), headers)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        log.exception("unexpected error on %s %s", request.method, request.path)
        if app.testing or app.debug or app.config.get("PROPAGATE_EXCEPTIONS"):
            raise exc
        if wants_json():
            return _json("internal", "an unexpected error occurred; it has been logged", 500)
        error = InternalServerError()
        return _page(500, error.name, _("Something went wrong. It has been logged."))
