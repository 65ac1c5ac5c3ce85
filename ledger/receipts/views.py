"""The public verification page (no sign-in), at ``/public/receipts``.

- Upload a receipt PDF or its ``receipt.json``: the same checks as ``receipt verify``, against
  this log's key, then whether today's signed checkpoint is consistent with the receipt's
  (a consistency proof from this server's log). The verdict and the facts, in plain words.
- Look up a bare leaf hash: only whether and where (which entry number) it is in the log.
- Open a receipt's QR link (``/public/receipts/<seq>/<secret>``): the secret comes from the
  entry's salt, which only the receipt holds, so the page shows that entry's facts to whoever
  holds the paper and to nobody who guesses a seq or a hash. A public entry's link has no
  secret (``/public/receipts/<seq>``): anyone may read it anyway.

Every page carries the ``openssl`` recipe for checking a checkpoint's signature by hand.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from flask import Blueprint, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired, Regexp

from ledger.core.entry import Entry
from ledger.core.note import Checkpoint, NoteError, open_note, parse_checkpoint
from ledger.core.proof import ProofError, verify_inclusion
from ledger.platform import registry
from ledger.receipts import verify
from ledger.receipts.bundle import LINK_PATH, ReceiptError, link_secret
from ledger.receipts.facts import shown_facts
from ledger.services import checkpoints, keys, log, tree
from ledger.services.log import ENTRY
from ledger.storage.db import read_transaction
from ledger.webkit import authz
from ledger.webkit.ext import engine, settings
from ledger.webkit.forms import error_message
from ledger.webkit.words import (
    account_label,
    display_lang,
)

bp = Blueprint("receipts", __name__, url_prefix=LINK_PATH, template_folder="templates")
authz.protect(bp, {}, default=authz.PUBLIC)

LOG = "main"
HASH_RE = re.compile(r"^[0-9a-fA-F]{64}$")


class UploadForm(FlaskForm):
    receipt = FileField(
        _l("The receipt (PDF or receipt.json)"),
        validators=[FileRequired(message=_l("Choose the receipt file."))],
    )


class LeafHashForm(FlaskForm):
    class Meta:
        csrf = False  # a GET look-up

    leaf_hash = StringField(
        _l("Leaf hash"),
        validators=[
            DataRequired(),
            Regexp(HASH_RE, message=_l("A leaf hash is 64 hexadecimal digits (0-9, a-f).")),
        ],
    )


@dataclass(frozen=True)
class Proven:
    """One entry a receipt proves, for the page: its facts in the reader's language."""

    seq: int
    leaf_hash: str
    facts: list[tuple[str, str]]
    checkpoint_size: int


@dataclass(frozen=True)
class Today:
    """Today's signed checkpoint and whether the receipt's checkpoint is consistent with it
    (``message`` says why not)."""

    size: int
    consistent: bool
    message: str | None = None


def _proven(entry: Entry, size: int) -> Proven:
    lang = display_lang()
    facts = shown_facts(entry, registry(), lang, gettext, account_label)
    return Proven(entry.seq, entry.leaf_hash.hex(), facts, size)


def _verifiers():
    found = keys.instance_verifier(settings().key_path, settings().log_origin)
    return [found] if found is not None else []


def _todays_checkpoint(conn) -> Checkpoint | None:
    """The latest stored checkpoint, if this log's key verifies it."""
    signed = checkpoints.latest(conn, LOG)
    if signed is None:
        return None
    try:
        return parse_checkpoint(open_note(signed.note, _verifiers()).text)
    except NoteError:
        return None


def _today(receipt: Checkpoint) -> Today | None:
    """Whether today's checkpoint extends ``receipt`` (a consistency proof from this log)."""
    with read_transaction(engine()) as conn:
        today = _todays_checkpoint(conn)
        if today is None:
            return None
        try:
            if today.size < receipt.size:
                raise ReceiptError(
                    "receipt.inconsistent", "today's log is shorter than the receipt's"
                )
            proof = (
                tree.consistency_proof(conn, LOG, receipt.size, today.size)
                if today.size > receipt.size
                else []
            )
            verify.check_consistency(receipt, today, proof)
        except ReceiptError as exc:
            return Today(today.size, False, error_message(exc))
    return Today(today.size, True)


