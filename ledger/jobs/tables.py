"""The ``job`` table: one row per background job (mutable: status and progress change)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, Text
from sqlmodel import Field, SQLModel


class JobRow(SQLModel, table=True):
    """A background job.

    ``kind`` names a :class:`~ledger.jobs.runner.JobKind`; ``params`` (JSON) and ``input``
    (bytes, e.g. an uploaded file) are what it runs on. ``status`` goes ``queued`` →
    ``running`` → ``done`` or ``failed``; ``stage``, ``progress`` and ``total`` say how far it
    is; ``counts`` (JSON), ``result`` (JSON) and ``errors`` (JSON list) say how it ended.
    ``owner`` is who may see it (an organisation code), ``actor`` who started it.

    While it runs, ``runner`` names the run that claimed it (``host:pid:start:token``, see
    :mod:`ledger.jobs.runner`) and ``heartbeat_at`` is when that run last said it is alive;
    ``attempts`` counts the claims (a run abandoned by a dead process is claimed again).
    """

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_status", "status", "id"),)

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    kind: str = Field(max_length=64)
    status: str = Field(max_length=16)
    stage: str = Field(default="", max_length=32)
    progress: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    total: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    params: str = Field(sa_column=Column(Text, nullable=False))
    input: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    counts: str = Field(sa_column=Column(Text, nullable=False))
    result: str = Field(sa_column=Column(Text, nullable=False))
    errors: str = Field(sa_column=Column(Text, nullable=False))
    owner: str = Field(max_length=64)
    actor: str = Field(max_length=200)
    created_at: str = Field(max_length=40)
    started_at: str | None = Field(default=None, max_length=40)
    finished_at: str | None = Field(default=None, max_length=40)
    runner: str | None = Field(default=None, max_length=200)
    heartbeat_at: str | None = Field(default=None, max_length=40)
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
