"""Each /api/v1 operation: the happy path, who may call it (no token → 401, outside one's
scope → 403, unknown organisation → 404) and JSON errors in one shape."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from ledger.core.note import open_note, parse_checkpoint
from ledger.core.proof import verify_consistency, verify_inclusion
from ledger.services.keys import load_signer
from ledger.services.log import append_batch
from tests.api.conftest import V1, V2, V3, error_of, json_of, note
from tests.support.world import COURT_ACCOUNT, ORIGIN, SEEDED, V1_ACCOUNT

# --- principal ----------------------------------------------------------------------------


def test_me_describes_the_token(api, world):
    body = json_of(api.get("/api/v1/me", as_="v1"))
    assert body == {
        "kind": "token",
        "id": world.token_ids["v1"],
        "role": "village",
        "actor": f"token:{world.token_ids['v1']}",
        "name": "v1 script",
        "org": {
            "kind": "village",
            "code": V1,
            "name": "常口村",
            "level": "village",
            "division": V1,
        },
    }


def test_me_needs_a_principal(api):
    error = error_of(api.get("/api/v1/me"), 401)
    assert error["code"] == "auth.required"


BAD_AUTHORIZATION = [
    "Bearer clt_not-a-real-token",
    "Bearer nonsense",
    "Basic dXNlcjpwYXNz",
    "Bearer",
]


def test_a_bad_authorization_header_is_401_everywhere(api):
    for header in BAD_AUTHORIZATION:
        for path in ("/api/v1/me", "/api/v1/log/entries", "/api/v1/orgs/350428102201"):
            response = api.get(path, headers={"Authorization": header})
            error = error_of(response, 401)
            assert error["code"].startswith("auth."), (header, path)
            assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_revoked_token_is_refused(api, world, engine):
    from ledger.accounts import services
    from ledger.storage.db import write_transaction

    assert api.get("/api/v1/me", as_="v2").status_code == 200
    with write_transaction(engine) as conn:
        services.revoke_token(conn, world.token_ids["v2"], actor="t")
    assert error_of(api.get("/api/v1/me", as_="v2"), 401)["code"] == "auth.token_invalid"


# --- the log ------------------------------------------------------------------------------


def test_checkpoint_fields_match_the_signed_note(api, app):
    body = json_of(api.get("/api/v1/log/checkpoint"))
    signer = load_signer(app.extensions["ledger.settings"].key_path, ORIGIN)
    cp = parse_checkpoint(open_note(body["note"], [signer.verifier()]).text)
    assert (body["origin"], body["size"], body["root"]) == (ORIGIN, cp.size, cp.root.hex())
    assert body["size"] == SEEDED
    assert body["number"] == 0
    assert body["created_at"].endswith("Z")


def test_checkpoint_is_404_before_the_first_one(db_url, tmp_path):
    from tests.support.world import make_app

    app = make_app(db_url, tmp_path / "fresh")
    try:
        error = error_of(app.test_client().get("/api/v1/log/checkpoint"), 404)
        assert error["code"] == "checkpoint.none"
    finally:
        app.extensions["ledger.engine"].dispose()


def test_entries_are_paged_by_seq(api, engine):
    append_batch(engine, [note(i) for i in range(1, 6)])  # 7 entries in all
    body = json_of(api.get("/api/v1/log/entries"))
    assert (body["start"], body["end"], body["size"], body["next"]) == (0, 7, 7, None)
    assert [e["seq"] for e in body["entries"]] == list(range(7))
    for e in body["entries"]:
        if e["seq"] < SEEDED:  # the seeded sale and purchase are scoped: hash only
            assert (e["kind"], e["leaf"]) == (None, None)
            continue
        leaf = base64.b64decode(e["leaf"])
        assert hashlib.sha256(b"\x00" + leaf).hexdigest() == e["leaf_hash"]
        assert json.loads(leaf)["seq"] == e["seq"]
        assert json.loads(leaf)["kind"] == e["kind"]

    page = json_of(api.get("/api/v1/log/entries?start=2&end=5"))
    assert [e["seq"] for e in page["entries"]] == [2, 3, 4]
    assert (page["end"], page["next"]) == (5, None)
    beyond = json_of(api.get("/api/v1/log/entries?start=50"))
    assert (beyond["entries"], beyond["start"], beyond["end"], beyond["next"]) == ([], 50, 50, None)


#: Which seeded entries (0: a sale to village v1, 1: a purchase into the 将乐 court's escrow)
#: each token reads: its own organisation's, a county bureau those in its county.
READS = {
    None: set(),
    "v1": {0},
    "v2": set(),
    "v3": set(),
    "court": {1},
    "county": {0, 1},
    "other_county": set(),
}


@pytest.mark.parametrize("who", list(READS))
def test_entry_contents_are_read_only_within_scope(api, who):
    body = json_of(api.get("/api/v1/log/entries", as_=who))
    read = {e["seq"] for e in body["entries"] if e["leaf"] is not None}
    assert read == READS[who]
    for e in body["entries"]:  # the leaf hash is public; the salt keeps it from confirming
        assert len(e["leaf_hash"]) == 64  # a guess of the contents
        if e["leaf"] is not None:
            assert len(json.loads(base64.b64decode(e["leaf"]))["body"]["salt"]) == 32


def test_entries_pages_stop_at_1000(api, engine, monkeypatch):
    from ledger.web.api import views

    monkeypatch.setattr(views, "MAX_PAGE", 3)
    append_batch(engine, [note(i) for i in range(1, 6)])
    seen, start = [], 0
    while start is not None:
        page = json_of(api.get(f"/api/v1/log/entries?start={start}"))
        assert len(page["entries"]) <= 3
        seen += [e["seq"] for e in page["entries"]]
        start = page["next"]
    assert seen == list(range(7))


def test_entries_page_size_is_documented_as_1000():
    from ledger.web.api import schemas, views

    assert views.MAX_PAGE == schemas.MAX_PAGE == 1000


BAD_ENTRIES_QUERIES = [
    ("start=-1", "request.query"),
    ("start=x", "request.query"),
    ("end=1.5", "request.query"),
    ("start=5&end=2", "request.range"),
    ("start=99999999999999999999", "request.query"),
]


def test_bad_entries_queries_are_422(api):
    for query, code in BAD_ENTRIES_QUERIES:
        error = error_of(api.get(f"/api/v1/log/entries?{query}"), 422)
        assert error["code"] == code, query


def test_inclusion_proof_verifies(api, engine):
    append_batch(engine, [note(i) for i in range(1, 9)])  # 10 entries
    body = json_of(api.get("/api/v1/log/proof/inclusion?seq=3&size=10"))
    assert (body["leaf_index"], body["tree_size"]) == (3, 10)
    verify_inclusion(
        bytes.fromhex(body["leaf_hash"]),
        3,
        10,
        [bytes.fromhex(h) for h in body["proof"]],
        bytes.fromhex(body["root"]),
    )


def test_consistency_proof_verifies(api, engine):
    append_batch(engine, [note(i) for i in range(1, 9)])
    body = json_of(api.get("/api/v1/log/proof/consistency?old=3&new=10"))
    verify_consistency(
        3,
        10,
        [bytes.fromhex(h) for h in body["proof"]],
        bytes.fromhex(body["old_root"]),
        bytes.fromhex(body["new_root"]),
    )


BAD_PROOF_REQUESTS = [
    ("/api/v1/log/proof/inclusion?seq=5&size=99", 404, "tree.size_too_large"),
    ("/api/v1/log/proof/inclusion?seq=2&size=2", 422, "tree.index"),
    ("/api/v1/log/proof/inclusion?seq=0", 422, "request.query"),
    ("/api/v1/log/proof/inclusion?seq=0&size=0", 422, "request.query"),
    ("/api/v1/log/proof/consistency?old=2&new=1", 422, "tree.old_size"),
    ("/api/v1/log/proof/consistency?old=1&new=99", 404, "tree.size_too_large"),
    ("/api/v1/log/proof/consistency?old=0&new=2", 422, "request.query"),
]


def test_bad_proof_requests(api, engine):
    append_batch(engine, [note(i) for i in range(1, 9)])  # 10 entries
    for path, status, code in BAD_PROOF_REQUESTS:
        assert error_of(api.get(path), status)["code"] == code, path


# --- organisations ------------------------------------------------------------------------


def test_a_village_token_reads_its_village(api):
    body = json_of(api.get(f"/api/v1/orgs/{V1}", as_="v1"))
    assert (body["kind"], body["code"], body["name"], body["orgs"]) == ("village", V1, "常口村", [])
    balances = json_of(api.get(f"/api/v1/orgs/{V1}/balances", as_="v1"))
    assert balances["org"]["code"] == V1
    assert balances["balances"] == [
        {"account": V1_ACCOUNT, "commodity": "CNY", "balance": 4_084_500, "unit": "fen",
         "last_seq": 0},
        {"account": V1_ACCOUNT, "commodity": "CO2E", "balance": -1_000, "unit": "kg",
         "last_seq": 0},
    ]  # fmt: skip


def test_a_village_token_cannot_read_another_village(api):
    for path in (f"/api/v1/orgs/{V2}", f"/api/v1/orgs/{V2}/balances", "/api/v1/orgs/350428"):
        assert error_of(api.get(path, as_="v1"), 403)["code"] == "auth.scope"


def test_unknown_organisations_are_404(api):
    for code in ("350428102299", "闽0999", "3599", "not-a-code", "35042810220"):
        error_of(api.get(f"/api/v1/orgs/{code}", as_="county"), 404)
        error_of(api.get(f"/api/v1/orgs/{code}/balances", as_="county"), 404)


def test_organisations_need_a_principal(api):
    assert error_of(api.get(f"/api/v1/orgs/{V1}"), 401)["code"] == "auth.required"
    assert error_of(api.get("/api/v1/orgs/not-a-code/balances"), 401)["code"] == "auth.required"


def test_a_county_bureau_reads_its_county(api):
    body = json_of(api.get("/api/v1/orgs/350428", as_="county"))
    assert body["kind"] == "bureau" and body["level"] == "county"
    assert sorted(o["code"] for o in body["orgs"]) == sorted([V1, V2, "闽0428"])
    assert json_of(api.get(f"/api/v1/orgs/{V2}", as_="county"))["code"] == V2
    court = json_of(api.get("/api/v1/orgs/闽0428/balances", as_="county"))
    assert court["balances"][0]["account"] == COURT_ACCOUNT
    assert error_of(api.get(f"/api/v1/orgs/{V3}", as_="county"), 403)["code"] == "auth.scope"
    assert error_of(api.get("/api/v1/orgs/350403", as_="county"), 403)["code"] == "auth.scope"


def test_a_court_token_reads_its_court_only(api):
    assert json_of(api.get("/api/v1/orgs/闽0428", as_="court"))["kind"] == "court"
    assert json_of(api.get("/api/v1/orgs/%E9%97%BD0428/balances", as_="court"))["balances"]
    error_of(api.get(f"/api/v1/orgs/{V1}", as_="court"), 403)


def test_admin_session_reads_no_books(client, app):
    from tests.api.conftest import sign_in

    sign_in(client, "admin")
    assert json_of(client.get("/api/v1/me"))["role"] == "admin"
    assert error_of(client.get(f"/api/v1/orgs/{V1}"), 403)["code"] == "auth.scope"


def test_a_session_reads_like_its_user(client):
    from tests.api.conftest import sign_in

    sign_in(client, "clerk")
    me = json_of(client.get("/api/v1/me"))
    assert (me["kind"], me["role"], me["org"]["code"]) == ("user", "village", V1)
    assert json_of(client.get(f"/api/v1/orgs/{V1}/balances"))["balances"]
    error_of(client.get(f"/api/v1/orgs/{V2}"), 403)


# --- errors under /api/ -------------------------------------------------------------------


def test_unknown_paths_and_methods_are_json(api):
    error = error_of(api.get("/api/v1/nothing-here"), 404)
    assert error["code"] == "http.404"
    error = error_of(api.post("/api/v1/me", as_="v1", json={}), 405)
    assert error["code"] == "http.405"
    error_of(api.get("/api/v2/me"), 404)


def test_pages_keep_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_an_unsupported_method_is_405_with_allow(api):
    response = api.client.delete("/api/v1/log/checkpoint")
    assert error_of(response, 405)["code"] == "http.405"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET"}
    assert "DELETE" not in response.headers["Allow"]
