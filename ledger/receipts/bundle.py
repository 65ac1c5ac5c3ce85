"""The proof bundle ``carbon-ledger-receipt/1``: one entry's exact leaf bytes, its inclusion
proof and a signed checkpoint that covers it, which is everything needed to check with no
access to the server that the entry is in the log. ``docs/receipts.md`` is the specification;
this module builds and reads bundles, and :mod:`.verify` checks them.

A bundle travels as the RFC 8785 canonical JSON of::

    {"checkpoint": "<the signed note>", "format": "carbon-ledger-receipt/1",
     "inclusion": ["<hex>", ...], "leaf": "<base64 of the leaf bytes>", "leaf_index": 7,
     "printed": [{"format": "yuan", "label": "金额", "pointer": "/leaf/postings/1/amount"}],
     "tree_size": 12}

(``printed`` only in a PDF's bundle: which printed values come from which part of the leaf).
A file holding several entries' bundles (a notice that proves many payouts) holds a JSON array
of them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Engine, select

from ledger.core.canonical import canonical_json, parse_canonical
from ledger.core.entry import Entry, entry_from_leaf
from ledger.core.errors import LedgerError, NotFoundError, ValidationError
from ledger.core.hashing import leaf_hash
from ledger.core.note import Signer
from ledger.platform.registry import SALT_KEY
from ledger.services import checkpoints, tree
from ledger.services.log import ENTRY, read_head
from ledger.storage.db import read_transaction

FORMAT = "carbon-ledger-receipt/1"
KEYS = frozenset({"format", "leaf", "leaf_index", "tree_size", "inclusion", "checkpoint"})
OPTIONAL_KEYS = frozenset({"printed"})
PRINTED_KEYS = frozenset({"label", "pointer", "format"})
#: Where the public verification page lives, and the prefix of every QR link.
LINK_PATH = "/public/receipts"
#: What the QR link's secret hashes before the entry's salt (docs/receipts.md).
LINK_LABEL = b"carbon-ledger-receipt/1 link\n"
#: How many entries' proofs are read from the database at once.
CHUNK = 500

_HEX64 = re.compile(r"[0-9a-f]{64}")
_SALT = re.compile(r"[0-9a-f]{32}")


class ReceiptError(LedgerError):
    """A receipt does not prove what it says, or is not a receipt. ``code`` names the step that
    failed (``receipt.signature``, ``receipt.inclusion``…); ``details["reason"]`` says, in
    English, exactly what was wrong."""

    status = 422


def _malformed(reason: str) -> ReceiptError:
    return ReceiptError(
        "receipt.format", f"the proof bundle is malformed: {reason}", {"reason": reason}
    )


@dataclass(frozen=True, slots=True)
class Printed:
    """A value a receipt PDF prints under ``label``, taken from the bundle at ``pointer`` (an
    RFC 6901 pointer into :func:`receipt_view`) and written in ``format`` (see
    :mod:`.printed`). The verifier reads the PDF's text and checks the two agree."""

    label: str
    pointer: str
    format: str

    def as_json(self) -> dict[str, str]:
        return {"label": self.label, "pointer": self.pointer, "format": self.format}


