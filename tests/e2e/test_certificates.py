"""The one-yuan buyers' certificates on a phone, in a real browser, in Chinese, at 360 px: the
demo bureau uploads a mini-programme export, follows the import's page, has every certificate
of the import made (a job whose page shows its progress) and downloads the ZIP file; then finds
one order by its number and downloads that buyer's certificate, which names the buyer and
verifies. Nothing scrolls sideways and tap targets are at least 44 px high."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile

import pytest

from ledger.units import services
from ledger.units.model import village_account
from ledger.units.services import IssueSpec, ProjectSpec
from tests.e2e.test_phone import sign_in
from tests.e2e.test_units import NARROW, check
from tests.units import document

PROJECT = "JL-YY-001"
CSV = (
    "order_id,paid_at,buyer,amount_yuan,kg,certificate_no,project_code\n"
    "JLWX0001,2024-06-01 09:00:00,林小溪,20,200,JLYY-0001,JL-YY-001\n"
    "JLWX0002,2024-06-01 09:05:00,陈大山,1,10,JLYY-0002,JL-YY-001\n"
).encode()


@pytest.fixture
def one_yuan_project(live_app):
    """A one-yuan project of 余坊村 in 将乐县 (the demo bureau's county)."""
    engine = live_app[0].extensions["ledger.engine"]
    spec = ProjectSpec(
        PROJECT, "one_yuan", "将乐一元碳汇（余坊村，测试）", village_account("350428102202"),
        "350428102202", "200", ("2020-01-01", "2029-12-31"),
    )  # fmt: skip
    services.register_project(engine, spec, actor="e2e", within=None, key="e2e-jl-yy-project")
    services.issue_lot(
        engine,
        IssueSpec(PROJECT, "JL-YY-2024", 2024, ("2024-01-01", "2024-12-31"), 1_000,
                  "2024-03-01", document("将乐一元碳汇核证文件（测试）")),
        actor="e2e", within=None, key="e2e-jl-yy-lot",
    )  # fmt: skip


def text_of(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, timeout=60)
    return re.sub(r"\s+", "", done.stdout.decode())


def test_a_bureau_prints_the_buyers_certificates(page, shot, one_yuan_project, tmp_path):
    page.set_viewport_size(NARROW)
    sign_in(page, "bureau")
    page.get_by_role("link", name="碳汇", exact=True).click()
    page.get_by_role("link", name="导入一元碳汇购买记录").click()
    page.wait_for_load_state()
    page.get_by_label("小程序导出文件（CSV）").set_input_files(
        files=[{"name": "orders.csv", "mimeType": "text/csv", "buffer": CSV}]
    )
    page.get_by_role("button", name="上传并导入").click()
    page.get_by_text("导入了 2 笔").wait_for(timeout=30_000)
    check(page)
    page.get_by_role("button", name="生成认购证书（2 张）").click()
    page.get_by_text("2 张认购证书已生成。").wait_for(timeout=60_000)  # the page refreshes itself
    check(page)
    shot(page, "units-07-certificates-ready")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载认购证书（ZIP 压缩包）").click()
    archive = tmp_path / "certificates.zip"
    download.value.save_as(archive)
    with zipfile.ZipFile(io.BytesIO(archive.read_bytes())) as z:
        names = sorted(z.namelist())
        assert len(names) == 2 and names[0].startswith("JLYY-0001-")
        assert "认购人：林小溪" in text_of(z.read(names[0]))

    page.get_by_role("link", name="返回碳汇").click()
    page.get_by_label("订单号").fill("JLWX0002")
    page.get_by_role("button", name="查找订单").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("一元碳汇购买")
    assert page.get_by_text("JLYY-0002").is_visible()
    check(page)
    shot(page, "units-08-purchase")
    with page.expect_download() as download:
        page.get_by_role("button", name="下载认购证书（PDF）").click()
    pdf = tmp_path / "one.pdf"
    download.value.save_as(pdf)
    text = text_of(pdf.read_bytes())
    assert "一元碳汇认购证书" in text and "认购人：陈大山" in text
    assert "认购金额：1.00元" in text and "金额大写：人民币壹元整" in text
