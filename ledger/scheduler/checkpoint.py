"""The scheduled checkpoint: every ``checkpoint_minutes`` (a setting), sign a checkpoint of
the main log if it has grown since the last one (``ledger.services.checkpoints``)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine

from ledger.config import Settings
from ledger.platform import N_, Every, Plan, ScheduledJob
from ledger.scheduler.runs import RunContext
from ledger.services import keys
from ledger.services.checkpoints import latest, sign_checkpoint
from ledger.services.log import read_head
from ledger.storage.db import read_transaction


def plans(engine: Engine, settings: Settings) -> Iterable[Plan]:
    return [Plan("", Every(settings.checkpoint_minutes * 60))]


def run(ctx: RunContext) -> dict[str, int]:
    """Sign a checkpoint when the log has entries the last checkpoint does not cover."""
    with read_transaction(ctx.engine) as conn:
        size = read_head(conn, "main").size
        last = latest(conn, "main")
    if size == 0 or (last is not None and last.checkpoint.size == size):
        return {"size": size, "signed": 0}
    signer = keys.load_signer(ctx.settings.key_path, ctx.settings.log_origin)
    signed = sign_checkpoint(ctx.engine, signer, ctx.settings.log_origin)
    return {"size": signed.checkpoint.size, "signed": 1, "number": signed.number}


JOB = ScheduledJob(
    name="log.checkpoint",
    label=N_("Sign a checkpoint when the log has grown"),
    run="ledger.scheduler.checkpoint:run",
    plans="ledger.scheduler.checkpoint:plans",
    counts={
        "size": N_("entries in the log"),
        "signed": N_("checkpoints signed"),
        "number": N_("checkpoint number"),
    },
)
