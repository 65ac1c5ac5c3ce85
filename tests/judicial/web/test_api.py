"""The judicial JSON API on both databases: a court takes a case from filing to retirement
with its token (each write with an Idempotency-Key; a retry answers the first result); a
purchase of serials another case holds is refused with 409 naming that case, nothing written;
the calculator writes nothing; the bureau's summary; who reads what; replanting ordered and
accepted, the certificate issued and printed as a PDF (pdftotext) for the court alone."""

from __future__ import annotations

import subprocess

import pytest

from ledger.accounts import services as accounts
from ledger.services.keys import create_signing_key
from ledger.storage.db import write_transaction
from tests.storage.writer import table_state

SELLER = "Assets:Village:350428102201:Collective"
API = "/api/v1/judicial"
STOCK = [{"type": "stock", "species": "杉木", "volume_m3": "10", "volume_type": "standing"}]


@pytest.fixture
def tokens(app, world) -> dict[str, dict[str, str]]:
    engine = app.extensions["ledger.engine"]
    found = {}
    with write_transaction(engine) as conn:
        for key in ("v1", "county", "other_county", "court", "court2"):
            secret, _ = accounts.create_token(
                conn, world.orgs[key].id, f"{key} api", created_by=None, actor="test"
            )
            found[key] = {"Authorization": f"Bearer {secret}"}
    found["anonymous"] = {}
    return found


def write(client, headers, path, body, key):
    return client.post(API + path, json=body, headers={**headers, "Idempotency-Key": key})


def decided(client, court, number, key):
    """File, assess (11,917 kg) and decide (12 t at 100 元/t) a case; its path."""
    filed = write(
        client, court, "/cases",
        {"case_number": number, "offence": "lanfa", "defendants": ["欧阳春华"],
         "filed_on": "2023-05-10"},
        f"{key}-file",
    )  # fmt: skip
    assert filed.status_code == 201, filed.get_json()
    c = filed.get_json()
    path = f"/cases/{c['court']}/{c['case']}"
    assessed = write(
        client, court, f"{path}/assessments",
        {"method": "AR-CM-001 defaults", "inputs": STOCK, "assessor": "鉴定中心",
         "assessed_on": "2023-05-20"},
        f"{key}-assess",
    )  # fmt: skip
    assert assessed.status_code == 201, assessed.get_json()
    assert assessed.get_json()["body"]["loss_kg"] == 11_917
    decision = write(
        client, court, f"{path}/decisions",
        {"price": {"basis": "programme", "fen_per_t": 10_000, "date": "2023-06-01",
                   "source": "一元碳汇"}, "decided_on": "2023-06-01"},
        f"{key}-decide",
    )  # fmt: skip
    assert decision.status_code == 201, decision.get_json()
    body = decision.get_json()["body"]
    assert (body["quantity_kg"], body["amount_fen"]) == (12_000, 120_000)
    return path


def purchase(serials):
    return {
        "takes": [{"project": "CT-0000001", "seller": SELLER, "serials": serials}],
        "payer_type": "organisation", "payer_name": "某某公司", "payment_ref": "P-1",
        "account_name": "生态修复专户", "account_bank": "农业银行", "account_number": "1234567890",
        "paid_on": "2023-06-05",
    }  # fmt: skip


def test_a_court_through_the_api_and_a_double_use_refused(client, judicial, tokens):
    path = decided(client, tokens["court"], "(2023)闽0428刑初45号", "a")
    bought = write(
        client, tokens["court"], f"{path}/purchases", purchase([["0000001", 1, 12]]), "buy"
    )
    assert bought.status_code == 201, bought.get_json()
    again = write(
        client, tokens["court"], f"{path}/purchases", purchase([["0000001", 1, 12]]), "buy"
    )
    assert again.status_code == 201 and again.get_json()["seq"] == bought.get_json()["seq"]

    other = decided(client, tokens["court2"], "(2023)闽0403刑初7号", "b")
    before = table_state(judicial)
    taken = write(
        client, tokens["court2"], f"{other}/purchases", purchase([["0000001", 5, 16]]), "x"
    )
    assert taken.status_code == 409
    error = taken.get_json()["error"]
    assert error["code"] == "judicial.serials_taken"
    assert error["details"]["holders"] == "case (2023)闽0428刑初45号"
    assert table_state(judicial) == before

    retired = write(
        client, tokens["court"], f"{path}/retirements",
        {"retirement_ref": "HXEE-1", "retired_on": "2023-06-10"}, "retire",
    )  # fmt: skip
    assert retired.status_code == 201
    case = client.get(API + path, headers=tokens["court"]).get_json()
    assert case["state"] == "retired"
    assert [u["serials"] for u in case["units"]] == ["0000001-001–0000001-012"]
    assert [e["kind"] for e in case["timeline"]][-1] == "judicial.retirement"
    assert all("salt" not in e["body"] for e in case["timeline"])

    summary = client.get(API + "/summary?days=10", headers=tokens["county"]).get_json()
    assert summary["totals"][0]["cases"] == 1 and summary["villages"][0]["total_fen"] == 120_000
    assert summary["overdue"] == []  # decided on 2023-06-01, retired
    assert client.get(API + path, headers=tokens["other_county"]).status_code == 404
    assert client.get(API + path, headers=tokens["court2"]).status_code == 404
    assert client.get(API + path, headers=tokens["v1"]).status_code == 403
    assert client.get(API + path).status_code == 401


