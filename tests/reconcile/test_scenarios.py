"""Matching against the log's real retirements, on both databases: each finding class from a
constructed scenario made with the carbon units services (sales that retire, retirements for
a beneficiary or a court case, one-yuan purchases) and a registry export imported through the
real import path, and nothing else; a second run over the same data records nothing."""

from __future__ import annotations

import pytest

from ledger.reconcile import findings
from ledger.reconcile.findings import BENEFICIARY, DOUBLE, MATCHED, MISSING, QUANTITY, UNKNOWN
from ledger.reconcile.formats import LAYOUTS
from ledger.reconcile.imports import import_file
from ledger.reconcile.mapping import load_mapping
from ledger.reconcile.matching import match_registry
from ledger.services.log import read_entries, read_head
from ledger.services.verify import verify_log
from ledger.storage.db import read_transaction
from ledger.units import services
from ledger.units.services import Buyer, ProjectSpec
from tests.reconcile.test_formats import DATA
from tests.units import ACTOR, HUAWEI, OWNER, TENCENT, VILLAGE, make_lot

TODAY = "2026-03-01"  # with 14 days of grace: retirements before 2026-02-15 must show
OLD = "2025-05-01"
RECENT = "2026-02-25"
KW = {"actor": ACTOR, "within": None}
FIRST = 100_000_001
HEADER = (
    "Issuance Date,Sustainable Development Goals,Credit Type,Vintage Start,Vintage End,"
    "Reporting Period Start,Reporting Period End,ID,Name,Region,Country,Project Type,Methodology,"
    "Total Vintage Quantity,Quantity Issued,Serial Number,Additional Certifications,Is Cancelled,"
    "Retirement/Cancellation Date,Retirement Beneficiary,Retirement Reason,Retirement Details,"
    "Input Type,Holding ID"
)


def project(engine, code="VCS-1529", verra_id="1529", programme="vcs"):
    services.register_project(
        engine,
        ProjectSpec(code, programme, f"测试项目 {code}", OWNER, VILLAGE, "100",
                    ("2016-01-01", "2020-12-31"), registry_ids={"verra": verra_id}),
        **KW,
    )  # fmt: skip


@pytest.fixture
def lot(engine):
    """A Verra project of 常口村-like village 350428102201 with one lot of 1,000 t, serials
    100000001..100001000 (the registry's)."""
    project(engine)
    make_lot(engine, "VCS-1529", "V1", count=1_000, first=FIRST, serial_digits=9)
    return "VCS-1529"


def sell(engine, tonnes, on=OLD, name="华为技术有限公司", uscc=HUAWEI):
    return services.sell(
        engine, project="VCS-1529", seller=OWNER, buyer=Buyer("company", name, uscc),
        price_fen_per_t=1_500, use="compliance_offset", kg=tonnes * 1000, date=on, **KW,
    ).entry  # fmt: skip


def retire(engine, tonnes, on=OLD, *, name="腾讯科技（深圳）有限公司", claim="", lot_project=None):
    use = "judicial" if claim else "esg"
    buyer = Buyer("organisation", "顺昌县人民法院") if claim else Buyer("company", name, TENCENT)
    return services.retire(
        engine, project=lot_project or "VCS-1529", holder=OWNER, beneficiary=buyer, use=use,
        claim=claim, kg=tonnes * 1000, date=on, **KW,
    )  # fmt: skip


def serials(entry):
    ((_lot, first, last),) = entry.body["serials"]
    return first, last


def verra_row(start, end, on="02/06/2023", who="", details=""):
    serial = f"9001-{start}-{end}-VCS-VCU-263-VER-CN-14-1529-01012019-31122019-0"
    return (
        f"14/03/2022,,Emission Reduction,01/01/2019,31/12/2019,01/01/2019,31/12/2019,1529,"
        f'"Fujian Forestry Carbon, Phase I",Asia,China,AFOLU,AR-ACM0003,"120,000",'
        f'"{end - start + 1:,}",{serial},,False,{on},"{who}",Voluntary,"{details}",'
        f"Retirement,H-{start}"
    )


