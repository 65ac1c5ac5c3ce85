"""Registry retirements as pure records, and the rules for reading their fields.

A registry (Verra, Gold Standard, the Climate Action Reserve, the American Carbon Registry, the
Haixia exchange, the national CCER registry…) publishes each retirement as a *serial range*:
the integers ``start..end`` of one *numbering space* (the ``block``), ``end − start + 1``
units. Verra numbers its units across the whole registry, so a Verra block is ``""``; Gold
Standard numbers them within a batch (``GS1-1-IN-GS2345-12-2016-12345``) and the two American
registries within the serial's prefix (``CAR-1-US-1234-21-150-CA-2019``): that prefix is the
block. Two ranges can only overlap within one registry and one block.

No I/O here: :mod:`ledger.reconcile.formats` reads files into these records.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime

#: The most serial ranges a registry row may name: the log's integer bound (2**53 − 1).
MAX_SERIAL = 2**53 - 1
QUANTITY_RE = re.compile(r"\d{1,3}(?:,\d{3})+|\d+")


@dataclass(frozen=True, slots=True)
class RegistryRetirement:
    """One retirement (or cancellation) a registry published, normalised.

    Attributes:
      registry: which registry (``verra``, ``gs``, ``car``, ``acr``, or a mapping's name such
        as ``haixia`` or ``ccer``).
      block: the numbering space of the serials within the registry (see the module text).
      start, end: the first and last serial of the range (integers, ``start <= end``).
      quantity: how many units the row says were retired; always ``end − start + 1`` (a row
        where they differ is refused).
      project: the registry's project identifier, as the registry writes it (``1529``).
      vintage: the vintage as the registry gives it: a year (``2016``) or an ISO interval of
        dates (``2011-01-01/2011-12-31``).
      retired_on: the retirement date (ISO ``YYYY-MM-DD``).
      beneficiary, reason, details: the registry's text, kept exactly (Chinese included).
      serial: the serial as written in the file.
      row_sha256: SHA-256 of the row as it stands in the file (its text, UTF-8, without the
        line ending): the row's identity, so importing it twice adds it once.
      line: the line of the file where the row starts (1 is the header).
    """

    registry: str
    block: str
    start: int
    end: int
    quantity: int
    project: str
    vintage: str
    retired_on: str
    beneficiary: str
    reason: str
    details: str
    serial: str
    row_sha256: bytes
    line: int


@dataclass(frozen=True, slots=True)
class IssuanceRow:
    """A row that records an issuance, not a retirement: counted and skipped."""

    line: int


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that cannot be read: its ``line`` (where it starts; 1 is the header), a stable
    ``code`` and a ``reason`` in English for the person who fixes the file."""

    line: int
    code: str
    reason: str

    def as_dict(self) -> dict:
        return {"line": self.line, "reason": self.reason}


class BadField(ValueError):
    """A field cannot be read; ``code`` says which rule it breaks."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def parse_quantity(text: str, column: str) -> int:
    """A whole number of units, with or without thousands separators (``28,571``)."""
    value = text.strip()
    if not QUANTITY_RE.fullmatch(value):
        raise BadField("row.quantity", f"{column} {text!r} is not a whole number of units")
    return int(value.replace(",", ""))


def parse_date(text: str, formats: tuple[str, ...], column: str) -> str:
    """The ISO date of ``text``, read with the first of ``formats`` that fits (a time after
    the date, as some exports write, is ignored)."""
    found = iso_date(text, formats)
    if found is None:
        raise BadField("row.date", f"{column} {text!r} is not a date")
    return found


@functools.lru_cache(maxsize=8192)
def iso_date(text: str, formats: tuple[str, ...]) -> str | None:
    """:func:`parse_date` without the error, remembered: an export repeats few dates."""
    value = text.strip()
    for candidate in (value, value.split(" ", 1)[0], value.split("T", 1)[0]):
        for fmt in formats:
            try:
                return datetime.strptime(candidate, fmt).date().isoformat()
            except ValueError:
                continue
    return None


def check_range(start: int, end: int, quantity: int) -> None:
    """Refuse a range that is reversed, too large, or whose quantity is not
    ``end − start + 1``."""
    if start > end:
        raise BadField("row.serial_order", f"the serial range ends ({end}) before it starts")
    if end > MAX_SERIAL:
        raise BadField("row.serial_range", f"serial {end} is too large")
    if quantity != end - start + 1:
        raise BadField(
            "row.quantity_mismatch",
            f"the quantity {quantity:,} is not the size of the serial range "
            f"{start}..{end} ({end - start + 1:,})",
        )


def ddmmyyyy(text: str) -> str:
    """``01012011`` → ``2011-01-01`` (Verra's serials write vintage dates this way)."""
    try:
        return date(int(text[4:]), int(text[2:4]), int(text[:2])).isoformat()
    except ValueError:
        raise BadField("row.serial", f"{text!r} in the serial is not a date") from None
