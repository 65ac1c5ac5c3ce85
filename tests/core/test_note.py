"""ledger.core.note: C2SP signed notes and checkpoints, against published vectors and openssl.

Vectors: ``tests/vectors/signed-note/signed-note.json`` (see its README): the Go
``golang.org/x/mod/sumdb/note`` golden note, the C2SP spec example and a checkpoint over the
RFC 6962 reference tree. Ed25519 is deterministic, so signing must reproduce them byte for byte.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from ledger.core.hashing import EMPTY_ROOT, leaf_hash
from ledger.core.merkle import CompactRange
from ledger.core.note import (
    Checkpoint,
    Note,
    NoteError,
    NoteSignature,
    Signer,
    Verifier,
    key_id,
    open_note,
    parse_checkpoint,
    parse_note,
    sign_note,
)
from tests.core.vectors import signed_note

DATA = signed_note()
VECTORS: list[dict[str, Any]] = DATA["vectors"]
SIGNED = [v for v in VECTORS if "signer_key" in v]
CHECKPOINT = next(v for v in VECTORS if "origin" in v)
GOLDEN = next(v for v in VECTORS if v["name"] == "go-sumdb-note-golden")
ROOT8 = bytes.fromhex(CHECKPOINT["root_hash_hex"])


def _ids(v: dict[str, Any]) -> str:
    return str(v["name"])


def test_vectors_present() -> None:
    assert [v["name"] for v in VECTORS] == [
        "go-sumdb-note-golden",
        "c2sp-signed-note-example",
        "checkpoint-size-8",
    ]
    assert [v["name"] for v in SIGNED] == ["go-sumdb-note-golden", "checkpoint-size-8"]


# -- the published vectors -----------------------------------------------------------------------


@pytest.mark.parametrize("vec", VECTORS, ids=_ids)
def test_verifier_key_parses_and_round_trips(vec: dict[str, Any]) -> None:
    v = Verifier.from_verifier_key(vec["verifier_key"])
    name, hex8, _ = vec["verifier_key"].split("+", 2)
    assert v.name == name
    assert v.key_id == bytes.fromhex(hex8)
    assert v.key_id == key_id(name, v.public_key_bytes)
    assert len(v.public_key_bytes) == 32
    assert v.verifier_key() == vec["verifier_key"]
    assert Verifier.from_public_key(name, v.public_key_bytes) == v


@pytest.mark.parametrize("vec", VECTORS, ids=_ids)
def test_open_vector_note(vec: dict[str, Any]) -> None:
    v = Verifier.from_verifier_key(vec["verifier_key"])
    note = open_note(vec["note"], [v])
    assert note.text == vec["text"]
    assert len(note.signatures) == 1
    sig = note.signatures[0]
    assert (sig.name, sig.key_id) == (v.name, v.key_id)
    assert v.verify(vec["text"].encode(), sig.signature)
    assert note.format() == vec["note"]
    assert parse_note(vec["note"]).format() == vec["note"]


@pytest.mark.parametrize("vec", SIGNED, ids=_ids)
def test_signing_reproduces_vector_note(vec: dict[str, Any]) -> None:
    signer = Signer.from_signer_key(vec["signer_key"])
    assert signer.signer_key() == vec["signer_key"]
    assert signer.verifier_key() == vec["verifier_key"]
    assert signer.verifier() == Verifier.from_verifier_key(vec["verifier_key"])
    assert sign_note(vec["text"], signer) == vec["note"]


def test_checkpoint_vector() -> None:
    cp = Checkpoint(CHECKPOINT["origin"], CHECKPOINT["tree_size"], ROOT8)
    assert cp.text() == CHECKPOINT["text"]
    assert parse_checkpoint(CHECKPOINT["text"]) == cp
    v = Verifier.from_verifier_key(CHECKPOINT["verifier_key"])
    assert parse_checkpoint(open_note(CHECKPOINT["note"], [v]).text) == cp
    # The checkpoint's root is the RFC 6962 reference tree of size 8, rebuilt here.
    tree = DATA["rfc6962_reference_tree"]
    assert bytes.fromhex(tree["roots_hex"][8]) == ROOT8
    cr = CompactRange()
    for leaf in tree["leaves_hex"]:
        cr.append(leaf_hash(bytes.fromhex(leaf)))
    assert cr.root() == ROOT8


# -- rejection -----------------------------------------------------------------------------------


def _with_signature(note: str, mutate: Any) -> str:
    """Rewrite the first signature line's decoded bytes with ``mutate``."""
    text, _, block = note.rpartition("\n\n")
    lines = block.split("\n")
    name, b64 = lines[0].removeprefix("\u2014 ").split(" ")
    raw = mutate(base64.b64decode(b64))
    lines[0] = f"\u2014 {name} {base64.b64encode(raw).decode()}"
    return text + "\n\n" + "\n".join(lines)


