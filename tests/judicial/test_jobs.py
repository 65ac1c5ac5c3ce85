"""The scheduled job that flags cases decided but not retired after N days, on both
databases: a flag entry on each late case, once per decision (a second run for the same day
writes nothing), none for a case retired or decided recently."""

from __future__ import annotations

from types import SimpleNamespace

from ledger.judicial import jobs, services
from ledger.services.verify import verify_log
from ledger.storage.db import read_transaction
from tests.judicial import ACTOR, COURT, COURT2, SELLER, Take, buy, to_decision, world


def test_late_cases_are_flagged_once(engine):
    world(engine)
    late = to_decision(engine)  # decided 2023-06-01
    done = to_decision(engine, "(2023)闽0403刑初7号", COURT2)
    buy(engine, [Take("CT-TEST", SELLER, kg=12_000)], done.case, COURT2)
    services.retire_case(engine, court=COURT2, case=done.case, retirement_ref="R-1", actor=ACTOR)

    assert jobs.flag(engine, on="2023-06-20") == {"flagged": 0, "already": 0}  # 19 days
    ctx = SimpleNamespace(engine=engine, params={"days": 30}, scheduled_at="2023-07-15T00:00:00Z")
    assert jobs.flag_unretired(ctx) == {"flagged": 1, "already": 0}
    assert jobs.flag_unretired(ctx) == {"flagged": 0, "already": 1}
    with read_transaction(engine) as conn:
        (flag,) = [
            e for e in services.timeline(conn, "350428", late.case) if e.kind == "judicial.overdue"
        ]
        assert services.get_case(conn, "350428", late.case).state == "decided"
    assert (flag.body["days"], flag.body["decided_on"], flag.body["flagged_on"]) == (
        44,
        "2023-06-01",
        "2023-07-15",
    )
    assert flag.actor == jobs.ACTOR
    # a purchase after the flag leaves the case flagged: nothing more until a new decision
    buy(engine, [Take("CT-TEST", SELLER, kg=12_000)], late.case, COURT)
    assert jobs.flag(engine, on="2023-08-01") == {"flagged": 0, "already": 1}
    assert verify_log(engine, []) == []
