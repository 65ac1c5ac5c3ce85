"""The reconciliation and scheduler pages: the authorisation matrix (every endpoint of both
blueprints, every role), findings within a bureau's division, acknowledging, the CSV report
for Excel, adding a source, and the runs page that refreshes itself while a run is going."""

from __future__ import annotations

import itertools
import shutil
import urllib.parse

import pytest
from werkzeug.exceptions import NotFound

from ledger.accounts import services
from ledger.reconcile import findings, sources
from ledger.reconcile.findings import DOUBLE, MISSING, Found, record
from ledger.scheduler import runs
from ledger.storage.db import write_transaction
from tests.support.matrix import Matrix
from tests.support.web import csrf_token, english, sign_in
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
BUREAUS = {"county", "province", "other_county"}
TOKEN = {"token": 403}

READ_ROWS = [
    M.only("/reconcile/", BUREAUS, **TOKEN),
    M.only("/reconcile/findings/{finding}", {"county", "province"}, other_county=404, **TOKEN),
    M.only(
        "/reconcile/findings/999999", set(), other_county=404, county=404, province=404, **TOKEN
    ),
    M.only("/reconcile/report.csv", BUREAUS, **TOKEN),
    # another county's bureau has no finding: sent back to the findings page
    M.only("/reconcile/report.pdf", {"county", "province"}, other_county=303, **TOKEN),
    M.only("/reconcile/sources", BUREAUS | {"admin"}, **TOKEN),
    M.only("/scheduler/runs", BUREAUS | {"admin"}, **TOKEN),
    M.only("/scheduler/runs/{run}", BUREAUS | {"admin"}, **TOKEN),
    M.only(
        "/scheduler/runs/999999",
        set(),
        county=404,
        province=404,
        other_county=404,
        admin=404,
        **TOKEN,
    ),
]
WRITE_ROWS = [
    # an empty note: refused for the bureaus that see the finding, 404 for another county's
    M.only(
        "/reconcile/findings/{finding}/acknowledge",
        {"county", "province"},
        "POST",
        ok=422,
        other_county=404,
        **TOKEN,
    ),
    M.only("/reconcile/sources", BUREAUS | {"admin"}, "POST", ok=303, **TOKEN),
    M.only("/reconcile/sources/no-such/remove", BUREAUS | {"admin"}, "POST", ok=404, **TOKEN),
]
_serial = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"reconcile-{request.param}")
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
    with write_transaction(engine) as conn:
        token, _ = services.create_token(
            conn, world.orgs["county"].id, "county api", created_by=None, actor="test"
        )
    record(
        engine,
        [Found(MISSING, "gs", "B", ((1, 500),), 500, log_seqs=(0,), divisions=("350428",))],
        "t",
    )
    (finding,) = findings.list_findings(engine, "350428")
    run = runs.claim(engine, "log.checkpoint", "2026-03-01T00:00:00Z", "elsewhere:1:x")
    clients = {}
    for role in ROLES:
        client = app.test_client()
        if role in USER_OF:
            assert sign_in(client, USERS[USER_OF[role]][0]).status_code == 302
        clients[role] = client
    headers = {role: {} for role in ROLES}
    headers["token"] = {"Authorization": f"Bearer {token}"}
    ids = {"finding": finding.seq, "run": run.id}
    yield app, engine, clients, headers, ids
    engine.dispose()
    if server is not None:
        server.drop(name)


@pytest.mark.parametrize(("method", "path", "role", "status"), M.cases(READ_ROWS))
def test_read(site, method, path, role, status):
    _, _, clients, headers, ids = site
    response = clients[role].open(path.format(**ids), method=method, headers=headers[role])
    assert response.status_code == status, response.get_data(as_text=True)[:300]


def _form(path: str, n: int) -> dict:
    if path == "/reconcile/sources":
        return {
            "name": f"src-{n}",
            "format": "verra",
            "location_kind": "folder",
            "location": f"/srv/registry/{n}",
            "cron": "0 3 * * *",
            "division": "350428",
            "enabled": "y",
        }
    return {"note": ""}


@pytest.mark.parametrize(("method", "path", "role", "status"), M.cases(WRITE_ROWS))
def test_write(site, method, path, role, status):
    _, _, clients, headers, ids = site
    data = _form(path, next(_serial))
    if role != "token":
        data["csrf_token"] = csrf_token(clients[role], "/" if role in USER_OF else "/signin")
    response = clients[role].open(
        path.format(**ids), method=method, data=data, headers=headers[role]
    )
    assert response.status_code == status, response.get_data(as_text=True)[:500]


def test_every_endpoint_is_in_the_matrix(site):
    app = site[0]
    adapter = app.url_map.bind("localhost")
    covered = set()
    for method, path, _ in READ_ROWS + WRITE_ROWS:
        path = urllib.parse.unquote(path.format(finding=1, run=1))
        try:
            endpoint, _ = adapter.match(path, method=method)
        except NotFound:
            continue
        covered.add((endpoint, method))
    every = {
        (r.endpoint, m)
        for r in app.url_map.iter_rules()
        if r.endpoint.partition(".")[0] in {"reconcile", "scheduler"}
        for m in r.methods - {"HEAD", "OPTIONS"}
    }
    assert every - covered == set()


