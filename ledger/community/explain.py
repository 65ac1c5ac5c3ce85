"""Saying a sharing rule and a household's share in words a villager reads: what each basis
is worth, what the household has of it, and how the exact amount was rounded to the fen.

``explain(allocation, share)`` → ``"5 人 × 每人 180.20 元 + 每户 90.10 元 + 1.00 亩 × 每亩
90.10 元 = 1,081.20 元"``; when the exact amount is not a whole number of fen, the sum is
given to a hundredth of a fen (``约`` when even that is rounded) and the rounding is said:
``2 亩 × 每亩 0.3333 元 = 约 0.6667 元；舍去分以下为 0.66 元，按尾数大小另得 0.01 元，实得
0.67 元``.

Amounts are written with :mod:`ledger.formatting`. Chinese (``lang="zh"``) first, English
(``lang="en"``) second. Pure: no I/O, no Flask.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from ledger import formatting
from ledger.community.allocation import Allocation, HouseholdAmount, Rule


def _pct(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def yuan_of(value: Fraction, lang: str = "zh") -> tuple[str, bool]:
    """An exact amount of fen (≥ 0) as yuan: to the fen when it is whole fen, else to a
    hundredth of a fen (trailing zeros after the fen dropped), rounded half up; and whether
    the text is exact. ``Fraction(2477750, 100)`` → ``("247.775 元", True)``;
    ``Fraction(100, 3)`` → ``("0.3333 元", False)``."""
    if value.denominator == 1:
        return formatting.yuan(int(value), lang), True
    hundredths = (value * 100 + Fraction(1, 2)).__floor__()
    fen, rest = divmod(hundredths, 100)
    digits = f"{rest:02d}".rstrip("0")
    number = formatting.yuan_number(fen) + digits
    text = f"{number} 元" if lang == "zh" else f"CNY {number}"
    return text, hundredths == value * 100


def _area(value: Decimal) -> str:
    return format(value, "f")


def explain(allocation: Allocation, share: HouseholdAmount, lang: str = "zh") -> str:
    """How ``share`` (one of ``allocation.allocations``) was computed, in one sentence."""
    zh = lang == "zh"
    terms: list[str] = []
    if allocation.per_member:
        rate, _ = yuan_of(allocation.per_member, lang)
        terms.append(
            f"{share.members} 人 × 每人 {rate}" if zh else f"{share.members} members × {rate} each"
        )
    if allocation.per_household:
        rate, _ = yuan_of(allocation.per_household, lang)
        terms.append(f"每户 {rate}" if zh else f"{rate} per household")
    if allocation.per_mu:
        rate, _ = yuan_of(allocation.per_mu, lang)
        area = _area(share.forest_area_mu)
        terms.append(f"{area} 亩 × 每亩 {rate}" if zh else f"{area} mu × {rate} per mu")
    if share.low_income and allocation.low_income_share:
        rate, _ = yuan_of(allocation.low_income_share, lang)
        terms.append(f"低收入户补助 {rate}" if zh else f"{rate} from the low-income pool")
    exact = allocation.entitled(share)
    total, is_exact = yuan_of(exact, lang)
    if not terms:
        terms.append(formatting.yuan(0, lang))
    sentence = " + ".join(terms) + " = " + ("" if is_exact else ("约 " if zh else "about ")) + total
    if exact.denominator == 1:
        return sentence
    floor = formatting.yuan(share.floor_fen, lang)
    amount = formatting.yuan(share.amount_fen, lang)
    if zh:
        sentence += f"；舍去分以下为 {floor}"
        if share.extra_fen:
            extra = formatting.yuan(share.extra_fen, lang)
            sentence += f"，按尾数大小另得 {extra}，实得 {amount}"
        return sentence
    sentence += f"; rounded down to the fen: {floor}"
    if share.extra_fen:
        extra = formatting.yuan(share.extra_fen, lang)
        sentence += f", plus {extra} of the remainder (largest remainders first): {amount}"
    return sentence


def rule_in_words(rule: Rule, lang: str = "zh") -> str:
    """The rule in one or two sentences: ``集体留存 10%；其余部分的 5% 由低收入户平分；余下
    按人口 50%、按户 30%、按林地面积 20% 分配到户；…``."""
    zh = lang == "zh"
    parts: list[str] = []
    names = (
        ("per_capita", "按人口", "by members"),
        ("per_household", "按户", "equally per household"),
        ("by_area", "按林地面积", "by forest area"),
    )
    weights = [
        (f"{zh_name} {_pct(rule.weight(basis))}" if zh else f"{_pct(rule.weight(basis))} {en}")
        for basis, zh_name, en in names
        if rule.weight(basis)
    ]
    if zh:
        parts.append(f"集体留存 {_pct(rule.retention_pct)}")
        if rule.low_income_pct:
            parts.append(f"其余部分的 {_pct(rule.low_income_pct)} 由低收入户平分")
            parts.append("余下" + "、".join(weights) + " 分配到户")
        else:
            parts.append("其余" + "、".join(weights) + " 分配到户")
        text = "；".join(parts) + "；分以下尾数按大小依次补足，尾数相同按户号顺序。"
        if rule.notice_days:
            text += f"公示期不少于 {rule.notice_days} 天。"
        return text
    parts.append(f"The collective keeps {_pct(rule.retention_pct)}")
    if rule.low_income_pct:
        parts.append(
            f"{_pct(rule.low_income_pct)} of the rest is shared equally by low-income households"
        )
        parts.append("the remainder goes to households " + ", ".join(weights))
    else:
        parts.append("the rest goes to households " + ", ".join(weights))
    text = "; ".join(parts) + (
        "; the fen left by rounding down go to the largest remainders, equal ones in order of "
        "household code."
    )
    if rule.notice_days:
        text += f" Public notice for at least {rule.notice_days} days."
    return text
