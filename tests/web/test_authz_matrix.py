"""The authorisation matrix: for every endpoint, every role (and API tokens), the expected
status. Read rows (GET) share one seeded app per database; write rows (POST) too, but they
only ever change objects made for them. Every endpoint of the app must appear here.

Roles: ``anonymous``; ``village`` (clerk of 常口村 350428102201); ``court`` (将乐县人民法院
闽0428); ``county`` / ``province`` / ``other_county`` bureaus (350428 / 35 / 350403);
``admin``; ``tok_village`` and ``tok_county``: API tokens of 常口村 and of the 将乐县 bureau.
"""

from __future__ import annotations

import itertools
import shutil
import urllib.parse

import pytest
from werkzeug.exceptions import NotFound

from ledger.accounts import services
from ledger.storage.db import write_transaction
from tests.support.matrix import Matrix
from tests.web.conftest import csrf_token, make_app, seed, sign_in

ROLES = (
    "anonymous",
    "village",
    "court",
    "county",
    "province",
    "other_county",
    "admin",
    "tok_village",
    "tok_county",
)
USER_OF = {
    "village": "village",
    "court": "court",
    "county": "bureau_county",
    "province": "bureau_province",
    "other_county": "bureau_other",
    "admin": "admin",
}
M = Matrix(ROLES)
row, public, signed_in, only, _cases = M.row, M.public, M.signed_in, M.only, M.cases
V1, V2, V3 = "350428102201", "350428102202", "350403100201"
COURT, COURT2 = urllib.parse.quote("闽0428"), urllib.parse.quote("闽0403")


NO_TOKENS = {"tok_village": 403, "tok_county": 403}
UNITS_PROJECT = "CT-MATRIX"
UNITS_WRITERS = {"county", "tok_county"}
UNITS_FORMS = tuple(
    f"projects/{UNITS_PROJECT}/{form}"
    for form in ("issue", "transfer", "sale", "pledge", "release", "retire")
)
UNITS_API_WRITES = ("lots", "transfers", "pledges", "releases", "retirements", "sales")
USERS_REDIRECT_HOME = {r: 302 for r in USER_OF}
SHARING = f"/villages/{V1}/sharing"
SHARING_READERS = {"village", "county", "province", "tok_village", "tok_county"}
SHARING_WRITERS = {"village", "tok_village"}
#: A distribution that does not exist: its readers get 404, others are refused before.
NO_DISTRIBUTION = f"{SHARING}/{V1}-999"
#: The judicial case seeded for the matrix (see :func:`seed_judicial`) and its pages.
CASE = "2023-XC-45"
JUDICIAL_READERS = {"court", "county", "province", "tok_county"}
JUDICIAL_FORMS = (
    "new",
    *(
        f"{CASE}/{form}"
        for form in (
            "assess",
            "decide",
            "purchase",
            "retire",
            "documents",
            "certify",
            "replanting",
        )
    ),
)
JUDICIAL_API_WRITES = (
    "cases",
    *(
        f"cases/350428/{CASE}/{op}"
        for op in (
            "assessments",
            "decisions",
            "purchases",
            "retirements",
            "documents",
            "replantings",
            "certificates",
        )
    ),
)
NOT_COURTS = {
    "anonymous": 401,
    "village": 403,
    "county": 403,
    "province": 403,
    "other_county": 403,
    "admin": 403,
    "tok_village": 403,
    "tok_county": 403,
}

