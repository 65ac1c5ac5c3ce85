"""The one-yuan import on both databases: every class of bad line is reported with its line
number and reason (in the issue's order within a line) and then nothing is written; importing
again, or an overlapping file, writes nothing for the orders already in; a file of 100,000
purchases imports; names go to the vault, never into a leaf; the command line's output."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bench.units import purchases_csv
from ledger.core.errors import ValidationError
from ledger.services.log import read_entries
from ledger.services.verify import verify_log
from ledger.storage.db import read_transaction
from ledger.units import oneyuan, services
from ledger.units.projection import SALE_T
from ledger.vault.crypto import Vault
from ledger.vault.service import get as vault_get
from tests.storage.writer import table_state
from tests.units import make_lot, make_project

NOW = "2026-01-01T00:00:00.000000Z"
HEADER = "order_id,paid_at,buyer,amount_yuan,kg,certificate_no,project_code"
VAULT = Vault.from_key(os.urandom(32))


@pytest.fixture
def project(engine):
    make_project(engine, "SC-001", programme="one_yuan")
    make_lot(engine, "SC-001", "SC-001-2020", count=1_000, unit_kg=10)  # 10,000 kg
    make_project(engine, "CT-OTHER")  # not a one-yuan project
    return "SC-001"


def csv(*lines: str, bom: bool = False) -> bytes:
    text = "\n".join([HEADER, *lines]) + "\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def run(engine, data: bytes, **kwargs) -> oneyuan.ImportResult:
    return oneyuan.import_purchases(engine, VAULT, data, actor="test", now=NOW, **kwargs)


def refused(engine, data: bytes, **kwargs) -> list[tuple[int, str]]:
    before = table_state(engine)
    with pytest.raises(ValidationError) as err:
        run(engine, data, **kwargs)
    assert err.value.code == "oneyuan.bad_lines"
    assert table_state(engine) == before, "a refused file wrote something"
    return [(e["line"], e["code"]) for e in err.value.details["errors"]]


def test_good_purchases_are_retired_for_their_buyers(engine, project):
    result = run(
        engine,
        csv(
            "WX001,2024-05-01 10:00:00,张三华,12,120,C001,SC-001",
            "WX002,2024-05-01T02:00:00Z,欧阳春华,1,10,C002,SC-001",
            "WX003,2024-05-01T10:00:00+08:00,李四,3.00,30,C003,SC-001",
            bom=True,
        ),
    )
    assert result.as_json() == {
        "imported": 3, "skipped_existing": 0, "entries": 4,
        "first_seq": result.first_seq, "last_seq": result.first_seq + 3,
    }  # fmt: skip
    with read_transaction(engine) as conn:
        anchor, *purchases = read_entries(conn, "main", result.first_seq, result.last_seq + 1)
        assert anchor.kind == "doc.anchor" and anchor.body["sha256"] == result.sha256
        first = purchases[0]
        assert first.body["serials"] == [["SC-001-2020", 1, 12]]
        assert first.body["paid_at"] == "2024-05-01T02:00:00Z"  # Beijing 10:00
        assert purchases[1].body["paid_at"] == "2024-05-01T02:00:00Z"
        assert purchases[2].body["amount_fen"] == 300 and purchases[2].body["kg"] == 30
        assert sorted((p.account, p.commodity, p.amount) for p in first.postings) == sorted(
            [
                ("Assets:Village:350428102201:Collective", "CO2E", -120),
                ("Expenses:Retired:OneYuan", "CO2E", 120),
                ("Assets:Village:350428102201:Collective", "CNY", 1_200),
                ("Income:Village:350428102201:CarbonSales", "CNY", -1_200),
            ]
        )
        for p, name in zip(purchases, ("张三华", "欧阳春华", "李四"), strict=True):
            assert name.encode() not in p.leaf
            assert vault_get(conn, VAULT, p.body["buyer"]["code"]).fields["name"] == name
        assert services.remaining_kg(conn, services.get_project(conn, "SC-001")) == 10_000 - 160
    assert verify_log(engine, []) == []


def test_every_bad_line_is_reported_and_nothing_is_written(engine, project):
    run(engine, csv("WX-OLD,2024-05-01 10:00:00,王五,5,50,C900,SC-001"))
    errors = refused(
        engine,
        csv(
            "WX1,2024-05-01 10:00:00,张三,12,100,C1,SC-001",  # 2: kg ≠ 10 × yuan
            "WX2,2024-05-01 10:00:00,张三,0,0,C2,SC-001",  # 3: not positive
            "WX3,2024-05-01 10:00:00,张三,1.5,15,C3,SC-001",  # 4: not whole
            "WX4,2024-05-01 10:00:00,张三,1,10,C4,NO-SUCH",  # 5: unknown project
            "WX5,2024-05-01 10:00:00,张三,1,10,C5,CT-OTHER",  # 6: not a one-yuan project
            "WX6,2024-05-01 10:00:00,张三,1,10,C6,SC-001",
            "WX6,2024-05-01 10:00:00,张三,1,10,C6,SC-001",  # 8: repeats line 7
            "WX-OLD,2024-05-01 10:00:00,王五,6,60,C900,SC-001",  # 9: in the log, other amount
            "WX9,2024/05/01 10:00,张三,1,10,C9,SC-001",  # 10: malformed time
            "WX10,2024-02-30 10:00:00,张三,1,10,C10,SC-001",  # 11: no such day
            "WX11,2099-01-01 00:00:00,张三,1,10,C11,SC-001",  # 12: future
            "WX12,2024-05-01 10:00:00,张三,999,9990,C12,SC-001",  # 13: over-sells
            "WX13,2024-05-01 10:00:00,张三,1,10,C13",  # 14: a column missing
            "WX14,2024-05-01 10:00:00,张三,1,10,C14,SC-001,extra",  # 15: a column extra
            "WX15,2024-05-01 10:00:00,,1,10,C15,SC-001",  # 16: empty buyer
            "WX16,2024-05-01 10:00:00,张三,2,30,C16,NO-SUCH",  # 17: kg, then project
        ),
    )
    assert errors == [
        (2, "kg"),
        (3, "amount"),
        (4, "amount"),
        (5, "project"),
        (6, "project"),
        (8, "order_repeated"),
        (9, "order_conflict"),
        (10, "time"),
        (11, "time"),
        (12, "time_future"),
        (13, "oversold"),
        (14, "columns"),
        (15, "columns"),
        (16, "empty_value"),
        (17, "kg"),
        (17, "project"),
    ]


def test_the_reasons_say_what_is_wrong(engine, project):
    with pytest.raises(ValidationError) as err:
        run(engine, csv("WX1,2024-05-01 10:00:00,张三,12,100,C1,SC-001"))
    (error,) = err.value.details["errors"]
    assert error["line"] == 2
    assert error["reason"] == "kg must be 10 × amount_yuan (120), not 100"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"order_id,paid_at,buyer\nWX1,2024-05-01 10:00:00,x\n", [(1, "header")]),
        (b"", [(1, "no_rows")]),
        (HEADER.encode() + b"\n", [(2, "no_rows")]),
        (csv("WX1,2024-05-01 10:00:00,\xff,1,10,C1,SC-001".encode("latin-1").decode("latin-1"))
         .replace("ÿ".encode(), b"\xff"), [(2, "encoding")]),
    ],
)  # fmt: skip
def test_files_that_are_not_a_purchases_export(engine, project, data, expected):
    assert refused(engine, data) == expected


def test_over_selling_counts_the_lines_before(engine, project):
    lines = [f"WX{i},2024-05-01 10:00:00,张三,400,4000,C{i},SC-001" for i in range(3)]
    lines.append("WX9,2024-05-01 10:00:00,张三,200,2000,C9,SC-001")  # still fits: 10,000 kg
    assert refused(engine, csv(*lines)) == [(4, "oversold")]


def test_importing_again_writes_nothing_and_an_overlapping_file_only_the_new(engine, project):
    first = csv(*(f"WX{i},2024-05-01 10:00:{i:02d},张三,2,20,C{i},SC-001" for i in range(10)))
    assert run(engine, first).imported == 10
    before = table_state(engine)
    again = run(engine, first)
    assert again.as_json() == {
        "imported": 0, "skipped_existing": 10, "entries": 0, "first_seq": None, "last_seq": None,
    }  # fmt: skip
    assert table_state(engine) == before
    overlapping = csv(
        *(f"WX{i},2024-05-01 10:00:{i:02d},张三,2,20,C{i},SC-001" for i in range(5, 15))
    )
    result = run(engine, overlapping)
    assert (result.imported, result.skipped_existing) == (5, 5)
    with read_transaction(engine) as conn:
        assert conn.execute(select(func.count()).select_from(SALE_T)).scalar_one() == 15
    assert verify_log(engine, []) == []


def test_an_order_with_another_buyer_is_other_content(engine, project):
    run(engine, csv("WX1,2024-05-01 10:00:00,张三,2,20,C1,SC-001"))
    assert refused(engine, csv("WX1,2024-05-01 10:00:00,李四,2,20,C1,SC-001")) == [
        (2, "order_conflict")
    ]


def test_a_bureau_imports_only_into_its_division(engine, project):
    data = csv("WX1,2024-05-01 10:00:00,张三,2,20,C1,SC-001")
    assert refused(engine, data, within="350403") == [(2, "project")]
    assert run(engine, data, within="350428").imported == 1


@pytest.mark.slow
def test_a_file_of_100000_purchases_imports(engine):
    make_project(engine, "SC-BIG", programme="one_yuan")
    make_lot(engine, "SC-BIG", "SC-BIG-L1", count=5_000_000, unit_kg=10)
    result = run(engine, purchases_csv(100_000, project="SC-BIG"))
    assert (result.imported, result.entries) == (100_000, 100_001)
    with read_transaction(engine) as conn:
        assert conn.execute(select(func.count()).select_from(SALE_T)).scalar_one() == 100_000
        kg = conn.execute(select(func.sum(SALE_T.c.kg))).scalar_one()
        left = services.remaining_kg(conn, services.get_project(conn, "SC-BIG"))
    assert kg + left == 50_000_000
    assert run(engine, purchases_csv(100_000, project="SC-BIG")).skipped_existing == 100_000


# --- the command line ---------------------------------------------------------------------


@pytest.fixture
def cli(instance, engine, project, monkeypatch):
    from ledger.cli import main
    from ledger.config import load_settings
    from ledger.vault.crypto import ensure_vault_key

    ensure_vault_key(load_settings())
    return lambda *args: CliRunner().invoke(main, list(args))


def test_the_command_prints_json(cli, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(csv("WX1,2024-05-01 10:00:00,张三,2,20,C1,SC-001"))
    done = cli("oneyuan", "import", str(path), "--json")
    assert done.exit_code == 0, done.output
    assert set(json.loads(done.output)) == {
        "imported", "skipped_existing", "entries", "first_seq", "last_seq",
    }  # fmt: skip
    again = cli("oneyuan", "import", str(path), "--json")
    assert json.loads(again.output)["skipped_existing"] == 1
    path.write_bytes(
        csv("WX2,2024-05-01 10:00:00,张三,2,21,C2,SC-001", "WX3,x,张三,1,10,C3,SC-001")
    )
    bad = cli("oneyuan", "import", str(path), "--json")
    assert bad.exit_code == 1
    assert json.loads(bad.output) == {
        "errors": [
            {"line": 2, "reason": "kg must be 10 × amount_yuan (20), not 21"},
            {"line": 3, "reason": (
                "paid_at must be a Beijing time YYYY-MM-DD HH:MM:SS, or ISO 8601 with an offset"
            )},
        ]
    }  # fmt: skip
    plain = cli("oneyuan", "import", str(path))
    assert plain.exit_code == 1 and "line 2: kg must be" in plain.output
    missing = cli("oneyuan", "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2 and missing.output.startswith("error: cannot read")
