"""A distribution from draft to payment on both databases: every step an entry with the clerk
as actor, the money where the accounts say, the projections re-derived by ``log verify``."""

from __future__ import annotations

import dataclasses
import gc

import pytest

from ledger.community import services
from ledger.community.services import BankResult, Resolution
from ledger.core.errors import ConflictError, ValidationError
from ledger.services.verify import verify_log
from ledger.storage.db import read_transaction
from tests.community import ACTOR, RULE, VAULT, finalised, fund, lines
from tests.units import VILLAGE


def test_whole_path(engine):
    total = fund(engine)  # 150,000.00 元... 100 t at 15 元
    assert total == 150_000
    saved = services.save_roster(engine, VAULT, VILLAGE, lines(3), "ab" * 32, actor=ACTOR, key="r1")
    assert (saved.version, saved.households) == (1, 3)
    services.add_rule(engine, VILLAGE, "R1", "标准规则", RULE, actor=ACTOR, key="rule1")
    d = services.draft(
        engine,
        VILLAGE,
        title="2021年碳票收益分配",
        amount_fen=100_000,
        rule="R1",
        actor=ACTOR,
        key="d1",
    )
    assert d.state == "drafted" and d.notice_days == 7
    with read_transaction(engine) as conn:
        assert services.available_fen(conn, VILLAGE) == 50_000
    d = services.approve(
        engine,
        VILLAGE,
        d.distribution,
        Resolution("2021-07-01", "常村决〔2021〕3号", 40, 31, b"scan"),
        actor=ACTOR,
        key="a1",
    )
    assert d.state == "approved"
    d = services.publish(
        engine,
        VILLAGE,
        d.distribution,
        place="村委会公示栏",
        notice_from="2021-07-02",
        actor=ACTOR,
        key="p1",
    )
    assert (d.notice_from, d.notice_until) == ("2021-07-02", "2021-07-09")
    services.record_objection(
        engine,
        VILLAGE,
        d.distribution,
        summary="面积有误",
        household="CK002",
        raised_on="2021-07-03",
        actor=ACTOR,
        key="o1",
    )
    with pytest.raises(ConflictError) as err:
        services.finalise(engine, VILLAGE, d.distribution, on="2021-07-10", actor=ACTOR, key="f0")
    assert err.value.code == "community.objections_open"
    services.answer_objection(
        engine, VILLAGE, d.distribution, 1, "已核实，面积无误", actor=ACTOR, key="ans1"
    )
    with pytest.raises(ConflictError) as err:
        services.finalise(engine, VILLAGE, d.distribution, on="2021-07-09", actor=ACTOR, key="f1")
    assert err.value.code == "community.notice_running"
    d = services.finalise(engine, VILLAGE, d.distribution, on="2021-07-10", actor=ACTOR, key="f2")
    assert d.state == "finalised" and d.retained_fen == 10_000
    with read_transaction(engine) as conn:
        allocs = services.allocations_of(conn, d.distribution)
        assert sum(a.amount_fen for a in allocs) == 90_000
        picture = services.money(conn, VILLAGE)
    assert (picture.received, picture.held, picture.retained, picture.shared, picture.paid) == (
        150_000,
        50_000,
        10_000,
        90_000,
        0,
    )
    batch = services.create_batch(engine, VILLAGE, d.distribution, actor=ACTOR, key="b1")
    assert batch.lines == 3
    results = [
        BankResult(
            i,
            a.position + 1,
            f"6222020200112233{i:03d}",
            a.amount_fen,
            i != 2,
            "户名不符" if i == 2 else None,
        )
        for i, a in enumerate(allocs, 1)
    ]
    out = services.import_results(
        engine, VAULT, VILLAGE, batch.batch, results, "cd" * 32, actor=ACTOR, key="res1"
    )
    assert (out.paid, out.failed) == (2, 1)
    services.correct_bank_account(
        engine, VAULT, VILLAGE, "CK002", "6222020200112299002", actor=ACTOR, key="bank1"
    )
    batch2 = services.create_batch(engine, VILLAGE, d.distribution, actor=ACTOR, key="b2")
    assert batch2.lines == 1
    out = services.import_results(
        engine,
        VAULT,
        VILLAGE,
        batch2.batch,
        [BankResult(1, 1, "6222020200112299002", allocs[1].amount_fen, True, None)],
        "ef" * 32,
        actor=ACTOR,
        key="res2",
    )
    with read_transaction(engine) as conn:
        picture = services.money(conn, VILLAGE)
    assert (picture.paid, picture.pending) == (90_000, 0)
    assert verify_log(engine, []) == []


def test_bank_results_that_do_not_match_the_batch_post_nothing(engine):
    from ledger.services.log import read_head

    d = finalised(engine)
    batch = services.create_batch(engine, VILLAGE, d.distribution, actor=ACTOR, key="b")
    with read_transaction(engine) as conn:
        allocs = services.allocations_of(conn, d.distribution)
        size = read_head(conn).size
    accounts = [line.bank_account for line in lines(3)]
    results = [
        BankResult(2, 1, accounts[0], allocs[0].amount_fen + 1, True, None),  # another amount
        BankResult(3, 2, "6222020200000000000", allocs[1].amount_fen, True, None),  # account
        BankResult(4, 9, accounts[2], allocs[2].amount_fen, True, None),  # not in the batch
    ]
    with pytest.raises(ValidationError) as err:
        services.import_results(engine, VAULT, VILLAGE, batch.batch, results, "00" * 32,
                                actor=ACTOR, key="x")  # fmt: skip
    assert err.value.code == "community.bank_mismatch"
    assert [(e["line"], e["code"]) for e in err.value.details["errors"]] == [
        (2, "amount"), (3, "account"), (4, "seq"), (0, "missing")
    ]  # fmt: skip
    with read_transaction(engine) as conn:
        assert read_head(conn).size == size
        assert {a.status for a in services.allocations_of(conn, d.distribution)} == {"in_batch"}