@pytest.mark.parametrize("vec", VECTORS, ids=_ids)
def test_tampered_text_is_rejected(vec: dict[str, Any]) -> None:
    v = Verifier.from_verifier_key(vec["verifier_key"])
    note = vec["note"]
    tampered = [
        note.replace("\n", " \n", 1),  # a space added to the first line
        "x" + note,  # a character prepended
        note[0].swapcase() + note[1:] if note[0].isalpha() else "Z" + note[1:],
        "extra line\n" + note,
    ]
    for bad in tampered:
        assert bad != note
        with pytest.raises(NoteError, match="invalid signature"):
            open_note(bad, [v])


@pytest.mark.parametrize("vec", VECTORS, ids=_ids)
def test_tampered_signature_is_rejected(vec: dict[str, Any]) -> None:
    v = Verifier.from_verifier_key(vec["verifier_key"])
    for byte in (4, 20, 36, 67):  # inside R and inside S of the signature (after the key id)
        for bit in (0, 7):

            def flip(raw: bytes, byte: int = byte, bit: int = bit) -> bytes:
                return raw[:byte] + bytes([raw[byte] ^ (1 << bit)]) + raw[byte + 1 :]

            with pytest.raises(NoteError, match="invalid signature"):
                open_note(_with_signature(vec["note"], flip), [v])
    # A truncated or extended signature from a known key is invalid, not ignored.
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(_with_signature(vec["note"], lambda raw: raw[:-1]), [v])
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(_with_signature(vec["note"], lambda raw: raw + b"\0"), [v])


def test_wrong_key_is_rejected() -> None:
    golden = Verifier.from_verifier_key(GOLDEN["verifier_key"])
    # Same name, other key: a different key id, so the signature is from an unknown key.
    other = Signer.generate(golden.name).verifier()
    with pytest.raises(NoteError, match="not signed by any known key"):
        open_note(GOLDEN["note"], [other])
    # Same seed, other name (the checkpoint vector's key): also unknown.
    cp_key = Verifier.from_verifier_key(CHECKPOINT["verifier_key"])
    assert cp_key.public_key_bytes == golden.public_key_bytes
    with pytest.raises(NoteError, match="not signed by any known key"):
        open_note(GOLDEN["note"], [cp_key])
    with pytest.raises(NoteError, match="not signed by any known key"):
        open_note(GOLDEN["note"], [])


def test_known_name_and_id_with_a_signature_by_another_key_is_rejected() -> None:
    """An impostor who copies name and key id still fails: the known key's signature is checked."""
    signer = Signer.from_signer_key(GOLDEN["signer_key"])
    impostor = Ed25519PrivateKey.generate()
    forged_sig = impostor.sign(GOLDEN["text"].encode())
    forged = GOLDEN["text"] + "\n" + NoteSignature(signer.name, signer.key_id, forged_sig).line()
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(forged, [signer.verifier()])


