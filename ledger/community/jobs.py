"""The scheduled reminder (``community.notice``, every day at 08:00 北京时间): villages whose
distributions wait on a public-notice deadline are reminded on their benefit-sharing page —
a notice that ends within a day (``ending``: objections still to answer), a notice that is
over (``over``: the distribution can be finalised once every objection is answered).

Each run rewrites ``community_reminder`` in one transaction from the distributions on notice,
so a retried or doubled run leaves the same rows; reminders of distributions that moved on
are marked done.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Connection, select, update

from ledger.community import model
from ledger.community.tables import CommunityDistribution, CommunityReminder
from ledger.platform import N_, Cron, Plan, ScheduledJob
from ledger.services.clock import utc_now
from ledger.storage.db import write_transaction
from ledger.units.model import beijing_date

DIST_T = CommunityDistribution.__table__
REMINDER_T = CommunityReminder.__table__


def remind(conn: Connection, today: str, now: str) -> dict[str, int]:
    """Bring ``community_reminder`` up to date for ``today`` (Beijing); return the counts."""
    tomorrow = (date.fromisoformat(today) + timedelta(days=1)).isoformat()
    on_notice = conn.execute(
        select(DIST_T.c.distribution, DIST_T.c.village, DIST_T.c.notice_until).where(
            DIST_T.c.state == model.PUBLISHED
        )
    ).all()
    existing = {r.distribution: r for r in conn.execute(select(REMINDER_T)).all()}
    counts = {"over": 0, "ending": 0, "done": 0}
    live = set()
    for distribution, village, until in on_notice:
        if until < today:
            kind = "over"
        elif until <= tomorrow:
            kind = "ending"
        else:
            continue
        counts[kind] += 1
        live.add(distribution)
        old = existing.get(distribution)
        values = {"village": village, "kind": kind, "due": until, "done": False}
        if old is None:
            conn.execute(
                REMINDER_T.insert().values(distribution=distribution, created_at=now, **values)
            )
        elif (old.kind, old.due, bool(old.done)) != (kind, until, False):
            conn.execute(
                update(REMINDER_T).where(REMINDER_T.c.distribution == distribution).values(**values)
            )
    for distribution, row in existing.items():
        if distribution not in live and not row.done:
            conn.execute(
                update(REMINDER_T)
                .where(REMINDER_T.c.distribution == distribution)
                .values(done=True)
            )
            counts["done"] += 1
    return counts


def run(ctx) -> dict[str, int]:
    """One run: the reminders as of the run's scheduled day."""
    today = beijing_date(ctx.scheduled_at[:19] + "Z")
    with write_transaction(ctx.engine) as conn:
        return remind(conn, today, utc_now()[:19] + "Z")


def reminders(conn: Connection, village: str) -> list:
    """The village's open reminders, the soonest first."""
    return conn.execute(
        select(REMINDER_T)
        .where(REMINDER_T.c.village == village, REMINDER_T.c.done.is_(False))
        .order_by(REMINDER_T.c.due)
    ).all()


NOTICE_JOB = ScheduledJob(
    name="community.notice",
    label=N_("Remind villages of public-notice deadlines"),
    run="ledger.community.jobs:run",
    plans=(Plan("", Cron("0 8 * * *")),),
    counts={
        "over": N_("notices over, awaiting finalisation"),
        "ending": N_("notices ending within a day"),
        "done": N_("reminders no longer needed"),
    },
)
