"""Fixtures for the judicial pages and API: the web shell's app, clients and users (on SQLite
and PostgreSQL), a vault key in the app's instance, 常口村's carbon ticket project with a lot
of 100 t, and the shipped assessment method recorded."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from ledger.judicial import services
from ledger.vault.crypto import ensure_vault_key
from tests.units import make_lot, make_project
from tests.web import conftest as web

# The web shell's fixtures, for the tests here.
app, client, engine, login, world = web.app, web.client, web.engine, web.login, web.world

COURT = "/courts/" + quote("闽0428") + "/judicial"
OTHER_COURT = "/courts/" + quote("闽0403") + "/judicial"


@pytest.fixture
def judicial(app):
    settings = app.extensions["ledger.settings"]
    ensure_vault_key(settings)
    engine = app.extensions["ledger.engine"]
    make_project(engine, "CT-0000001")
    make_lot(engine, "CT-0000001", "0000001", count=100)
    services.seed_shipped_methods(engine, actor="test:admin")
    return engine
