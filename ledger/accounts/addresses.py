"""Client addresses of audited events, kept out of the audit log and for a limited time.

The audit log is append-only and hash-chained: what enters it stays forever. A client's IP
address is personal data needed only for a while (to look into an attack), so it is stored in
the mutable ``audit_address`` table and the audit entry names the row (``"address_id"``).
Rows older than the retention period (``LEDGER_ADDRESS_RETENTION_DAYS``, 90 days by default)
are deleted each time an address is stored, and by :func:`purge` (for the scheduler).
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert

from ledger.accounts.tables import AuditAddress

ADDRESS = AuditAddress.__table__
DAY = 24 * 60 * 60
DEFAULT_RETENTION_DAYS = 90
MAX_ADDRESS_LEN = 100


def purge(conn: Connection, now: int, retention_days: int) -> int:
    """Delete the addresses seen more than ``retention_days`` before ``now`` (epoch
    seconds); returns how many were deleted."""
    result = conn.execute(delete(ADDRESS).where(ADDRESS.c.at < now - retention_days * DAY))
    return result.rowcount


def remember(conn: Connection, address: str, now: int, retention_days: int) -> int:
    """Store ``address`` as seen at ``now`` and return its row id (for an audit entry);
    first drop the addresses past the retention period."""
    purge(conn, now, retention_days)
    row = {"address": address[:MAX_ADDRESS_LEN], "at": now}
    return conn.execute(insert(ADDRESS).values(**row)).inserted_primary_key[0]
