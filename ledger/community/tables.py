"""The community module's tables: projections of the ``community.*`` entries, written in the
append's transaction, rebuildable from the log (``carbon-ledger projections rebuild``) and
re-derived by ``log verify``. None of them holds personal data: households are named by the
village's household code and the vault's pseudonymous code (``H-…``); names, ID numbers and
bank accounts stay in the vault.

- ``community_roster``: one row per roster version of a village (its digest and size);
- ``community_member``: the households of a roster version with their sharing bases
  (members, forest area, low-income);
- ``community_rule``: the sharing rules a village entered;
- ``community_distribution``: one row per distribution, with where it stands (drafted,
  approved, published, finalised, reversed), the resolution, the notice period and the
  amounts it shared;
- ``community_objection``: objections raised during the notice and their answers;
- ``community_allocation``: one row per household of a finalised distribution: its amount,
  what was paid and where its payment stands;
- ``community_batch`` / ``community_payment``: the bank payment batches and their lines.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, Text
from sqlmodel import Field, SQLModel


class CommunityRoster(SQLModel, table=True):
    """A roster version: the households eligible in ``village`` from entry ``seq`` on."""

    __tablename__ = "community_roster"

    village: str = Field(primary_key=True, max_length=12)
    version: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    digest: str = Field(max_length=64)
    households: int = Field(sa_column=Column(Integer, nullable=False))
    time: str = Field(max_length=20)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class CommunityMember(SQLModel, table=True):
    """A household of a roster version: its sharing bases (members, forest area in mu as
    text, low-income), its vault code and its place in the roster (``position``)."""

    __tablename__ = "community_member"
    __table_args__ = (Index("ix_community_member_vault", "vault"),)

    village: str = Field(primary_key=True, max_length=12)
    version: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    household: str = Field(primary_key=True, max_length=40)
    vault: str = Field(max_length=16)
    position: int = Field(sa_column=Column(Integer, nullable=False))
    members: int = Field(sa_column=Column(Integer, nullable=False))
    area_mu: str = Field(max_length=16)
    low_income: bool


class CommunityRule(SQLModel, table=True):
    """A sharing rule of a village: its name and the rule as canonical JSON text."""

    __tablename__ = "community_rule"

    village: str = Field(primary_key=True, max_length=12)
    rule: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    terms: str = Field(sa_column=Column(Text, nullable=False))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class CommunityDistribution(SQLModel, table=True):
    """A distribution: ``amount_fen`` of a village's collective revenue shared by ``rule``
    over roster ``roster_version``. ``state`` is drafted, approved, published, finalised or
    reversed; the columns of each step are filled as it is recorded (their entries' seqs in
    ``*_seq``). A reversing distribution names the one it reverses in ``reverses``."""

    __tablename__ = "community_distribution"
    __table_args__ = (Index("ix_community_distribution_village", "village", "state"),)

    distribution: str = Field(primary_key=True, max_length=40)
    village: str = Field(max_length=12)
    title: str = Field(max_length=200)
    state: str = Field(max_length=12)
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    rule: str = Field(max_length=40)
    terms: str = Field(sa_column=Column(Text, nullable=False))
    roster_version: int = Field(sa_column=Column(Integer, nullable=False))
    notice_days: int = Field(sa_column=Column(Integer, nullable=False))
    resolution: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    notice_from: str | None = Field(default=None, max_length=10)
    notice_until: str | None = Field(default=None, max_length=10)
    notice_place: str | None = Field(default=None, max_length=200)
    retained_fen: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    low_income_fen: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    households: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    reverses: str | None = Field(default=None, max_length=40)
    reversed_by: str | None = Field(default=None, max_length=40)
    drafted_at: str = Field(max_length=20)
    draft_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    approve_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    publish_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    final_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class CommunityObjection(SQLModel, table=True):
    """An objection raised during a distribution's public notice, and its answer."""

    __tablename__ = "community_objection"

    distribution: str = Field(primary_key=True, max_length=40)
    number: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    household: str | None = Field(default=None, max_length=40)
    summary: str = Field(sa_column=Column(Text, nullable=False))
    raised_on: str = Field(max_length=10)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    answer: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    answer_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class CommunityAllocation(SQLModel, table=True):
    """A household's allocation in a finalised distribution (entry ``seq``): ``amount_fen``,
    ``paid_fen`` of it paid, and where its payment stands (``status``: unpaid, in_batch,
    paid, failed; ``reason`` the bank's reason for the last failure; ``batch`` the last
    batch it was sent in)."""

    __tablename__ = "community_allocation"
    __table_args__ = (
        Index("ix_community_allocation_vault", "vault"),
        Index("ix_community_allocation_village", "village", "status"),
    )

    distribution: str = Field(primary_key=True, max_length=40)
    household: str = Field(primary_key=True, max_length=40)
    village: str = Field(max_length=12)
    vault: str = Field(max_length=16)
    position: int = Field(sa_column=Column(Integer, nullable=False))
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    paid_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(max_length=10)
    reason: str | None = Field(default=None, max_length=200)
    batch: str | None = Field(default=None, max_length=40)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class CommunityBatch(SQLModel, table=True):
    """A bank payment batch (代发) of a distribution: ``lines`` payments of ``amount_fen`` in
    all; ``state`` open until the bank's results are imported, then done."""

    __tablename__ = "community_batch"
    __table_args__ = (Index("ix_community_batch_distribution", "distribution"),)

    batch: str = Field(primary_key=True, max_length=40)
    distribution: str = Field(max_length=40)
    village: str = Field(max_length=12)
    lines: int = Field(sa_column=Column(Integer, nullable=False))
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    state: str = Field(max_length=8)
    created_at: str = Field(max_length=20)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    results_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class CommunityPayment(SQLModel, table=True):
    """Line ``line`` (序号) of a batch: a household's payment and the bank's result."""

    __tablename__ = "community_payment"

    batch: str = Field(primary_key=True, max_length=40)
    line: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    household: str = Field(max_length=40)
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(max_length=8)
    reason: str | None = Field(default=None, max_length=200)
    result_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class CommunityReminder(SQLModel, table=True):
    """A reminder the scheduler left for a village (``community.notice`` job): a distribution
    whose public notice ends soon (``ending``) or has ended and awaits finalising (``over``),
    as of ``due`` (the notice's last day). Not a fact of the log: mutable, rewritten by each
    run; ``done`` once the distribution moved on."""

    __tablename__ = "community_reminder"
    __table_args__ = (Index("ix_community_reminder_village", "village", "done"),)

    distribution: str = Field(primary_key=True, max_length=40)
    village: str = Field(max_length=12)
    kind: str = Field(max_length=8)
    due: str = Field(max_length=10)
    created_at: str = Field(max_length=20)
    done: bool = False


class CommunityLookupAttempt(SQLModel, table=True):
    """One counted look-up by a villager (``/sharing/lookup``): a digest of the client's
    address and when (epoch seconds). Not a fact of the log: a throttle's count, shared by
    every web worker, dropped once older than the window (:mod:`ledger.community.throttle`)."""

    __tablename__ = "community_lookup_attempt"
    __table_args__ = (
        Index("ix_community_lookup_attempt_address", "address_key", "at"),
        Index("ix_community_lookup_attempt_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    address_key: str = Field(max_length=64)
    at: int = Field(sa_column=Column(BigInteger, nullable=False))
