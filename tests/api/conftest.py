"""Fixtures for the JSON API: an app on a real database (``db_url``: SQLite and PostgreSQL)
with a small world of organisations, one API token per organisation, two users (a village
clerk and an admin), balances in the main log and a signed checkpoint.

``api(client)`` wraps the test client: ``api.get(path, as_="v1")`` sends the token of that
organisation; ``as_=None`` is anonymous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from ledger.accounts import services
from ledger.accounts.model import Org
from ledger.core.entry import EntryDraft, Posting
from ledger.services.checkpoints import sign_checkpoint
from ledger.services.keys import create_signing_key
from ledger.services.log import append_batch
from ledger.storage.db import write_transaction
from tests.support.module import PUBLIC_NOTE
from tests.web.conftest import ORIGIN, PASSWORD, make_app

V1, V2, V3 = "350428102201", "350428102202", "350403100201"

#: key → (kind, code, name, division)
ORGS = {
    "county": ("bureau", "350428", "将乐县林业局", None),
    "other_county": ("bureau", "350403", "三元区林业局", None),
    "v1": ("village", V1, "常口村", None),
    "v2": ("village", V2, "余坊村", None),
    "v3": ("village", V3, "三元区示例村", None),
    "court": ("court", "闽0428", "将乐县人民法院", "350428"),
}
#: key → (username, role, organisation key)
USERS = {"clerk": ("v1clerk", "village", "v1"), "admin": ("admin1", "admin", None)}
#: The main log after seeding: a sale to village v1, a purchase into the court's escrow.
V1_ACCOUNT = f"Assets:Village:{V1}:Collective"
COURT_ACCOUNT = "Assets:Court:350428:Escrow"
SEEDED = 2


@dataclass
class World:
    orgs: dict[str, Org]
    tokens: dict[str, str]
    token_ids: dict[str, int]


def note(i: int) -> EntryDraft:
    """A plain entry of a public kind without postings, to lengthen the log."""
    return EntryDraft(PUBLIC_NOTE, {"i": i, "text": "村集体公示"}, "test")


def seed(app) -> World:
    engine = app.extensions["ledger.engine"]
    hasher = app.extensions["ledger.hasher"]
    orgs, tokens, token_ids = {}, {}, {}
    with write_transaction(engine) as conn:
        for key, (kind, code, name, division) in ORGS.items():
            orgs[key] = services.create_org(conn, kind, code, name, division=division, actor="t")
            text, token = services.create_token(
                conn, orgs[key].id, f"{key} script", created_by=None, actor="t"
            )
            tokens[key], token_ids[key] = text, token.id
        for username, role, org_key in USERS.values():
            org_id = orgs[org_key].id if org_key else None
            services.create_user(conn, hasher, username, PASSWORD, role, org_id, actor="t")
    append_batch(
        engine,
        [
            EntryDraft(
                "test.sale",
                {"ticket": "0000001"},
                "test",
                (
                    Posting("Assets:Buyer:Demo", "CNY", -4_084_500),
                    Posting(V1_ACCOUNT, "CNY", 4_084_500),
                    Posting("Assets:Buyer:Demo", "CO2E", 1_000),
                    Posting(V1_ACCOUNT, "CO2E", -1_000),
                ),
            ),
            EntryDraft(
                "test.purchase",
                {"case": "(2022)闽0428刑初1号"},
                "test",
                (
                    Posting(COURT_ACCOUNT, "CNY", 150_000),
                    Posting("Assets:Buyer:Demo", "CNY", -150_000),
                ),
            ),
        ],
    )
    signer, _ = create_signing_key(app.extensions["ledger.settings"].key_path, ORIGIN)
    sign_checkpoint(engine, signer, ORIGIN)
    return World(orgs, tokens, token_ids)


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


class Api:
    """The test client with bearer tokens by organisation key."""

    def __init__(self, client, world: World):
        self.client = client
        self.world = world

    def headers(self, as_: str | None, headers: dict | None = None) -> dict:
        out = dict(headers or {})
        if as_ is not None:
            out["Authorization"] = f"Bearer {self.world.tokens[as_]}"
        return out

    def get(self, path: str, as_: str | None = None, **kwargs):
        return self.client.get(
            path, headers=self.headers(as_, kwargs.pop("headers", None)), **kwargs
        )

    def post(self, path: str, as_: str | None = None, **kwargs):
        headers = self.headers(as_, kwargs.pop("headers", None))
        return self.client.post(path, headers=headers, **kwargs)


@pytest.fixture
def api(client, world) -> Api:
    return Api(client, world)


def error_of(response, status: int) -> dict:
    """The ``error`` object of a JSON error response, after checking its shape."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    return body["error"]


def json_of(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(client, path: str) -> str:
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def sign_in(client, user_key: str) -> str:
    """Sign ``client`` in through the sign-in form; return a CSRF token of the new session."""
    username = USERS[user_key][0]
    token = csrf_token(client, "/signin")
    response = client.post(
        "/signin", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_token(client, "/")
