"""The ``carbon-ledger`` command line, run in-process with click's CliRunner on both databases.

Every command's output is checked with code that does not share the command's path: leaves
against the stored bytes, proofs with ``ledger.core.proof`` against signed roots, findings
against what the attacker touched.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key
from sqlalchemy import func, select, text

from ledger.cli import main
from ledger.core.note import Verifier, open_note, parse_checkpoint
from ledger.core.proof import verify_consistency, verify_inclusion
from ledger.services.keys import load_signer
from ledger.services.log import ENTRY, append_batch
from ledger.storage.db import make_engine
from tests.services import ANCHOR, ORIGIN, attack, draft, flip_leaf_byte, truncate


def run(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, (args, result.output)
    assert "Traceback" not in result.output
    return result


def json_lines(result: Result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def engine(instance, db_url):
    """The instance's database (an engine of the test's own, for checking)."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def fill(engine, start: int, stop: int) -> None:
    append_batch(engine, [draft(i) for i in range(start, stop)])


def stored_leaves(engine) -> dict[int, tuple[str, bytes]]:
    with engine.connect() as conn:
        rows = conn.execute(select(ENTRY.c.seq, ENTRY.c.kind, ENTRY.c.leaf)).all()
    return {seq: (kind, bytes(leaf)) for seq, kind, leaf in rows}


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def signed_root(note: str, verifier: Verifier) -> tuple[int, bytes]:
    cp = parse_checkpoint(open_note(note, [verifier]).text)
    assert cp.origin == ORIGIN
    return cp.size, cp.root


def verifier() -> Verifier:
    return Verifier.from_verifier_key(run("keys", "show").stdout.strip())


