"""C2SP signed notes (c2sp.org/signed-note) and checkpoints (c2sp.org/tlog-checkpoint).

Ed25519 only. A note is a UTF-8 text ending in a newline, a blank line, then one or more
signature lines ``— <key name> base64(key id || signature)``. The key id is the first four
bytes of ``SHA-256(name || 0x0A || 0x01 || 32-byte public key)``. Keys travel as the strings of
Go's ``golang.org/x/mod/sumdb/note``:

- verifier key: ``<name>+<key id, 8 hex digits>+base64(0x01 || public key)``
- signer key: ``PRIVATE+KEY+<name>+<key id>+base64(0x01 || 32-byte seed)``

A checkpoint is a note whose text is ``<origin>\\n<size>\\n<base64 root>\\n`` plus optional
extension lines. Parsing is strict: anything malformed raises :class:`NoteError`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from hashlib import sha256

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from ledger.core.hashing import HASH_SIZE

ALG_ED25519 = 0x01
"""The C2SP signature type byte of Ed25519 signatures."""

SIG_PREFIX = "\u2014 "
"""Every signature line starts with an em dash and a space."""

MAX_SIGNATURES = 100
"""A note with more signature lines than this is refused (the spec asks for at least 16)."""

MAX_TREE_SIZE = 2**64 - 1
"""Checkpoint sizes are unsigned 64-bit integers, as in every tlog implementation."""

_ED25519_KEY_SIZE = 32
_ED25519_SIG_SIZE = 64
_KEY_ID_SIZE = 4
_HEX8 = re.compile(r"[0-9a-fA-F]{8}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")  # ASCII controls except newline


class NoteError(ValueError):
    """A note, key or checkpoint is malformed, or a note's signatures do not verify."""


# -- helpers ------------------------------------------------------------------------------------


