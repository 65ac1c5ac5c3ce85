"""What people read: money, carbon and times as text, in Chinese (``lang="zh"``, the default)
or English (``lang="en"``). Pure functions with no Flask, used by the pages' Jinja filters
(:mod:`ledger.web.filters`) and by anything else that prints for people (receipts, notices).

The ledger keeps money in integer fen and carbon in integer kg CO2e (see
:mod:`ledger.core.units`); every function here takes those integers and works in ``int`` and
:class:`~decimal.Decimal` only, never through floats. Negative amounts carry a real minus sign
(U+2212 −), not a hyphen. Times are stored as UTC ISO-8601 with ``Z``
(:mod:`ledger.services.clock`) and shown in Beijing time (Asia/Shanghai, UTC+8 all year).

Capital numerals (大写) for money follow the rules for filling in bills and vouchers of the
People's Bank of China (《正确填写票据和结算凭证的基本规定》, annex to 《支付结算办法》) and
the accounting rules (《会计基础工作规范》 art. 52), as implemented by the ``cn2an`` library:

1. the digits are 零壹贰叁肆伍陆柒捌玖 and the units 拾佰仟万亿, 元角分; 拾 always has its
   digit before it (10 元 is 壹拾元, never 拾元), so nothing can be written in front of it;
2. the amount starts with 人民币, written right before the first numeral;
3. an amount ending at 元 ends with 整; one ending at 角 or 分 does not;
4. zeros between digits are written as one 零 (6,007.14 → 陆仟零柒元壹角肆分), and a zero 角
   before a non-zero 分 is written 零 (325.04 → 叁佰贰拾伍元零肆分);
5. where the rule allows either, the 零 is left out: a zero in the 元 or 万 place before a
   non-zero 角 or 仟 (1,680.32 → 壹仟陆佰捌拾元叁角贰分; 107,000.53 → 壹拾万柒仟元伍角叁分);
6. an amount under one yuan starts at its first non-zero unit (0.07 → 人民币柒分), and zero is
   人民币零元整; a negative amount (a reversal) puts 负 after 人民币.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from zoneinfo import ZoneInfo

import cn2an

BEIJING = ZoneInfo("Asia/Shanghai")
MINUS = "\u2212"
LANGS = ("zh", "en")
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    return lang


def _integer(value: int, what: str) -> int:
    if type(value) is not int:  # bool, float and Decimal are refused: units are integers
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    return value


def _grouped(value: int, scale: int = 0, places: int = 0) -> str:
    """``value / 10**scale`` rounded half up (away from zero) to ``places`` decimals, thousands
    grouped, with a minus sign when below zero after rounding: ``(-4084500, 2, 2)`` →
    ``−40,845.00``; ``(1005, 3, 2)`` → ``1.01``."""
    with localcontext() as ctx:
        ctx.prec = len(str(abs(value))) + places + 2  # enough digits: exact at any size
        number = Decimal(value).scaleb(-scale)
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        text = f"{number.copy_abs():,f}"
    return MINUS + text if number < 0 else text


# --- money --------------------------------------------------------------------------------


def yuan_number(fen: int) -> str:
    """Integer fen as a plain number of yuan: ``4084500`` → ``40,845.00``;
    ``-5`` → ``−0.05``."""
    return _grouped(_integer(fen, "fen"), 2, 2)


def yuan(fen: int, lang: str = "zh") -> str:
    """Integer fen as yuan with the unit: ``4084500`` → ``40,845.00 元`` (zh) or
    ``CNY 40,845.00`` (en)."""
    number = yuan_number(fen)
    return f"{number} 元" if _lang(lang) == "zh" else f"CNY {number}"


def yuan_capital(fen: int) -> str:
    """Integer fen in Chinese capital numerals, as on a bill or receipt (see the module's
    rules): ``14084500`` → ``人民币壹拾肆万零捌佰肆拾伍元整``; ``105`` → ``人民币壹元零伍分``."""
    _integer(fen, "fen")
    whole, cents = divmod(abs(fen), 100)
    words = cn2an.an2cn(f"{whole}.{cents:02d}", "rmb")
    return "人民币" + ("负" if fen < 0 else "") + words


# --- carbon -------------------------------------------------------------------------------


def _tonnes(kg: int, places: int) -> str:
    if type(places) is not int or not 0 <= places <= 3:
        raise ValueError("places must be an int from 0 to 3 (3 places are whole kilograms)")
    return _grouped(_integer(kg, "kg"), 3, places)


def tonnes(kg: int, places: int = 2, lang: str = "zh") -> str:
    """Integer kg CO2e as tonnes, rounded half up (away from zero) to ``places`` decimals:
    ``2723000`` → ``2,723.00 吨`` (zh) or ``2,723.00 t CO2e`` (en); ``1005, places=2`` →
    ``1.01 吨``. ``places=3`` is exact."""
    number = _tonnes(kg, places)
    return f"{number} 吨" if _lang(lang) == "zh" else f"{number} t CO2e"


def kg(kg: int, lang: str = "zh") -> str:
    """Integer kg CO2e as kilograms: ``2723000`` → ``2,723,000 千克`` (zh) or
    ``2,723,000 kg CO2e`` (en)."""
    number = _grouped(_integer(kg, "kg"))
    return f"{number} 千克" if _lang(lang) == "zh" else f"{number} kg CO2e"


def tonnes_exact(kg_amount: int, lang: str = "zh") -> str:
    """Tonnes to the kilogram with the kilograms beside them, where exactness matters
    (balances, postings): ``12723000`` → ``12,723.000 吨（12,723,000 千克）`` (zh) or
    ``12,723.000 t CO2e (12,723,000 kg)`` (en)."""
    number = _tonnes(kg_amount, 3)
    kilograms = _grouped(kg_amount)
    if _lang(lang) == "zh":
        return f"{number} 吨（{kilograms} 千克）"
    return f"{number} t CO2e ({kilograms} kg)"


def amount(value: int, commodity: str, lang: str = "zh") -> str:
    """An amount of the ledger's commodities in its integer unit: ``CNY`` fen as yuan,
    ``CO2E`` kg as exact tonnes with kilograms; any other commodity as a grouped integer
    followed by its code."""
    if commodity == "CNY":
        return yuan(value, lang)
    if commodity == "CO2E":
        return tonnes_exact(value, lang)
    return f"{_grouped(_integer(value, 'amount'))} {commodity}"


# --- times --------------------------------------------------------------------------------


def parse_utc(text: str) -> datetime:
    """A stored time (``2026-11-30T11:36:05.123456Z``) as an aware datetime. Raises
    ValueError for text that is not an ISO-8601 time with a ``Z`` or an offset."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone: stored times end with Z")
    return moment.astimezone(UTC)


def beijing(utc_iso: str, lang: str = "zh", *, seconds: bool = False) -> str:
    """A stored UTC time in Beijing time, labelled so: ``2026-11-30T11:36:05Z`` →
    ``2026年11月30日 19:36 北京时间`` (zh) or ``30 Nov 2026 19:36 Beijing time`` (en);
    ``seconds=True`` adds the seconds (``19:36:05``)."""
    local = parse_utc(utc_iso).astimezone(BEIJING)
    clock = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
    if _lang(lang) == "zh":
        return f"{chinese_date(local.date())} {clock} 北京时间"
    return f"{english_date(local.date())} {clock} Beijing time"


def chinese_date(day: date) -> str:
    """``date(2021, 5, 18)`` → ``2021年5月18日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def english_date(day: date) -> str:
    """``date(2021, 5, 18)`` → ``18 May 2021``."""
    return f"{day.day} {EN_MONTHS[day.month - 1]} {day.year}"


def date_text(day: date, lang: str = "zh") -> str:
    """A calendar date in the display language (:func:`chinese_date` or :func:`english_date`)."""
    return chinese_date(day) if _lang(lang) == "zh" else english_date(day)