@dataclass(frozen=True, slots=True)
class Bundle:
    """One entry's proof: its ``leaf`` bytes, its position ``leaf_index`` (its seq), the
    ``inclusion`` proof (RFC 9162, hashes in order from the leaf up) in the tree of
    ``tree_size`` entries, the signed ``checkpoint`` note of that tree, and what a PDF prints
    from it (``printed``)."""

    leaf: bytes
    leaf_index: int
    tree_size: int
    inclusion: tuple[bytes, ...]
    checkpoint: str
    printed: tuple[Printed, ...] = ()

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.leaf)

    def entry(self) -> Entry:
        """The entry the leaf records. Raises ReceiptError (``receipt.leaf``) when the leaf is
        not an entry of this ledger or sits at another position than ``leaf_index``."""
        try:
            entry = entry_from_leaf(self.leaf, parse_canonical(self.leaf))
        except (ValueError, ValidationError) as exc:
            reason = getattr(exc, "message", str(exc))
            raise ReceiptError(
                "receipt.leaf", f"the recorded entry is not valid: {reason}", {"reason": reason}
            ) from None
        if entry.seq != self.leaf_index:
            reason = f"the leaf says seq {entry.seq} but the bundle places it at {self.leaf_index}"
            raise ReceiptError("receipt.leaf", reason, {"reason": reason})
        return entry

    def as_json(self) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "format": FORMAT,
            "leaf": base64.b64encode(self.leaf).decode("ascii"),
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "inclusion": [h.hex() for h in self.inclusion],
            "checkpoint": self.checkpoint,
        }
        if self.printed:
            obj["printed"] = [p.as_json() for p in self.printed]
        return obj

    def with_printed(self, printed: Sequence[Printed]) -> Bundle:
        return replace(self, printed=tuple(printed))


def encode(bundles: Sequence[Bundle]) -> bytes:
    """The ``receipt.json`` of ``bundles``: one bundle object, or an array of several, as RFC
    8785 canonical JSON (so a file changed in any byte no longer reads as issued)."""
    if not bundles:
        raise ValueError("a receipt proves at least one entry")
    if len(bundles) == 1:
        return canonical_json(bundles[0].as_json())
    return canonical_json([b.as_json() for b in bundles])


def decode(data: bytes) -> list[Bundle]:
    """The bundles of a ``receipt.json``. Strict: the bytes must be exactly the canonical JSON
    :func:`encode` writes, of one bundle or a non-empty array of bundles, each with exactly the
    keys of the format (``printed`` optional), ``leaf`` canonical base64, ``inclusion``
    lowercase hex of 32-byte hashes. Raises ReceiptError (``receipt.format``)."""
    try:
        value = parse_canonical(data)
    except ValidationError as exc:
        raise _malformed(f"not canonical JSON ({exc.message})") from None
    if isinstance(value, list):
        if not value:
            raise _malformed("an empty array of bundles")
        return [_bundle(item) for item in value]
    return [_bundle(value)]


