"""What each principal may see and do: pure functions over :mod:`ledger.accounts.model`.

The rules:

- a **village** principal reads only its own village;
- a **court** principal reads only its own court;
- a **bureau** principal reads every organisation whose division code starts with its own:
  a county bureau its county's villages and courts, a city bureau its city, the province
  everything in the province;
- an **admin** manages users, organisations and tokens, and reads no organisation's books;
- **anonymous** reads only public pages (checkpoints, receipt verification, public notices).

The same rule decides who reads the contents of a scoped log entry (:func:`read_scope`, see
:mod:`ledger.platform.reading`): its village or court, or a bureau over its division.
"""

from __future__ import annotations

from ledger.accounts.model import Org, Principal
from ledger.platform.reading import PUBLIC_ONLY, ReadScope


def within(division: str, prefix: str) -> bool:
    """Whether division code ``division`` lies within the division ``prefix``."""
    return bool(prefix) and division.startswith(prefix)


def can_read(principal: Principal, org: Org) -> bool:
    """Whether ``principal`` may read ``org``'s data (overview, balances, records)."""
    mine = principal.org
    if mine is None or not principal.is_authenticated:
        return False
    if principal.role in ("village", "court"):
        return org.id == mine.id
    if principal.role == "bureau":
        return org.id == mine.id or within(org.division, mine.division)
    return False


def can_write(principal: Principal, org: Org) -> bool:
    """Whether ``principal`` may record facts for ``org``: only its own organisation's
    principals (a bureau's own records; no one writes for another organisation)."""
    return principal.is_authenticated and principal.org is not None and principal.org.id == org.id


def can_admin(principal: Principal) -> bool:
    """Whether ``principal`` may manage users, organisations and tokens (signed-in admins
    only; API tokens never administer)."""
    return principal.kind == "user" and principal.role == "admin"


def visible_division(principal: Principal) -> str | None:
    """The division prefix whose organisations ``principal`` may list, or None."""
    if principal.role == "bureau" and principal.org is not None:
        return principal.org.division
    return None


def read_scope(principal: Principal) -> ReadScope:
    """Which scoped log entries ``principal`` may read: a village or court those that concern
    it, a bureau those that concern an organisation in its division; admins, API tokens of no
    organisation and anonymous visitors only public contents."""
    org = principal.org
    if org is None or not principal.is_authenticated:
        return PUBLIC_ONLY
    if principal.role in ("village", "court"):
        return ReadScope(party=org.account_key)
    if principal.role == "bureau":
        return ReadScope(division=org.division)
    return PUBLIC_ONLY
