"""The internal security chain: sign-ins, failed sign-ins, role changes, token creation,
disabling users, exports, as append-only entries of the ``audit`` log.

Bodies name people by user id (``{"user": 42}``), never by name, and never hold passwords or
tokens. Nor do they hold client addresses: entries about sign-ins and password checks name
the address by its row in ``audit_address`` (``{"address_id": 17}``), which is deleted after
the retention period (:mod:`ledger.accounts.addresses`); the log itself is kept forever.
Entries are appended inside the caller's write transaction, so the record and the change it
describes commit together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from ledger.core.entry import Entry, EntryDraft
from ledger.services.log import append

LOG = "audit"

SIGNIN = "audit.signin"
SIGNIN_FAILED = "audit.signin_failed"
SIGNIN_LOCKED = "audit.signin_locked"
SIGNOUT = "audit.signout"
ORG_CREATED = "audit.org_created"
USER_CREATED = "audit.user_created"
ROLE_CHANGED = "audit.role_changed"
USER_DISABLED = "audit.user_disabled"
USER_ENABLED = "audit.user_enabled"
PASSWORD_CHANGED = "audit.password_changed"  # noqa: S105 (an entry kind)
PASSWORD_CHECK_FAILED = "audit.password_check_failed"  # noqa: S105 (an entry kind)
PASSWORD_RESET = "audit.password_reset"  # noqa: S105 (an entry kind)
TOKEN_CREATED = "audit.token_created"  # noqa: S105 (an entry kind)
TOKEN_REVOKED = "audit.token_revoked"  # noqa: S105 (an entry kind)
EXPORT = "audit.export"


def record(conn: Connection, kind: str, body: Mapping[str, Any], actor: str) -> Entry:
    """Append one audit entry (no postings) in the caller's transaction."""
    return append(conn, [EntryDraft(kind, dict(body), actor)], log=LOG)[0]


def record_export(
    conn: Connection,
    actor: str,
    what: str,
    *,
    org_id: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> Entry:
    """Record that ``actor`` exported ``what`` (e.g. ``distribution.csv``) of ``org_id``.

    ``details`` must not hold personal data (counts, date ranges, seq ranges are fine).
    """
    body: dict[str, Any] = {"what": what, "org": org_id}
    if details:
        body["details"] = dict(details)
    return record(conn, EXPORT, body, actor)
