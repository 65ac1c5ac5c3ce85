"""The villager's look-up is throttled: :data:`LIMIT` look-ups per client address in
:data:`WINDOW` seconds, so guessing the four characters of an ID number by trial takes longer
than it is worth.

The count is kept in the database (``community_lookup_attempt``), so every web worker and
every instance of the app on the same database sees the same count. Like the sign-in throttle
(:mod:`ledger.accounts.throttle`), each look-up is first *reserved*: counted in a write
transaction of its own, committed before the household is looked up, so concurrent look-ups
count each other (on PostgreSQL under an advisory lock; SQLite's ``BEGIN IMMEDIATE`` already
serialises them). A refused look-up is not counted, so the limit lifts :data:`WINDOW` seconds
after the oldest counted one. Rows older than the window are dropped on each reservation.
Only a SHA-256 digest of the address is stored.
"""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import Engine, delete, func, insert, select

from ledger.community.tables import CommunityLookupAttempt
from ledger.storage.db import write_transaction

LIMIT = 10
WINDOW = 600
ATTEMPT = CommunityLookupAttempt.__table__
#: The PostgreSQL advisory lock that serialises reservations (distinct from the sign-in's).
RESERVATION_LOCK = 0x6C65646765720009


def address_key(address: str) -> str:
    """The stored form of a client address (a digest: addresses are not kept)."""
    digest = hashlib.sha256(b"lookup\x00" + address.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def throttled(
    engine: Engine,
    address: str,
    *,
    now: int | None = None,
    limit: int = LIMIT,
    window: int = WINDOW,
) -> bool:
    """Reserve a look-up from ``address`` at ``now`` (epoch seconds; the clock by default):
    True when ``limit`` look-ups from it were counted in the last ``window`` seconds (then
    this one is not counted), else count it (committed) and return False."""
    now = int(time.time()) if now is None else now
    key = address_key(address)
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(RESERVATION_LOCK)))
        conn.execute(delete(ATTEMPT).where(ATTEMPT.c.at <= now - window))
        count = conn.execute(
            select(func.count()).where(ATTEMPT.c.address_key == key, ATTEMPT.c.at > now - window)
        ).scalar_one()
        if count >= limit:
            return True
        conn.execute(insert(ATTEMPT), {"address_key": key, "at": now})
        return False


def reset(engine: Engine) -> None:
    """Forget every count (tests)."""
    with write_transaction(engine) as conn:
        conn.execute(delete(ATTEMPT))
