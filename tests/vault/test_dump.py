"""A database dump must contain no personal data in clear, and no vault key.

SQLite: the ``iterdump()`` SQL text and the raw bytes of the database file and its WAL.
PostgreSQL: a full ``pg_dump`` of the test database. Searched for every value as given, as
stored and as normalised for the keyed hash (the HMAC input), in UTF-8 (and GBK/UTF-16 in
the raw bytes) and as the hex a dump writes for binary columns.
"""

from __future__ import annotations

import base64
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.engine import make_url

from ledger.storage.db import write_transaction
from ledger.vault import Vault, ensure_vault_key, erase, put
from ledger.vault.crypto import vault_key_path
from ledger.vault.fields import normalise
from tests.vault.conftest import COURT, LI, OUYANG, VILLAGE, ZHANG

PG_DUMP_CANDIDATES = ("pg_dump", "/usr/lib/postgresql/15/bin/pg_dump")

#: Stored as typed by a clerk: spaces, lowercase x, +86.
OUYANG_AS_TYPED = {
    "name": "欧阳 春华",
    "id_number": "3504 2419 7805 1200 3x",
    "phone": "+86 591 8765 4321",
    "bank_account": "6217 0019 3001 2345 678",
}
ERASED_ONE = {"name": "王五六", "id_number": "350424199310081234", "phone": "13700001234"}


def _secrets_of(people: list[dict[str, str]]) -> set[str]:
    """Every form in which a person's data could leak: as typed, as stored, as hashed."""
    found: set[str] = set()
    for person in people:
        for field, value in person.items():
            norm = normalise(field, value)
            found |= {value, norm.display, norm.key, norm.key.lower()}
            if field == "phone" and norm.key.startswith("0"):
                found.add(norm.key[1:])  # the local part with area code, no trunk zero
    return found


def _hmac_inputs(people: list[dict[str, str]]) -> set[bytes]:
    inputs = set()
    for person in people:
        for field, value in person.items():
            key = normalise(field, value).key
            inputs.add(
                b"\x00".join((b"carbon-ledger/vault/v1/lookup", field.encode(), key.encode()))
            )
    return inputs


def _key_material(master: bytes) -> set[bytes]:
    derived = {
        HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)
        for info in (
            b"carbon-ledger/vault/v1/aes-256-gcm",
            b"carbon-ledger/vault/v1/hmac-sha256-index",
        )
    }
    return {master, *derived}


def _assert_clean_text(dump: str, secrets: set[str], inputs: set[bytes], keys: set[bytes]):
    lowered = dump.lower()
    for secret in secrets:
        assert secret not in dump, "personal data in clear in the dump"
        assert secret.encode().hex() not in lowered, "personal data as a hex blob in the dump"
    for message in inputs:
        assert message.hex() not in lowered
        assert message.decode() not in dump
    for key in keys:
        assert key.hex() not in lowered
        assert base64.b64encode(key).decode() not in dump


def _assert_clean_bytes(raw: bytes, secrets: set[str], inputs: set[bytes], keys: set[bytes]):
    for secret in secrets:
        # other encodings only for longer values: 4 random bytes must not match by chance
        for encoding in ("utf-8", "utf-16-le", "gbk") if len(secret) >= 3 else ("utf-8",):
            assert secret.encode(encoding) not in raw, f"personal data in clear ({encoding})"
    for message in inputs:
        assert message not in raw
    for key in keys:
        assert key not in raw and base64.b64encode(key) not in raw


def _fill(engine, vault: Vault) -> list[str]:
    with write_transaction(engine) as conn:
        codes = [
            put(conn, vault, "household", VILLAGE, ZHANG),
            put(conn, vault, "household", VILLAGE, OUYANG_AS_TYPED),
            put(conn, vault, "defendant", COURT, LI),
        ]
        gone = put(conn, vault, "household", VILLAGE, ERASED_ONE)
    with write_transaction(engine) as conn:
        erase(conn, gone)
    return [*codes, gone]


def _pg_dump() -> str | None:
    for candidate in PG_DUMP_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def test_a_database_dump_holds_no_personal_data_nor_key(db_url, engine, settings):
    assert ensure_vault_key(settings)
    key_file = vault_key_path(settings)
    master = base64.b64decode(key_file.read_bytes())
    vault = Vault.from_settings(settings)
    codes = _fill(engine, vault)

    people = [ZHANG, OUYANG, OUYANG_AS_TYPED, LI, ERASED_ONE]
    secrets, inputs, keys = _secrets_of(people), _hmac_inputs(people), _key_material(master)
    assert "35042419780512003X" in secrets and "欧阳春华" in secrets and "13812345678" in secrets

    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        # raw bytes first, while the connection is open and the rows may still be in the WAL
        files = [p for p in (path, Path(f"{path}-wal")) if p.exists()]
        raw = b"".join(p.read_bytes() for p in files)
        assert any(code.encode() in raw for code in codes), "control: the vault rows are there"
        _assert_clean_bytes(raw, secrets, inputs, keys)
        with sqlite3.connect(path) as db:
            dump = "\n".join(db.iterdump())
        engine.dispose()  # checkpoints the WAL into the main file
        _assert_clean_bytes(path.read_bytes(), secrets, inputs, keys)
    else:
        binary = _pg_dump()
        if binary is None:
            if os.environ.get("CI") == "true":
                pytest.fail("pg_dump is required under CI")
            pytest.skip("pg_dump is not installed")
        env = {**os.environ, "PGPASSWORD": url.password or ""}
        dump = subprocess.run(
            [
                binary,
                "--no-owner",
                "--host",
                url.host or "127.0.0.1",
                "--port",
                str(url.port or 5432),
                "--username",
                url.username or "postgres",
                "--dbname",
                url.database,
            ],
            check=True,
            capture_output=True,
            env=env,
            timeout=120,
        ).stdout.decode()
        _assert_clean_bytes(dump.encode(), secrets, inputs, keys)

    for code in codes:  # control: the dump holds the vault's rows (codes are not secret)
        assert code in dump
    assert "vault_field" in dump and VILLAGE in dump
    _assert_clean_text(dump, secrets, inputs, keys)
    assert key_file.read_bytes().strip().decode() not in dump
