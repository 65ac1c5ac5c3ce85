"""The vault's tables (mutable, unlike the log; created by migration ``0002``).

``vault_record``: one row per household or defendant, named by its pseudonymous ``code``. It
holds no personal data and is kept after erasure (with ``erased_at`` set), so the codes that
log entries carry stay resolvable to "erased".

``vault_field``: one row per personal-data field of a live record: the AES-GCM ``nonce`` and
``ciphertext`` (associated data: code, owning organisation and field), the ``key_id`` of the
key that sealed it, and ``lookup``, the HMAC-SHA256 of the normalised value. Erasure deletes
these rows.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKeyConstraint, Index, LargeBinary
from sqlmodel import Field, SQLModel

CODE_LEN = 16


class VaultRecordRow(SQLModel, table=True):
    """A vault record's public part: code, kind, owning organisation and timestamps."""

    __tablename__ = "vault_record"
    __table_args__ = (Index("ix_vault_record_owner", "owner_org", "kind"),)

    code: str = Field(primary_key=True, max_length=CODE_LEN)
    kind: str = Field(max_length=16)
    owner_org: str = Field(max_length=64)
    created_at: str = Field(max_length=40)
    updated_at: str = Field(max_length=40)
    erased_at: str | None = Field(default=None, max_length=40)


class VaultFieldRow(SQLModel, table=True):
    """One encrypted personal-data field of a record, with its keyed look-up hash."""

    __tablename__ = "vault_field"
    __table_args__ = (
        ForeignKeyConstraint(["code"], ["vault_record.code"]),
        Index("ix_vault_field_lookup", "field", "lookup"),
    )

    code: str = Field(primary_key=True, max_length=CODE_LEN)
    field: str = Field(primary_key=True, max_length=16)
    key_id: str = Field(max_length=16)
    nonce: bytes = Field(sa_column=Column(LargeBinary(12), nullable=False))
    ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    lookup: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
