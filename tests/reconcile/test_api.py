"""The reconciliation JSON API on both databases: the role×endpoint matrix (every operation,
every role, tokens and people), sources within a bureau's division, the same source added
twice answered with it and another under a taken name refused, findings and acknowledging one
through the API (a log entry, once per Idempotency-Key), and every operation in OpenAPI."""

from __future__ import annotations

import itertools
import shutil

import pytest

from ledger.accounts import services
from ledger.reconcile import findings, sources
from ledger.reconcile.findings import MISSING, Found, record
from ledger.storage.db import write_transaction
from tests.support.matrix import Matrix
from tests.support.web import csrf_token, sign_in
from tests.support.world import USERS, make_app, seed

ROLES = ("anonymous", "village", "court", "county", "province", "other_county", "admin", "token")
USER_OF = {
    "village": "village",
    "court": "court",
    "county": "bureau_county",
    "province": "bureau_province",
    "other_county": "bureau_other",
    "admin": "admin",
}
M = Matrix(ROLES)
BUREAUS = {"county", "province", "other_county", "token"}
API = "/api/v1/reconcile"


def source(name, **change):
    return {
        "name": name, "format": "verra", "location_kind": "folder",
        "location": f"/srv/registry/{name}", "cron": "0 3 * * *", "division": "350428",
        **change,
    }  # fmt: skip


ROWS = [
    M.only(f"{API}/sources", BUREAUS | {"admin"}, anonymous=401),
    M.only(f"{API}/findings", BUREAUS, anonymous=401),
    # writes: a body the API refuses (422) reaches validation only for those allowed
    M.only(f"{API}/sources", BUREAUS | {"admin"}, "POST", ok=422, anonymous=401),
    M.only(f"{API}/sources/county-src", BUREAUS | {"admin"}, "PUT", ok=422, anonymous=401),
    # another county's bureau does not see the county's source
    M.only(f"{API}/sources/no-such", BUREAUS | {"admin"}, "DELETE", ok=404, anonymous=401),
    M.only(
        f"{API}/findings/{{finding}}/acknowledgements",
        BUREAUS,
        "POST",
        ok=422,
        anonymous=401,
    ),
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"reconcile-api-{request.param}")
    server = None
    if request.param == "sqlite":
        path = tmp / "ledger.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        server = request.getfixturevalue("pg_server")
        name = server.create()
        url = server.url(name)
    app = make_app(url, tmp / "instance")
    world = seed(app)
    engine = app.extensions["ledger.engine"]
    tokens = {}
    with write_transaction(engine) as conn:
        for key in ("county", "other_county"):
            secret, _ = services.create_token(
                conn, world.orgs[key].id, f"{key} api", created_by=None, actor="test"
            )
            tokens[key] = {"Authorization": f"Bearer {secret}"}
    sources.create_source(engine, actor="t", **{k: v for k, v in source("county-src").items()})
    record(
        engine,
        [Found(MISSING, "verra", "", ((1, 50),), 50, log_seqs=(0,), divisions=("350428",))],
        "t",
    )
    (finding,) = findings.list_findings(engine, "350428")
    clients = {}
    for role in ROLES:
        client = app.test_client()
        if role in USER_OF:
            assert sign_in(client, USERS[USER_OF[role]][0]).status_code == 302
        clients[role] = client
    headers = {
        role: {"X-CSRFToken": csrf_token(clients[role], "/" if role in USER_OF else "/signin")}
        for role in ROLES
    }
    headers["token"] = tokens["county"]
    yield app, engine, clients, headers, tokens, finding.seq
    engine.dispose()
    if server is not None:
        server.drop(name)


_keys = itertools.count(1)


@pytest.mark.parametrize(("method", "path", "role", "status"), M.cases(ROWS))
def test_matrix(site, method, path, role, status):
    _, _, clients, headers, _, finding = site
    kwargs = {}
    if method != "GET":
        kwargs["json"] = {"surprise": True}
        headers = {**headers[role], "Idempotency-Key": f"k-{next(_keys)}"}
    else:
        headers = headers[role]
    response = clients[role].open(
        path.format(finding=finding), method=method, headers=headers, **kwargs
    )
    assert response.status_code == status, response.get_data(as_text=True)[:300]


