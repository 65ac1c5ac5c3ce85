"""Validation and normalisation of the vault's fields (pure)."""

from __future__ import annotations

import ast
import sys
import unicodedata
from pathlib import Path

import pytest

from ledger.core.errors import ValidationError
from ledger.vault.fields import id_check_char, normalise


def test_id_check_char_worked_by_hand():
    # 3 5 0 4 2 4 1 9 8 5 0 1 0 1 1 2 3  ×  7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
    # = 21+45+0+20+16+16+2+9+48+15+0+9+0+5+8+8+6 = 228; 228 mod 11 = 8 → "10X98765432"[8] = 4
    assert id_check_char("35042419850101123") == "4"


def test_id_check_char_of_the_standard_example_is_x():
    # GB 11643-1999's own example: 11010519491231002X
    assert id_check_char("11010519491231002") == "X"


@pytest.mark.parametrize(
    "given, stored",
    [
        ("350424198501011234", "350424198501011234"),
        ("35042419780512003x", "35042419780512003X"),
        (" 3504 2419 7805 1200 3X ", "35042419780512003X"),
        ("３５０４２４１９８５０１０１１２３４", "350424198501011234"),  # full-width digits
        ("11010519491231002X", "11010519491231002X"),
    ],
)
def test_id_numbers_are_normalised(given, stored):
    assert normalise("id_number", given) == (stored, stored)


@pytest.mark.parametrize(
    "bad",
    [
        "350424198501011235",  # wrong check digit
        "350424198501011 23",  # too short once spaces are gone
        "3504241985010112345",  # 19 characters
        "35042419850101123Y",  # not a check character
        "35042419850101123A",
        "35042418500101123" + id_check_char("35042418500101123"),  # born 1850
        "",
    ],
)
def test_bad_id_numbers_are_refused_without_echoing_them(bad):
    with pytest.raises(ValidationError) as err:
        normalise("id_number", bad)
    assert err.value.code == "vault.invalid_id_number"
    if bad.strip():
        assert bad not in err.value.message and bad not in str(err.value.details)


def test_a_bad_date_with_a_good_check_digit_is_refused():
    body = "35042419850230123"  # 30 February 1985
    with pytest.raises(ValidationError, match="date of birth"):
        normalise("id_number", body + id_check_char(body))


@pytest.mark.parametrize(
    "given, display, key",
    [
        ("13812345678", "13812345678", "13812345678"),
        ("138 1234 5678", "13812345678", "13812345678"),
        ("138-1234-5678", "13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678", "13812345678"),
        ("+8613812345678", "13812345678", "13812345678"),
        ("0086 13812345678", "13812345678", "13812345678"),
        ("8613812345678", "13812345678", "13812345678"),
        ("0591-87654321", "0591-87654321", "059187654321"),
        ("(0591) 8765 4321", "0591-87654321", "059187654321"),
        ("+86 591 87654321", "0591-87654321", "059187654321"),
        ("010-12345678", "010-12345678", "01012345678"),
        ("021 87654321", "021-87654321", "02187654321"),
        ("0599-7654321", "0599-7654321", "05997654321"),
    ],
)
def test_phones_are_normalised(given, display, key):
    assert normalise("phone", given) == (display, key)


@pytest.mark.parametrize(
    "bad", ["1381234567", "23812345678", "12812345678", "138123456789", "87654321", "abc", ""]
)
def test_bad_phones_are_refused(bad):
    with pytest.raises(ValidationError) as err:
        normalise("phone", bad)
    assert err.value.code == "vault.invalid_phone"


def test_names_are_nfc_and_looked_up_without_spaces():
    assert normalise("name", "  欧阳  春华 ") == ("欧阳 春华", "欧阳春华")
    decomposed = unicodedata.normalize("NFD", "José Núñez")
    assert decomposed != "José Núñez"
    assert normalise("name", decomposed) == ("José Núñez", "JoséNúñez")
    assert normalise("name", "买买提·艾力") == ("买买提·艾力", "买买提·艾力")


@pytest.mark.parametrize("bad", ["", "   ", "张\x00三", "张" * 101])
def test_bad_names_are_refused(bad):
    with pytest.raises(ValidationError):
        normalise("name", bad)


def test_bank_accounts_are_digits():
    assert normalise("bank_account", "6222 0202 0011 2233 445") == (
        "6222020200112233445",
        "6222020200112233445",
    )
    assert normalise("bank_account", "6222-0202-0011")[1] == "622202020011"
    for bad in ("1234567", "6222 0202 0011 22x3", "1" * 31):
        with pytest.raises(ValidationError):
            normalise("bank_account", bad)


def test_unknown_fields_and_non_text_are_refused():
    with pytest.raises(ValidationError) as err:
        normalise("email", "a@example.com")
    assert err.value.code == "vault.unknown_field"
    with pytest.raises(ValidationError):
        normalise("phone", 13812345678)


PURE = ("fields.py", "model.py", "masking.py")
ALLOWED = {"ledger.core.errors", "ledger.vault.fields", "ledger.vault.model", "__future__"}


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_import_only_the_standard_library_and_the_core(module):
    path = Path(__file__).resolve().parents[2] / "ledger" / "vault" / module
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            assert name in ALLOWED or top in sys.stdlib_module_names, f"{module} imports {name}"
