"""Case numbers (案号): real numbers of Chinese courts parse into their parts; for each part of
the pattern, wrong examples are refused naming that part and saying why."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.judicial.casenumber import (
    MESSAGES,
    PROVINCES,
    TYPE_WORDS,
    CaseNumberError,
    is_valid,
    parse,
)


@pytest.mark.parametrize(
    ("text", "parts", "level", "division"),
    [
        # a basic court: 南靖县人民法院 (350627), the domain notes' example
        ("(2022)闽0627刑初123号", (2022, "闽", "0627", "刑初", 123), "basic", "350627"),
        # 将乐县人民法院
        ("(2023)闽0428刑初45号", (2023, "闽", "0428", "刑初", 45), "basic", "350428"),
        # an intermediate court: 三明市中级人民法院, criminal appeal
        ("(2022)闽04刑终7号", (2022, "闽", "04", "刑终", 7), "intermediate", "350400"),
        # a high court (no digits)
        ("(2021)闽刑更1002号", (2021, "闽", "", "刑更", 1002), "high", "350000"),
        # other provinces, other types
        ("(2020)黔0502民初3号", (2020, "黔", "0502", "民初", 3), "basic", "520502"),
        ("(2019)赣07行终88号", (2019, "赣", "07", "行终", 88), "intermediate", "360700"),
        ("(2024)川0104执12345号", (2024, "川", "0104", "执", 12345), "basic", "510104"),
        ("(2018)京0105民终1号", (2018, "京", "0105", "民终", 1), "basic", "110105"),
        ("(2016)内01刑监2号", (2016, "内", "01", "刑监", 2), "intermediate", "150100"),
        # special courts: 福州铁路运输中级法院, 北京知识产权法院
        ("(2021)闽71行终5号", (2021, "闽", "71", "行终", 5), "special", None),
        ("(2020)京73民初1100号", (2020, "京", "73", "民初", 1100), "special", None),
        # the Supreme People's Court
        ("(2019)最高法刑核123号", (2019, "最高法", "", "刑核", 123), "supreme", None),
        # a court of the Xinjiang Production and Construction Corps
        ("(2022)兵0101刑初9号", (2022, "兵", "0101", "刑初", 9), "basic", None),
    ],
)
def test_real_case_numbers_parse_into_their_parts(text, parts, level, division):
    number = parse(text)
    assert (
        number.year,
        number.province,
        number.court_digits,
        number.type_word,
        number.sequence,
    ) == parts
    assert number.level == level
    assert number.division == division
    assert number.text == text == str(number)
    assert is_valid(text)


def test_full_width_parentheses_digits_and_spaces_are_read_and_stored_half_width():
    for written in (
        "（2022）闽0627刑初123号",
        "(2022）闽0627刑初123号",
        "（２０２２）闽０６２７刑初１２３号",
        " (2022) 闽0627 刑初 123 号 ",
        "(2022)闽0627刑初123号\u3000",
    ):
        number = parse(written)
        assert number.text == "(2022)闽0627刑初123号"
        assert number.court_code == "闽0627"
        assert number.type_meaning == "刑事一审"


def refused(text: str, **kwargs) -> CaseNumberError:
    with pytest.raises(CaseNumberError) as info:
        parse(text, **kwargs)
    assert info.value.code == "judicial.case_number"
    assert info.value.details["part"] == info.value.part
    message = MESSAGES[f"judicial.case_number:{info.value.kind}"]
    message % info.value.details  # every parameter the message names is in the details
    assert not is_valid(text, **kwargs)
    return info.value


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2022闽0627刑初123号", "must start with the year in parentheses"),
        ("〔2022〕闽0627刑初123号", "not 〔"),
        ("[2022]闽0627刑初123号", "not ["),
        ("(22)闽0627刑初123号", "'22' is not four digits"),
        ("(20222)闽0627刑初123号", "is not four digits"),
        ("(2022闽0627刑初123号", "closing parenthesis"),
        ("()闽0627刑初123号", "is not four digits"),
        ("(2015)闽0627刑初123号", "before 2016"),
        ("(1998)闽0627刑初123号", "before 2016"),
    ],
)
def test_the_year_part(text, says):
    error = refused(text)
    assert error.part == "year"
    assert says in error.reason


def test_a_year_after_this_year_is_refused_when_the_year_is_given():
    assert refused("(2031)闽0627刑初1号", this_year=2026).reason == "2031 is after this year (2026)"
    assert parse("(2026)闽0627刑初1号", this_year=2026).year == 2026


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("(2022)福0627刑初123号", "'福' is not a province abbreviation"),
        ("(2022)X0627刑初123号", "'X' is not a province abbreviation"),
        ("(2022)0627刑初123号", "'0' is not a province abbreviation"),
        ("(2022)", "missing"),
        ("(2022)闽062刑初123号", "has 3 digits"),
        ("(2022)闽6刑初123号", "has 1 digits"),
        ("(2022)闽062712刑初123号", "has 6 digits"),
        ("(2022)闽00刑初123号", "cannot be 00"),
        ("(2022)闽0027刑初123号", "cannot be 00"),
        ("(2022)闽0600刑初123号", "written 闽06"),
        ("(2022)最高法01刑核1号", "最高法 takes no digits"),
    ],
)
def test_the_court_part(text, says):
    error = refused(text)
    assert error.part == "court"
    assert says in error.reason


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("(2022)闽0627123号", "missing"),
        ("(2022)闽0627刑123号", "'刑' is not a case type"),
        ("(2022)闽0627刑一123号", "known types beginning with 刑: 刑初、刑终"),
        ("(2022)闽0627criminal123号", "'criminal' is not a case type"),
        ("(2022)闽0627初刑123号", "'初刑' is not a case type"),
    ],
)
def test_the_type_part(text, says):
    error = refused(text)
    assert error.part == "type"
    assert says in error.reason


def test_every_listed_type_word_parses_and_has_a_meaning():
    for word, meaning in TYPE_WORDS.items():
        assert parse(f"(2022)闽0627{word}1号").type_word == word
        assert meaning
    for word in ("刑初", "刑终", "民初", "民终", "行初", "行终", "刑更", "执", "刑监"):
        assert word in TYPE_WORDS  # the domain notes' list


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("(2022)闽0627刑初号", "missing"),
        ("(2022)闽0627刑初0123号", "starts with 0"),
        ("(2022)闽0627刑初0号", "starts with 0"),
        ("(2022)闽0627刑初1234567号", "more than 6 digits"),
    ],
)
def test_the_sequence_part(text, says):
    error = refused(text)
    assert error.part == "sequence"
    assert says in error.reason


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("(2022)闽0627刑初123", "号 is missing"),
        ("(2022)闽0627刑初123号之一", "之一, 之二… number a further document"),
        ("(2022)闽0627刑初123号号", "nothing may follow 号"),
        ("(2022)闽0627刑初123(2)号", "follows the sequence number"),
    ],
)
def test_the_suffix_part(text, says):
    error = refused(text)
    assert error.part == "suffix"
    assert says in error.reason


def test_empty_and_old_form_numbers():
    assert refused("").part == "empty"
    assert refused("   ").part == "empty"
    assert refused(None).part == "empty"  # type: ignore[arg-type]
    old = refused("(2015)将民初字第123号")
    assert old.part == "old_form" and "before 2016" in old.reason


def test_the_refusal_message_names_the_example_and_the_reason():
    error = refused("(2022)闽0627刑初0123号")
    assert error.message.startswith("not a case number like (2022)闽0627刑初123号: ")
    assert error.details == {
        "part": "sequence",
        "kind": "sequence_zero",
        "reason": error.reason,
        "text": "(2022)闽0627刑初0123号",
        "found": "0123",
    }


def test_every_problem_has_its_message():
    kinds = {k.split(":")[1] for k in MESSAGES if ":" in k}
    seen = set()
    for text in (
        "",
        "(2015)将民初字第1号",
        "2022",
        "〔2022〕",
        "(2022",
        "(22)",
        "(2015)",
        "(2031)",
        "(2022)",
        "(2022)X",
        "(2022)闽062",
        "(2022)最高法1",
        "(2022)闽00",
        "(2022)闽0600",
        "(2022)闽0627",
        "(2022)闽0627甲",
        "(2022)闽0627刑初",
        "(2022)闽0627刑初01",
        "(2022)闽0627刑初1234567",
        "(2022)闽0627刑初1",
        "(2022)闽0627刑初1(",
        "(2022)闽0627刑初1号之一",
        "(2022)闽0627刑初1号x",
    ):
        seen.add(refused(text, this_year=2026).kind)
    assert seen == kinds


@given(
    st.integers(min_value=2016, max_value=2040),
    st.sampled_from(sorted(PROVINCES)),
    st.sampled_from(["", "01", "04", "71", "0428", "0627", "0981"]),
    st.sampled_from(sorted(TYPE_WORDS)),
    st.integers(min_value=1, max_value=999_999),
    st.booleans(),
)
def test_any_well_formed_number_parses_back_to_itself(year, province, digits, word, n, wide):
    text = f"({year}){province}{digits}{word}{n}号"
    full_width = str.maketrans("()0123456789", "（）０１２３４５６７８９")
    written = text.translate(full_width) if wide else text
    number = parse(written)
    assert number.text == text
    assert (number.year, number.province, number.court_digits, number.type_word) == (
        year,
        province,
        digits,
        word,
    )
    assert number.sequence == n
