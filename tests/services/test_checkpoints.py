"""Signed checkpoints: the C2SP note, idempotent signing, consistency with the last checkpoint,
refusal to sign a rewritten log, append-only storage, and checks with ``openssl`` alone."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from ledger.core.entry import EntryDraft
from ledger.core.errors import NotFoundError
from ledger.core.hashing import EMPTY_ROOT
from ledger.core.merkle import CompactRange
from ledger.core.note import Signer, open_note, parse_checkpoint
from ledger.core.proof import verify_consistency
from ledger.services.checkpoints import InconsistentLog, latest_checkpoint, sign_checkpoint
from ledger.services.keys import load_signer
from ledger.services.log import ENTRY, append_batch, read_head
from ledger.services.tree import consistency_proof
from ledger.storage.db import read_transaction
from ledger.web import create_app
from tests.services import CHECKPOINT, ORIGIN, attack, draft, truncate

SIGNER = Signer.generate(ORIGIN)
CLI = Path(sys.executable).with_name("carbon-ledger")


def append(engine, start: int, stop: int) -> None:
    append_batch(engine, [draft(i) for i in range(start, stop)])


def stored(engine) -> list:
    with read_transaction(engine) as conn:
        return conn.execute(select(CHECKPOINT).order_by(CHECKPOINT.c.number)).all()


def leaf_root(engine, size: int) -> bytes:
    """The root recomputed from the stored leaves (not from stored tree nodes)."""
    tree = CompactRange()
    with read_transaction(engine) as conn:
        for (leaf,) in conn.execute(
            select(ENTRY.c.leaf).where(ENTRY.c.seq < size).order_by(ENTRY.c.seq)
        ):
            tree.append(hashlib.sha256(b"\x00" + bytes(leaf)).digest())
    assert tree.size == size
    return tree.root()


def test_sign_returns_the_c2sp_note(engine):
    append(engine, 0, 5)
    signed = sign_checkpoint(engine, SIGNER, ORIGIN)
    root = leaf_root(engine, 5)

    text_part, sig_part = signed.note.split("\n\n")
    assert text_part.split("\n") == [ORIGIN, "5", base64.b64encode(root).decode()]
    assert sig_part.endswith("\n") and sig_part.count("\n") == 1
    dash, name, b64 = sig_part[:-1].split(" ")
    assert (dash, name) == ("\u2014", ORIGIN)
    raw = base64.b64decode(b64, validate=True)
    assert raw[:4] == SIGNER.key_id and len(raw) == 4 + 64
    public = Ed25519PublicKey.from_public_bytes(SIGNER.verifier().public_key_bytes)
    public.verify(raw[4:], (text_part + "\n").encode())  # raises if invalid

    cp = parse_checkpoint(open_note(signed.note, [SIGNER.verifier()]).text)
    assert (cp.origin, cp.size, cp.root) == (ORIGIN, 5, root)
    assert signed.checkpoint == cp and signed.number == 0 and signed.log == "main"
    [row] = stored(engine)
    assert (row.number, row.size, bytes(row.root), row.key_id, row.note) == (
        0,
        5,
        root,
        SIGNER.key_id.hex(),
        signed.note,
    )
    assert latest_checkpoint(engine).note == signed.note


def test_no_checkpoint_yet_is_not_found(engine):
    with pytest.raises(NotFoundError) as info:
        latest_checkpoint(engine)
    assert info.value.code == "checkpoint.none"


def test_signing_again_without_new_entries_returns_the_same_checkpoint(engine):
    append(engine, 0, 3)
    first = sign_checkpoint(engine, SIGNER, ORIGIN)
    again = sign_checkpoint(engine, SIGNER, ORIGIN)
    assert again == first
    assert len(stored(engine)) == 1


def test_new_checkpoint_after_append_is_consistent_with_the_old(engine):
    empty = sign_checkpoint(engine, SIGNER, ORIGIN)
    assert (empty.checkpoint.size, empty.checkpoint.root) == (0, EMPTY_ROOT)
    append(engine, 0, 5)
    old = sign_checkpoint(engine, SIGNER, ORIGIN)
    append(engine, 5, 11)
    new = sign_checkpoint(engine, SIGNER, ORIGIN)
    assert [old.number, new.number] == [1, 2]
    assert (new.checkpoint.size, new.checkpoint.root) == (11, leaf_root(engine, 11))
    with read_transaction(engine) as conn:
        proof = consistency_proof(conn, "main", 5, 11)
    verify_consistency(5, 11, proof, old.checkpoint.root, new.checkpoint.root)
    assert [r.size for r in stored(engine)] == [0, 5, 11]
    assert latest_checkpoint(engine).number == 2


@pytest.mark.parametrize(
    ("cut", "regrow", "code"),
    [
        (5, 0, "checkpoint.log_shrunk"),  # cut back below the checkpoint
        (5, 3, "checkpoint.inconsistent"),  # rewritten to the same size
        (5, 7, "checkpoint.inconsistent"),  # rewritten and grown beyond it
        (0, 12, "checkpoint.inconsistent"),  # rewritten from the start
    ],
)
def test_refuses_to_sign_a_log_rewritten_below_the_last_checkpoint(engine, cut, regrow, code):
    append(engine, 0, 8)
    last = sign_checkpoint(engine, SIGNER, ORIGIN)
    attack(engine, truncate, cut)
    if regrow:
        append_batch(
            engine, [EntryDraft("test.note", {"forged": i}, "test:x") for i in range(regrow)]
        )
    with read_transaction(engine) as conn:
        size_before = read_head(conn).size
    with pytest.raises(InconsistentLog) as info:
        sign_checkpoint(engine, SIGNER, ORIGIN)
    assert info.value.code == code
    assert [r.note for r in stored(engine)] == [last.note]  # nothing written
    assert latest_checkpoint(engine) == last
    with read_transaction(engine) as conn:
        assert read_head(conn).size == size_before


def test_refuses_when_the_last_checkpoint_does_not_verify(engine):
    append(engine, 0, 4)
    last = sign_checkpoint(engine, SIGNER, ORIGIN)
    append(engine, 4, 6)

    def forge(conn):
        note = last.note.replace("\n4\n", "\n3\n")
        conn.execute(update(CHECKPOINT).values(note=note))

    attack(engine, forge)
    with pytest.raises(InconsistentLog) as info:
        sign_checkpoint(engine, SIGNER, ORIGIN)
    assert info.value.code == "checkpoint.previous_invalid"
    with pytest.raises(InconsistentLog):  # another key is no way around it
        sign_checkpoint(engine, Signer.generate(ORIGIN), ORIGIN)
    assert len(stored(engine)) == 1


def test_stored_checkpoints_are_append_only(engine):
    append(engine, 0, 2)
    sign_checkpoint(engine, SIGNER, ORIGIN)
    append(engine, 2, 3)
    sign_checkpoint(engine, SIGNER, ORIGIN)
    before = stored(engine)
    statements = [
        "UPDATE log_checkpoint SET size = 1 WHERE number = 1",
        "UPDATE log_checkpoint SET note = 'x'",
        "DELETE FROM log_checkpoint WHERE number = 1",
        "DELETE FROM log_checkpoint",
    ]
    if engine.dialect.name == "postgresql":
        statements.append("TRUNCATE log_checkpoint")
    for sql in statements:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    assert stored(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(CHECKPOINT)).scalar_one() == 2


# -- openssl, with no code of ours -----------------------------------------------------------


def openssl_verify(tmp_path: Path, pem: bytes, msg: bytes, sig: bytes) -> bool:
    (tmp_path / "pub.pem").write_bytes(pem)
    (tmp_path / "msg").write_bytes(msg)
    (tmp_path / "sig").write_bytes(sig)
    result = subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            str(tmp_path / "pub.pem"),
            "-rawin",
            "-in",
            str(tmp_path / "msg"),
            "-sigfile",
            str(tmp_path / "sig"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Signature Verified Successfully" in result.stdout or result.returncode != 0, result
    return result.returncode == 0


def split_note(note: str) -> tuple[bytes, bytes]:
    """(msg, sig) as the README's shell recipe cuts them: the text up to the blank line, and
    the base64-decoded signature minus its 4-byte key id."""
    text_part, sig_lines = note.split("\n\n")
    b64 = sig_lines.splitlines()[-1].split(" ")[2]
    return (text_part + "\n").encode(), base64.b64decode(b64)[4:]


def cli(*args: str) -> str:
    result = subprocess.run(
        [str(CLI), *args], capture_output=True, text=True, check=False, env=dict(os.environ)
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_openssl_verifies_the_checkpoints_the_app_emits(instance, db_url, tmp_path):
    engine_signer = load_signer(instance / "keys" / "checkpoint-ed25519.pem", ORIGIN)
    app = create_app({"database_url": db_url, "instance_path": str(instance), "TESTING": True})
    engine = app.extensions["ledger.engine"]
    try:
        append(engine, 0, 6)
        pem = cli("keys", "show", "--pem").encode()
        assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
        assert pem == engine_signer.verifier().pem()
        from_cli = cli("log", "checkpoint", "--sign")
        append(engine, 6, 9)
        sign_checkpoint(engine, engine_signer, ORIGIN)
        response = app.test_client().get("/log/checkpoint")
        assert response.status_code == 200
        assert response.mimetype == "text/plain"
        from_http = response.get_data(as_text=True)
    finally:
        engine.dispose()

    for note, size in ((from_cli, 6), (from_http, 9)):
        assert parse_checkpoint(open_note(note, [engine_signer.verifier()]).text).size == size
        msg, sig = split_note(note)
        assert len(sig) == 64
        assert openssl_verify(tmp_path, pem, msg, sig), note
        forged = msg.replace(f"\n{size}\n".encode(), f"\n{size + 1}\n".encode())
        assert forged != msg
        assert not openssl_verify(tmp_path, pem, forged, sig)
        assert not openssl_verify(tmp_path, pem, msg[:-1], sig)  # the newline is signed too
