"""entry parties

Creates ``log_entry_party``, the projection of which organisations each scoped entry of the
main log concerns (who may read it). ``carbon-ledger projections rebuild`` fills it for entries
appended before this revision; their leaves carry no salt, which ``log verify`` reports.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "log_entry_party",
        sa.Column("log", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("party", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("division", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.PrimaryKeyConstraint("log", "seq", "party"),
    )
    with op.batch_alter_table("log_entry_party", schema=None) as batch_op:
        batch_op.create_index(
            "ix_log_entry_party_division", ["log", "division", "seq"], unique=False
        )
        batch_op.create_index("ix_log_entry_party_party", ["log", "party", "seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("log_entry_party", schema=None) as batch_op:
        batch_op.drop_index("ix_log_entry_party_party")
        batch_op.drop_index("ix_log_entry_party_division")
    op.drop_table("log_entry_party")
