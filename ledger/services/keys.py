"""The checkpoint signing key: an Ed25519 key in a PKCS8 PEM file (mode 0600) under
``instance/keys/``, never in the database or the repository.

Beside the private key sit its public forms, rewritten whenever the key is loaded:
``<stem>.pub.pem`` (for ``openssl pkeyutl -verify -pubin -rawin``) and ``<stem>.vkey``
(the C2SP verifier key ``name+hex8+base64``).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from ledger.core.errors import LedgerError
from ledger.core.note import NoteError, Signer, Verifier


class SigningKeyError(LedgerError):
    """The signing key is missing, unreadable or of the wrong kind."""


def public_paths(key_path: Path) -> tuple[Path, Path]:
    stem = key_path.name.removesuffix(".pem")
    return key_path.with_name(f"{stem}.pub.pem"), key_path.with_name(f"{stem}.vkey")


def create_signing_key(key_path: Path, name: str) -> tuple[Signer, bool]:
    """Load the key at ``key_path``, creating it (mode 0600) if it does not exist.

    Returns the signer named ``name`` and whether the key was created now.
    """
    key_path = Path(key_path)
    created = False
    if not key_path.exists():
        key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        pem = Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
        try:
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
            created = True
    return load_signer(key_path, name), created


def load_signer(key_path: Path, name: str) -> Signer:
    """The signer for the PKCS8 PEM at ``key_path``; writes its public forms beside it."""
    key_path = Path(key_path)
    try:
        key = load_pem_private_key(key_path.read_bytes(), password=None)
    except FileNotFoundError:
        raise SigningKeyError(
            "key.missing",
            f"no signing key at {key_path}; run `carbon-ledger init` "
            "or set LEDGER_SIGNING_KEY_PATH",
        ) from None
    except ValueError as exc:
        raise SigningKeyError(
            "key.unreadable", f"cannot read signing key {key_path}: {exc}"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError("key.type", f"signing key {key_path} is not an Ed25519 key")
    signer = Signer(name, key)
    pem_path, vkey_path = public_paths(key_path)
    verifier = signer.verifier()
    for path, data in (
        (pem_path, verifier.pem()),
        (vkey_path, f"{verifier.verifier_key()}\n".encode()),
    ):
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    return signer


def instance_verifier(key_path: Path, name: str) -> Verifier | None:
    """The verifier of an instance's checkpoint key: the public ``.vkey`` file written beside
    the signing key, else derived from the signing key (named ``name``); None when neither can
    be read."""
    key_path = Path(key_path)
    _, vkey = public_paths(key_path)
    try:
        if vkey.is_file():
            return Verifier.from_verifier_key(vkey.read_text(encoding="utf-8").strip())
        if key_path.is_file():
            return load_signer(key_path, name).verifier()
    except (OSError, NoteError, LedgerError):
        return None
    return None