READ_ROWS = [
    # public pages
    public("/"),
    public("/signin", **USERS_REDIRECT_HOME),
    public("/log/checkpoint"),
    public("/log/entries"),
    public("/log/proof/inclusion?seq=0&size=2"),
    public("/log/proof/consistency?old=1&new=2"),
    public("/prefs/language/en?next=/", 303),
    public("/prefs/text/large?next=/", 303),
    public("/print-base.css"),
    # pages of a signed-in person (not API tokens)
    signed_in("/home", **NO_TOKENS),
    signed_in("/account/password", **NO_TOKENS),
    # a village: its clerk, its county bureau, the province; nobody else
    only(f"/villages/{V1}", {"village", "county", "province", "tok_village", "tok_county"}),
    # the other village of the same county: the village clerk changes the id in the URL
    only(f"/villages/{V2}", {"county", "province", "tok_county"}),
    # a village in another county
    only(f"/villages/{V3}", {"other_county", "province"}),
    # no such village / not a village code: 404 for anyone signed in
    only("/villages/350428102299", set(ROLES), ok=404),
    only("/villages/not-a-code", set(ROLES), ok=404),
    # courts: the court itself and the bureaus of its county or above
    only(f"/courts/{COURT}", {"court", "county", "province", "tok_county"}),
    only(f"/courts/{COURT2}", {"other_county", "province"}),
    only("/courts/%E9%97%BD9999", set(ROLES), ok=404),
    # bureaus: themselves and the bureaus above them
    only("/bureaus/350428", {"county", "province", "tok_county"}),
    only("/bureaus/35", {"province"}),
    only("/bureaus/3504", {"province"}),
    only("/bureaus/350403", {"other_county", "province"}),
    # administration: signed-in admins only, never tokens
    only("/admin/users", {"admin"}),
    only("/admin/orgs", {"admin"}),
    only("/admin/tokens", {"admin"}),
    # carbon units: the public register; a village's income; a bureau's pages (reading follows
    # the organisation rules, forms only for the bureau's own staff and tokens)
    public("/carbon/register"),
    public("/units/static/units.css"),
    public("/api/v1/units/register"),
    only(f"/villages/{V1}/carbon", {"village", "county", "province", "tok_village", "tok_county"}),
    only(f"/villages/{V2}/carbon", {"county", "province", "tok_county"}),
    only("/bureaus/350428/carbon", {"county", "province", "tok_county"}),
    only("/bureaus/350403/carbon", {"other_county", "province"}),
    only(f"/bureaus/350428/carbon/projects/{UNITS_PROJECT}", {"county", "province", "tok_county"}),
    only(f"/bureaus/350403/carbon/projects/{UNITS_PROJECT}", {"other_county", "province"}, ok=404),
    *(
        only(f"/bureaus/350428/carbon/{form}", UNITS_WRITERS)
        for form in (*UNITS_FORMS, "projects/new", "oneyuan")
    ),
    only("/bureaus/350428/carbon/sales/{sale}", {"county", "province", "tok_county"}),
    only("/bureaus/350428/carbon/jobs/999", {"county", "province", "tok_county"}, ok=404),
    # one-yuan orders: found by number by the division's readers; certificates (personal data)
    # only for the bureau's own staff and tokens
    only("/bureaus/350428/carbon/oneyuan/orders", {"county", "province", "tok_county"}),
    only("/bureaus/350403/carbon/oneyuan/orders", {"other_county", "province"}),
    only("/bureaus/350428/carbon/jobs/999/certificates.zip", UNITS_WRITERS, ok=404),
    row("/api/v1/units/projects", 200, anonymous=401, court=403, admin=403),
    row(
        f"/api/v1/units/projects/{UNITS_PROJECT}",
        200,
        anonymous=401,
        court=403,
        admin=403,
        other_county=404,
    ),
    only(
        f"/api/v1/units/villages/{V1}/earnings",
        {"village", "county", "province", "tok_village", "tok_county"},
        anonymous=401,
    ),
    only(
        "/api/v1/units/jobs/999",
        {"county", "province", "other_county", "tok_county"},
        ok=404,
        anonymous=401,
    ),
    # benefit sharing: a village's pages (its clerk writes; its bureaus read), the bureau's
    # overview, the villager's public look-up
    only(SHARING, SHARING_READERS),
    only(f"/villages/{V2}/sharing", {"county", "province", "tok_county"}),
    *(
        only(f"{SHARING}/{page}", SHARING_WRITERS)
        for page in ("roster", "rules/new", "new", "preview")
    ),
    only(NO_DISTRIBUTION, SHARING_READERS, ok=404),
    only("/bureaus/350428/sharing", {"county", "province", "tok_county"}),
    only("/bureaus/350403/sharing", {"other_county", "province"}),
    public("/sharing/lookup"),
    public("/community/static/community.css"),
    only(f"{NO_DISTRIBUTION}/batches/{V1}-999-B1.csv", SHARING_WRITERS, ok=404),
    only(f"{NO_DISTRIBUTION}/notice.pdf", SHARING_READERS, ok=404),
    only(f"{NO_DISTRIBUTION}/slips/CK001.pdf", SHARING_READERS, ok=404),
    row(
        f"/api/v1/community/villages/{V1}/distributions/{V1}-999/batches/{V1}-999-B1",
        403,
        anonymous=401,
        village=404,
        tok_village=404,
    ),
    row(
        f"/api/v1/community/villages/{V1}",
        200,
        anonymous=401,
        court=403,
        other_county=403,
        admin=403,
    ),
    row(
        f"/api/v1/community/villages/{V1}/distributions/{V1}-999",
        404,
        anonymous=401,
        court=403,
        other_county=403,
        admin=403,
    ),
    row(
        "/api/v1/community/bureaus/350428",
        200,
        anonymous=401,
        village=403,
        court=403,
        other_county=403,
        admin=403,
        tok_village=403,
    ),
    # judicial carbon: a court reads its own cases, bureaus those of the courts in their
    # division; the forms are for the court's own staff; nothing is public but the methods
    public("/judicial/static/judicial.css"),
    only(f"/courts/{COURT}/judicial", JUDICIAL_READERS),
    only(f"/courts/{COURT}/judicial/{CASE}", JUDICIAL_READERS),
    only(f"/courts/{COURT}/judicial/NO-SUCH-CASE", JUDICIAL_READERS, ok=404),
    only(f"/courts/{COURT}/judicial/{CASE}/certificate.pdf", JUDICIAL_READERS, ok=404),
    only(f"/courts/{COURT2}/judicial", {"other_county", "province"}),
    *(only(f"/courts/{COURT}/judicial/{form}", {"court"}) for form in JUDICIAL_FORMS),
    only("/bureaus/350428/judicial", {"county", "province", "tok_county"}),
    only("/bureaus/350403/judicial", {"other_county", "province"}),
    public("/api/v1/judicial/methods"),
    row("/api/v1/judicial/cases", 200, anonymous=401, village=403, admin=403, tok_village=403),
    row(
        f"/api/v1/judicial/cases/350428/{CASE}",
        200,
        anonymous=401,
        village=403,
        admin=403,
        tok_village=403,
        other_county=404,
    ),
    # the certificate PDF: the case's own court only (409: the seeded case is not certified)
    row(f"/api/v1/judicial/cases/350428/{CASE}/certificate", 409, **NOT_COURTS),
    row(f"/api/v1/judicial/cases/350403/{CASE}/certificate", 404, **NOT_COURTS),
    row("/api/v1/judicial/lots", 200, anonymous=401, village=403, admin=403, tok_village=403),
    only(
        "/api/v1/judicial/summary",
        {"county", "province", "other_county", "tok_county"},
        anonymous=401,
    ),
]