def test_unknown_signatures_are_ignored_and_dropped() -> None:
    a, b, c = (Signer.generate(f"example.com/{n}") for n in "abc")
    text = "hello\n\nworld\n"  # blank lines inside the text are allowed
    note = sign_note(text, a, b)
    only_b = open_note(note, [b.verifier()])
    assert only_b.text == text
    assert [s.name for s in only_b.signatures] == ["example.com/b"]
    both = open_note(note, [c.verifier(), b.verifier(), a.verifier()])
    assert [s.name for s in both.signatures] == ["example.com/a", "example.com/b"]
    assert both.format() == note
    with pytest.raises(NoteError, match="not signed by any known key"):
        open_note(note, [c.verifier()])
    # A repeated signature line by the same key is kept once.
    doubled = note + parse_note(note).signatures[0].line()
    assert open_note(doubled, [a.verifier()]).signatures == (parse_note(note).signatures[0],)
    # An unknown signature that is garbage (but well-formed) does not matter.
    junk = note + NoteSignature("example.com/z", b"\0\0\0\0", b"\1" * 10).line()
    assert open_note(junk, [a.verifier()]).signatures[0].name == "example.com/a"


def test_sign_note_rejects_bad_input() -> None:
    s = Signer.generate("example.com/log")
    for bad in ["", "no newline", "tab\there\n", "cr\r\n", "nul\0\n", "\ud800\n"]:
        with pytest.raises(NoteError):
            sign_note(bad, s)
    with pytest.raises(NoteError, match="at least one signer"):
        sign_note("text\n")
    with pytest.raises(NoteError, match="two signers"):
        sign_note("text\n", s, s)


GOOD = GOLDEN["note"]
GOOD_SIG_LINE = GOOD[GOOD.rindex("\n\n") + 2 :]
_SIG64 = GOOD_SIG_LINE.split(" ")[2].strip()


@pytest.mark.parametrize(
    "note",
    [
        pytest.param("", id="empty"),
        pytest.param("text\n", id="no-signatures-no-blank-line"),
        pytest.param("text\n\n", id="blank-line-no-signatures"),
        pytest.param(GOOD.rstrip("\n"), id="no-final-newline"),
        pytest.param(GOOD.replace("\n\n", "\n"), id="no-blank-line"),
        pytest.param(GOOD.replace("\u2014 ", "- "), id="hyphen-not-em-dash"),
        pytest.param(GOOD.replace("\u2014 ", "\u2014"), id="no-space-after-dash"),
        pytest.param(GOOD + "trailing garbage\n", id="garbage-line"),
        pytest.param(GOOD + "\n", id="blank-line-after-signatures"),
        pytest.param(GOOD.replace("PeterNeumann ", "PeterNeumann  "), id="double-space"),
        pytest.param(GOOD.replace("PeterNeumann ", "Peter+Neumann "), id="plus-in-name"),
        pytest.param(GOOD.replace("PeterNeumann ", " "), id="empty-name"),
        pytest.param(GOOD.replace(_SIG64, ""), id="empty-signature"),
        pytest.param(GOOD.replace(_SIG64, "!!!!"), id="not-base64"),
        pytest.param(GOOD.replace(_SIG64, _SIG64[:-1]), id="bad-padding"),
        pytest.param(GOOD.replace(_SIG64, "AAAAAA=="), id="too-short"),
        pytest.param(GOOD.replace(_SIG64, _SIG64 + " extra"), id="extra-field"),
        pytest.param(GOOD.replace("answer", "ans\twer"), id="tab"),
        pytest.param(GOOD.replace("\n", "\r\n"), id="crlf"),
        pytest.param(GOOD.replace("answer", "ans\ud800wer"), id="lone-surrogate"),
        pytest.param(GOOD + GOOD_SIG_LINE * 100, id="too-many-signatures"),
        pytest.param(b"text\n\n", id="bytes-not-str"),
    ],
)
def test_malformed_notes_raise_note_error(note: Any) -> None:
    with pytest.raises(NoteError):
        parse_note(note)
    golden = Verifier.from_verifier_key(GOLDEN["verifier_key"])
    with pytest.raises(NoteError):
        open_note(note, [golden])


