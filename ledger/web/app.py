"""The Flask app factory, made of small named steps:

1. :func:`load_config` — settings from defaults, ``LEDGER_*`` variables, the instance file and
   the ``config`` argument; refuse unsafe production settings; create the instance folder;
2. :func:`init_extensions` — database engine, password hasher, Flask-Login, CSRF, Babel;
3. :func:`register_blueprints` — the shell's and every module's blueprints (the composition
   root, :mod:`ledger.modules`); each blueprint declares its access rules
   (:mod:`ledger.webkit.authz`); an endpoint without one stops the app from starting;
4. :func:`register_error_handlers` — JSON errors under ``/api/`` and ``/log/``, pages elsewhere;
5. :func:`register_commands` — every module's commands, also under ``flask``;
6. :func:`init_security` — refuse enabled demo accounts in production; CSRF gate, JSON body
   check, security headers, proxy fix.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, request
from flask_babel import Babel
from flask_openapi3 import OpenAPI

from ledger.accounts.passwords import Hasher
from ledger.config import (
    Settings,
    check_production,
    ensure_instance_dir,
    load_settings,
    resolve_secret_key,
)
from ledger.platform import registry
from ledger.platform.registry import resolve
from ledger.storage.db import make_engine
from ledger.web.api import openapi_options, register_api
from ledger.webkit import authz

REPO = Path(__file__).resolve().parents[2]
LANGUAGES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the web app. ``config`` may hold :class:`~ledger.config.Settings` fields
    (``database_url``, ``env``, ``secret_key``…) and Flask configuration keys."""
    settings, flask_config = load_config(config)
    app = OpenAPI(  # a Flask subclass; the JSON API's document (ledger.web.api.spec)
        __name__,
        **openapi_options(),
        instance_path=str(settings.instance_path.resolve()),
        template_folder=str(REPO / "templates"),
        static_folder=str(REPO / "static"),
    )
    configure(app, settings, flask_config)
    init_extensions(app, settings)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    init_security(app, settings)
    return app


def load_config(config: dict[str, Any] | None) -> tuple[Settings, dict[str, Any]]:
    """Split ``config`` into settings and Flask keys; refuse unsafe production settings."""
    config = dict(config or {})
    fields = Settings.__dataclass_fields__
    settings = load_settings(**{k: config.pop(k) for k in list(config) if k in fields})
    check_production(settings)
    ensure_instance_dir(settings)
    config.setdefault("SECRET_KEY", resolve_secret_key(settings))
    return settings, config


def configure(app: Flask, settings: Settings, flask_config: dict[str, Any]) -> None:
    from ledger.web.security import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter  # before any rule is added
    secure = not settings.is_development
    app.config.update(
        SESSION_COOKIE_NAME="ledger_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        REMEMBER_COOKIE_NAME="ledger_remember",
        REMEMBER_COOKIE_DURATION=timedelta(days=settings.remember_days),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        BABEL_DEFAULT_LOCALE=DEFAULT_LOCALE,
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
        BABEL_TRANSLATION_DIRECTORIES=";".join(
            str(folder) for folder in [REPO / "translations", *registry().translation_folders()]
        ),
        LEDGER_ENV=settings.env,
    )
    app.config.update(flask_config)


def select_locale() -> str:
    """The display language: the ``lang`` cookie (set by the language links), else zh_CN.

    Babel parses ``zh_CN`` as ``zh_Hans_CN``, which gettext resolves to a catalog in
    ``translations/zh_Hans_CN/`` or ``translations/zh/``, never ``translations/zh_CN/``: put
    the Chinese catalog in ``translations/zh/LC_MESSAGES/messages.po``.
    """
    lang = request.cookies.get("lang")
    return lang if lang in LANGUAGES else DEFAULT_LOCALE


def init_extensions(app: Flask, settings: Settings) -> None:
    from ledger.web.auth import init_login

    app.extensions["ledger.settings"] = settings
    app.extensions["ledger.engine"] = make_engine(settings.database_url)
    app.extensions["ledger.hasher"] = Hasher(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )
    init_login(app)
    Babel(app, locale_selector=select_locale)
    _init_templates(app)


def _init_templates(app: Flask) -> None:
    from ledger.web.filters import FILTERS
    from ledger.webkit.nav import nav_links

    app.jinja_env.filters.update(FILTERS)

    @app.context_processor
    def page_context() -> dict[str, Any]:
        try:
            principal = authz.current_principal()
        except authz.AuthError:
            principal = authz.ANONYMOUS_PRINCIPAL
        lang = select_locale()
        return {
            "principal": principal,
            "current_lang": lang,
            "html_lang": lang.replace("_", "-"),
            "languages": {"zh_CN": "中文", "en": "English"},
            "text_large": request.cookies.get("text_size") == "large",
            "nav_links": nav_links(principal),
        }


def register_blueprints(app: Flask) -> None:
    """The shell's own pages (home, organisations, the core API), then every module's
    blueprints and API blueprints; then refuse to start if any endpoint lacks a rule."""
    from ledger.web import home, orgs

    for bp in (home.bp, orgs.bp):
        app.register_blueprint(bp)
    for _module, path in registry().paths("blueprints"):
        app.register_blueprint(resolve(path))
    register_api(app)  # /api/v1 (ledger.web.api)
    for _module, path in registry().paths("api"):
        app.register_api(resolve(path))
    authz.check_coverage(app)


def register_error_handlers(app: Flask) -> None:
    from ledger.webkit.errors import register_error_handlers as register

    register(app)


def register_commands(app: Flask) -> None:
    """Every module's command groups, also under ``flask``."""
    for _module, path in registry().paths("cli"):
        app.cli.add_command(resolve(path))


def init_security(app: Flask, settings: Settings) -> None:
    from ledger.web.security import init_security as init

    init(app, settings)
