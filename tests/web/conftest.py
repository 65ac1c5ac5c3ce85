"""Fixtures for the web shell, in the shape of Flask's tutorial: ``app``, ``client``,
``runner`` and a ``login`` helper, on a real database (``db_url``: SQLite and PostgreSQL),
seeded with the one data set of :mod:`tests.support.world`. The helpers live in
:mod:`tests.support`; they are imported here too, where older tests look for them."""

from __future__ import annotations

import pytest

from tests.support.web import (
    CSRF_RE,
    audit_entries,
    csrf_token,
    english,
    sign_in,
    stored_address,
)
from tests.support.world import (
    FAST_ARGON2,
    ORGS,
    ORIGIN,
    PASSWORD,
    USERS,
    World,
    make_app,
    seed,
)

__all__ = [
    "CSRF_RE",
    "FAST_ARGON2",
    "ORGS",
    "ORIGIN",
    "PASSWORD",
    "USERS",
    "World",
    "audit_entries",
    "csrf_token",
    "english",
    "make_app",
    "seed",
    "sign_in",
    "stored_address",
]


@pytest.fixture
def app(db_url, tmp_path):
    app = make_app(db_url, tmp_path / "instance")
    app.world = seed(app)
    yield app
    app.extensions["ledger.engine"].dispose()


@pytest.fixture
def world(app) -> World:
    return app.world


@pytest.fixture
def engine(app):
    return app.extensions["ledger.engine"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login(client):
    """``login("village")`` signs ``client`` in as the user of that role key."""

    def do(role_key: str = "village", password: str = PASSWORD):
        response = sign_in(client, USERS[role_key][0], password)
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return do
