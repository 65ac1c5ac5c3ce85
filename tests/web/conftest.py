"""Fixtures for the web shell, in the shape of Flask's tutorial: ``app``, ``client``,
``runner`` and a ``login`` helper, on a real database (``db_url``: SQLite and PostgreSQL).

Every app gets the same small world (:data:`ORGS`, :data:`USERS`): Fujian province, Sanming
city, two counties (将乐县 350428 and 三元区 350403) with their bureaus, villages and courts,
one user per role, and balances for a village and a court in the main log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger.accounts import services
from ledger.accounts.model import Org, User
from ledger.accounts.passwords import Hasher
from ledger.core.entry import EntryDraft, Posting
from ledger.services.checkpoints import sign_checkpoint
from ledger.services.keys import create_signing_key
from ledger.services.log import append_batch
from ledger.storage.db import write_transaction
from ledger.web import create_app

PASSWORD = "correct horse battery"
ORIGIN = "test.carbon-ledger.localhost/log"
#: Cheap argon2 parameters, so the suite signs in hundreds of times quickly.
FAST_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_kib": 8, "argon2_parallelism": 1}

#: key → (kind, code, name, division)
ORGS = {
    "province": ("bureau", "35", "福建省林业局", None),
    "city": ("bureau", "3504", "三明市林业局", None),
    "county": ("bureau", "350428", "将乐县林业局", None),
    "other_county": ("bureau", "350403", "三元区林业局", None),
    "v1": ("village", "350428102201", "常口村", None),
    "v2": ("village", "350428102202", "余坊村", None),
    "v3": ("village", "350403100201", "三元区示例村", None),
    "court": ("court", "闽0428", "将乐县人民法院", "350428"),
    "court2": ("court", "闽0403", "三元区人民法院", "350403"),
}
#: role key → (username, role, organisation key)
USERS = {
    "village": ("v1clerk", "village", "v1"),
    "village_other": ("v2clerk", "village", "v2"),
    "court": ("courtclerk", "court", "court"),
    "bureau_county": ("countybureau", "bureau", "county"),
    "bureau_province": ("provincebureau", "bureau", "province"),
    "bureau_other": ("otherbureau", "bureau", "other_county"),
    "admin": ("admin1", "admin", None),
    "victim": ("victim", "village", "v2"),  # for disable / role-change tests
}


@dataclass
class World:
    orgs: dict[str, Org]
    users: dict[str, User]


def seed(app) -> World:
    """Create the test organisations, users, balances and a checkpoint."""
    engine = app.extensions["ledger.engine"]
    hasher: Hasher = app.extensions["ledger.hasher"]
    orgs, users = {}, {}
    with write_transaction(engine) as conn:
        for key, (kind, code, name, division) in ORGS.items():
            orgs[key] = services.create_org(conn, kind, code, name, division=division, actor="test")
        for key, (username, role, org_key) in USERS.items():
            org_id = orgs[org_key].id if org_key else None
            users[key] = services.create_user(
                conn, hasher, username, PASSWORD, role, org_id, actor="test"
            )
    append_batch(
        engine,
        [
            EntryDraft(
                "test.sale",
                {"ticket": "0000001"},
                "test",
                (
                    Posting("Assets:Buyer:Demo", "CNY", -4_084_500),
                    Posting("Assets:Village:350428102201:Collective", "CNY", 4_084_500),
                ),
            ),
            EntryDraft(
                "test.purchase",
                {"case": "(2022)闽0428刑初1号"},
                "test",
                (
                    Posting("Assets:Court:350428:Escrow", "CNY", 150_000),
                    Posting("Assets:Buyer:Demo", "CNY", -150_000),
                ),
            ),
        ],
    )
    settings = app.extensions["ledger.settings"]
    signer, _ = create_signing_key(settings.key_path, ORIGIN)
    sign_checkpoint(engine, signer, ORIGIN)
    return World(orgs, users)


def make_app(db_url: str, instance: Path, **extra):
    config = {
        "database_url": db_url,
        "instance_path": instance,
        "log_origin": ORIGIN,
        "env": "test",
        "TESTING": True,
        **FAST_ARGON2,
        **extra,
    }
    return create_app(config)


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


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def english(client):
    """Show ``client`` the English (source) strings, so tests can assert messages."""
    client.set_cookie("lang", "en")
    return client


def csrf_token(client, path: str = "/signin") -> str:
    """A CSRF token for ``client``'s session, read from a page's form."""
    page = client.get(path)
    match = CSRF_RE.search(page.get_data(as_text=True))
    if match is None and path != "/":
        match = CSRF_RE.search(client.get("/").get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def sign_in(client, username: str, password: str = PASSWORD, *, remember=False, **kwargs):
    """POST the sign-in form with a valid CSRF token; returns the response."""
    token = csrf_token(client, "/signin")
    data = {"username": username, "password": password, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    return client.post("/signin", data=data, **kwargs)


@pytest.fixture
def login(client):
    """``login("village")`` signs ``client`` in as the user of that role key."""

    def do(role_key: str = "village", password: str = PASSWORD):
        response = sign_in(client, USERS[role_key][0], password)
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return do


def audit_entries(engine, kind: str | None = None) -> list:
    """The audit log's entries (optionally of one kind), oldest first."""
    from ledger.services.log import read_entries, read_head
    from ledger.storage.db import read_transaction

    with read_transaction(engine) as conn:
        size = read_head(conn, "audit").size
        entries = list(read_entries(conn, "audit", 0, size))
    return [e for e in entries if kind is None or e.kind == kind]