def _b64decode(text: str, what: str) -> bytes:
    """Strict standard base64: padded, no whitespace, canonical (re-encodes to ``text``)."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise NoteError(f"{what} is not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError(f"{what} is not canonical base64")
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _check_name(name: object, what: str = "key name") -> str:
    """A key name is non-empty and has no Unicode whitespace, no '+' and no control chars."""
    if not isinstance(name, str) or not name:
        raise NoteError(f"{what} must be a non-empty string")
    if "+" in name:
        raise NoteError(f"{what} {name!r} contains '+'")
    if any(c.isspace() for c in name):
        raise NoteError(f"{what} {name!r} contains whitespace")
    if _CONTROL.search(name):
        raise NoteError(f"{what} {name!r} contains a control character")
    _check_utf8(name, what)
    return name


def _check_utf8(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise NoteError(f"{what} is not valid Unicode (lone surrogate)") from None


def _check_text(text: object, what: str = "note text") -> str:
    """Note text: a non-empty str ending in newline, no ASCII controls other than newline."""
    if not isinstance(text, str):
        raise NoteError(f"{what} must be a str, got {type(text).__name__}")
    if not text.endswith("\n"):
        raise NoteError(f"{what} must be non-empty and end with a newline")
    if _CONTROL.search(text):
        raise NoteError(f"{what} contains an ASCII control character other than newline")
    _check_utf8(text, what)
    return text


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte C2SP key id of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4]."""
    return sha256(name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[
        :_KEY_ID_SIZE
    ]


def _split_key(text: str, parts: int, what: str) -> list[str]:
    if not isinstance(text, str):
        raise NoteError(f"{what} must be a str, got {type(text).__name__}")
    fields = text.split("+", parts - 1)
    if len(fields) != parts:
        raise NoteError(f"{what} must have {parts} '+'-separated fields")
    return fields


def _parse_key_fields(name: str, hex8: str, key64: str, what: str) -> tuple[bytes, bytes]:
    """Check name and hash fields and decode the key: return (key id, 32 key bytes)."""
    _check_name(name, f"{what} name")
    if not _HEX8.fullmatch(hex8):
        raise NoteError(f"{what} key id {hex8!r} is not 8 hex digits")
    key = _b64decode(key64, f"{what} key")
    if not key:
        raise NoteError(f"{what} key is empty")
    if key[0] != ALG_ED25519:
        raise NoteError(f"{what} algorithm byte is {key[0]:#04x}, only Ed25519 (0x01) is known")
    if len(key) != 1 + _ED25519_KEY_SIZE:
        raise NoteError(f"{what} Ed25519 key is {len(key) - 1} bytes, want {_ED25519_KEY_SIZE}")
    return bytes.fromhex(hex8), key[1:]


# -- keys ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verifier:
    """An Ed25519 note verifier.

    Attributes:
      name: the key name (non-empty; no whitespace, no '+').
      key_id: the 4-byte key id; must be the C2SP hash of name and key.
      public_key_bytes: the 32-byte raw Ed25519 public key.
    """

    name: str
    key_id: bytes
    public_key_bytes: bytes
    _key: Ed25519PublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.public_key_bytes, bytes) or (
            len(self.public_key_bytes) != _ED25519_KEY_SIZE
        ):
            raise NoteError(f"verifier {self.name}: public key must be 32 bytes")
        if self.key_id != key_id(self.name, self.public_key_bytes):
            raise NoteError(f"verifier {self.name}: key id does not match name and key")
        try:
            key = Ed25519PublicKey.from_public_bytes(self.public_key_bytes)
        except ValueError as exc:
            raise NoteError(f"verifier {self.name}: bad Ed25519 public key: {exc}") from None
        object.__setattr__(self, "_key", key)

    @classmethod
    def from_public_key(cls, name: str, public_key_bytes: bytes) -> Verifier:
        """The verifier for ``name`` and a raw 32-byte Ed25519 public key."""
        _check_name(name)
        return cls(name, key_id(name, public_key_bytes), public_key_bytes)

    @classmethod
    def from_verifier_key(cls, text: str) -> Verifier:
        """Parse ``name+hex8+base64(0x01||pub)``; NoteError says what is wrong."""
        name, hex8, key64 = _split_key(text, 3, "verifier key")
        kid, pub = _parse_key_fields(name, hex8, key64, "verifier key")
        if kid != key_id(name, pub):
            raise NoteError(f"verifier key {name}: key id {hex8} does not match name and key")
        return cls(name, kid, pub)

    def verifier_key(self) -> str:
        """The ``name+hex8+base64(0x01||pub)`` string that :meth:`from_verifier_key` reads."""
        key64 = _b64(bytes([ALG_ED25519]) + self.public_key_bytes)
        return f"{self.name}+{self.key_id.hex()}+{key64}"

    def verify(self, msg: bytes, sig: bytes) -> bool:
        """True iff ``sig`` is a valid Ed25519 signature of ``msg`` by this key."""
        if not isinstance(sig, bytes) or len(sig) != _ED25519_SIG_SIZE:
            return False
        try:
            self._key.verify(sig, msg)
        except InvalidSignature:
            return False
        return True

    def pem(self) -> bytes:
        """The public key as a SubjectPublicKeyInfo PEM (what ``openssl pkeyutl -pubin`` reads)."""
        return self._key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class Signer:
    """An Ed25519 note signer.

    Attributes:
      name: the key name (non-empty; no whitespace, no '+').
      private_key: the Ed25519 private key (not shown in repr, not compared).
      key_id: the 4-byte C2SP key id (derived).
      public_key_bytes: the 32-byte raw public key (derived).
    """

    name: str
    private_key: Ed25519PrivateKey = field(repr=False, compare=False)
    key_id: bytes = field(init=False)
    public_key_bytes: bytes = field(init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.private_key, Ed25519PrivateKey):
            raise NoteError("signer private key must be an Ed25519PrivateKey")
        pub = self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        object.__setattr__(self, "public_key_bytes", pub)
        object.__setattr__(self, "key_id", key_id(self.name, pub))

    @classmethod
    def generate(cls, name: str) -> Signer:
        """A signer with a fresh random key."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_signer_key(cls, text: str) -> Signer:
        """Parse ``PRIVATE+KEY+name+hex8+base64(0x01||seed)``; NoteError says what is wrong.

        The key id is checked against the public key derived from the seed.
        """
        private, key, name, hex8, key64 = _split_key(text, 5, "signer key")
        if private != "PRIVATE" or key != "KEY":
            raise NoteError("signer key must start with 'PRIVATE+KEY+'")
        kid, seed = _parse_key_fields(name, hex8, key64, "signer key")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(seed))
        if signer.key_id != kid:
            raise NoteError(f"signer key {name}: key id {hex8} does not match name and key")
        return signer

    def signer_key(self) -> str:
        """The ``PRIVATE+KEY+name+hex8+base64(0x01||seed)`` string. Secret: handle with care."""
        seed = self.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{_b64(bytes([ALG_ED25519]) + seed)}"

    def verifier_key(self) -> str:
        """The public ``name+hex8+base64(0x01||pub)`` string."""
        return self.verifier().verifier_key()

    def verifier(self) -> Verifier:
        """The matching :class:`Verifier`."""
        return Verifier(self.name, self.key_id, self.public_key_bytes)

    def sign(self, msg: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``msg`` (deterministic, RFC 8032)."""
        return self.private_key.sign(msg)


