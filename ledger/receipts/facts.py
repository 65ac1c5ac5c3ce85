"""What an entry states, in words: the facts every receipt and the public verification page
show (its number, kind, time and actor, then what its kind's module says it states, or what
its postings move), and how each value reads in Chinese or English.

A kind's module describes its entries (:attr:`ledger.platform.EntryKind.describe`); an entry
of a kind that does not, or that no loaded module declares, is described from its postings:
how much money (元) and carbon (吨) moved, from which accounts to which, in words (the words
the modules declare, :attr:`ledger.platform.Module.account_words`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ledger import formatting
from ledger.core.entry import Entry, Posting
from ledger.platform import N_, Account, Amount, Fact, FactValue, Moment, Registry, Term
from ledger.platform.accounts import account_words
from ledger.receipts.lang import Gettext

#: An account name → the account in words.
AccountText = Callable[[str], str]

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


def offline_accounts(reg: Registry, gettext: Gettext) -> AccountText:
    """Accounts in words with no database (organisations by kind and code): ``Assets:Village:
    350428102201:Collective`` → ``村 350428102201 集体账户``. With a database, pass
    ``org_names`` (account key → name) to say ``常口村 集体账户``."""
    return accounts_in_words(reg, gettext, {})


def accounts_in_words(reg: Registry, gettext: Gettext, org_names: Mapping[str, str]) -> AccountText:
    """Accounts in words (:func:`ledger.platform.accounts.account_words`), organisations by
    the names in ``org_names`` where known."""
    words = reg.account_words()
    return lambda name: account_words(name, org_names.get, words, gettext)


def show(value: FactValue, lang: str, gettext: Gettext, account: AccountText) -> str:
    """A fact's value as the reader reads it: money in 元, carbon in 吨 (with the kilograms),
    times in Beijing time, terms translated, accounts in words (``account``), text as it is."""
    if isinstance(value, Amount):
        return formatting.amount(value.amount, value.commodity, lang)
    if isinstance(value, Moment):
        return formatting.beijing(value.utc, lang, seconds=True)
    if isinstance(value, Term):
        return gettext(value.text)
    if isinstance(value, Account):
        words = account(value.name)
        if value.amount is None:
            return words
        share = show(value.amount, lang, gettext, account)
        return f"{words}（{share}）" if lang == "zh" else f"{words} ({share})"
    return str(value)


def shown_facts(
    entry: Entry,
    reg: Registry,
    lang: str,
    gettext: Gettext,
    account: AccountText | None = None,
) -> list[tuple[str, str]]:
    """:func:`entry_facts` as ``(label, value)`` text in ``lang`` (accounts by ``account``,
    else :func:`offline_accounts`)."""
    account = account or offline_accounts(reg, gettext)
    return [
        (gettext(label), show(value, lang, gettext, account))
        for label, value in entry_facts(entry, reg)
    ]
