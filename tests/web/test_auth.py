"""Sign-in, sessions, CSRF, throttling, disabling, password change, API tokens, security
headers and the audit chain, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from ledger.accounts import services, throttle, tokens
from ledger.accounts.passwords import Hasher
from ledger.accounts.tables import ApiToken, AppUser
from ledger.services.verify import verify_log
from ledger.storage.db import read_transaction, write_transaction
from tests.web.conftest import (
    PASSWORD,
    USERS,
    audit_entries,
    csrf_token,
    english,
    make_app,
    sign_in,
    stored_address,
)

REPO = Path(__file__).resolve().parents[2]
V1, V2 = "350428102201", "350428102202"


def username(key: str) -> str:
    return USERS[key][0]


def leaves(engine) -> bytes:
    with read_transaction(engine) as conn:
        rows = conn.execute(text("SELECT leaf FROM log_entry WHERE log = 'audit'")).all()
    return b"\n".join(bytes(r[0]) for r in rows)


# --- sign-in ------------------------------------------------------------------------------


def test_signin_starts_a_session_and_is_audited(client, engine, world):
    response = sign_in(client, username("village"))
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    assert client.get("/home").status_code == 200
    (entry,) = audit_entries(engine, "audit.signin")
    assert entry.body == {"user": world.users["village"].id, "address_id": entry.body["address_id"]}
    assert stored_address(engine, entry.body["address_id"]) == "127.0.0.1"
    assert entry.actor == f"user:{world.users['village'].id}"
    assert PASSWORD.encode() not in leaves(engine)


def test_signin_is_case_insensitive_in_the_username(client):
    assert sign_in(client, "  V1Clerk ").status_code == 302


def test_wrong_password_and_unknown_user_are_refused_alike_and_audited(client, engine, world):
    english(client)
    wrong = sign_in(client, username("village"), "not the password")
    unknown = sign_in(client, "nobody-here", "my secret password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Wrong username or password." in response.get_data(as_text=True)
    failed = audit_entries(engine, "audit.signin_failed")
    assert [e.body["reason"] for e in failed] == ["bad_password", "unknown_user"]
    assert failed[0].body["user"] == world.users["village"].id
    assert failed[1].body["user"] is None
    blob = leaves(engine)
    assert b"nobody-here" not in blob  # the typed name of an unknown account is not kept
    assert b"my secret password" not in blob and b"not the password" not in blob


def test_signin_form_errors_are_400_not_500(client):
    token = csrf_token(client)
    assert client.post("/signin", data={"csrf_token": token}).status_code == 400
    huge = {"csrf_token": token, "username": "x" * 5000, "password": "y" * 5000}
    assert client.post("/signin", data=huge).status_code == 400
    odd = {"csrf_token": token, "username": "\x00\ud7ff", "password": "p"}
    assert client.post("/signin", data=odd).status_code == 401


def test_next_must_stay_on_this_site(client):
    token = csrf_token(client)
    data = {"username": username("village"), "password": PASSWORD, "csrf_token": token}
    targets = (
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:x",
        "/home\r\nSet-Cookie: x=1",
    )
    for target in targets:
        response = client.post("/signin", query_string={"next": target}, data=data)
        assert response.headers["Location"] == "/home", target
        client.post("/signout", data={"csrf_token": csrf_token(client, "/")})
        token = csrf_token(client)
        data["csrf_token"] = token
    response = client.post(f"/signin?next=/villages/{V1}", data=data)
    assert response.headers["Location"] == f"/villages/{V1}"


def test_anonymous_is_sent_to_signin_and_back(client):
    response = client.get(f"/villages/{V1}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/signin?next=/villages/{V1}"


# --- CSRF ---------------------------------------------------------------------------------


def test_post_without_csrf_token_is_refused(client, login, engine):
    data = {"username": username("village"), "password": PASSWORD}
    response = client.post("/signin", data=data)
    assert response.status_code == 400
    assert audit_entries(engine, "audit.signin") == []
    assert client.post("/signin", data={**data, "csrf_token": "forged"}).status_code == 400
    login("admin")
    new_org = {"kind": "village", "code": "350428102299", "name": "新村"}
    assert client.post("/admin/orgs", data=new_org).status_code == 400
    assert client.post("/signout").status_code == 400
    assert client.get("/home").status_code == 200  # still signed in
    page = english(client).post("/admin/orgs", data=new_org).get_data(as_text=True)
    assert "The form is missing its security token" in page


def test_csrf_token_of_another_session_is_refused(app, login, client):
    other = app.test_client()
    foreign = csrf_token(other)
    data = {"username": username("village"), "password": PASSWORD, "csrf_token": foreign}
    assert client.post("/signin", data=data).status_code == 400


# --- throttling ---------------------------------------------------------------------------


def test_throttle_per_account(client, engine, app):
    english(client)
    name = username("village")
    for _ in range(5):
        assert sign_in(client, name, "wrong password!").status_code == 401
    response = sign_in(client, name)  # even the right password is refused now
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    body = response.get_data(as_text=True)
    assert "Too many failed sign-ins. Wait 15 minutes and try again." in body
    (locked,) = audit_entries(engine, "audit.signin_locked")
    assert locked.body["scope"] == "account_address"
    # another account from the same address is not affected
    assert sign_in(app.test_client(), username("court")).status_code == 302
    # a refused attempt does not count as another failure, nor is it checked
    assert len(audit_entries(engine, "audit.signin_failed")) == 5


def test_throttle_per_address(app, engine):
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for i in range(20):
        assert sign_in(attacker, f"guess{i}", "wrong password!").status_code == 401
    assert sign_in(attacker, username("court")).status_code == 429
    (locked,) = audit_entries(engine, "audit.signin_locked")
    assert locked.body["scope"] == "address"
    # the account itself is fine from elsewhere
    assert sign_in(app.test_client(), username("court")).status_code == 302


def test_throttle_is_shared_by_workers_and_expires(app, db_url, tmp_path, engine):
    """Two apps on one database (two gunicorn workers) see the same failures; the lock lifts
    when the window has passed."""
    other_worker = make_app(db_url, tmp_path / "instance")
    name = username("bureau_county")
    for i in range(5):
        worker = app if i % 2 else other_worker
        assert sign_in(worker.test_client(), name, "wrong password!").status_code == 401
    assert sign_in(app.test_client(), name).status_code == 429
    assert sign_in(other_worker.test_client(), name).status_code == 429
    hasher = app.extensions["ledger.hasher"]
    later = throttle.DEFAULT_LIMITS.window + 10
    import time

    result = services.authenticate(
        engine, hasher, name, PASSWORD, "127.0.0.1", now=int(time.time()) + later
    )
    assert result.ok
    other_worker.extensions["ledger.engine"].dispose()


def test_success_clears_the_account_failures(client, engine):
    name = username("village")
    for _ in range(4):
        sign_in(client, name, "wrong password!")
    assert sign_in(client, name).status_code == 302
    client.post("/signout", data={"csrf_token": csrf_token(client, "/")})
    for _ in range(4):
        assert sign_in(client, name, "wrong password!").status_code == 401
    assert sign_in(client, name).status_code == 302


# --- disabling, sessions, sign-out --------------------------------------------------------


def test_disabled_user_cannot_sign_in_and_sessions_end(app, client, engine, world):
    victim = app.test_client()
    assert sign_in(victim, username("victim"), remember=True).status_code == 302
    remember = victim.get_cookie("ledger_remember")
    assert remember is not None
    assert victim.get("/home").status_code == 200

    assert sign_in(client, username("admin")).status_code == 302
    token = csrf_token(client, "/admin/users")
    user_id = world.users["victim"].id
    response = client.post(f"/admin/users/{user_id}/disable", data={"csrf_token": token})
    assert response.status_code == 303

    assert victim.get("/home").status_code == 302  # the open session ended
    fresh = app.test_client()  # the remember-me cookie alone no longer works either
    fresh.set_cookie("ledger_remember", remember.value)
    assert fresh.get("/home").status_code == 302
    response = sign_in(english(app.test_client()), username("victim"))
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "This account is disabled. Ask your administrator." in body
    (entry,) = audit_entries(engine, "audit.user_disabled")
    assert entry.body == {"user": user_id}
    assert entry.actor == f"user:{world.users['admin'].id}"
    assert sign_in(app.test_client(), username("victim"), "wrong one!!").status_code == 401

    client.post(f"/admin/users/{user_id}/enable", data={"csrf_token": token})
    assert sign_in(app.test_client(), username("victim")).status_code == 302


def test_admin_cannot_disable_or_demote_themselves(client, login, world, engine):
    login("admin")
    english(client)
    me = world.users["admin"].id
    token = csrf_token(client, "/admin/users")
    response = client.post(f"/admin/users/{me}/disable", data={"csrf_token": token})
    assert response.status_code == 303
    page = client.get("/admin/users").get_data(as_text=True)
    assert "You cannot disable your own account or change your own role." in page
    assert audit_entries(engine, "audit.user_disabled") == []


def test_signout_ends_the_session_even_if_the_cookie_is_replayed(app, client, login):
    login("village")
    stolen = client.get_cookie("ledger_session").value
    assert client.post("/signout", data={"csrf_token": csrf_token(client, "/")}).status_code == 303
    assert client.get("/home").status_code == 302
    replay = app.test_client()
    replay.set_cookie("ledger_session", stolen)
    assert replay.get("/home").status_code == 302


def test_session_and_remember_cookies_are_hardened(client):
    response = sign_in(client, username("village"), remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("ledger_session="))
    remember = next(c for c in cookies if c.startswith("ledger_remember="))
    for cookie in (session, remember):
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # test/development: plain http on localhost
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", remember).group(1))
    days = (expires - datetime.now(UTC)).total_seconds() / 86400
    assert 6.99 < days <= 7.0  # a short remember-me
    assert "Expires" not in session  # the session cookie ends with the browser


def test_role_change_is_audited_and_ends_sessions(app, client, login, world, engine):
    victim = app.test_client()
    assert sign_in(victim, username("victim")).status_code == 302
    login("admin")
    user_id = world.users["victim"].id
    data = {
        "role": "village",
        "org": str(world.orgs["v1"].id),
        "csrf_token": csrf_token(client, "/admin/users"),
    }
    assert client.post(f"/admin/users/{user_id}/role", data=data).status_code == 303
    (entry,) = audit_entries(engine, "audit.role_changed")
    assert entry.body == {
        "user": user_id,
        "from": {"role": "village", "org": world.orgs["v2"].id},
        "to": {"role": "village", "org": world.orgs["v1"].id},
    }
    assert victim.get("/home").status_code == 302
    assert sign_in(victim, username("victim")).status_code == 302
    assert victim.get(f"/villages/{V1}").status_code == 200
    assert victim.get(f"/villages/{V2}").status_code == 403
    # a role that does not fit the organisation is refused with a message
    data["role"] = "court"
    english(client).post(f"/admin/users/{user_id}/role", data=data)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "belong to an organisation of that kind" in page


# --- passwords ----------------------------------------------------------------------------


def test_password_change(app, client, login, engine, world):
    other_device = app.test_client()
    assert sign_in(other_device, username("village")).status_code == 302
    login("village")
    url = "/account/password"

    def change(current, new, confirm=None):
        data = {
            "current": current,
            "new": new,
            "confirm": new if confirm is None else confirm,
            "csrf_token": csrf_token(client, url),
        }
        return client.post(url, data=data)

    assert change("wrong current pw", "a brand new password").status_code == 422
    assert change(PASSWORD, "short").status_code == 422
    assert change(PASSWORD, "a brand new password", "something else!!").status_code == 422
    assert change(PASSWORD, PASSWORD).status_code == 422
    assert change(PASSWORD, "aaaaaaaaaaaaaaaa").status_code == 422
    assert audit_entries(engine, "audit.password_changed") == []

    response = change(PASSWORD, "a brand new password")
    assert response.status_code == 303
    assert client.get("/home").status_code == 200  # this session carries on
    assert other_device.get("/home").status_code == 302  # every other one ends
    assert sign_in(app.test_client(), username("village")).status_code == 401
    assert (
        sign_in(app.test_client(), username("village"), "a brand new password").status_code == 302
    )
    (entry,) = audit_entries(engine, "audit.password_changed")
    assert entry.body == {"user": world.users["village"].id}
    assert b"a brand new password" not in leaves(engine)


def test_password_change_messages_are_clear(client, login):
    login("village")
    data = {
        "current": PASSWORD,
        "new": "short",
        "confirm": "short",
        "csrf_token": csrf_token(client, "/account/password"),
    }
    page = english(client).post("/account/password", data=data)
    assert page.status_code == 422
    assert "A password must be 10 to 256 characters long." in page.get_data(as_text=True)


def test_hash_is_upgraded_when_parameters_change(db_url, tmp_path, world, engine):
    stronger = make_app(db_url, tmp_path / "instance", argon2_time_cost=2, argon2_memory_kib=16)
    with read_transaction(engine) as conn:
        before = services.find_user(conn, username("court")).password_hash
    assert "m=8,t=1" in before
    assert sign_in(stronger.test_client(), username("court")).status_code == 302
    with read_transaction(engine) as conn:
        after = services.find_user(conn, username("court")).password_hash
    assert "m=16,t=2" in after
    assert Hasher(2, 16, 1).verify(after, PASSWORD) == (True, None)
    stronger.extensions["ledger.engine"].dispose()


# --- API tokens ---------------------------------------------------------------------------


def test_admin_creates_a_token_shown_once_and_stored_as_a_hash(client, login, world, engine):
    login("admin")
    data = {
        "org": str(world.orgs["v1"].id),
        "label": "village app",
        "csrf_token": csrf_token(client, "/admin/tokens"),
    }
    response = client.post("/admin/tokens", data=data)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    token = re.search(r"(clt_[A-Za-z0-9_-]{43})", response.get_data(as_text=True)).group(1)
    assert token not in client.get("/admin/tokens").get_data(as_text=True)
    with read_transaction(engine) as conn:
        row = conn.execute(select(ApiToken.__table__)).one()
        dump = json.dumps([list(map(str, r)) for r in conn.execute(select(ApiToken.__table__))])
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in dump and token[len(tokens.PREFIX) :] not in dump
    (entry,) = audit_entries(engine, "audit.token_created")
    assert entry.body == {
        "token": row.id,
        "org": world.orgs["v1"].id,
        "by": world.users["admin"].id,
    }
    assert token.encode() not in leaves(engine)

    api = {"Authorization": f"Bearer {token}"}
    anon = client.application.test_client()
    assert anon.get(f"/villages/{V1}", headers=api).status_code == 200
    denied = anon.get(f"/villages/{V2}", headers=api)
    assert denied.status_code == 403 and denied.get_json()["error"]["code"] == "auth.scope"
    assert anon.get("/admin/users", headers=api).status_code == 403

    data = {"csrf_token": csrf_token(client, "/admin/tokens")}
    assert client.post(f"/admin/tokens/{row.id}/revoke", data=data).status_code == 303
    revoked = anon.get(f"/villages/{V1}", headers=api)
    assert revoked.status_code == 401
    assert revoked.get_json()["error"]["code"] == "auth.token_invalid"
    assert revoked.headers["WWW-Authenticate"] == "Bearer"
    assert len(audit_entries(engine, "audit.token_revoked")) == 1


@pytest.mark.parametrize(
    "header",
    ["Bearer clt_notatoken", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 5000, "Token abc"],
)
def test_bad_authorization_headers_are_401_json(client, header):
    response = client.get("/", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] in {"auth.token_invalid", "auth.scheme"}


def test_bearer_requests_ignore_cookies_and_skip_csrf(app, client, login, world, engine):
    """A bearer-token request acts as the token only (a session cookie beside it is ignored),
    so it needs no CSRF token."""
    login("admin")
    with write_transaction(engine) as conn:
        token, _ = services.create_token(
            conn, world.orgs["v1"].id, "x", created_by=None, actor="test"
        )
    response = client.get("/admin/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    response = client.post(
        "/admin/orgs",
        data={"kind": "village", "code": "350428102277", "name": "x"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403  # refused by role, not by CSRF


def test_token_service_rejects_bad_scope(engine):
    from ledger.core.errors import ValidationError

    with pytest.raises(ValidationError), write_transaction(engine) as conn:
        services.create_token(conn, 99999, "x", created_by=None, actor="test")


# --- headers, templates -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/signin", "/log/checkpoint", "/nope", f"/villages/{V1}"])
def test_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_signed_in_pages_are_not_cached(client, login):
    login("village")
    response = client.get("/home")
    assert response.headers["Cache-Control"] == "no-store"


def test_templates_have_no_inline_script_or_style():
    for path in (REPO / "templates").rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source), path
        assert not re.search(r"\son[a-z]+\s*=", source), path
        assert not re.search(r"\sstyle\s*=", source), path
        assert "<style" not in source, path


def test_base_template_is_mobile_first_and_switchable(client):
    page = client.get("/").get_data(as_text=True)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert 'media="print"' in page
    assert "/prefs/language/en" in page and "/prefs/text/large" in page
    assert '<html lang="zh-CN"' in page
    css = (REPO / "static" / "css" / "app.css").read_text()
    height = float(re.search(r"body\s*{[^}]*line-height:\s*([\d.]+)", css).group(1))
    assert height >= 1.3


def test_language_and_text_size_switch(client):
    response = client.get("/prefs/language/en?next=/signin")
    assert response.status_code == 303 and response.headers["Location"] == "/signin"
    assert "HttpOnly" in response.headers["Set-Cookie"]
    page = client.get("/signin").get_data(as_text=True)
    assert '<html lang="en"' in page and "Sign in" in page
    assert client.get("/prefs/language/xx").status_code == 404
    response = client.get("/prefs/text/large?next=https://evil.example/")
    assert response.headers["Location"] == "/"
    assert 'class="text-large"' in client.get("/").get_data(as_text=True)
    assert client.get("/prefs/text/huge").status_code == 404


# --- errors -------------------------------------------------------------------------------


def test_errors_are_json_under_api_and_log_and_pages_elsewhere(client):
    for path, status, code in [
        ("/log/proof/inclusion?seq=x&size=1", 422, "request.integer"),
        ("/log/proof/inclusion?seq=5&size=1", None, None),
        ("/log/nothing", 404, "http.404"),
        ("/api/nothing", 404, "http.404"),
    ]:
        response = client.get(path)
        assert response.is_json, path
        error = response.get_json()["error"]
        assert set(error) == {"code", "message", "details"}
        if status:
            assert response.status_code == status and error["code"] == code
        else:
            assert 400 <= response.status_code < 500
    page = client.get("/no/such/page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert client.post("/").status_code in (400, 405)
    assert client.get("/signout").status_code == 405
    assert client.get("/admin/users/abc/disable").status_code == 404


def test_admin_bad_inputs_get_clear_errors(client, login):
    login("admin")
    english(client)
    token = csrf_token(client, "/admin/orgs")
    cases = [
        ({"kind": "village", "code": "35042810", "name": "x"}, "12-digit"),
        ({"kind": "court", "code": "XX0428", "name": "x"}, "court code"),
        ({"kind": "court", "code": "闽0428", "name": "x", "division": "440000"}, "division"),
        ({"kind": "bureau", "code": "350", "name": "x"}, "division code"),
        ({"kind": "planet", "code": "35", "name": "x"}, "Not a valid choice"),
        ({"kind": "village", "code": "350428102201", "name": "dup"}, "already exists"),
        ({"kind": "village", "code": "350428102266", "name": ""}, "This field is required"),
    ]
    for data, message in cases:
        response = client.post("/admin/orgs", data={**data, "csrf_token": token})
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), (data, message)
    users = [
        (
            {"username": "Bad Name!", "role": "admin", "org": "", "password": "long enough pw"},
            "username",
        ),
        (
            {"username": "okname", "role": "village", "org": "", "password": "long enough pw"},
            "organisation",
        ),
        ({"username": "okname", "role": "admin", "org": "", "password": "short"}, "10 to 256"),
        (
            {"username": "v1clerk", "role": "admin", "org": "", "password": "long enough pw"},
            "taken",
        ),
        ({"username": "okname", "role": "admin", "org": "zz", "password": "long enough pw"}, None),
    ]
    for data, message in users:
        response = client.post("/admin/users", data={**data, "csrf_token": token})
        if message is None:
            assert response.status_code == 303  # garbage org for an admin is "no org"
            continue
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), (data, message)
    response = client.post("/admin/users/99999/disable", data={"csrf_token": token})
    assert response.status_code == 303
    assert "no such user" in client.get("/admin/users").get_data(as_text=True)


# --- audit chain --------------------------------------------------------------------------


def test_audit_log_verifies_and_holds_no_secrets(app, client, login, world, engine):
    sign_in(app.test_client(), username("court"), "wrong password!")
    login("admin")
    token = csrf_token(client, "/admin/users")
    client.post(
        "/admin/users",
        data={
            "username": "newbie",
            "role": "admin",
            "org": "",
            "password": "initial password 1",
            "csrf_token": token,
        },
    )
    client.post(
        "/admin/tokens",
        data={"org": str(world.orgs["court"].id), "label": "court app", "csrf_token": token},
    )
    client.post(f"/admin/users/{world.users['victim'].id}/disable", data={"csrf_token": token})
    kinds = {e.kind for e in audit_entries(engine)}
    assert {
        "audit.org_created",
        "audit.user_created",
        "audit.signin",
        "audit.signin_failed",
        "audit.token_created",
        "audit.user_disabled",
    } <= kinds
    assert verify_log(engine, [], log="audit") == []
    blob = leaves(engine)
    assert b"initial password 1" not in blob and PASSWORD.encode() not in blob
    assert b"argon2" not in blob
    with read_transaction(engine) as conn:
        hashes = [r.password_hash for r in conn.execute(select(AppUser.__table__))]
    assert all(h.startswith("$argon2id$") for h in hashes)


def test_exports_are_recorded(app, client, login, world, engine):
    from ledger.webkit import authz

    login("village")
    with app.test_request_context("/"):
        # a request carrying the village clerk's session
        from flask_login import login_user

        from ledger.web.auth import WebUser

        login_user(WebUser(world.users["village"]))
        authz.record_export("distribution.csv", world.orgs["v1"], {"rows": 12})
    (entry,) = audit_entries(engine, "audit.export")
    assert entry.body == {
        "what": "distribution.csv",
        "org": world.orgs["v1"].id,
        "details": {"rows": 12},
    }
    assert entry.actor == f"user:{world.users['village'].id}"
