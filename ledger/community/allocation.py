"""Sharing a village collective's money among its households, exactly to the fen.

A *rule* (:class:`Rule`, read from JSON by :func:`parse_rule`) says what share the collective
keeps, what share goes to a pool for low-income households, and how the rest is weighed between
three bases: members (per capita), households (an equal share each) and forest area (per mu).
For a total ``T`` in fen and a roster of households (:class:`HouseholdBasis`),
:func:`allocate` computes:

1. the retained share ``R = ⌊T × retention_pct / 100⌋`` (stays in the collective's account);
   the distributed money ``D = T − R``;
2. the low-income pool ``P = ⌊D × low_income_pct / 100⌋`` if any household is low-income,
   else ``0``; the shared money ``Q = D − P``;
3. each household ``h``'s exact entitlement, a rational number of fen::

       e_h = [h low-income ? P / L : 0]
             + Q × (w_pc/100 × m_h/M + w_hh/100 × 1/H + w_area/100 × a_h/A)

   with ``m`` members, ``a`` forest area, ``M`` and ``A`` their sums over the roster, ``H``
   households and ``L`` low-income households. A basis whose weight is above zero and whose
   sum is zero (a per-capita rule for a roster of nobody) is refused;
4. each household gets ``⌊e_h⌋`` fen; the fen left over (``D − Σ⌊e_h⌋``, fewer than ``H``) go
   one each to the households with the largest fractional parts, ties broken by
   ``household_code`` in ascending code-point order. So ``R + Σ amounts = T`` exactly.

The arithmetic is exact: rule percentages are decimals, areas have at most two decimals, and
every ``e_h`` is computed as an integer numerator over one common denominator (the same
rationals :class:`~fractions.Fraction` would give, without building one per household), so a
roster of 100,000 households is shared in a fraction of a second. No floats anywhere.

Pure: no I/O. Every refusal is an :class:`AllocationError` (a
:class:`~ledger.core.errors.ValidationError`) whose code is a key of :data:`MESSAGES`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, NamedTuple

from ledger.core.errors import ValidationError
from ledger.platform import N_
from ledger.platform.memory import without_gc

#: Percentages and weights have at most this many decimal places.
PCT_PLACES = 4
#: A forest area has at most this many decimal places of mu.
AREA_PLACES = 2
#: Bounds of a household's members and forest area (beyond them a value is a typing error).
MAX_MEMBERS = 999
MAX_AREA_MU = Decimal("9999999.99")
#: The rule's optional minimum public-notice period, in days.
NOTICE_DAYS = (1, 60)
#: The weights of a rule, in the order they are written.
WEIGHTS = ("per_capita", "per_household", "by_area")
RULE_KEYS = ("retention_pct", "low_income_pct", "weights")

#: Every refusal, for people (``%(…)s`` from the error's ``details``).
MESSAGES = {
    "community.rule_json": N_("The sharing rule is not valid JSON: %(reason)s"),
    "community.rule_shape": N_(
        "The sharing rule must be an object with retention_pct, low_income_pct and weights "
        "(per_capita, per_household, by_area); %(problem)s"
    ),
    "community.rule_number": N_(
        "In the sharing rule, %(field)s must be a number from 0 to 100 with at most "
        "%(places)s decimal places, not %(value)s"
    ),
    "community.rule_weights_sum": N_(
        "The weights of the sharing rule must add up to 100, not %(sum)s"
    ),
    "community.rule_notice_days": N_(
        "In the sharing rule, notice_days must be a whole number of days from %(min)s to %(max)s"
    ),
    "community.allocation_total": N_(
        "The amount to share must be a whole number of fen, zero or more"
    ),
    "community.allocation_empty": N_("The roster has no households to share among"),
    "community.allocation_duplicate": N_("Household %(household)s appears twice in the roster"),
    "community.allocation_household": N_(
        "Household %(household)s: %(field)s is not valid (%(value)s)"
    ),
    "community.allocation_zero_basis": N_(
        "The rule gives %(weight)s%% to %(basis)s, but the roster's %(total)s is zero"
    ),
}
#: How the bases are named in :data:`MESSAGES` ``allocation_zero_basis``.
BASIS_WORDS = {
    "per_capita": N_("members (per capita)"),
    "by_area": N_("forest area"),
}
TOTAL_WORDS = {
    "per_capita": N_("number of members"),
    "by_area": N_("forest area"),
}


class AllocationError(ValidationError):
    """A sharing rule or an allocation's input is not acceptable; nothing was computed.

    ``code`` is a key of :data:`MESSAGES`, ``details`` the values its message names,
    ``message`` the message in English (pages show :data:`MESSAGES` translated)."""

    def __init__(self, code: str, **details: Any):
        super().__init__(code, MESSAGES[code] % details, details)


# --- the rule ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    """A sharing rule.

    Attributes:
      retention_pct: the percentage of the total the collective keeps (0..100).
      low_income_pct: the percentage of the distributed money set aside for low-income
        households, shared equally among them (0..100); nothing when none is low-income.
      per_capita, per_household, by_area: how the rest is weighed (percentages, sum 100).
      notice_days: the shortest public-notice period the rule asks for, in days (or None).
    """

    retention_pct: Decimal
    low_income_pct: Decimal
    per_capita: Decimal
    per_household: Decimal
    by_area: Decimal
    notice_days: int | None = None

    def weight(self, basis: str) -> Decimal:
        return getattr(self, basis)

    def to_json(self) -> dict[str, Any]:
        """The rule as JSON, decimals as normalised strings (``"10"``, ``"33.5"``);
        :func:`parse_rule` reads it back to an equal rule."""
        data: dict[str, Any] = {
            "retention_pct": _text(self.retention_pct),
            "low_income_pct": _text(self.low_income_pct),
            "weights": {basis: _text(self.weight(basis)) for basis in WEIGHTS},
        }
        if self.notice_days is not None:
            data["notice_days"] = self.notice_days
        return data


def _text(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _percentage(value: object, field: str) -> Decimal:
    shown = str(value)[:40]
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise AllocationError("community.rule_number", field=field, value=shown, places=PCT_PLACES)
    try:
        # A float is read as the shortest decimal that gives it back (0.1 is "0.1").
        number = Decimal(value.strip() if isinstance(value, str) else str(value))
    except InvalidOperation:
        number = Decimal("NaN")
    if (
        not number.is_finite()
        or not 0 <= number <= 100
        or number != number.quantize(Decimal(1).scaleb(-PCT_PLACES))
    ):
        raise AllocationError("community.rule_number", field=field, value=shown, places=PCT_PLACES)
    return number + 0  # normalises -0 to 0


def _shape(problem: str) -> AllocationError:
    return AllocationError("community.rule_shape", problem=problem)


def parse_rule(obj: object) -> Rule:
    """The rule a JSON object states (decimals as strings, integers, floats or
    :class:`~decimal.Decimal`). Raises :class:`AllocationError` when a key is missing or
    unknown, a number is out of 0..100 or has more than :data:`PCT_PLACES` decimals, the
    weights do not add up to exactly 100, or ``notice_days`` is not a whole number of days in
    :data:`NOTICE_DAYS`."""
    if not isinstance(obj, Mapping):
        raise _shape("it is not an object")
    missing = [key for key in RULE_KEYS if key not in obj]
    if missing:
        raise _shape("missing: " + ", ".join(missing))
    unknown = sorted(str(key) for key in obj if key not in (*RULE_KEYS, "notice_days"))
    if unknown:
        raise _shape("unknown: " + ", ".join(unknown))
    weights = obj["weights"]
    if not isinstance(weights, Mapping):
        raise _shape("weights is not an object")
    missing = [f"weights.{key}" for key in WEIGHTS if key not in weights]
    if missing:
        raise _shape("missing: " + ", ".join(missing))
    unknown = sorted(f"weights.{key}" for key in weights if key not in WEIGHTS)
    if unknown:
        raise _shape("unknown: " + ", ".join(unknown))
    retention = _percentage(obj["retention_pct"], "retention_pct")
    low_income = _percentage(obj["low_income_pct"], "low_income_pct")
    values = {basis: _percentage(weights[basis], f"weights.{basis}") for basis in WEIGHTS}
    total = sum(values.values(), Decimal(0))
    if total != 100:
        raise AllocationError("community.rule_weights_sum", sum=_text(total))
    notice_days = obj.get("notice_days")
    if notice_days is not None and (
        type(notice_days) is not int or not NOTICE_DAYS[0] <= notice_days <= NOTICE_DAYS[1]
    ):
        raise AllocationError("community.rule_notice_days", min=NOTICE_DAYS[0], max=NOTICE_DAYS[1])
    return Rule(retention, low_income, **values, notice_days=notice_days)


def parse_rule_text(text: str | bytes) -> Rule:
    """The rule a JSON document states; numbers are read as decimals, never as floats."""
    try:
        obj = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AllocationError("community.rule_json", reason=str(exc)[:200]) from None
    return parse_rule(obj)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


# --- the households and the result -------------------------------------------------------


class HouseholdBasis(NamedTuple):
    """What the rule weighs of one household on the roster.

    Attributes:
      household_code: the household's code (unique in the roster; names it in the log).
      members: the number of members counted (0..:data:`MAX_MEMBERS`).
      forest_area_mu: the forest area counted, in mu (≥ 0, at most two decimals).
      low_income: whether the household shares the low-income pool.
    """

    household_code: str
    members: int
    forest_area_mu: Decimal
    low_income: bool = False


class HouseholdAmount(NamedTuple):
    """One household's share.

    Attributes:
      household_code, members, forest_area_mu, low_income: as on the roster.
      amount_fen: what the household gets: ``floor_fen + extra_fen``.
      floor_fen: its exact entitlement rounded down (``⌊e_h⌋``).
      extra_fen: 1 when it got one of the fen left over by rounding down, else 0.
    """

    household_code: str
    amount_fen: int
    floor_fen: int
    extra_fen: int
    members: int
    forest_area_mu: Decimal
    low_income: bool


@dataclass(frozen=True, slots=True)
class Allocation:
    """How a total was shared (see the module docstring for the arithmetic).

    Attributes:
      total_fen: ``T``; retained_fen: ``R``; distributed_fen: ``D = T − R``;
      low_income_fen: the pool ``P``; shared_fen: ``Q = D − P``.
      rule: the rule applied.
      households, members, low_income_households: ``H``, ``M`` and ``L``;
      area_mu: ``A``, the roster's forest area in mu.
      per_member, per_household, per_mu: what one member, one household and one mu are
        worth, in fen, exactly (``Q × w/100`` divided by ``M``, ``H`` or ``A``; 0 when the
        weight is 0).
      low_income_share: what each low-income household gets from the pool, in fen (``P/L``).
      allocations: every household's share, in roster order.
      leftover_fen: the fen handed out one each after rounding down (``D − Σ⌊e_h⌋``).
    """

    total_fen: int
    retained_fen: int
    distributed_fen: int
    low_income_fen: int
    shared_fen: int
    rule: Rule
    households: int
    members: int
    area_mu: Decimal
    low_income_households: int
    per_member: Fraction
    per_household: Fraction
    per_mu: Fraction
    low_income_share: Fraction
    allocations: tuple[HouseholdAmount, ...]
    leftover_fen: int

    def entitled(self, household: HouseholdAmount | HouseholdBasis) -> Fraction:
        """The household's exact entitlement ``e_h`` in fen."""
        value = (
            self.per_member * household.members
            + self.per_household
            + self.per_mu * Fraction(household.forest_area_mu)
        )
        return value + self.low_income_share if household.low_income else value

    def by_code(self) -> dict[str, HouseholdAmount]:
        return {share.household_code: share for share in self.allocations}

    def as_json(self) -> dict[str, Any]:
        """What ``community preview`` prints: the totals and every household's amount."""
        return {
            "total_fen": self.total_fen,
            "retained_fen": self.retained_fen,
            "low_income_fen": self.low_income_fen,
            "allocations": [
                {"household_code": share.household_code, "amount_fen": share.amount_fen}
                for share in self.allocations
            ],
        }


