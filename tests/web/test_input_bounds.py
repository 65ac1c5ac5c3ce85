"""Bad input gets a clear 4xx answer and writes nothing, never a 500, on SQLite and PostgreSQL:
control characters and personal data in the explorer's anchor title, and integers in URLs too
large for any database column."""

from __future__ import annotations

import pytest

from tests.web.conftest import csrf_token, english
from tests.web.test_pages import anchor, head_size, text

#: 2**53, 2**63, 10**30 and a number of 5000 digits (more than ``int()`` takes by default).
HUGE = ("9007199254740992", "9223372036854775808", "1" + "0" * 30, "9" * 5000)


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("判决书\x00扫描件", "文字中不能有控制字符"),
        ("决议\x1b[31m", "文字中不能有控制字符"),
        ("决议\u2028第二行", "文字中不能有控制字符"),
        ("判决书 11010519491231002X", "这段文字似乎包含居民身份证号码"),
        ("村民 138 1234 5678 的申请", "这段文字似乎包含手机号码"),
        ("分配到 6222-0202-0011-2233-446", "银行卡号"),
        ("材料寄 zhang@example.com", "电子邮箱地址"),
    ],
)
def test_a_bad_anchor_title_is_a_form_error(client, login, engine, title, message):
    login("bureau_county")
    before = head_size(engine)
    response = anchor(client, b"%PDF-1.4 scanned judgment", title)
    assert response.status_code == 422
    assert message in text(response)
    assert head_size(engine) == before


def test_personal_data_message_in_english(client, login, engine):
    login("bureau_county")
    english(client)
    response = anchor(client, b"%PDF-1.4 scanned judgment", "判决书 11010519491231002X")
    assert response.status_code == 422
    assert "The text seems to contain a resident ID number." in text(response)


def test_huge_integers_in_urls_are_404(client, login, world):
    login("bureau_county")
    for n in HUGE:
        assert client.get(f"/explorer/entries/{n}").status_code == 404, n
    assert client.get(f"/explorer/entries/{2**53 - 1}").status_code == 404  # fits; not there
    assert client.get("/explorer/entries/0").status_code == 200


def test_huge_ids_in_admin_urls_are_404(client, login, world):
    login("admin")
    token = csrf_token(client, "/admin/users")
    for n in HUGE:
        for path in (
            f"/admin/users/{n}/disable",
            f"/admin/users/{n}/enable",
            f"/admin/users/{n}/role",
            f"/admin/users/{n}/password",
            f"/admin/tokens/{n}/revoke",
        ):
            response = client.post(path, data={"csrf_token": token})
            assert response.status_code == 404, path[:40]


def test_every_integer_in_a_url_rule_is_bounded(app):
    from werkzeug.routing import IntegerConverter

    from ledger.web.security import BoundedIntConverter

    assert app.url_map.converters["int"] is BoundedIntConverter
    converters = [
        (rule.rule, c)
        for rule in app.url_map.iter_rules()
        for c in rule._converters.values()
        if isinstance(c, IntegerConverter)
    ]
    assert len(converters) >= 6  # explorer entries, admin users and tokens
    for rule, converter in converters:
        assert isinstance(converter, BoundedIntConverter), rule
        assert converter.max == 2**53 - 1, rule
