"""Who may read an entry's contents: the rule, as pure functions.

- Anyone reads signed checkpoints, tree sizes, leaf hashes, proofs, and the contents of entries
  whose kind a module declares public (:attr:`ledger.platform.EntryKind.public`).
- The contents of every other (scoped) entry of the main log are read only by the roles whose
  scope covers one of the organisations the entry concerns (its *parties*): a village or a court
  its own, a bureau those within its division. Admins and anonymous visitors read none.

An entry's parties are the organisations its postings name (the ``Village:…``, ``Court:…`` or
``Bureau:…`` component of an account, e.g. ``Assets:Village:350428102201:Collective``) and those
its kind's module names (:attr:`ledger.platform.EntryKind.parties`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ledger.core.entry import Posting

PARTY_KINDS = ("Village", "Court", "Bureau")
MAX_PARTY_LEN = 40


def party_division(party: str) -> str:
    """The division code in a party key (``Court:350428`` → ``350428``)."""
    return party.partition(":")[2]


def parties_of_accounts(accounts: Iterable[str]) -> set[str]:
    """The parties named by account names: ``X:Village:350428102201:Y`` → ``Village:3504…``."""
    found = set()
    for account in accounts:
        party = party_of_account(account)
        if party is not None:
            found.add(party)
    return found


@functools.lru_cache(maxsize=4096)
def party_of_account(account: str) -> str | None:
    """The party an account name names (``Village:350428102201``), or None."""
    parts = account.split(":")
    for i in range(len(parts) - 1):
        if parts[i] in PARTY_KINDS and parts[i + 1].isdigit():
            return f"{parts[i]}:{parts[i + 1]}"
    return None


def entry_parties(
    kind: Any,
    body: Mapping[str, Any],
    postings: Iterable[Posting | tuple],
    known: set[str] | None = None,
) -> set[str]:
    """The parties of an entry of ``kind`` (an :class:`~ledger.platform.EntryKind` or None)
    with this body and these postings (Posting records or ``(account, commodity, amount)``).
    Malformed declarations (a party that is not ``Kind:digits``) are left out.

    ``known``, if given, is the caller's set of declared parties already found well formed
    (a batch of entries declares the same few): a ``str`` in it skips :func:`is_party`, and
    the declared parties found well formed are added (the caller owns it)."""
    found = set()
    for p in postings:
        account = p.account if type(p) is Posting else p[0]
        if type(account) is str:
            party = party_of_account(account)
            if party is not None:
                found.add(party)
    if kind is not None and kind.parties is not None:
        try:
            declared = list(kind.parties(body, tuple(postings)))
        except (KeyError, TypeError, ValueError, AttributeError):
            declared = []
        for party in declared:
            if known is not None and type(party) is str and party in known:
                found.add(party)
            elif is_party(party):
                found.add(party)
                if known is not None:
                    known.add(party)
    return found


def is_party(value: object) -> bool:
    if not isinstance(value, str) or len(value) > MAX_PARTY_LEN:
        return False
    kind, sep, code = value.partition(":")
    return bool(sep) and kind in PARTY_KINDS and code.isascii() and code.isdigit()


@dataclass(frozen=True, slots=True)
class ReadScope:
    """Which scoped entries a reader may read: those with ``party`` among their parties, or
    with a party whose division starts with ``division``. Neither set: public contents only."""

    party: str | None = None
    division: str | None = None

    @property
    def reads_scoped(self) -> bool:
        return self.party is not None or bool(self.division)

    def covers(self, parties: Iterable[str]) -> bool:
        """Whether this scope may read an entry with these parties."""
        if self.party is not None:
            return self.party in parties
        if self.division:
            return any(party_division(p).startswith(self.division) for p in parties)
        return False


PUBLIC_ONLY = ReadScope()
