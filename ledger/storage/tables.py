"""The ledger's tables.

Log tables (append-only; database triggers reject UPDATE, DELETE and TRUNCATE):
``log_entry``, ``log_posting``, ``log_tree_node``, ``log_checkpoint``, ``log_idempotency``,
``doc_anchor``. Mutable projections, rebuildable from the log: ``log_head``,
``account_balance``. Every log table is keyed by ``log``, the name of the chain (``main`` for
the public ledger, ``audit`` for the internal security chain).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlmodel import Field, SQLModel

LOG_NAME_LEN = 16

#: Tables that may only ever be inserted into.
APPEND_ONLY_TABLES = (
    "log_entry",
    "log_posting",
    "log_tree_node",
    "log_checkpoint",
    "log_idempotency",
    "doc_anchor",
)


class LogEntry(SQLModel, table=True):
    """One entry of a log. ``leaf`` is the exact canonical bytes that were hashed; ``seq``,
    ``kind``, ``time``, ``actor`` and ``prev_hash`` are copies of leaf fields, kept for queries
    and checked against the leaf by ``log verify``."""

    __tablename__ = "log_entry"
    __table_args__ = (Index("ix_log_entry_kind", "log", "kind", "seq"),)

    log: str = Field(primary_key=True, max_length=LOG_NAME_LEN)
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(max_length=100)
    time: str = Field(max_length=40)
    actor: str = Field(max_length=200)
    prev_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    leaf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


class LogPosting(SQLModel, table=True):
    """One posting of an entry, in the entry's order (``idx``). A copy of the leaf's postings,
    read by ``seq`` (balances are the ``account_balance`` projection) and checked against the
    leaf by ``log verify``."""

    __tablename__ = "log_posting"
    __table_args__ = (ForeignKeyConstraint(["log", "seq"], ["log_entry.log", "log_entry.seq"]),)

    log: str = Field(primary_key=True, max_length=LOG_NAME_LEN)
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    account: str = Field(max_length=200)
    commodity: str = Field(max_length=8)
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))


class LogTreeNode(SQLModel, table=True):
    """Hash of the perfect Merkle subtree (``level`` ≥ 1, ``idx``) covering leaves
    ``[idx·2^level, (idx+1)·2^level)``. Leaf hashes (level 0) live in ``log_entry``."""

    __tablename__ = "log_tree_node"

    log: str = Field(primary_key=True, max_length=LOG_NAME_LEN)
    level: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


class LogHead(SQLModel, table=True):
    """The current head of a log: its size, root, last leaf hash and the right-edge subtree
    hashes needed to extend the tree. Writers lock this row. Derived from the log."""

    __tablename__ = "log_head"

    log: str = Field(primary_key=True, max_length=LOG_NAME_LEN)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    root: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    last_leaf_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    frontier: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class LogCheckpoint(SQLModel, table=True):
    """A signed checkpoint (C2SP signed note) of a log at ``size``; ``number`` counts the
    checkpoints of one log from 0. ``note`` is the full signed note text as published."""

    __tablename__ = "log_checkpoint"

    log: str = Field(primary_key=True, max_length=LOG_NAME_LEN)
    number: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    root: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    key_id: str = Field(max_length=8)
    note: str = Field(sa_column=Column(Text, nullable=False))
    created_at: str = Field(max_length=40)


class LogIdempotency(SQLModel, table=True):
    """A client-chosen idempotency key and the entries its first use appended."""

    __tablename__ = "log_idempotency"

    log: str = Field(primary_key=True, max_length=LOG_NAME_LEN)
    key: str = Field(sa_column=Column(String(200), primary_key=True))
    request_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    first_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    count: int = Field(sa_column=Column(BigInteger, nullable=False))


class AccountBalance(SQLModel, table=True):
    """Projection: the running balance of an account in one commodity, after ``last_seq``."""

    __tablename__ = "account_balance"

    log: str = Field(primary_key=True, max_length=LOG_NAME_LEN)
    account: str = Field(primary_key=True, max_length=200)
    commodity: str = Field(primary_key=True, max_length=8)
    balance: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class DocAnchor(SQLModel, table=True):
    """Projection of a ``doc.anchor`` entry: the document digest that existed at ``seq``."""

    __tablename__ = "doc_anchor"
    __table_args__ = (Index("ix_doc_anchor_sha256", "sha256"),)

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    sha256: str = Field(max_length=64)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    title: str = Field(max_length=500)


class LogEntryParty(SQLModel, table=True):
    """Projection: an organisation a scoped entry of the main log concerns, which decides who
    may read the entry's contents. ``party`` is the organisation's account key
    (``Village:350428102201``, ``Court:350428``, ``Bureau:350428``); ``division`` the
    division code in it, which a bureau's division must prefix."""

    __tablename__ = "log_entry_party"
    __table_args__ = (Index("ix_log_entry_party_division", "log", "division", "seq"),)

    log: str = Field(primary_key=True, max_length=LOG_NAME_LEN)
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    party: str = Field(primary_key=True, max_length=40)
    division: str = Field(max_length=12)
