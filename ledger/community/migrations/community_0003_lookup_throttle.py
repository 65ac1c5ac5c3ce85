"""community: the villager look-up throttle's counts, shared by every web worker

Revision ID: community_0003
Revises: community_0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "community_0003"
down_revision: str | None = "community_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "community_lookup_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("community_lookup_attempt", schema=None) as batch_op:
        batch_op.create_index(
            "ix_community_lookup_attempt_address", ["address_key", "at"], unique=False
        )
        batch_op.create_index("ix_community_lookup_attempt_at", ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("community_lookup_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_community_lookup_attempt_at")
        batch_op.drop_index("ix_community_lookup_attempt_address")
    op.drop_table("community_lookup_attempt")
