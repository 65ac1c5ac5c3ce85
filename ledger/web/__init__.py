"""The web edge: the Flask app factory and blueprints. Only this package imports Flask."""

from ledger.web.app import create_app

__all__ = ["create_app"]
