"""judicial: cases, their steps, assessment methods, the units purchases took

The first revision of the judicial module's branch. Every table is a projection of the
``judicial.*`` entries, rebuildable from the log.

Revision ID: judicial_0001
Revises:
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "judicial_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("judicial",)
depends_on: str | Sequence[str] | None = "0004"


def _s(name: str, length: int, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def _big(name: str, nullable: bool = False, **kw) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=nullable, **kw)


def upgrade() -> None:
    op.create_table(
        "judicial_case",
        _s("court", 6),
        _s("case", 40),
        _s("case_number", 40),
        _s("court_code", 8),
        _s("court_name", 200),
        _s("division", 12),
        _s("offence", 12),
        _s("state", 10),
        sa.Column("year", sa.Integer(), nullable=False),
        _s("filed_on", 10),
        _big("loss_kg", True),
        _big("quantity_kg", True),
        _big("amount_fen", True),
        _s("decided_on", 10, True),
        _s("purchased_on", 10, True),
        _s("retired_on", 10, True),
        _s("certified_on", 10, True),
        _big("seq"),
        _big("last_seq"),
        sa.PrimaryKeyConstraint("court", "case"),
    )
    with op.batch_alter_table("judicial_case", schema=None) as batch_op:
        batch_op.create_index("ix_judicial_case_division", ["division"], unique=False)
        batch_op.create_index("ix_judicial_case_number", ["case_number"], unique=True)

    op.create_table(
        "judicial_step",
        _big("seq", autoincrement=False),
        _s("court", 6),
        _s("case", 40),
        _s("kind", 40),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("judicial_step", schema=None) as batch_op:
        batch_op.create_index("ix_judicial_step_case", ["court", "case", "seq"], unique=False)

    op.create_table(
        "judicial_method",
        _s("name", 80),
        _s("version", 40),
        _big("seq"),
        sa.PrimaryKeyConstraint("name", "version"),
    )

    op.create_table(
        "judicial_unit",
        _big("seq", autoincrement=False),
        sa.Column("line", sa.Integer(), autoincrement=False, nullable=False),
        _s("court", 6),
        _s("case", 40),
        _s("project", 32),
        _s("programme", 20),
        _s("lot", 40),
        _big("first"),
        _big("last"),
        _big("kg"),
        _s("seller", 120),
        _s("seller_village", 12, True),
        _big("price_fen_per_t"),
        _big("total_fen"),
        _s("date", 10),
        _big("retired_seq", True),
        sa.PrimaryKeyConstraint("seq", "line"),
    )
    with op.batch_alter_table("judicial_unit", schema=None) as batch_op:
        batch_op.create_index("ix_judicial_unit_case", ["court", "case"], unique=False)
        batch_op.create_index("ix_judicial_unit_village", ["seller_village"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("judicial_unit", schema=None) as batch_op:
        batch_op.drop_index("ix_judicial_unit_village")
        batch_op.drop_index("ix_judicial_unit_case")
    op.drop_table("judicial_unit")
    op.drop_table("judicial_method")
    with op.batch_alter_table("judicial_step", schema=None) as batch_op:
        batch_op.drop_index("ix_judicial_step_case")
    op.drop_table("judicial_step")
    with op.batch_alter_table("judicial_case", schema=None) as batch_op:
        batch_op.drop_index("ix_judicial_case_number")
        batch_op.drop_index("ix_judicial_case_division")
    op.drop_table("judicial_case")
