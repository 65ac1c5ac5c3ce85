"""Fixtures for the JSON API: an app on a real database (``db_url``: SQLite and PostgreSQL)
with the one seeded data set (:mod:`tests.support.world`) and one API token per organisation.

``api(client)`` wraps the test client: ``api.get(path, as_="v1")`` sends the token of that
organisation; ``as_=None`` is anonymous.
"""

from __future__ import annotations

import re

import pytest

from ledger.core.entry import EntryDraft
from tests.support.module import PUBLIC_NOTE
from tests.support.world import ORGS, PASSWORD, World, make_app, seed
from tests.support.world import USERS as WEB_USERS

V1, V2, V3 = ORGS["v1"][1], ORGS["v2"][1], ORGS["v3"][1]
#: The API tests' users: a village clerk and an admin of the seeded data set.
USERS = {"clerk": WEB_USERS["village"], "admin": WEB_USERS["admin"]}


def note(i: int) -> EntryDraft:
    """A plain entry of a public kind without postings, to lengthen the log."""
    return EntryDraft(PUBLIC_NOTE, {"i": i, "text": "村集体公示"}, "test")


@pytest.fixture
def app(db_url, tmp_path):
    app = make_app(db_url, tmp_path / "instance")
    app.world = seed(app, tokens=True)
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
