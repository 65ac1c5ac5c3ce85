"""Proof bundles on both databases: one checkpoint is signed per batch, and only when the latest
does not cover the entries; a seq the log does not have is refused; and a second, minimal
verifier written from ``docs/receipts.md`` alone (hashlib, base64, json and cryptography; none
of the project's code) accepts what the project issues and refuses what it must."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.core.errors import NotFoundError, ValidationError
from ledger.receipts.bundle import build, encode
from ledger.services.checkpoints import latest_checkpoint
from ledger.services.log import append_batch
from ledger.storage.db import read_transaction
from ledger.storage.tables import LogCheckpoint
from tests.receipts.conftest import ORIGIN, sale

# --- a verifier written from docs/receipts.md alone ------------------------------------------


class Refused(Exception):
    pass


def mini_verify(data: bytes, verifier_key: str) -> list[dict]:
    """Check a receipt.json as docs/receipts.md §1–§5 and §8 say; the entries it proves."""
    name, key_id_hex, key_b64 = verifier_key.split("+", 2)
    raw_key = base64.b64decode(key_b64)
    if raw_key[0] != 0x01:
        raise Refused("not an Ed25519 key")
    public = Ed25519PublicKey.from_public_bytes(raw_key[1:])
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + raw_key[1:]).digest()[:4]
    if key_id.hex() != key_id_hex:
        raise Refused("the verifier key's id does not match")
    value = json.loads(data)
    bundles = value if isinstance(value, list) else [value]
    proven = []
    for b in bundles:
        if b["format"] != "carbon-ledger-receipt/1":
            raise Refused("format")
        leaf = base64.b64decode(b["leaf"], validate=True)
        entry = json.loads(leaf)
        if entry["seq"] != b["leaf_index"]:
            raise Refused("the leaf is not at leaf_index")
        # §5: the note, its signature by the trusted key, the checkpoint lines
        text, _, signatures = b["checkpoint"].rpartition("\n\n")
        text += "\n"
        origin, size, root_b64 = text.split("\n")[:3]
        signed = False
        for line in signatures.splitlines():
            dash, key_name, sig_b64 = line.split(" ")
            sig = base64.b64decode(sig_b64)
            if dash != "—" or key_name != name or sig[:4] != key_id:
                continue
            try:
                public.verify(sig[4:], text.encode())
            except InvalidSignature:
                raise Refused("a bad signature by the trusted key") from None
            signed = True
        if not signed or origin != name:
            raise Refused("not signed by the trusted key")
        size, root = int(size), base64.b64decode(root_b64)
        if size != b["tree_size"] or not b["leaf_index"] < size:
            raise Refused("the checkpoint does not cover the entry")
        # §3, §4: fold the inclusion proof from the leaf hash
        fn, sn = b["leaf_index"], size - 1
        r = hashlib.sha256(b"\x00" + leaf).digest()
        for p in (bytes.fromhex(h) for h in b["inclusion"]):
            if sn == 0:
                raise Refused("the proof is too long")
            if fn & 1 or fn == sn:
                r = hashlib.sha256(b"\x01" + p + r).digest()
                while not fn & 1 and fn:
                    fn, sn = fn >> 1, sn >> 1
            else:
                r = hashlib.sha256(b"\x01" + r + p).digest()
            fn, sn = fn >> 1, sn >> 1
        if sn != 0 or r != root:
            raise Refused("the inclusion proof does not lead to the root")
        proven.append(entry)
    return proven


def _checkpoints(engine) -> int:
    with read_transaction(engine) as conn:
        return len(conn.execute(LogCheckpoint.__table__.select()).all())


def test_one_checkpoint_per_batch_and_none_when_the_latest_covers(any_book):
    book = any_book
    assert _checkpoints(book.engine) == 0
    bundles = build(book.engine, [book.sale, book.payout, book.note], book.signer, ORIGIN)
    assert _checkpoints(book.engine) == 1
    assert {b.tree_size for b in bundles} == {4}
    assert [b.leaf_index for b in bundles] == [book.sale, book.payout, book.note]
    again = build(book.engine, [book.sale2], book.signer, ORIGIN)
    assert _checkpoints(book.engine) == 1 and again[0].checkpoint == bundles[0].checkpoint

    append_batch(book.engine, [sale(f"{n:07d}") for n in range(10, 15)])
    old = build(book.engine, [book.sale], book.signer, ORIGIN)
    assert _checkpoints(book.engine) == 1 and old[0].tree_size == 4  # still covered
    new = build(book.engine, [8, book.sale, 6], book.signer, ORIGIN)
    assert _checkpoints(book.engine) == 2
    assert {b.tree_size for b in new} == {9} == {latest_checkpoint(book.engine).checkpoint.size}
    for b in new + bundles:
        assert mini_verify(encode([b]), book.signer.verifier_key())


def test_entries_the_log_does_not_have_are_refused(any_book):
    book = any_book
    with pytest.raises(NotFoundError) as refused:
        build(book.engine, [book.sale, 4], book.signer, ORIGIN)
    assert refused.value.code == "receipt.no_entry" and refused.value.details["seq"] == 4
    for bad in ([], [-1], ["1"], [True]):
        with pytest.raises(ValidationError):
            build(book.engine, bad, book.signer, ORIGIN)
    assert _checkpoints(book.engine) == 0  # nothing signed for a refused request


def test_the_minimal_verifier_accepts_what_is_issued_and_refuses_tampering(book):
    key = book.signer.verifier_key()
    one = encode(book.bundles(book.sale))
    (entry,) = mini_verify(one, key)
    assert entry["body"]["ticket"] == "0000001" and len(entry["body"]["salt"]) == 32
    several = encode(book.bundles(book.sale, book.note, book.payout))
    assert [e["seq"] for e in mini_verify(several, key)] == [0, 1, 2]

    bundle = json.loads(one)
    forged_leaf = json.loads(base64.b64decode(bundle["leaf"]))
    forged_leaf["postings"][1]["amount"] = 9_999_999
    forged_leaf["postings"][0]["amount"] = -9_999_999
    tampered = [
        {**bundle, "leaf": base64.b64encode(json.dumps(forged_leaf).encode()).decode()},
        {**bundle, "leaf_index": 1},
        {**bundle, "tree_size": bundle["tree_size"] + 1},
        {**bundle, "inclusion": bundle["inclusion"][:-1]},
        {**bundle, "checkpoint": bundle["checkpoint"].replace("\n4\n", "\n5\n")},
    ]
    for bad in tampered:
        with pytest.raises(Refused):
            mini_verify(json.dumps(bad).encode(), key)
    from ledger.core.note import Signer

    with pytest.raises(Refused):
        mini_verify(one, Signer.generate(ORIGIN).verifier_key())
