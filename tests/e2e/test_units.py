"""Carbon units on a phone, in a real browser, in Chinese, at 360 px: the demo bureau user
issues a new lot of 常口村's carbon ticket project (with its document) and records a sale; the
village user then sees the revenue (the demo's 140,845 元 and the new sale) and the chart.
Nothing scrolls sideways, tap targets are at least 44 px high, and no page breaks the
Content-Security-Policy (console errors fail the test)."""

from __future__ import annotations

import re

from tests.e2e.test_phone import check_layout, sign_in

NARROW = {"width": 360, "height": 780}
#: Links and buttons of the units pages lower than a 44 px tap target.
TARGETS = (
    "main a.button, main button, main select, main input:not([type=hidden]):not([type=checkbox])"
)
SMALL_TARGETS = f"""() => [...document.querySelectorAll('{TARGETS}')]
  .filter(el => el.getClientRects().length && el.getBoundingClientRect().height < 44 - 0.5)
  .map(el => el.outerHTML.slice(0, 80))"""


def check(page) -> None:
    check_layout(page)
    assert page.evaluate(SMALL_TARGETS) == [], page.url


def test_a_bureau_issues_and_sells_and_the_village_sees_the_income(page, shot):
    page.set_viewport_size(NARROW)
    sign_in(page, "bureau")
    page.get_by_role("link", name="碳汇", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("将乐县林业局")
    check(page)
    shot(page, "units-01-bureau")

    page.get_by_role("link", name="常口村生态公益林林业碳票").click()
    page.get_by_role("link", name="签发批次").click()
    page.wait_for_load_state()
    check(page)
    page.get_by_label("批次（碳票）编号").fill("0000002")
    page.get_by_label("年份（年度）").fill("2022")
    page.get_by_label("监测期起").fill("2021-01-01")
    page.get_by_label("监测期止").fill("2021-12-31")
    page.get_by_label("签发数量（吨）").fill("500")
    page.get_by_label("签发日期").fill("2022-05-18")
    page.get_by_label("签发文件", exact=True).set_input_files(
        files=[{"name": "0000002.pdf", "mimeType": "application/pdf", "buffer": b"scan"}]
    )
    page.get_by_label("文件标题（不含个人信息）").fill("林业碳票 0000002 签发文件")
    shot(page, "units-02-issue-form")
    page.get_by_role("button", name="签发", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("批次 0000002 已签发").is_visible()
    assert page.get_by_text("0000002-001–0000002-500").is_visible()
    check(page)
    shot(page, "units-03-project")

    page.get_by_role("link", name="登记出售").click()
    page.wait_for_load_state()
    page.get_by_label("谁的碳汇").select_option(index=0)
    assert "常口村 集体账户" in page.get_by_label("谁的碳汇").inner_text()
    page.get_by_label("数量（吨）").fill("200")
    page.get_by_label("单价（元/吨）").fill("12.50")
    page.get_by_label("买方", exact=True).select_option("company")
    page.get_by_label("买方名称").fill("华为技术有限公司")
    page.get_by_label("统一社会信用代码（企业）").fill("914403001922038216")
    page.get_by_label("声明用途").select_option("esg")
    page.get_by_label("日期").fill("2022-06-01")
    check(page)
    page.get_by_role("button", name="登记出售", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("出售已登记")
    assert page.get_by_text("12.50 元/吨 × 200 吨 = 2,500 元").is_visible()
    assert page.get_by_text("总价：2,500.00 元").is_visible()
    check(page)
    shot(page, "units-04-sale")
    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state()

    sign_in(page, "village")
    page.get_by_role("link", name="碳汇收入").click()
    page.wait_for_load_state()
    assert page.get_by_text("143,345.00 元").first.is_visible()  # 140,845 + 2,500
    chart = page.locator("svg.chart")
    assert chart.is_visible()
    assert chart.locator("rect").count() == 2  # 2021 and 2022
    assert "2022" in chart.text_content() and "2,500.00 元" in chart.text_content()
    assert page.get_by_role("cell", name="2,500.00 元").first.is_visible()
    assert "Assets:" not in page.content()
    check(page)
    shot(page, "units-05-village")


def test_the_public_register_on_a_phone(page, shot):
    page.set_viewport_size(NARROW)
    page.goto("/carbon/register")
    assert page.locator("h1").inner_text() == "碳汇注销与交易公示"
    page.get_by_role("link", name="福建林业碳汇减排量（FFCER）").click()
    page.wait_for_load_state()
    assert page.get_by_text("第44届世界遗产大会组委会（示例）").first.is_visible()
    assert not re.search(r"\d 元|元/吨", page.locator("main").inner_text())  # no prices
    check(page)
    shot(page, "units-06-register")
