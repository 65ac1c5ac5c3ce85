"""The units module's tables: projections of the ``units.*`` entries, rebuildable from the log
(``carbon-ledger projections rebuild units``) and re-derived by ``log verify``.

- ``units_project``: one row per registered project;
- ``units_lot``: one row per issued lot (its serial range, prefix and digits as text);
- ``units_holding``: the pieces: serials ``first..last`` of a lot with their holder, state
  (held, pledged, retired), pledgee and the entry that put them there; together they cover
  every issued serial exactly once (interval rows, never one row per serial);
- ``units_sale``: one row per sale, one-yuan purchase or retirement: the sales register the
  village pages sum and, where ``public``, the public register of retirements and sales to
  organisations;
- ``units_holder``: the names of holders that are not organisations of the ledger (companies,
  forest farms), as the entries give them, for pages.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, Text
from sqlmodel import Field, SQLModel


class UnitsProject(SQLModel, table=True):
    """A registered project."""

    __tablename__ = "units_project"
    __table_args__ = (Index("ix_units_project_division", "division"),)

    project: str = Field(primary_key=True, max_length=32)
    programme: str = Field(max_length=20)
    name: str = Field(max_length=200)
    owner: str = Field(max_length=120)
    owner_name: str = Field(max_length=200)
    division: str = Field(max_length=12)
    area_mu: str = Field(max_length=16)
    methodology: str = Field(max_length=200)
    crediting_start: str = Field(max_length=10)
    crediting_end: str = Field(max_length=10)
    details: str = Field(sa_column=Column(Text, nullable=False))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class UnitsLot(SQLModel, table=True):
    """An issued lot: serials ``first..last`` of ``unit_kg`` each."""

    __tablename__ = "units_lot"
    __table_args__ = (
        Index("ix_units_lot_project", "project"),
        Index("ix_units_lot_prefix", "serial_prefix"),
        Index("ix_units_lot_division", "division"),
    )

    lot: str = Field(primary_key=True, max_length=40)
    project: str = Field(max_length=32)
    programme: str = Field(max_length=20)
    vintage: int = Field(sa_column=Column(Integer, nullable=False))
    period_start: str = Field(max_length=10)
    period_end: str = Field(max_length=10)
    unit_kg: int = Field(sa_column=Column(BigInteger, nullable=False))
    serial_prefix: str = Field(max_length=40)
    serial_digits: int = Field(sa_column=Column(Integer, nullable=False))
    first: int = Field(sa_column=Column(BigInteger, nullable=False))
    last: int = Field(sa_column=Column(BigInteger, nullable=False))
    owner: str = Field(max_length=120)
    division: str = Field(max_length=12)
    issued_on: str = Field(max_length=10)
    issuer: str = Field(max_length=6)
    document_sha256: str = Field(max_length=64)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class UnitsHolding(SQLModel, table=True):
    """One piece: serials ``first..last`` of ``lot`` held by ``holder`` in ``state``."""

    __tablename__ = "units_holding"
    __table_args__ = (
        Index("ix_units_holding_holder", "holder", "state"),
        Index("ix_units_holding_village", "village", "state"),
    )

    lot: str = Field(primary_key=True, max_length=40)
    first: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    last: int = Field(sa_column=Column(BigInteger, nullable=False))
    holder: str = Field(max_length=120)
    village: str | None = Field(default=None, max_length=12)
    state: str = Field(max_length=8)
    pledgee: str | None = Field(default=None, max_length=18)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class UnitsSale(SQLModel, table=True):
    """A sale, one-yuan purchase or retirement (``kind``), as the registers show it."""

    __tablename__ = "units_sale"
    __table_args__ = (
        Index("ix_units_sale_village", "seller_village", "date"),
        Index("ix_units_sale_order", "order_id", unique=True),
    )

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(max_length=8)
    date: str = Field(max_length=10)
    project: str = Field(max_length=32)
    programme: str = Field(max_length=20)
    division: str = Field(max_length=12)
    serials: str = Field(sa_column=Column(Text, nullable=False))
    vintages: str = Field(max_length=100)
    kg: int = Field(sa_column=Column(BigInteger, nullable=False))
    seller: str = Field(max_length=120)
    seller_village: str | None = Field(default=None, max_length=12)
    buyer_type: str = Field(max_length=16)
    buyer_name: str | None = Field(default=None, max_length=200)
    buyer_code: str | None = Field(default=None, max_length=16)
    buyer_uscc: str | None = Field(default=None, max_length=18)
    use: str = Field(max_length=20)
    retired: bool
    price_fen_per_t: int | None = Field(default=None, sa_column=Column(BigInteger))
    total_fen: int | None = Field(default=None, sa_column=Column(BigInteger))
    order_id: str | None = Field(default=None, max_length=64)
    certificate_no: str | None = Field(default=None, max_length=64)
    paid_at: str | None = Field(default=None, max_length=20)
    trade_ref: str | None = Field(default=None, sa_column=Column(Text))
    public: bool


class UnitsHolder(SQLModel, table=True):
    """The name an entry gave a holder account (the latest entry's wins)."""

    __tablename__ = "units_holder"

    account: str = Field(primary_key=True, max_length=120)
    name: str = Field(max_length=200)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
