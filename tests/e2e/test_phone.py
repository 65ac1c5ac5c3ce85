"""The web shell on a phone, in a real browser: sign in and see the role's home page in
Chinese, switch to English, sign out; a village user is refused another village's page; the
larger-text switch changes the computed font size, line height stays at or above 1.3, and the
print stylesheet hides the navigation; the log explorer anchors a document and the public
look-up finds it; nothing overflows sideways and no page breaks the Content-Security-Policy
(console errors fail the test)."""

from __future__ import annotations

import hashlib
import re

from ledger.demo import VILLAGE
from tests.e2e.conftest import DEMO

#: Elements with their own text whose line height is below 1.3 times their font size.
TIGHT_LINES = """() => {
  const tight = [];
  for (const el of document.querySelectorAll('body, body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const cs = getComputedStyle(el);
    const ratio = parseFloat(cs.lineHeight) / parseFloat(cs.fontSize);
    if (!(ratio >= 1.3 - 1e-6)) tight.push(`${el.tagName} ${cs.lineHeight}/${cs.fontSize}`);
  }
  return tight;
}"""
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
BODY_FONT = "() => parseFloat(getComputedStyle(document.body).fontSize)"


def sign_in(page, role: str) -> None:
    """Sign in as the demo user of ``role`` through the (Chinese) sign-in form."""
    username, password = DEMO[role]
    page.goto("/signin")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def check_layout(page) -> None:
    assert page.evaluate(OVERFLOW) <= 1, f"{page.url} scrolls sideways"
    assert page.evaluate(TIGHT_LINES) == [], page.url


def test_sign_in_chinese_home_switch_to_english_sign_out(page, shot):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    check_layout(page)
    shot(page, "01-start-zh")

    sign_in(page, "bureau")
    assert page.url.endswith("/home")
    assert page.locator("h1").inner_text() == "林业局首页"
    assert page.get_by_role("button", name="退出").is_visible()
    check_layout(page)
    shot(page, "02-bureau-home-zh")

    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.url.endswith("/home")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Forestry bureau home"
    check_layout(page)
    shot(page, "03-bureau-home-en")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert page.get_by_text("You are signed out.").is_visible()
    assert page.get_by_role("link", name="Sign in").first.is_visible()
    assert page.goto("/home").url.split("?")[0].endswith("/signin")


def test_village_user_cannot_open_another_village(page, shot):
    sign_in(page, "village")
    assert page.locator("h1").inner_text() == "村集体首页"
    own = page.goto(f"/villages/{VILLAGE}")
    assert own.status == 200
    other = page.goto("/villages/350428102202")
    assert other.status == 403
    assert page.locator("h1").inner_text() == "无权访问"
    assert page.get_by_text("您无权查看此页面。").is_visible()
    check_layout(page)
    shot(page, "04-village-403-zh")
    assert page.goto("/explorer/").status == 403


def test_larger_text_switch_changes_the_computed_font_size(page, shot):
    page.goto("/public/checkpoint")
    normal = page.evaluate(BODY_FONT)
    check_layout(page)
    page.get_by_role("link", name="大字模式").click()
    page.wait_for_load_state()
    assert page.url.endswith("/public/checkpoint")
    assert page.locator("html").get_attribute("class") == "text-large"
    large = page.evaluate(BODY_FONT)
    assert large >= 18 and large > normal * 1.2, (normal, large)
    h1 = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    assert h1 > large
    check_layout(page)
    shot(page, "05-checkpoint-large-text-zh")

    # The print stylesheet: no navigation, black on white, link targets spelled out.
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert page.evaluate("() => getComputedStyle(document.body).color") == "rgb(0, 0, 0)"
    link = "() => getComputedStyle(document.querySelector('a.show-url'), '::after').content"
    assert "/log/checkpoint" in page.evaluate(link)
    shot(page, "05b-checkpoint-print")
    page.emulate_media(media="screen")

    page.goto("/")  # the cookie persists across pages
    assert page.evaluate(BODY_FONT) == large
    page.get_by_role("link", name="标准字号").click()
    page.wait_for_load_state()
    assert page.evaluate(BODY_FONT) == normal


def test_explorer_anchors_a_document_and_the_public_lookup_finds_it(page, shot):
    data = "常口村2026年第一次村民代表大会决议".encode()
    sha = hashlib.sha256(data).hexdigest()
    sign_in(page, "bureau")
    page.goto("/explorer/")
    assert page.locator("h1").inner_text() == "日志浏览"
    check_layout(page)
    shot(page, "06-explorer-entries-zh")

    page.get_by_role("link", name="文件存证", exact=True).first.click()
    page.wait_for_load_state()
    page.get_by_label("文件", exact=True).set_input_files(
        {"name": "决议.pdf", "mimeType": "application/pdf", "buffer": data}
    )
    page.get_by_label("标题").fill("常口村村民代表大会决议（测试）")
    check_layout(page)
    page.get_by_role("button", name="提交存证").click()
    page.wait_for_load_state()
    flash = page.locator(".flash").inner_text()
    seq = int(re.search(r"(\d+)", flash).group(1))
    assert flash == f"文件已存证，日志条目序号为 {seq}。"
    assert page.locator("h1").inner_text() == f"第 {seq} 号条目"
    assert page.get_by_text(sha).first.is_visible()
    check_layout(page)
    shot(page, "07-explorer-anchored-entry-zh")

    page.goto("/public/documents")
    page.get_by_label("文件", exact=True).set_input_files(
        {"name": "copy.pdf", "mimeType": "application/pdf", "buffer": data}
    )
    page.get_by_role("button", name="查询此文件").click()
    page.wait_for_load_state()
    assert page.get_by_text("这份文件已存证 1 次。").is_visible()
    assert page.get_by_text(f"第 {seq} 号条目").is_visible()
    check_layout(page)
    shot(page, "08-public-lookup-zh")


def test_printed_pages_carry_a_header_and_full_link_addresses(page, live_server, shot):
    page.goto("/public/checkpoint")
    assert not page.locator(".print-header").is_visible()
    page.emulate_media(media="print")
    header = page.locator(".print-header").inner_text()
    assert "碳汇账本" in header and "北京时间" in header
    assert f"{live_server}/public/checkpoint" in header
    assert page.locator(".print-footer").is_visible()
    link = "() => getComputedStyle(document.querySelector('main a.show-url'), '::after').content"
    assert f"{live_server}/log/checkpoint" in page.evaluate(link)
    shot(page, "09-checkpoint-print")


def test_a_refused_form_shows_its_error_summary_in_view_with_the_focus(page, shot):
    sign_in(page, "admin")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/admin/users")
    create = page.locator("main form.form").last
    create.locator("#password").fill("short")
    create.locator("button[type=submit]").click()
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    assert page.evaluate("() => document.activeElement.className") == "error-summary"
    box = summary.bounding_box()
    assert box["y"] >= 0 and box["y"] + 40 <= 740, box  # on screen, not 4,000 px down
    for href in summary.locator("a").evaluate_all("links => links.map(a => a.hash)"):
        assert page.locator(href).count() == 1, href  # each problem links to its field
    check_layout(page)
    shot(page, "10-admin-user-form-errors")
