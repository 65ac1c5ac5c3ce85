"""What an entry states, in words: the facts every receipt and the public verification page
show (its number, kind, time and actor, then what its kind's module says it states, or what
its postings move), and how each value reads in Chinese or English.

A kind's module describes its entries (:attr:`ledger.platform.EntryKind.describe`); an entry
of a kind that does not, or that no loaded module declares, is described from its postings:
how much money (元) and carbon (吨) moved, from which accounts to which, in words.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger import formatting
from ledger.core.entry import Entry, Posting
from ledger.platform import N_, Account, Amount, Fact, FactValue, Moment, Registry, Term
from ledger.platform.reading import PARTY_KINDS
from ledger.receipts.lang import Gettext

#: Words for the components of account names (the root types, the organisations, common
#: sub-accounts); other components are shown as they are.
ACCOUNT_WORDS = {
    "Assets": N_("assets"),
    "Liabilities": N_("liabilities"),
    "Equity": N_("equity"),
    "Income": N_("income"),
    "Expenses": N_("expenses"),
    "Collective": N_("collective"),
    "Buyer": N_("buyer"),
    "Escrow": N_("escrow"),
    "Household": N_("household"),
}
PARTY_WORDS = {"Village": N_("village"), "Court": N_("court"), "Bureau": N_("forestry bureau")}
#: (amount, paid from, paid to) labels per commodity.
POSTING_LABELS = {
    "CNY": (N_("Amount"), N_("Paid from"), N_("Paid to")),
    "CO2E": (N_("Carbon"), N_("Carbon from"), N_("Carbon to")),
}
OTHER_LABELS = (N_("Quantity"), N_("From"), N_("To"))


def entry_facts(entry: Entry, reg: Registry) -> list[Fact]:
    """Everything ``entry`` states: its number, kind, time and actor, then its kind's
    description (or its postings')."""
    kind = reg.kind(entry.kind)
    facts: list[Fact] = [
        (N_("Entry number"), entry.seq),
        (N_("Record"), Term(kind.label) if kind is not None else entry.kind),
        (N_("Recorded at"), Moment(entry.time)),
        (N_("Recorded by"), entry.actor),
    ]
    if kind is not None and kind.describe is not None:
        facts.extend(kind.describe(entry.body, entry.postings))
    else:
        facts.extend(posting_facts(entry.postings))
    return facts


def posting_facts(postings: Sequence[Posting]) -> list[Fact]:
    """What postings move, per commodity (money first, then carbon): the amount, then where it
    came from and where it went (each account with its share when a side has several)."""
    facts: list[Fact] = []
    commodities = sorted({p.commodity for p in postings}, key=lambda c: (c != "CNY", c))
    for commodity in commodities:
        amount_label, from_label, to_label = POSTING_LABELS.get(commodity, OTHER_LABELS)
        legs = [p for p in postings if p.commodity == commodity]
        moved = sum(p.amount for p in legs if p.amount > 0)
        facts.append((amount_label, Amount(moved, commodity)))
        for label, side in (
            (from_label, [p for p in legs if p.amount < 0]),
            (to_label, [p for p in legs if p.amount > 0]),
        ):
            for p in side:
                share = Amount(abs(p.amount), commodity) if len(side) > 1 else None
                facts.append((label, Account(p.account, share)))
    return facts


def account_words(name: str, gettext: Gettext) -> str:
    """``Assets:Village:350428102201:Collective`` → ``资产 · 村 350428102201 · 集体``."""
    parts = name.split(":")
    words = []
    i = 0
    while i < len(parts):
        part = parts[i]
        if part in PARTY_KINDS and i + 1 < len(parts) and parts[i + 1].isdigit():
            words.append(f"{gettext(PARTY_WORDS[part])} {parts[i + 1]}")
            i += 2
            continue
        words.append(gettext(ACCOUNT_WORDS[part]) if part in ACCOUNT_WORDS else part)
        i += 1
    return " · ".join(words)


def show(value: FactValue, lang: str, gettext: Gettext) -> str:
    """A fact's value as the reader reads it: money in 元, carbon in 吨 (with the kilograms),
    times in Beijing time, terms translated, accounts in words, text as it is."""
    if isinstance(value, Amount):
        return formatting.amount(value.amount, value.commodity, lang)
    if isinstance(value, Moment):
        return formatting.beijing(value.utc, lang, seconds=True)
    if isinstance(value, Term):
        return gettext(value.text)
    if isinstance(value, Account):
        words = account_words(value.name, gettext)
        if value.amount is None:
            return words
        share = show(value.amount, lang, gettext)
        return f"{words}（{share}）" if lang == "zh" else f"{words} ({share})"
    return str(value)


def shown_facts(entry: Entry, reg: Registry, lang: str, gettext: Gettext) -> list[tuple[str, str]]:
    """:func:`entry_facts` as ``(label, value)`` text in ``lang``."""
    return [
        (gettext(label), show(value, lang, gettext)) for label, value in entry_facts(entry, reg)
    ]
