"""What the units pages say to people: holder accounts in words (常口村 集体账户, a company by
the name its entries gave it, never ``Assets:Village:…``), money in 元 and carbon in 吨
through :mod:`ledger.formatting`, programmes, uses and states translated.

The words come from the caller's ``gettext`` and ``lang``, so they follow the reader's
language; every other account is said as the platform says it
(:func:`ledger.platform.accounts.account_words` with the modules' declared words).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from ledger import formatting
from ledger.platform import registry
from ledger.platform.accounts import account_words
from ledger.units import model

Gettext = Callable[..., str]


def exact_places(kg: int) -> int:
    """The fewest decimals of tonnes that show ``kg`` exactly (0 to 3)."""
    for places, unit in ((0, 1000), (1, 100), (2, 10)):
        if kg % unit == 0:
            return places
    return 3


def decimal_text(value: Decimal) -> str:
    """An exact decimal with thousands grouped and no trailing zeros: ``40845.000`` →
    ``40,845``; ``42.34265`` → ``42.34265``."""
    text = format(value, ",f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class Words:
    """Formatting bound to one reader: ``gettext`` and ``lang`` (``zh`` or ``en``) of the
    request, the names of organisations (``org_names``: account key such as
    ``Village:350428102201`` → name) and of holders the entries named (``holder_names``:
    account → name)."""

    def __init__(
        self,
        gettext: Gettext,
        lang: str = "zh",
        org_names: Mapping[str, str] | None = None,
        holder_names: Mapping[str, str] | None = None,
    ):
        self._ = gettext
        self.lang = lang
        self.orgs = dict(org_names or {})
        self.holders = dict(holder_names or {})

    def yuan(self, fen: int | None) -> str:
        return "—" if fen is None else formatting.yuan(fen, self.lang)

    def tonnes(self, kg: int | None) -> str:
        """Tonnes, exactly: ``2723000`` → ``2,723 吨``; ``2723`` → ``2.723 吨``."""
        return "—" if kg is None else formatting.tonnes(kg, exact_places(kg), self.lang)

    def price(self, fen_per_t: int | None) -> str:
        if fen_per_t is None:
            return "—"
        return self._("%(amount)s yuan/t", amount=formatting.yuan_number(fen_per_t))

    def programme(self, key: str) -> str:
        programme = model.PROGRAMMES.get(key)
        return self._(programme.label) if programme else key

    def use(self, key: str) -> str:
        return self._(model.USES[key]) if key in model.USES else key

    def state(self, state: str) -> str:
        labels = {
            model.HELD: self._("held"),
            model.PLEDGED_STATE: self._("pledged"),
            model.RETIRED: self._("retired"),
        }
        return labels.get(state, state)

    def account(self, account: str) -> str:
        """An account in words: a company or forest farm by the name its entries gave it,
        every other account as the platform says it (常口村 集体账户, 常口村 农户 H-…)."""
        holder = model.parse_holder(account.removesuffix(model.PLEDGED))
        name = self.holders.get(account.removesuffix(model.PLEDGED))
        if holder is not None and holder.kind in (model.COMPANY, model.FARM) and name:
            return (
                self._("%(holder)s (pledged)", holder=name)
                if account.endswith(model.PLEDGED)
                else name
            )
        return account_words(account, self.orgs.get, registry().account_words(), self._)

    def buyer(self, kind: str, name: str | None, masked: str | None) -> str:
        """An organisation by name; a person by the masked name the vault gives."""
        if kind == "person":
            return masked or self._("an individual")
        return name or "—"
