"""reconcile: registry sources, registry retirements, imports, findings

The first revision of the reconciliation module's branch.

Revision ID: reconcile_0001
Revises:
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from ledger.storage.triggers import create_append_only, drop_append_only

revision: str = "reconcile_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("reconcile",)
depends_on: str | Sequence[str] | None = "0005"

APPEND_ONLY = ("registry_retirement", "reconcile_import")


def _id() -> sa.Column:
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        autoincrement=True,
        nullable=False,
    )


def _s(name: str, length: int, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "reconcile_source",
        _id(),
        _s("name", 40),
        _s("format", 16),
        sa.Column("mapping", sa.Text(), nullable=False),
        _s("location_kind", 8),
        _s("location", 500),
        _s("cron", 100),
        _s("division", 12),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _s("created_by", 200),
        _s("created_at", 40),
        _s("updated_at", 40),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "registry_retirement",
        _id(),
        _s("registry", 32),
        _s("block", 100),
        sa.Column("serial_start", sa.BigInteger(), nullable=False),
        sa.Column("serial_end", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("project", sa.Text(), nullable=False),
        sa.Column("vintage", sa.Text(), nullable=False),
        _s("retired_on", 10),
        sa.Column("beneficiary", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("serial", sa.Text(), nullable=False),
        sa.Column("row_sha256", sa.LargeBinary(length=32), nullable=False),
        _s("file_sha256", 64),
        sa.Column("line", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("registry", "row_sha256", name="uq_registry_retirement_row"),
    )
    with op.batch_alter_table("registry_retirement", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registry_retirement_range", ["registry", "block", "serial_start"], unique=False
        )
    op.create_table(
        "reconcile_import",
        _id(),
        _s("registry", 32),
        _s("file_sha256", 64),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        _s("source", 40),
        _s("format", 48),
        sa.Column("retirements", sa.BigInteger(), nullable=False),
        sa.Column("issuance_rows_skipped", sa.BigInteger(), nullable=False),
        sa.Column("already_imported", sa.BigInteger(), nullable=False),
        _s("imported_at", 40),
        _s("actor", 200),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("registry", "file_sha256", name="uq_reconcile_import_file"),
    )
    op.create_table(
        "reconcile_finding",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        _s("key", 64),
        _s("class_", 32),
        _s("registry", 32),
        _s("block", 100),
        sa.Column("first_serial", sa.BigInteger(), nullable=False),
        sa.Column("last_serial", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        _s("divisions", 200),
        _s("found_at", 40),
        sa.Column("acknowledged_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("reconcile_finding", schema=None) as batch_op:
        batch_op.create_index("ix_reconcile_finding_class", ["class_", "seq"], unique=False)
    create_append_only(APPEND_ONLY)


def downgrade() -> None:
    drop_append_only(APPEND_ONLY)
    with op.batch_alter_table("reconcile_finding", schema=None) as batch_op:
        batch_op.drop_index("ix_reconcile_finding_class")
    op.drop_table("reconcile_finding")
    op.drop_table("reconcile_import")
    with op.batch_alter_table("registry_retirement", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_retirement_range")
    op.drop_table("registry_retirement")
    op.drop_table("reconcile_source")
