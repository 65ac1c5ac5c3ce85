"""The vault key (file, environment) and the cipher's bindings, without a database."""

from __future__ import annotations

import base64
import hmac
import os
import stat

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ledger.vault import Vault, VaultIntegrityError, VaultKeyError, ensure_vault_key
from ledger.vault.crypto import vault_key_path
from tests.vault.conftest import KEY_A, OTHER_VILLAGE, VILLAGE


def test_key_file_is_created_once_with_mode_0600(settings):
    path = vault_key_path(settings)
    assert path == settings.instance_path / "keys" / "vault.key"
    assert ensure_vault_key(settings) is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    assert len(base64.b64decode(path.read_bytes().strip(), validate=True)) == 32
    first = path.read_bytes()
    assert ensure_vault_key(settings) is False
    assert path.read_bytes() == first
    assert Vault.from_settings(settings).key_id == Vault.from_settings(settings).key_id


def test_two_instances_get_different_keys(tmp_path, monkeypatch):
    from ledger.config import Settings

    monkeypatch.delenv("LEDGER_VAULT_KEY", raising=False)
    a, b = Settings(instance_path=tmp_path / "a"), Settings(instance_path=tmp_path / "b")
    ensure_vault_key(a)
    ensure_vault_key(b)
    assert Vault.from_settings(a).key_id != Vault.from_settings(b).key_id


def test_environment_key_wins_and_creates_no_file(settings):
    env = {"LEDGER_VAULT_KEY": base64.b64encode(KEY_A).decode()}
    assert ensure_vault_key(settings, env) is False
    assert not vault_key_path(settings).exists()
    assert Vault.from_settings(settings, env).key_id == Vault.from_key(KEY_A).key_id


def test_environment_variable_is_read_from_os_environ(settings, monkeypatch):
    monkeypatch.setenv("LEDGER_VAULT_KEY", base64.b64encode(KEY_A).decode())
    assert Vault.from_settings(settings).key_id == Vault.from_key(KEY_A).key_id


@pytest.mark.parametrize("text", ["not base64!", base64.b64encode(b"short").decode()])
def test_malformed_keys_are_refused(settings, text):
    with pytest.raises(VaultKeyError) as err:
        Vault.from_settings(settings, {"LEDGER_VAULT_KEY": text})
    assert err.value.code == "vault.key_malformed"


def test_missing_key_is_a_clear_error(settings):
    with pytest.raises(VaultKeyError) as err:
        Vault.from_settings(settings)
    assert err.value.code == "vault.key_missing"
    assert "vault.key" in err.value.message


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_world_readable_key_file_is_refused(settings):
    ensure_vault_key(settings)
    vault_key_path(settings).chmod(0o644)
    with pytest.raises(VaultKeyError) as err:
        Vault.from_settings(settings)
    assert err.value.code == "vault.key_permissions"


