"""scheduler: the division a run's work belongs to

``scheduler_run.division``: the division code of the bureau whose work a run is (a registry
source's bureau), or ``""`` for work of the whole ledger (signing a checkpoint); the runs page
shows a bureau the runs of its division and the ledger's own.

Revision ID: scheduler_0002
Revises: scheduler_0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "scheduler_0002"
down_revision: str | None = "scheduler_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scheduler_run") as batch:
        batch.add_column(
            sa.Column("division", sa.String(length=12), nullable=False, server_default="")
        )
        batch.create_index("ix_scheduler_run_division", ["division", "scheduled_at"])


def downgrade() -> None:
    with op.batch_alter_table("scheduler_run") as batch:
        batch.drop_index("ix_scheduler_run_division")
        batch.drop_column("division")
