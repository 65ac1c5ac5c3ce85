"""Public pages (anyone, no sign-in): the latest signed checkpoint and how to check its
signature with ``openssl`` alone, a document look-up (by SHA-256, or by uploading the file,
which is hashed and not kept), and the inclusion proof of an entry, readable. Receipts are
checked on the receipts module's page (:mod:`ledger.receipts.views`).

Also the small helpers the log explorer (:mod:`ledger.web.explorer`) shares: the verifier key
and the SHA-256 pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Regexp

from ledger.core.note import Verifier
from ledger.platform import registry
from ledger.services import anchors, checkpoints, keys, log
from ledger.services.checkpoints import SignedCheckpoint
from ledger.storage.db import read_transaction
from ledger.web import proofs
from ledger.webkit import authz
from ledger.webkit.ext import engine, settings

bp = Blueprint("public", __name__, url_prefix="/public")
authz.protect(
    bp,
    {
        "checkpoint": authz.PUBLIC,
        "verifier_pem": authz.PUBLIC,
        "documents": authz.PUBLIC,
        "proof": authz.PUBLIC,
    },
)

SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")


# --- helpers shared with the explorer ---------------------------------------------------------


def verifier() -> Verifier | None:
    """The verifier of this log's checkpoint key (see :func:`keys.instance_verifier`)."""
    return keys.instance_verifier(settings().key_path, settings().log_origin)


def latest_checkpoint() -> SignedCheckpoint | None:
    with read_transaction(engine()) as conn:
        return checkpoints.latest(conn)


# --- the checkpoint ---------------------------------------------------------------------------


@bp.get("/checkpoint")
def checkpoint():
    with read_transaction(engine()) as conn:
        signed = checkpoints.latest(conn)
        head_size = log.read_head(conn).size
    return render_template(
        "public/checkpoint.html", signed=signed, size=head_size, verifier=verifier()
    )


@bp.get("/checkpoint/key.pem")
def verifier_pem():
    found = verifier()
    if found is None:
        return Response("no checkpoint key is configured\n", 404, mimetype="text/plain")
    return Response(found.pem(), mimetype="text/plain", headers={"Cache-Control": "no-cache"})


# --- documents --------------------------------------------------------------------------------


class DigestForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search

    sha256 = StringField(
        _l("SHA-256 of the document"),
        validators=[
            DataRequired(),
            Regexp(SHA256_RE, message=_l("A SHA-256 is 64 hexadecimal digits (0-9, a-f).")),
        ],
    )


class UploadForm(FlaskForm):
    document = FileField(_l("The file"), validators=[FileRequired(message=_l("Choose a file."))])


@dataclass(frozen=True)
class Found:
    """One anchor of a looked-up document: where (seq), when, under what title."""

    seq: int
    title: str
    size: int
    time: str
    covered: bool


def find_document(sha256: str) -> list[Found]:
    rows = anchors.find_anchors(engine(), sha256.lower())
    with read_transaction(engine()) as conn:
        signed = checkpoints.latest(conn)
        found = []
        for row in rows:
            covered = signed is not None and row.seq < signed.checkpoint.size
            found.append(Found(row.seq, row.title, row.size, row.time, covered))
    return found


@bp.route("/documents", methods=["GET", "POST"])
def documents():
    """Where was a document anchored? By its SHA-256 (GET) or by uploading it (POST)."""
    digest_form = DigestForm(request.args)
    upload = UploadForm()
    sha256 = size = None
    status = 200
    if request.method == "POST":
        if upload.validate_on_submit():
            sha256, size = anchors.stream_digest(upload.document.data.stream)
            digest_form.sha256.data = sha256
        else:
            status = 422
    elif "sha256" in request.args:
        digest_form.sha256.data = (digest_form.sha256.data or "").strip()
        if digest_form.validate():
            sha256 = digest_form.sha256.data.lower()
        else:
            status = 422
    found = find_document(sha256) if sha256 else None
    page = render_template(
        "public/documents.html",
        digest_form=digest_form,
        upload=upload,
        sha256=sha256,
        size=size,
        found=found,
        signed=latest_checkpoint(),
    )
    return page, status


# --- proofs ---------------------------------------------------------------------------------


@bp.get("/proof/<int:seq>")
def proof(seq: int):
    """Entry ``seq``'s inclusion proof in the latest signed checkpoint, checked and explained
    (the same proof for programs: ``/log/proof/inclusion``). The entry's kind and time are
    shown only for kinds whose contents are public."""
    with read_transaction(engine()) as conn:
        found = next(log.read_entries(conn, "main", seq, seq + 1), None)
        if found is None:
            abort(404)
        signed = checkpoints.latest(conn)
        shown = proofs.inclusion(conn, "main", seq, found.leaf_hash, signed)
    return render_template(
        "public/proof.html",
        entry=found,
        public=registry().is_public(found.kind),
        signed=signed,
        proof=shown,
    )
