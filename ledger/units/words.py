"""What pages and the API say to people: account names in words (常口村 集体账户, never
``Assets:Village:…``), money in 元, carbon in 吨, times in Beijing time. Minimal and local to
this module, so a shared formatting module can replace it.

Every function takes integers (fen, kg) and works without floats; the words come from the
caller's ``gettext`` so they follow the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from ledger.units import model

Gettext = Callable[..., str]


def group(n: int) -> str:
    return f"{n:,}"


def yuan_number(fen: int) -> str:
    """``4084500`` → ``40,845.00``."""
    sign = "−" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def tonnes_number(kg: int) -> str:
    """``2723000`` → ``2,723``; ``12345`` → ``12.345``; ``10`` → ``0.01`` (exact)."""
    sign = "−" if kg < 0 else ""
    whole, rest = divmod(abs(kg), 1000)
    if not rest:
        return f"{sign}{whole:,}"
    return f"{sign}{whole:,}." + f"{rest:03d}".rstrip("0")


def price_number(fen_per_t: int) -> str:
    """Fen per tonne as yuan per tonne: ``1500`` → ``15.00``."""
    return yuan_number(fen_per_t)


def decimal_text(value: Decimal) -> str:
    """An exact decimal with thousands grouped and no trailing zeros: ``40845.000`` →
    ``40,845``; ``0.015`` → ``0.015``."""
    text = format(value, ",f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def beijing_time(utc: str) -> str:
    """``2026-03-01T02:03:04.000005Z`` → ``2026-03-01 10:03``."""
    from datetime import UTC, datetime, timedelta

    moment = datetime.fromisoformat(utc.replace("Z", "+00:00")).astimezone(UTC)
    return (moment + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")


class Words:
    """Formatting bound to one reader: ``gettext`` of the request, and names of villages and
    holders (``village_names``: code → name; ``holder_names``: account → name)."""

    def __init__(
        self,
        gettext: Gettext,
        village_names: Mapping[str, str] | None = None,
        holder_names: Mapping[str, str] | None = None,
    ):
        self._ = gettext
        self.villages = dict(village_names or {})
        self.holders = dict(holder_names or {})

    def yuan(self, fen: int | None) -> str:
        if fen is None:
            return "—"
        return self._("%(amount)s yuan", amount=yuan_number(fen))

    def tonnes(self, kg: int | None) -> str:
        if kg is None:
            return "—"
        return self._("%(amount)s t", amount=tonnes_number(kg))

    def price(self, fen_per_t: int | None) -> str:
        if fen_per_t is None:
            return "—"
        return self._("%(amount)s yuan/t", amount=price_number(fen_per_t))

    def time(self, utc: str | None) -> str:
        if not utc:
            return "—"
        return self._("%(time)s Beijing time", time=beijing_time(utc))

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

    def village(self, code: str | None) -> str:
        if code is None:
            return ""
        return self.villages.get(code) or self._("village %(code)s", code=code)

    def account(self, account: str) -> str:
        """An account in words: ``Assets:Village:350428102201:Collective`` → 常口村 集体账户."""
        pledged = account.endswith(model.PLEDGED)
        holder = model.parse_holder(account.removesuffix(model.PLEDGED))
        if holder is None:
            if account.startswith("Expenses:Retired:"):
                return self._("retired")
            if account.startswith("Income:"):
                return self._("carbon sales income")
            return self._("another account")
        if holder.kind == model.VILLAGE:
            text = self._("%(village)s collective account", village=self.village(holder.code))
        elif holder.kind == model.HOUSEHOLD:
            text = self._(
                "%(village)s household %(code)s",
                village=self.village(holder.village),
                code=holder.code,
            )
        elif holder.kind == model.COMPANY:
            text = self.holders.get(account) or self._("company %(code)s", code=holder.code)
        elif holder.kind == model.FARM:
            text = self.holders.get(account) or self._("forest farm %(code)s", code=holder.code)
        else:
            text = self._("court case %(code)s", code=holder.code)
        return self._("%(holder)s (pledged)", holder=text) if pledged else text

    def buyer(self, kind: str, name: str | None, masked: str | None) -> str:
        """An organisation by name; a person by the masked name the vault gives."""
        if kind == "person":
            return masked or self._("an individual")
        return name or "—"
