"""Importing a roster on both databases: a file with one bad line of every class is refused
naming each line, and nothing is written (no entry, no roster, no vault record); a good file
puts names, ID numbers and bank accounts in the vault only: a dump of the whole database shows
none of them in clear; a new version keeps each household's vault record and says what
changed."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import func, select

from ledger.community import services
from ledger.core.errors import ConflictError, ValidationError
from ledger.services.log import read_head
from ledger.storage.db import read_transaction
from ledger.vault.service import get as vault_get
from ledger.vault.tables import VaultRecordRow
from tests.community import ACTOR, VAULT, Line, id_number, lines, roster_csv
from tests.units import VILLAGE

HEADER = "household_code,head_name,id_number,members,forest_area_mu,low_income,bank_account"
RECORDS = VaultRecordRow.__table__


def wrong_check(number: str) -> str:
    """The ID number with another check character."""
    return number[:17] + ("1" if number[17] != "1" else "2")


def state(engine) -> tuple[int, int, int]:
    with read_transaction(engine) as conn:
        size = read_head(conn).size
        members = conn.execute(select(func.count()).select_from(services.MEMBER_T)).scalar()
        records = conn.execute(select(func.count()).select_from(RECORDS)).scalar()
    return size, members, records


def test_every_bad_line_is_named_and_nothing_is_written(engine):
    good = f"CK001,张三,{id_number(1)},4,10.5,是,6222020200112233001"
    bad = [
        f"CK002,李四,{wrong_check(id_number(2))},3,20,否,6222020200112233002",
        f"CK003,王五,{id_number(3)},三,20,否,6222020200112233003",  # members not a number
        f"CK004,赵六,{id_number(4)},3,20.123,否,6222020200112233004",  # three decimals
        f"CK005,钱七,{id_number(5)},3,20,也许,6222020200112233005",  # low_income
        f"CK006,孙八,{id_number(6)},3,20,否,62220202ABC",  # bank account not digits
        f"CK001,周九,{id_number(7)},3,20,否,6222020200112233007",  # repeated code
        f"CK008,吴十,{id_number(8)},3,20,否",  # a value missing
        f"CK009,郑一,{id_number(1)},3,20,否,6222020200112233009",  # the same ID as line 2
    ]
    data = ("\n".join([HEADER, good, *bad]) + "\n").encode()
    before = state(engine)
    with pytest.raises(ValidationError) as err:
        services.import_roster(engine, VAULT, VILLAGE, data, actor=ACTOR, key="bad")
    assert err.value.code == "community.bad_lines"
    named = {e["line"]: e["code"] for e in err.value.details["errors"]}
    assert sorted(named) == list(range(3, 11))
    assert named[3].startswith("id_") and named[4] == "members" and named[5] == "area"
    assert named[6] == "low_income" and named[7] == "bank_account"
    assert named[8] == "code_repeated" and named[9] == "columns" and named[10] == "id_repeated"
    assert state(engine) == before


def test_personal_data_is_only_in_the_vault(engine, db_url, tmp_path):
    rows = lines(3)
    saved = services.import_roster(engine, VAULT, VILLAGE, roster_csv(rows), actor=ACTOR, key="r")
    assert (saved.version, saved.households) == (1, 3)
    with read_transaction(engine) as conn:
        members = services.members_of(conn, VILLAGE, 1)
        record = vault_get(conn, VAULT, members[0].vault)
    assert record.fields["id_number"] == rows[0].id_number
    assert record.fields["bank_account"] == rows[0].bank_account
    if engine.dialect.name == "sqlite":
        engine.dispose()  # the WAL checkpointed into the file
        dump = subprocess.run(
            ["sqlite3", db_url.removeprefix("sqlite:///"), ".dump"],
            capture_output=True, check=True,
        ).stdout.decode()  # fmt: skip
    else:
        url = engine.url.set(drivername="postgresql")
        dump = subprocess.run(
            ["pg_dump", url.render_as_string(hide_password=False)],
            capture_output=True, check=True,
        ).stdout.decode()  # fmt: skip
    assert "CK001" in dump  # the household codes are there
    for row in rows:
        assert row.id_number not in dump
        assert row.bank_account not in dump
        assert row.head_name not in dump


def test_a_new_version_keeps_the_vault_records_and_says_what_changed(engine):
    services.import_roster(engine, VAULT, VILLAGE, roster_csv(lines(3)), actor=ACTOR, key="v1")
    changed = lines(4)[1:]
    changed[0] = Line(**{**vars(changed[0]), "members": 9, "bank_account": "6222020200199999002"})
    data = roster_csv(changed)
    with read_transaction(engine) as conn:
        first = {m.household: m.vault for m in services.members_of(conn, VILLAGE, 1)}
        diff = services.diff_roster(conn, VAULT, VILLAGE, changed, "00" * 32)
    assert diff.version == 2
    assert diff.added == ["CK004"] and diff.removed == ["CK001"]
    assert diff.changed == [("CK002", ["members", "bank_account"])] and diff.unchanged == 1
    with pytest.raises(ConflictError):
        services.import_roster(
            engine, VAULT, VILLAGE, data, actor=ACTOR, key="v2x", expect_version=3
        )
    services.import_roster(engine, VAULT, VILLAGE, data, actor=ACTOR, key="v2", expect_version=2)
    with read_transaction(engine) as conn:
        second = {m.household: m.vault for m in services.members_of(conn, VILLAGE, 2)}
        account = vault_get(conn, VAULT, second["CK002"]).fields["bank_account"]
    assert second["CK002"] == first["CK002"] and second["CK003"] == first["CK003"]
    assert account == "6222020200199999002"
