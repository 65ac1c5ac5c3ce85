"""The reconciliation module's tables.

- ``reconcile_source`` (configuration, mutable): where a registry's records come from, in
  which format, and when they are fetched.
- ``registry_retirement`` (append-only): every retirement row imported from a registry,
  normalised; unique by (registry, serial range, row digest), so importing a row twice stores
  it once (the row's text gives its range); ``import_id`` names the import that stored it.
- ``reconcile_import`` (append-only): each imported file, by its SHA-256, with the entry that
  anchors it in the log and what it held.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

APPEND_ONLY = ("registry_retirement", "reconcile_import")


def _id_column() -> Column:
    return Column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )


class ReconcileSource(SQLModel, table=True):
    """A registry source, configured by a bureau or an administrator.

    ``name`` names it in commands and runs; ``format`` is ``verra``, ``gs``, ``car``, ``acr``
    or ``mapping`` (then ``mapping`` holds the column mapping as JSON); ``location_kind`` is
    ``folder`` (the newest file of a watched folder) or ``http`` (an HTTP(S) address);
    ``cron`` the five-field schedule in Beijing time; ``division`` the division code of the
    bureau it belongs to (its findings are that bureau's); ``enabled`` whether it is fetched.
    """

    __tablename__ = "reconcile_source"

    id: int | None = Field(default=None, sa_column=_id_column())
    name: str = Field(max_length=40, unique=True)
    format: str = Field(max_length=16)
    mapping: str = Field(default="", sa_column=Column(Text, nullable=False))
    location_kind: str = Field(max_length=8)
    location: str = Field(max_length=500)
    cron: str = Field(max_length=100)
    division: str = Field(max_length=12)
    enabled: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    created_by: str = Field(max_length=200)
    created_at: str = Field(max_length=40)
    updated_at: str = Field(max_length=40)


class RegistryRetirementRow(SQLModel, table=True):
    """One retirement a registry published (see :class:`ledger.reconcile.model.RegistryRetirement`),
    with the import that first stored it (``import_id``, the ``reconcile_import`` row written in
    the same transaction, which holds the file's digest) and its line in that file."""

    __tablename__ = "registry_retirement"
    __table_args__ = (
        Index(
            "uq_registry_retirement_range_row",
            *("registry", "block", "serial_start", "serial_end", "row_sha256"),
            unique=True,
        ),
    )

    id: int | None = Field(default=None, sa_column=_id_column())
    registry_name: str = Field(sa_column=Column("registry", String(32), nullable=False))
    block: str = Field(max_length=100)
    serial_start: int = Field(sa_column=Column(BigInteger, nullable=False))
    serial_end: int = Field(sa_column=Column(BigInteger, nullable=False))
    quantity: int = Field(sa_column=Column(BigInteger, nullable=False))
    project: str = Field(sa_column=Column(Text, nullable=False))
    vintage: str = Field(sa_column=Column(Text, nullable=False))
    retired_on: str = Field(max_length=10)
    beneficiary: str = Field(sa_column=Column(Text, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    details: str = Field(sa_column=Column(Text, nullable=False))
    serial: str = Field(sa_column=Column(Text, nullable=False))
    row_sha256: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    line: int = Field(sa_column=Column(BigInteger, nullable=False))
    import_id: int = Field(sa_column=Column(BigInteger, nullable=False))


class ReconcileImport(SQLModel, table=True):
    """One imported file: its ``registry``, ``file_sha256`` and ``size``, the ``seq`` of the
    ``reconcile.import`` entry that anchors it, the source (or ``""`` for a command-line
    import), the format, and its counts."""

    __tablename__ = "reconcile_import"
    __table_args__ = (UniqueConstraint("registry", "file_sha256", name="uq_reconcile_import_file"),)

    id: int | None = Field(default=None, sa_column=_id_column())
    registry_name: str = Field(sa_column=Column("registry", String(32), nullable=False))
    file_sha256: str = Field(max_length=64)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    source: str = Field(max_length=40)
    format: str = Field(max_length=48)
    retirements: int = Field(sa_column=Column(BigInteger, nullable=False))
    issuance_rows_skipped: int = Field(sa_column=Column(BigInteger, nullable=False))
    already_imported: int = Field(sa_column=Column(BigInteger, nullable=False))
    imported_at: str = Field(max_length=40)
    actor: str = Field(max_length=200)


class ReconcileFinding(SQLModel, table=True):
    """A projection of ``reconcile.finding`` entries (and their acknowledgements): one row per
    finding, by the entry's ``seq``. ``key`` identifies what was found (class, registry,
    serials, rows and entries concerned), so a later run that finds the same thing records
    nothing. ``division`` is the first bureau it concerns; ``acknowledged_seq`` the
    ``reconcile.acknowledge`` entry that acknowledged it (the first one)."""

    __tablename__ = "reconcile_finding"
    __table_args__ = (Index("ix_reconcile_finding_class", "class_", "seq"),)

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    key: str = Field(max_length=64, unique=True)
    class_: str = Field(max_length=32)
    registry_name: str = Field(sa_column=Column("registry", String(32), nullable=False))
    block: str = Field(max_length=100)
    first_serial: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_serial: int = Field(sa_column=Column(BigInteger, nullable=False))
    quantity: int = Field(sa_column=Column(BigInteger, nullable=False))
    divisions: str = Field(max_length=200)
    found_at: str = Field(max_length=40)
    acknowledged_seq: int | None = Field(default=None, sa_column=Column(BigInteger))