def test_parse_note_accepts_many_signatures_up_to_the_limit() -> None:
    note = parse_note(GOOD + GOOD_SIG_LINE * 99)
    assert len(note.signatures) == 100
    assert isinstance(note, Note)


# -- keys ----------------------------------------------------------------------------------------


def _key64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


PUB = Verifier.from_verifier_key(GOLDEN["verifier_key"]).public_key_bytes
NAME = "PeterNeumann"
HEX8 = key_id(NAME, PUB).hex()
ALG1, ALG2 = b"\x01", b"\x02"
K64 = _key64(ALG1 + PUB)
SEED = base64.b64decode(GOLDEN["signer_key"].split("+", 4)[4])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "fields"),
        ("PeterNeumann", "fields"),
        (f"{NAME}+{HEX8}", "fields"),
        (f"+{HEX8}+{K64}", "non-empty"),
        (f"Peter Neumann+{key_id('Peter Neumann', PUB).hex()}+{K64}", "space"),
        (f"Peter\u00a0Neumann+{HEX8}+{K64}", "whitespace"),
        (f"{NAME}+c74f20a4+{K64}", "does not match"),
        (f"{NAME}+c74f20a+{K64}", "8 hex"),
        (f"{NAME}+c74f20a33+{K64}", "8 hex"),
        (f"{NAME}+0xc74f20+{K64}", "8 hex"),
        (f"{NAME}+{HEX8}+", "empty|base64"),
        (f"{NAME}+{HEX8}+not base64!", "base64"),
        (f"{NAME}+{HEX8}+{_key64(ALG2 + PUB)}", "algorithm"),
        (f"{NAME}+{HEX8}+{_key64(ALG1 + PUB[:31])}", "31 bytes"),
        (f"{NAME}+{HEX8}+{_key64(ALG1 + PUB + bytes(1))}", "33 bytes"),
        (f"{NAME}+{HEX8}+{K64[:-1]}", "base64"),
    ],
)
def test_malformed_verifier_keys(text: str, match: str) -> None:
    with pytest.raises(NoteError, match=match):
        Verifier.from_verifier_key(text)


def test_bad_verifier_construction() -> None:
    with pytest.raises(NoteError, match=r"'\+'"):
        Verifier.from_public_key("a+b", PUB)
    with pytest.raises(NoteError, match="does not match"):
        Verifier(NAME, b"\0\0\0\0", PUB)
    with pytest.raises(NoteError, match="32 bytes"):
        Verifier(NAME, key_id(NAME, PUB[:31]), PUB[:31])
    with pytest.raises(NoteError):
        Verifier.from_verifier_key(None)  # type: ignore[arg-type]


def test_verify_rejects_wrong_length_signatures() -> None:
    signer = Signer.generate("example.com/k")
    v = signer.verifier()
    sig = signer.sign(b"msg")
    assert v.verify(b"msg", sig)
    assert not v.verify(b"msg!", sig)
    assert not v.verify(b"msg", sig[:-1])
    assert not v.verify(b"msg", sig + b"\0")
    assert not v.verify(b"msg", b"")


SEED_KEY = GOLDEN["signer_key"].split("+", 4)[4]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (GOLDEN["signer_key"].replace("PRIVATE+KEY+", ""), "PRIVATE|fields"),
        (GOLDEN["signer_key"].replace("PRIVATE", "PUBLIC"), "PRIVATE"),
        (GOLDEN["signer_key"].replace("c74f20a3", "c74f20a4"), "does not match"),
        (GOLDEN["signer_key"].replace("PeterNeumann", "Peter Neumann"), "space"),
        (f"PRIVATE+KEY+{NAME}+{HEX8}+{_key64(ALG2 + SEED[1:])}", "algo"),
        (f"PRIVATE+KEY+{NAME}+{HEX8}+{_key64(SEED[:-1])}", "31 bytes"),
        (GOLDEN["verifier_key"], "fields"),
    ],
)
def test_malformed_signer_keys(text: str, match: str) -> None:
    with pytest.raises(NoteError, match=match):
        Signer.from_signer_key(text)