WRITE_ROWS = [
    only("/admin/orgs", {"admin"}, "POST", ok=303),
    only("/admin/users", {"admin"}, "POST", ok=303),
    only("/admin/users/{victim}/role", {"admin"}, "POST", ok=303),
    only("/admin/users/{victim}/disable", {"admin"}, "POST", ok=303),
    only("/admin/users/{victim}/enable", {"admin"}, "POST", ok=303),
    only("/admin/users/{victim}/password", {"admin"}, "POST", ok=303),
    only("/admin/tokens", {"admin"}, "POST", ok=201),
    only("/admin/tokens/{spare_token}/revoke", {"admin"}, "POST", ok=303),
    # a password change with a wrong current password: 422 for people, refused for tokens
    only("/account/password", set(USER_OF), "POST", ok=422, **NO_TOKENS),
    # sign-out is harmless for anyone (tested last per role: see the ordering below)
    row("/signout", 303, "POST"),
    # sign-in form errors (missing fields) for the anonymous; signed-in people are sent home
    row("/signin", 400, "POST", **USERS_REDIRECT_HOME),
    # carbon units forms: empty forms are refused (422) for the bureau's own staff and tokens
    *(
        only(f"/bureaus/350428/carbon/{form}", UNITS_WRITERS, "POST", ok=422)
        for form in (*UNITS_FORMS, "projects/new", "oneyuan")
    ),
    # benefit sharing forms: empty forms are refused for the village's own clerk and token
    *(
        only(f"{SHARING}/{page}", SHARING_WRITERS, "POST", ok=422)
        for page in ("roster", "rules/new", "new", "preview")
    ),
    only(f"{SHARING}/roster/save", SHARING_WRITERS, "POST", ok=302),
    *(
        only(f"{NO_DISTRIBUTION}/{step}", SHARING_WRITERS, "POST", ok=404)
        for step in ("approve", "publish", "objections", "finalise", "reverse", "batches")
    ),
    only(f"{NO_DISTRIBUTION}/objections/1/answer", SHARING_WRITERS, "POST", ok=302),
    only(f"{NO_DISTRIBUTION}/batches/{V1}-999-B1/results", SHARING_WRITERS, "POST", ok=404),
    only(f"{SHARING}/households/CK001/bank", SHARING_WRITERS, "POST", ok=302),
    row("/sharing/lookup", 422, "POST"),
    # the community API's writes: within the village's scope, requests get to validation (422)
    *(
        row(
            f"/api/v1/community/villages/{V1}/{path}",
            422,
            "POST",
            anonymous=401,
            court=403,
            other_county=403,
            admin=403,
        )
        for path in (
            "rosters/changes",
            "rosters",
            "rules",
            "distributions",
            *(
                f"distributions/{V1}-999/{op}"
                for op in (
                    "approval",
                    "notice",
                    "objections",
                    "objections/1/answer",
                    "finalisation",
                    "reversal",
                    "batches",
                    f"batches/{V1}-999-B1/results",
                )
            ),
            "households/CK001/bank-account",
        )
    ),
    row("/api/v1/community/lookup", 422, "POST"),
    # certificates: a sale that is not a one-yuan purchase, a job that does not exist (404)
    only("/bureaus/350428/carbon/sales/{sale}/certificate", UNITS_WRITERS, "POST", ok=404),
    only("/bureaus/350428/carbon/jobs/999/certificates", UNITS_WRITERS, "POST", ok=404),
    # the units API's writes: bureaus (any, within their division) get to validation (422)
    *(
        row(
            f"/api/v1/units/{path}",
            422,
            "POST",
            anonymous=401,
            village=403,
            court=403,
            admin=403,
            tok_village=403,
        )
        for path in (
            "projects",
            *(f"projects/{UNITS_PROJECT}/{op}" for op in UNITS_API_WRITES),
            "oneyuan/imports",
        )
    ),
    # judicial forms: empty forms are refused (422) for the court's own staff
    *(
        only(f"/courts/{COURT}/judicial/{form}", {"court"}, "POST", ok=422)
        for form in JUDICIAL_FORMS
    ),
    # the judicial API's writes: the court (its own cases) gets to validation (422)
    *(row(f"/api/v1/judicial/{path}", 422, "POST", **NOT_COURTS) for path in JUDICIAL_API_WRITES),
    row("/api/v1/judicial/calculations", 422, "POST", anonymous=401),
]