def test_the_calculator_writes_nothing_and_refuses_bamboo_without_a_value(client, judicial, tokens):
    before = table_state(judicial)
    done = write(
        client,
        tokens["v1"],
        "/calculations",
        {"method": "AR-CM-001 defaults", "inputs": STOCK},
        "c",
    )
    assert done.status_code == 200, done.get_json()
    assert (done.get_json()["loss_kg"], done.get_json()["loss_t"]) == (11_917, "11.92")
    item = {"type": "stock", "species": "毛竹", "volume_m3": "3", "volume_type": "standing"}
    bamboo = write(
        client, tokens["v1"], "/calculations",
        {"method": "AR-CM-001 defaults", "inputs": [item]}, "d",
    )  # fmt: skip
    assert bamboo.status_code == 422
    assert table_state(judicial) == before
    methods = client.get(API + "/methods").get_json()["methods"]
    assert [(m["name"], m["version"]) for m in methods] == [("AR-CM-001 defaults", "2022.1")]


def test_replanting_and_the_certificate_through_the_api(app, client, judicial, tokens, tmp_path):
    settings = app.extensions["ledger.settings"]
    create_signing_key(settings.key_path, settings.log_origin)
    court = tokens["court"]
    path = decided(client, court, "(2023)闽0428刑初45号", "r")
    plan = {"area_mu": "5", "species": "杉木", "deadline": "2024-03-31"}
    ordered = write(client, court, f"{path}/replantings", plan, "plant")
    assert ordered.status_code == 201, ordered.get_json()
    assert ordered.get_json()["kind"] == "judicial.replanting"
    accepted = {**plan, "accepted_on": "2024-03-20", "note": "成活率95%"}
    done = write(client, court, f"{path}/replantings", accepted, "plant-accepted")
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["body"]["accepted_on"] == "2024-03-20"
    bad = write(client, court, f"{path}/replantings", {**plan, "deadline": "31/03/2024"}, "bad")
    assert bad.status_code == 422

    # no certificate before the case is retired, nothing written; none to print either
    before = table_state(judicial)
    early = write(client, court, f"{path}/certificates", None, "cert-early")
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "judicial.state"
    unprinted = client.get(API + path + "/certificate", headers=court)
    assert unprinted.status_code == 409
    assert unprinted.get_json()["error"]["code"] == "judicial.state"
    assert table_state(judicial) == before

    bought = write(client, court, f"{path}/purchases", purchase([["0000001", 1, 12]]), "buy")
    assert bought.status_code == 201, bought.get_json()
    retired = write(
        client, court, f"{path}/retirements",
        {"retirement_ref": "HXEE-ZX-2023-0088", "retired_on": "2023-06-10"}, "retire",
    )  # fmt: skip
    assert retired.status_code == 201, retired.get_json()
    certified = write(client, court, f"{path}/certificates", None, "cert")
    assert certified.status_code == 201, certified.get_json()
    assert certified.get_json()["kind"] == "judicial.certified"
    assert certified.get_json()["body"]["certificate"] == "SFTH-350428-2023-XC-45"
    again = write(client, court, f"{path}/certificates", None, "cert")
    assert again.status_code == 201 and again.get_json()["seq"] == certified.get_json()["seq"]
    twice = write(client, court, f"{path}/certificates", None, "cert-twice")
    assert twice.status_code == 409
    case = client.get(API + path, headers=court).get_json()
    assert case["state"] == "certified"
    kinds = [e["kind"] for e in case["timeline"]]
    assert kinds.count("judicial.replanting") == 2 and kinds[-1] == "judicial.certified"

    printed = client.get(API + path + "/certificate", headers=court)
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    assert printed.data.startswith(b"%PDF")
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(printed.data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in ("(2023)闽0428刑初45号", "将乐县人民法院", "12.00", "1,200.00"):
        assert expected in text, expected

    other = API + path.replace("/cases/350428/", "/cases/350403/") + "/certificate"
    assert client.get(other, headers=tokens["court2"]).get_json()["error"]["code"]
    assert client.get(other, headers=tokens["court2"]).status_code == 404
    assert client.get(API + path + "/certificate", headers=tokens["court2"]).status_code == 404
    assert client.get(API + path + "/certificate", headers=tokens["county"]).status_code == 403
    assert client.get(API + path + "/certificate").status_code == 401
    missing = client.get(API + "/cases/350428/2023-XC-99/certificate", headers=court)
    assert missing.status_code == 404 and missing.is_json
