"""Throttling of password checks on SQLite and PostgreSQL: attempts sent at the same moment
count each other (each is reserved before the password is hashed), the password-change form
is throttled and audited like the sign-in form, and nobody can lock an account out from every
address."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from ledger.accounts import services, throttle
from ledger.accounts.passwords import Hasher
from ledger.storage.db import read_transaction, write_transaction
from tests.web.conftest import PASSWORD, USERS, audit_entries, csrf_token, english, sign_in

ATTEMPTS = 30
LIMITS = throttle.DEFAULT_LIMITS
#: A password hash slow enough (tens of milliseconds, outside the GIL) that attempts sent
#: together are all in flight while the first ones are being checked.
SLOW = Hasher(time_cost=2, memory_kib=16 * 1024, parallelism=1)


class CountingHasher(Hasher):
    """The app's real hasher, counting how many passwords it checked (``burn`` included)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.checks = 0
        self._lock = threading.Lock()

    def verify(self, stored: str, password: str) -> tuple[bool, str | None]:
        with self._lock:
            self.checks += 1
        return super().verify(stored, password)


@pytest.fixture
def counting(app) -> CountingHasher:
    hasher = CountingHasher(time_cost=1, memory_kib=8, parallelism=1)
    app.extensions["ledger.hasher"] = hasher
    return hasher


def slow_password(engine, world, key: str) -> None:
    """Give the user ``key`` a hash made with :data:`SLOW` (verification follows the stored
    hash's parameters)."""
    with write_transaction(engine) as conn:
        services.reset_password(conn, SLOW, world.users[key].id, PASSWORD, actor="test")


def together(app, username_of, password: str, n: int = ATTEMPTS) -> list[int]:
    """Send ``n`` sign-ins at the same moment, each from its own client (one address), and
    return the status codes."""
    clients = [app.test_client() for _ in range(n)]
    tokens = [csrf_token(c) for c in clients]
    start = threading.Barrier(n)

    def attempt(i: int) -> int:
        data = {"username": username_of(i), "password": password, "csrf_token": tokens[i]}
        start.wait()
        return clients[i].post("/signin", data=data).status_code

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(attempt, range(n)))


def test_concurrent_wrong_passwords_are_checked_at_most_the_limit(app, engine, world, counting):
    slow_password(engine, world, "admin")
    statuses = together(app, lambda i: USERS["admin"][0], "wrong password!")
    assert counting.checks <= LIMITS.per_account_address
    assert len(audit_entries(engine, "audit.signin_failed")) == counting.checks
    assert statuses.count(401) == counting.checks
    assert statuses.count(429) == ATTEMPTS - counting.checks


def test_concurrent_guesses_on_many_accounts_are_checked_at_most_the_address_limit(
    app, engine, counting
):
    statuses = together(app, lambda i: f"guess{i}", "wrong password!")
    assert counting.checks <= LIMITS.per_address
    assert statuses.count(401) == counting.checks == LIMITS.per_address
    assert len(audit_entries(engine, "audit.signin_failed")) == LIMITS.per_address


def test_the_password_form_is_throttled_and_audited(app, client, login, engine, world, counting):
    login("village")
    english(client)
    url = "/account/password"
    user_id = world.users["village"].id

    def change(current: str):
        data = {
            "current": current,
            "new": "a brand new password",
            "confirm": "a brand new password",
            "csrf_token": csrf_token(client, url),
        }
        return client.post(url, data=data)

    for _ in range(LIMITS.per_account_address):
        response = change("not my password")
        assert response.status_code == 422
        assert "The current password is not correct." in response.get_data(as_text=True)
    checked = counting.checks
    response = change(PASSWORD)  # even the right password is refused now, unchecked
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= LIMITS.window
    assert "Too many failed sign-ins. Wait 15 minutes" in response.get_data(as_text=True)
    assert counting.checks == checked
    failed = audit_entries(engine, "audit.password_check_failed")
    assert len(failed) == LIMITS.per_account_address
    assert all(e.body["user"] == user_id and e.actor == f"user:{user_id}" for e in failed)
    (locked,) = audit_entries(engine, "audit.signin_locked")
    assert locked.body["scope"] == "account_address"
    assert audit_entries(engine, "audit.password_changed") == []
    # the password form and the sign-in form share the counters of the account and address
    assert sign_in(app.test_client(), USERS["village"][0]).status_code == 429