def test_signer_does_not_show_its_secret() -> None:
    signer = Signer.from_signer_key(GOLDEN["signer_key"])
    assert SEED_KEY not in repr(signer)
    assert "private_key" not in repr(signer)
    with pytest.raises(NoteError):
        Signer("bad name", Ed25519PrivateKey.generate())


def test_pem_is_the_same_public_key() -> None:
    v = Verifier.from_verifier_key(GOLDEN["verifier_key"])
    pem = v.pem()
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----\n")
    key = load_pem_public_key(pem)
    assert key.public_bytes_raw() == v.public_key_bytes  # type: ignore[union-attr]


# -- checkpoints ---------------------------------------------------------------------------------


ROOT_B64 = base64.b64encode(ROOT8).decode()


def test_checkpoint_round_trips() -> None:
    for cp in [
        Checkpoint("example.org/log", 0, EMPTY_ROOT),
        Checkpoint("example.org/log", 2**64 - 1, ROOT8),
        Checkpoint("example.org/log", 8, ROOT8, ("ext one", "ext-two")),
        Checkpoint("村集体 log with spaces+plus", 1, ROOT8),  # origin format is only a SHOULD
    ]:
        assert parse_checkpoint(cp.text()) == cp
    cp = Checkpoint("example.org/log", 8, ROOT8, ["a", "b"])  # type: ignore[arg-type]
    assert cp.extensions == ("a", "b")
    assert cp.text() == f"example.org/log\n8\n{ROOT_B64}\na\nb\n"


def test_signed_checkpoint_opens() -> None:
    signer = Signer.generate("example.org/log")
    cp = Checkpoint("example.org/log", 8, ROOT8)
    note = sign_note(cp.text(), signer)
    assert parse_checkpoint(open_note(note, [signer.verifier()]).text) == cp


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param(f"o\n8\n{ROOT_B64}", id="no-final-newline"),
        pytest.param("o\n8\n", id="two-lines"),
        pytest.param(f"\n8\n{ROOT_B64}\n", id="empty-origin"),
        pytest.param(f"o\n\n{ROOT_B64}\n", id="empty-size"),
        pytest.param(f"o\n08\n{ROOT_B64}\n", id="leading-zero"),
        pytest.param(f"o\n00\n{ROOT_B64}\n", id="double-zero"),
        pytest.param(f"o\n+8\n{ROOT_B64}\n", id="plus-sign"),
        pytest.param(f"o\n-1\n{ROOT_B64}\n", id="negative"),
        pytest.param(f"o\n 8\n{ROOT_B64}\n", id="space"),
        pytest.param(f"o\n8.0\n{ROOT_B64}\n", id="decimal-point"),
        pytest.param(f"o\n1_000\n{ROOT_B64}\n", id="underscore"),
        pytest.param(f"o\n\uff18\n{ROOT_B64}\n", id="fullwidth-digit"),
        pytest.param(f"o\n\u0668\n{ROOT_B64}\n", id="arabic-indic-digit"),
        pytest.param(f"o\n{2**64}\n{ROOT_B64}\n", id="size-over-64-bits"),
        pytest.param("o\n8\n" + base64.b64encode(ROOT8[:31]).decode() + "\n", id="root-31"),
        pytest.param("o\n8\n" + base64.b64encode(ROOT8 + b"\0").decode() + "\n", id="root-33"),
        pytest.param(f"o\n8\n{ROOT_B64.rstrip('=')}\n", id="root-unpadded"),
        pytest.param(f"o\n8\n{ROOT_B64[:-2]}h=\n", id="root-non-canonical"),
        pytest.param(f"o\n8\n{ROOT8.hex()}\n", id="root-hex"),
        pytest.param(f"o\n8\n{ROOT_B64}\n\n", id="empty-extension"),
        pytest.param(f"o\n8\n{ROOT_B64}\nx\n\ny\n", id="empty-middle-extension"),
        pytest.param(f"o\r\n8\n{ROOT_B64}\n", id="carriage-return"),
        pytest.param(f"o\n8\n{ROOT_B64}\n\tx\n", id="tab-in-extension"),
        pytest.param(b"o\n8\n", id="bytes"),
    ],
)
def test_malformed_checkpoints_raise_note_error(text: Any) -> None:
    with pytest.raises(NoteError):
        parse_checkpoint(text)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"origin": ""},
        {"origin": "a\nb"},
        {"size": -1},
        {"size": 2**64},
        {"size": True},
        {"size": 8.0},
        {"root": ROOT8[:31]},
        {"root": ROOT_B64},
        {"extensions": ("",)},
        {"extensions": ("a\nb",)},
        {"extensions": "ab"},
    ],
)
def test_bad_checkpoint_fields_raise_note_error(kwargs: dict[str, Any]) -> None:
    fields: dict[str, Any] = {"origin": "example.org/log", "size": 8, "root": ROOT8} | kwargs
    with pytest.raises(NoteError):
        Checkpoint(**fields)


