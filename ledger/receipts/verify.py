"""Checking a receipt with no database: the steps of ``docs/receipts.md``, in order.

For each bundle: the leaf is an entry at ``leaf_index``; the checkpoint note is signed by a
trusted key (given by the person checking, never taken from the receipt) whose name is the
checkpoint's origin; the checkpoint covers the entry; the inclusion proof leads from the leaf
hash to the checkpoint's root. For a PDF, also: it carries ``receipt.json``, and its pages
print what the bundle's ``printed`` items bind (at least the entry number, time, amounts, leaf
hash and checkpoint size), exactly as the leaf gives them. Every failure is a
:class:`~ledger.receipts.bundle.ReceiptError` whose code names the step.

:func:`check_consistency` checks that a later checkpoint (today's, fetched from the server or
read from the database) extends the receipt's, so the log was not rewritten after printing.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from ledger.core.entry import Entry
from ledger.core.note import Checkpoint, NoteError, Verifier, open_note, parse_checkpoint
from ledger.core.proof import ProofError, verify_consistency, verify_inclusion
from ledger.receipts import printed
from ledger.receipts.bundle import Bundle, ReceiptError, decode, receipt_view

ATTACHMENT = "receipt.json"
PDF_MAGIC = b"%PDF-"
#: The largest receipt file read (a notice of many pages with its bundles stays far below).
MAX_FILE = 16 * 1024 * 1024

# pypdf logs every oddity of a damaged PDF; the verdict says what matters.
logging.getLogger("pypdf").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Verified:
    """A bundle that holds: its ``entry``, the ``checkpoint`` that covers it and the names of
    the trusted keys that signed that checkpoint."""

    bundle: Bundle
    entry: Entry
    checkpoint: Checkpoint
    signed_by: tuple[str, ...]


@dataclass(frozen=True)
class Receipt:
    """What a receipt file holds: its bundles, and for a PDF the text of its pages."""

    bundles: list[Bundle]
    page_text: str | None


def _fail(code: str, message: str, reason: str, **details) -> ReceiptError:
    return ReceiptError(code, message, {"reason": reason, **details})


def read(data: bytes) -> Receipt:
    """The bundles (and page text) of a receipt PDF or a ``receipt.json``. Raises ReceiptError
    (``receipt.file``, ``receipt.no_bundle``, ``receipt.format``)."""
    if len(data) > MAX_FILE:
        raise _fail("receipt.file", "the file is too large", f"{len(data)} bytes")
    if data.startswith(PDF_MAGIC):
        return _read_pdf(data)
    if data.lstrip()[:1] in (b"{", b"["):
        return Receipt(decode(data), None)
    raise _fail(
        "receipt.file",
        "this file is neither a receipt PDF nor a receipt.json",
        "the file starts with neither %PDF- nor a JSON object or array",
    )


def _read_pdf(data: bytes) -> Receipt:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise _fail("receipt.file", "the PDF is encrypted", "an encrypted PDF")
        attached = reader.attachments.get(ATTACHMENT, [])
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise _fail(
            "receipt.file", "the PDF cannot be read", f"{type(exc).__name__}: {exc}"
        ) from None
    if len(attached) != 1:
        raise _fail(
            "receipt.no_bundle",
            f"the PDF carries {len(attached)} files named {ATTACHMENT}, not one",
            f"{len(attached)} attachments named {ATTACHMENT}",
        )
    return Receipt(decode(attached[0]), text)


def trusted_origin(verifiers: Sequence[Verifier], signed_by: Sequence[str], origin: str) -> bool:
    return origin in signed_by and any(v.name == origin for v in verifiers)


def verify_bundle(bundle: Bundle, verifiers: Sequence[Verifier]) -> Verified:
    """Check one bundle against the trusted ``verifiers``; return what it proves. Raises
    ReceiptError: ``receipt.leaf``, ``receipt.checkpoint``, ``receipt.signature``,
    ``receipt.not_covered``, ``receipt.inclusion``."""
    entry = bundle.entry()
    try:
        note = open_note(bundle.checkpoint, verifiers)
    except NoteError as exc:
        raise _fail(
            "receipt.signature",
            "the checkpoint is not signed by the trusted key",
            str(exc),
        ) from None
    try:
        checkpoint = parse_checkpoint(note.text)
    except NoteError as exc:
        raise _fail("receipt.checkpoint", "the checkpoint is malformed", str(exc)) from None
    signed_by = tuple(sig.name for sig in note.signatures)
    if not trusted_origin(verifiers, signed_by, checkpoint.origin):
        raise _fail(
            "receipt.signature",
            "the checkpoint is not signed by the trusted key",
            f"the checkpoint names the log {checkpoint.origin!r}, signed by {list(signed_by)}",
        )
    if bundle.tree_size != checkpoint.size or bundle.leaf_index >= checkpoint.size:
        raise _fail(
            "receipt.not_covered",
            "the checkpoint does not cover the entry",
            f"entry {bundle.leaf_index}, bundle tree size {bundle.tree_size}, "
            f"checkpoint size {checkpoint.size}",
            seq=bundle.leaf_index,
            size=checkpoint.size,
        )
    try:
        verify_inclusion(
            bundle.leaf_hash, bundle.leaf_index, checkpoint.size, bundle.inclusion, checkpoint.root
        )
    except ProofError as exc:
        raise _fail(
            "receipt.inclusion",
            "the inclusion proof does not lead from the entry to the signed root",
            str(exc),
        ) from None
    return Verified(bundle, entry, checkpoint, signed_by)


def check_printed(receipt: Receipt, verified: Sequence[Verified]) -> None:
    """For a PDF: its pages print, for every entry, what the bundle binds, as the leaf gives it.
    Raises ReceiptError ``receipt.printed_missing`` (the PDF binds too little) or
    ``receipt.printed`` (a printed value differs from the leaf)."""
    if receipt.page_text is None:
        return
    for item in verified:
        view = receipt_view(item.bundle, item.entry)
        lacking = printed.missing(view, item.bundle.printed)
        if lacking:
            raise _fail(
                "receipt.printed_missing",
                "the PDF does not say where it prints the entry's key facts",
                f"entry {item.entry.seq}: nothing binds {', '.join(lacking)}",
            )
        try:
            wrong = printed.mismatches(receipt.page_text, view, item.bundle.printed)
        except ValueError as exc:
            raise _fail(
                "receipt.format", f"the proof bundle is malformed: {exc}", str(exc)
            ) from None
        if wrong:
            first = wrong[0]
            raise _fail(
                "receipt.printed" if first["printed"] is not None else "receipt.printed_absent",
                "the printed text does not agree with the recorded entry",
                f"entry {item.entry.seq}: {first['label']} is printed as {first['printed']!r}, "
                f"the entry says {first['expected']!r}",
                **first,
            )


def verify(data: bytes, verifiers: Sequence[Verifier]) -> list[Verified]:
    """Check a receipt file (PDF or ``receipt.json``) completely; return what each of its
    bundles proves. Raises ReceiptError at the first step that fails."""
    receipt = read(data)
    verified = [verify_bundle(bundle, verifiers) for bundle in receipt.bundles]
    check_printed(receipt, verified)
    return verified


def check_consistency(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """Check that the log at ``new`` (a later checkpoint, already verified) extends the log at
    ``old`` (the receipt's). Raises ReceiptError ``receipt.inconsistent``."""
    if old.origin != new.origin:
        raise _fail(
            "receipt.inconsistent",
            "today's checkpoint is of another log",
            f"{new.origin!r} is not {old.origin!r}",
        )
    try:
        verify_consistency(old.size, new.size, proof, old.root, new.root)
    except ProofError as exc:
        raise _fail(
            "receipt.inconsistent",
            "today's log is not consistent with the receipt's checkpoint",
            str(exc),
            old_size=old.size,
            new_size=new.size,
        ) from None