# --- the allocation ----------------------------------------------------------------------


def _bad(household: HouseholdBasis, field: str, value: object) -> AllocationError:
    return AllocationError(
        "community.allocation_household",
        household=str(household.household_code)[:40],
        field=field,
        value=str(value)[:40],
    )


_MAX_CENTI_MU = int(MAX_AREA_MU.scaleb(AREA_PLACES))


def _centi_mu(household: HouseholdBasis) -> int:
    """The household's forest area in hundredths of a mu (exact, or refused)."""
    area = household.forest_area_mu
    try:
        if not isinstance(area, Decimal):
            raise ValueError
        scaled = area.scaleb(AREA_PLACES)
        centi = int(scaled)
    except (ValueError, OverflowError):
        raise _bad(household, "forest_area_mu", area) from None
    if centi != scaled or not 0 <= centi <= _MAX_CENTI_MU:
        raise _bad(household, "forest_area_mu", area)
    return centi


def _centi_mus(households: Sequence[HouseholdBasis]) -> list[int]:
    """Every household's forest area in hundredths of a mu (exact, or the first bad one
    refused)."""
    try:
        scaled = [household.forest_area_mu.scaleb(AREA_PLACES) for household in households]
        centis = [int(value) for value in scaled]
    except (AttributeError, TypeError, ValueError, OverflowError):
        return [_centi_mu(household) for household in households]
    if (
        any(c != value for c, value in zip(centis, scaled, strict=True))
        or min(centis) < 0
        or max(centis) > _MAX_CENTI_MU
        or not all(isinstance(h.forest_area_mu, Decimal) for h in households)
    ):
        return [_centi_mu(household) for household in households]
    return centis


