"""Judicial carbon on a phone, in a real browser, in Chinese, at 360 px: the demo court user
files a case, calculates and records the carbon loss, records the decision, buys the units
from 常口村's carbon ticket lot listed on the purchase form, records the exchange's retirement,
issues the certificate and prints it. The certificate's text shows the case number, the tonnes
and the amount, and ``carbon-ledger receipt verify`` accepts it. The bureau then sees the case
in its division's totals. Nothing scrolls sideways, tap targets are at least 44 px high, and no
page breaks the Content-Security-Policy."""

from __future__ import annotations

import subprocess
import sys

from ledger.services.keys import load_signer
from tests.conftest import REPO
from tests.e2e.test_phone import sign_in
from tests.e2e.test_units import NARROW, check

NUMBER = "(2024)闽0428刑初12号"


def test_a_court_takes_a_case_to_its_certificate(live_app, page, shot, tmp_path):
    app, _base = live_app
    page.set_viewport_size(NARROW)
    sign_in(page, "court")
    page.get_by_role("link", name="司法碳汇", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("将乐县人民法院")
    assert page.get_by_text("(2023)闽0428刑初45号").is_visible()  # the demo's case
    check(page)
    shot(page, "judicial-01-cases")

    page.get_by_role("link", name="登记案件").click()
    page.wait_for_load_state()
    page.get_by_label("案号").fill("（2024）闽0428刑初12号")
    page.get_by_label("罪名", exact=True).select_option("daofa")
    page.get_by_label("被告人（每行一人）").fill("欧阳春华")
    page.get_by_label("立案日期").fill("2024-03-04")
    page.locator("#species_0").fill("马尾松")
    page.locator("#trees_0").fill("40")
    page.locator("#volume_0").fill("6.5")
    page.locator("#volume_type_0").select_option("standing")
    page.locator("#place_0").fill("350428102201")
    check(page)
    shot(page, "judicial-02-file")
    page.get_by_role("button", name="登记案件").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith(NUMBER)
    assert page.get_by_text("欧**华").is_visible()
    check(page)

    page.get_by_role("link", name="评估碳汇损失").click()
    page.wait_for_load_state()
    page.locator("#species_0").select_option("马尾松")
    page.locator("#volume_0").fill("6.5")
    page.locator("#volume_type_0").select_option("standing")
    page.get_by_label("鉴定机构").fill("福建某林业司法鉴定中心")
    page.get_by_label("鉴定日期").fill("2024-03-20")
    page.get_by_role("button", name="计算").click()
    page.wait_for_load_state()
    # 6.5 × 0.380 × 1.472 × (1 + 0.187) × 0.460 × 44/12 = 7.27921… t, by hand
    assert page.get_by_text("碳汇损失量：7.28 吨").is_visible()
    check(page)
    shot(page, "judicial-03-calculator")
    page.get_by_role("button", name="记录评估结果").click()
    page.wait_for_load_state()

    page.get_by_role("link", name="记录裁判").click()
    page.wait_for_load_state()
    page.get_by_label("损失量倍数").fill("2")
    page.get_by_label("取整方式").select_option("up_to_t")
    page.get_by_label("价格依据").select_option("programme")
    page.get_by_label("单价（元/吨）").fill("100")
    page.get_by_label("价格日期").fill("2024-04-01")
    page.get_by_label("价格来源").fill("一元碳汇固定价格 100 元/吨")
    page.get_by_label("裁判日期").fill("2024-04-02")
    check(page)
    page.get_by_role("button", name="记录裁判").click()
    page.wait_for_load_state()
    # 7,279 kg × 2 = 14,558 kg, up to 15 t; 15 t × 100 元/t = 1,500.00 元
    assert page.get_by_text("金额：1,500.00 元").is_visible()
    check(page)
    shot(page, "judicial-04-decided")

    page.get_by_role("link", name="记录认购").click()
    page.wait_for_load_state()
    assert page.get_by_role("cell", name="常口村 集体账户").first.is_visible()
    seller = page.locator("#lot_0")
    seller.select_option(label=next(
        t for t in seller.locator("option").all_inner_texts() if "常口村 集体账户" in t
    ))  # fmt: skip
    page.locator("#tonnes_0").fill("15")
    page.get_by_label("缴款人姓名或名称").fill("欧阳春华")
    page.get_by_label("缴款凭证号").fill("JLNS-20240410-0012")
    page.get_by_label("生态修复专户户名").fill("将乐县林业局生态修复专户（示例）")
    page.get_by_label("银行", exact=True).fill("将乐示例农村商业银行（示例）")
    page.get_by_label("账号").fill("9350 0428 0000 0045")
    page.get_by_label("缴款日期").fill("2024-04-10")
    check(page)
    shot(page, "judicial-05-purchase")
    page.get_by_role("button", name="记录认购").click()
    page.wait_for_load_state()
    assert page.get_by_text("认购已记录。").is_visible()

    page.get_by_role("link", name="记录核销").click()
    page.wait_for_load_state()
    page.get_by_label("交易所核销凭证号").fill("HXEE-SFTH-2024-0012")
    page.get_by_label("核销日期").fill("2024-04-15")
    page.get_by_role("button", name="记录核销").click()
    page.wait_for_load_state()

    page.get_by_role("link", name="出具证明").click()
    page.wait_for_load_state()
    check(page)
    page.get_by_role("button", name="出具证明").click()
    page.wait_for_load_state()
    assert page.get_by_text("证明已出具。").is_visible()
    assert page.locator(".states li.current").inner_text() == "已出证"
    check(page)
    shot(page, "judicial-06-certified")

    link = page.get_by_role("link", name="打印证明")
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(response.body())
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "林业碳汇认购核销证明" in text
    assert NUMBER in text
    assert "15.00" in text and "1,500.00" in text
    assert "欧阳春华" not in text

    settings = app.extensions["ledger.settings"]
    vkey = load_signer(settings.key_path, settings.log_origin).verifier_key()
    verified = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "receipt", "verify", str(pdf), "--vkey", vkey],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr

    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state()
    sign_in(page, "bureau")
    page.goto("/bureaus/350428/judicial")
    assert page.get_by_text(NUMBER).first.is_visible()
    assert page.get_by_role("cell", name="常口村").first.is_visible()
    check(page)
    shot(page, "judicial-07-bureau")
