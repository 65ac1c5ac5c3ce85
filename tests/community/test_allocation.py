"""The exact allocation (issue 9 §2): worked examples whose arithmetic is written out beside
them (check it with pencil and paper), every refusal, and properties over random rosters."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.community.allocation import (
    MESSAGES,
    AllocationError,
    HouseholdBasis,
    Rule,
    allocate,
    parse_rule,
    parse_rule_text,
)
from ledger.community.services import Member
from ledger.core.errors import ValidationError


def rule(retention="0", low_income="0", pc="0", hh="0", area="0", **extra) -> Rule:
    return parse_rule(
        {
            "retention_pct": retention,
            "low_income_pct": low_income,
            "weights": {"per_capita": pc, "per_household": hh, "by_area": area},
            **extra,
        }
    )


def h(code: str, members: int = 0, area: str = "0", low: bool = False) -> HouseholdBasis:
    return HouseholdBasis(code, members, Decimal(area), low)


def amounts(allocation) -> list[int]:
    return [share.amount_fen for share in allocation.allocations]


# --- worked examples -------------------------------------------------------------------------


def test_per_capita_only():
    # T = 100,000 fen (1,000 元), keep 10 %: R = ⌊100000 × 10/100⌋ = 10,000; D = 90,000.
    # No low-income household: P = 0, Q = 90,000. Members 3 + 2 + 4 = 9, so one member is
    # worth 90,000 / 9 = 10,000 fen: A 3 × 10,000 = 30,000, B 20,000, C 40,000.
    # Areas are all zero: the area basis has weight 0, so that is no error.
    result = allocate(100_000, rule(retention="10", pc="100"), [h("A", 3), h("B", 2), h("C", 4)])
    assert result.retained_fen == 10_000
    assert result.distributed_fen == 90_000
    assert result.low_income_fen == 0
    assert result.per_member == 10_000
    assert amounts(result) == [30_000, 20_000, 40_000]
    assert result.leftover_fen == 0
    assert result.retained_fen + sum(amounts(result)) == 100_000


def test_by_area_only():
    # T = 100 fen, nothing kept. Areas 1 mu and 2 mu, A = 3 mu: e_A = 100/3 = 33.33…,
    # e_B = 200/3 = 66.66…; floors 33 + 66 = 99, one fen left, the largest fractional part
    # (B's .66… against A's .33…) takes it: A 33, B 67.
    result = allocate(100, rule(area="100"), [h("A", area="1"), h("B", area="2")])
    assert amounts(result) == [33, 67]
    assert result.entitled(result.allocations[0]) == Fraction(100, 3)
    assert result.per_mu == Fraction(100, 3)
    assert result.leftover_fen == 1
    assert [s.extra_fen for s in result.allocations] == [0, 1]


def test_by_area_with_hundredths_of_a_mu():
    # 1,000 fen by area over 0.25 + 0.75 + 1.00 = 2.00 mu: 125, 375, 500 exactly.
    result = allocate(
        1000, rule(area="100"), [h("A", area="0.25"), h("B", area="0.75"), h("C", area="1.00")]
    )
    assert amounts(result) == [125, 375, 500]
    assert result.area_mu == Decimal("2.00")


def test_mixed_weights_with_retention_rounded_down():
    # T = 1,001 fen, keep 10 %: R = ⌊100.1⌋ = 100; D = 901; no pool, Q = 901.
    # Weights 50 per capita, 30 per household, 20 by area.
    # A: 2 members, 1.00 mu; B and C: 1 member, 0.50 mu each. M = 4, H = 3, A = 2.00 mu.
    # e_A = 901 × (0.5 × 2/4 + 0.3 × 1/3 + 0.2 × 1/2)   = 901 × 0.45  = 405.45
    # e_B = 901 × (0.5 × 1/4 + 0.3 × 1/3 + 0.2 × 0.5/2) = 901 × 0.275 = 247.775 = e_C
    # floors 405 + 247 + 247 = 899; 2 fen left: B and C (.775) before A (.45).
    result = allocate(
        1001,
        rule(retention="10", pc="50", hh="30", area="20"),
        [h("A", 2, "1.00"), h("B", 1, "0.50"), h("C", 1, "0.50")],
    )
    assert result.retained_fen == 100
    assert result.shared_fen == 901
    assert [result.entitled(s) for s in result.allocations] == [
        Fraction("405.45"),
        Fraction("247.775"),
        Fraction("247.775"),
    ]
    assert amounts(result) == [405, 248, 248]
    assert result.per_member == Fraction(901, 2) / 4  # 50 % of 901 over 4 members
    assert result.per_household == Fraction(901 * 3, 10 * 3)  # 30 % of 901 over 3
    assert result.per_mu == Fraction(901, 5) / 2  # 20 % of 901 over 2 mu


def test_low_income_pool():
    # T = 10,000, nothing kept, pool 10 %: P = 1,000 over L = 2 low-income households (A, C),
    # 500 each. Q = 9,000 equally per household over H = 4: 2,250 each.
    # A 2,750, B 2,250, C 2,750, D 2,250 (sum 10,000).
    households = [h("A", low=True), h("B"), h("C", low=True), h("D")]
    result = allocate(10_000, rule(low_income="10", hh="100"), households)
    assert result.low_income_fen == 1000
    assert result.low_income_share == 500
    assert amounts(result) == [2750, 2250, 2750, 2250]


def test_low_income_pool_is_nothing_without_low_income_households():
    # Same rule, nobody low-income: P = 0, all 10,000 shared per household: 2,500 each.
    result = allocate(10_000, rule(low_income="10", hh="100"), [h("A"), h("B"), h("C"), h("D")])
    assert result.low_income_fen == 0
    assert amounts(result) == [2500] * 4


def test_low_income_pool_that_does_not_divide():
    # T = 1,000, pool 10 %: P = 100 over 3 low-income households = 33.33… each; Q = 900 per
    # capita over 3 + 3 + 0 + 3 = 9 members, 100 a member: X, Y, Z (low, 3 members each):
    # 300 + 33.33… = 333.33…; W (no members, not low): 0.
    # floors 333 × 3 = 999, one fen left, the tie X/Y/Z goes to X (first code point).
    households = [h("Y", 3, low=True), h("X", 3, low=True), h("W", 0), h("Z", 3, low=True)]
    result = allocate(1000, rule(low_income="10", pc="100"), households)
    assert result.low_income_share == Fraction(100, 3)
    assert amounts(result) == [333, 334, 0, 333]


def test_ties_go_by_code_point_not_by_roster_order():
    # 200 fen per household over 3: 66.66… each; floors 198, 2 fen left; all fractional parts
    # equal, so by code point: "Z9" (Z = U+005A) and "a1" (a = U+0061) before "村3"
    # (村 = U+6751). In roster order a1, Z9, 村3: 67, 67, 66.
    result = allocate(200, rule(hh="100"), [h("a1"), h("Z9"), h("村3")])
    assert amounts(result) == [67, 67, 66]
    # 100 fen over 3: one fen left, to the smallest code: "H-a".
    result = allocate(100, rule(hh="100"), [h("H-b"), h("H-a"), h("H-c")])
    assert amounts(result) == [33, 34, 33]


def test_a_larger_fraction_beats_a_smaller_code():
    # 100 fen by capita over 1 + 2 members: e_A = 33.33…, e_B = 66.66…: the one fen left goes to
    # B's larger fractional part, though "A" < "B".
    result = allocate(100, rule(pc="100"), [h("A", 1), h("B", 2)])
    assert amounts(result) == [33, 67]


def test_a_village_of_one_household():
    # T = 12,345, keep 3.5 %: R = ⌊432.075⌋ = 432; D = 11,913; pool 5 %: P = ⌊595.65⌋ = 595
    # (the one household is low-income); Q = 11,318. It gets all of D: 595 + 11,318 = 11,913.
    result = allocate(
        12_345,
        rule(retention="3.5", low_income="5", pc="40", hh="30", area="30"),
        [h("only", 2, "1.5", low=True)],
    )
    assert (result.retained_fen, result.low_income_fen, result.shared_fen) == (432, 595, 11_318)
    assert amounts(result) == [11_913]


def test_zero_weight_bases_may_have_zero_sums():
    # Per household only; nobody has members or forest: 300 / 3 = 100 each.
    result = allocate(300, rule(hh="100"), [h("A"), h("B"), h("C")])
    assert amounts(result) == [100, 100, 100]
    assert result.per_member == 0 and result.per_mu == 0


def test_nothing_to_share():
    result = allocate(0, rule(retention="10", pc="100"), [h("A", 1), h("B", 2)])
    assert amounts(result) == [0, 0]
    assert result.retained_fen == 0


def test_everything_retained():
    result = allocate(999, rule(retention="100", hh="100"), [h("A"), h("B")])
    assert result.retained_fen == 999
    assert amounts(result) == [0, 0]


def test_fractional_retention():
    # 12.5 % of 999 = 124.875, kept 124; 875 by household over 2 = 437.5: floors 437 + 437,
    # one fen left, tie to "A".
    result = allocate(999, rule(retention="12.5", hh="100"), [h("B"), h("A")])
    assert result.retained_fen == 124
    assert amounts(result) == [437, 438]


def test_as_json_is_what_preview_prints():
    result = allocate(100, rule(hh="100"), [h("H-b"), h("H-a"), h("H-c")])
    assert result.as_json() == {
        "total_fen": 100,
        "retained_fen": 0,
        "low_income_fen": 0,
        "allocations": [
            {"household_code": "H-b", "amount_fen": 33},
            {"household_code": "H-a", "amount_fen": 34},
            {"household_code": "H-c", "amount_fen": 33},
        ],
    }


# --- the rule --------------------------------------------------------------------------------


def test_rule_numbers_as_strings_integers_floats_and_decimals():
    text = (
        '{"retention_pct": 10.5, "low_income_pct": "5", "weights": '
        '{"per_capita": 33.3333, "per_household": "33.3333", "by_area": 33.3334}, '
        '"notice_days": 10}'
    )
    parsed = parse_rule_text(text)
    assert parsed.retention_pct == Decimal("10.5")
    assert parsed.by_area == Decimal("33.3334")
    assert parsed.notice_days == 10
    assert parse_rule(parsed.to_json()) == parsed
    assert parsed.to_json() == {
        "retention_pct": "10.5",
        "low_income_pct": "5",
        "weights": {"per_capita": "33.3333", "per_household": "33.3333", "by_area": "33.3334"},
        "notice_days": 10,
    }
    as_floats = parse_rule(
        {
            "retention_pct": 0.1,
            "low_income_pct": 0,
            "weights": {"per_capita": 99.9, "per_household": 0.1, "by_area": 0},
        }
    )
    assert as_floats.retention_pct == Decimal("0.1")
    assert as_floats.to_json()["weights"]["per_capita"] == "99.9"


def test_rule_to_json_normalises_trailing_zeros():
    parsed = rule(retention="10.00", pc="50.0", hh="50")
    assert parsed.to_json()["retention_pct"] == "10"
    assert parsed.to_json()["weights"]["per_capita"] == "50"


GOOD = {
    "retention_pct": "10",
    "low_income_pct": "5",
    "weights": {"per_capita": "50", "per_household": "30", "by_area": "20"},
}


def variant(**changes):
    data = {**GOOD, "weights": dict(GOOD["weights"])}
    for key, value in changes.items():
        if key.startswith("w_"):
            if value is None:
                del data["weights"][key[2:]]
            else:
                data["weights"][key[2:]] = value
        elif value is None:
            del data[key]
        else:
            data[key] = value
    return data


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        ([1, 2], "community.rule_shape", None),
        (variant(retention_pct=None), "community.rule_shape", None),
        (variant(weights=None), "community.rule_shape", None),
        (variant(bonus="1"), "community.rule_shape", None),
        (variant(weights=[50, 30, 20]), "community.rule_shape", None),
        (variant(w_by_area=None), "community.rule_shape", None),
        (variant(w_per_tree="0"), "community.rule_shape", None),
        (variant(retention_pct="ten"), "community.rule_number", "retention_pct"),
        (variant(retention_pct=""), "community.rule_number", "retention_pct"),
        (variant(retention_pct=True), "community.rule_number", "retention_pct"),
        (
            variant(retention_pct=None) | {"retention_pct": None},
            "community.rule_number",
            "retention_pct",
        ),
        (variant(low_income_pct="-1"), "community.rule_number", "low_income_pct"),
        (variant(low_income_pct="100.01"), "community.rule_number", "low_income_pct"),
        (variant(low_income_pct="NaN"), "community.rule_number", "low_income_pct"),
        (variant(low_income_pct="Infinity"), "community.rule_number", "low_income_pct"),
        (variant(retention_pct="10.00001"), "community.rule_number", "retention_pct"),
        (variant(w_per_capita="1e400"), "community.rule_number", "weights.per_capita"),
        (variant(w_per_capita="50.01"), "community.rule_weights_sum", None),
        (
            variant(w_per_capita="0", w_per_household="0", w_by_area="0"),
            "community.rule_weights_sum",
            None,
        ),
        (variant(notice_days=0), "community.rule_notice_days", None),
        (variant(notice_days=61), "community.rule_notice_days", None),
        (variant(notice_days="7"), "community.rule_notice_days", None),
        (variant(notice_days=True), "community.rule_notice_days", None),
        (variant(notice_days=7.0), "community.rule_notice_days", None),
    ],
)
def test_bad_rules_are_refused(data, code, field):
    with pytest.raises(AllocationError) as caught:
        parse_rule(data)
    assert caught.value.code == code
    assert isinstance(caught.value, ValidationError)
    if field is not None:
        assert caught.value.details["field"] == field
    assert caught.value.message == MESSAGES[code] % caught.value.details


def test_weights_sum_is_named():
    with pytest.raises(AllocationError) as caught:
        parse_rule(variant(w_per_capita="50.5"))
    assert caught.value.details == {"sum": "100.5"}
    assert "100.5" in caught.value.message


@pytest.mark.parametrize("text", ["{", '{"retention_pct": NaN}', b"\xff\xfe", "[1,]"])
def test_rule_text_that_is_not_json(text):
    with pytest.raises(AllocationError) as caught:
        parse_rule_text(text)
    assert caught.value.code == "community.rule_json"


# --- refusals of the allocation --------------------------------------------------------------


@pytest.mark.parametrize("total", [-1, 1.0, True, Decimal(5), "100"])
def test_bad_totals(total):
    with pytest.raises(AllocationError) as caught:
        allocate(total, rule(hh="100"), [h("A")])
    assert caught.value.code == "community.allocation_total"


def test_empty_roster():
    with pytest.raises(AllocationError) as caught:
        allocate(100, rule(hh="100"), [])
    assert caught.value.code == "community.allocation_empty"


def test_repeated_household():
    with pytest.raises(AllocationError) as caught:
        allocate(100, rule(hh="100"), [h("A"), h("B"), h("A")])
    assert caught.value.code == "community.allocation_duplicate"
    assert caught.value.details == {"household": "A"}


@pytest.mark.parametrize(
    ("household", "field"),
    [
        (HouseholdBasis("A", -1, Decimal(0)), "members"),
        (HouseholdBasis("A", 1000, Decimal(0)), "members"),
        (HouseholdBasis("A", True, Decimal(0)), "members"),
        (HouseholdBasis("A", 1, Decimal("-0.01")), "forest_area_mu"),
        (HouseholdBasis("A", 1, Decimal("1.005")), "forest_area_mu"),
        (HouseholdBasis("A", 1, 1.5), "forest_area_mu"),
        (HouseholdBasis("A", 1, Decimal("NaN")), "forest_area_mu"),
        (HouseholdBasis("A", 1, Decimal(0), 1), "low_income"),
        (HouseholdBasis("", 1, Decimal(0)), "household_code"),
    ],
)
def test_bad_households(household, field):
    with pytest.raises(AllocationError) as caught:
        allocate(100, rule(hh="100"), [h("B"), household])
    assert caught.value.code == "community.allocation_household"
    assert caught.value.details["field"] == field


@pytest.mark.parametrize(
    ("weights", "households", "basis"),
    [
        ({"pc": "50", "hh": "50"}, [h("A", 0, "1"), h("B", 0, "2")], "per_capita"),
        ({"area": "0.01", "hh": "99.99"}, [h("A", 1), h("B", 2)], "by_area"),
    ],
)
def test_a_weighted_basis_with_a_zero_sum_is_refused(weights, households, basis):
    with pytest.raises(AllocationError) as caught:
        allocate(100, rule(**weights), households)
    assert caught.value.code == "community.allocation_zero_basis"
    assert caught.value.details["weight"] == (weights.get("pc") or weights.get("area"))


# --- properties ------------------------------------------------------------------------------

codes = st.text(alphabet=st.sampled_from("ABCabc01-_村户甲乙"), min_size=1, max_size=6)
households_st = st.lists(
    st.tuples(
        codes,
        st.integers(0, 12),
        st.decimals(min_value=0, max_value=500, places=2, allow_nan=False),
        st.booleans(),
    ),
    min_size=1,
    max_size=30,
    unique_by=lambda row: row[0],
).map(lambda rows: [HouseholdBasis(c, m, Decimal(a), low) for c, m, a, low in rows])
pct = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)


@st.composite
def rules(draw):
    first = draw(st.decimals(min_value=0, max_value=100, places=2))
    second = draw(st.decimals(min_value=0, max_value=100 - first, places=2))
    weights = {"per_capita": first, "per_household": second, "by_area": 100 - first - second}
    return parse_rule({"retention_pct": draw(pct), "low_income_pct": draw(pct), "weights": weights})


def allocate_or_refuse(total, the_rule, households):
    try:
        return allocate(total, the_rule, households)
    except AllocationError as exc:
        assert exc.code == "community.allocation_zero_basis"
        return None


totals = st.integers(0, 10**12)


@settings(max_examples=300, deadline=None)
@given(totals, rules(), households_st)
def test_the_sum_is_exact_and_each_amount_rounds_its_entitlement(total, the_rule, households):
    result = allocate_or_refuse(total, the_rule, households)
    if result is None:
        return
    assert result.retained_fen + sum(amounts(result)) == total
    assert result.low_income_fen + result.shared_fen == result.distributed_fen
    entitled = [result.entitled(share) for share in result.allocations]
    assert sum(entitled) == result.distributed_fen
    for share, exact in zip(result.allocations, entitled, strict=True):
        assert share.floor_fen == exact.numerator // exact.denominator
        assert -1 < share.amount_fen - exact < 1
        assert share.amount_fen in (share.floor_fen, share.floor_fen + 1)
    # The extra fen went to the largest fractional parts (ties by code point).
    order = sorted(
        range(len(entitled)),
        key=lambda i: (-(entitled[i] - int(entitled[i])), households[i].household_code),
    )
    winners = {i for i in order[: result.leftover_fen]}
    assert [s.extra_fen for s in result.allocations] == [
        1 if i in winners else 0 for i in range(len(households))
    ]


@settings(max_examples=200, deadline=None)
@given(totals, rules(), households_st, st.randoms(use_true_random=False))
def test_roster_order_changes_no_amount(total, the_rule, households, rnd):
    result = allocate_or_refuse(total, the_rule, households)
    if result is None:
        return
    shuffled = list(households)
    rnd.shuffle(shuffled)
    again = allocate(total, the_rule, shuffled)
    assert again.by_code() == result.by_code()
    assert [s.household_code for s in again.allocations] == [x.household_code for x in shuffled]


@settings(max_examples=200, deadline=None)
@given(totals, rules(), households_st)
def test_more_members_or_more_forest_never_gets_less_within_a_roster(total, the_rule, households):
    # A household with at least the members, the area and the low-income status of another is
    # entitled to at least as much; so it gets at least as much, unless both are entitled to
    # exactly the same, when the fen of rounding goes by code and they differ by at most one.
    result = allocate_or_refuse(total, the_rule, households)
    if result is None:
        return
    shares = result.allocations
    for x in shares:
        for y in shares:
            if (
                x.members >= y.members
                and x.forest_area_mu >= y.forest_area_mu
                and x.low_income >= y.low_income
            ):
                ex, ey = result.entitled(x), result.entitled(y)
                assert ex >= ey
                if ex > ey:
                    assert x.amount_fen >= y.amount_fen
                else:
                    assert abs(x.amount_fen - y.amount_fen) <= 1


@settings(max_examples=200, deadline=None)
@given(
    totals,
    rules(),
    households_st,
    st.integers(0, 30),
    st.integers(1, 5),
    st.decimals(min_value=0, max_value=50, places=2),
)
def test_adding_members_or_forest_to_a_household_never_lowers_its_share(
    total, the_rule, households, pick, more_members, more_area
):
    # Across two rosters that differ in one household's members or area, that household's
    # exact entitlement does not fall (and no other household's rises), so its amount, which
    # is its entitlement rounded to within one fen, does not fall below its old floor.
    index = pick % len(households)
    before = allocate_or_refuse(total, the_rule, households)
    if before is None:
        return
    old = households[index]
    for changed in (
        HouseholdBasis(
            old.household_code,
            min(old.members + more_members, 999),
            old.forest_area_mu,
            old.low_income,
        ),
        HouseholdBasis(
            old.household_code, old.members, old.forest_area_mu + more_area, old.low_income
        ),
    ):
        roster = [*households[:index], changed, *households[index + 1 :]]
        after = allocate_or_refuse(total, the_rule, roster)
        if after is None:
            continue
        assert after.entitled(changed) >= before.entitled(old)
        assert after.allocations[index].amount_fen >= before.allocations[index].floor_fen
        for i, other in enumerate(households):
            if i != index:
                assert after.entitled(other) <= before.entitled(other)


def test_a_large_roster_is_exact():
    # 100,000 households with awkward numbers: the sum is still exact.
    households = [
        HouseholdBasis(f"H{i:06d}", i % 7, Decimal(i % 1000) / 100, i % 11 == 0)
        for i in range(100_000)
    ]
    the_rule = rule(retention="7.77", low_income="3.33", pc="33.3333", hh="33.3333", area="33.3334")
    total = 987_654_321_09
    result = allocate(total, the_rule, households)
    assert result.retained_fen + sum(amounts(result)) == total
    assert 0 < result.leftover_fen < len(households)


@pytest.mark.parametrize("low", [True, False])
def test_a_members_basis_is_the_household_basis_of_its_fields(low):
    member = Member("CK001", "H-4ZZV6V5Q88VZ", 0, 3, "12.5", low)
    basis = member.basis()
    assert type(basis) is HouseholdBasis
    assert basis == HouseholdBasis("CK001", 3, Decimal("12.5"), low)
    assert basis._asdict() == {
        "household_code": "CK001",
        "members": 3,
        "forest_area_mu": Decimal("12.5"),
        "low_income": low,
    }
