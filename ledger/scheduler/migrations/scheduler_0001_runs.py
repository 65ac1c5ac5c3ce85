"""scheduler: the runs of scheduled jobs

The first revision of the scheduler module's branch: ``scheduler_run``, one row per run of a
scheduled job, unique by (job, scheduled time).

Revision ID: scheduler_0001
Revises:
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "scheduler_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("scheduler",)
depends_on: str | Sequence[str] | None = "0005"


def upgrade() -> None:
    op.create_table(
        "scheduler_run",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("job", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("scheduled_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("heartbeat_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("progress", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("errors", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job", "scheduled_at", name="uq_scheduler_run_job_time"),
    )
    with op.batch_alter_table("scheduler_run", schema=None) as batch_op:
        batch_op.create_index("ix_scheduler_run_status", ["status", "job"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scheduler_run", schema=None) as batch_op:
        batch_op.drop_index("ix_scheduler_run_status")
    op.drop_table("scheduler_run")
