"""Client addresses of sign-ins stay out of the hash-chained audit log: they live in
``audit_address`` for the retention period and are then purged, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select, text

from ledger.accounts import addresses, services
from ledger.accounts.passwords import Hasher
from ledger.accounts.tables import AuditAddress
from ledger.services.verify import verify_log
from ledger.storage.db import read_transaction, write_transaction
from tests.web.conftest import (
    PASSWORD,
    USERS,
    audit_entries,
    csrf_token,
    sign_in,
    stored_address,
)

ADDRESS = AuditAddress.__table__
DAY = 24 * 60 * 60
#: Addresses in every textual form a leaf could hold them: dotted, IPv6, and the parts.
OFFICE, HOME, ATTACKER, V6 = "198.51.100.23", "203.0.113.77", "192.0.2.201", "2001:db8::5"


def audit_leaves(engine) -> bytes:
    with read_transaction(engine) as conn:
        rows = conn.execute(text("SELECT leaf FROM log_entry WHERE log = 'audit'")).all()
    return b"\n".join(bytes(r[0]) for r in rows)


def client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_no_audit_leaf_holds_a_client_address(app, engine, world):
    village, admin = USERS["village"][0], USERS["admin"][0]
    assert sign_in(client_at(app, OFFICE), village).status_code == 302
    assert sign_in(client_at(app, HOME), village, "not my password").status_code == 401
    assert sign_in(client_at(app, V6), "nobody-here", "a guess").status_code == 401
    attacker = client_at(app, ATTACKER)
    for _ in range(5):
        assert sign_in(attacker, admin, "wrong password!").status_code == 401
    assert sign_in(attacker, admin).status_code == 429
    clerk = client_at(app, HOME)
    assert sign_in(clerk, village).status_code == 302
    form = {
        "current": "not my password",
        "new": "a brand new password",
        "confirm": "a brand new password",
        "csrf_token": csrf_token(clerk, "/account/password"),
    }
    assert clerk.post("/account/password", data=form).status_code == 422

    entries = [
        e
        for e in audit_entries(engine)
        if e.kind
        in {
            "audit.signin",
            "audit.signin_failed",
            "audit.signin_locked",
            "audit.password_check_failed",
        }
    ]
    assert len(entries) == 2 + 2 + 5 + 1 + 1  # signed in, failed, locked, password check
    leaves = audit_leaves(engine)
    for address in (OFFICE, HOME, ATTACKER, V6):
        assert address.encode() not in leaves
    assert b'"address":' not in leaves  # no "address" field at all, only "address_id"
    seen = {stored_address(engine, e.body["address_id"]) for e in entries}
    assert seen == {OFFICE, HOME, ATTACKER, V6}
    (locked,) = [e for e in entries if e.kind == "audit.signin_locked"]
    assert stored_address(engine, locked.body["address_id"]) == ATTACKER
    assert verify_log(engine, [], log="audit") == []


def test_addresses_older_than_the_retention_period_are_purged(engine, world):
    hasher = Hasher(1, 8, 1)
    name = USERS["court"][0]
    t = 1_800_000_000

    def sign_in_at(now: int, address: str, days: int = 90) -> int:
        result = services.authenticate(
            engine, hasher, name, PASSWORD, address, now=now, retention_days=days
        )
        assert result.ok
        (entry, *_) = reversed(audit_entries(engine, "audit.signin"))
        return entry.body["address_id"]

    old = sign_in_at(t - 91 * DAY, OFFICE)
    kept = sign_in_at(t - 89 * DAY, HOME)
    assert stored_address(engine, old) == OFFICE
    new = sign_in_at(t, ATTACKER)  # storing an address purges the expired ones
    assert stored_address(engine, old) is None
    assert (stored_address(engine, kept), stored_address(engine, new)) == (HOME, ATTACKER)

    # the scheduler's purge, and a shorter retention setting
    with write_transaction(engine) as conn:
        assert addresses.purge(conn, t + 1 * DAY, 90) == 0
        assert addresses.purge(conn, t + 2 * DAY, 90) == 1  # HOME is 91 days old by then
        assert addresses.purge(conn, t + 2 * DAY, 1) == 1
        assert conn.execute(select(func.count()).select_from(ADDRESS)).scalar_one() == 0
    # the audit entries are untouched and the chain still verifies
    assert [e.body["address_id"] for e in audit_entries(engine, "audit.signin")] == [
        old,
        kept,
        new,
    ]
    assert verify_log(engine, [], log="audit") == []


def test_the_retention_setting_reaches_sign_in(db_url, tmp_path):
    """The web form passes ``address_retention_days`` on: with 1 day, an address of
    yesterday's sign-in is gone after today's."""
    from tests.web.conftest import make_app, seed

    app = make_app(db_url, tmp_path / "instance", address_retention_days=1)
    seed(app)
    engine = app.extensions["ledger.engine"]
    with write_transaction(engine) as conn:
        conn.execute(ADDRESS.insert().values(address=OFFICE, at=1_000))  # long ago
    assert sign_in(client_at(app, HOME), USERS["village"][0]).status_code == 302
    with read_transaction(engine) as conn:
        assert list(conn.execute(select(ADDRESS.c.address)).scalars()) == [HOME]
    engine.dispose()