def _call(client, method, path, headers, body=None, key=None):
    key = key or f"k-{next(_keys)}"
    return client.open(path, method=method, json=body, headers={**headers, "Idempotency-Key": key})


def test_sources_within_the_bureau_s_division(site):
    _, engine, clients, _, tokens, _ = site
    county, other = tokens["county"], tokens["other_county"]
    client = clients["anonymous"]
    created = _call(client, "POST", f"{API}/sources", county, source("gs-weekly", format="gs"))
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["division"] == "350428"
    # The same source again answers with it; another one under the taken name is refused.
    again = _call(client, "POST", f"{API}/sources", county, source("gs-weekly", format="gs"))
    assert again.status_code == 201 and again.get_json() == created.get_json()
    taken = _call(client, "POST", f"{API}/sources", county, source("gs-weekly", format="car"))
    assert taken.status_code == 409 and taken.get_json()["error"]["code"] == "source.exists"
    # A bureau's source is its division's, whatever division the body names.
    theirs = _call(client, "POST", f"{API}/sources", other, source("other-src", division="350428"))
    assert theirs.get_json()["division"] == "350403"
    names = {s["name"] for s in client.get(f"{API}/sources", headers=county).get_json()["sources"]}
    assert "gs-weekly" in names and "other-src" not in names
    # Another county's bureau can neither change nor remove it.
    assert _call(client, "DELETE", f"{API}/sources/gs-weekly", other).status_code == 404
    changed = _call(
        client,
        "PUT",
        f"{API}/sources/gs-weekly",
        county,
        {k: v for k, v in source("x", format="gs", enabled=False, cron="30 2 * * 1").items()
         if k != "name"},
    )  # fmt: skip
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["cron"], changed.get_json()["enabled"]) == ("30 2 * * 1", False)
    bad = _call(client, "POST", f"{API}/sources", county, source("bad-cron", cron="every day"))
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "schedule.cron"
    assert _call(client, "DELETE", f"{API}/sources/gs-weekly", county).status_code == 204
    assert sources.list_sources(engine, "350428")[0].name == "county-src"


def test_findings_and_acknowledging_through_the_api(site):
    _, engine, clients, _, tokens, finding = site
    client = clients["anonymous"]
    answer = client.get(f"{API}/findings?class=missing_in_registry", headers=tokens["county"])
    body = answer.get_json()
    assert [f["seq"] for f in body["findings"]] == [finding]
    assert (
        body["findings"][0]["finding_class"] == MISSING and body["summary"][MISSING]["count"] == 1
    )
    assert (
        client.get(f"{API}/findings", headers=tokens["other_county"]).get_json()["findings"] == []
    )
    path = f"{API}/findings/{finding}/acknowledgements"
    refused = _call(client, "POST", path, tokens["other_county"], {"note": "看看"})
    assert refused.status_code == 404
    first = _call(client, "POST", path, tokens["county"], {"note": "已向登记机构核实"}, key="ack")
    assert first.status_code == 201 and first.get_json()["finding"] == finding
    again = _call(client, "POST", path, tokens["county"], {"note": "已向登记机构核实"}, key="ack")
    assert again.get_json() == first.get_json()
    twice = _call(client, "POST", path, tokens["county"], {"note": "再次"})
    assert twice.status_code == 409
    assert findings.get_finding(engine, finding).acknowledged_seq == first.get_json()["seq"]


def test_every_operation_is_in_the_openapi_document(site):
    client = site[2]["anonymous"]
    doc = client.get("/api/v1/openapi.json").get_json()
    paths = {p: set(ops) for p, ops in doc["paths"].items() if p.startswith(API)}
    assert paths == {
        f"{API}/sources": {"get", "post"},
        f"{API}/sources/{{name}}": {"put", "delete"},
        f"{API}/findings": {"get"},
        f"{API}/findings/{{seq}}/acknowledgements": {"post"},
    }