# -- openssl, an independent Ed25519 implementation ----------------------------------------------


def _openssl() -> str:
    found = shutil.which("openssl") or shutil.which("openssl", path="/usr/bin")
    if found is None:
        pytest.fail("openssl is required for this test (apt-get install openssl)")
    return found


def _openssl_verify(
    tmp: Path, pem: bytes, msg: bytes, sig: bytes
) -> subprocess.CompletedProcess[bytes]:
    (tmp / "pub.pem").write_bytes(pem)
    (tmp / "msg").write_bytes(msg)
    (tmp / "sig").write_bytes(sig)
    return subprocess.run(
        [
            _openssl(),
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            str(tmp / "pub.pem"),
            "-rawin",
            "-in",
            str(tmp / "msg"),
            "-sigfile",
            str(tmp / "sig"),
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )


def _flip_bit(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def test_openssl_verifies_checkpoint_signature(tmp_path: Path) -> None:
    verifier = Verifier.from_verifier_key(CHECKPOINT["verifier_key"])
    note = open_note(CHECKPOINT["note"], [verifier])
    msg = note.text.encode("utf-8")
    sig = note.signatures[0].signature
    assert len(sig) == 64

    ok = _openssl_verify(tmp_path, verifier.pem(), msg, sig)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert b"Signature Verified Successfully" in ok.stdout

    bad_sig = _openssl_verify(tmp_path, verifier.pem(), msg, _flip_bit(sig, 10))
    assert bad_sig.returncode != 0, bad_sig.stdout
    assert b"Signature Verified Successfully" not in bad_sig.stdout

    bad_msg = _openssl_verify(tmp_path, verifier.pem(), _flip_bit(msg, 30), sig)
    assert bad_msg.returncode != 0, bad_msg.stdout
    assert b"Signature Verified Successfully" not in bad_msg.stdout


def test_openssl_verifies_fresh_checkpoint(tmp_path: Path) -> None:
    signer = Signer.generate("example.org/carbon-ledger")
    cp = Checkpoint(signer.name, 12345, leaf_hash(b"root"))
    note = sign_note(cp.text(), signer)
    sig = parse_note(note).signatures[0].signature
    ok = _openssl_verify(tmp_path, signer.verifier().pem(), cp.text().encode(), sig)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    other = Signer.generate(signer.name).verifier().pem()
    wrong_key = _openssl_verify(tmp_path, other, cp.text().encode(), sig)
    assert wrong_key.returncode != 0


def test_bad_note_signature_fields() -> None:
    with pytest.raises(NoteError):
        NoteSignature("a b", b"\0" * 4, b"\1")
    with pytest.raises(NoteError):
        NoteSignature("a", b"\0" * 3, b"\1")
    with pytest.raises(NoteError):
        NoteSignature("a", b"\0" * 4, b"")
    sig = NoteSignature("a", b"\0" * 4, b"\1")
    assert sig.line() == "\u2014 a AAAAAAE=\n"