def _hkdf(info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(KEY_A)


def test_working_keys_are_the_documented_hkdf_derivations(vault):
    enc = _hkdf(b"carbon-ledger/vault/v1/aes-256-gcm")
    mac = _hkdf(b"carbon-ledger/vault/v1/hmac-sha256-index")
    assert len({enc, mac, KEY_A}) == 3
    # an independent AES-GCM with the derived key and the documented associated data
    nonce = bytes(12)
    aad = b"carbon-ledger/vault/v2/field\x00H-0000000000AA\x00350424101201\x00name"
    sealed = AESGCM(enc).encrypt(nonce, "张三华".encode(), aad)
    assert vault.open("H-0000000000AA", VILLAGE, "name", nonce, sealed, vault.key_id) == "张三华"
    message = b"carbon-ledger/vault/v1/lookup\x00phone\x0013812345678"
    assert vault.lookup_hash("phone", "13812345678") == hmac.new(mac, message, "sha256").digest()
    assert vault.key_id == _hkdf(b"carbon-ledger/vault/v1/key-id")[:8].hex()
    for secret in (KEY_A, enc, mac):
        assert secret.hex() not in repr(vault)


def test_seal_uses_a_fresh_nonce_per_value(vault):
    a = vault.seal("H-0000000000AA", VILLAGE, "name", "张三华")
    b = vault.seal("H-0000000000AA", VILLAGE, "name", "张三华")
    assert len(a[0]) == 12 and a[0] != b[0] and a[1] != b[1]
    assert vault.open("H-0000000000AA", VILLAGE, "name", *a, vault.key_id) == "张三华"


def test_seal_many_seals_each_value_under_its_own_fresh_nonce(vault):
    values = [("B-0000000000AA", "name", "张三华"), ("B-0000000000AB", "name", "张三华")] * 2
    sealed = vault.seal_many("350424", values)
    assert len({nonce for nonce, _ in sealed}) == 4 and {len(n) for n, _ in sealed} == {12}
    assert len({ciphertext for _, ciphertext in sealed}) == 4
    for (code, field, clear), (nonce, ciphertext) in zip(values, sealed, strict=True):
        assert vault.open(code, "350424", field, nonce, ciphertext, vault.key_id) == clear
    with pytest.raises(VaultIntegrityError):  # bound to its record, as seal binds it
        vault.open("B-0000000000AB", "350424", "name", *sealed[0], vault.key_id)
    assert vault.seal_many("350424", []) == []


@pytest.mark.parametrize("value", ["", "13812345678", "欧阳春华", "x" * 200, "𠀀" * 50])
def test_lookup_hash_is_hmac_sha256_of_the_documented_message(vault, value):
    mac = _hkdf(b"carbon-ledger/vault/v1/hmac-sha256-index")
    message = b"carbon-ledger/vault/v1/lookup\x00name\x00" + value.encode()
    assert vault.lookup_hash("name", value) == hmac.new(mac, message, "sha256").digest()
    assert vault.lookup_hash("name", value) == vault.lookup_hash("name", value)  # pads reused


def test_ciphertext_is_bound_to_its_record_organisation_and_field(vault):
    sealed = vault.seal("H-0000000000AA", VILLAGE, "name", "张三华")
    for code, owner, field in (
        ("H-0000000000AB", VILLAGE, "name"),
        ("H-0000000000AA", OTHER_VILLAGE, "name"),
        ("H-0000000000AA", VILLAGE, "phone"),
    ):
        with pytest.raises(VaultIntegrityError) as err:
            vault.open(code, owner, field, *sealed, vault.key_id)
        assert err.value.code == "vault.tampered"
        assert "张三华" not in err.value.message


def test_a_value_sealed_before_the_organisation_binding_is_refused_not_opened(vault):
    """Values sealed with the first associated data (code and field, no organisation) cannot
    show which organisation they belong to: they are refused with their own code."""
    nonce = bytes(12)
    unbound = b"carbon-ledger/vault/v1/field\x00H-0000000000AA\x00name"
    sealed = AESGCM(_hkdf(b"carbon-ledger/vault/v1/aes-256-gcm")).encrypt(
        nonce, "张三华".encode(), unbound
    )
    for owner in (VILLAGE, OTHER_VILLAGE):
        with pytest.raises(VaultIntegrityError) as err:
            vault.open("H-0000000000AA", owner, "name", nonce, sealed, vault.key_id)
        assert err.value.code == "vault.unbound"
        assert "store it again" in err.value.message and "张三华" not in err.value.message


def test_wrong_key_is_reported_as_such(vault, other_vault):
    sealed = vault.seal("H-0000000000AA", VILLAGE, "name", "张三华")
    with pytest.raises(VaultKeyError) as err:
        other_vault.open("H-0000000000AA", VILLAGE, "name", *sealed, vault.key_id)
    assert err.value.code == "vault.wrong_key"
    assert vault.key_id in err.value.message and other_vault.key_id in err.value.message


def test_lookup_hash_is_keyed_and_separates_fields(vault, other_vault):
    h = vault.lookup_hash("phone", "13812345678")
    assert len(h) == 32
    assert h == vault.lookup_hash("phone", "13812345678")
    assert h != other_vault.lookup_hash("phone", "13812345678")
    assert h != vault.lookup_hash("bank_account", "13812345678")


@pytest.mark.parametrize("length", [32, 64, 65, 100])
def test_lookup_hash_is_hmac_sha256_for_an_index_key_of_any_length(length):
    key = bytes(range(length))
    vault = Vault("k", AESGCM(bytes(32)), key)
    message = b"carbon-ledger/vault/v1/lookup\x00name\x00" + "欧阳春华".encode()
    assert vault.lookup_hash("name", "欧阳春华") == hmac.new(key, message, "sha256").digest()
