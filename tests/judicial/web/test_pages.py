"""The court's path through the pages on both databases — file, assess (calculate, then
record), decide, buy from the lots listed, retire — each step's refusals in Chinese with
nothing written, the case's timeline on one page, the bureau's view of its division, and
who may see what (a court only its own cases; nothing public)."""

from __future__ import annotations

from ledger.judicial import services
from ledger.storage.db import read_transaction
from tests.judicial.web.conftest import COURT, OTHER_COURT
from tests.storage.writer import table_state
from tests.support.web import sign_in
from tests.support.world import PASSWORD, USERS
from tests.units.web.test_pages import form_keys, no_account_names

CASE = "2023-XC-45"
SELLER = "Assets:Village:350428102201:Collective"


def post(client, path, data, status=303):
    response = client.post(path, data={**form_keys(client, path), **data})
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return response


def file(client):
    return post(
        client,
        f"{COURT}/new",
        {
            "case_number": "（2023）闽0428刑初45号",
            "offence": "lanfa",
            "defendants": "欧阳春华\n",
            "filed_on": "2023-05-10",
            "species_0": "杉木",
            "trees_0": "120",
            "volume_0": "10",
            "volume_type_0": "standing",
            "area_0": "3.5",
            "place_0": "350428102201",
            "replant_area": "5",
            "replant_species": "杉木",
            "replant_deadline": "2024-03-31",
        },
    )


ASSESS = {
    "method": "AR-CM-001 defaults@2022.1",
    "species_0": "杉木",
    "volume_0": "10",
    "volume_type_0": "standing",
    "assessor": "福建某林业司法鉴定中心",
    "assessed_on": "2023-05-20",
}
DECIDE = {
    "basis": "loss",
    "multiple": "1",
    "rounding": "up_to_t",
    "price_basis": "programme",
    "price_yuan": "100",
    "price_date": "2023-06-01",
    "price_source": "一元碳汇 100 元/吨",
    "judgment_ref": "（2023）闽0428刑初45号刑事判决书",
    "decided_on": "2023-06-01",
}
BUY = {
    "lot_0": f"CT-0000001|{SELLER}",
    "tonnes_0": "12",
    "payer_type": "person",
    "payer_name": "欧阳春华",
    "payment_ref": "NYYH-20230605-001",
    "account_name": "将乐县林业局生态修复专户",
    "account_bank": "中国农业银行将乐县支行",
    "account_number": "1234 5678 9012 3456",
    "paid_on": "2023-06-05",
}


def test_the_court_takes_a_case_from_filing_to_retirement(client, login, judicial):
    login("court")
    done = file(client)
    assert done.headers["Location"].endswith(f"/judicial/{CASE}")
    page = client.get(f"{COURT}/{CASE}").get_data(as_text=True)
    assert "(2023)闽0428刑初45号" in page and "欧**华" in page and "欧阳春华" not in page
    assert "立案" in page and "滥伐林木" in page
    no_account_names(page)

    path = f"{COURT}/{CASE}/assess"
    calc = client.post(path, data={**form_keys(client, path), **ASSESS, "calculate": ""})
    text = calc.get_data(as_text=True)
    assert calc.status_code == 200 and "11.92" in text and "× 44/12" in text
    with read_transaction(judicial) as conn:
        assert services.get_case(conn, "350428", CASE).state == "filed"  # nothing recorded
    post(client, path, {**ASSESS, "record": ""})

    post(client, f"{COURT}/{CASE}/decide", DECIDE)
    page = client.get(f"{COURT}/{CASE}").get_data(as_text=True)
    assert "12 吨" in page and "1,200.00 元" in page

    form = client.get(f"{COURT}/{CASE}/purchase").get_data(as_text=True)
    assert "常口村 集体账户" in form and "100.00 元/吨" in form
    post(client, f"{COURT}/{CASE}/purchase", BUY)
    post(
        client,
        f"{COURT}/{CASE}/retire",
        {"retirement_ref": "HXEE-ZX-2023-0088", "retired_on": "2023-06-10"},
    )
    page = client.get(f"{COURT}/{CASE}").get_data(as_text=True)
    assert "HXEE-ZX-2023-0088" in page and "0000001-001–0000001-012" in page
    assert "1,200.00 元" in page and "生态修复专户" in page and "3456" in page
    assert "1234 5678" not in page
    no_account_names(page)
    with read_transaction(judicial) as conn:
        assert services.get_case(conn, "350428", CASE).state == "retired"


