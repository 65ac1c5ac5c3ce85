"""What an import writes is pinned byte for byte: with the log's time, its salts and the vault's
codes and nonces drawn from fixed streams, imports of fixed files (a few lines, then 600: more
than one multi-row statement) write the same leaves (the last leaf hash chains every leaf before
it), the same rows (postings, readers, sales register, holdings, vault records) and the same
vault look-up hashes on both databases. The figures were computed before the import was made
faster; a change to the write path that changes a byte of what is written fails here."""

from __future__ import annotations

import hashlib
import os
import secrets

import pytest
from sqlalchemy import select

from bench.units import purchases_csv
from ledger.services import log
from ledger.services.log import read_head
from ledger.storage.db import read_transaction
from ledger.storage.tables import LogEntry, LogEntryParty, LogPosting
from ledger.units import oneyuan
from ledger.units.projection import HOLDING_T, SALE_T
from ledger.vault import service as vault_service
from ledger.vault.crypto import Vault
from ledger.vault.tables import VaultFieldRow, VaultRecordRow
from tests.units import make_lot, make_project

NOW = "2026-01-01T00:00:00.000000Z"
HEADER = "order_id,paid_at,buyer,amount_yuan,kg,certificate_no,project_code"
LINES = (
    "WX001,2024-05-01 10:00:00,张三华,12,120,C001,SC-001",
    "WX002,2024-05-01T02:00:00Z,欧阳 春华,1,10,C002,SC-001",
    "WX003,2024-05-01T10:00:00+08:00,李四,3.00,30,C003,SC-001",
    "WX004,2024-05-02 00:00:01,Zoë 𠀀,50,500,C004,SC-001",
    "WX005,2024-05-02 23:59:59,王五,7,70,C005,SC-001",
)
#: The last leaf hash (chaining every leaf) and the digest of the rows, before the import was
#: made faster.
LAST_LEAF_HASH = "8d97f9e3c00b204430d908c7f743cef40109fb427c058bae48454e9bd34cd742"
ROWS_SHA256 = "4104bf2448c5402557ff63d4739c9fc3570c57c0683d7122fda3ed6bfc10ad8b"


class _Stream:
    """A fixed stream of bytes: each call takes the next ``n`` (so drawing 12 bytes ten times
    or 120 bytes once gives the same bytes)."""

    def __init__(self, seed: bytes):
        self.seed, self.counter, self.buffer = seed, 0, b""

    def __call__(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self.buffer += hashlib.sha256(self.seed + self.counter.to_bytes(8, "big")).digest()
            self.counter += 1
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out


@pytest.fixture
def fixed(monkeypatch):
    monkeypatch.setattr(os, "urandom", _Stream(b"urandom"))
    monkeypatch.setattr(secrets, "token_bytes", _Stream(b"token_bytes"))
    monkeypatch.setattr(log, "utc_now", lambda: NOW)
    monkeypatch.setattr(vault_service, "utc_now", lambda: NOW)


def _plain(value):
    """A column value as both databases give it back."""
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _rows_digest(conn) -> str:
    digest = hashlib.sha256()
    tables = (
        LogEntry.__table__, LogPosting.__table__, LogEntryParty.__table__, SALE_T, HOLDING_T,
        VaultRecordRow.__table__,
    )  # fmt: skip
    for table in tables:
        for row in sorted(tuple(r) for r in conn.execute(select(table))):
            digest.update(repr(tuple(_plain(v) for v in row)).encode())
    field = VaultFieldRow.__table__
    for row in sorted(conn.execute(select(field.c.code, field.c.field, field.c.lookup))):
        digest.update(repr((row[0], row[1], bytes(row[2]))).encode())
    return digest.hexdigest()


@pytest.mark.parametrize("chunk", [oneyuan.APPEND_CHUNK, 64], ids=["whole", "in-parts"])
def test_an_import_writes_the_pinned_bytes(engine, fixed, monkeypatch, chunk):
    """Appended at once or in parts of 64 purchases (as a large file is), the same bytes."""
    monkeypatch.setattr(oneyuan, "APPEND_CHUNK", chunk)
    make_project(engine, "SC-001", programme="one_yuan")
    make_lot(engine, "SC-001", "SC-001-2020", count=100_000, unit_kg=10)
    data = ("\n".join([HEADER, *LINES]) + "\n").encode()
    vault = Vault.from_key(bytes(range(32)))
    result = oneyuan.import_purchases(engine, vault, data, actor="test", now=NOW)
    assert result.imported == len(LINES)
    more = oneyuan.import_purchases(engine, vault, purchases_csv(600), actor="test", now=NOW)
    assert more.imported == 600
    with read_transaction(engine) as conn:
        head = read_head(conn)
        assert (head.last_leaf_hash.hex(), _rows_digest(conn)) == (LAST_LEAF_HASH, ROWS_SHA256)
