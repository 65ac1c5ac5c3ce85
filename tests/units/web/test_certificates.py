"""The buyers' certificates from the pages, on both databases: a bureau finds an order by its
number, opens the purchase and downloads its certificate (a form with CSRF; the PDF names the
buyer in full and verifies); every certificate of an import is made by a job from the import's
page, whose page follows it and then offers the ZIP file; the province bureau reads the pages
but prints nothing (certificates carry personal data), another county finds nothing."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile

import pytest

from ledger.units import oneyuan
from ledger.vault.crypto import Vault
from tests.units import make_lot, make_project
from tests.units.web.test_pages import form_keys
from tests.web.conftest import USERS, csrf_token, sign_in

CSV = (
    "order_id,paid_at,buyer,amount_yuan,kg,certificate_no,project_code\n"
    "WX1,2024-05-01 10:00:00,张三华,2,20,C-1,SC-001\n"
    "WX2,2024-05-01 11:00:00,欧阳春华,5,50,C-2,SC-001\n"
).encode()


@pytest.fixture
def one_yuan(units, engine):
    make_project(engine, "SC-001", programme="one_yuan")
    make_lot(engine, "SC-001", "SC-001-L1", count=1_000, unit_kg=10)


def pdf_text(data: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True, timeout=60
    )
    return re.sub(r"\s+", "", done.stdout.decode())


def test_a_bureau_finds_an_order_and_downloads_its_certificate(app, client, login, one_yuan):
    engine, settings = app.extensions["ledger.engine"], app.extensions["ledger.settings"]
    result = oneyuan.import_purchases(engine, Vault.from_settings(settings), CSV, actor="t")
    login("bureau_county")
    bureau = client.get("/bureaus/350428/carbon").get_data(as_text=True)
    assert "查找订单" in bureau and 'href="/bureaus/350428/carbon/sales/' in bureau
    found = client.get("/bureaus/350428/carbon/oneyuan/orders?order_id=WX1")
    assert found.status_code == 303
    seq = result.first_seq + 1
    assert found.headers["Location"].endswith(f"/bureaus/350428/carbon/sales/{seq}")
    page = client.get(found.headers["Location"]).get_data(as_text=True)
    assert "一元碳汇购买" in page and "C-1" in page and "下载认购证书（PDF）" in page
    assert "张三华" not in page  # the page masks the buyer; only the certificate prints it
    path = f"/bureaus/350428/carbon/sales/{seq}/certificate"
    assert client.post(path).status_code == 400  # no CSRF token
    pdf = client.post(path, data={"csrf_token": csrf_token(client, "/bureaus/350428/carbon")})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    assert f"C-1-{seq}.pdf" in pdf.headers["Content-Disposition"]
    text = pdf_text(pdf.data)
    assert "一元碳汇认购证书" in text and "认购人：张三华" in text
    assert "认购金额：2.00元" in text and "金额大写：人民币贰元整" in text
    missing = client.get("/bureaus/350428/carbon/oneyuan/orders?order_id=NO-SUCH")
    assert missing.status_code == 404
    assert "没有订单号为 NO-SUCH 的一元碳汇订单。" in missing.get_data(as_text=True)
    not_oneyuan = f"/bureaus/350428/carbon/sales/{result.first_seq - 1}/certificate"
    token = csrf_token(client, "/bureaus/350428/carbon")
    assert client.post(not_oneyuan, data={"csrf_token": token}).status_code == 404


def test_the_province_reads_but_prints_no_certificate(app, client, login, one_yuan):
    engine, settings = app.extensions["ledger.engine"], app.extensions["ledger.settings"]
    result = oneyuan.import_purchases(engine, Vault.from_settings(settings), CSV, actor="t")
    seq = result.first_seq + 1
    login("bureau_province")
    page = client.get(f"/bureaus/350428/carbon/sales/{seq}").get_data(as_text=True)
    assert "C-1" in page and "下载认购证书" not in page
    token = csrf_token(client, "/bureaus/350428/carbon")
    done = client.post(
        f"/bureaus/350428/carbon/sales/{seq}/certificate", data={"csrf_token": token}
    )
    assert done.status_code == 403


def test_an_imports_certificates_are_made_by_a_job(app, client, login, one_yuan):
    login("bureau_county")
    upload = "/bureaus/350428/carbon/oneyuan"
    done = client.post(
        upload,
        data={**form_keys(client, upload), "file": (io.BytesIO(CSV), "orders.csv")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 303
    job_page = done.headers["Location"]
    text = client.get(job_page).get_data(as_text=True)
    assert "生成认购证书（2 张）" in text
    make = job_page + "/certificates"
    assert client.post(make).status_code == 400
    started = client.post(make, data={"csrf_token": csrf_token(client, job_page)})
    assert started.status_code == 303
    cert_page = started.headers["Location"]
    text = client.get(cert_page).get_data(as_text=True)
    assert "2 张认购证书已生成。" in text and "下载认购证书（ZIP 压缩包）" in text
    archive = client.get(cert_page + "/certificates.zip")
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.data)) as z:
        names = sorted(z.namelist())
        assert len(names) == 2 and names[0].startswith("C-1-")
        assert "认购人：欧阳春华" in pdf_text(z.read(names[1]))
    # an import job has no ZIP; a certificates job cannot be made certificates of
    assert client.get(job_page + "/certificates.zip").status_code == 404
    token = csrf_token(client, job_page)
    assert client.post(cert_page + "/certificates", data={"csrf_token": token}).status_code == 404
    province = app.test_client()
    assert sign_in(province, USERS["bureau_province"][0]).status_code == 302
    assert province.get(cert_page).status_code == 200  # it reads the county's job pages
    assert province.get(cert_page + "/certificates.zip").status_code == 403