def _check_household(household: HouseholdBasis) -> None:
    code = household.household_code
    if not isinstance(code, str) or not code:
        raise _bad(household, "household_code", code)
    members = household.members
    if type(members) is not int or not 0 <= members <= MAX_MEMBERS:
        raise _bad(household, "members", members)
    if type(household.low_income) is not bool:
        raise _bad(household, "low_income", household.low_income)


def _extra_fen(remainders: list[int], codes: Sequence[str], leftover: int) -> list[int]:
    """1 for the ``leftover`` households with the largest remainders (equal remainders in
    ascending code-point order of their codes), 0 for the others."""
    extra = [0] * len(remainders)
    if not leftover:
        return extra
    cut = sorted(remainders, reverse=True)[leftover - 1]  # the smallest remainder served
    above = [i for i, part in enumerate(remainders) if part > cut]
    tied = sorted((codes[i], i) for i, part in enumerate(remainders) if part == cut)
    for i in above:
        extra[i] = 1
    for _, i in tied[: leftover - len(above)]:
        extra[i] = 1
    return extra


def allocate(total_fen: int, rule: Rule, households: Sequence[HouseholdBasis]) -> Allocation:
    """Share ``total_fen`` among ``households`` by ``rule`` (see the module docstring).

    Guarantees: ``retained_fen + Σ amount_fen == total_fen``; every ``amount_fen`` is
    ``⌊e_h⌋`` or ``⌊e_h⌋ + 1``; the result for each household does not depend on the order
    of the roster (only the order of ``allocations`` follows it). Raises
    :class:`AllocationError` for a total that is not an integer ≥ 0, an empty roster, a
    repeated code, a bad member count or area, or a basis with weight > 0 and sum 0.
    """
    with without_gc():
        return _allocate(total_fen, rule, households)


