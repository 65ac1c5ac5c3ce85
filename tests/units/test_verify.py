"""``log verify`` checks the serial invariant from the log alone, on both databases: an
attacker with database access (append-only triggers dropped) who plants a well-formed entry
retiring serials already retired, or moving carbon out of a holder without its serials, or who
edits the holdings projection, is reported at the entry concerned. The units replay gives the
same state however the log is cut into chunks and merged."""

from __future__ import annotations

import os
import secrets
from dataclasses import replace

import orjson
import pytest
from sqlalchemy import delete, insert, update

from ledger.core.entry import EntryDraft, Posting, make_entry
from ledger.core.merkle import CompactRange
from ledger.services import verify
from ledger.services.clock import utc_now
from ledger.services.log import ENTRY, HEAD, NODE, POSTING, iter_leaves, read_head
from ledger.services.verify import verify_log
from ledger.units import services
from ledger.units.projection import HOLDING_T, UnitsProjector
from ledger.units.services import Buyer
from ledger.vault.crypto import Vault
from tests.services import drop_append_only_triggers
from tests.units import ACTOR, COMPANY, HUAWEI, OWNER, VILLAGE, make_lot, make_project

KW = {"actor": ACTOR, "within": None}


def plant(engine, draft: EntryDraft) -> int:
    """Append ``draft`` as an attacker would: a well-formed, salted, chained entry with its
    postings, tree nodes and head, but none of the projections."""
    with engine.begin() as conn:
        drop_append_only_triggers(conn)
        head = read_head(conn)
        salted = replace(draft, body={**draft.body, "salt": secrets.token_hex(16)})
        entry = make_entry(head.size, salted, utc_now(), head.last_leaf_hash)
        conn.execute(
            insert(ENTRY),
            {
                "log": "main", "seq": entry.seq, "kind": entry.kind, "time": entry.time,
                "actor": entry.actor, "prev_hash": entry.prev, "leaf": entry.leaf,
                "leaf_hash": entry.leaf_hash,
            },
        )  # fmt: skip
        conn.execute(
            insert(POSTING),
            [
                {"log": "main", "seq": entry.seq, "idx": i, **p.as_json()}
                for i, p in enumerate(entry.postings)
            ],
        )
        tree = CompactRange(head.size, head.frontier)
        levels = tree.append_many([entry.leaf_hash])
        for level, hashes in enumerate(levels, 1):
            for idx, h in enumerate(hashes, head.size >> level):
                conn.execute(insert(NODE), {"log": "main", "level": level, "idx": idx, "hash": h})
        conn.execute(
            update(HEAD)
            .where(HEAD.c.log == "main")
            .values(
                size=tree.size,
                root=tree.root(),
                last_leaf_hash=entry.leaf_hash,
                frontier=b"".join(tree.hashes),
            )
        )
    return entry.seq


@pytest.fixture
def retired(engine):
    make_project(engine)
    make_lot(engine, count=100)
    services.retire(
        engine, project="CT-TEST", holder=OWNER, beneficiary=Buyer("organisation", "世遗会"),
        use="event_neutrality", serials=[["L1", 1, 30]], **KW,
    )  # fmt: skip
    assert verify_log(engine, []) == []


def codes(findings, seq=None) -> set[str]:
    return {f.code for f in findings if seq is None or f.seq == seq}


def test_a_planted_double_retirement_is_found(engine, retired):
    body = {
        "serials": [["L1", 21, 40]], "project": "CT-TEST", "division": VILLAGE, "holder": OWNER,
        "beneficiary": {"type": "company", "name": "某公司", "uscc": HUAWEI},
        "use": "compliance_offset", "date": "2024-01-01",
    }  # fmt: skip
    postings = (
        Posting(OWNER, "CO2E", -20_000),
        Posting("Expenses:Retired:CarbonTicket", "CO2E", 20_000),
    )
    seq = plant(engine, EntryDraft("units.retire", body, "attacker", postings))
    findings = verify_log(engine, [])
    assert "units.double_retirement" in codes(findings, seq)
    (found,) = [f for f in findings if f.code == "units.double_retirement"]
    assert "L1-021–L1-030" in found.message
    # the carbon the entry moved has no serials behind it
    assert "units.lost_serials" in codes(findings)


