"""Benefit sharing on a phone, in a real browser, in Chinese, at 360 px: the village clerk of
常口村 imports a new roster (and sees what changed), enters a sharing rule, drafts a
distribution (the page shows each household's amount, which must be the exact allocation),
records the villagers' assembly resolution, puts it on public notice, records an objection and
answers it, finalises, prepares the bank's batch and downloads it, posts the bank's results
with one failure, corrects that household's account and pays it in a second batch, prints the
household's payout slip and the village notice, and checks the slip on the public
verification page. No page scrolls sideways; console errors fail the test."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from ledger.community.allocation import HouseholdBasis, allocate, parse_rule
from ledger.services.log import append_batch
from ledger.vault.fields import id_check_char
from tests.e2e.test_phone import check_layout, sign_in
from tests.receipts.conftest import sale

NARROW = {"width": 360, "height": 780}
VILLAGE = "350428102201"
BASE = f"/villages/{VILLAGE}/sharing"
#: The roster: code, head, members, forest mu, low-income.
HOUSEHOLDS = (
    ("E2E-01", "林秀英", 4, "12.5", True),
    ("E2E-02", "陈志强", 3, "8", False),
    ("E2E-03", "黄丽华", 2, "0", False),
    ("E2E-04", "吴国平", 5, "20.25", False),
    ("E2E-05", "郑海燕", 1, "3.5", True),
)
RULE = {
    "retention_pct": "10",
    "low_income_pct": "5",
    "weights": {"per_capita": "50", "per_household": "30", "by_area": "20"},
    "notice_days": 7,
}
AMOUNT_FEN = 1_000_000  # 10,000.00 元


def resident_id(n: int) -> str:
    first = f"35042819{70 + n}0101{n:03d}"
    return first + id_check_char(first)


def account(n: int, fixed: bool = False) -> str:
    return f"62220202001188{'9' if fixed else '0'}{n:02d}"


def roster_file() -> bytes:
    lines = ["household_code,head_name,id_number,members,forest_area_mu,low_income,bank_account"]
    for n, (code, head, members, area, low) in enumerate(HOUSEHOLDS, 1):
        lines.append(
            f"{code},{head},{resident_id(n)},{members},{area},{'是' if low else '否'},{account(n)}"
        )
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def expected_amounts() -> dict[str, int]:
    households = [
        HouseholdBasis(code, members, Decimal(area), low)
        for code, _, members, area, low in HOUSEHOLDS
    ]
    result = allocate(AMOUNT_FEN, parse_rule(RULE), households)
    return {share.household_code: share.amount_fen for share in result.allocations}


def yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def results_csv(rows: list[tuple], failures: dict[int, str]) -> bytes:
    """The bank's result file for the batch ``rows`` (序号, 户名, 账号, 金额, 用途)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("序号", "户名", "账号", "金额", "用途", "状态", "失败原因"))
    for row in rows:
        seq = int(row[0])
        reason = failures.get(seq)
        writer.writerow((*row, "失败" if reason else "成功", reason or ""))
    return out.getvalue().encode("utf-8")


def pdftotext(data: bytes, tmp_path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60
    )
    return re.sub(r"\s+", "", done.stdout.decode())


