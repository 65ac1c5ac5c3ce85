"""The units pages on both databases: what a village and a bureau see (in Chinese words, no
account names), the forms (CSRF, a per-form idempotency key, refusals as translated messages),
the one-yuan upload run as a job with its progress page, and the public register."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from ledger.jobs import runner
from ledger.units.projection import SALE_T
from tests.units.web.conftest import PROJECT
from tests.web.conftest import csrf_token, english

V1 = "350428102201"
KEY_RE = re.compile(
    r'name="idempotency_key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="idempotency_key"'
)


def form_keys(client, path: str) -> dict[str, str]:
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    text = page.get_data(as_text=True)
    key = KEY_RE.search(text)
    return {"csrf_token": csrf_token(client, path), "idempotency_key": key.group(1) or key.group(2)}


def no_account_names(text: str) -> None:
    assert "Assets:" not in text and "Income:" not in text and "Expenses:" not in text


def test_the_village_sees_its_income_in_words_and_a_chart(client, login, units):
    login("village")
    page = client.get(f"/villages/{V1}/carbon")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "4,500.00 元" in text  # 300 t at 15 元/t
    assert "300 吨" in text and "常口村 集体账户" in text
    assert "<svg" in text and 'class="chart"' in text and "2021" in text
    assert "0000001-0401–0000001-1000" in text  # the serials it still holds
    assert "0000001-0301–0000001-0400" in text and "质押中" in text  # and has pledged
    no_account_names(text)
    assert "style=" not in text and "<script" not in text


def test_another_village_cannot_see_it(client, login, units):
    login("village_other")
    assert client.get(f"/villages/{V1}/carbon").status_code == 403


def test_the_bureau_sees_projects_pledges_and_sales(client, login, units):
    login("bureau_county")
    text = client.get("/bureaus/350428/carbon").get_data(as_text=True)
    assert f"测试项目 {PROJECT}" in text and "中国工商银行" in text and "华为技术有限公司" in text
    no_account_names(text)
    project = client.get(f"/bureaus/350428/carbon/projects/{PROJECT}").get_data(as_text=True)
    assert "0000001-0001–0000001-1000" in project and "质押" in project
    no_account_names(project)


def test_issuing_a_lot_from_the_form_appends_once(client, login, units, engine):
    login("bureau_county")
    path = f"/bureaus/350428/carbon/projects/{PROJECT}/issue"
    data = {
        **form_keys(client, path), "lot": "0000002", "vintage": "2022",
        "period_start": "2021-01-01", "period_end": "2021-12-31", "quantity": "250",
        "first": "1", "issued_on": "2022-05-18", "document_title": "碳票 0000002 签发文件",
    }  # fmt: skip

    def post():
        return client.post(
            path, data={**data, "document": (io.BytesIO(b"scan"), "ticket.pdf")},
            content_type="multipart/form-data",
        )  # fmt: skip

    first = post()
    assert first.status_code == 303, first.get_data(as_text=True)[:800]
    again = post()  # a double tap: the same form's key
    assert again.status_code == 303
    project = client.get(f"/bureaus/350428/carbon/projects/{PROJECT}").get_data(as_text=True)
    assert project.count("0000002-001–0000002-250") == 1


def test_a_sale_from_the_form_shows_its_arithmetic(client, login, units, engine):
    from tests.units import make_lot, make_project

    make_project(engine, "OT-1", programme="other")
    make_lot(engine, "OT-1", "OT-L1", count=10_000, unit_kg=1)  # serials of 1 kg
    login("bureau_county")
    path = "/bureaus/350428/carbon/projects/OT-1/sale"
    data = {
        **form_keys(client, path), "holder": f"Assets:Village:{V1}:Collective",
        "quantity": "2.723", "price": "15.55", "buyer_type": "company",
        "buyer_name": "腾讯科技（深圳）有限公司", "buyer_uscc": "9144030071526726xg",
        "use": "esg", "date": "2024-03-01",
    }  # fmt: skip
    done = client.post(path, data=data)
    assert done.status_code == 303, done.get_data(as_text=True)[:1500]
    text = client.get(done.headers["Location"]).get_data(as_text=True)
    # 15.55 元/吨 × 2.723 吨 = 42.34265 元, rounded half up to the fen: 42.34 元
    assert "15.55 元/吨 × 2.723 吨 = 42.34265 元" in text
    assert "42.34 元" in text and "四舍五入" in text
    no_account_names(text)


def test_a_refused_sale_is_explained_in_chinese(client, login, units):
    login("bureau_county")
    path = f"/bureaus/350428/carbon/projects/{PROJECT}/sale"
    data = {
        **form_keys(client, path), "holder": f"Assets:Village:{V1}:Collective",
        "quantity": "5000", "price": "10", "buyer_type": "company", "buyer_name": "腾讯",
        "buyer_uscc": "9144030071526726XG", "use": "esg", "date": "2024-03-01",
    }  # fmt: skip
    refused = client.post(path, data=data)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "该持有人只有 600000 千克可用，所需为 5000000 千克。" in text


def test_only_the_bureaus_own_staff_write(client, login, units):
    login("bureau_province")  # reads the county, records nothing for it
    assert client.get("/bureaus/350428/carbon").status_code == 200
    assert client.get(f"/bureaus/350428/carbon/projects/{PROJECT}/sale").status_code == 403


def test_the_one_yuan_upload_runs_as_a_job(client, login, units, engine):
    from tests.units import make_lot, make_project

    make_project(engine, "SC-001", programme="one_yuan")
    make_lot(engine, "SC-001", "SC-001-L1", count=1_000, unit_kg=10)
    login("bureau_county")
    path = "/bureaus/350428/carbon/oneyuan"
    csv = (
        "order_id,paid_at,buyer,amount_yuan,kg,certificate_no,project_code\n"
        "WX1,2024-05-01 10:00:00,张三,2,20,C1,SC-001\n"
    ).encode()
    done = client.post(
        path, data={**form_keys(client, path), "file": (io.BytesIO(csv), "orders.csv")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert done.status_code == 303
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "导入了 1 笔" in page and 'http-equiv="refresh"' not in page
    bad = csv.replace(b"2,20", b"2,21")
    done = client.post(
        path, data={**form_keys(client, path), "file": (io.BytesIO(bad), "orders.csv")},
        content_type="multipart/form-data",
    )  # fmt: skip
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "第 2 行" in page and "kg" in page and "没有导入" in page
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(SALE_T).where(SALE_T.c.kind == "oneyuan")
            ).scalar_one()
            == 1
        )


def test_a_running_job_page_refreshes_itself(client, login, units, engine):
    job_id = runner.create_job(
        engine, "units.oneyuan_import", params={"file": "x.csv"}, owner="350428", actor="t",
        input=b"",
    )  # fmt: skip
    login("bureau_county")
    page = client.get(f"/bureaus/350428/carbon/jobs/{job_id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in page
    login_other = client.get(f"/bureaus/350403/carbon/jobs/{job_id}")
    assert login_other.status_code == 403


def test_the_public_register_has_no_prices(client, units):
    text = client.get("/carbon/register").get_data(as_text=True)
    assert "华为技术有限公司" in text and "300 吨" in text
    assert not re.search(r"\d 元|元/吨", text.split("<main", 1)[1])  # no prices


def test_pages_in_english(client, login, units):
    english(client)
    login("village")
    text = client.get(f"/villages/{V1}/carbon").get_data(as_text=True)
    assert "Carbon income" in text and "CNY 4,500.00" in text and "300 t CO2e" in text


def test_a_job_abandoned_too_often_says_so_in_chinese(client, login, units, engine):
    from sqlalchemy import update

    from ledger.storage.db import write_transaction

    job_id = runner.create_job(
        engine, "units.oneyuan_import", params={"file": "x.csv"}, owner="350428", actor="t",
        input=b"",
    )  # fmt: skip
    with write_transaction(engine) as conn:  # a run on another host, silent for a day
        conn.execute(
            update(runner.JOB).where(runner.JOB.c.id == job_id).values(
                status="running", runner="elsewhere:1:1:abc", attempts=runner.MAX_ATTEMPTS,
                heartbeat_at="2026-01-01T00:00:00.000000Z",
            )
        )  # fmt: skip
    assert runner.reclaim_abandoned(engine, "2026-01-02T00:00:00.000000Z") == []
    login("bureau_county")
    page = client.get(f"/bureaus/350428/carbon/jobs/{job_id}").get_data(as_text=True)
    assert "任务中断了 3 次" in page and 'http-equiv="refresh"' not in page


def _project_form(client, **fields) -> dict[str, str]:
    path = "/bureaus/350428/carbon/projects/new"
    return {
        **form_keys(client, path), "project": "VCS-1529", "programme": "vcs",
        "name": "将乐县森林经营碳汇项目", "owner_kind": "farm", "owner_code": "350428-GYLC",
        "owner_name": "将乐国有林场", "division": "350428", "area_mu": "1200",
        "crediting_start": "2020-01-01", "crediting_end": "2039-12-31", **fields,
    }  # fmt: skip


def test_a_project_names_the_registry_its_identifier_belongs_to(client, login, units, engine):
    """Registry reconciliation finds a project's lots by the registry named in
    ``registry_ids`` (``{"verra": "1529"}``); the form asks for the registry beside the
    identifier, and refuses either without the other, writing nothing."""
    import json

    from ledger.units.projection import PROJECT_T

    def details():
        with engine.connect() as conn:
            row = conn.execute(
                select(PROJECT_T.c.details).where(PROJECT_T.c.project == "VCS-1529")
            ).first()
        return None if row is None else json.loads(row.details or "{}")

    login("bureau_county")
    path = "/bureaus/350428/carbon/projects/new"
    alone = client.post(path, data=_project_form(client, registry_id="1529"))
    assert alone.status_code in (200, 422)
    assert "请选择这个编号所属的登记处或交易所" in alone.get_data(as_text=True)
    bare = client.post(path, data=_project_form(client, registry="verra"))
    assert "请填写项目在该登记处的编号" in bare.get_data(as_text=True)
    assert details() is None

    done = client.post(path, data=_project_form(client, registry="verra", registry_id="1529"))
    assert done.status_code == 303, done.get_data(as_text=True)[:800]
    assert details()["registry_ids"] == {"verra": "1529"}
