"""ledger.formatting: money, carbon and times as people read them, checked against cases
worked by hand (the capital numerals against the People's Bank of China's rules for filling in
bills, quoted in the module), and against an independent reading of the numerals back into
fen for any amount."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.core.canonical import MAX_SAFE_INTEGER
from ledger.formatting import (
    amount,
    beijing,
    chinese_date,
    date_text,
    english_date,
    kg,
    tonnes,
    tonnes_exact,
    yuan,
    yuan_capital,
    yuan_number,
)

MINUS = "\u2212"

# --- yuan ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fen, number",
    [
        (0, "0.00"),
        (5, "0.05"),
        (100, "1.00"),
        (4_084_500, "40,845.00"),
        (14_084_500, "140,845.00"),
        (-4_084_500, f"{MINUS}40,845.00"),
        (-5, f"{MINUS}0.05"),
        (MAX_SAFE_INTEGER, "90,071,992,547,409.91"),
        (-MAX_SAFE_INTEGER, f"{MINUS}90,071,992,547,409.91"),
        (10**30 + 1, "10,000,000,000,000,000,000,000,000,000.01"),  # no float, no rounding
    ],
)
def test_yuan_number_is_exact_and_grouped(fen, number):
    assert yuan_number(fen) == number


def test_yuan_in_each_language():
    assert yuan(4_084_500) == "40,845.00 元"
    assert yuan(4_084_500, "en") == "CNY 40,845.00"
    assert yuan(-150, "zh") == f"{MINUS}1.50 元"


@pytest.mark.parametrize("bad", [1.5, 100.0, True, "100", None])
def test_amounts_must_be_integers(bad):
    with pytest.raises(TypeError):
        yuan_number(bad)
    with pytest.raises(TypeError):
        yuan_capital(bad)
    with pytest.raises(TypeError):
        tonnes(bad)


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="lang"):
        yuan(1, "fr")


# --- 大写 -----------------------------------------------------------------------------------

#: Worked by hand from the rules quoted in ledger.formatting (rule numbers in the comments).
CAPITALS = [
    (0, "人民币零元整"),  # 6
    (7, "人民币柒分"),  # 0.07: under one yuan, from the first non-zero unit (6)
    (50, "人民币伍角"),  # 0.50: ends at 角, no 整 (3)
    (105, "人民币壹元零伍分"),  # 1.05: zero 角 before a non-zero 分 is 零 (4)
    (1_000, "人民币壹拾元整"),  # 10: 壹拾, not 拾 (1); ends at 元: 整 (3)
    (1_010, "人民币壹拾元壹角"),  # 10.10
    (11_000, "人民币壹佰壹拾元整"),  # 110
    (32_504, "人民币叁佰贰拾伍元零肆分"),  # 325.04 (4)
    (140_950, "人民币壹仟肆佰零玖元伍角"),  # 1,409.50: a zero between digits is 零 (4)
    (168_032, "人民币壹仟陆佰捌拾元叁角贰分"),  # 1,680.32: 元 place zero, 零 left out (5)
    (600_714, "人民币陆仟零柒元壹角肆分"),  # 6,007.14: several zeros, one 零 (4)
    (1_640_902, "人民币壹万陆仟肆佰零玖元零贰分"),  # 16,409.02
    (10_000_000, "人民币壹拾万元整"),  # 100,000
    (10_700_053, "人民币壹拾万柒仟元伍角叁分"),  # 107,000.53: 万 place zero, 零 left out (5)
    (14_084_500, "人民币壹拾肆万零捌佰肆拾伍元整"),  # 140,845: 常口村's first sale
    (100_001_050, "人民币壹佰万零壹拾元伍角"),  # 1,000,010.50
    (200_000_000, "人民币贰佰万元整"),  # 2,000,000
    (10_000_000_000, "人民币壹亿元整"),  # 100,000,000
    (1_000_000_000_001, "人民币壹佰亿元零壹分"),  # 10,000,000,000.01
    (-105, "人民币负壹元零伍分"),  # a reversal (6)
]


@pytest.mark.parametrize("fen, words", CAPITALS)
def test_capital_numerals_worked_by_hand(fen, words):
    assert yuan_capital(fen) == words


DIGITS = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
SMALL_UNITS = {"拾": 10, "佰": 100, "仟": 1000}


def read_capital(words: str) -> int:
    """Read 大写 back into fen, independently of cn2an: sections below 万 are summed digit by
    unit; 万 multiplies its section, 亿 everything before it."""
    assert words.startswith("人民币")
    words = words.removeprefix("人民币")
    sign = -1 if words.startswith("负") else 1
    words = words.removeprefix("负").removesuffix("整")
    yuan_part, _, cents_part = words.partition("元")
    if "元" not in words:  # under one yuan
        yuan_part, cents_part = "", words
    total = section = digit = 0
    for char in yuan_part:
        if char in DIGITS:
            digit = DIGITS[char]
        elif char in SMALL_UNITS:
            section += digit * SMALL_UNITS[char]
            digit = 0
        elif char == "万":
            section = (section + digit) * 10_000
            digit = 0
        elif char == "亿":
            total = (total + section + digit) * 100_000_000
            section = digit = 0
        else:
            raise AssertionError(f"unexpected {char!r} in {words!r}")
    fen = (total + section + digit) * 100
    match = re.fullmatch(r"零?(?:(.)角)?零?(?:(.)分)?", cents_part)
    assert match, cents_part
    fen += DIGITS[match.group(1)] * 10 if match.group(1) else 0
    fen += DIGITS[match.group(2)] if match.group(2) else 0
    return sign * fen


@given(st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER))
def test_capital_numerals_read_back_and_keep_the_rules(fen):
    words = yuan_capital(fen)
    assert read_capital(words) == fen
    body = words.removeprefix("人民币").removeprefix("负")
    assert words.endswith("整") == (fen % 100 == 0)  # rule 3
    assert "零零" not in body  # rule 4: one 零 for several zeros
    assert re.search(r"(^|[^零壹贰叁肆伍陆柒捌玖])拾", body) is None  # rule 1: 壹拾, never 拾
    assert not body.startswith("零") or body == "零元整"  # rule 6
    if fen:  # no 零 right before a unit that ends a group (zero itself is 零元整)
        assert not re.search(r"零[元万亿整]", body)


# --- carbon -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kg_amount, places, zh, en",
    [
        (2_723_000, 2, "2,723.00 吨", "2,723.00 t CO2e"),
        (12_723_000, 3, "12,723.000 吨", "12,723.000 t CO2e"),
        (1_005, 2, "1.01 吨", "1.01 t CO2e"),  # half up
        (1_004, 2, "1.00 吨", "1.00 t CO2e"),
        (1_015, 2, "1.02 吨", "1.02 t CO2e"),  # half up, not to even
        (2_500, 0, "3 吨", "3 t CO2e"),
        (-1_005, 2, f"{MINUS}1.01 吨", f"{MINUS}1.01 t CO2e"),  # away from zero
        (-4, 2, "0.00 吨", "0.00 t CO2e"),  # no minus on a rounded zero
        (10, 2, "0.01 吨", "0.01 t CO2e"),
        (10**31 + 5, 2, f"{10**28:,}.01 吨", f"{10**28:,}.01 t CO2e"),  # exact at any size
    ],
)
def test_tonnes_rounded_half_up(kg_amount, places, zh, en):
    assert tonnes(kg_amount, places) == zh
    assert tonnes(kg_amount, places, "en") == en


def test_tonnes_places_are_bounded():
    for bad in (-1, 4, 2.0):
        with pytest.raises(ValueError, match="places"):
            tonnes(1, bad)


def test_kilograms_and_exact_tonnes():
    assert kg(2_723_000) == "2,723,000 千克"
    assert kg(2_723_000, "en") == "2,723,000 kg CO2e"
    assert tonnes_exact(12_723_000) == "12,723.000 吨（12,723,000 千克）"
    assert tonnes_exact(12_723_000, "en") == "12,723.000 t CO2e (12,723,000 kg)"
    assert tonnes_exact(-1) == f"{MINUS}0.001 吨（{MINUS}1 千克）"


def test_amount_by_commodity():
    assert amount(4_084_500, "CNY") == "40,845.00 元"
    assert amount(2_723_000, "CO2E", "en") == "2,723.000 t CO2e (2,723,000 kg)"
    assert amount(-1_234, "XYZ") == f"{MINUS}1,234 XYZ"


# --- times --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "utc, zh, en",
    [
        (
            "2026-11-30T11:36:05.123456Z",
            "2026年11月30日 19:36 北京时间",
            "30 Nov 2026 19:36 Beijing time",
        ),
        # the date changes at 16:00 UTC; a year too
        (
            "2026-12-31T16:00:00.000000Z",
            "2027年1月1日 00:00 北京时间",
            "1 Jan 2027 00:00 Beijing time",
        ),
        (
            "2021-05-18T01:02:03+00:00",
            "2021年5月18日 09:02 北京时间",
            "18 May 2021 09:02 Beijing time",
        ),
        (
            "2021-05-18T09:02:03+08:00",
            "2021年5月18日 09:02 北京时间",
            "18 May 2021 09:02 Beijing time",
        ),
    ],
)
def test_beijing_time(utc, zh, en):
    assert beijing(utc) == zh
    assert beijing(utc, "en") == en


def test_beijing_time_with_seconds_and_bad_input():
    assert (
        beijing("2026-11-30T11:36:05.999999Z", seconds=True) == "2026年11月30日 19:36:05 北京时间"
    )
    for bad in ("2026-11-30T11:36:05", "yesterday", ""):
        with pytest.raises(ValueError):
            beijing(bad)


def test_dates():
    assert chinese_date(date(2021, 5, 18)) == "2021年5月18日"
    assert english_date(date(2021, 5, 18)) == "18 May 2021"
    assert date_text(date(2026, 12, 1)) == "2026年12月1日"
    assert date_text(date(2026, 12, 1), "en") == "1 Dec 2026"
