"""personal-data vault

Creates the vault: ``vault_record`` (one row per household or defendant, named by a random
pseudonymous code, kept after erasure) and ``vault_field`` (one row per personal-data field:
AES-GCM nonce and ciphertext plus the HMAC-SHA256 look-up hash of the normalised value).
Both tables are mutable: erasure deletes a record's ``vault_field`` rows and stamps
``vault_record.erased_at``. No key material is stored here.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vault_record",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("owner_org", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("erased_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("vault_record", schema=None) as batch_op:
        batch_op.create_index("ix_vault_record_owner", ["owner_org", "kind"], unique=False)

    op.create_table(
        "vault_field",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("nonce", sa.LargeBinary(length=12), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("lookup", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(["code"], ["vault_record.code"]),
        sa.PrimaryKeyConstraint("code", "field"),
    )
    with op.batch_alter_table("vault_field", schema=None) as batch_op:
        batch_op.create_index("ix_vault_field_lookup", ["field", "lookup"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("vault_field", schema=None) as batch_op:
        batch_op.drop_index("ix_vault_field_lookup")

    op.drop_table("vault_field")
    with op.batch_alter_table("vault_record", schema=None) as batch_op:
        batch_op.drop_index("ix_vault_record_owner")

    op.drop_table("vault_record")
