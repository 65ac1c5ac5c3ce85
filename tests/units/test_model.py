"""The pure rules: unified social credit codes (python-stdnum, real codes), sale arithmetic to
the fen, serial ranges and their interval arithmetic, holder accounts in words."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.core.errors import ValidationError
from ledger.units import model
from ledger.units.model import Conflict, LotHoldings, Piece
from tests.units import HUAWEI, ICBC, OWNER, TENCENT

# --- unified social credit codes -------------------------------------------------------------


@pytest.mark.parametrize("code", [HUAWEI, TENCENT, ICBC, "91110000710926094P"])
def test_real_credit_codes_are_valid(code):
    assert model.valid_uscc(code)
    assert model.normalise_uscc(code) == code


def test_credit_codes_are_normalised_from_what_people_type():
    assert model.normalise_uscc(" 9144030071526726xg ") == TENCENT
    assert model.normalise_uscc("914403-0019220-38216") == HUAWEI


@pytest.mark.parametrize(
    "code",
    [
        "914403001922038217",  # Huawei's with the wrong check character
        "9144030071526726X0",  # Tencent's with the wrong check character
        "91440300192203821",  # 17 characters
        "9144030019220382166",  # 19 characters
        "9144030019220382I6",  # I is not in the alphabet
        "",
        "ABCDEFGHJKLMNPQRTU",
    ],
)
def test_invalid_credit_codes_are_refused(code):
    assert not model.valid_uscc(code)
    with pytest.raises(ValidationError) as err:
        model.normalise_uscc(code)
    assert err.value.code == "units.uscc"


# --- sale arithmetic ---------------------------------------------------------------------------


def test_changkou_first_sale_to_the_fen():
    first = model.sale_total(1500, 2_723_000)  # 2,723 t at 15 元/t
    second = model.sale_total(1000, 10_000_000)  # 10,000 t at 10 元/t
    assert (first, second) == (4_084_500, 10_000_000)
    assert first + second == 14_084_500  # 140,845.00 元


@pytest.mark.parametrize(
    ("price", "kg", "total"),
    [
        (1, 500, 1),  # exactly half a fen rounds up
        (1, 499, 0),  # just under half a fen rounds down
        (1234, 1, 1),  # 1.234 fen
        (1550, 1, 2),  # 1.55 fen
        (1449, 1, 1),  # 1.449 fen
        (10_000, 10, 100),  # one-yuan carbon: 10 kg at 100 元/t = 1 元
        (1999, 333, 666),  # 665.667 fen
    ],
)
def test_sale_total_rounds_half_up_to_the_fen(price, kg, total):
    assert model.sale_total(price, kg) == total


@given(st.integers(1, 10**9), st.integers(1, 10**9))
def test_sale_total_is_the_decimal_product_rounded_half_up(price, kg):
    exact = Decimal(price) * Decimal(kg) / Decimal(1000)
    assert model.sale_total(price, kg) == int(exact.quantize(Decimal(1), ROUND_HALF_UP))


# --- serial ranges -----------------------------------------------------------------------------


def test_serial_ranges_are_sorted_and_touching_ranges_joined():
    assert model.normalise_serials([["B", 5, 9], ["A", 1, 2], ["B", 1, 4]]) == [
        ["A", 1, 2],
        ["B", 1, 9],
    ]


@pytest.mark.parametrize(
    ("ranges", "code"),
    [
        ([["A", 1, 5], ["A", 5, 9]], "units.serials_overlap"),
        ([["A", 5, 1]], "units.serials"),
        ([["A", -1, 1]], "units.serials"),
        ([["A b", 1, 1]], "units.serials"),
        ([], "units.serials"),
        ([["A", 1, True]], "units.serials"),
    ],
)
def test_bad_serial_ranges_are_refused(ranges, code):
    with pytest.raises(ValidationError) as err:
        model.normalise_serials(ranges)
    assert err.value.code == code


def test_a_body_holds_serials_only_in_the_stored_form():
    assert model.check_serials([["A", 1, 2], ["A", 4, 5], ["B", 0, 0]], "x") == []
    for bad in ([["A", 1, 2], ["A", 3, 5]], [["B", 1, 2], ["A", 4, 5]], [["A", 2, 1]], []):
        assert model.check_serials(bad, "x"), bad


def test_formatting_serials():
    assert model.format_range("0000001-", 5, 1, 2723) == "0000001-00001–0000001-02723"
    assert model.format_serial("SC-001-", 7, 42) == "SC-001-0000042"
    assert model.format_range("X", 2, 7, 7) == "X07"


def _holdings():
    return LotHoldings(
        [
            Piece(1, 10, "A", "held", None, 1),
            Piece(11, 20, "B", "held", None, 2),
            Piece(21, 30, "A", "retired", None, 3),
        ]
    )


def test_conflicts_name_the_clipped_pieces_and_the_gaps():
    h = _holdings()
    assert h.conflicts("L", 5, 8, "A", "held", None) == []
    assert h.conflicts("L", 8, 35, "A", "held", None) == [
        Conflict("L", 11, 20, "B", "held", 2),
        Conflict("L", 21, 30, "A", "retired", 3),
        Conflict("L", 31, 35, None, None, None),
    ]
    assert h.conflicts("L", 0, 0, "A", "held", None) == [Conflict("L", 0, 0, None, None, None)]


def test_a_move_splits_only_the_pieces_it_cuts():
    h = _holdings()
    h.move(5, 15, "C", "held", None, 9)
    assert [p.row() for p in h.pieces] == [
        (1, 4, "A", "held", None, 1),
        (5, 15, "C", "held", None, 9),
        (16, 20, "B", "held", None, 2),
        (21, 30, "A", "retired", None, 3),
    ]
    h.move(1, 30, "D", "pledged", ICBC, 10)
    assert [p.row() for p in h.pieces] == [(1, 30, "D", "pledged", ICBC, 10)]


@given(
    st.lists(st.tuples(st.integers(1, 60), st.integers(0, 20), st.sampled_from("ABC")), max_size=30)
)
def test_moves_keep_the_pieces_a_partition_of_the_lot(moves):
    h = LotHoldings([Piece(1, 60, "A", "held", None, 0)])
    owner = {n: "A" for n in range(1, 61)}  # the plain model: one holder per serial
    for seq, (first, length, holder) in enumerate(moves, 1):
        last = min(60, first + length)
        h.move(first, last, holder, "held", None, seq)
        for n in range(first, last + 1):
            owner[n] = holder
    covered = [n for p in h.pieces for n in range(p.first, p.last + 1)]
    assert covered == list(range(1, 61))
    assert {n: p.holder for p in h.pieces for n in range(p.first, p.last + 1)} == owner


# --- accounts ----------------------------------------------------------------------------------


def test_holder_accounts():
    assert model.parse_holder(OWNER) == model.Holder("village", "350428102201", "350428102201")
    household = "Assets:Village:350428102201:Household:H-0123456789AB"
    assert model.parse_holder(household).kind == "household"
    assert model.parse_holder(f"Assets:Company:{HUAWEI}").kind == "company"
    assert model.parse_holder("Assets:Company:914403001922038217") is None  # bad check
    assert model.parse_holder("Assets:Court:350428:Case:2022-XC-1").court == "350428"
    assert model.parse_holder("Assets:ForestFarm:350428-GYLC").kind == "farm"
    assert model.parse_holder(OWNER + ":Pledged") is None
    assert model.parse_holder("Assets:Village:35042810220:Collective") is None


def test_income_and_programme_accounts():
    assert model.income_account(OWNER) == "Income:Village:350428102201:CarbonSales"
    assert (
        model.income_account("Assets:Village:350428102201:Household:H-0123456789AB")
        == "Income:Village:350428102201:Household:H-0123456789AB:CarbonSales"
    )
    assert (
        model.income_account(f"Assets:Company:{HUAWEI}") == f"Income:Company:{HUAWEI}:CarbonSales"
    )
    assert model.issued_account("carbon_ticket") == "Equity:Issued:CarbonTicket"
    assert model.retired_account("one_yuan") == "Expenses:Retired:OneYuan"
    assert model.pledged_account(OWNER) == OWNER + ":Pledged"


def test_beijing_dates_of_utc_times():
    assert model.beijing_date("2024-12-31T15:59:59Z") == "2024-12-31"
    assert model.beijing_date("2024-12-31T16:00:00Z") == "2025-01-01"
    assert model.beijing_date("2024-02-28T16:30:00Z") == "2024-02-29"


@given(
    st.lists(st.tuples(st.integers(1, 60), st.integers(0, 20), st.sampled_from("AB")), max_size=8),
    st.integers(1, 60),
    st.integers(0, 20),
    st.sampled_from("AB"),
)
def test_conflicts_are_the_serials_held_otherwise(moves, first, length, holder):
    h = LotHoldings([Piece(1, 60, "A", "held", None, 0)])
    for seq, (f, n, who) in enumerate(moves, 1):
        h.move(f, min(60, f + n), who, "held", None, seq)
    last = min(60, first + length)
    found = h.conflicts("L", first, last, holder, "held", None)
    others = [n for c in found for n in range(c.first, c.last + 1)]
    expected = [n for p in h.pieces for n in range(p.first, p.last + 1) if p.holder != holder]
    assert others == [n for n in expected if first <= n <= last]
