"""The same serial never serves two cases, or a case and a sale: the second attempt is refused
naming the case or the sale that holds the serials, and nothing is written — also when two
courts buy the same range at the same moment from separate processes (both databases)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ledger.core.errors import ConflictError
from ledger.services.verify import verify_log
from ledger.units import services as units
from ledger.units.services import Buyer
from tests.conftest import REPO
from tests.judicial import (
    ACTOR,
    COURT,
    COURT2,
    SELLER,
    Take,
    buy,
    to_decision,
    world,
)
from tests.storage.writer import table_state
from tests.units import HUAWEI

SECOND = "(2023)闽0403刑初7号"


def serials(first: int, last: int) -> tuple:
    return (("L1", first, last),)


def two_cases(engine):
    world(engine)
    a = to_decision(engine)
    b = to_decision(engine, SECOND, COURT2)
    return a, b


def test_serials_bought_for_one_case_are_refused_to_another_naming_the_case(engine):
    a, b = two_cases(engine)
    buy(engine, [Take("CT-TEST", SELLER, serials=serials(1, 12))], a.case)
    before = table_state(engine)
    with pytest.raises(ConflictError) as err:
        buy(engine, [Take("CT-TEST", SELLER, serials=serials(5, 16))], b.case, COURT2)
    assert err.value.code == "judicial.serials_taken"
    assert err.value.details["holders"] == "case (2023)闽0428刑初45号"
    assert err.value.details["serials"] == "L1-005–L1-012"
    assert table_state(engine) == before


def test_serials_retired_for_a_case_are_refused_naming_the_case(engine):
    from ledger.judicial import services

    a, b = two_cases(engine)
    buy(engine, [Take("CT-TEST", SELLER, serials=serials(1, 12))], a.case)
    services.retire_case(engine, court=COURT, case=a.case, retirement_ref="R-1", actor=ACTOR)
    before = table_state(engine)
    with pytest.raises(ConflictError) as err:
        buy(engine, [Take("CT-TEST", SELLER, serials=serials(12, 23))], b.case, COURT2)
    assert err.value.details["holders"] == "case (2023)闽0428刑初45号"
    # and a sale of them is refused by the units module itself
    with pytest.raises(ConflictError):
        units.sell(
            engine, project="CT-TEST", seller=SELLER, buyer=Buyer("company", "华为", HUAWEI),
            price_fen_per_t=1_500, use="esg", serials=[["L1", 10, 10]], actor=ACTOR, within=None,
        )  # fmt: skip
    assert table_state(engine) == before


def test_serials_sold_are_refused_to_a_case_naming_the_sale(engine):
    world(engine)
    a = to_decision(engine)
    sale = units.sell(
        engine, project="CT-TEST", seller=SELLER, buyer=Buyer("company", "华为", HUAWEI),
        price_fen_per_t=1_500, use="esg", serials=[["L1", 1, 10]], actor=ACTOR, within=None,
    )  # fmt: skip
    before = table_state(engine)
    with pytest.raises(ConflictError) as err:
        buy(engine, [Take("CT-TEST", SELLER, serials=serials(5, 16))], a.case)
    assert err.value.code == "judicial.serials_taken"
    assert err.value.details["holders"] == f"sale (entry {sale.entry.seq}) to 华为"
    assert table_state(engine) == before
    # a purchase of two takes where the second is taken writes neither
    with pytest.raises(ConflictError):
        buy(
            engine,
            [
                Take("CT-TEST", SELLER, serials=serials(11, 16)),
                Take("CT-TEST", SELLER, serials=serials(5, 10)),
            ],
            a.case,
        )
    assert table_state(engine) == before


@pytest.mark.slow
def test_two_courts_buying_the_same_range_at_once_one_wins(db_url, engine):
    a, b = two_cases(engine)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.judicial.contender", db_url, court, case, "20", "31"],
            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )
        for court, case in (("court", a.case), ("court2", b.case))
    ]  # fmt: skip
    try:
        for proc in procs:
            line = proc.stdout.readline()
            assert line == "ready\n", f"contender failed to start: {line!r} {proc.stderr.read()}"
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=120) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    results = [json.loads(out) for out, _ in outputs]
    winners = [i for i, r in enumerate(results) if "seq" in r]
    assert len(winners) == 1, results
    (loser,) = [r for r in results if "seq" not in r]
    assert loser["code"] == "judicial.serials_taken", loser
    won_case = ["(2023)闽0428刑初45号", SECOND][winners[0]]
    assert loser["details"]["holders"] == f"case {won_case}"
    assert loser["details"]["serials"] == "L1-020–L1-031"
    assert verify_log(engine, []) == []
