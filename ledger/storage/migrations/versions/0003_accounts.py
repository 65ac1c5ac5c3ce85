"""accounts: organisations, users, API tokens, sign-in throttling

Creates ``organisation`` (villages, courts, forestry bureaus named by the codes their users
know), ``app_user`` (argon2 password hashes, role, organisation, disabled flag and a session
version that ends sessions when bumped), ``api_token`` (SHA-256 of bearer tokens, one
organisation each) and ``signin_failure`` (digests of account and address of recent failed
sign-ins). All are mutable; every change to them is also an entry in the ``audit`` log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("division", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "code", name="uq_organisation_kind_code"),
    )
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.create_index("ix_organisation_division", ["division"], unique=False)

    op.create_table(
        "signin_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("address_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("signin_failure", schema=None) as batch_op:
        batch_op.create_index("ix_signin_failure_account", ["account_key", "at"], unique=False)
        batch_op.create_index("ix_signin_failure_address", ["address_key", "at"], unique=False)
        batch_op.create_index("ix_signin_failure_at", ["at"], unique=False)

    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column(
            "password_changed_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("hint", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )


def downgrade() -> None:
    op.drop_table("api_token")
    op.drop_table("app_user")
    with op.batch_alter_table("signin_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_signin_failure_at")
        batch_op.drop_index("ix_signin_failure_address")
        batch_op.drop_index("ix_signin_failure_account")

    op.drop_table("signin_failure")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_index("ix_organisation_division")

    op.drop_table("organisation")