def match(engine, tmp_path, *rows, name="verra.csv"):
    """Import a Verra export of ``rows`` (may be none) and match; the new findings by class."""
    path = tmp_path / name
    path.write_text("\ufeff" + HEADER + "\r\n" + "".join(r + "\r\n" for r in rows), "utf-8")
    import_file(engine, path, LAYOUTS["verra"], actor="t")
    return match_registry(engine, "verra", today=TODAY, grace_days=14)


def recorded(engine):
    with read_transaction(engine) as conn:
        size = read_head(conn).size
        return [
            e.body for e in read_entries(conn, "main", 0, size) if e.kind == "reconcile.finding"
        ]


def test_a_sale_retired_for_its_buyer_and_shown_by_the_registry_is_matched(engine, lot, tmp_path):
    entry = sell(engine, 100)
    start, end = serials(entry)
    assert (start, end) == (FIRST, FIRST + 99)
    assert match(engine, tmp_path, verra_row(start, end, who="华为技术有限公司")) == {MATCHED: 1}
    (body,) = recorded(engine)
    assert body["serials"] == [[start, end]] and body["log_seqs"] == [entry.seq]
    assert body["divisions"] == ["350428"] and len(body["registry_rows"]) == 1
    # The same data again, and the same export again: nothing new.
    assert match_registry(engine, "verra", today=TODAY, grace_days=14) == {}
    assert match(engine, tmp_path, verra_row(start, end, who="华为技术有限公司")) == {}
    assert len(recorded(engine)) == 1
    assert verify_log(engine, []) == []


def test_a_retirement_the_registry_does_not_show_is_missing_after_the_grace_period(
    engine, lot, tmp_path
):
    old = retire(engine, 50, on=OLD)
    retire(engine, 10, on=RECENT)  # within the grace period: not yet a finding
    assert match(engine, tmp_path) == {MISSING: 1}
    (body,) = recorded(engine)
    assert body["log_seqs"] == [old.seq] and body["serials"] == [list(serials(old))]
    assert body["quantity"] == 50


def test_a_registry_row_covering_part_of_a_retirement_is_a_quantity_mismatch(engine, lot, tmp_path):
    start, end = serials(retire(engine, 100))
    found = match(engine, tmp_path, verra_row(start, start + 49, who="腾讯科技（深圳）有限公司"))
    assert found == {QUANTITY: 1}
    (body,) = recorded(engine)
    assert body["quantity"] == 50 and body["serials"] == [[start, end]]


def test_another_beneficiary_in_the_registry_is_a_beneficiary_mismatch(engine, lot, tmp_path):
    start, end = serials(retire(engine, 100))
    assert match(engine, tmp_path, verra_row(start, end, who="某某贸易有限公司")) == {
        BENEFICIARY: 1
    }


def test_a_court_case_is_matched_by_its_number_and_another_number_is_a_mismatch(
    engine, lot, tmp_path
):
    a = serials(retire(engine, 96, claim="(2022)闽0627刑初123号"))
    b = serials(retire(engine, 50, claim="(2023)闽0627刑初7号"))
    found = match(
        engine,
        tmp_path,
        # The exchange writes the case with full-width brackets in the details: the same case.
        verra_row(*a, who="顺昌县人民法院", details="司法碳汇 （2022）闽0627刑初123号"),
        verra_row(*b, who="顺昌县人民法院", details="司法碳汇 (2023)闽0627刑初8号"),
    )
    assert found == {MATCHED: 1, BENEFICIARY: 1}
    by_class = {b["class"]: b for b in recorded(engine)}
    assert by_class[BENEFICIARY]["serials"] == [list(b)]


def test_serials_retired_twice_in_the_registry(engine, lot, tmp_path):
    start, end = serials(sell(engine, 100))
    found = match(
        engine,
        tmp_path,
        verra_row(start, end, who="华为技术有限公司"),
        verra_row(start + 90, start + 109, who="另一家公司"),
    )
    # The second row retires 10 of the sale's serials again (a double retirement), and 10
    # tracked serials the log never retired (unknown); the sale itself is covered by more
    # than it retired (a quantity mismatch).
    assert found == {DOUBLE: 1, QUANTITY: 1, UNKNOWN: 1}
    double = next(b for b in recorded(engine) if b["class"] == DOUBLE)
    assert double["serials"] == [[start + 90, end]] and double["quantity"] == 10


