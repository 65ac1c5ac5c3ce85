"""Anchoring documents through the API: who may, what is appended, and idempotency (same key
and body → the original result; other body → 409; no key → 422; keys are per principal)."""

from __future__ import annotations

import base64
import hashlib
import json

from tests.api.conftest import error_of, json_of, sign_in
from tests.support.world import SEEDED

DOC = b"%PDF-1.7 village assembly resolution"
SHA = hashlib.sha256(DOC).hexdigest()
BODY = {"sha256": SHA, "size": len(DOC), "title": "村民大会决议 2025-03"}


def anchor(api, as_="v1", key="key-1", body=BODY, **kwargs):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api.post("/api/v1/anchors", as_=as_, json=body, headers=headers, **kwargs)


def test_anchor_appends_a_doc_anchor_entry(api, world):
    response = anchor(api)
    out = json_of(response, 201)
    actor = f"token:{world.token_ids['v1']}"
    assert out["seq"] == SEEDED
    assert (out["sha256"], out["size"], out["title"], out["actor"]) == (
        SHA,
        len(DOC),
        BODY["title"],
        actor,
    )
    assert response.headers["Location"] == f"/api/v1/anchors/{SHA}"

    (entry,) = json_of(api.get(f"/api/v1/log/entries?start={SEEDED}"))["entries"]
    leaf = json.loads(base64.b64decode(entry["leaf"]))
    assert (leaf["kind"], leaf["actor"], leaf["body"]) == ("doc.anchor", actor, BODY)
    assert entry["leaf_hash"] == out["leaf_hash"]

    found = json_of(api.get(f"/api/v1/anchors/{SHA}"))
    assert found == {"sha256": SHA, "anchors": [out]}
    assert json_of(api.get(f"/api/v1/anchors/{SHA.upper()}")) == found


def test_every_org_role_may_anchor(api):
    for i, key in enumerate(("v1", "court", "county")):
        body = {**BODY, "title": f"document {i}"}
        assert json_of(anchor(api, as_=key, body=body), 201)["seq"] == SEEDED + i
    assert len(json_of(api.get(f"/api/v1/anchors/{SHA}"))["anchors"]) == 3


def test_an_admin_session_may_anchor_with_a_csrf_token(client, app):
    token = sign_in(client, "admin")
    headers = {"Idempotency-Key": "admin-1"}
    error = error_of(client.post("/api/v1/anchors", json=BODY, headers=headers), 400)
    assert error["code"] == "request.csrf"
    response = client.post("/api/v1/anchors", json=BODY, headers={**headers, "X-CSRFToken": token})
    assert json_of(response, 201)["actor"].startswith("user:")


def test_anonymous_writes_are_refused(api):
    response = api.post("/api/v1/anchors", json=BODY, headers={"Idempotency-Key": "k"})
    assert error_of(response, 401)["code"] == "auth.required"  # no cookie: no CSRF question
    assert error_of(api.get(f"/api/v1/anchors/{SHA}"), 404)["code"] == "anchor.not_found"


def test_same_key_same_body_returns_the_original(api, engine):
    first = json_of(anchor(api), 201)
    again = anchor(api)
    assert json_of(again, 201) == first
    assert json_of(api.get("/api/v1/log/entries"))["size"] == SEEDED + 1


def test_same_key_other_body_is_409(api):
    first = json_of(anchor(api), 201)
    error = error_of(anchor(api, body={**BODY, "title": "another title"}), 409)
    assert error["code"] == "idempotency.conflict"
    assert error["details"]["first_seq"] == first["seq"]
    assert json_of(api.get("/api/v1/log/entries"))["size"] == SEEDED + 1


def test_keys_are_per_principal(api):
    mine = json_of(anchor(api, as_="v1"), 201)
    theirs = json_of(anchor(api, as_="v2"), 201)  # same key, same body, other client
    assert theirs["seq"] == mine["seq"] + 1
    assert theirs["actor"] != mine["actor"]
    error_of(anchor(api, as_="v2", body={**BODY, "size": 1}), 409)
    assert json_of(anchor(api, as_="v1"), 201) == mine


