"""The vault's keys and ciphers.

One 32-byte master key, never in the database or the repository, comes from (first found):

1. the environment variable ``LEDGER_VAULT_KEY`` (base64 of 32 bytes);
2. the file ``<instance>/keys/vault.key`` (the same base64 text, mode 0600), created by
   :func:`ensure_vault_key` on first use.

Two working keys are derived from it with HKDF-SHA256 under distinct ``info`` strings:

- the **encryption key** (AES-256-GCM): each value is sealed with a fresh random 96-bit nonce
  and associated data binding the record code, the record's owning organisation and the field
  name (:func:`associated_data`), so a ciphertext moved to another record or field, or a
  record moved to another organisation, no longer opens;
- the **index key** (HMAC-SHA256): the look-up hash of a field is
  ``HMAC(index_key, "carbon-ledger/vault/v1/lookup" 0x00 field 0x00 normalised-value)``.

A third derivation gives a short public key id, stored with each ciphertext so a wrong key is
reported as such (and a future re-keying knows what to re-encrypt).

Losing the master key loses the personal data (not the log): back it up with the instance.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ledger.config import Settings
from ledger.core.errors import LedgerError

ENV_VAR = "LEDGER_VAULT_KEY"
KEY_FILE = "vault.key"
KEY_BYTES = 32
NONCE_BYTES = 12

_INFO_ENC = b"carbon-ledger/vault/v1/aes-256-gcm"
_INFO_MAC = b"carbon-ledger/vault/v1/hmac-sha256-index"
_INFO_ID = b"carbon-ledger/vault/v1/key-id"
_AAD = b"carbon-ledger/vault/v2/field"
#: The associated data of values sealed before records were bound to their organisation
#: (code and field only). Such values are refused, never opened: see :meth:`Vault.open`.
_AAD_UNBOUND = b"carbon-ledger/vault/v1/field"
_LOOKUP = b"carbon-ledger/vault/v1/lookup"
_SHA256_BLOCK = 64  # bytes: HMAC pads a shorter key with zeros and hashes a longer one


class VaultKeyError(LedgerError):
    """The vault key is missing, malformed, too widely readable, or not the key the data was
    encrypted with."""

    status = 500


class VaultIntegrityError(LedgerError):
    """A ciphertext does not open under its record and field: it was altered or moved."""

    status = 500


def vault_key_path(settings: Settings) -> Path:
    return settings.keys_dir / KEY_FILE


def _decode_key(text: str | bytes, source: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise VaultKeyError(
            "vault.key_malformed", f"the vault key in {source} is not valid base64"
        ) from None
    if len(key) != KEY_BYTES:
        raise VaultKeyError(
            "vault.key_malformed",
            f"the vault key in {source} must be {KEY_BYTES} bytes, not {len(key)}",
        )
    return key


def ensure_vault_key(settings: Settings, environ: Mapping[str, str] | None = None) -> bool:
    """Create ``<instance>/keys/vault.key`` (mode 0600) unless it exists or ``LEDGER_VAULT_KEY``
    is set. Returns whether a key file was created now."""
    environ = os.environ if environ is None else environ
    if environ.get(ENV_VAR):
        _decode_key(environ[ENV_VAR], ENV_VAR)
        return False
    path = vault_key_path(settings)
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = base64.b64encode(os.urandom(KEY_BYTES)) + b"\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    return True


def load_master_key(settings: Settings, environ: Mapping[str, str] | None = None) -> bytes:
    environ = os.environ if environ is None else environ
    if environ.get(ENV_VAR):
        return _decode_key(environ[ENV_VAR], ENV_VAR)
    path = vault_key_path(settings)
    try:
        mode = path.stat().st_mode
        text = path.read_bytes()
    except FileNotFoundError:
        raise VaultKeyError(
            "vault.key_missing",
            f"no vault key at {path}; run `carbon-ledger init` or set {ENV_VAR}",
        ) from None
    if os.name == "posix" and stat.S_IMODE(mode) & 0o077:
        raise VaultKeyError(
            "vault.key_permissions",
            f"the vault key {path} is readable by others; chmod 600 it",
        )
    return _decode_key(text, str(path))


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def associated_data(code: str, owner_org: str, field_name: str) -> bytes:
    """What a sealed value is bound to: ``v2/field`` NUL code NUL owner NUL field (none of
    the three can hold NUL: see :mod:`ledger.vault.model`)."""
    return b"\x00".join((_AAD, code.encode(), owner_org.encode(), field_name.encode()))


def _unbound_associated_data(code: str, field_name: str) -> bytes:
    return b"\x00".join((_AAD_UNBOUND, code.encode(), field_name.encode()))


@dataclass(frozen=True)
class Vault:
    """The vault's working keys (derived from the master key; the master is not kept).

    Attributes:
      key_id: 16 hex characters naming the master key (safe to store and show).
    """

    key_id: str
    _aead: AESGCM = field(repr=False)
    _mac_key: bytes = field(repr=False)
    _pads: tuple[Any, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # HMAC (RFC 2104) with the index key's inner and outer pads hashed once: a look-up
        # hash is then two SHA-256 continuations, not a new HMAC context per value.
        key = self._mac_key
        if len(key) > _SHA256_BLOCK:
            key = hashlib.sha256(key).digest()
        block = key.ljust(_SHA256_BLOCK, b"\x00")
        inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        object.__setattr__(self, "_pads", (inner, outer))

    @classmethod
    def from_key(cls, master: bytes) -> Vault:
        if len(master) != KEY_BYTES:
            raise VaultKeyError("vault.key_malformed", f"a vault key is {KEY_BYTES} bytes")
        return cls(
            key_id=_derive(master, _INFO_ID)[:8].hex(),
            _aead=AESGCM(_derive(master, _INFO_ENC)),
            _mac_key=_derive(master, _INFO_MAC),
        )

    @classmethod
    def from_settings(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> Vault:
        """The vault of a deployment: ``LEDGER_VAULT_KEY`` or ``<instance>/keys/vault.key``."""
        return cls.from_key(load_master_key(settings, environ))

    def seal(self, code: str, owner_org: str, field_name: str, clear: str) -> tuple[bytes, bytes]:
        """Encrypt ``clear`` for field ``field_name`` of record ``code`` owned by
        ``owner_org``; returns ``(nonce, ciphertext)``."""
        return self.seal_many(owner_org, [(code, field_name, clear)])[0]

    def seal_many(
        self, owner_org: str, values: Sequence[tuple[str, str, str]]
    ) -> list[tuple[bytes, bytes]]:
        """:meth:`seal` for each ``(code, field_name, clear)`` of records owned by
        ``owner_org``: each value under its own fresh random nonce (the nonces drawn from the
        operating system in one call rather than one call per value)."""
        nonces = os.urandom(NONCE_BYTES * len(values))
        encrypt = self._aead.encrypt
        sealed = []
        for i, (code, field_name, clear) in enumerate(values):
            nonce = nonces[NONCE_BYTES * i : NONCE_BYTES * (i + 1)]
            aad = associated_data(code, owner_org, field_name)
            sealed.append((nonce, encrypt(nonce, clear.encode(), aad)))
        return sealed

    def open(
        self, code: str, owner_org: str, field_name: str, nonce: bytes, sealed: bytes, key_id: str
    ) -> str:
        """Decrypt a value sealed for field ``field_name`` of record ``code`` of ``owner_org``.

        Raises :class:`VaultKeyError` if it was sealed under another key, and
        :class:`VaultIntegrityError` if it does not belong to this record, organisation and
        field (``vault.tampered``) or was sealed before records were bound to their
        organisation (``vault.unbound``: such a value cannot show that it still sits with
        the organisation it was written for, so it is refused, not opened).
        """
        nonce, sealed = bytes(nonce), bytes(sealed)
        try:
            clear = self._aead.decrypt(nonce, sealed, associated_data(code, owner_org, field_name))
        except InvalidTag:
            details = {"code": code, "field": field_name, "key_id": key_id}
            if key_id != self.key_id:
                raise VaultKeyError(
                    "vault.wrong_key",
                    f"{code} {field_name} was encrypted under vault key {key_id}, "
                    f"but this vault's key is {self.key_id}; check LEDGER_VAULT_KEY or "
                    "the instance's keys/vault.key",
                    {**details, "vault_key_id": self.key_id},
                ) from None
            if self._opens_unbound(code, field_name, nonce, sealed):
                raise VaultIntegrityError(
                    "vault.unbound",
                    f"the encrypted {field_name} of {code} was written before vault records "
                    "were bound to their organisation and is not opened; erase the record "
                    "and store it again",
                    details,
                ) from None
            raise VaultIntegrityError(
                "vault.tampered",
                f"the encrypted {field_name} of {code} does not open: it was altered, "
                "copied from another record or field, or its record was moved to another "
                "organisation",
                details,
            ) from None
        return clear.decode()

    def _opens_unbound(self, code: str, field_name: str, nonce: bytes, sealed: bytes) -> bool:
        try:
            self._aead.decrypt(nonce, sealed, _unbound_associated_data(code, field_name))
        except InvalidTag:
            return False
        return True

    def lookup_hash(self, field_name: str, normalised: str) -> bytes:
        """The keyed hash of a normalised value, the vault's look-up index."""
        message = b"\x00".join((_LOOKUP, field_name.encode(), normalised.encode()))
        inner, outer = self._pads[0].copy(), self._pads[1].copy()
        inner.update(message)
        outer.update(inner.digest())
        return outer.digest()
