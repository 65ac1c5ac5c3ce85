"""The ``community.notice`` reminder on both databases: a notice ending tomorrow and one that
is over are reminded; running again for the same day changes nothing; once finalised, the
reminder is done."""

from __future__ import annotations

from ledger.community import jobs, services
from ledger.community.services import Resolution
from ledger.scheduler.process import scheduled_jobs
from ledger.storage.db import read_transaction, write_transaction
from tests.community import ACTOR, RULE, VAULT, fund, lines
from tests.units import VILLAGE


def on_notice(engine, key: str, notice_from: str) -> str:
    d = services.draft(engine, VILLAGE, title=f"分配{key}", amount_fen=10_000, rule="R1",
                       actor=ACTOR, key=f"d{key}")  # fmt: skip
    services.approve(engine, VILLAGE, d.distribution,
                     Resolution("2021-07-01", f"决{key}", 10, 6, b"scan"), actor=ACTOR,
                     key=f"a{key}")  # fmt: skip
    services.publish(engine, VILLAGE, d.distribution, place="公示栏", notice_from=notice_from,
                     actor=ACTOR, key=f"p{key}")  # fmt: skip
    return d.distribution


def remind(engine, today: str) -> dict:
    with write_transaction(engine) as conn:
        return jobs.remind(conn, today, "2021-07-10T00:00:00Z")


def test_reminders_follow_the_notices(engine):
    fund(engine)
    services.save_roster(engine, VAULT, VILLAGE, lines(3), "ab" * 32, actor=ACTOR, key="r")
    services.add_rule(engine, VILLAGE, "R1", "标准规则", RULE, actor=ACTOR, key="rule")
    over = on_notice(engine, "1", "2021-07-01")  # ends 2021-07-08
    ending = on_notice(engine, "2", "2021-07-03")  # ends 2021-07-10
    on_notice(engine, "3", "2021-07-09")  # ends 2021-07-16: not yet
    assert remind(engine, "2021-07-09") == {"over": 1, "ending": 1, "done": 0}
    assert remind(engine, "2021-07-09") == {"over": 1, "ending": 1, "done": 0}
    with read_transaction(engine) as conn:
        shown = {(r.distribution, r.kind, r.due) for r in jobs.reminders(conn, VILLAGE)}
    assert shown == {(over, "over", "2021-07-08"), (ending, "ending", "2021-07-10")}
    services.finalise(engine, VILLAGE, over, on="2021-07-09", actor=ACTOR, key="f")
    assert remind(engine, "2021-07-09") == {"over": 0, "ending": 1, "done": 1}
    with read_transaction(engine) as conn:
        assert [r.distribution for r in jobs.reminders(conn, VILLAGE)] == [ending]


def test_the_scheduler_knows_the_job():
    job = scheduled_jobs()["community.notice"]
    assert job is jobs.NOTICE_JOB and job.plans[0].trigger.expression == "0 8 * * *"
