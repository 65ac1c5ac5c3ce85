"""The units JSON API on both databases: the public register has no prices and masks people;
projects, earnings and jobs follow the roles; writes need an Idempotency-Key, answer a retry
with the first result, refuse a conflict with 409 naming the serials; a sale answers with its
arithmetic; every operation is in the OpenAPI document."""

from __future__ import annotations

import io

import pytest

from ledger.accounts import services as accounts
from ledger.storage.db import write_transaction
from ledger.units import services
from ledger.units.services import Buyer
from ledger.vault.crypto import Vault
from tests.units import ACTOR, HUAWEI, OWNER, TENCENT, make_lot, make_project
from tests.units.web.conftest import PROJECT

V1 = "350428102201"


@pytest.fixture
def tokens(app, world) -> dict[str, dict[str, str]]:
    engine = app.extensions["ledger.engine"]
    found = {}
    with write_transaction(engine) as conn:
        for key in ("v1", "v2", "county", "other_county", "court", "province"):
            secret, _ = accounts.create_token(
                conn, world.orgs[key].id, f"{key} api", created_by=None, actor="test"
            )
            found[key] = {"Authorization": f"Bearer {secret}"}
    found["anonymous"] = {}
    return found


def write(client, headers, path, body, key="k-1"):
    return client.post(path, json=body, headers={**headers, "Idempotency-Key": key})


def test_the_register_is_public_without_prices_and_masks_people(client, app, units):
    vault = Vault.from_settings(app.extensions["ledger.settings"])
    services.sell(
        app.extensions["ledger.engine"], project=PROJECT, seller=OWNER,
        buyer=Buyer("person", "欧阳春华"), price_fen_per_t=10_000, use="personal",
        kg=1_000, vault=vault, actor=ACTOR, within=None,
    )  # fmt: skip
    rows = client.get("/api/v1/units/register").get_json()["rows"]
    assert [r["buyer"] for r in rows] == ["欧**华", "华为技术有限公司"]
    assert all("price" not in key and "total" not in key for r in rows for key in r)


@pytest.mark.parametrize(
    ("who", "status", "count"),
    [("county", 200, 1), ("province", 200, 1), ("other_county", 200, 0), ("v1", 200, 1),
     ("v2", 200, 0), ("court", 403, None), ("anonymous", 401, None)],
)  # fmt: skip
def test_projects_per_role(client, units, tokens, who, status, count):
    response = client.get("/api/v1/units/projects", headers=tokens[who])
    assert response.status_code == status
    if count is not None:
        assert len(response.get_json()["projects"]) == count


@pytest.mark.parametrize(
    ("who", "status"),
    [("county", 200), ("v1", 200), ("v2", 404), ("other_county", 404), ("court", 403)],
)
def test_a_project_per_role(client, units, tokens, who, status):
    response = client.get(f"/api/v1/units/projects/{PROJECT}", headers=tokens[who])
    assert response.status_code == status
    if status == 200:
        body = response.get_json()
        assert body["lots"][0]["serials"] == "0000001-0001–0000001-1000"
        assert {h["state"] for h in body["holdings"]} == {"held", "pledged"}


@pytest.mark.parametrize(
    ("who", "status"), [("v1", 200), ("county", 200), ("v2", 403), ("other_county", 403)]
)
def test_earnings_per_role(client, units, tokens, who, status):
    response = client.get(f"/api/v1/units/villages/{V1}/earnings", headers=tokens[who])
    assert response.status_code == status
    if status == 200:
        body = response.get_json()
        assert body["total_fen"] == 450_000
        assert body["earnings"] == [
            {"programme": "carbon_ticket", "project": PROJECT, "year": "2021", "kg": 300_000,
             "total_fen": 450_000, "sales": 1}
        ]  # fmt: skip


def test_a_sale_answers_with_its_arithmetic_and_a_retry_with_the_same(
    client, units, tokens, engine
):
    make_project(engine, "OT-1", programme="other")
    make_lot(engine, "OT-1", "OT-L1", count=10_000, unit_kg=1)
    body = {
        "seller": OWNER, "buyer": {"type": "company", "name": "腾讯", "uscc": TENCENT},
        "price_fen_per_t": 1_555, "use": "esg", "kg": 2_723,
    }  # fmt: skip
    first = write(client, tokens["county"], "/api/v1/units/projects/OT-1/sales", body)
    assert first.status_code == 201, first.get_json()
    sale = first.get_json()
    assert (sale["kg"], sale["total_fen"], sale["rounding"]) == (
        2_723,
        4_234,
        "half_up",
    )  # 42.34265 元
    assert "salt" not in sale["body"]
    again = write(client, tokens["county"], "/api/v1/units/projects/OT-1/sales", body)
    assert again.status_code == 201 and again.get_json()["seq"] == sale["seq"]
    other = write(client, tokens["county"], "/api/v1/units/projects/OT-1/sales", {**body, "kg": 1})
    assert other.status_code == 409 and other.get_json()["error"]["code"] == "idempotency.conflict"


