"""A case from filing to certificate on both databases: each step's entry (the court user as
actor), the state on the case's row, the arithmetic, the units moving from 常口村 to the case
and retired for it, the yuan reaching the village, and ``log verify`` clean at the end (a
tampered row found, a rebuild restoring it); the steps out of order refused, nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ledger.core.errors import ConflictError, ValidationError
from ledger.judicial import model, services
from ledger.services.verify import verify_log
from ledger.storage.db import read_transaction
from ledger.units.projection import HOLDING_T
from ledger.vault.service import get as vault_get
from tests.judicial import (
    ACTOR,
    CASE,
    COURT,
    SELLER,
    VILLAGE,
    Take,
    assess,
    buy,
    decide,
    document_digest,
    file_case,
    to_decision,
    vault,
    world,
)
from tests.storage.writer import table_state

ACCOUNT = f"Assets:Court:350428:Case:{CASE}"


def case_row(engine, case: str = CASE):
    with read_transaction(engine) as conn:
        return services.get_case(conn, "350428", case)


def test_a_case_from_filing_to_certificate(engine):
    world(engine)
    filed = file_case(engine)
    assert (filed.case, filed.court, filed.state, filed.year) == (CASE, "350428", "filed", 2023)
    assert filed.account == ACCOUNT

    a = assess(engine)
    # 10 × 0.307 × 1.634 × (1 + 0.246) × 0.520 × 44/12 = 11.917447… t (by hand) → 11,917 kg
    assert a.body["loss_kg"] == 11_917 and a.body["record"]["loss_t"] == "11.92"
    assert a.body["method"]["name"] == "AR-CM-001 defaults"
    assert case_row(engine).state == "assessed"

    d = decide(engine)
    assert (d.body["exact_kg"], d.body["quantity_kg"], d.body["amount_fen"]) == (
        11_917,
        12_000,
        120_000,  # 12 t × 100 元/t = 1,200.00 元
    )

    p = buy(engine, [Take("CT-TEST", SELLER, kg=12_000)])
    assert p.actor == ACTOR
    assert [
        (x["lot"], x["first"], x["last"], x["kg"], x["total_fen"]) for x in p.body["lines"]
    ] == [("L1", 1, 12, 12_000, 120_000)]
    assert sorted((x.account, x.commodity, x.amount) for x in p.postings) == [
        (f"Assets:Village:{VILLAGE}:Collective", "CNY", 120_000),
        (f"Income:Village:{VILLAGE}:CarbonSales", "CNY", -120_000),
    ]
    assert p.body["payer"]["type"] == "person"
    assert p.body["restoration_account"]["last4"] == "3456"
    with read_transaction(engine) as conn:
        assert vault_get(conn, vault(), p.body["payer"]["code"]).fields["name"] == "欧阳春华"
        holdings = [
            tuple(r)
            for r in conn.execute(
                select(HOLDING_T.c.first, HOLDING_T.c.last, HOLDING_T.c.holder, HOLDING_T.c.state)
                .where(HOLDING_T.c.lot == "L1")
                .order_by(HOLDING_T.c.first)
            )
        ]
    assert holdings == [(1, 12, ACCOUNT, "held"), (13, 100, SELLER, "held")]

    r = services.retire_case(
        engine, court=COURT, case=CASE, retirement_ref="HXEE-ZX-2023-0088",
        retired_on="2023-06-10", actor=ACTOR,
    )  # fmt: skip
    assert r.body["kg"] == 12_000 and len(r.body["retire_seqs"]) == 1
    with read_transaction(engine) as conn:
        (retirement,) = [
            e for e in services.timeline(conn, "350428", CASE) if e.kind == "judicial.retirement"
        ]
        assert retirement.seq == r.seq
        lines = services.units_of(conn, case=CASE)
        assert [(u.serials, u.kg, u.total_fen, u.retired_seq) for u in lines] == [
            ("L1-001–L1-012", 12_000, 120_000, r.seq)
        ]
        (village,) = services.by_village(conn, within="350428")
        assert (village.village, village.kg, village.total_fen, village.cases) == (
            VILLAGE,
            12_000,
            120_000,
            1,
        )

    c = services.certify(
        engine, court=COURT, case=CASE, certificate="JC-2023-0001",
        entries=[filed.seq, a.seq, d.seq, p.seq, r.seq], certified_on="2023-06-12", actor=ACTOR,
    )  # fmt: skip
    row = case_row(engine)
    assert (row.state, row.loss_kg, row.quantity_kg, row.amount_fen) == (
        "certified",
        11_917,
        12_000,
        120_000,
    )
    assert (row.decided_on, row.purchased_on, row.retired_on, row.certified_on) == (
        "2023-06-01",
        "2023-06-05",
        "2023-06-10",
        "2023-06-12",
    )
    with read_transaction(engine) as conn:
        kinds = [e.kind for e in services.timeline(conn, "350428", CASE)]
        assert kinds == [
            "judicial.case",
            "judicial.assessment",
            "judicial.decision",
            "judicial.purchase",
            "judicial.retirement",
            "judicial.certified",
        ]
        assert all(e.actor == ACTOR for e in services.timeline(conn, "350428", CASE))
        (total,) = services.totals(conn, within="35")
        assert (total.year, total.cases, total.quantity_kg, total.amount_fen) == (
            2023,
            1,
            12_000,
            120_000,
        )
    assert c.kind == "judicial.certified"
    assert verify_log(engine, []) == []


def test_steps_out_of_order_are_refused_and_nothing_is_written(engine):
    world(engine)
    file_case(engine)
    before = table_state(engine)
    with pytest.raises(ConflictError) as err:
        decide(engine)
    assert err.value.code == "judicial.state"
    with pytest.raises(ConflictError):
        buy(engine, [Take("CT-TEST", SELLER, kg=12_000)])
    with pytest.raises(ConflictError):
        services.retire_case(engine, court=COURT, case=CASE, retirement_ref="X-1", actor=ACTOR)
    assert table_state(engine) == before


def test_a_case_number_is_filed_once_and_only_by_its_own_court(engine):
    world(engine)
    file_case(engine)
    with pytest.raises(ConflictError) as err:
        file_case(engine)
    assert err.value.code == "judicial.case_exists"
    with pytest.raises(ValidationError) as err:
        file_case(engine, "(2023)闽0403刑初7号")
    assert err.value.code == "judicial.case_court"
    with pytest.raises(ValidationError) as err:
        file_case(engine, "(2023)闽0428刑初45")
    assert err.value.code == "judicial.case_number"


def test_a_retry_with_the_same_key_returns_the_first_purchase(engine):
    world(engine)
    to_decision(engine)
    first = buy(engine, [Take("CT-TEST", SELLER, kg=12_000)], key="buy-1")
    again = buy(engine, [Take("CT-TEST", SELLER, kg=12_000)], key="buy-1")
    assert again.seq == first.seq


def test_a_purchase_must_be_the_quantity_decided(engine):
    world(engine)
    to_decision(engine)
    before = table_state(engine)
    with pytest.raises(ValidationError) as err:
        buy(engine, [Take("CT-TEST", SELLER, kg=10_000)])
    assert err.value.code == "judicial.purchase_quantity"
    assert err.value.details == {"t": "10.00", "ordered": "12.00"}
    assert table_state(engine) == before


def test_nanjing_2022_twice_the_loss_and_the_quantity_the_seller_delivers(engine):
    """南靖 2022: a loss of 47.07 t (an assessment report's figure), ordered twice (94.14 t),
    96 t bought; twice up to whole tonnes would be 95 t, and a quantity below 94.14 t is
    refused."""
    from ledger.judicial import assessment as A

    world(engine)
    case = file_case(engine, "(2022)闽0428刑初9号")
    services.assess_case(
        engine, court=COURT, case=case.case, method="AR-CM-001 defaults",
        inputs=[A.ReportedLoss.of("47.07", "南靖县林业局鉴定意见")], assessor="鉴定机构",
        assessed_on="2022-06-01", actor=ACTOR,
    )  # fmt: skip
    q = model.from_loss(47_070, model.Decimal(2), "up_to_t", 10_000)
    assert (q.exact_kg, q.quantity_kg, q.amount_fen) == (94_140, 95_000, 950_000)
    with pytest.raises(ValidationError) as err:
        decide(engine, case.case, multiple="2", rounding="ordered", quantity_kg=94_000)
    assert err.value.code == "judicial.quantity_below" and err.value.details == {"t": "94.14"}
    d = decide(engine, case.case, multiple="2", rounding="ordered", quantity_kg=96_000)
    assert (d.body["exact_kg"], d.body["quantity_kg"], d.body["amount_fen"]) == (
        94_140,
        96_000,
        960_000,
    )


def test_from_an_amount_in_yuan_to_the_quantity(engine):
    """A court that valued the loss at 5,000 元 of ecosystem services buys what that buys:
    at 100 元/t, 50 t."""
    world(engine)
    case = file_case(engine)
    assess(engine)
    d = decide(engine, case.case, basis="amount", amount_fen=500_000, rounding="down_to_t")
    assert (d.body["exact_kg"], d.body["quantity_kg"], d.body["amount_fen"]) == (
        50_000,
        50_000,
        500_000,
    )


def test_a_document_is_anchored_at_its_step(engine):
    world(engine)
    file_case(engine)
    sha, size = document_digest("恢复生态承诺书")
    doc = services.anchor_document(
        engine, court=COURT, case=CASE, doc="undertaking", sha256=sha, size=size,
        title="恢复生态承诺书", actor=ACTOR,
    )  # fmt: skip
    assert (doc.body["step"], doc.body["doc"]) == ("filed", "undertaking")
    with read_transaction(engine) as conn:
        kinds = [e.kind for e in services.timeline(conn, "350428", CASE)]
    assert kinds == ["judicial.case", "judicial.document"]
    assert verify_log(engine, []) == []


def test_split_totals_add_up_to_the_price_of_the_whole():
    # 3 lines of 10 kg, 20 kg and 5 kg at 15.55 元/t: 54.425 fen in all → 54 fen
    parts = model.split_total(1_555, [10, 20, 5])
    assert parts == [16, 31, 7] and sum(parts) == model.sale_total(1_555, 35) == 54
    assert model.tonnes(47_070) == "47.07" and model.tonnes(11_917) == "11.92"
    assert model.case_key(2022, "刑初", 123) == "2022-XC-123"


def test_log_verify_finds_a_tampered_case_row_and_rebuild_restores_it(engine):
    """The projection is re-derived from the log: a case row moved on by hand (a purchase that
    never happened) is a finding of ``log verify``; ``projections rebuild`` puts it back."""
    from sqlalchemy import update

    from ledger.judicial.projection import CASE_T
    from ledger.services.rebuild import rebuild_projections
    from ledger.storage.db import write_transaction

    world(engine)
    to_decision(engine)
    with write_transaction(engine) as conn:
        conn.execute(update(CASE_T).values(state="retired", retired_on="2023-06-10"))
    found = verify_log(engine, [])
    assert [f.code for f in found] == ["projection.judicial_case"]
    rebuild_projections(engine, ["judicial"])
    assert verify_log(engine, []) == []
    assert case_row(engine).state == "decided"
