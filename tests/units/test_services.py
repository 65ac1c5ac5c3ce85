"""The operations on both databases: what each writes (entries, postings, projections), what
each refuses (naming the serials and the entries holding them), idempotent retries, and that
the invariant holds whichever path appends."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from ledger.core.entry import EntryDraft, Posting
from ledger.core.errors import ConflictError, NotFoundError, ValidationError
from ledger.services.log import append_batch
from ledger.services.verify import verify_log
from ledger.storage.db import read_transaction
from ledger.units import services
from ledger.units.projection import HOLDING_T, SALE_T
from ledger.units.services import Buyer
from ledger.vault.crypto import Vault
from ledger.vault.service import get as vault_get
from tests.storage.writer import table_state
from tests.units import (
    ACTOR,
    COMPANY,
    HUAWEI,
    ICBC,
    OTHER_COMPANY,
    OWNER,
    TENCENT,
    VILLAGE,
    document,
    make_lot,
    make_project,
)

KW = {"actor": ACTOR, "within": None}


def pieces(engine, lot: str = "L1") -> list[tuple]:
    with read_transaction(engine) as conn:
        rows = conn.execute(
            select(
                HOLDING_T.c.first,
                HOLDING_T.c.last,
                HOLDING_T.c.holder,
                HOLDING_T.c.state,
                HOLDING_T.c.pledgee,
            )
            .where(HOLDING_T.c.lot == lot)
            .order_by(HOLDING_T.c.first)
        )
        return [tuple(r) for r in rows]


@pytest.fixture
def lot(engine):
    make_project(engine)
    return make_lot(engine, count=100)


def test_issue_puts_the_lot_with_the_owner(engine, lot):
    assert lot.kind == "units.issue"
    assert [(p.account, p.commodity, p.amount) for p in lot.postings] == [
        ("Equity:Issued:CarbonTicket", "CO2E", -100_000),
        (OWNER, "CO2E", 100_000),
    ]
    assert lot.body["serial_prefix"] == "L1-" and lot.body["serial_digits"] == 3
    assert pieces(engine) == [(1, 100, OWNER, "held", None)]
    assert verify_log(engine, []) == []


def test_a_sale_posts_the_total_to_the_seller_and_moves_the_units(engine, lot):
    sale = services.sell(
        engine, project="CT-TEST", seller=OWNER, buyer=Buyer("company", "华为", HUAWEI),
        price_fen_per_t=1_550, use="esg", kg=30_000, date="2021-06-01", **KW,
    )  # fmt: skip
    assert (sale.total_fen, sale.rounding, sale.retired) == (46_500, "half_up", False)
    assert sorted((p.account, p.commodity, p.amount) for p in sale.entry.postings) == sorted(
        [
            (OWNER, "CO2E", -30_000),
            (COMPANY, "CO2E", 30_000),
            (OWNER, "CNY", 46_500),
            (f"Income:Village:{VILLAGE}:CarbonSales", "CNY", -46_500),
        ]
    )
    assert pieces(engine) == [(1, 30, COMPANY, "held", None), (31, 100, OWNER, "held", None)]
    with read_transaction(engine) as conn:
        (earning,) = services.earnings(conn, VILLAGE)
        assert (earning.year, earning.kg, earning.total_fen) == ("2021", 30_000, 46_500)
        (row,) = services.public_register(conn)  # a sale to an organisation is public
        assert row.serials == ["L1-001–L1-030"] and row.buyer_name == "华为"
    assert verify_log(engine, []) == []


def test_moving_serials_not_held_names_the_serials_and_the_entry(engine, lot):
    first = services.transfer(engine, project="CT-TEST", from_=OWNER, to=COMPANY, kg=10_000, **KW)
    with pytest.raises(ConflictError) as err:
        services.transfer(
            engine, project="CT-TEST", from_=OWNER, to=OTHER_COMPANY,
            serials=[["L1", 5, 15]], **KW,
        )  # fmt: skip
    assert err.value.code == "units.conflict"
    assert err.value.details["serials"] == "L1-005–L1-010"
    assert err.value.details["entries"] == str(first.seq)
    (conflict,) = err.value.details["conflicts"]
    assert conflict == {
        "lot": "L1", "first": 5, "last": 10, "holder": COMPANY, "state": "held",
        "seq": first.seq,
    }  # fmt: skip


def test_pledged_serials_cannot_move_until_the_pledgee_releases_them(engine, lot):
    pledge = services.pledge(
        engine, project="CT-TEST", owner=OWNER, pledgee_name="工商银行", pledgee_uscc=ICBC,
        serials=[["L1", 1, 50]], **KW,
    )  # fmt: skip
    assert pledge.postings[1].account == OWNER + ":Pledged"
    for move in (
        lambda: services.transfer(
            engine, project="CT-TEST", from_=OWNER, to=COMPANY, serials=[["L1", 40, 60]], **KW
        ),
        lambda: services.retire(
            engine, project="CT-TEST", holder=OWNER, beneficiary=Buyer("organisation", "某会"),
            use="event_neutrality", serials=[["L1", 1, 1]], **KW,
        ),
    ):  # fmt: skip
        with pytest.raises(ConflictError) as err:
            move()
        assert str(pledge.seq) in err.value.details["entries"]
    # only the pledgee's release frees them
    with pytest.raises(ValidationError) as err:
        services.release(
            engine, project="CT-TEST", owner=OWNER, pledgee_uscc=TENCENT,
            document=document("解押通知"), kg=10_000, **KW,
        )  # fmt: skip
    assert err.value.code == "units.pledge_unknown"
    services.release(
        engine, project="CT-TEST", owner=OWNER, pledgee_uscc=ICBC, document=document("解押通知"),
        serials=[["L1", 1, 50]], **KW,
    )  # fmt: skip
    services.transfer(
        engine, project="CT-TEST", from_=OWNER, to=COMPANY, serials=[["L1", 40, 60]], **KW
    )
    assert verify_log(engine, []) == []


def test_serials_are_retired_once(engine, lot):
    first = services.retire(
        engine, project="CT-TEST", holder=OWNER, beneficiary=Buyer("organisation", "世遗会"),
        use="event_neutrality", serials=[["L1", 1, 30]], **KW,
    )  # fmt: skip
    with pytest.raises(ConflictError) as err:
        services.sell(
            engine, project="CT-TEST", seller=OWNER, buyer=Buyer("company", "腾讯", TENCENT),
            price_fen_per_t=1_000, use="compliance_offset", serials=[["L1", 25, 35]], **KW,
        )  # fmt: skip
    assert err.value.code == "units.double_retirement"
    assert err.value.details["serials"] == "L1-025–L1-030"
    assert err.value.details["entries"] == str(first.seq)


def test_a_serial_is_issued_once(engine, lot):
    with pytest.raises(ConflictError) as err:
        make_lot(engine, lot="L2", count=10, first=95, serial_prefix="L1-")
    assert err.value.code == "units.double_issue"
    assert err.value.details["entries"] == str(lot.seq)
    with pytest.raises(ConflictError) as err:
        make_lot(engine, lot="L1", count=10, first=500)
    assert err.value.code == "units.lot_exists"
    make_lot(engine, lot="L3", count=10, first=101, serial_prefix="L1-")  # adjoining is fine


def test_refusals_write_nothing(engine, lot):
    def transfer(project="CT-TEST", **kwargs):
        return services.transfer(engine, project=project, from_=OWNER, to=COMPANY, **kwargs, **KW)

    before = table_state(engine)
    for refused in (
        lambda: transfer(kg=101_000),  # more than the lot
        lambda: transfer(kg=1_500),  # not a whole number of 1 t serials
        lambda: transfer(project="NOPE", kg=1_000),
        lambda: services.sell(
            engine, project="CT-TEST", seller=OWNER, buyer=Buyer("organisation", "某会"),
            price_fen_per_t=100, use="esg", retire_units=False, kg=1_000, **KW,
        ),
        lambda: services.sell(
            engine, project="CT-TEST", seller=OWNER,
            buyer=Buyer("company", "x", "914403001922038217"), price_fen_per_t=100, use="esg",
            kg=1_000, **KW,
        ),
        lambda: services.sell(
            engine, project="CT-TEST", seller=OWNER, buyer=Buyer("company", "腾讯", TENCENT),
            price_fen_per_t=100, use="event_neutrality", retire_units=False, kg=1_000, **KW,
        ),
        lambda: services.transfer(
            engine, project="CT-TEST", from_=OWNER, to=COMPANY, kg=1_000, actor=ACTOR,
            within="350403",
        ),
    ):  # fmt: skip
        with pytest.raises((ValidationError, ConflictError, NotFoundError)):
            refused()
    assert table_state(engine) == before


def test_a_retry_returns_the_first_answer(engine, lot):
    def sell(kg):
        return services.sell(
            engine, project="CT-TEST", seller=OWNER, buyer=Buyer("company", "华为", HUAWEI),
            price_fen_per_t=1_000, use="esg", kg=kg, date="2021-06-01", key="k-1", **KW,
        )  # fmt: skip

    first, again = sell(5_000), sell(5_000)
    assert again.entry.seq == first.entry.seq and again.total_fen == first.total_fen
    with pytest.raises(ConflictError) as err:
        sell(6_000)
    assert err.value.code == "idempotency.conflict"


def test_an_individual_buyer_is_in_the_vault_not_the_leaf(engine, lot, tmp_path):
    vault = Vault.from_key(os.urandom(32))
    sale = services.sell(
        engine, project="CT-TEST", seller=OWNER, buyer=Buyer("person", "欧阳春华"),
        price_fen_per_t=10_000, use="personal", kg=1_000, vault=vault, **KW,
    )  # fmt: skip
    code = sale.entry.body["buyer"]["code"]
    assert code.startswith("B-") and "欧阳".encode() not in sale.entry.leaf
    with read_transaction(engine) as conn:
        assert vault_get(conn, vault, code).fields["name"] == "欧阳春华"
        assert conn.execute(select(SALE_T.c.buyer_name)).scalar() is None


def test_the_projection_refuses_an_append_that_breaks_the_invariant(engine, lot):
    """Whatever path appends (here the bare append path, no service), serials must be where
    the entry says and the postings must move exactly their kilograms."""
    services.transfer(
        engine, project="CT-TEST", from_=OWNER, to=COMPANY, serials=[["L1", 1, 10]], **KW
    )
    before = table_state(engine)
    body = {
        "serials": [["L1", 5, 20]], "project": "CT-TEST", "division": VILLAGE, "from": OWNER,
        "to": OTHER_COMPANY, "date": "2021-06-01",
    }  # fmt: skip
    moved = (Posting(OWNER, "CO2E", -16_000), Posting(OTHER_COMPANY, "CO2E", 16_000))
    with pytest.raises(ConflictError) as err:
        append_batch(engine, [EntryDraft("units.transfer", body, ACTOR, moved)])
    assert err.value.details["serials"] == "L1-005–L1-010"
    body["serials"] = [["L1", 11, 20]]
    wrong = (Posting(OWNER, "CO2E", -1), Posting(OTHER_COMPANY, "CO2E", 1))
    with pytest.raises(ValidationError) as err:
        append_batch(engine, [EntryDraft("units.transfer", body, ACTOR, wrong)])
    assert err.value.code == "units.postings"
    assert table_state(engine) == before


def test_a_court_case_can_hold_and_retire_but_not_sell(engine, lot):
    case = "Assets:Court:350428:Case:2022-XC-123"
    services.transfer(engine, project="CT-TEST", from_=OWNER, to=case, kg=2_000, **KW)
    with pytest.raises(ValidationError):
        services.sell(
            engine, project="CT-TEST", seller=case, buyer=Buyer("company", "华为", HUAWEI),
            price_fen_per_t=100, use="esg", kg=1_000, **KW,
        )  # fmt: skip
    entry = services.retire(
        engine, project="CT-TEST", holder=case, beneficiary=Buyer("organisation", "将乐县人民法院"),
        use="judicial", kg=2_000, **KW,
    )  # fmt: skip
    assert "Court:350428" in {
        p.account.split(":")[1] + ":" + p.account.split(":")[2]
        for p in entry.postings
        if p.account.startswith("Assets:Court")
    }
    assert verify_log(engine, []) == []


def test_a_bank_releases_only_what_is_pledged_to_it(engine, lot):
    for first, last, bank in ((1, 10, ICBC), (11, 20, TENCENT)):
        services.pledge(
            engine, project="CT-TEST", owner=OWNER, pledgee_name="银行", pledgee_uscc=bank,
            serials=[["L1", first, last]], **KW,
        )  # fmt: skip
    with pytest.raises(ConflictError) as err:
        services.release(
            engine, project="CT-TEST", owner=OWNER, pledgee_uscc=ICBC,
            document=document("解押通知"), serials=[["L1", 5, 15]], **KW,
        )  # fmt: skip
    assert err.value.details["serials"] == "L1-011–L1-015"
    released = services.release(
        engine, project="CT-TEST", owner=OWNER, pledgee_uscc=ICBC, document=document("解押通知"),
        kg=10_000, **KW,
    )  # fmt: skip
    assert released.body["serials"] == [["L1", 1, 10]]
    assert released.body["pledgee"] == {"name": "银行", "uscc": ICBC}


def test_every_kind_says_what_its_entries_state(engine, lot):
    """What receipts print: facts from the leaf alone, never its salt."""
    from ledger.platform import registry
    from ledger.platform.facts import Account, Amount
    from ledger.services.log import read_entries, read_head

    services.pledge(
        engine, project="CT-TEST", owner=OWNER, pledgee_name="工商银行", pledgee_uscc=ICBC,
        kg=5_000, **KW,
    )  # fmt: skip
    services.release(
        engine, project="CT-TEST", owner=OWNER, pledgee_uscc=ICBC, document=document("解押"),
        kg=5_000, **KW,
    )  # fmt: skip
    services.transfer(engine, project="CT-TEST", from_=OWNER, to=COMPANY, kg=5_000, **KW)
    services.retire(
        engine, project="CT-TEST", holder=COMPANY, beneficiary=Buyer("organisation", "会"),
        use="event_neutrality", claim="碳中和", kg=1_000, **KW,
    )  # fmt: skip
    services.sell(
        engine, project="CT-TEST", seller=OWNER, buyer=Buyer("company", "华为", HUAWEI),
        price_fen_per_t=1_500, use="esg", kg=2_000, **KW,
    )  # fmt: skip
    with read_transaction(engine) as conn:
        entries = list(read_entries(conn, "main", 0, read_head(conn).size))
    described = set()
    for entry in entries:
        kind = registry().kind(entry.kind)
        if not entry.kind.startswith("units."):
            continue
        facts = kind.describe(entry.body, entry.postings)
        assert facts and all(isinstance(label, str) for label, _ in facts)
        assert entry.body["salt"] not in repr(facts)
        described.add(entry.kind)
        if entry.kind == "units.sale":
            assert dict(facts)["Total (rounded half up to the fen)"] == Amount(
                3_000, "CNY"
            )  # 2 t at 15 元/t
            assert dict(facts)["Seller"] == Account(OWNER)
    assert described == {
        "units.project", "units.issue", "units.pledge", "units.release", "units.transfer",
        "units.retire", "units.sale",
    }  # fmt: skip