def test_refusals_are_in_chinese_and_write_nothing(client, login, judicial):
    login("court")
    file(client)
    path = f"{COURT}/{CASE}/assess"
    before = table_state(judicial)
    bad = client.post(
        path,
        data={**form_keys(client, path), **ASSESS, "volume_0": "0", "record": ""},
    )
    assert bad.status_code == 422
    assert table_state(judicial) == before
    bamboo = client.post(
        path,
        data={
            **form_keys(client, path),
            **ASSESS,
            "species_0": "毛竹",
            "record": "",
        },
    )
    assert bamboo.status_code == 422 and "毛竹" in bamboo.get_data(as_text=True)
    decide = client.post(
        f"{COURT}/{CASE}/decide", data={**form_keys(client, f"{COURT}/{CASE}/decide"), **DECIDE}
    )
    assert decide.status_code == 409
    assert "这一步" in decide.get_data(as_text=True) or "步骤" in decide.get_data(as_text=True)
    assert table_state(judicial) == before
    again = client.post(
        f"{COURT}/new",
        data={
            **form_keys(client, f"{COURT}/new"),
            "case_number": "(2023)闽0428刑初45号",
            "offence": "lanfa",
            "defendants": "某某",
            "filed_on": "2023-05-10",
        },
    )
    assert again.status_code == 409 and "已立案" in again.get_data(as_text=True)
    wrong = client.post(
        f"{COURT}/new",
        data={
            **form_keys(client, f"{COURT}/new"),
            "case_number": "(2023)闽0428刑初",
            "offence": "lanfa",
            "defendants": "某某",
            "filed_on": "2023-05-10",
        },
    )
    assert wrong.status_code == 422
    assert table_state(judicial) == before


def as_role(app, role: str):
    """A fresh client signed in as the user of ``role``."""
    other = app.test_client()
    assert sign_in(other, USERS[role][0], PASSWORD).status_code == 302
    return other


def test_the_bureau_sees_its_division_and_the_other_court_nothing(app, client, login, judicial):
    login("court")
    file(client)
    bureau = as_role(app, "bureau_county")
    page = bureau.get("/bureaus/350428/judicial").get_data(as_text=True)
    assert "(2023)闽0428刑初45号" in page and "将乐县人民法院" in page
    assert bureau.get(f"{COURT}/{CASE}").status_code == 200  # read only
    assert bureau.get(f"{COURT}/{CASE}/assess").status_code == 403
    other = as_role(app, "bureau_other")
    assert other.get(f"{COURT}/{CASE}").status_code == 403
    assert "(2023)闽0428刑初45号" not in other.get("/bureaus/350403/judicial").get_data(
        as_text=True
    )
    village = as_role(app, "village")
    assert village.get(f"{COURT}/{CASE}").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get(f"{COURT}/{CASE}").status_code in (302, 401)
    assert anonymous.get(OTHER_COURT).status_code in (302, 401)


def test_replanting_and_its_acceptance_on_the_timeline(client, login, judicial):
    login("court")
    file(client)
    path = f"{COURT}/{CASE}/replanting"
    bad = client.post(path, data={**form_keys(client, path), "area_mu": "5.123"})
    assert bad.status_code == 422 and "最多两位小数" in bad.get_data(as_text=True)
    post(
        client,
        path,
        {
            "area_mu": "5",
            "species": "杉木",
            "deadline": "2024-03-31",
            "accepted_on": "2024-04-20",
            "note": "林业局验收合格",
        },
    )
    page = client.get(f"{COURT}/{CASE}").get_data(as_text=True)
    assert "补种复绿" in page and "2024-04-20" in page and "林业局验收合格" in page