def test_a_conflict_names_the_serials_and_the_entry(client, units, tokens):
    body = {"from": OWNER, "to": f"Assets:Company:{HUAWEI}", "serials": [
        {"lot": "0000001", "first": 250, "last": 350}]}  # fmt: skip
    response = write(client, tokens["county"], f"/api/v1/units/projects/{PROJECT}/transfers", body)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "units.conflict"
    assert error["details"]["serials"] == "0000001-0250–0000001-0300; 0000001-0301–0000001-0350"
    assert error["details"]["entries"] == f"{units.sale_seq}, {units.pledge_seq}"


@pytest.mark.parametrize(
    ("who", "status"), [("county", 201), ("province", 201), ("other_county", 404), ("v1", 403)]
)
def test_only_bureaus_within_their_division_write(client, units, tokens, who, status):
    body = {"holder": OWNER, "beneficiary": {"type": "organisation", "name": "某会"},
            "use": "event_neutrality", "kg": 1_000}  # fmt: skip
    response = write(client, tokens[who], f"/api/v1/units/projects/{PROJECT}/retirements", body)
    assert response.status_code == status, response.get_json()


def test_writes_need_an_idempotency_key_and_a_strict_body(client, units, tokens):
    path = f"/api/v1/units/projects/{PROJECT}/transfers"
    body = {"from": OWNER, "to": f"Assets:Company:{HUAWEI}", "kg": 1_000}
    assert client.post(path, json=body, headers=tokens["county"]).status_code == 422
    assert write(client, tokens["county"], path, {**body, "kg": "1000"}).status_code == 422
    assert write(client, tokens["county"], path, {**body, "extra": 1}).status_code == 422
    both = {**body, "serials": [{"lot": "0000001", "first": 1, "last": 1}]}
    assert write(client, tokens["county"], path, both).status_code == 422
    assert write(client, tokens["county"], path, body).status_code == 201


def test_a_one_yuan_upload_is_a_job(client, units, tokens, engine):
    make_project(engine, "SC-001", programme="one_yuan")
    make_lot(engine, "SC-001", "SC-001-L1", count=1_000, unit_kg=10)
    data = (
        "order_id,paid_at,buyer,amount_yuan,kg,certificate_no,project_code\n"
        "WX1,2024-05-01 10:00:00,张三,2,20,C1,SC-001\n"
    ).encode()
    response = client.post(
        "/api/v1/units/oneyuan/imports",
        data={"file": (io.BytesIO(data), "orders.csv")},
        headers={**tokens["county"], "Idempotency-Key": "upload-1"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()
    job = client.get(response.headers["Location"], headers=tokens["county"]).get_json()
    assert job["status"] == "done" and job["result"]["imported"] == 1
    assert (
        client.get(response.headers["Location"], headers=tokens["other_county"]).status_code == 404
    )


def test_every_units_operation_is_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    paths = {p for p in doc["paths"] if p.startswith("/api/v1/units")}
    assert paths == {
        "/api/v1/units/register", "/api/v1/units/projects", "/api/v1/units/projects/{project}",
        "/api/v1/units/projects/{project}/lots", "/api/v1/units/projects/{project}/transfers",
        "/api/v1/units/projects/{project}/pledges", "/api/v1/units/projects/{project}/releases",
        "/api/v1/units/projects/{project}/retirements", "/api/v1/units/projects/{project}/sales",
        "/api/v1/units/villages/{code}/earnings", "/api/v1/units/oneyuan/imports",
        "/api/v1/units/jobs/{job_id}",
    }  # fmt: skip
    sale = doc["paths"]["/api/v1/units/projects/{project}/sales"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in sale["parameters"])


def test_issuing_through_the_api(client, units, tokens):
    body = {
        "lot": "0000002", "vintage": 2022, "period_start": "2021-01-01",
        "period_end": "2021-12-31", "count": 50, "issued_on": "2022-05-18",
        "document": {"sha256": "ab" * 32, "size": 10, "title": "签发文件"},
    }  # fmt: skip
    response = write(client, tokens["county"], f"/api/v1/units/projects/{PROJECT}/lots", body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["body"]["serial_prefix"] == "0000002-"


def test_units_operations_declare_their_security(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path, item in doc["paths"].items():
        if path.startswith("/api/v1/units"):
            for method, op in item.items():
                public = path == "/api/v1/units/register"
                assert bool(op.get("security")) is not public, (method, path)
