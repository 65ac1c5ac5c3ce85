"""Bulk vault records (an import's buyers), on both databases: every record is stored as one
``put`` would store it, validated first (one bad value writes nothing), with fresh codes of
the buyer kind, owned by a bureau and seen in clear only by it."""

from __future__ import annotations

import pytest

from ledger.core.errors import ValidationError
from ledger.storage.db import read_transaction, write_transaction
from ledger.vault import masking
from ledger.vault.model import BUYER, CODE_RE, Viewer
from ledger.vault.service import codes_of, find_by, get, new_codes, put_many
from tests.storage.writer import table_state


def test_records_are_stored_in_order(engine, vault):
    names = [{"name": "张三华"}, {"name": " 欧阳  春华 "}, {"name": "李华"}]
    with write_transaction(engine) as conn:
        codes = put_many(conn, vault, BUYER, "350428", names)
    assert len(set(codes)) == 3 and all(CODE_RE.fullmatch(c) and c[0] == "B" for c in codes)
    with read_transaction(engine) as conn:
        records = [get(conn, vault, code) for code in codes]
        assert [r.fields["name"] for r in records] == ["张三华", "欧阳 春华", "李华"]
        assert find_by(conn, vault, "name", "欧阳春华", kind=BUYER) == [codes[1]]
        assert codes_of(conn, "350428", BUYER) == sorted(codes)
    bureau, village = Viewer("bureau", "350428"), Viewer("village", "350428")
    assert masking.view(records[0], bureau)["name"] == "张三华"
    assert masking.view(records[0], village)["name"] == "张*华"


def test_one_bad_value_writes_nothing(engine, vault):
    before = table_state(engine)
    with pytest.raises(ValidationError), write_transaction(engine) as conn:
        put_many(conn, vault, BUYER, "350428", [{"name": "张三"}, {"name": "  "}])
    assert table_state(engine) == before
    with pytest.raises(ValidationError), write_transaction(engine) as conn:
        put_many(conn, vault, BUYER, "350428102201", [{"name": "张三"}])  # not a bureau
    assert table_state(engine) == before


def test_codes_are_random_and_well_formed():
    codes = new_codes(BUYER, 10_000)
    assert len(set(codes)) == 10_000 and all(CODE_RE.fullmatch(c) for c in codes)
