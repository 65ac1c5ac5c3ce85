"""Parsing amounts typed by people into the ledger's integer units, exactly.

Input is parsed as :class:`~decimal.Decimal` at the edge and converted once; anything with more
precision than the unit allows is refused, never rounded.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ledger.core.canonical import MAX_SAFE_INTEGER
from ledger.core.errors import ValidationError

#: (display unit, number of decimal places of the display unit stored as integers)
UNIT_SCALE = {"CNY": ("元", 2), "CO2E": ("t", 3)}


def parse_amount(text: str, commodity: str) -> int:
    """Parse ``text`` in display units (元 for CNY, t for CO2E) into fen or kg.

    ``parse_amount("12.34", "CNY") == 1234``; ``parse_amount("1.5", "CO2E") == 1500``.
    Raises ValidationError for unknown commodities, non-numbers and excess precision.
    """
    if commodity not in UNIT_SCALE:
        raise ValidationError("amount.commodity", f"unknown commodity {commodity!r}")
    unit, places = UNIT_SCALE[commodity]
    cleaned = text.strip().replace(",", "") if isinstance(text, str) else ""
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationError("amount.syntax", f"{text!r} is not a number of {unit}") from None
    if not value.is_finite():
        raise ValidationError("amount.syntax", f"{text!r} is not a finite number")
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise ValidationError(
            "amount.precision",
            f"{text!r} has more than {places} decimal places of {unit}",
        )
    result = int(scaled)
    if abs(result) > MAX_SAFE_INTEGER:
        raise ValidationError("amount.range", f"{text!r} is too large")
    return result
