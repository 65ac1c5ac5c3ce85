"""Masks and who sees clear values (pure)."""

from __future__ import annotations

import pytest

from ledger.vault import ERASED, VaultRecord, Viewer, mask, view, visible
from tests.vault.conftest import COURT, OTHER_VILLAGE, OUYANG, VILLAGE, ZHANG


@pytest.mark.parametrize(
    "field, clear, masked",
    [
        ("name", "张华", "张*"),
        ("name", "张三华", "张*华"),
        ("name", "欧阳春华", "欧**华"),
        ("name", "欧阳华", "欧*华"),
        ("name", "买买提·艾力", "买****力"),
        ("name", "张", "*"),
        ("id_number", "350424198501011234", "3504**********1234"),
        ("id_number", "35042419780512003X", "3504**********003X"),
        ("phone", "13812345678", "138****5678"),
        ("phone", "0591-87654321", "0591-****4321"),
        ("phone", "010-12345678", "010-****5678"),
        ("phone", "0599-7654321", "0599-***4321"),
        ("bank_account", "6222020200112233445", "****3445"),
        ("bank_account", "62220202", "****0202"),
    ],
)
def test_mask_table(field, clear, masked):
    assert mask(field, clear) == masked


def test_masks_keep_no_more_than_they_should():
    assert mask("id_number", "350424198501011234").count("*") == 10
    assert len(mask("bank_account", "6222020200112233445")) == len(mask("bank_account", "62220202"))


@pytest.mark.parametrize(
    "kind, owner, role, org, clear",
    [
        ("household", VILLAGE, "village", VILLAGE, True),
        ("household", VILLAGE, "village", OTHER_VILLAGE, False),
        ("household", VILLAGE, "court", VILLAGE, False),
        ("household", VILLAGE, "bureau", VILLAGE, False),
        ("household", VILLAGE, "village", None, False),
        ("defendant", COURT, "court", COURT, True),
        ("defendant", COURT, "court", "闽0628", False),
        ("defendant", COURT, "village", COURT, False),
        ("defendant", COURT, "bureau", None, False),
        ("unknown", VILLAGE, "village", VILLAGE, False),
    ],
)
def test_visible_only_to_the_owning_role_of_the_owning_org(kind, owner, role, org, clear):
    assert visible(kind, owner, role, org) is clear


def _record(**changes) -> VaultRecord:
    base = {
        "code": "H-0123456789AB",
        "kind": "household",
        "owner_org": VILLAGE,
        "fields": dict(ZHANG),
        "created_at": "2026-11-23T00:00:00.000000Z",
        "updated_at": "2026-11-23T00:00:00.000000Z",
    }
    return VaultRecord(**{**base, **changes})


def test_view_for_the_owner_is_clear():
    shown = view(_record(), Viewer("village", VILLAGE))
    assert shown == {
        "code": "H-0123456789AB",
        "kind": "household",
        "owner_org": VILLAGE,
        "erased": False,
        "masked": False,
        **ZHANG,
    }


def test_view_for_others_is_masked():
    shown = view(_record(), Viewer("bureau", "3504"))
    assert shown["masked"] is True
    assert shown["name"] == "张*华"
    assert shown["id_number"] == "3504**********1234"
    assert shown["phone"] == "138****5678"
    assert shown["bank_account"] == "****3445"


def test_view_of_missing_and_erased_fields():
    partial = _record(fields={"name": OUYANG["name"]})
    shown = view(partial, Viewer("court", COURT))
    assert shown["name"] == "欧**华"
    assert shown["id_number"] is None and shown["phone"] is None
    erased = _record(fields={}, erased_at="2026-11-24T00:00:00.000000Z")
    for viewer in (Viewer("village", VILLAGE), Viewer("bureau")):
        shown = view(erased, viewer)
        assert shown["erased"] is True
        assert {shown[f] for f in ("name", "id_number", "phone", "bank_account")} == {ERASED}


def test_records_never_print_personal_data():
    text = repr(_record()) + str(_record())
    for value in ZHANG.values():
        assert value not in text
