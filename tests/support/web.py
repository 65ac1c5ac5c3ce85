"""Helpers for tests that use the pages: CSRF tokens, signing in, the English strings, the
audit log's entries."""

from __future__ import annotations

import re

from tests.support.world import PASSWORD

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def english(client):
    """Show ``client`` the English (source) strings, so tests can assert messages."""
    client.set_cookie("lang", "en")
    return client


def csrf_token(client, path: str = "/signin") -> str:
    """A CSRF token for ``client``'s session, read from a page's form."""
    page = client.get(path)
    match = CSRF_RE.search(page.get_data(as_text=True))
    if match is None and path != "/":
        match = CSRF_RE.search(client.get("/").get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def sign_in(client, username: str, password: str = PASSWORD, *, remember=False, **kwargs):
    """POST the sign-in form with a valid CSRF token; returns the response."""
    token = csrf_token(client, "/signin")
    data = {"username": username, "password": password, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    return client.post("/signin", data=data, **kwargs)


def audit_entries(engine, kind: str | None = None) -> list:
    """The audit log's entries (optionally of one kind), oldest first."""
    from ledger.services.log import read_entries, read_head
    from ledger.storage.db import read_transaction

    with read_transaction(engine) as conn:
        size = read_head(conn, "audit").size
        entries = list(read_entries(conn, "audit", 0, size))
    return [e for e in entries if kind is None or e.kind == kind]


def stored_address(engine, address_id: int) -> str | None:
    """The client address an audit entry's ``address_id`` names (None once purged)."""
    from sqlalchemy import select

    from ledger.accounts.tables import AuditAddress
    from ledger.storage.db import read_transaction

    table = AuditAddress.__table__
    with read_transaction(engine) as conn:
        return conn.execute(
            select(table.c.address).where(table.c.id == address_id)
        ).scalar_one_or_none()
