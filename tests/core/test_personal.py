"""The free-text rule: personal data and control characters never enter a log entry.

The sample numbers are made up; the ones that must be found are given a valid check
character here (python-stdnum), so the tests do not depend on a real person's number.
"""

from __future__ import annotations

import pytest
from stdnum import luhn
from stdnum.cn import ric

from ledger.core.errors import ValidationError
from ledger.core.personal import check_free_text, control_character, looks_personal


def resident_id(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "?")  # it ignores the last character


def card(first: str) -> str:
    return first + luhn.calc_check_digit(first)


ID_DIGIT = resident_id("35042419850101123")  # check character 4
ID_X = resident_id("11010519491231002")  # check character X
CARD_16 = card("411111111111111")
CARD_19 = card("622202020011223344")


def test_the_samples_are_what_they_claim():
    assert ID_DIGIT.endswith("4") and ID_X.endswith("X")
    assert luhn.is_valid(CARD_16) and luhn.is_valid(CARD_19) and len(CARD_19) == 19


@pytest.mark.parametrize(
    "text",
    [
        ID_DIGIT,
        ID_X,
        ID_X.lower(),
        f"身份证号{ID_DIGIT}。",
        f"ID:{ID_X}",
        f"{ID_DIGIT[:6]} {ID_DIGIT[6:14]} {ID_DIGIT[14:]}",
        f"{ID_DIGIT[:6]}-{ID_DIGIT[6:14]}-{ID_DIGIT[14:]}",
        ID_DIGIT.translate(str.maketrans("0123456789", "０１２３４５６７８９")),  # full width
    ],
)
def test_resident_id_numbers_are_found(text):
    assert looks_personal(text) == "resident_id"


@pytest.mark.parametrize(
    "text",
    [
        "13812345678",
        "联系电话13812345678",
        "电话：138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "008613812345678",
        "19912345678号",
        "１３８１２３４５６７８",
        "１３８－１２３４－５６７８",
    ],
)
def test_mobile_numbers_are_found_with_any_usual_separator(text):
    assert looks_personal(text) == "mobile"


@pytest.mark.parametrize(
    "text",
    [
        CARD_16,
        CARD_19,
        f"账号{CARD_19}",
        " ".join(CARD_16[i : i + 4] for i in range(0, 16, 4)),
        "-".join(CARD_19[i : i + 4] for i in range(0, 19, 4)),
    ],
)
def test_bank_card_numbers_are_found(text):
    assert looks_personal(text) == "bank_card"


@pytest.mark.parametrize(
    "text", ["zhang.san@example.com", "联系人 li_hua+ledger@mail.example.cn 转交"]
)
def test_email_addresses_are_found(text):
    assert looks_personal(text) == "email"


@pytest.mark.parametrize(
    "text",
    [
        "林业碳票 0000001 签发文件（示例）",  # a 7-digit ticket number
        "常口村 350428102201 村民会议决议",  # a 12-digit village code
        "(2022)闽0627刑初123号判决书",  # a case number
        "（2022）闽0428民初4567号",
        "2022-01-01",
        "2022年3月5日至2022年12月31日",
        "20220101-20221231",
        "2022-01-01 2022-12-31",
        "138123456789",  # 12 digits: not a mobile number
        "1381234567",  # 10 digits
        "23812345678",  # does not start with 1
        "12812345678",  # 12x is no mobile prefix
        ID_DIGIT[:-1] + ("5" if ID_DIGIT[-1] != "5" else "6"),  # wrong check character
        "350424198513011234",  # month 13
        CARD_16[:-1] + str((int(CARD_16[-1]) + 1) % 10),  # fails Luhn
        "1234567890123456789012",  # 22 digits: no card
        "碳汇量 2723 吨，单价 15 元/吨",
        "",
    ],
)
def test_look_alikes_pass(text):
    assert looks_personal(text) is None


@pytest.mark.parametrize(
    ("text", "char"),
    [
        ("a\x00b", "\x00"),
        ("line\nbreak", "\n"),
        ("tab\there", "\t"),
        ("esc\x1b[31m", "\x1b"),
        ("del\x7f", "\x7f"),
        ("c1\x85", "\x85"),
        ("sep\u2028x", "\u2028"),
        ("bidi\u202egnp.exe", "\u202e"),
        ("lone\ud800", "\ud800"),
    ],
)
def test_control_characters_are_found(text, char):
    assert control_character(text) == char


def test_ordinary_chinese_text_has_no_control_characters():
    assert control_character("常口村　村民会议决议（示例）·第1号 👍🏽") is None


def test_check_free_text_returns_good_text_and_names_the_problem():
    assert check_free_text("常口村村民会议决议", "title", 500) == "常口村村民会议决议"
    cases = [
        (f"判决书 {ID_X}", "text.personal_data", "resident ID number"),
        ("电话 138 1234 5678", "text.personal_data", "mobile phone number"),
        (f"卡号 {CARD_19}", "text.personal_data", "bank card number"),
        ("a@example.com", "text.personal_data", "e-mail address"),
        ("a\x00b", "text.control", "U+0000"),
        ("x" * 501, "text.invalid", "at most 500"),
        (42, "text.invalid", "must be text"),
    ]
    for text, code, words in cases:
        with pytest.raises(ValidationError) as caught:
            check_free_text(text, "title", 500)
        assert caught.value.code == code, text
        assert words in caught.value.message and caught.value.message.startswith("title")
        assert caught.value.details["field"] == "title"
        assert ID_X not in caught.value.message and "1234 5678" not in caught.value.message
    with pytest.raises(ValidationError) as caught:
        check_free_text(f"判决书 {ID_X}", "title", 500)
    assert caught.value.details["kind"] == "resident_id"
