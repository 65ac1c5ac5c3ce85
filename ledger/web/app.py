"""The Flask app factory, made of small named steps."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request

from ledger.config import Settings, load_settings
from ledger.core.errors import LedgerError
from ledger.storage.db import make_engine


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, error handlers."""
    config = dict(config or {})
    settings = load_settings(
        **{k: config.pop(k) for k in list(config) if k in Settings.__dataclass_fields__}
    )
    app = Flask(__name__, instance_path=str(settings.instance_path.resolve()))
    app.config.update(config)
    configure_extensions(app, settings)
    register_blueprints(app)
    register_error_handlers(app)
    return app


def configure_extensions(app: Flask, settings: Settings) -> None:
    app.extensions["ledger.settings"] = settings
    app.extensions["ledger.engine"] = make_engine(settings.database_url)


def register_blueprints(app: Flask) -> None:
    from ledger.web.log_views import bp as log_bp

    app.register_blueprint(log_bp)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(LedgerError)
    def ledger_error(exc: LedgerError):
        return jsonify(error=exc.as_dict()), exc.status

    @app.errorhandler(404)
    def not_found(_exc):
        if request.path.startswith(("/log/", "/api/")):
            return jsonify(error={"code": "not_found", "message": "not found", "details": {}}), 404
        return "Not found", 404
