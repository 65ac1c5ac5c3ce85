"""The leaves a finalisation writes are pinned: with the clock, the salts and the vault's codes
fixed, finalising the same distribution writes the same bytes on every database, whatever
the append path does to get there faster."""

from __future__ import annotations

import hashlib
import types

from ledger.services import log
from ledger.services.log import read_entries, read_head
from ledger.vault import service as vault_service
from tests.community import finalised

#: The log's Merkle root after :func:`tests.community.finalised` with the inputs fixed below
#: (computed before the append path was changed, 2026-12-01).
ROOT = "35741c4f73cf05753f6301e03f6db493198032360e48ac7afe4c1fb71dadfa93"
#: The leaf of the first household's allocation entry.
FIRST_ALLOCATION = (
    '{"actor":"test:village:350428102201","body":{"amount_fen":22301,"distribution":"'
    '350428102201-001","household":"CK001","position":0,"salt":"b66439e602d61438bdb7d'
    '1baeae2237c","vault":"H-4ZZV6V5Q88VZ","village":"350428102201"},"kind":"communit'
    'y.allocation","postings":[{"account":"Assets:Village:350428102201:Collective:Sha'
    'ring","amount":-22301,"commodity":"CNY"},{"account":"Assets:Village:350428102201'
    ':Household:H-4ZZV6V5Q88VZ:Pending","amount":22301,"commodity":"CNY"}],"prev":"c3'
    'de6cc3a68b729f44a1333636618f9252b41ff6c98cbf5eb548ab0beafd4d60","seq":10,"time":'
    '"2021-07-10T02:03:04.000005Z","v":1}'
)


def _stream(label: str):
    """Deterministic bytes in place of a source of random ones."""
    counter = iter(range(10**9))

    def take(n: int) -> bytes:
        out = b""
        while len(out) < n:
            out += hashlib.sha256(f"{label}:{next(counter)}".encode()).digest()
        return out[:n]

    return take


def test_a_finalised_distribution_writes_the_leaves_it_always_wrote(engine, monkeypatch):
    monkeypatch.setattr(log, "utc_now", lambda: "2021-07-10T02:03:04.000005Z")
    monkeypatch.setattr(log, "os", types.SimpleNamespace(urandom=_stream("salt")))
    monkeypatch.setattr(
        vault_service, "secrets", types.SimpleNamespace(token_bytes=_stream("code"))
    )
    d = finalised(engine, n=5)
    with engine.connect() as conn:
        head = read_head(conn)
        entries = list(read_entries(conn, "main", 0, head.size))
    first = next(e for e in entries if e.kind == "community.allocation")
    assert d.households == 5
    assert first.leaf.decode() == FIRST_ALLOCATION
    assert head.root.hex() == ROOT