def test_registry_rows_that_retire_only_each_other_are_one_double_retirement(engine, tmp_path):
    # A registry's own double retirement of units the log does not track.
    assert match(
        engine,
        tmp_path,
        verra_row(5_000_001, 5_000_100, who="甲"),
        verra_row(5_000_051, 5_000_150, who="乙"),
    ) == {DOUBLE: 1}


def test_the_same_registry_serials_retired_by_two_log_retirements(engine, lot, tmp_path):
    # The same Verra units were entered twice in the ledger, under two projects (the same
    # numbers with another prefix), and each record was retired for a buyer.
    project(engine, "VCS-1529-B", "1529")
    make_lot(engine, "VCS-1529-B", "V1B", count=100, first=FIRST, serial_digits=9)
    a = retire(engine, 100, on=RECENT)
    b = retire(engine, 100, on=RECENT, lot_project="VCS-1529-B")
    assert serials(a) == serials(b)
    assert match(engine, tmp_path) == {DOUBLE: 1}
    (body,) = recorded(engine)
    assert body["log_seqs"] == sorted([a.seq, b.seq]) and body["quantity"] == 100


def test_a_registry_retirement_of_tracked_units_the_log_never_retired_is_unknown(
    engine, lot, tmp_path
):
    assert match(engine, tmp_path, verra_row(FIRST + 500, FIRST + 549, who="某公司")) == {
        UNKNOWN: 1
    }
    (body,) = recorded(engine)
    assert body["serials"] == [[FIRST + 500, FIRST + 549]] and body["log_seqs"] == []
    # Units outside every lot the ledger tracks are none of its business.
    assert match(engine, tmp_path, verra_row(7_000_001, 7_000_010), name="other.csv") == {}


def test_one_yuan_purchases_through_a_mapping_without_blocks(engine, tmp_path):
    """One-yuan purchases (persons, never compared by name) against the Haixia exchange's
    export read through a column mapping; the project is registered there."""
    import os

    from ledger.units import oneyuan
    from ledger.vault.crypto import Vault

    services.register_project(
        engine,
        ProjectSpec("SC-001", "one_yuan", "一元碳汇 顺昌", OWNER, VILLAGE, "100",
                    ("2016-01-01", "2020-12-31"), registry_ids={"haixia": "SC-001"}),
        **KW,
    )  # fmt: skip
    make_lot(engine, "SC-001", "SC-2020", count=1_000, unit_kg=10, serial_prefix="")
    data = (
        "order_id,paid_at,buyer,amount_yuan,kg,certificate_no,project_code\n"
        "WX1,2024-05-01 10:00:00,张三华,12,120,C1,SC-001\n"
        "WX2,2024-05-02 10:00:00,李四,3,30,C2,SC-001\n"
    ).encode()
    result = oneyuan.import_purchases(
        engine, Vault.from_key(os.urandom(32)), data, actor="t", now="2026-01-01T00:00:00.000000Z"
    )
    assert result.imported == 2
    export = tmp_path / "haixia.csv"
    export.write_text(
        "项目编号,项目名称,年度,起始序号,终止序号,注销数量,注销日期,注销方,注销用途,备注\n"
        "SC-001,一元碳汇,2020,1,12,12,2024年5月1日,张*华,个人碳中和,\n",
        "utf-8",
    )
    import_file(engine, export, load_mapping(DATA / "haixia-mapping.json"), actor="t")
    assert match_registry(engine, "haixia", today=TODAY, grace_days=14) == {
        MATCHED: 1,
        MISSING: 1,
    }


def test_findings_from_real_retirements_are_acknowledged_and_shown_to_the_bureau(
    engine, lot, tmp_path
):
    retire(engine, 50)
    match(engine, tmp_path)
    (f,) = findings.list_findings(engine, "350428")
    entry = findings.acknowledge(
        engine, f.seq, "已向登记机构核实，补注销中", actor="user:1", division="350428", key="k"
    )
    assert entry.body["finding"] == f.seq
    assert findings.list_findings(engine, "350403") == []
    assert verify_log(engine, []) == []
