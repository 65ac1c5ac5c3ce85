"""receipts: find an entry by its leaf hash

Creates ``ix_log_entry_leaf_hash`` on ``log_entry (log, leaf_hash)``, so the public
verification page answers a leaf-hash look-up with one index read.

Revision ID: r0001
Revises:
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "r0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("receipts",)
depends_on: str | Sequence[str] | None = "0004"


# Plain CREATE INDEX, not a batch operation: SQLite adds an index in place, and a batch
# operation could rebuild log_entry without its append-only triggers.
def upgrade() -> None:
    op.create_index("ix_log_entry_leaf_hash", "log_entry", ["log", "leaf_hash"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_log_entry_leaf_hash", table_name="log_entry")
