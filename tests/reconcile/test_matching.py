"""Each finding class from a constructed scenario, and nothing else; findings are recorded
once however often the same data is matched; acknowledgements are log entries too."""

from __future__ import annotations

import pytest

from ledger.core.errors import ConflictError, NotFoundError, ValidationError
from ledger.reconcile import findings
from ledger.reconcile.findings import (
    BENEFICIARY,
    DOUBLE,
    MATCHED,
    MISSING,
    QUANTITY,
    UNKNOWN,
    Found,
    record,
)
from ledger.reconcile.formats import LAYOUTS
from ledger.reconcile.imports import import_file
from ledger.reconcile.matching import (
    LogRetirement,
    RegistryRange,
    Tracked,
    compare,
    match_registry,
    registry_doubles,
    same_party,
)
from ledger.services.log import read_entries, read_head
from ledger.storage.db import read_transaction

BLOCK = "GS1-1-CN-GS2345-12-2016-12345"
TODAY = "2026-03-01"
D = ("350428",)


def reg(start, end, beneficiary="顺昌县某公司", sha=None, block=BLOCK):
    return RegistryRange(
        block, start, end, sha or f"{start:032x}{end:032x}", beneficiary, "2025-06-01"
    )


def logged(seq, start, end, beneficiary="顺昌县某公司", on="2025-05-01", block=BLOCK):
    return LogRetirement(seq, block, start, end, beneficiary, on, D)


LOT = (Tracked(BLOCK, 1, 100_000, D),)


def classes(log, rows, tracked=LOT):
    return [f.cls for f in compare("gs", log, rows, tracked, missing_before=TODAY)]


def test_matched():
    assert classes([logged(1, 1, 500)], [reg(1, 500)]) == [MATCHED]


def test_missing_in_registry_only_after_the_grace_period():
    assert classes([logged(1, 1, 500, on="2025-05-01")], []) == [MISSING]
    assert classes([logged(1, 1, 500, on="2026-03-01")], []) == []  # still within grace


def test_quantity_mismatch():
    (found,) = compare("gs", [logged(1, 1, 500)], [reg(1, 400)], LOT, missing_before=TODAY)
    assert found.cls == QUANTITY and found.quantity == 100
    assert found.serials == ((1, 500),)
    assert classes([logged(1, 1, 500)], [reg(1, 600)]) == [QUANTITY, UNKNOWN]


def test_beneficiary_or_case_mismatch():
    assert classes(
        [logged(1, 1, 96, "(2022)闽0627刑初123号")], [reg(1, 96, "(2022)闽0627刑初124号")]
    ) == [BENEFICIARY]
    # Full-width brackets and spaces are the same case number.
    assert classes(
        [logged(1, 1, 96, "(2022)闽0627刑初123号")], [reg(1, 96, "（2022） 闽0627刑初123号")]
    ) == [MATCHED]
    # A person named only by a vault code is not compared.
    assert classes([logged(1, 1, 96, "")], [reg(1, 96, "张三")]) == [MATCHED]


def test_double_retirement_in_the_registry():
    rows = [reg(1, 500, sha="a" * 64), reg(400, 600, sha="b" * 64)]
    (found,) = list(registry_doubles(rows, "gs", D))
    assert found.cls == DOUBLE and found.serials == ((400, 500),) and found.quantity == 101
    assert set(found.registry_rows) == {"a" * 64, "b" * 64}


def test_double_retirement_by_two_log_retirements():
    found = list(
        compare(
            "gs", [logged(1, 1, 500), logged(2, 500, 500)], [reg(1, 500)], LOT, missing_before=TODAY
        )
    )
    doubles = [f for f in found if f.cls == DOUBLE]
    assert (
        len(doubles) == 1 and doubles[0].serials == ((500, 500),) and doubles[0].log_seqs == (1, 2)
    )


def test_unknown_retirement_of_tracked_units():
    (found,) = compare("gs", [], [reg(200, 299)], LOT, missing_before=TODAY)
    assert found.cls == UNKNOWN and found.serials == ((200, 299),) and found.quantity == 100
    # Units the log does not track are none of its business.
    assert classes([], [reg(200, 299, block="GS1-1-CN-GS9999-12-2016-1")]) == []
    # Only the part outside the log's retirement is unknown.
    found = list(
        compare("gs", [logged(1, 1, 250)], [reg(1, 250), reg(251, 300)], LOT, missing_before=TODAY)
    )
    assert [(f.cls, f.serials) for f in found] == [(MATCHED, ((1, 250),)), (UNKNOWN, ((251, 300),))]


