"""units: projects, lots, holdings, the sales register, holder names

The first revision of the units module's branch. Every table is a projection of the
``units.*`` entries, rebuildable from the log.

Revision ID: units_0001
Revises:
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "units_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("units",)
depends_on: str | Sequence[str] | None = "0004"


def upgrade() -> None:
    op.create_table(
        "units_holder",
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account"),
    )
    op.create_table(
        "units_holding",
        sa.Column("lot", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("first", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("village", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("pledgee", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("lot", "first"),
    )
    with op.batch_alter_table("units_holding", schema=None) as batch_op:
        batch_op.create_index("ix_units_holding_holder", ["holder", "state"], unique=False)
        batch_op.create_index("ix_units_holding_village", ["village", "state"], unique=False)

    op.create_table(
        "units_lot",
        sa.Column("lot", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("project", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("programme", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("vintage", sa.Integer(), nullable=False),
        sa.Column("period_start", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("period_end", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("unit_kg", sa.BigInteger(), nullable=False),
        sa.Column("serial_prefix", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("serial_digits", sa.Integer(), nullable=False),
        sa.Column("first", sa.BigInteger(), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("division", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("issued_on", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("issuer", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("document_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("lot"),
    )
    with op.batch_alter_table("units_lot", schema=None) as batch_op:
        batch_op.create_index("ix_units_lot_division", ["division"], unique=False)
        batch_op.create_index("ix_units_lot_prefix", ["serial_prefix"], unique=False)
        batch_op.create_index("ix_units_lot_project", ["project"], unique=False)

    op.create_table(
        "units_project",
        sa.Column("project", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("programme", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("owner_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("division", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("area_mu", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("methodology", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("crediting_start", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("crediting_end", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project"),
    )
    with op.batch_alter_table("units_project", schema=None) as batch_op:
        batch_op.create_index("ix_units_project_division", ["division"], unique=False)

    op.create_table(
        "units_sale",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("date", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("project", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("programme", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("division", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("serials", sa.Text(), nullable=False),
        sa.Column("vintages", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("kg", sa.BigInteger(), nullable=False),
        sa.Column("seller", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("seller_village", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("buyer_type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("buyer_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("buyer_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("buyer_uscc", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True),
        sa.Column("use", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("price_fen_per_t", sa.BigInteger(), nullable=True),
        sa.Column("total_fen", sa.BigInteger(), nullable=True),
        sa.Column("order_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("certificate_no", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("paid_at", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("trade_ref", sa.Text(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("units_sale", schema=None) as batch_op:
        batch_op.create_index("ix_units_sale_order", ["order_id"], unique=True)
        batch_op.create_index("ix_units_sale_village", ["seller_village", "date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("units_sale", schema=None) as batch_op:
        batch_op.drop_index("ix_units_sale_village")
        batch_op.drop_index("ix_units_sale_order")

    op.drop_table("units_sale")
    with op.batch_alter_table("units_project", schema=None) as batch_op:
        batch_op.drop_index("ix_units_project_division")

    op.drop_table("units_project")
    with op.batch_alter_table("units_lot", schema=None) as batch_op:
        batch_op.drop_index("ix_units_lot_project")
        batch_op.drop_index("ix_units_lot_prefix")
        batch_op.drop_index("ix_units_lot_division")

    op.drop_table("units_lot")
    with op.batch_alter_table("units_holding", schema=None) as batch_op:
        batch_op.drop_index("ix_units_holding_village")
        batch_op.drop_index("ix_units_holding_holder")

    op.drop_table("units_holding")
    op.drop_table("units_holder")