_serial = itertools.count(101)


def _form(path: str, n: int) -> dict:
    """Valid form data for each write row (unique per row, so rows never collide)."""
    if path == "/admin/orgs":
        return {"kind": "village", "code": f"35042810{n:04d}", "name": f"新村{n}"}
    if path == "/admin/users":
        return {
            "username": f"new{n}",
            "role": "admin",
            "org": "",
            "password": "a long new password",
        }
    if path.endswith("/role"):
        return {"role": "village", "org": ""}  # set below: the victim's own village
    if path.endswith("/password") and path.startswith("/admin"):
        return {"password": "another long password"}
    if path == "/admin/tokens":
        return {"org": "", "label": f"row {n}"}  # org set below
    if path == "/account/password":
        return {
            "current": "not my password",
            "new": "a new long password",
            "confirm": "a new long password",
        }
    return {}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def matrix(request, tmp_path_factory):
    """One seeded app per database, with a signed-in client per role and two API tokens."""
    tmp = tmp_path_factory.mktemp(f"matrix-{request.param}")
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
        tok_village, _ = services.create_token(
            conn, world.orgs["v1"].id, "village api", created_by=None, actor="test"
        )
        tok_county, _ = services.create_token(
            conn, world.orgs["county"].id, "county api", created_by=None, actor="test"
        )
        _, spare = services.create_token(
            conn, world.orgs["v2"].id, "spare", created_by=None, actor="test"
        )
    clients, headers = {}, {}
    for role in ROLES:
        client = app.test_client()
        if role in USER_OF:
            assert sign_in(client, app_username(role)).status_code == 302
        clients[role] = client
        headers[role] = {}
    headers["tok_village"] = {"Authorization": f"Bearer {tok_village}"}
    headers["tok_county"] = {"Authorization": f"Bearer {tok_county}"}
    ids = {"victim": world.users["victim"].id, "spare_token": spare.id, **seed_units(app)}
    seed_judicial(app, world)
    yield app, world, clients, headers, ids
    engine.dispose()
    if server is not None:
        server.drop(name)