def test_a_finalised_distribution_is_corrected_by_a_linked_reversal(engine):
    d = finalised(engine)
    with read_transaction(engine) as conn:
        before = services.money(conn, VILLAGE)
    assert (before.held, before.shared, before.retained) == (50_000, 90_000, 10_000)
    r = services.reverse(engine, VILLAGE, d.distribution, reason="花名册有误，重新分配",
                         actor=ACTOR, key="rev")  # fmt: skip
    assert (r.state, r.reverses, r.amount_fen) == ("reversal", d.distribution, 100_000)
    with read_transaction(engine) as conn:
        original = services.get_distribution(conn, d.distribution)
        after = services.money(conn, VILLAGE)
        statuses = {a.status for a in services.allocations_of(conn, d.distribution)}
    assert (original.state, original.reversed_by) == ("reversed", r.distribution)
    assert statuses == {"reversed"}
    assert (after.held, after.shared, after.retained, after.pending) == (150_000, 0, 0, 0)
    with pytest.raises(ConflictError) as err:
        services.reverse(engine, VILLAGE, d.distribution, reason="again", actor=ACTOR, key="r2")
    assert err.value.code == "community.state"
    assert verify_log(engine, []) == []


def test_a_paid_distribution_cannot_be_reversed(engine):
    d = finalised(engine)
    services.create_batch(engine, VILLAGE, d.distribution, actor=ACTOR, key="b")
    with pytest.raises(ConflictError) as err:
        services.reverse(engine, VILLAGE, d.distribution, reason="x", actor=ACTOR, key="r")
    assert err.value.code == "community.reverse_paid"


def test_the_bureau_sees_each_village_reconciled_and_money_held_for_long(engine):
    from ledger.accounts import services as accounts
    from ledger.storage.db import write_transaction

    with write_transaction(engine) as conn:
        accounts.create_org(conn, "bureau", "350428", "将乐县林业局", actor="test")
        accounts.create_org(conn, "village", VILLAGE, "常口村", actor="test")
    fund(engine)  # sold on 2021-06-01: never shared since
    with read_transaction(engine) as conn:
        (row,) = services.bureau_rows(conn, "350428", stale_days=180)
    assert (row.picture.received, row.picture.held, row.reconciles, row.stale) == (
        150_000, 150_000, True, True)  # fmt: skip
    services.save_roster(engine, VAULT, VILLAGE, lines(3), "ab" * 32, actor=ACTOR, key="r")
    services.add_rule(engine, VILLAGE, "R1", "标准规则", RULE, actor=ACTOR, key="rule")
    services.draft(engine, VILLAGE, title="分配", amount_fen=150_000, rule="R1", actor=ACTOR,
                   key="d")  # fmt: skip
    with read_transaction(engine) as conn:
        (row,) = services.bureau_rows(conn, "350428", stale_days=180)
    assert (row.picture.held, row.picture.sharing, row.reconciles, row.stale) == (
        0, 150_000, True, False)  # fmt: skip


@pytest.mark.parametrize("collecting", [True, False])
def test_finalising_keeps_the_collector_paused_until_its_entries_are_dropped(
    engine, monkeypatch, collecting
):
    """The collector is paused from before the finalisation's write until its entries are
    dropped (no young collection walks them), and left as it was found."""
    states = []
    real_step = services._step

    def step(*args, **kwargs):
        states.append(gc.isenabled())
        entries = real_step(*args, **kwargs)
        states.append(gc.isenabled())
        return entries

    monkeypatch.setattr(services, "_step", step)
    if not collecting:
        gc.disable()
    try:
        d = finalised(engine, n=3)
        assert gc.isenabled() is collecting
    finally:
        gc.enable()
    assert d.state == "finalised"
    assert states[-2:] == [False, False]  # the finalisation's step, before and after its write


def test_each_allocation_names_its_own_households_vault_whatever_the_order_of_the_shares(
    engine, monkeypatch
):
    """The shares come in roster order and each takes the vault code of the member beside
    it; shares in another order are matched to their households by code."""
    real = services.allocation_of

    def reversed_shares(conn, d, members=None):
        result = real(conn, d, members)
        return dataclasses.replace(result, allocations=result.allocations[::-1])

    monkeypatch.setattr(services, "allocation_of", reversed_shares)
    d = finalised(engine, n=4)
    with read_transaction(engine) as conn:
        roster = {m.household: m.vault for m in services.members_of(conn, VILLAGE, 1)}
        allocations = services.allocations_of(conn, d.distribution)
    assert len(allocations) == 4
    assert [a.position for a in allocations] == [0, 1, 2, 3]
    assert [a.household for a in allocations] == sorted(roster, reverse=True)
    assert all(a.vault == roster[a.household] for a in allocations)
