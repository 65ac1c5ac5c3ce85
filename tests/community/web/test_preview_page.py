"""The clerk's preview page on both databases: a hand-worked example, a roster file's bad
lines named by number, a saved roster version with a saved rule, and nothing written."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, inspect, select, table

from ledger.community import services
from ledger.community.allocation import allocate, parse_rule
from ledger.storage.db import read_transaction
from tests.community import ACTOR, RULE, lines, roster_csv
from tests.community.web.test_pages import BASE, V1, save_roster
from tests.web.conftest import csrf_token

PATH = f"{BASE}/preview"
HEADER = "household_code,members,forest_area_mu,low_income\n"

# Three households; 1,000.00 元, the collective keeps 10 %, 10 % of the rest is the low-income
# pool, the remainder half by members and half per household:
#   T = 100,000 fen; R = 10,000; D = 90,000; one low-income household: P = 9,000; Q = 81,000;
#   M = 2 + 3 + 5 = 10 members, H = 3 households:
#   per member = 81,000 × 50 % / 10 = 4,050 fen (40.50 元); per household = 81,000 × 50 % / 3
#   = 13,500 fen (135.00 元);
#   A1 (2 people, low-income) = 2 × 40.50 + 135.00 + 90.00 = 306.00 元
#   B2 (3 people)             = 3 × 40.50 + 135.00         = 256.50 元
#   C3 (5 people)             = 5 × 40.50 + 135.00         = 337.50 元
#   306.00 + 256.50 + 337.50 = 900.00 元 = D; D + R = 1,000.00 元.
HAND = (HEADER + "A1,2,0,是\nB2,3,0,否\nC3,5,0,否\n").encode()
HAND_RULE = {
    "retention_pct": "10",
    "low_income_pct": "10",
    "per_capita": "50",
    "per_household": "50",
    "by_area": "0",
}


def post(client, data: bytes | None, **fields):
    form = {"csrf_token": csrf_token(client, PATH), "rule": "", "roster_version": "", **fields}
    if data is not None:
        form["file"] = (io.BytesIO(data), "roster.csv")
    return client.post(PATH, data=form, content_type="multipart/form-data")


def plain(page) -> str:
    return re.sub(r"\s+", " ", page.get_data(as_text=True))


def snapshot(engine) -> dict[str, int]:
    with read_transaction(engine) as conn:
        names = sorted(inspect(conn).get_table_names())
        return {n: conn.execute(select(func.count()).select_from(table(n))).scalar() for n in names}


def test_the_hand_worked_example_is_shown_with_each_amount_in_words(client, login, funded):
    login("village")
    page = post(client, HAND, amount="1000", **HAND_RULE)
    text = plain(page)
    assert page.status_code == 200, text[:800]
    for words in (
        "2 人 × 每人 40.50 元 + 每户 135.00 元 + 低收入户补助 90.00 元 = 306.00 元",
        "3 人 × 每人 40.50 元 + 每户 135.00 元 = 256.50 元",
        "5 人 × 每人 40.50 元 + 每户 135.00 元 = 337.50 元",
    ):
        assert words in text
    # the totals: retained, low-income pool, distributed
    assert "<dd>100.00 元</dd>" in text.replace("> ", ">").replace(" <", "<")
    assert "<dd>90.00 元</dd>" in text.replace("> ", ">").replace(" <", "<")
    assert "<dd>900.00 元</dd>" in text.replace("> ", ">").replace(" <", "<")
    assert "集体留存 10%" in text


def test_the_leftover_fen_go_by_household_code(client, login, funded):
    login("village")
    # 100.00 元 equally among three households: 3,333⅓ fen each; the one fen left over goes to
    # the lowest code (equal remainders): A 33.34 元, B and C 33.33 元.
    roster = (HEADER + "C,1,0,否\nA,1,0,否\nB,1,0,否\n").encode()
    rule = {**HAND_RULE, "retention_pct": "0", "low_income_pct": "0", "per_capita": "0",
            "per_household": "100"}  # fmt: skip
    text = plain(post(client, roster, amount="100", **rule))
    assert "按尾数大小另得 0.01 元，实得 33.34 元" in text
    assert text.count("实得 33.34 元") == 1
    assert text.index(">A<") < text.index("实得 33.34 元") < text.index(">B<")


def test_bad_lines_are_named_by_number(client, login, funded):
    login("village")
    bad = (HEADER + "A1,2,0,是\nB2,two,0,否\nC3,5,-1,否\nD4,1,0,也许\n").encode()
    page = post(client, bad, amount="1000", **HAND_RULE)
    text = plain(page)
    assert page.status_code == 422
    for line in (3, 4, 5):
        assert f'data-label="行号">{line}</td>' in text.replace("> ", ">").replace(" <", "<")
    assert 'data-label="行号">2</td>' not in text.replace("> ", ">").replace(" <", "<")


def test_refusals_in_chinese(client, login, funded):
    login("village")
    page = post(client, HAND, amount="1000", **{**HAND_RULE, "per_capita": "60"})
    assert page.status_code == 422
    assert "100" in plain(page)  # the weights must add up to 100
    page = post(client, None, amount="1000", **HAND_RULE)
    assert page.status_code == 422
    assert "请上传花名册文件或选择已保存的版本" in plain(page)
    page = post(client, HAND, amount="abc", **HAND_RULE)
    assert page.status_code == 422


def test_a_saved_roster_and_rule_and_nothing_is_written(client, login, funded, engine):
    login("village")
    data = roster_csv(lines(3))
    assert save_roster(client, data).status_code == 302
    services.add_rule(engine, V1, "plain", "常规分配", RULE, actor=ACTOR, key="preview-rule")
    before = snapshot(engine)
    page = post(client, None, amount="1234.56", roster_version="1", rule="plain")
    text = plain(page)
    assert page.status_code == 200, text[:800]
    with read_transaction(engine) as conn:
        members = services.members_of(conn, V1, 1)
    expected = allocate(123456, parse_rule(RULE), [m.basis() for m in members])
    for share in expected.allocations:
        amount = f"{share.amount_fen // 100:,}.{share.amount_fen % 100:02d} 元"
        assert re.search(rf">\s*{share.household_code}\s*<.*?>\s*{re.escape(amount)}\s*<", text)
    post(client, HAND, amount="1000", **HAND_RULE)
    post(client, b"nonsense", amount="1000", **HAND_RULE)
    assert snapshot(engine) == before


def test_linked_from_the_sharing_pages(client, login, funded):
    login("village")
    for page in (BASE, f"{BASE}/new"):
        assert f'href="{PATH}"' in client.get(page).get_data(as_text=True)
    assert client.get(PATH).status_code == 200


def test_not_for_the_bureau(client, login, funded):
    login("bureau_county")
    assert client.get(PATH).status_code == 403
