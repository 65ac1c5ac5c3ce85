"""Vault fixtures: vaults with fixed test keys, an instance directory, sample people.

The sample ID numbers are valid (ISO 7064 MOD 11-2 check character worked by hand in
``test_fields.py``); they are made up.
"""

from __future__ import annotations

import pytest

from ledger.config import Settings
from ledger.vault import Vault

KEY_A = bytes(range(32))
KEY_B = bytes(range(100, 132))

VILLAGE = "350424101201"  # a 12-digit village division code
OTHER_VILLAGE = "350424101202"
COURT = "闽0627"  # a court code as written in case numbers

ZHANG = {
    "name": "张三华",
    "id_number": "350424198501011234",
    "phone": "13812345678",
    "bank_account": "6222020200112233445",
}
OUYANG = {
    "name": "欧阳春华",
    "id_number": "35042419780512003X",
    "phone": "0591-87654321",
    "bank_account": "6217001930012345678",
}
LI = {"name": "李华", "id_number": "350424197203151234", "phone": "13912340000"}


@pytest.fixture
def vault() -> Vault:
    return Vault.from_key(KEY_A)


@pytest.fixture
def other_vault() -> Vault:
    return Vault.from_key(KEY_B)


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    monkeypatch.delenv("LEDGER_VAULT_KEY", raising=False)
    return Settings(instance_path=tmp_path / "instance")