def submit(page, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()
    check_layout(page)


def test_a_village_clerk_shares_the_money_and_pays_every_household(live_app, page, shot, tmp_path):
    app, _ = live_app
    # The collective receives 40,845.00 元 more (a sale), so there is money to share beyond the
    # demo's distribution, which shared all the demo's revenue.
    append_batch(app.extensions["ledger.engine"], [sale("0000088")])
    expected = expected_amounts()
    page.set_viewport_size(NARROW)
    sign_in(page, "village")
    page.goto(BASE)
    page.wait_for_load_state()
    assert "收益分配" in page.locator("h1").inner_text()
    check_layout(page)
    shot(page, "community-01-village")

    # The roster: the file is checked, the changes shown, then saved.
    page.get_by_role("link", name="导入花名册").click()
    page.wait_for_load_state()
    page.get_by_label("花名册文件（CSV）").set_input_files(
        files=[{"name": "花名册.csv", "mimeType": "text/csv", "buffer": roster_file()}]
    )
    submit(page, "检查花名册文件")
    assert page.get_by_text("E2E-01").first.is_visible()
    shot(page, "community-02-roster-changes")
    page.get_by_role("button", name=re.compile(r"^保存花名册版本 \d+$")).click()
    page.wait_for_load_state()
    check_layout(page)

    # The rule.
    page.goto(BASE)
    page.get_by_role("link", name="录入分配规则").click()
    page.wait_for_load_state()
    page.get_by_label("规则简称").fill("E2E")
    page.get_by_label("规则名称").fill("端到端测试分配办法")
    page.get_by_label("村集体提留比例（%）").fill("10")
    page.get_by_label("低收入户专项比例（%）").fill("5")
    page.get_by_label("按人口分配权重（%）").fill("50")
    page.get_by_label("按户分配权重（%）").fill("30")
    page.get_by_label("按林地面积分配权重（%）").fill("20")
    page.get_by_label("最短公示天数").fill("7")
    check_layout(page)
    submit(page, "保存规则")

    # The draft: the page shows what each household gets, the exact allocation.
    page.goto(BASE)
    page.get_by_role("link", name="起草收益分配").click()
    page.wait_for_load_state()
    page.get_by_label("标题").fill("2026年端到端测试收益分配")
    page.get_by_label("分配金额（元）").fill("10000")
    page.get_by_label("分配规则").select_option("E2E")
    check_layout(page)
    submit(page, "起草分配方案")
    assert page.get_by_role("heading", name="每户分配额").is_visible()
    table = page.locator("table").last.inner_text()
    for code, amount in expected.items():
        assert code in table
        assert yuan(amount) in table, (code, amount, table)
    shot(page, "community-03-draft")
    distribution_url = page.url.split("?")[0]

    # The villagers' assembly.
    page.get_by_label("村民会议召开日期").fill("2026-11-20")
    page.get_by_label("决议编号").fill("常口村民会决〔2026〕9号")
    page.get_by_label("到会人数").fill("45")
    page.get_by_label("赞成人数").fill("40")
    page.get_by_label("决议扫描件").set_input_files(
        files=[{"name": "决议.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 scan"}]
    )
    submit(page, "登记决议")

    # The public notice (already over, so it can be finalised today).
    page.get_by_label("公示开始日期").fill("2026-11-21")
    page.get_by_label("天数").fill("7")
    page.get_by_label("异议受理地点").fill("常口村村民委员会办公室")
    submit(page, "开始公示")
    shot(page, "community-04-notice")

    # An objection and its answer.
    page.get_by_label("户号（如有）").fill("E2E-02")
    page.get_by_label("提出日期").fill("2026-11-22")
    page.get_by_label("异议内容").fill("林地面积登记少了两亩")
    submit(page, "登记这条异议")
    page.get_by_label("答复").fill("已核对林权证，面积无误")
    submit(page, "登记答复")
    assert page.get_by_text("已核对林权证，面积无误").is_visible()

    # Finalise.
    submit(page, "确认定案")
    shot(page, "community-05-finalised")
    table = page.locator("table").last.inner_text()
    for amount in expected.values():
        assert yuan(amount) in table

    # The bank's batch, downloaded as Excel.
    submit(page, "生成代发批次")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载代发文件（Excel）").first.click()
    workbook = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = [r for r in workbook.worksheets[0].iter_rows(values_only=True)][1:]
    assert len(rows) == len(HOUSEHOLDS)
    by_account = {r[2]: r for r in rows}
    assert {str(r[2]) for r in rows} == {account(n) for n in range(1, len(HOUSEHOLDS) + 1)}
    amounts = sorted(round(Decimal(str(r[3])) * 100) for r in rows)
    assert amounts == sorted(expected.values())
    assert "林秀英" in {r[1] for r in rows}  # the bank needs the holder's full name
    failing = by_account[account(2)]
    batch_rows = [(r[0], r[1], r[2], f"{Decimal(str(r[3])):.2f}", r[4]) for r in rows]

    # The bank's results: one payment failed.
    page.get_by_label("银行回执文件（CSV 或 XLSX）").set_input_files(
        files=[
            {
                "name": "回执.csv",
                "mimeType": "text/csv",
                "buffer": results_csv(batch_rows, {int(failing[0]): "户名与账号不符"}),
            }
        ]
    )
    submit(page, "导入银行回执")
    assert page.get_by_text(f"成功 {len(HOUSEHOLDS) - 1} 笔，失败 1 笔").is_visible()
    assert page.get_by_text("户名与账号不符").first.is_visible()
    shot(page, "community-06-results")

    # The account corrected, and a second batch pays it.
    page.get_by_label("更正后的银行账号").fill(account(2, fixed=True))
    submit(page, "更正银行账号")
    page.goto(distribution_url)
    submit(page, "生成代发批次")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载代发文件（CSV）").last.click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    second = list(csv.reader(io.StringIO(text)))[1:]
    assert len(second) == 1 and second[0][2] == account(2, fixed=True)
    assert second[0][3] == yuan(expected["E2E-02"]).replace(",", "")
    page.get_by_label("银行回执文件（CSV 或 XLSX）").set_input_files(
        files=[
            {
                "name": "回执2.csv",
                "mimeType": "text/csv",
                "buffer": results_csv([tuple(second[0])], {}),
            }
        ]
    )
    submit(page, "导入银行回执")
    assert page.get_by_text("成功 1 笔，失败 0 笔").is_visible()
    shot(page, "community-07-paid")

    # The slip of E2E-02 and the village notice, linked from the distribution's page, as PDFs
    # that prove their entries.
    page.goto(distribution_url)
    slip_link = page.locator("tr", has_text="E2E-02").get_by_role("link", name="打印")
    slip = page.request.get(slip_link.get_attribute("href"))
    assert slip.ok and slip.headers["content-type"].startswith("application/pdf")
    words = pdftotext(slip.body(), tmp_path, "slip.pdf")
    assert "收益分配到户凭证" in words
    assert "户号：E2E-02" in words
    assert f"分配金额：{yuan(expected['E2E-02'])}元" in words
    assert "陈*强" in words and "陈志强" not in words  # the head's name masked
    notice_link = page.get_by_role("link", name="打印公示表（PDF）")
    notice = page.request.get(notice_link.get_attribute("href"))
    assert notice.ok
    words = pdftotext(notice.body(), tmp_path, "notice.pdf")
    assert "收益分配公示表" in words and "异议受理：常口村村民委员会办公室" in words
    for code, amount in expected.items():
        assert code in words and yuan(amount) in words

    # The villager's slip checks out on the public page.
    page.goto("/public/receipts")
    page.get_by_label("凭证（PDF 或 receipt.json）").set_input_files(
        {"name": "凭证.pdf", "mimeType": "application/pdf", "buffer": slip.body()}
    )
    submit(page, "核验凭证")
    assert page.get_by_text("凭证真实有效：它记录的内容在日志中，未被改动。").is_visible()
    shot(page, "community-08-slip-verified")