@bp.route("", methods=["GET", "POST"])
def check():
    """Upload a receipt (POST), look up a leaf hash (GET ``?leaf_hash=``), or read how."""
    upload = UploadForm()
    lookup = LeafHashForm(request.args)
    status = 200
    context: dict = {}
    if request.method == "POST":
        if upload.validate_on_submit():
            context = _check_upload(upload.receipt.data.read())
            status = 200 if context["ok"] else 422
        else:
            status = 422
    elif "leaf_hash" in request.args:
        lookup.leaf_hash.data = (lookup.leaf_hash.data or "").strip()
        if lookup.validate():
            context = {"looked_up": _look_up(lookup.leaf_hash.data.lower())}
        else:
            status = 422
    page = render_template(
        "receipts/verify.html",
        upload=upload,
        lookup=lookup,
        origin=settings().log_origin,
        **context,
    )
    return page, status


def _check_upload(data: bytes) -> dict:
    try:
        verified = verify.verify(data, _verifiers())
    except ReceiptError as exc:
        return {"ok": False, "checked": True, "reason": error_message(exc)}
    proven = [_proven(v.entry, v.checkpoint.size) for v in verified]
    return {
        "ok": True,
        "checked": True,
        "proven": proven,
        "printed": sum(len(v.bundle.printed) for v in verified),
        "today": _today(verified[0].checkpoint),
    }


@dataclass(frozen=True)
class LookedUp:
    """Where a leaf hash is: the entry number, and whether today's checkpoint covers it."""

    leaf_hash: str
    seq: int | None
    covered_by: int | None


def _look_up(leaf_hash: str) -> LookedUp:
    with read_transaction(engine()) as conn:
        seq = conn.execute(
            select(ENTRY.c.seq).where(
                ENTRY.c.log == LOG, ENTRY.c.leaf_hash == bytes.fromhex(leaf_hash)
            )
        ).scalar()
        today = _todays_checkpoint(conn)
    covered = today.size if today is not None and seq is not None and seq < today.size else None
    return LookedUp(leaf_hash, seq, covered)


# --- the QR link ------------------------------------------------------------------------------


def _entry(seq: int) -> Entry | None:
    with read_transaction(engine()) as conn:
        if seq >= log.read_head(conn, LOG).size:
            return None
        return next(log.read_entries(conn, LOG, seq, seq + 1), None)


def _included(entry: Entry) -> Checkpoint | None:
    """Today's checkpoint, if it covers ``entry`` and the inclusion proof holds."""
    with read_transaction(engine()) as conn:
        today = _todays_checkpoint(conn)
        if today is None or entry.seq >= today.size:
            return None
        proof = tree.inclusion_proof(conn, LOG, entry.seq, today.size)
    try:
        verify_inclusion(entry.leaf_hash, entry.seq, today.size, proof, today.root)
    except ProofError:
        return None
    return today


def _not_found():
    """The answer to a link that names no entry, or not with its secret: the same for both,
    so a guess learns nothing."""
    message = gettext(
        "There is no such receipt link. Check that the whole link was copied, or upload the "
        "receipt on the verification page instead."
    )
    page = render_template(
        "errors/error.html", status=404, title=gettext("Not found"), message=message
    )
    return page, 404


def _show_entry(entry: Entry):
    today = _included(entry)
    return render_template(
        "receipts/entry.html",
        proven=_proven(entry, today.size if today else 0),
        today=today,
        upload=UploadForm(),
        origin=settings().log_origin,
    )


@bp.get("/<int:seq>/<secret>")
def entry_with_secret(seq: int, secret: str):
    """A receipt's QR link: the entry's facts, for whoever holds the secret."""
    entry = _entry(seq)
    expected = link_secret(entry) if entry is not None else None
    if expected is None or not hmac.compare_digest(expected.encode(), secret.encode()):
        return _not_found()
    return _show_entry(entry)


@bp.get("/<int:seq>")
def public_entry(seq: int):
    """The QR link of a public entry (whose contents anyone may read)."""
    entry = _entry(seq)
    if entry is None or not registry().is_public(entry.kind):
        return _not_found()
    return _show_entry(entry)