BAD_KEYS = [None, "", "has space", "x" * 101, "不是ASCII".encode().decode("latin-1")]
BAD_BODIES = [
    {**BODY, "sha256": SHA.upper()},
    {**BODY, "sha256": SHA[:-1]},
    {**BODY, "size": -1},
    {**BODY, "size": "12"},
    {**BODY, "size": 1.0},
    {**BODY, "size": True},
    {**BODY, "size": 2**53},
    {**BODY, "title": "x" * 501},
    {**BODY, "extra": 1},
    {"size": 1},
    [],
    "text",
    None,
]


def test_a_valid_idempotency_key_is_required(api):
    for key in BAD_KEYS:
        headers = {} if key is None else {"Idempotency-Key": key}
        response = api.post("/api/v1/anchors", as_="v1", json=BODY, headers=headers)
        error = error_of(response, 422)
        assert error["code"] == "request.header", key
        assert error["details"]["errors"][0]["loc"] == ["Idempotency-Key"], key
    assert json_of(api.get("/api/v1/log/entries"))["size"] == SEEDED


def test_bad_bodies_are_422_and_append_nothing(api):
    for body in BAD_BODIES:
        response = api.post(
            "/api/v1/anchors", as_="v1", json=body, headers={"Idempotency-Key": "k"}
        )
        error = error_of(response, 422)
        assert error["code"] == "request.body", body
        assert error["details"]["errors"], body
    assert json_of(api.get("/api/v1/log/entries"))["size"] == SEEDED


def test_a_body_that_is_not_json_is_422(api):
    response = api.post(
        "/api/v1/anchors",
        as_="v1",
        data=b"\xff\xfe not json",
        headers={"Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert error_of(response, 422)["code"] == "request.body"


def test_anchor_lookups_need_a_sha256(api):
    for sha in ("abc", "g" * 64, SHA + "0"):
        assert error_of(api.get(f"/api/v1/anchors/{sha}"), 422)["code"] == "request.path", sha


def test_a_deeply_nested_body_is_a_clear_error_not_a_crash(api):
    """100000 nested arrays (or objects) would exhaust the JSON parser's recursion: the API
    answers 422 saying so, and appends nothing."""
    for body in ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000):
        response = api.post(
            "/api/v1/anchors",
            as_="v1",
            data=body,
            headers={"Idempotency-Key": "k", "Content-Type": "application/json"},
        )
        error = error_of(response, 422)
        assert error["code"] == "request.body"
        assert "nested too deeply" in error["message"]
    assert json_of(api.get("/api/v1/log/entries"))["size"] == SEEDED


def test_titles_with_control_characters_or_personal_data_are_refused(api):
    cases = [
        ("判决书\x00扫描件", "text.control", "U+0000"),
        ("决议\n第二行", "text.control", "U+000A"),
        ("\u202egnp.exe", "text.control", "U+202E"),
        ("判决书 11010519491231002X", "text.personal_data", "resident ID number"),
        ("联系 138-1234-5678", "text.personal_data", "mobile phone number"),
        ("卡号 4111 1111 1111 1111", "text.personal_data", "bank card number"),
        ("zhang@example.com 的材料", "text.personal_data", "e-mail address"),
    ]
    for n, (title, code, words) in enumerate(cases):
        response = anchor(api, key=f"k{n}", body={**BODY, "title": title})
        error = error_of(response, 422)
        assert error["code"] == code, title
        assert words in error["message"] and error["details"]["field"] == "title", title
    assert json_of(api.get("/api/v1/log/entries"))["size"] == SEEDED
    for n, title in enumerate(("林业碳票 0000001", "(2022)闽0627刑初123号", "常口村 350428102201")):
        assert anchor(api, key=f"ok{n}", body={**BODY, "title": title}).status_code == 201


def test_an_anonymous_malformed_body_is_401_first(api):
    response = api.post(
        "/api/v1/anchors",
        data="[" * 100_000,
        headers={"Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert error_of(response, 401)["code"]
