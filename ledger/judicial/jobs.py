"""The scheduled job of the judicial module: every morning, flag the cases decided more than N
days ago (``days`` in the plan's params, 30 by default) whose units are not yet retired.

Each flag is a ``judicial.overdue`` entry on the case (its court and the bureaus over it read
it on the case's timeline): the days since the decision, the state it was found in and the
day. A case is flagged once per decision: a run finds the cases already flagged since their
latest decision and leaves them, so running again for the same day (a retry, a second
scheduler) writes nothing new. The whole run is one locked write.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import and_, func, select

from ledger.core.entry import EntryDraft
from ledger.judicial import model, services
from ledger.judicial.projection import STEP_T
from ledger.platform import N_, Cron, Fact, Plan, ScheduledJob, Term
from ledger.services.log import write
from ledger.units.model import beijing_date

ACTOR = "scheduler:judicial.unretired"
DAYS = 30

UNRETIRED = ScheduledJob(
    name="judicial.unretired",
    label=N_("Flag cases decided but not retired in time"),
    run="ledger.judicial.jobs:flag_unretired",
    plans=(Plan("", Cron("0 8 * * *"), {"days": DAYS}),),
    counts={"flagged": N_("cases flagged"), "already": N_("cases flagged before")},
)


def describe_overdue(body, postings) -> list[Fact]:
    """What a ``judicial.overdue`` entry states, in words (``EntryKind.describe``)."""
    return [
        (N_("Court's division code"), body["court"]),
        (N_("Case"), body["case"]),
        (N_("Step"), Term(model.STATE_LABELS[body["state"]])),
        (N_("Decided on"), body["decided_on"]),
        (N_("Days since the decision"), str(body["days"])),
        (N_("Flagged on"), body["flagged_on"]),
    ]


def flag(engine, *, on: str, days: int = DAYS, actor: str = ACTOR) -> dict[str, int]:
    """Flag, as of the Beijing date ``on``, every case decided more than ``days`` days before
    and not retired, unless flagged since its latest decision. Returns the counts."""
    counts = {"flagged": 0, "already": 0}

    def decide(tx):
        late = services.overdue(tx.conn, days=days, on=on)
        drafts = []
        for case, n in late:
            decided = tx.conn.execute(
                select(func.max(STEP_T.c.seq)).where(
                    STEP_T.c.court == case.court,
                    STEP_T.c.case == case.case,
                    STEP_T.c.kind == model.DECISION,
                )
            ).scalar_one()
            flagged = tx.conn.execute(
                select(func.count()).where(
                    and_(
                        STEP_T.c.court == case.court,
                        STEP_T.c.case == case.case,
                        STEP_T.c.kind == model.OVERDUE,
                        STEP_T.c.seq > decided,
                    )
                )
            ).scalar_one()
            if flagged:
                counts["already"] += 1
                continue
            body = {
                "case": case.case,
                "court": case.court,
                "state": case.state,
                "decided_on": case.decided_on,
                "days": n,
                "flagged_on": on,
            }
            drafts.append(EntryDraft(model.OVERDUE, body, actor))
        if drafts:
            tx.append(drafts)
        counts["flagged"] = len(drafts)

    write(engine, decide)
    return counts


def flag_unretired(ctx) -> Mapping[str, int]:
    """The scheduled run: as of the Beijing date of its scheduled time."""
    days = int(ctx.params.get("days", DAYS))
    return flag(ctx.engine, on=beijing_date(ctx.scheduled_at[:19] + "Z"), days=days)
