"""The vault on SQLite and PostgreSQL: round trip, look-up, keys, tampering, erasure."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from ledger.core.errors import ConflictError, NotFoundError, ValidationError
from ledger.storage.db import read_transaction, write_transaction
from ledger.vault import (
    ERASED,
    Vault,
    VaultIntegrityError,
    VaultKeyError,
    Viewer,
    codes_of,
    erase,
    find_by,
    get,
    put,
    view,
)
from ledger.vault import update as vault_update
from ledger.vault.model import CODE_RE
from ledger.vault.tables import VaultFieldRow, VaultRecordRow
from tests.vault.conftest import COURT, LI, OTHER_VILLAGE, OUYANG, VILLAGE, ZHANG

FIELD = VaultFieldRow.__table__
RECORD = VaultRecordRow.__table__


def _put(engine, vault, fields, kind="household", owner=VILLAGE) -> str:
    with write_transaction(engine) as conn:
        return put(conn, vault, kind, owner, fields)


def _get(engine, vault, code):
    with read_transaction(engine) as conn:
        return get(conn, vault, code)


def _find(engine, vault, field, value, **kw):
    with read_transaction(engine) as conn:
        return find_by(conn, vault, field, value, **kw)


def test_round_trip(engine, vault):
    h = _put(engine, vault, ZHANG)
    d = _put(engine, vault, OUYANG, kind="defendant", owner=COURT)
    assert CODE_RE.fullmatch(h) and h.startswith("H-")
    assert CODE_RE.fullmatch(d) and d.startswith("D-")
    record = _get(engine, vault, h)
    assert record.fields == ZHANG
    assert (record.code, record.kind, record.owner_org) == (h, "household", VILLAGE)
    assert record.created_at.endswith("Z") and record.erased_at is None and not record.erased
    other = _get(engine, vault, d)
    assert other.fields == OUYANG and other.kind == "defendant" and other.owner_org == COURT
    with read_transaction(engine) as conn:
        assert codes_of(conn, VILLAGE) == [h]
        assert codes_of(conn, COURT, "defendant") == [d]


def test_values_are_stored_in_their_normal_form(engine, vault):
    code = _put(
        engine,
        vault,
        {
            "name": " 欧阳  春华 ",
            "id_number": "3504 2419 7805 1200 3x",
            "phone": "+86 591 8765 4321",
            "bank_account": "6217 0019 3001 2345 678",
        },
    )
    assert _get(engine, vault, code).fields == {
        "name": "欧阳 春华",
        "id_number": "35042419780512003X",
        "phone": "0591-87654321",
        "bank_account": "6217001930012345678",
    }


def test_view_of_a_stored_record(engine, vault):
    code = _put(engine, vault, ZHANG)
    record = _get(engine, vault, code)
    assert view(record, Viewer("village", VILLAGE))["id_number"] == ZHANG["id_number"]
    masked = view(record, Viewer("village", OTHER_VILLAGE))
    assert masked["name"] == "张*华" and masked["id_number"] == "3504**********1234"


@pytest.mark.parametrize(
    "field, query",
    [
        ("id_number", "35042419780512003x"),
        ("id_number", " 3504 2419 7805 1200 3X "),
        ("phone", "+86 591 8765 4321"),
        ("phone", "(0591) 87654321"),
        ("name", "欧阳 春华"),
        ("name", " 欧 阳 春 华 "),
        ("bank_account", "6217-0019-3001-2345-678"),
    ],
)
def test_find_by_keyed_hash_of_the_normalised_value(engine, vault, field, query):
    _put(engine, vault, ZHANG)
    code = _put(engine, vault, OUYANG)
    assert _find(engine, vault, field, query) == [code]


def test_find_by_mobile_in_every_format(engine, vault):
    code = _put(engine, vault, ZHANG)
    for query in ("13812345678", "+86 138 1234 5678", "0086-138-1234-5678", "8613812345678"):
        assert _find(engine, vault, "phone", query) == [code]
    assert _find(engine, vault, "phone", "13812345679") == []


def test_find_by_returns_every_match_and_filters(engine, vault):
    a = _put(engine, vault, {"name": "李华", "phone": "13912340000"})
    b = _put(engine, vault, {"name": "李华"}, owner=OTHER_VILLAGE)
    c = _put(engine, vault, {"name": "李华"}, kind="defendant", owner=COURT)
    assert _find(engine, vault, "name", "李华") == sorted([a, b, c])
    assert _find(engine, vault, "name", "李华", owner_org=VILLAGE) == [a]
    assert _find(engine, vault, "name", "李华", kind="defendant") == [c]
    assert _find(engine, vault, "name", "李 华", kind="household", owner_org=OTHER_VILLAGE) == [b]


def test_find_by_with_another_key_finds_nothing(engine, vault, other_vault):
    _put(engine, vault, ZHANG)
    assert _find(engine, other_vault, "id_number", ZHANG["id_number"]) == []


def test_wrong_key_cannot_decrypt(engine, vault, other_vault):
    code = _put(engine, vault, ZHANG)
    with pytest.raises(VaultKeyError) as err:
        _get(engine, other_vault, code)
    assert err.value.code == "vault.wrong_key"
    assert err.value.status == 500
    for value in ZHANG.values():
        assert value not in err.value.message and value not in str(err.value.details)


def test_wrong_key_even_with_a_forged_key_id_fails_authentication(engine, vault, other_vault):
    code = _put(engine, vault, ZHANG)
    with write_transaction(engine) as conn:
        conn.execute(update(FIELD).where(FIELD.c.code == code).values(key_id=other_vault.key_id))
    with pytest.raises(VaultIntegrityError):  # AES-GCM's tag (InvalidTag) does not verify
        _get(engine, other_vault, code)


def test_swapped_ciphertexts_between_records_are_detected(engine, vault):
    a = _put(engine, vault, ZHANG)
    b = _put(engine, vault, LI)
    with write_transaction(engine) as conn:
        row = conn.execute(
            select(FIELD.c.nonce, FIELD.c.ciphertext).where(
                FIELD.c.code == a, FIELD.c.field == "id_number"
            )
        ).one()
        conn.execute(
            update(FIELD)
            .where(FIELD.c.code == b, FIELD.c.field == "id_number")
            .values(nonce=row.nonce, ciphertext=row.ciphertext)
        )
    with pytest.raises(VaultIntegrityError) as err:
        _get(engine, vault, b)
    assert err.value.code == "vault.tampered"
    assert err.value.details == {"code": b, "field": "id_number", "key_id": vault.key_id}
    assert _get(engine, vault, a).fields == ZHANG


def test_a_record_moved_to_another_organisation_does_not_decrypt(engine, vault):
    """The owner is bound into every value's associated data: re-pointing a record (and so
    its ciphertexts) at another village in SQL makes its values refuse to open, and copying
    a value into a record of the other village does too."""
    moved = _put(engine, vault, ZHANG)
    theirs = _put(engine, vault, LI, owner=OTHER_VILLAGE)
    with write_transaction(engine) as conn:
        conn.execute(update(RECORD).where(RECORD.c.code == moved).values(owner_org=OTHER_VILLAGE))
        row = conn.execute(
            select(FIELD.c.nonce, FIELD.c.ciphertext).where(
                FIELD.c.code == moved, FIELD.c.field == "phone"
            )
        ).one()
        conn.execute(
            update(FIELD)
            .where(FIELD.c.code == theirs, FIELD.c.field == "phone")
            .values(nonce=row.nonce, ciphertext=row.ciphertext)
        )
    for code in (moved, theirs):
        with pytest.raises(VaultIntegrityError) as err:
            _get(engine, vault, code)
        assert err.value.code == "vault.tampered"
        assert "moved to another organisation" in err.value.message
        assert ZHANG["phone"] not in err.value.message
    with write_transaction(engine) as conn:
        conn.execute(update(RECORD).where(RECORD.c.code == moved).values(owner_org=VILLAGE))
    assert _get(engine, vault, moved).fields == ZHANG  # back where it belongs, it opens


def test_swapped_ciphertexts_between_fields_are_detected(engine, vault):
    code = _put(engine, vault, ZHANG)
    with write_transaction(engine) as conn:
        rows = {
            r.field: r
            for r in conn.execute(
                select(FIELD.c.field, FIELD.c.nonce, FIELD.c.ciphertext).where(FIELD.c.code == code)
            )
        }
        for field, source in (("name", "phone"), ("phone", "name")):
            conn.execute(
                update(FIELD)
                .where(FIELD.c.code == code, FIELD.c.field == field)
                .values(nonce=rows[source].nonce, ciphertext=rows[source].ciphertext)
            )
    with pytest.raises(VaultIntegrityError):
        _get(engine, vault, code)


def test_an_altered_ciphertext_is_detected(engine, vault):
    code = _put(engine, vault, ZHANG)
    with write_transaction(engine) as conn:
        sealed = conn.execute(
            select(FIELD.c.ciphertext).where(FIELD.c.code == code, FIELD.c.field == "name")
        ).scalar_one()
        flipped = bytes([sealed[0] ^ 1]) + bytes(sealed[1:])
        conn.execute(
            update(FIELD)
            .where(FIELD.c.code == code, FIELD.c.field == "name")
            .values(ciphertext=flipped)
        )
    with pytest.raises(VaultIntegrityError):
        _get(engine, vault, code)


def test_erasure(engine, vault):
    code = _put(engine, vault, ZHANG)
    keep = _put(engine, vault, LI)
    with write_transaction(engine) as conn:
        erased_at = erase(conn, code)
    assert erased_at.endswith("Z")
    record = _get(engine, vault, code)
    assert record.erased and record.erased_at == erased_at and record.fields == {}
    assert (record.code, record.kind, record.owner_org) == (code, "household", VILLAGE)
    shown = view(record, Viewer("village", VILLAGE))
    assert shown["erased"] is True and shown["id_number"] == ERASED and shown["name"] == ERASED
    for field, value in ZHANG.items():
        assert _find(engine, vault, field, value) == []
    with read_transaction(engine) as conn:
        assert conn.execute(select(func.count()).where(FIELD.c.code == code)).scalar_one() == 0
        assert conn.execute(select(RECORD.c.erased_at).where(RECORD.c.code == code)).scalar_one()
        assert codes_of(conn, VILLAGE) == [keep]
        # erasing again changes nothing
    with write_transaction(engine) as conn:
        assert erase(conn, code) == erased_at
    assert _get(engine, vault, keep).fields == LI
    with write_transaction(engine) as conn, pytest.raises(ConflictError):
        vault_update(conn, vault, code, {"name": "张三华"})


def test_update_sets_replaces_and_removes_fields(engine, vault):
    code = _put(engine, vault, ZHANG)
    with write_transaction(engine) as conn:
        record = vault_update(
            conn, vault, code, {"phone": "+86 139 0000 1111", "bank_account": None}
        )
    assert record.fields == {
        "name": ZHANG["name"],
        "id_number": ZHANG["id_number"],
        "phone": "13900001111",
    }
    assert _get(engine, vault, code).fields == record.fields
    assert _find(engine, vault, "phone", ZHANG["phone"]) == []
    assert _find(engine, vault, "phone", "13900001111") == [code]
    assert _find(engine, vault, "bank_account", ZHANG["bank_account"]) == []
    with write_transaction(engine) as conn, pytest.raises(ValidationError):
        vault_update(conn, vault, code, {"name": None, "id_number": None, "phone": None})
    assert _get(engine, vault, code).fields == record.fields


def test_a_bad_value_in_an_update_writes_nothing(engine, vault):
    code = _put(engine, vault, ZHANG)
    with write_transaction(engine) as conn, pytest.raises(ValidationError):
        vault_update(conn, vault, code, {"phone": "13900001111", "id_number": "350424198501011235"})
    assert _get(engine, vault, code).fields == ZHANG


@pytest.mark.parametrize(
    "kind, owner, fields, code",
    [
        (
            "household",
            VILLAGE,
            {"name": "张华", "id_number": "350424198501011235"},
            "vault.invalid_id_number",
        ),
        ("household", VILLAGE, {"name": "张华", "phone": "1381234567"}, "vault.invalid_phone"),
        ("household", VILLAGE, {"name": "张华", "email": "a@b.example"}, "vault.unknown_field"),
        ("household", VILLAGE, {}, "vault.no_fields"),
        ("household", VILLAGE, {"name": None}, "vault.no_fields"),
        ("household", "3504", {"name": "张华"}, "vault.invalid_owner_org"),
        ("defendant", "闽 0627", {"name": "张华"}, "vault.invalid_owner_org"),
        ("defendant", "", {"name": "张华"}, "vault.invalid_owner_org"),
        ("villager", VILLAGE, {"name": "张华"}, "vault.unknown_kind"),
    ],
)
def test_put_refuses_bad_input_and_writes_nothing(engine, vault, kind, owner, fields, code):
    with write_transaction(engine) as conn, pytest.raises(ValidationError) as err:
        put(conn, vault, kind, owner, fields)
    assert err.value.code == code
    with read_transaction(engine) as conn:
        assert conn.execute(select(func.count()).select_from(RECORD)).scalar_one() == 0


def test_unknown_codes_are_not_found(engine, vault):
    with read_transaction(engine) as conn, pytest.raises(NotFoundError) as err:
        get(conn, vault, "H-0000000000AA")
    assert err.value.code == "vault.not_found"
    with write_transaction(engine) as conn:
        with pytest.raises(NotFoundError):
            erase(conn, "H-0000000000AA")
        with pytest.raises(NotFoundError):
            vault_update(conn, vault, "D-0000000000AA", {"name": "张华"})


def test_find_by_refuses_malformed_queries(engine, vault):
    with read_transaction(engine) as conn:
        with pytest.raises(ValidationError):
            find_by(conn, vault, "id_number", "350424198501011235")
        with pytest.raises(ValidationError):
            find_by(conn, vault, "email", "a@example.com")


def test_vault_shares_the_callers_transaction(engine, vault):
    with pytest.raises(RuntimeError), write_transaction(engine) as conn:
        put(conn, vault, "household", VILLAGE, ZHANG)
        raise RuntimeError("the log append failed")
    with read_transaction(engine) as conn:
        assert conn.execute(select(func.count()).select_from(RECORD)).scalar_one() == 0


def test_key_file_vault_round_trip(engine, settings):
    from ledger.vault import ensure_vault_key

    ensure_vault_key(settings)
    code = _put(engine, Vault.from_settings(settings), ZHANG)
    assert _get(engine, Vault.from_settings(settings), code).fields == ZHANG
