"""WSGI entry point for gunicorn (``ledger.web.wsgi:app``): configuration from the environment."""

from ledger.web.app import create_app

app = create_app()