def seed_units(app) -> dict[str, int]:
    """常口村's carbon ticket project, a lot and a sale; the sale's seq."""
    from ledger.units import services
    from ledger.units.services import Buyer
    from ledger.vault.crypto import ensure_vault_key
    from tests.units import HUAWEI, OWNER, make_lot, make_project

    engine = app.extensions["ledger.engine"]
    ensure_vault_key(app.extensions["ledger.settings"])
    make_project(engine, UNITS_PROJECT)
    make_lot(engine, UNITS_PROJECT, "M1", count=100)
    sale = services.sell(
        engine, project=UNITS_PROJECT, seller=OWNER, buyer=Buyer("company", "华为", HUAWEI),
        price_fen_per_t=1_000, use="esg", kg=10_000, actor="test", within=None,
    )  # fmt: skip
    return {"sale": sale.entry.seq}


def seed_judicial(app, world) -> None:
    """The shipped method recorded and a case filed by the 将乐 court."""
    from ledger.judicial import services
    from ledger.vault.crypto import Vault

    engine = app.extensions["ledger.engine"]
    services.seed_shipped_methods(engine, actor="test")
    services.file_case(
        engine, Vault.from_settings(app.extensions["ledger.settings"]), court=world.orgs["court"],
        case_number="(2023)闽0428刑初45号", offence="lanfa", defendants=["欧阳春华"],
        filed_on="2023-05-10", actor="test",
    )  # fmt: skip


def app_username(role: str) -> str:
    from tests.web.conftest import USERS

    return USERS[USER_OF[role]][0]


