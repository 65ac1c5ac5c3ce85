"""Sign-in throttling, stored in the database so every web worker sees the same counts.

Failures are counted per account and per client address over a sliding window (by default at
most 5 per account and 20 per address in 15 minutes). While either limit is reached, sign-in
is refused without checking the password; refused attempts are not counted again, so the
lock lifts ``window`` seconds after the oldest counted failure. A successful sign-in clears
the account's failures. Only SHA-256 digests of account names and addresses are stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select

from ledger.accounts.tables import SigninFailure

FAILURE = SigninFailure.__table__


@dataclass(frozen=True, slots=True)
class Limits:
    """How many failures are allowed within ``window`` seconds."""

    per_account: int = 5
    per_address: int = 20
    window: int = 15 * 60


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether sign-in may proceed; if not, which limit and for how many seconds."""

    allowed: bool
    scope: str = ""
    retry_after: int = 0


def account_key(username: str) -> str:
    return hashlib.sha256(b"account\x00" + username.encode("utf-8", "surrogatepass")).hexdigest()


def address_key(address: str) -> str:
    return hashlib.sha256(b"address\x00" + address.encode("utf-8", "surrogatepass")).hexdigest()


def _window(conn: Connection, column, key: str, since: int) -> tuple[int, int | None]:
    row = conn.execute(
        select(func.count(), func.min(FAILURE.c.at)).where(column == key, FAILURE.c.at > since)
    ).one()
    return row[0], row[1]


def check(
    conn: Connection, username: str, address: str, now: int, limits: Limits = DEFAULT_LIMITS
) -> Verdict:
    """May ``username`` try to sign in from ``address`` at ``now`` (epoch seconds)?"""
    since = now - limits.window
    for scope, column, key, limit in (
        ("account", FAILURE.c.account_key, account_key(username), limits.per_account),
        ("address", FAILURE.c.address_key, address_key(address), limits.per_address),
    ):
        count, oldest = _window(conn, column, key, since)
        if count >= limit:
            return Verdict(False, scope, max(1, int(oldest) + limits.window - now))
    return Verdict(True)


def record_failure(
    conn: Connection, username: str, address: str, now: int, limits: Limits = DEFAULT_LIMITS
) -> Verdict:
    """Count one failure; return the verdict for the next attempt. Also drops rows that have
    left the window."""
    conn.execute(delete(FAILURE).where(FAILURE.c.at <= now - limits.window))
    conn.execute(
        insert(FAILURE),
        {"account_key": account_key(username), "address_key": address_key(address), "at": now},
    )
    return check(conn, username, address, now, limits)


def clear_account(conn: Connection, username: str) -> None:
    """Forget an account's failures (after it signed in successfully)."""
    conn.execute(delete(FAILURE).where(FAILURE.c.account_key == account_key(username)))