def test_a_failed_attempt_is_counted_before_the_password_is_checked(engine, world):
    """The reservation is committed before hashing: a check running elsewhere while the
    password is being hashed already sees the attempt."""
    name, address = USERS["court"][0], "192.0.2.1"
    one_try = throttle.Limits(per_account_address=1)
    seen = []

    class Peeking(Hasher):
        def verify(self, stored, password):
            with read_transaction(engine) as conn:
                seen.append(throttle.check(conn, name, address, 1_000, one_try))
            return super().verify(stored, password)

    result = services.authenticate(
        engine, Peeking(1, 8, 1), name, "wrong password!", address, now=1_000, limits=one_try
    )
    assert result.reason == "bad_credentials"
    assert seen == [throttle.Verdict(False, throttle.ACCOUNT_ADDRESS, one_try.window)]


def test_nobody_can_lock_an_account_out_from_everywhere(app, engine, world):
    """Attackers from many addresses fail on the admin account until each of their addresses
    is refused: the admin, from an address of their own, signs in at once, and after a typo
    of their own waits no longer than the back-off's maximum."""
    hasher = Hasher(1, 8, 1)
    name = USERS["admin"][0]
    t = 1_000_000

    def attempt(password: str, address: str, now: int = t) -> services.SigninResult:
        return services.authenticate(engine, hasher, name, password, address, now=now)

    for n in range(10):
        tries = 0
        while (result := attempt("guess!", f"203.0.113.{n}")).reason == "bad_credentials":
            tries += 1
        assert result.reason == "throttled" and 1 <= tries <= LIMITS.per_account_address
    assert len(audit_entries(engine, "audit.signin_failed")) > 2 * LIMITS.per_account_address
    assert attempt("a typo!", "198.51.100.1").reason == "bad_credentials"
    delayed = attempt(PASSWORD, "198.51.100.1")
    assert delayed.reason == "throttled" and delayed.retry_after <= LIMITS.backoff_max
    assert attempt(PASSWORD, "198.51.100.1", t + LIMITS.backoff_max).ok
    assert attempt(PASSWORD, "198.51.100.2").ok


def test_the_account_back_off_delays_but_does_not_lock(engine):
    """From ``backoff_after`` failures of an account on, an address that failed there waits
    2, 4, 8… seconds after its own last failure, never more than ``backoff_max``."""
    limits = throttle.Limits(per_account_address=100, backoff_after=3, backoff_max=10)
    name, here = "admin1", "192.0.2.7"

    def reserve(address: str, now: int) -> throttle.Verdict:
        with write_transaction(engine) as conn:
            return throttle.reserve(conn, name, address, now, limits)

    t = 5_000
    assert reserve("198.51.100.1", t).allowed and reserve("198.51.100.2", t).allowed
    assert reserve(here, t).allowed  # 3 failures of the account now
    waits = []
    for _ in range(5):
        verdict = reserve(here, t)
        assert not verdict.allowed and verdict.scope == throttle.BACKOFF
        waits.append(verdict.retry_after)
        t += verdict.retry_after
        assert reserve(here, t - 1).allowed is False
        assert reserve(here, t).allowed
    assert waits == [2, 4, 8, 10, 10]
    assert reserve("198.51.100.9", t).allowed  # an address that never failed: no delay
    with write_transaction(engine) as conn:
        throttle.succeeded(conn, name, here)
        assert throttle.check(conn, name, here, t, limits).allowed