# -- an uninitialised database, then init ------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_url(request, tmp_path, monkeypatch):
    """A database with no tables, and an instance folder without a key."""
    monkeypatch.setenv("LEDGER_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("LEDGER_LOG_ORIGIN", ORIGIN)
    monkeypatch.delenv("LEDGER_DATABASE_URL", raising=False)
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    server = request.getfixturevalue("pg_server")
    name = f"{server.template}_blank"
    with server.admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.url(name)
    server.drop(name)


def test_uninitialised_database_is_a_clear_error_then_init_works(blank_url, tmp_path):
    (tmp_path / "instance" / "keys").mkdir(parents=True)
    load_key = tmp_path / "instance" / "keys" / "checkpoint-ed25519.pem"
    doc = tmp_path / "doc.txt"
    doc.write_text("x")
    for args in (
        ["log", "entries"],
        ["log", "checkpoint"],
        ["log", "prove-inclusion", "0", "--size", "1"],
        ["log", "prove-consistency", "1", "1"],
        ["log", "anchor", str(doc)],
    ):
        result = run(*args, "--db", blank_url, code=2)
        assert "not initialised" in result.stderr, result.output
        assert "carbon-ledger init" in result.stderr

    first = run("init", "--db", blank_url)
    assert f"signing key: {load_key} (created)" in first.stdout
    vault_key = load_key.with_name("vault.key")
    assert f"vault key: {vault_key} (created)" in first.stdout
    assert vault_key.stat().st_mode & 0o777 == 0o600
    assert load_key.stat().st_mode & 0o777 == 0o600
    again = run("init", "--db", blank_url)
    assert f"signing key: {load_key} (existing)" in again.stdout
    assert f"vault key: {vault_key} (existing)" in again.stdout
    vkey = first.stdout.split("verifier key: ")[1].split()[0]
    assert vkey == run("keys", "show").stdout.strip()
    assert run("log", "entries", "--db", blank_url).stdout == ""
    # an uninitialised database is also a clear error for verify once a key exists
    other = tmp_path / "other.db"
    result = run("log", "verify", "--db", f"sqlite:///{other}", code=2)
    assert "not initialised" in result.stderr

    demo = run("init", "--demo", "--db", blank_url)
    assert re.search(r"^checkpoint: size [1-9]\d*$", demo.stdout, re.M), demo.stdout
    assert "ok: the log verifies" in run("log", "verify", "--db", blank_url).stdout


# -- anchor ------------------------------------------------------------------------------


def test_anchor_appends_one_entry_per_file_in_one_transaction(instance, engine, tmp_path):
    files = [tmp_path / "判决书.pdf", tmp_path / "empty.bin", tmp_path / "minutes.txt"]
    contents = [b"%PDF-1.7 judgment", b"", "村民会议决议".encode()]
    for path, data in zip(files, contents, strict=True):
        path.write_bytes(data)
    out = json_lines(
        run("log", "anchor", *map(str, files), "--title", "案卷 (2022)闽0627刑初123号")
    )
    assert out == [
        {"seq": i, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for i, data in enumerate(contents)
    ]
    with engine.connect() as conn:
        rows = conn.execute(select(ENTRY).order_by(ENTRY.c.seq)).all()
        anchors = conn.execute(select(ANCHOR).order_by(ANCHOR.c.seq)).all()
    assert [r.kind for r in rows] == ["doc.anchor"] * 3
    assert len({r.time for r in rows}) == 1  # one batch, one transaction
    for row, data in zip(rows, contents, strict=True):
        body = json.loads(row.leaf)["body"]
        assert body == {
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "title": "案卷 (2022)闽0627刑初123号",
        }
    assert [(a.seq, a.title) for a in anchors] == [
        (i, "案卷 (2022)闽0627刑初123号") for i in range(3)
    ]


def test_anchor_with_a_missing_file_writes_nothing(instance, engine, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("good")
    missing = tmp_path / "nope.txt"
    result = run("log", "anchor", str(good), str(missing), code=2)
    assert result.stderr.startswith("error: ")
    assert "nope.txt" in result.stderr and "No such file" in result.stderr
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ENTRY)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(ANCHOR)).scalar_one() == 0
    assert run("log", "entries").stdout == ""
    run("log", "anchor", code=2)  # no file at all: a usage error


# -- entries -------------------------------------------------------------------------------


def test_entries_are_json_lines_of_the_exact_leaf_bytes(instance, engine):
    fill(engine, 0, 7)
    stored = stored_leaves(engine)
    lines = json_lines(run("log", "entries"))
    assert [e["seq"] for e in lines] == list(range(7))
    for e in lines:
        assert set(e) == {"seq", "kind", "leaf", "leaf_hash"}
        kind, leaf = stored[e["seq"]]
        assert e["kind"] == kind
        assert base64.b64decode(e["leaf"], validate=True) == leaf
        assert e["leaf_hash"] == leaf_hash(leaf).hex()
    window = json_lines(run("log", "entries", "--start", "2", "--end", "5"))
    assert window == lines[2:5]
    assert json_lines(run("log", "entries", "--start", "5", "--end", "99")) == lines[5:]
    assert run("log", "entries", "--start", "9").stdout == ""
    run("log", "entries", "--start", "-1", code=2)


# -- checkpoints -------------------------------------------------------------------------------


def test_checkpoint_prints_the_latest_and_signs_on_request(instance, engine):
    result = run("log", "checkpoint", code=2)
    assert "no checkpoint has been signed yet" in result.stderr
    fill(engine, 0, 4)
    signed = run("log", "checkpoint", "--sign").stdout
    assert signed_root(signed, verifier())[0] == 4
    assert run("log", "checkpoint").stdout == signed
    assert run("log", "checkpoint", "--sign").stdout == signed  # nothing new: the same one
    fill(engine, 4, 6)
    assert run("log", "checkpoint").stdout == signed
    newer = run("log", "checkpoint", "--sign").stdout
    assert signed_root(newer, verifier())[0] == 6


# -- proofs ----------------------------------------------------------------------------------


def test_inclusion_proofs_verify_against_signed_roots(instance, engine):
    fill(engine, 0, 6)
    six = run("log", "checkpoint", "--sign").stdout
    fill(engine, 6, 11)
    eleven = run("log", "checkpoint", "--sign").stdout
    stored = stored_leaves(engine)
    v = verifier()
    for note in (six, eleven):
        size, root = signed_root(note, v)
        for seq in range(size):
            doc = json.loads(run("log", "prove-inclusion", str(seq), "--size", str(size)).stdout)
            assert (doc["leaf_index"], doc["tree_size"]) == (seq, size)
            assert doc["root"] == root.hex()
            assert doc["leaf_hash"] == leaf_hash(stored[seq][1]).hex()
            proof = [bytes.fromhex(h) for h in doc["proof"]]
            verify_inclusion(leaf_hash(stored[seq][1]), seq, size, proof, root)

    result = run("log", "prove-inclusion", "0", "--size", "12", code=2)
    assert result.stderr == "error: size 12 is larger than the log (11 entries)\n"
    result = run("log", "prove-inclusion", "6", "--size", "6", code=2)
    assert "seq 6 is not in a tree of size 6" in result.stderr
    result = run("log", "prove-inclusion", "--size", "6", "--", "-1", code=2)
    assert result.stderr.startswith("error: ")
    run("log", "prove-inclusion", "0", code=2)  # --size is required
    run("log", "prove-inclusion", "x", "--size", "3", code=2)


def test_consistency_proofs_verify_between_signed_roots(instance, engine):
    notes, done = [], 0
    for stop in (1, 3, 4, 8, 13):
        fill(engine, done, stop)
        done = stop
        notes.append(run("log", "checkpoint", "--sign").stdout)
    v = verifier()
    roots = [signed_root(n, v) for n in notes]
    for i, (old, old_root) in enumerate(roots):
        for new, new_root in roots[i:]:
            doc = json.loads(run("log", "prove-consistency", str(old), str(new)).stdout)
            assert doc["old_root"] == old_root.hex() and doc["new_root"] == new_root.hex()
            proof = [bytes.fromhex(h) for h in doc["proof"]]
            verify_consistency(old, new, proof, old_root, new_root)
    assert "larger than the log" in run("log", "prove-consistency", "3", "14", code=2).stderr
    assert "old size must be in 1..3" in run("log", "prove-consistency", "4", "3", code=2).stderr
    assert "old size must be in 1..3" in run("log", "prove-consistency", "0", "3", code=2).stderr


# -- verify ---------------------------------------------------------------------------------


def test_verify_exit_codes_and_json(instance, engine):
    fill(engine, 0, 9)
    run("log", "checkpoint", "--sign")
    assert run("log", "verify").stdout == "ok: the log verifies\n"
    assert json.loads(run("log", "verify", "--json").stdout) == {"ok": True, "findings": []}

    attack(engine, flip_leaf_byte, 4, 30, 0x20)
    result = run("log", "verify", code=1)
    assert re.search(r"^\[main\] seq 4: leaf\.hash_mismatch: ", result.stdout, re.M), result.stdout
    assert result.stdout.rstrip().endswith("finding(s)")
    report = json.loads(run("log", "verify", "--json", code=1).stdout)
    assert report["ok"] is False and report["findings"]
    for finding in report["findings"]:
        assert set(finding) == {"code", "message", "seq", "log"}
        assert finding["log"] == "main"
    assert {"code": "leaf.hash_mismatch", "seq": 4} in [
        {"code": f["code"], "seq": f["seq"]} for f in report["findings"]
    ]


def test_verify_with_a_kept_checkpoint_detects_a_careful_truncation(instance, engine, tmp_path):
    fill(engine, 0, 10)
    kept = tmp_path / "kept-checkpoint.txt"
    kept.write_text(run("log", "checkpoint", "--sign").stdout, encoding="utf-8")
    assert run("log", "verify", "--checkpoint", str(kept)).stdout == "ok: the log verifies\n"

    attack(engine, truncate, 6, drop_checkpoints=True)
    assert run("log", "verify").stdout == "ok: the log verifies\n"  # nothing inside shows it
    result = run("log", "verify", "--checkpoint", str(kept), code=1)
    assert "seq 6: log.truncated" in result.stdout, result.stdout
    report = json.loads(run("log", "verify", "--json", "--checkpoint", str(kept), code=1).stdout)
    assert report["ok"] is False
    assert [(f["code"], f["seq"]) for f in report["findings"]] == [("log.truncated", 6)]
    run("log", "verify", "--checkpoint", str(tmp_path / "missing"), code=2)
    binary = tmp_path / "binary.bin"
    binary.write_bytes(b"\xff\xfe\x00checkpoint")
    result = run("log", "verify", "--checkpoint", str(binary), code=2)
    assert "not a UTF-8 text file" in result.stderr


def test_checkpoint_sign_refuses_a_log_cut_below_the_last_checkpoint(instance, engine):
    fill(engine, 0, 10)
    signed = run("log", "checkpoint", "--sign").stdout
    attack(engine, truncate, 6)
    result = run("log", "checkpoint", "--sign", code=2)
    assert result.stderr == "error: the log has 6 entries but checkpoint signed 10\n"
    assert run("log", "checkpoint").stdout == signed
    assert "seq 6: log.truncated" in run("log", "verify", code=1).stdout


def test_verify_rejects_a_checkpoint_from_another_key(instance, engine, tmp_path):
    fill(engine, 0, 3)
    note = run("log", "checkpoint", "--sign").stdout
    lines = note.split("\n")
    lines[1] = "2"
    forged = tmp_path / "forged.txt"
    forged.write_text("\n".join(lines), encoding="utf-8")
    report = json.loads(run("log", "verify", "--json", "--checkpoint", str(forged), code=1).stdout)
    assert [f["code"] for f in report["findings"]] == ["checkpoint.external"]


# -- keys ------------------------------------------------------------------------------------


def test_keys_show_and_pem(instance, monkeypatch, tmp_path):
    signer = load_signer(instance / "keys" / "checkpoint-ed25519.pem", ORIGIN)
    vkey = run("keys", "show").stdout.strip()
    assert re.fullmatch(rf"{re.escape(ORIGIN)}\+[0-9a-f]{{8}}\+[A-Za-z0-9+/]+=*", vkey)
    assert vkey == signer.verifier_key()
    assert Verifier.from_verifier_key(vkey).key_id == signer.key_id
    pem = run("keys", "show", "--pem").stdout.encode()
    public = load_pem_public_key(pem)
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert raw == signer.verifier().public_key_bytes
    assert base64.b64decode(vkey.split("+", 2)[2]) == b"\x01" + raw

    monkeypatch.setenv("LEDGER_SIGNING_KEY_PATH", str(tmp_path / "absent.pem"))
    result = run("keys", "show", code=2)
    assert "no signing key" in result.stderr and "carbon-ledger init" in result.stderr
