"""What a receipt PDF prints from its entry, and the check that the printed text still says it.

Each :class:`~ledger.receipts.bundle.Printed` item of a PDF's bundle names a label, a pointer
(RFC 6901) into the receipt view (``/leaf/…`` the leaf object, ``/leaf_hash``, ``/tree_size``)
and a format below. The PDF prints the label followed by a full-width colon and the value in
that format; the verifier recomputes the value from the leaf and reads the page text. The
formats are fixed by the bundle format's version: changing how one prints breaks every receipt
issued with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from ledger import formatting
from ledger.receipts.bundle import Printed

COLON = "："


def _int(value: Any) -> int:
    if type(value) is not int:
        raise TypeError(f"{value!r} is not an integer")
    return value


def _text(value: Any) -> str:
    if type(value) is not str:
        raise TypeError(f"{value!r} is not text")
    return value


def _day(value: Any) -> date:
    return formatting.parse_utc(_text(value)).astimezone(formatting.BEIJING).date()


#: format name → how a value is printed (zh). Each raises TypeError or ValueError for a value
#: it cannot print.
FORMATS: Mapping[str, Callable[[Any], str]] = {
    "yuan": lambda v: formatting.yuan(_int(v)),  # 4084500 → 40,845.00 元
    "yuan_capital": lambda v: formatting.yuan_capital(_int(v)),  # 100 → 人民币壹元整
    "tonnes": lambda v: formatting.tonnes(_int(v), places=3),  # 1500 → 1.500 吨
    "kg": lambda v: formatting.kg(_int(v)),  # 1500 → 1,500 千克
    "date": lambda v: formatting.chinese_date(_day(v)),  # → 2026年3月1日 (Beijing)
    "datetime": lambda v: formatting.beijing(_text(v), seconds=True),  # → … 10:03:04 北京时间
    "integer": lambda v: str(_int(v)),
    "text": _text,
}
#: The formats that print an amount of each commodity.
AMOUNT_FORMATS = {"CNY": {"yuan", "yuan_capital"}, "CO2E": {"tonnes", "kg"}}
#: What every receipt PDF prints from each of its entries, beside the amounts.
REQUIRED = {
    "/leaf/seq": "the entry number",
    "/leaf/time": "the time the entry was recorded",
    "/leaf_hash": "the leaf hash",
    "/tree_size": "the checkpoint size",
}
_POSTING_AMOUNT = re.compile(r"/leaf/postings/(0|[1-9][0-9]*)/amount")


def resolve(document: Any, pointer: str) -> Any:
    """The value at RFC 6901 ``pointer`` in ``document``. Raises KeyError when there is none."""
    if not pointer.startswith("/"):
        raise KeyError(pointer)
    value = document
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif (
            isinstance(value, list)
            and re.fullmatch(r"0|[1-9][0-9]*", token)
            and int(token) < len(value)
        ):
            value = value[int(token)]
        else:
            raise KeyError(pointer)
    return value


def value_text(view: Mapping[str, Any], item: Printed) -> str:
    """What ``item`` must print for this receipt view. Raises ValueError naming what is wrong
    (no such value, an unknown format, a value the format cannot print)."""
    fmt = FORMATS.get(item.format)
    if fmt is None:
        raise ValueError(f"unknown printed format {item.format!r}")
    try:
        return fmt(resolve(view, item.pointer))
    except KeyError:
        raise ValueError(f"the receipt has no value at {item.pointer}") from None
    except TypeError as exc:
        raise ValueError(f"{item.pointer} cannot be printed as {item.format}: {exc}") from None


def missing(view: Mapping[str, Any], items: Sequence[Printed]) -> list[str]:
    """What a receipt PDF must print from this entry but its items do not bind: the entry
    number, its time, the leaf hash, the checkpoint size, and an amount of every commodity its
    postings move. Empty when nothing is missing."""
    pointers = {item.pointer for item in items}
    lacking = [what for pointer, what in REQUIRED.items() if pointer not in pointers]
    postings = view["leaf"]["postings"]
    for commodity, formats in AMOUNT_FORMATS.items():
        if not any(p["commodity"] == commodity for p in postings):
            continue
        bound = False
        for item in items:
            match = _POSTING_AMOUNT.fullmatch(item.pointer)
            if match and item.format in formats:
                i = int(match.group(1))
                bound = bound or (i < len(postings) and postings[i]["commodity"] == commodity)
        if not bound:
            lacking.append(f"the {commodity} amount")
    return lacking


def compact(text: str) -> str:
    """``text`` without any whitespace (text extraction spaces and breaks lines its own way)."""
    return "".join(text.split())


def mismatches(page_text: str, view: Mapping[str, Any], items: Sequence[Printed]) -> list[dict]:
    """Where the text of a PDF's pages does not say what ``items`` bind: each printed label
    must be found at the start of a line, followed by the value the leaf gives, everywhere it
    is printed. Returns ``{"label", "printed", "expected"}`` per disagreement (``printed``
    None when the label is not printed at all). Raises ValueError for an item that cannot be
    evaluated (see :func:`value_text`)."""
    lines = [line for line in (compact(raw) for raw in page_text.splitlines()) if line]
    keys = [compact(item.label) + COLON for item in items]
    found = []
    for item, key in zip(items, keys, strict=True):
        expected = compact(value_text(view, item))
        hits = [i for i, line in enumerate(lines) if line.startswith(key)]
        if not hits:
            found.append({"label": item.label, "printed": None, "expected": expected})
            continue
        for i in hits:
            printed = _printed_after(lines, i, key, keys, len(expected))
            if not printed.startswith(expected):
                found.append({"label": item.label, "printed": printed, "expected": expected})
                break
    return found


def _printed_after(lines: list[str], i: int, key: str, keys: list[str], length: int) -> str:
    """The text after ``key`` on line ``i`` and the lines that follow it, until the next label
    or enough characters to compare with a value of ``length``."""
    text = lines[i][len(key) :]
    for line in lines[i + 1 :]:
        if len(text) >= length or any(line.startswith(k) for k in keys):
            break
        text += line
    return text