# --- what the pages say ---------------------------------------------------------------------


@pytest.fixture
def bureau(db_url, tmp_path):
    app = make_app(db_url, tmp_path / "instance")
    seed(app)
    client = app.test_client()
    assert sign_in(client, USERS["bureau_county"][0]).status_code == 302
    yield app, app.extensions["ledger.engine"], client
    app.extensions["ledger.engine"].dispose()


def test_findings_summary_acknowledge_and_report(bureau):
    _app, engine, client = bureau
    record(
        engine,
        [
            Found(
                DOUBLE,
                "gs",
                "B",
                ((401, 500),),
                100,
                registry_rows=("a" * 64,),
                divisions=("350428",),
            ),
            Found(MISSING, "verra", "", ((7, 9),), 3, log_seqs=(0,), divisions=("350403",)),
        ],
        "t",
    )
    page = client.get("/reconcile/").get_data(as_text=True)
    assert "重复注销" in page or "注销两次" in page or "两次" in page
    assert "verra" not in page  # another county's finding
    (mine,) = findings.list_findings(engine, "350428")
    detail = client.get(f"/reconcile/findings/{mine.seq}").get_data(as_text=True)
    key = detail.split('name="idempotency_key" type="hidden" value="')[1].split('"')[0]
    token = csrf_token(client, f"/reconcile/findings/{mine.seq}")
    response = client.post(
        f"/reconcile/findings/{mine.seq}/acknowledge",
        data={"note": "已向注册处核实", "idempotency_key": key, "csrf_token": token},
    )
    assert response.status_code == 303
    assert findings.get_finding(engine, mine.seq).acknowledged_seq is not None
    csv = client.get("/reconcile/report.csv")
    assert csv.mimetype == "text/csv" and csv.data.startswith(b"\xef\xbb\xbf")
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith(f"{mine.seq},")
    english(client)
    assert "Retired twice" in client.get("/reconcile/").get_data(as_text=True)


def test_a_bureau_adds_a_source_of_its_own_division(bureau):
    _, engine, client = bureau
    token = csrf_token(client, "/reconcile/sources")
    form = {
        "name": "haixia",
        "format": "verra",
        "location_kind": "http",
        "location": "https://example.org/export.csv",
        "cron": "30 2 * * 1",
        "division": "35",  # ignored: a bureau adds sources of its own division
        "enabled": "y",
        "csrf_token": token,
    }
    assert client.post("/reconcile/sources", data=form).status_code == 303
    (source,) = sources.list_sources(engine)
    assert source.division == "350428" and source.cron == "30 2 * * 1"
    bad = client.post("/reconcile/sources", data={**form, "name": "other", "cron": "daily"})
    assert bad.status_code == 422 and "error-summary" in bad.get_data(as_text=True)
    assert len(sources.list_sources(engine)) == 1


def test_the_runs_page_refreshes_while_a_run_is_going(bureau):
    _, engine, client = bureau
    run = runs.claim(engine, "log.checkpoint", "2026-03-01T00:00:00Z", "elsewhere:1:x")
    page = client.get("/scheduler/runs").get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and "<progress" in page
    assert "签署检查点" in page or "检查点" in page
    runs.perform(engine, app_settings(bureau), run, lambda ctx: {"signed": 1, "size": 3}, {})
    page = client.get("/scheduler/runs").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page


def app_settings(bureau):
    return bureau[0].extensions["ledger.settings"]


def test_the_runs_page_shows_a_bureau_its_division_s_runs_and_the_ledger_s(bureau):
    app, engine, client = bureau
    mine = runs.claim(engine, "reconcile.fetch:jl", "2026-03-01T00:00:00Z", "h:1:x", "350428")
    theirs = runs.claim(engine, "reconcile.fetch:sy", "2026-03-01T00:00:00Z", "h:1:x", "350403")
    ledger = runs.claim(engine, "log.checkpoint", "2026-03-01T00:00:00Z", "h:1:x")
    page = client.get("/scheduler/runs").get_data(as_text=True)
    assert f"/scheduler/runs/{mine.id}" in page and f"/scheduler/runs/{ledger.id}" in page
    assert f"/scheduler/runs/{theirs.id}" not in page
    assert client.get(f"/scheduler/runs/{theirs.id}").status_code == 404
    assert client.get(f"/scheduler/runs/{mine.id}").status_code == 200
    other = app.test_client()
    assert sign_in(other, USERS["bureau_other"][0]).status_code == 302
    page = other.get("/scheduler/runs").get_data(as_text=True)
    assert f"/scheduler/runs/{theirs.id}" in page and f"/scheduler/runs/{mine.id}" not in page
    province = app.test_client()
    assert sign_in(province, USERS["bureau_province"][0]).status_code == 302
    page = province.get("/scheduler/runs").get_data(as_text=True)
    assert f"/scheduler/runs/{theirs.id}" in page and f"/scheduler/runs/{mine.id}" in page