def _bundle(obj: Any) -> Bundle:
    if not isinstance(obj, dict):
        raise _malformed("a bundle is a JSON object")
    if obj.get("format") != FORMAT:
        raise _malformed(f"the format is {obj.get('format')!r}, not {FORMAT!r}")
    missing = KEYS - obj.keys()
    unknown = obj.keys() - KEYS - OPTIONAL_KEYS
    if missing or unknown:
        raise _malformed(f"missing keys {sorted(missing)}, unknown keys {sorted(unknown)}")
    leaf_b64, index, size = obj["leaf"], obj["leaf_index"], obj["tree_size"]
    if not isinstance(leaf_b64, str):
        raise _malformed("leaf is not a string")
    try:
        leaf = base64.b64decode(leaf_b64.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise _malformed("leaf is not base64") from None
    if base64.b64encode(leaf).decode("ascii") != leaf_b64 or not leaf:
        raise _malformed("leaf is not canonical base64 of a non-empty leaf")
    for name, n in (("leaf_index", index), ("tree_size", size)):
        if type(n) is not int or n < 0:
            raise _malformed(f"{name} is not a non-negative integer")
    inclusion = obj["inclusion"]
    if not isinstance(inclusion, list) or not all(
        isinstance(h, str) and _HEX64.fullmatch(h) for h in inclusion
    ):
        raise _malformed("inclusion is not a list of 64 lowercase hex digits each")
    if not isinstance(obj["checkpoint"], str):
        raise _malformed("checkpoint is not a string")
    printed = obj.get("printed", [])
    if not isinstance(printed, list) or ("printed" in obj and not printed):
        raise _malformed("printed is not a non-empty list")
    items = []
    for item in printed:
        if not (
            isinstance(item, dict)
            and item.keys() == PRINTED_KEYS
            and all(isinstance(v, str) and v for v in item.values())
        ):
            raise _malformed("each printed item has exactly a label, a pointer and a format")
        items.append(Printed(item["label"], item["pointer"], item["format"]))
    return Bundle(
        leaf,
        index,
        size,
        tuple(bytes.fromhex(h) for h in inclusion),
        obj["checkpoint"],
        tuple(items),
    )


def receipt_view(bundle: Bundle, entry: Entry) -> dict[str, Any]:
    """What a printed item's pointer points into: ``{"leaf": <the leaf object>, "leaf_hash":
    <hex>, "leaf_index", "tree_size"}``."""
    return {
        "leaf": parse_canonical(bundle.leaf),
        "leaf_hash": entry.leaf_hash.hex(),
        "leaf_index": bundle.leaf_index,
        "tree_size": bundle.tree_size,
    }


# --- the QR link ------------------------------------------------------------------------------


def link_secret(entry: Entry) -> str | None:
    """The secret of an entry's QR link: base64url (no padding) of the first 16 bytes of
    ``SHA-256(LINK_LABEL ‖ the 16 salt bytes)``; None for an entry without a salt (a public
    entry, whose contents anyone may read)."""
    salt = entry.body.get(SALT_KEY)
    if not isinstance(salt, str) or not _SALT.fullmatch(salt):
        return None
    digest = hashlib.sha256(LINK_LABEL + bytes.fromhex(salt)).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def link(public_url: str, entry: Entry) -> str:
    """The public verification page of ``entry``, as its receipt's QR code holds it:
    ``<public_url>/public/receipts/<seq>/<secret>`` (``…/<seq>`` for a public entry)."""
    secret = link_secret(entry)
    path = f"{LINK_PATH}/{entry.seq}" + (f"/{secret}" if secret else "")
    return public_url.rstrip("/") + path


# --- building bundles -------------------------------------------------------------------------


def build(
    engine: Engine, seqs: Sequence[int], signer: Signer, origin: str, log: str = "main"
) -> list[Bundle]:
    """The bundles of entries ``seqs`` (in that order), against the latest signed checkpoint.

    When that checkpoint does not cover every one of them (or none was signed yet), one new
    checkpoint is signed for the whole batch, proven consistent with the last as always
    (:func:`ledger.services.checkpoints.sign_checkpoint`). Raises NotFoundError
    (``receipt.no_entry``) for a seq the log does not have yet, and ValidationError for a seq
    that is not a non-negative integer.
    """
    if not seqs:
        raise ValidationError("receipt.no_seq", "name at least one entry")
    for seq in seqs:
        if type(seq) is not int or seq < 0:
            raise ValidationError("receipt.seq", f"{seq!r} is not an entry number")
    last = max(seqs)
    with read_transaction(engine) as conn:
        size = read_head(conn, log).size
        signed = checkpoints.latest(conn, log)
    if last >= size:
        raise NotFoundError(
            "receipt.no_entry",
            f"the log has no entry {last} yet (it has {size})",
            {"seq": last, "size": size},
        )
    if signed is None or signed.checkpoint.size <= last:
        signed = checkpoints.sign_checkpoint(engine, signer, origin, log)
    size = signed.checkpoint.size
    bundles = []
    with read_transaction(engine) as conn:
        for start in range(0, len(seqs), CHUNK):
            chunk = seqs[start : start + CHUNK]
            leaves = dict(
                conn.execute(
                    select(ENTRY.c.seq, ENTRY.c.leaf).where(
                        ENTRY.c.log == log, ENTRY.c.seq.in_(set(chunk))
                    )
                ).all()
            )
            proofs = tree.inclusion_proofs(conn, log, chunk, size)
            bundles.extend(
                Bundle(bytes(leaves[seq]), seq, size, tuple(proof), signed.note)
                for seq, proof in zip(chunk, proofs, strict=True)
            )
    return bundles
