"""postings: no account index

Drops ``ix_log_posting_account``: no query looks postings up by account (balances are the
``account_balance`` projection; ``log verify`` and the proofs read postings by ``seq``), so the
index only cost every posting of every append a second b-tree insert of its account name — on
a one-yuan import, a tenth of the bytes written.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("log_posting", schema=None) as batch_op:
        batch_op.drop_index("ix_log_posting_account")


def downgrade() -> None:
    with op.batch_alter_table("log_posting", schema=None) as batch_op:
        batch_op.create_index(
            "ix_log_posting_account", ["log", "account", "commodity"], unique=False
        )
