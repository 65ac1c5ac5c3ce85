"""Jinja filters for amounts: integer fen as yuan, integer kg CO2e, never through floats."""

from __future__ import annotations


def group_digits(n: int) -> str:
    return f"{n:,}"


def format_amount(amount: int, commodity: str) -> str:
    """``4084500, "CNY"`` → ``¥40,845.00``; ``2723000, "CO2E"`` → ``2,723,000 kg CO2e``."""
    sign = "-" if amount < 0 else ""
    value = abs(int(amount))
    if commodity == "CNY":
        return f"{sign}¥{group_digits(value // 100)}.{value % 100:02d}"
    if commodity == "CO2E":
        return f"{sign}{group_digits(value)} kg CO2e"
    return f"{sign}{group_digits(value)} {commodity}"


FILTERS = {"amount": format_amount}