@pytest.mark.parametrize(("method", "path", "role", "status"), list(_cases(READ_ROWS)))
def test_read(matrix, method, path, role, status):
    _, _, clients, headers, ids = matrix
    response = clients[role].open(path.format(**ids), method=method, headers=headers[role])
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    if status == 302 and role == "anonymous":
        assert response.headers["Location"].startswith("/signin?next=")
    if status in (401, 403) and role.startswith("tok_"):
        assert response.is_json and "error" in response.get_json()


# Sign-out ends the role's session, so it runs after every other write row of that role.
_WRITE_CASES = sorted(_cases(WRITE_ROWS), key=lambda p: p.values[1] == "/signout")


@pytest.mark.parametrize(("method", "path", "role", "status"), _WRITE_CASES)
def test_write(matrix, method, path, role, status):
    _, world, clients, headers, ids = matrix
    client = clients[role]
    n = next(_serial)
    data = _form(path, n)
    if path.endswith("/role"):
        data["org"] = str(world.orgs["v2"].id)
    if path == "/admin/tokens":
        data["org"] = str(world.orgs["v1"].id)
    if not role.startswith("tok_"):
        data["csrf_token"] = csrf_token(client, "/" if role in USER_OF else "/signin")
    response = client.open(path.format(**ids), method=method, data=data, headers=headers[role])
    assert response.status_code == status, response.get_data(as_text=True)[:800]


#: Blueprints whose every endpoint must have rows here (the shell's, and the units module's
#: pages and API). The shell's JSON API keeps its own matrix; every endpoint of the app has
#: *a* rule regardless (``authz.check_coverage`` refuses to build the app otherwise).
MATRIX_BLUEPRINTS = {
    "home",
    "auth",
    "orgs",
    "admin",
    "log",
    "units",
    "units_api",
    "community",
    "community_api",
    "judicial",
    "judicial_api",
}


def test_every_endpoint_is_in_the_matrix(matrix):
    app = matrix[0]
    covered = set()
    adapter = app.url_map.bind("localhost")
    for method, path, _ in READ_ROWS + WRITE_ROWS:
        path = path.format(victim=1, spare_token=1, sale=1).split("?")[0]
        try:
            endpoint, _ = adapter.match(urllib.parse.unquote(path), method=method)
        except NotFound:  # the rows about codes that do not exist
            assert any(p in path for p in ("/villages/", "/courts/"))
            continue
        covered.add((endpoint, method))
    every = {
        (r.endpoint, m)
        for r in app.url_map.iter_rules()
        if r.endpoint.partition(".")[0] in MATRIX_BLUEPRINTS
        for m in r.methods - {"HEAD", "OPTIONS"}
    }
    assert every - covered == set()
    assert {bp.partition(".")[0] for bp, _ in covered} == MATRIX_BLUEPRINTS


# -- who reads which entries' contents (the public/scoped rule) ------------------------------

#: The seeded log: 0 a sale to 常口村 (350428102201), 1 a purchase into the 将乐 court's escrow.
#: Everyone sees every leaf hash and proof; the contents only within scope.
CONTENTS = {
    "anonymous": set(),
    "village": {0},
    "court": {1},
    "county": {0, 1},
    "province": {0, 1},
    "other_county": set(),
    "admin": set(),
    "tok_village": {0},
    "tok_county": {0, 1},
}


@pytest.mark.parametrize("role", ROLES)
def test_entry_contents_are_read_within_scope_only(matrix, role):
    app, _, _, headers, _ = matrix
    client = app.test_client()  # its own session: the write rows sign the shared ones out
    if role in USER_OF:
        assert sign_in(client, app_username(role)).status_code == 302
    page = client.get("/log/entries?start=0&end=2", headers=headers[role]).get_json()
    readable = {e["seq"] for e in page["entries"] if "leaf" in e}
    assert readable == CONTENTS[role]
    assert all(len(e["leaf_hash"]) == 64 for e in page["entries"])
    for seq in (0, 1):
        proof = client.get(f"/log/proof/inclusion?seq={seq}&size=2", headers=headers[role])
        assert proof.status_code == 200
