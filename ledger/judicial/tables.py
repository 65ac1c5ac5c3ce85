"""The judicial module's tables: projections of the ``judicial.*`` entries, rebuildable from
the log and re-derived by ``log verify``.

- ``judicial_case``: one row per case: its number, court, offence, state and the figures of
  its latest assessment, decision and purchase;
- ``judicial_step``: one row per entry of a case (its timeline), by seq;
- ``judicial_method``: one row per recorded assessment method (name and version);
- ``judicial_unit``: one row per range of serials a purchase took for a case: which lot,
  which seller (and its village), how many kg and how many fen, and whether retired.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer
from sqlmodel import Field, SQLModel


class JudicialCase(SQLModel, table=True):
    """A court case: ``court`` is the court's key (``350627`` for 闽0627), ``case`` the case
    key (``2022-XC-123``); ``state`` is filed, assessed, decided, purchased, retired or
    certified; the figures are integers (kg, fen) and empty until their step."""

    __tablename__ = "judicial_case"
    __table_args__ = (
        Index("ix_judicial_case_division", "division"),
        Index("ix_judicial_case_number", "case_number", unique=True),
    )

    court: str = Field(primary_key=True, max_length=6)
    case: str = Field(primary_key=True, max_length=40)
    case_number: str = Field(max_length=40)
    court_code: str = Field(max_length=8)
    court_name: str = Field(max_length=200)
    division: str = Field(max_length=12)
    offence: str = Field(max_length=12)
    state: str = Field(max_length=10)
    year: int = Field(sa_column=Column(Integer, nullable=False))
    filed_on: str = Field(max_length=10)
    loss_kg: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    quantity_kg: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    amount_fen: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    decided_on: str | None = Field(default=None, max_length=10)
    purchased_on: str | None = Field(default=None, max_length=10)
    retired_on: str | None = Field(default=None, max_length=10)
    certified_on: str | None = Field(default=None, max_length=10)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class JudicialStep(SQLModel, table=True):
    """An entry of a case (its timeline): the entry's seq and kind."""

    __tablename__ = "judicial_step"
    __table_args__ = (Index("ix_judicial_step_case", "court", "case", "seq"),)

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    court: str = Field(max_length=6)
    case: str = Field(max_length=40)
    kind: str = Field(max_length=40)


class JudicialMethod(SQLModel, table=True):
    """A recorded assessment method: its name, version and the entry holding it."""

    __tablename__ = "judicial_method"

    name: str = Field(primary_key=True, max_length=80)
    version: str = Field(primary_key=True, max_length=40)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class JudicialUnit(SQLModel, table=True):
    """Serials ``first..last`` of ``lot`` a purchase (entry ``seq``, line ``line``) took from
    ``seller`` for a case, for ``total_fen``; ``retired_seq`` the entry that retired them."""

    __tablename__ = "judicial_unit"
    __table_args__ = (
        Index("ix_judicial_unit_case", "court", "case"),
        Index("ix_judicial_unit_village", "seller_village"),
    )

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    line: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    court: str = Field(max_length=6)
    case: str = Field(max_length=40)
    project: str = Field(max_length=32)
    programme: str = Field(max_length=20)
    lot: str = Field(max_length=40)
    first: int = Field(sa_column=Column(BigInteger, nullable=False))
    last: int = Field(sa_column=Column(BigInteger, nullable=False))
    kg: int = Field(sa_column=Column(BigInteger, nullable=False))
    seller: str = Field(max_length=120)
    seller_village: str | None = Field(default=None, max_length=12)
    price_fen_per_t: int = Field(sa_column=Column(BigInteger, nullable=False))
    total_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    date: str = Field(max_length=10)
    retired_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
