"""reconcile: a registry row names the import that stored it by number

``registry_retirement.file_sha256`` (the 64-character digest of the file a row was first
imported from, the same in every row of an import) becomes ``import_id``, the number of that
import's ``reconcile_import`` row, which holds the digest once. A million-row import writes
about a sixth fewer bytes.

Revision ID: reconcile_0003
Revises: reconcile_0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from ledger.storage.triggers import create_append_only, drop_append_only

revision: str = "reconcile_0003"
down_revision: str | None = "reconcile_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = ("registry_retirement",)


def upgrade() -> None:
    # SQLite rebuilds the table to change its columns, and drops its triggers with it.
    drop_append_only(TABLE)
    with op.batch_alter_table("registry_retirement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("import_id", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE registry_retirement SET import_id = (SELECT i.id FROM reconcile_import i "
        "WHERE i.registry = registry_retirement.registry "
        "AND i.file_sha256 = registry_retirement.file_sha256)"
    )
    with op.batch_alter_table("registry_retirement", schema=None) as batch_op:
        batch_op.alter_column("import_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_column("file_sha256")
    create_append_only(TABLE)


def downgrade() -> None:
    drop_append_only(TABLE)
    with op.batch_alter_table("registry_retirement", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("file_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    op.execute(
        "UPDATE registry_retirement SET file_sha256 = (SELECT i.file_sha256 "
        "FROM reconcile_import i WHERE i.id = registry_retirement.import_id)"
    )
    with op.batch_alter_table("registry_retirement", schema=None) as batch_op:
        batch_op.alter_column(
            "file_sha256", existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
            nullable=False,
        )  # fmt: skip
        batch_op.drop_column("import_id")
    create_append_only(TABLE)
