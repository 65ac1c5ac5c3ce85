"""log core

Creates the log tables, makes them append-only with triggers (UPDATE and DELETE on both
databases, TRUNCATE on PostgreSQL), and seeds the heads of the ``main`` and ``audit`` logs.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from ledger.storage.triggers import create_append_only, drop_append_only

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


APPEND_ONLY_TABLES = (
    "log_entry",
    "log_posting",
    "log_tree_node",
    "log_checkpoint",
    "log_idempotency",
    "doc_anchor",
)
EMPTY_ROOT = bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


def _create_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION ledger_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'append-only table %: % is not allowed', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$
            """
        )
    create_append_only(APPEND_ONLY_TABLES)


def _drop_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION ledger_reject_change() CASCADE")
        return
    drop_append_only(APPEND_ONLY_TABLES)


def upgrade() -> None:
    op.create_table(
        "account_balance",
        sa.Column("log", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("commodity", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("log", "account", "commodity"),
    )
    op.create_table(
        "doc_anchor",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("doc_anchor", schema=None) as batch_op:
        batch_op.create_index("ix_doc_anchor_sha256", ["sha256"], unique=False)

    op.create_table(
        "log_checkpoint",
        sa.Column("log", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("log", "number"),
    )
    op.create_table(
        "log_entry",
        sa.Column("log", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("time", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("log", "seq"),
    )
    with op.batch_alter_table("log_entry", schema=None) as batch_op:
        batch_op.create_index("ix_log_entry_kind", ["log", "kind", "seq"], unique=False)

    op.create_table(
        "log_head",
        sa.Column("log", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("last_leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("log"),
    )
    op.create_table(
        "log_idempotency",
        sa.Column("log", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("log", "key"),
    )
    op.create_table(
        "log_tree_node",
        sa.Column("log", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("log", "level", "idx"),
    )
    op.create_table(
        "log_posting",
        sa.Column("log", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("commodity", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["log", "seq"],
            ["log_entry.log", "log_entry.seq"],
        ),
        sa.PrimaryKeyConstraint("log", "seq", "idx"),
    )
    with op.batch_alter_table("log_posting", schema=None) as batch_op:
        batch_op.create_index(
            "ix_log_posting_account", ["log", "account", "commodity"], unique=False
        )

    _create_append_only_triggers()
    head = sa.table(
        "log_head",
        sa.column("log", sa.String),
        sa.column("size", sa.BigInteger),
        sa.column("root", sa.LargeBinary),
        sa.column("last_leaf_hash", sa.LargeBinary),
        sa.column("frontier", sa.LargeBinary),
    )
    op.bulk_insert(
        head,
        [
            {
                "log": name,
                "size": 0,
                "root": EMPTY_ROOT,
                "last_leaf_hash": bytes(32),
                "frontier": b"",
            }
            for name in ("main", "audit")
        ],
    )


def downgrade() -> None:
    _drop_append_only_triggers()
    with op.batch_alter_table("log_posting", schema=None) as batch_op:
        batch_op.drop_index("ix_log_posting_account")

    op.drop_table("log_posting")
    op.drop_table("log_tree_node")
    op.drop_table("log_idempotency")
    op.drop_table("log_head")
    with op.batch_alter_table("log_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_log_entry_kind")

    op.drop_table("log_entry")
    op.drop_table("log_checkpoint")
    with op.batch_alter_table("doc_anchor", schema=None) as batch_op:
        batch_op.drop_index("ix_doc_anchor_sha256")

    op.drop_table("doc_anchor")
    op.drop_table("account_balance")