def _allocate(total_fen: int, rule: Rule, households: Sequence[HouseholdBasis]) -> Allocation:
    if type(total_fen) is not int or total_fen < 0:
        raise AllocationError("community.allocation_total")
    if not households:
        raise AllocationError("community.allocation_empty")
    codes = [household.household_code for household in households]
    members = [household.members for household in households]
    lows = [household.low_income for household in households]
    if not (
        all(type(code) is str and code for code in codes)
        and all(type(m) is int and 0 <= m <= MAX_MEMBERS for m in members)
        and all(type(low) is bool for low in lows)
    ):
        for household in households:
            _check_household(household)  # raises, naming the first that is wrong
    if len(set(codes)) != len(codes):
        seen: set[str] = set()
        for code in codes:
            if code in seen:
                raise AllocationError("community.allocation_duplicate", household=code)
            seen.add(code)
    areas = _centi_mus(households)

    count = len(households)
    total_members = sum(members)
    total_centi = sum(areas)
    low_count = sum(lows)
    sums = {"per_capita": total_members, "per_household": count, "by_area": total_centi}
    for basis in WEIGHTS:
        if rule.weight(basis) > 0 and sums[basis] == 0:
            raise AllocationError(
                "community.allocation_zero_basis",
                weight=_text(rule.weight(basis)),
                basis=BASIS_WORDS[basis],
                total=TOTAL_WORDS[basis],
            )

    retained = total_fen * Fraction(rule.retention_pct) // 100
    distributed = total_fen - retained
    pool = distributed * Fraction(rule.low_income_pct) // 100 if low_count else 0
    shared = distributed - pool

    # Exact shares as Fractions of fen: what one member, one household, one hundredth of a mu
    # and one low-income household are worth.
    w_pc, w_hh, w_area = (Fraction(rule.weight(basis)) / 100 for basis in WEIGHTS)
    member_value = shared * w_pc / total_members if w_pc else Fraction(0)
    household_value = shared * w_hh / count if w_hh else Fraction(0)
    centi_value = shared * w_area / total_centi if w_area else Fraction(0)
    low_value = Fraction(pool, low_count) if low_count else Fraction(0)

    # One common denominator: each e_h is then an integer numerator over it.
    denominator = math.lcm(
        member_value.denominator,
        household_value.denominator,
        centi_value.denominator,
        low_value.denominator,
    )
    c_member = member_value.numerator * (denominator // member_value.denominator)
    c_household = household_value.numerator * (denominator // household_value.denominator)
    c_centi = centi_value.numerator * (denominator // centi_value.denominator)
    c_low = low_value.numerator * (denominator // low_value.denominator)

    parts = [
        divmod(c_household + m * c_member + a * c_centi + (c_low if low else 0), denominator)
        for m, a, low in zip(members, areas, lows, strict=True)
    ]
    floors = [whole for whole, _ in parts]
    remainders = [part for _, part in parts]

    leftover = distributed - sum(floors)
    extra = _extra_fen(remainders, codes, leftover)

    new = tuple.__new__  # HouseholdAmount(...) without its Python-level __new__: same tuple
    allocations = tuple(
        [
            new(
                HouseholdAmount,
                (h.household_code, f + e, f, e, h.members, h.forest_area_mu, h.low_income),
            )
            for h, f, e in zip(households, floors, extra, strict=True)
        ]
    )
    return Allocation(
        total_fen=total_fen,
        retained_fen=retained,
        distributed_fen=distributed,
        low_income_fen=pool,
        shared_fen=shared,
        rule=rule,
        households=count,
        members=total_members,
        area_mu=Decimal(total_centi).scaleb(-AREA_PLACES),
        low_income_households=low_count,
        per_member=member_value,
        per_household=household_value,
        per_mu=centi_value * 100,
        low_income_share=low_value,
        allocations=allocations,
        leftover_fen=leftover,
    )
