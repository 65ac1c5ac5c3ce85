"""reconcile: one unique index of registry rows by serial range and row digest

The unique constraint on ``(registry, row_sha256)`` and the index on ``(registry, block,
serial_start)`` become one unique index on ``(registry, block, serial_start, serial_end,
row_sha256)``. A row's text gives its serial range (a layout reads the same text the same
way), so a row is still stored once per registry; but an import's rows now arrive in the
index in about the order of their serials instead of in the random order of their digests,
and the matching's sweep reads the spans from the index alone.

Revision ID: reconcile_0002
Revises: reconcile_0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

from ledger.storage.triggers import create_append_only, drop_append_only

revision: str = "reconcile_0002"
down_revision: str | None = "reconcile_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = ("registry_retirement",)


def upgrade() -> None:
    # SQLite rebuilds the table to drop the constraint, and its triggers with it.
    drop_append_only(TABLE)
    with op.batch_alter_table("registry_retirement", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_retirement_range")
        batch_op.drop_constraint("uq_registry_retirement_row", type_="unique")
        batch_op.create_index(
            "uq_registry_retirement_range_row",
            ["registry", "block", "serial_start", "serial_end", "row_sha256"],
            unique=True,
        )
    create_append_only(TABLE)


def downgrade() -> None:
    drop_append_only(TABLE)
    with op.batch_alter_table("registry_retirement", schema=None) as batch_op:
        batch_op.drop_index("uq_registry_retirement_range_row")
        batch_op.create_unique_constraint("uq_registry_retirement_row", ["registry", "row_sha256"])
        batch_op.create_index(
            "ix_registry_retirement_range", ["registry", "block", "serial_start"], unique=False
        )
    create_append_only(TABLE)
