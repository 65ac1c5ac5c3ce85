"""What an entry states, in words: the values a kind's ``describe`` returns
(:attr:`ledger.platform.EntryKind.describe`), formatted for the reader by whoever shows them
(receipts, the public verification page).

``describe(body, postings)`` returns ``(label, value)`` pairs. The label is English marked with
:func:`~ledger.platform.N_` (shown translated); the value is one of:

- a ``str`` or an ``int``, shown as it is (a code, a serial range, a name as the buyer entered it);
- :class:`Amount`: an integer amount of a commodity (fen of ``CNY`` shown in 元, kg of ``CO2E``
  shown in 吨);
- :class:`Moment`: a stored UTC time, shown in Beijing time;
- :class:`Term`: a word marked with ``N_``, shown translated (a kind of retirement, a role);
- :class:`Account`: an account, shown in words (常口村 集体账户), with an amount if
  one side of an entry has several.

Pure: no formatting here, so a describe function stays a plain function of the leaf.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ledger.core.entry import Posting


@dataclass(frozen=True, slots=True)
class Amount:
    """``amount`` in the integer unit of ``commodity`` (fen for ``CNY``, kg for ``CO2E``)."""

    amount: int
    commodity: str


@dataclass(frozen=True, slots=True)
class Moment:
    """A stored time: ISO-8601 UTC with ``Z`` (``2026-03-01T02:03:04.000005Z``)."""

    utc: str


@dataclass(frozen=True, slots=True)
class Term:
    """A word or phrase marked with ``N_``, shown translated."""

    text: str


@dataclass(frozen=True, slots=True)
class Account:
    """An account name (``Assets:Village:350428102201:Collective``), and what it received or
    gave when that needs saying."""

    name: str
    amount: Amount | None = None


FactValue = str | int | Amount | Moment | Term | Account
Fact = tuple[str, FactValue]
#: ``describe(body, postings)`` → the facts an entry states, in the order to show them.
Describe = Callable[[Mapping[str, Any], tuple[Posting, ...]], list[Fact]]
