"""Fixtures for the community pages and API: the web shell's app, clients and users (on SQLite
and PostgreSQL), a vault key in the app's instance, and 常口村 with revenue from a carbon sale
(150,000 fen from the units services, beside the world's seeded 40,845 元)."""

from __future__ import annotations

import pytest

from ledger.vault.crypto import ensure_vault_key
from tests.community import fund
from tests.web import conftest as web

# The web shell's fixtures, for the tests here.
app, client, engine, login, world = web.app, web.client, web.engine, web.login, web.world


@pytest.fixture
def funded(app):
    ensure_vault_key(app.extensions["ledger.settings"])
    return fund(app.extensions["ledger.engine"])
