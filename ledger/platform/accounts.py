"""Account names for people: ``Assets:Village:350428102201:Collective`` → ``常口村 集体账户``.

Account names are Beancount-style ASCII paths (``ledger.core.entry.ACCOUNT_RE``): a root
(Assets, Liabilities, Equity, Income, Expenses), then components. A component pair
``Village|Court|Bureau:<digits>`` names an organisation (shown by its name); every other
component is shown by the words a module declares for it
(:attr:`ledger.platform.Module.account_words`), or as it is (a household code, a USCC).

Signs: a balance is stored debit-positive. For the roots that normally hold credits (income,
liabilities, equity) a person expects money received or owed to read positive, so
:func:`shown_amount` turns those around.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ledger.platform.reading import PARTY_KINDS

#: Roots whose balances people read with the opposite sign (credit-normal accounts).
CREDIT_ROOTS = frozenset({"Income", "Liabilities", "Equity"})


def shown_amount(account: str, amount: int) -> int:
    """The balance as a person reads it: income received and amounts owed positive."""
    return -amount if account.partition(":")[0] in CREDIT_ROOTS else amount


def account_words(
    account: str,
    org_name: Callable[[str], str | None],
    words: Mapping[str, str],
    translate: Callable[[str], str] = str,
) -> str:
    """The account in words: the organisation's name (``org_name(party)``, e.g. for
    ``Village:350428102201``, None when unknown: then the kind and code), then the words of
    the other components, translated with ``translate``. The root is said only when it is
    not Assets (``收入``, ``支出``…)."""
    parts = account.split(":")
    out: list[str] = []
    root, rest = parts[0], parts[1:]
    if root != "Assets" and root in words:
        out.append(translate(words[root]))
    i = 0
    while i < len(rest):
        part = rest[i]
        if part in PARTY_KINDS and i + 1 < len(rest) and rest[i + 1].isdigit():
            party = f"{part}:{rest[i + 1]}"
            name = org_name(party)
            out.append(name if name else f"{translate(words.get(part, part))} {rest[i + 1]}")
            i += 2
            continue
        out.append(translate(words[part]) if part in words else part)
        i += 1
    return " ".join(out)
