"""The clerk's preview of a distribution in a real browser at 360 px, in Chinese and in English
with large text: reached from the sharing page, a roster file and a typed-in rule give each
household's amount with its arithmetic in words; a bad file names its lines. Every page keeps
the conventions of :mod:`tests.e2e.browsing` (no sideways scroll, tap targets >= 44 px, no
untranslated English, no console error)."""

from __future__ import annotations

import pytest

from tests.e2e.browsing import check_page, new_page, sign_in

BASE = "/villages/350428102201/sharing"
HEADER = "household_code,members,forest_area_mu,low_income\n"
# 1,000.00 元; 10 % retained, 10 % of the rest to the one low-income household, the remainder
# half by members (M = 10), half per household (H = 3): see tests/community/web/test_preview_page.py
ROSTER = (HEADER + "A1,2,0,是\nB2,3,0,否\nC3,5,0,否\n").encode()
BAD = (HEADER + "A1,2,0,是\nB2,two,0,否\nC3,5,-1,否\n").encode()
FIELDS = ("retention_pct", "low_income_pct", "per_capita", "per_household", "by_area")
RULE = ("10", "10", "50", "50", "0")


def fill(page, roster: bytes) -> None:
    page.locator("#file").set_input_files(
        files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": roster}]
    )
    page.locator("#amount").fill("1000")
    for name, value in zip(FIELDS, RULE, strict=True):
        page.locator(f"#{name}").fill(value)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("mode", [{"lang": "zh_CN"}, {"lang": "en", "large": True}])
def test_the_clerk_previews_a_distribution_on_a_phone(browser, live_server, mode):
    chinese = mode["lang"] == "zh_CN"
    context, page, errors = new_page(browser, live_server, **mode)
    try:
        sign_in(page, "village")
        page.goto(BASE)
        page.locator(f'a[href="{BASE}/preview"]').first.click()
        page.wait_for_load_state()
        assert page.url.endswith(f"{BASE}/preview")
        assert check_page(page, chinese=chinese) == []

        fill(page, ROSTER)
        body = page.inner_text("body")
        assert "306.00" in body and "256.50" in body and "337.50" in body
        if chinese:
            words = "2 人 × 每人 40.50 元 + 每户 135.00 元 + 低收入户补助 90.00 元 = 306.00 元"
            assert words in body
        assert check_page(page, chinese=chinese) == []

        fill(page, BAD)
        cells = page.locator("table.cards td.num").all_inner_texts()
        assert [c.strip() for c in cells] == ["3", "4"]
        assert check_page(page, chinese=chinese) == []
    finally:
        context.close()
    assert [e for e in errors if "the server responded with a status of" not in e] == []
