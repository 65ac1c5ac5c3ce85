"""The ``scheduler_run`` table: one row per run of a scheduled job (mutable: a run's status,
progress and heartbeat change while it goes)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class SchedulerRun(SQLModel, table=True):
    """One run of a scheduled job.

        ``(job, scheduled_at)`` is unique: the scheduler inserts the row before it does the work,
        so of two firings of one scheduled time (two processes, or a double firing) only one gets
        to run it. ``job`` is the job's name, with its plan's key (``reconcile.fetch:verra``).
        ``status`` is ``running``, ``done`` or ``failed``; ``owner`` names the process that runs
        it (``host:pid:nonce``) and ``heartbeat_at`` when it last said it was alive, so a run
        whose process died can be taken over (``attempt`` counts the takes). ``stage``,
        ``progress`` and ``total`` say how far it is; ``counts`` (JSON object) and ``errors``
        (JSON list) how it ended. ``division`` is the bureau whose work it is (a registry source's),
    or ``""`` for the whole ledger's. Times are UTC ISO strings.
    """

    __tablename__ = "scheduler_run"
    __table_args__ = (
        UniqueConstraint("job", "scheduled_at", name="uq_scheduler_run_job_time"),
        Index("ix_scheduler_run_status", "status", "job"),
        Index("ix_scheduler_run_division", "division", "scheduled_at"),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    job: str = Field(max_length=120)
    scheduled_at: str = Field(max_length=40)
    status: str = Field(max_length=16)
    attempt: int = Field(default=1)
    owner: str = Field(max_length=200)
    started_at: str = Field(max_length=40)
    heartbeat_at: str = Field(max_length=40)
    finished_at: str | None = Field(default=None, max_length=40)
    stage: str = Field(default="", max_length=64)
    progress: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    total: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    counts: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    errors: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    division: str = Field(
        default="", sa_column=Column(String(12), nullable=False, server_default="")
    )
