"""The vault's plain records: what a reader gets back. Pure: no I/O.

A vault record is one person (or company) whose personal data the ledger needs: a household
of a village collective, a defendant in a court case, or a person who bought carbon units
(one-yuan carbon, a sale to an individual), kept for the bureau of the project's county. Log
entries name it only by its pseudonymous ``code``; the personal data itself lives encrypted in
the vault and can be erased without touching the log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ledger.core.errors import ValidationError

HOUSEHOLD = "household"
DEFENDANT = "defendant"
BUYER = "buyer"
KINDS = (HOUSEHOLD, DEFENDANT, BUYER)

#: Code prefix of each subject kind.
CODE_PREFIX = {HOUSEHOLD: "H", DEFENDANT: "D", BUYER: "B"}
#: Crockford's base32 alphabet (no I, L, O, U: codes are read aloud and copied by hand).
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 12
CODE_RE = re.compile(rf"[HDB]-[{CODE_ALPHABET}]{{{CODE_CHARS}}}")

#: The role that owns (and may see in clear) each subject kind, within its own organisation.
OWNER_ROLE = {HOUSEHOLD: "village", DEFENDANT: "court", BUYER: "bureau"}

ORG_MAX_LEN = 64
_VILLAGE_CODE = re.compile(r"\d{12}")
_BUREAU_CODE = re.compile(r"\d{2}|\d{4}|\d{6}")
_ORG_CODE = re.compile(r"[^\s\x00-\x1f\x7f]+")  # one word: 闽0428, 350424101201

#: What a reader sees in place of each field of an erased record.
ERASED = "[erased]"


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationError(
            "vault.unknown_kind",
            f"unknown subject kind {kind!r}; known: {', '.join(KINDS)}",
            {"kind": kind, "known": list(KINDS)},
        )
    return kind


def check_owner_org(kind: str, owner_org: str) -> str:
    """A household belongs to a village (12-digit division code); a defendant to a court
    (its court code as written in case numbers, e.g. ``闽0428``: one word, no spaces); a buyer
    to a bureau (its division code)."""
    if not isinstance(owner_org, str) or len(owner_org) > ORG_MAX_LEN:
        raise ValidationError(
            "vault.invalid_owner_org", "the owning organisation code is not valid text"
        )
    if kind == HOUSEHOLD and not _VILLAGE_CODE.fullmatch(owner_org):
        raise ValidationError(
            "vault.invalid_owner_org",
            "a household belongs to a village: use its 12-digit division code",
            {"owner_org": owner_org},
        )
    if kind == BUYER and not _BUREAU_CODE.fullmatch(owner_org):
        raise ValidationError(
            "vault.invalid_owner_org",
            "a buyer's record belongs to a bureau: use its 2-, 4- or 6-digit division code",
            {"owner_org": owner_org},
        )
    if not _ORG_CODE.fullmatch(owner_org):
        raise ValidationError(
            "vault.invalid_owner_org",
            "an organisation code is one word without spaces, e.g. 闽0428",
            {"owner_org": owner_org},
        )
    return owner_org


@dataclass(frozen=True)
class Viewer:
    """Who is looking.

    Attributes:
      role: the viewer's role (``village``, ``court``, ``bureau``, …).
      org: the viewer's organisation code (village division code, court code), or ``None``.
    """

    role: str
    org: str | None = None


@dataclass(frozen=True)
class VaultRecord:
    """One decrypted vault record.

    Attributes:
      code: the pseudonymous code (``H-…`` household, ``D-…`` defendant) log entries carry.
      kind: ``household`` or ``defendant``.
      owner_org: the owning organisation: a 12-digit village code or a court code.
      fields: field name → clear value (as stored, see :mod:`ledger.vault.fields`); empty
        once erased.
      created_at, updated_at: UTC ISO-8601 timestamps.
      erased_at: when the personal data was erased, or ``None``.
    """

    code: str
    kind: str
    owner_org: str
    fields: dict[str, str] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""
    erased_at: str | None = None

    @property
    def erased(self) -> bool:
        return self.erased_at is not None

    def __repr__(self) -> str:  # never print personal data into logs or tracebacks
        return (
            f"VaultRecord(code={self.code!r}, kind={self.kind!r}, owner_org={self.owner_org!r}, "
            f"fields=<{len(self.fields)} hidden>, erased_at={self.erased_at!r})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "kind": self.kind,
            "owner_org": self.owner_org,
            "fields": dict(self.fields),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "erased_at": self.erased_at,
        }
