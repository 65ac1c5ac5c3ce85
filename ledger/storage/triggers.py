"""Append-only triggers for a module's log tables, for use in its Alembic migrations.

UPDATE and DELETE are refused on both databases, TRUNCATE too on PostgreSQL, through the
``ledger_reject_change()`` function the log's base migration creates. The PostgreSQL roles script
(``deploy/postgres-roles.sql``) recognises such tables by that trigger and takes UPDATE, DELETE
and TRUNCATE back from the application role.
"""

from __future__ import annotations

from collections.abc import Iterable

from alembic import op


def create_append_only(tables: Iterable[str]) -> None:
    """Make each of ``tables`` append-only (call in ``upgrade``)."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in tables:
        if postgres:
            op.execute(
                f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change()"
            )
            continue
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: {action} is not allowed'); "
                "END"
            )


def drop_append_only(tables: Iterable[str]) -> None:
    """Undo :func:`create_append_only` (call in ``downgrade`` before dropping the tables)."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in tables:
        names = ("no_change", "no_truncate") if postgres else ("no_update", "no_delete")
        for name in names:
            op.execute(
                f"DROP TRIGGER IF EXISTS {table}_{name}" + (f" ON {table}" if postgres else "")
            )
