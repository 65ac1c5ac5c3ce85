"""entry parties: one secondary index

Drops ``ix_log_entry_party_party``: a reader's own entries are found through the division index
(a village's or court's party names its division) and the primary key ``(log, seq, party)``
answers the per-entry check, so the second index only cost every append a third b-tree insert.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("log_entry_party", schema=None) as batch_op:
        batch_op.drop_index("ix_log_entry_party_party")


def downgrade() -> None:
    with op.batch_alter_table("log_entry_party", schema=None) as batch_op:
        batch_op.create_index("ix_log_entry_party_party", ["log", "party", "seq"], unique=False)