def test_carbon_moved_without_its_serials_is_found(engine, retired):
    moved = (Posting(OWNER, "CO2E", -10_000), Posting("Assets:Buyer:Test", "CO2E", 10_000))
    plant(engine, EntryDraft("test.sale", {"note": "carbon without serials"}, "attacker", moved))
    findings = verify_log(engine, [])
    lost = [f for f in findings if f.code == "units.lost_serials"]
    assert len(lost) == 1 and OWNER in lost[0].message
    assert "70000 kg" in lost[0].message and "60000 kg" in lost[0].message


def test_serials_that_were_never_issued_are_found(engine, retired):
    body = {
        "serials": [["L1", 95, 120]], "project": "CT-TEST", "division": VILLAGE, "from": OWNER,
        "to": COMPANY, "date": "2024-01-01",
    }  # fmt: skip
    moved = (Posting(OWNER, "CO2E", -26_000), Posting(COMPANY, "CO2E", 26_000))
    seq = plant(engine, EntryDraft("units.transfer", body, "attacker", moved))
    findings = verify_log(engine, [])
    assert "units.conflict" in codes(findings, seq)
    assert "never issued" in next(f.message for f in findings if f.code == "units.conflict")


def test_edited_holdings_are_found(engine, retired):
    with engine.begin() as conn:
        conn.execute(delete(HOLDING_T).where(HOLDING_T.c.first == 31))  # serials lost
    assert "projection.units_holding" in codes(verify_log(engine, []))
    with engine.begin() as conn:
        conn.execute(
            insert(HOLDING_T),
            {"lot": "L1", "first": 31, "last": 100, "holder": COMPANY, "village": None,
             "state": "held", "pledgee": None, "seq": 1},
        )  # fmt: skip
    assert "projection.units_holding" in codes(verify_log(engine, []))


def test_the_replay_merges_the_same_whatever_the_cut(engine):
    make_project(engine)
    make_lot(engine, count=100)
    vault = Vault.from_key(os.urandom(32))
    steps = [
        lambda: services.transfer(
            engine, project="CT-TEST", from_=OWNER, to=COMPANY, kg=10_000, **KW
        ),
        lambda: services.pledge(
            engine, project="CT-TEST", owner=OWNER, pledgee_name="银行",
            pledgee_uscc="91100000100003962T", kg=5_000, **KW,
        ),
        lambda: services.sell(
            engine, project="CT-TEST", seller=OWNER, buyer=Buyer("person", "张三"),
            price_fen_per_t=10_000, use="personal", kg=1_000, vault=vault, **KW,
        ),
        lambda: services.retire(
            engine, project="CT-TEST", holder=COMPANY, beneficiary=Buyer("organisation", "会"),
            use="event_neutrality", kg=3_000, **KW,
        ),
    ]  # fmt: skip
    for step in steps:
        step()
    with engine.connect() as conn:
        size = read_head(conn).size
        fed = []
        for _seq, _kind, leaf, _hash in iter_leaves(conn, "main", 0, size):
            obj = orjson.loads(leaf)
            legs = tuple((p["account"], p["commodity"], p["amount"]) for p in obj["postings"])
            fed.append((obj["seq"], obj["kind"], obj["time"], obj["actor"], obj["body"], legs))
    projector = UnitsProjector()
    whole = projector.replay("main")
    for item in fed:
        whole.feed(*item)
    for cut in range(len(fed) + 1):
        first, second = projector.replay("main"), projector.replay("main")
        for item in fed[:cut]:
            first.feed(*item)
        for item in fed[cut:]:
            second.feed(*item)
        first.merge(second)
        assert vars(first) == vars(whole), cut
    with engine.connect() as conn:
        assert list(whole.findings(conn)) == []


def test_workers_find_what_one_process_finds(engine, retired, monkeypatch):
    body = {
        "serials": [["L1", 25, 26]], "project": "CT-TEST", "division": VILLAGE, "holder": OWNER,
        "beneficiary": {"type": "organisation", "name": "某会"}, "use": "other",
        "date": "2024-01-01",
    }  # fmt: skip
    postings = (
        Posting(OWNER, "CO2E", -2_000),
        Posting("Expenses:Retired:CarbonTicket", "CO2E", 2_000),
    )
    plant(engine, EntryDraft("units.retire", body, "attacker", postings))
    monkeypatch.setattr(verify, "CHUNK", 2)  # every entry in a chunk of its own, nearly
    alone = verify_log(engine, [], workers=1)
    assert "units.double_retirement" in codes(alone)
    assert verify_log(engine, [], workers=2) == alone