def test_overlap_is_found_without_expanding_serials():
    """Ranges of billions of serials cost one comparison each."""
    huge = 10**15
    tracked = (Tracked(BLOCK, 1, 2 * huge, D),)
    found = list(compare("gs", [logged(1, 1, huge)], [reg(1, huge)], tracked, missing_before=TODAY))
    assert [f.cls for f in found] == [MATCHED]


def test_same_party():
    assert same_party("Acme Trading Co.", "acme trading co.")
    assert not same_party("Acme", "Acme Ltd")


# --- against the database -------------------------------------------------------------------


def _kinds(engine, kind):
    with read_transaction(engine) as conn:
        size = read_head(conn).size
        return [e for e in read_entries(conn, "main", 0, size) if e.kind == kind]


def test_registry_doubles_are_recorded_once(engine, tmp_path):
    data = (
        "GSID,Project Name,Vintage,Serial Number,Quantity,Country,Product Type,Retirement Date,"
        "Using Entity,Note\n"
        f"2345,P,2016,{BLOCK}-1-500,500,China,VER,2021-03-12,A,\n"
        f"2345,P,2016,{BLOCK}-401-600,200,China,VER,2021-04-12,B,\n"
    )
    path = tmp_path / "gs.csv"
    path.write_text(data)
    result = import_file(
        engine, path, LAYOUTS["gs"], actor="t", match=lambda e, r: match_registry(e, r, D)
    )
    assert result.findings == {DOUBLE: 1}
    (entry,) = _kinds(engine, findings.FINDING_KIND)
    assert entry.body["serials"] == [[401, 500]] and entry.body["divisions"] == ["350428"]
    assert match_registry(engine, "gs", D) == {}  # the same data again: nothing new
    assert len(_kinds(engine, findings.FINDING_KIND)) == 1
    (shown,) = findings.list_findings(engine, "35")
    assert (shown.cls, shown.first_serial, shown.last_serial, shown.quantity) == (
        DOUBLE,
        401,
        500,
        100,
    )
    assert findings.list_findings(engine, "350403") == []  # another county's bureau


def test_acknowledging_a_finding(engine):
    record(engine, [Found(MISSING, "gs", BLOCK, ((1, 5),), 5, log_seqs=(0,), divisions=D)], "t")
    (f,) = findings.list_findings(engine, "350428")
    with pytest.raises(NotFoundError):
        findings.acknowledge(engine, f.seq, "查明", actor="user:1", division="350403", key="k0")
    with pytest.raises(ValidationError):
        findings.acknowledge(
            engine, f.seq, "请联系 13800138000", actor="user:1", division="350428", key="k1"
        )
    entry = findings.acknowledge(
        engine, f.seq, "已向交易中心核实", actor="user:1", division="350428", key="k2"
    )
    assert entry.kind == findings.ACK_KIND and entry.body["note"] == "已向交易中心核实"
    again = findings.acknowledge(
        engine, f.seq, "已向交易中心核实", actor="user:1", division="350428", key="k2"
    )
    assert again.seq == entry.seq  # a retried form appends once
    with pytest.raises(ConflictError):
        findings.acknowledge(engine, f.seq, "再次", actor="user:1", division="350428", key="k3")
    assert findings.get_finding(engine, f.seq).acknowledged_seq == entry.seq
    summary = findings.summary(engine, "350428")
    assert summary[MISSING] == {"count": 1, "open": 0, "quantity": 5}


def test_log_verify_rederives_the_findings_projection(engine):
    from ledger.services.verify import verify_log
    from tests.services.test_checkpoints import SIGNER

    record(engine, [Found(MISSING, "gs", BLOCK, ((1, 5),), 5, log_seqs=(0,), divisions=D)], "t")
    (f,) = findings.list_findings(engine, "350428")
    findings.acknowledge(engine, f.seq, "已核实", actor="user:1", division="350428", key="k")
    assert verify_log(engine, [SIGNER.verifier()]) == []
