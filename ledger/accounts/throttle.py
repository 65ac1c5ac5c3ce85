"""Throttling of password checks, stored in the database so every web worker sees the same counts.

Every password check (a sign-in, or the current password on the password-change form) is first
*reserved* by :func:`reserve`: counted as a failure in its own committed transaction, before
the password is hashed. Concurrent attempts therefore see each other: of thirty wrong
passwords sent at once, at most the limit are checked. A success then forgets the attempts
of that account from that address (:func:`succeeded`).

The limits (:class:`Limits`; by default over a sliding window of 15 minutes):

- per account and address: 5 attempts, so one client cannot go on guessing one account;
- per address: 20 attempts on any accounts, so one client cannot guess many accounts;
- per account, over every address together: an exponential back-off, never a lock. Once the
  account has 5 failures in the window, a client that has itself failed on the account must
  wait 2, 4, 8… seconds (at most 60) after its own last failure there before it may try
  again. A client that has not failed on the account is not delayed at all, so nobody can
  lock an account (an administrator's) out from everywhere by failing on purpose.

Refused attempts are not counted again, so a limit lifts ``window`` seconds after the oldest
counted attempt. Only SHA-256 digests of account names and addresses are stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select

from ledger.accounts.tables import SigninFailure
from ledger.core.errors import LedgerError

FAILURE = SigninFailure.__table__
#: The PostgreSQL advisory lock that serialises reservations (SQLite's BEGIN IMMEDIATE
#: already does). Reservations are a count and an insert, so one lock for all is enough.
RESERVATION_LOCK = 0x6C65646765720001

ACCOUNT_ADDRESS = "account_address"
ADDRESS = "address"
BACKOFF = "backoff"


@dataclass(frozen=True, slots=True)
class Limits:
    """How many attempts are allowed within ``window`` seconds, and the account back-off:
    from ``backoff_after`` failures of an account on, a client that failed on it waits
    ``2 ** (failures - backoff_after + 1)`` seconds, at most ``backoff_max``, after its own
    last failure there."""

    per_account_address: int = 5
    per_address: int = 20
    window: int = 15 * 60
    backoff_after: int = 5
    backoff_max: int = 60


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a password check may proceed; if not, which limit (:data:`ACCOUNT_ADDRESS`,
    :data:`ADDRESS` or :data:`BACKOFF`) and for how many seconds."""

    allowed: bool
    scope: str = ""
    retry_after: int = 0


class Throttled(LedgerError):
    """Too many attempts: the password was not checked. ``details`` holds ``scope`` and
    ``retry_after`` (seconds)."""

    status = 429

    def __init__(self, verdict: Verdict):
        super().__init__(
            "signin.throttled",
            f"too many failed attempts; try again in {verdict.retry_after} seconds",
            {"scope": verdict.scope, "retry_after": verdict.retry_after},
        )
        self.retry_after = verdict.retry_after


def account_key(username: str) -> str:
    return hashlib.sha256(b"account\x00" + username.encode("utf-8", "surrogatepass")).hexdigest()


def address_key(address: str) -> str:
    return hashlib.sha256(b"address\x00" + address.encode("utf-8", "surrogatepass")).hexdigest()


def check(
    conn: Connection, username: str, address: str, now: int, limits: Limits = DEFAULT_LIMITS
) -> Verdict:
    """May ``username`` be tried from ``address`` at ``now`` (epoch seconds)? Reads only."""
    since = now - limits.window
    account = FAILURE.c.account_key == account_key(username)
    pair = account & (FAILURE.c.address_key == address_key(address))
    for scope, where, limit in (
        (ACCOUNT_ADDRESS, pair, limits.per_account_address),
        (ADDRESS, FAILURE.c.address_key == address_key(address), limits.per_address),
    ):
        count, oldest = conn.execute(
            select(func.count(), func.min(FAILURE.c.at)).where(where, FAILURE.c.at > since)
        ).one()
        if count >= limit:
            return Verdict(False, scope, max(1, int(oldest) + limits.window - now))
    failures = conn.execute(select(func.count()).where(account, FAILURE.c.at > since)).scalar_one()
    if failures >= limits.backoff_after:
        last = conn.execute(
            select(func.max(FAILURE.c.at)).where(pair, FAILURE.c.at > since)
        ).scalar_one()
        if last is not None:
            wait = min(2 ** (failures - limits.backoff_after + 1), limits.backoff_max)
            if now < int(last) + wait:
                return Verdict(False, BACKOFF, int(last) + wait - now)
    return Verdict(True)


def reserve(
    conn: Connection, username: str, address: str, now: int, limits: Limits = DEFAULT_LIMITS
) -> Verdict:
    """Count one attempt of ``username`` from ``address`` as a failure, if the limits allow
    it; return the verdict. Call it in a write transaction of its own and commit before the
    password is checked, so that concurrent attempts count each other. Also drops rows that
    have left the window."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(RESERVATION_LOCK)))
    conn.execute(delete(FAILURE).where(FAILURE.c.at <= now - limits.window))
    verdict = check(conn, username, address, now, limits)
    if verdict.allowed:
        conn.execute(
            insert(FAILURE),
            {"account_key": account_key(username), "address_key": address_key(address), "at": now},
        )
    return verdict


def succeeded(conn: Connection, username: str, address: str) -> None:
    """The password was right: forget the attempts on ``username`` from ``address`` (the
    reserved one included). Failures from other addresses still count for the back-off."""
    conn.execute(
        delete(FAILURE).where(
            FAILURE.c.account_key == account_key(username),
            FAILURE.c.address_key == address_key(address),
        )
    )
