"""audit addresses: client addresses of audited sign-ins, kept for a limited time

Creates ``audit_address``: the client address of a sign-in, a failed sign-in or a failed
password check, with when it was seen. The audit log's entries name a row by its id and never
hold the address itself, so addresses can be deleted after the retention period
(``LEDGER_ADDRESS_RETENTION_DAYS``) while the hash-chained log stays whole.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_address", schema=None) as batch_op:
        batch_op.create_index("ix_audit_address_at", ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_address", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_address_at")
    op.drop_table("audit_address")