# -- notes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a note.

    Attributes:
      name: the key name.
      key_id: the 4-byte key id.
      signature: the signature bytes (64 for Ed25519; any length >= 1 for unknown keys).
    """

    name: str
    key_id: bytes
    signature: bytes

    def __post_init__(self) -> None:
        _check_name(self.name, "signature key name")
        if not isinstance(self.key_id, bytes) or len(self.key_id) != _KEY_ID_SIZE:
            raise NoteError("signature key id must be 4 bytes")
        if not isinstance(self.signature, bytes) or not self.signature:
            raise NoteError("signature must be non-empty bytes")

    def line(self) -> str:
        """The signature line, ``— name base64(key_id || signature)\\n``."""
        return f"{SIG_PREFIX}{self.name} {_b64(self.key_id + self.signature)}\n"


@dataclass(frozen=True)
class Note:
    """A signed note.

    Attributes:
      text: the signed text (ends with a newline; the blank separator line is not part of it).
      signatures: the signature lines, in order.
    """

    text: str
    signatures: tuple[NoteSignature, ...]

    def format(self) -> str:
        """The note as it travels: text, a blank line, the signature lines."""
        return self.text + "\n" + "".join(sig.line() for sig in self.signatures)


def sign_note(text: str, *signers: Signer) -> str:
    """Sign ``text`` with each signer, in order, and return the encoded note.

    ``text`` must be non-empty, end with a newline, and contain no ASCII control character
    other than newline (it may contain blank lines: the signatures start after the last one).
    Raises NoteError for bad text, no signers, or two signers with the same name and key id.
    """
    _check_text(text)
    if not signers:
        raise NoteError("sign_note needs at least one signer")
    msg = text.encode("utf-8")
    seen: set[tuple[str, bytes]] = set()
    lines = []
    for signer in signers:
        if (signer.name, signer.key_id) in seen:
            raise NoteError(f"two signers named {signer.name} with key id {signer.key_id.hex()}")
        seen.add((signer.name, signer.key_id))
        lines.append(NoteSignature(signer.name, signer.key_id, signer.sign(msg)).line())
    return text + "\n" + "".join(lines)


def parse_note(note: str) -> Note:
    """Split a note into its text and signature lines, checking only the syntax.

    Nothing is verified: use :func:`open_note`. Raises NoteError unless the note is a str
    with no ASCII control characters other than newline, the text ends with a newline and is
    followed by a blank line, and every following line is a well-formed signature line (valid
    key name, canonical base64 of at least 5 bytes); at most :data:`MAX_SIGNATURES` lines.
    """
    if not isinstance(note, str):
        raise NoteError(f"a note must be a str, got {type(note).__name__}")
    if _CONTROL.search(note):
        raise NoteError("note contains an ASCII control character other than newline")
    _check_utf8(note, "note")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block:
        raise NoteError("note has no signatures")
    if not block.endswith("\n"):
        raise NoteError("note's last signature line does not end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    signatures = []
    for n, line in enumerate(lines, 1):
        if not line.startswith(SIG_PREFIX):
            raise NoteError(f"signature line {n} does not start with an em dash and a space")
        name, sep, b64 = line[len(SIG_PREFIX) :].partition(" ")
        if not sep or not b64:
            raise NoteError(f"signature line {n} has no signature after the key name")
        _check_name(name, f"signature line {n} key name")
        raw = _b64decode(b64, f"signature line {n}")
        if len(raw) < _KEY_ID_SIZE + 1:
            raise NoteError(f"signature line {n} is too short for a key id and a signature")
        signatures.append(NoteSignature(name, raw[:_KEY_ID_SIZE], raw[_KEY_ID_SIZE:]))
    return Note(text, tuple(signatures))


def open_note(note: str, verifiers: Sequence[Verifier]) -> Note:
    """Parse ``note`` and verify it against the known ``verifiers``.

    Follows c2sp.org/signed-note: signatures by unknown keys (name and key id not both
    matching a verifier) are ignored; every signature by a known key must verify; at least one
    must. Returns the note with only the verified signatures, the first one per key.
    Raises NoteError if the note is malformed, a known key's signature is invalid, or no
    known key signed it.
    """
    parsed = parse_note(note)
    known: dict[tuple[str, bytes], Verifier] = {}
    for v in verifiers:
        other = known.setdefault((v.name, v.key_id), v)
        if other.public_key_bytes != v.public_key_bytes:
            raise NoteError(f"two verifiers named {v.name} share key id {v.key_id.hex()}")
    msg = parsed.text.encode("utf-8")
    verified: dict[tuple[str, bytes], NoteSignature] = {}
    for sig in parsed.signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        if not verifier.verify(msg, sig.signature):
            raise NoteError(f"invalid signature by {sig.name} ({sig.key_id.hex()})")
        verified.setdefault((sig.name, sig.key_id), sig)
    if not verified:
        names = ", ".join(sorted({v.name for v in known.values()})) or "no keys given"
        raise NoteError(f"note is not signed by any known key ({names})")
    return Note(parsed.text, tuple(verified.values()))


# -- checkpoints --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A transparency log checkpoint (c2sp.org/tlog-checkpoint): the signed head of the log.

    Attributes:
      origin: the log's identity, the first line (non-empty).
      size: the number of leaves, 0 <= size < 2**64.
      root: the 32-byte RFC 9162 root hash at ``size``.
      extensions: optional extra lines, each non-empty (not recommended by the spec).
    """

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not self.origin:
            raise NoteError("checkpoint origin must be a non-empty string")
        _check_line(self.origin, "checkpoint origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise NoteError("checkpoint size must be an int")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise NoteError(f"checkpoint size {self.size} is out of range 0..2**64-1")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise NoteError("checkpoint root must be 32 bytes")
        if isinstance(self.extensions, str):
            raise NoteError("checkpoint extensions must be a sequence of lines, not a str")
        object.__setattr__(self, "extensions", tuple(self.extensions))
        for line in self.extensions:
            if not isinstance(line, str) or not line:
                raise NoteError("checkpoint extension lines must be non-empty strings")
            _check_line(line, "checkpoint extension line")

    def text(self) -> str:
        """The note text: ``origin\\nsize\\nbase64(root)\\n`` then one line per extension."""
        head = f"{self.origin}\n{self.size}\n{_b64(self.root)}\n"
        return head + "".join(line + "\n" for line in self.extensions)


def _check_line(line: str, what: str) -> None:
    if "\n" in line or _CONTROL.search(line):
        raise NoteError(f"{what} contains a newline or control character")
    _check_utf8(line, what)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint note text (not a whole note: see :func:`open_note`).

    Strict: at least three non-empty lines each ending in a newline; a non-empty origin; the
    size in ASCII decimal without leading zeros (``0`` for the empty tree) and below 2**64;
    the root as canonical base64 of exactly 32 bytes; extension lines non-empty.
    Raises NoteError otherwise.
    """
    _check_text(text, "checkpoint")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("checkpoint needs an origin, a size and a root hash line")
    if any(not line for line in lines):
        raise NoteError("checkpoint has an empty line")
    origin, size_text, root_text, *extensions = lines
    if not _DECIMAL.fullmatch(size_text):
        raise NoteError(f"checkpoint size {size_text!r} is not a decimal without leading zeros")
    size = int(size_text)
    if size > MAX_TREE_SIZE:
        raise NoteError(f"checkpoint size {size_text} does not fit in 64 bits")
    root = _b64decode(root_text, "checkpoint root hash")
    if len(root) != HASH_SIZE:
        raise NoteError(f"checkpoint root hash is {len(root)} bytes, want {HASH_SIZE}")
    return Checkpoint(origin, size, root, tuple(extensions))
