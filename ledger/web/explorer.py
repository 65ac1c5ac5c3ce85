"""The log explorer, for forestry bureaus and administrators: the entries of the main log
(newest first, keyset pages by ``seq``, search by kind, by seq or by document SHA-256), one
entry with its decoded leaf and an inclusion proof against the latest checkpoint, the current
checkpoint and an on-demand verification of the whole log, and a form to anchor a document.

Pages only (API tokens use the JSON API). Every page is plain HTML: no script is needed.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ledger.accounts.scopes import read_scope
from ledger.core.errors import ConflictError, LedgerError
from ledger.platform.registry import SALT_KEY
from ledger.services import anchors, browse, checkpoints, keys, log, reading, verify
from ledger.services.anchors import MAX_TITLE
from ledger.storage.db import read_transaction
from ledger.web import proofs
from ledger.web.findings import shown
from ledger.web.public import SHA256_RE, verifier
from ledger.webkit import authz
from ledger.webkit.ext import engine, settings
from ledger.webkit.forms import error_message

bp = Blueprint("explorer", __name__, url_prefix="/explorer")
authz.protect(bp, {}, default=authz.roles("bureau", "admin", users_only=True))

LOG = "main"
PAGE_SIZE = 25
KIND_FILTER_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# --- the entries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the entries list. ``summary`` is a document's title, or (``is_data``) the
    entry's fields as ``name: value`` for kinds without a summary of their own."""

    seq: int
    kind: str
    time: str
    actor: str
    summary: str
    is_data: bool


def body_fields(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """An entry body's fields as ``(name, value)`` text pairs, nested names joined with ``.``
    and list items numbered: ``{"a": {"b": [1]}}`` → ``[("a.b.0", "1")]``."""
    if isinstance(value, dict) and value:
        pairs = [body_fields(v, f"{prefix}.{k}" if prefix else str(k)) for k, v in value.items()]
        return [pair for group in pairs for pair in group]
    if isinstance(value, list) and value:
        pairs = [body_fields(v, f"{prefix}.{i}" if prefix else str(i)) for i, v in enumerate(value)]
        return [pair for group in pairs for pair in group]
    if isinstance(value, bool) or value is None:
        return [(prefix, json.dumps(value))]
    if isinstance(value, dict | list):
        return [(prefix, "—")]
    return [(prefix, str(value))]


def shown_fields(body: Any) -> list[tuple[str, str]]:
    """:func:`body_fields` of what people read in a body: not the random salt of a scoped
    entry (it is there so that a public leaf hash confirms no guess, and means nothing)."""
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != SALT_KEY}
    return body_fields(body)


def _row(seq: int, kind: str, time: str, actor: str, leaf: bytes) -> Row:
    try:
        body = json.loads(leaf).get("body", {})
    except (ValueError, AttributeError):
        body = {}
    if kind == anchors.KIND and isinstance(body, dict):
        return Row(seq, kind, time, actor, str(body.get("title", "")), False)
    text = " · ".join(f"{name}: {value}" for name, value in shown_fields(body))
    summary = text if len(text) <= 80 else text[:79] + "…"
    return Row(seq, kind, time, actor, summary, True)


def _seq_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    if raw.isascii() and raw.isdigit() and len(raw) <= 18:
        return int(raw)
    return None


def _listed(rows) -> list[Row]:
    return [_row(r.seq, r.kind, r.time, r.actor, bytes(r.leaf)) for r in rows]


@bp.get("/")
def entries():
    """The entries, newest first. ``q`` is an entry number (opens it) or a document SHA-256
    (lists its anchors); ``kind`` filters by kind (``doc`` also matches ``doc.anchor``);
    ``before``/``after`` are the keyset page bounds."""
    q = request.args.get("q", "").strip()
    kind = request.args.get("kind", "").strip().lower()
    before, after = _seq_arg("before"), _seq_arg("after")
    error = None
    status = 200
    if kind and (len(kind) > 100 or not KIND_FILTER_RE.match(kind)):
        error = _("A kind is a dotted name such as doc.anchor or doc.")
        kind, status = "", 422
    searched_sha = None
    rows: list[Row] = []
    newer = older = False
    visible = reading.readable_clause(read_scope(authz.current_principal()), LOG)
    with read_transaction(engine()) as conn:
        size = log.read_head(conn, LOG).size
        signed = checkpoints.latest(conn, LOG)
        if q and q.isascii() and q.isdigit() and len(q) <= 18:
            seq = int(q)
            if seq < size:
                return redirect(url_for(".entry", seq=seq))
            error = _(
                "There is no entry %(seq)d: the log has %(size)d entries.", seq=seq, size=size
            )
            status = 404
        elif q and SHA256_RE.match(q):
            searched_sha = q.lower()
        elif q:
            error = _("Enter an entry number or a document's SHA-256 (64 hexadecimal digits).")
            status = 422
        if searched_sha is not None:
            found = anchors.find_anchors(engine(), searched_sha)
            rows = _listed(browse.rows_at(conn, LOG, [a.seq for a in found], visible))
        else:
            found_rows, newer, older = browse.page(
                conn,
                LOG,
                PAGE_SIZE,
                kind=kind or None,
                before=before,
                after=after,
                visible=visible,
            )
            rows = _listed(found_rows)
    page = render_template(
        "log/entries.html",
        rows=rows,
        newer=newer,
        older=older,
        q=q,
        kind=kind,
        searched_sha=searched_sha,
        error=error,
        size=size,
        signed=signed,
    )
    return page, status


# --- one entry --------------------------------------------------------------------------------


@bp.get("/entries/<int:seq>")
def entry(seq: int):
    """One entry: its position, leaf hash and inclusion proof for everyone allowed here; its
    contents only if the reader's scope covers it."""
    scope = read_scope(authz.current_principal())
    with read_transaction(engine()) as conn:
        size = log.read_head(conn, LOG).size
        found = next(log.read_entries(conn, LOG, seq, seq + 1), None)
        if found is None:
            abort(404)
        readable = seq in reading.readable_seqs(conn, scope, [seq], LOG)
        signed = checkpoints.latest(conn, LOG)
        proof = proofs.inclusion(conn, LOG, found.seq, found.leaf_hash, signed)
    pretty = None
    if readable:
        try:
            decoded: Any = json.loads(found.leaf)
            pretty = json.dumps(decoded, indent=2, ensure_ascii=False)
        except ValueError:
            pretty = found.leaf.decode("utf-8", "replace")
    return render_template(
        "log/entry.html",
        entry=found,
        readable=readable,
        fields=shown_fields(found.body) if readable else [],
        pretty=pretty,
        size=size,
        signed=signed,
        proof=proof,
    )


# --- the checkpoint and verification ----------------------------------------------------------


class VerifyForm(FlaskForm):
    external = TextAreaField(
        _l("A checkpoint kept elsewhere (optional)"),
        validators=[Optional(), Length(max=10_000)],
    )


@bp.route("/verify", methods=["GET", "POST"])
def verification():
    """The current checkpoint; on POST, verify the whole log and show the findings.

    The verification re-reads every entry of the log inside this request: seconds for a
    small log, but slow for a big one (minutes at millions of entries), holding a worker and a
    database snapshot meanwhile. That is acceptable while logs are small and the button is for
    bureau and admin users only; move it to the scheduler process with progress reporting
    when logs grow (see DESIGN.md: long jobs never run inside a web request).
    """
    form = VerifyForm()
    result = None
    key = verifier()
    if form.validate_on_submit():
        external = (form.external.data or "").replace("\r\n", "\n").strip()
        started = time.monotonic()
        findings = verify.verify_log(
            engine(),
            [key] if key is not None else [],
            log=LOG,
            origin=settings().log_origin,
            external_checkpoint=external + "\n" if external else None,
            workers=1,  # a web worker never spawns processes
        )
        result = {"findings": [shown(f) for f in findings], "seconds": time.monotonic() - started}
    with read_transaction(engine()) as conn:
        size = log.read_head(conn, LOG).size
        signed = checkpoints.latest(conn, LOG)
    return render_template(
        "log/verify.html",
        form=form,
        sign_form=SignForm(),
        result=result,
        size=size,
        signed=signed,
        verifier=key,
    )


class SignForm(FlaskForm):
    """Sign a new checkpoint of the current head (CSRF only)."""


@bp.post("/checkpoint/sign")
def sign_checkpoint():
    """Sign the current head, so entries appended since the last checkpoint get a signed
    root to prove inclusion against. Refused (and nothing signed) when the log is not
    consistent with its last checkpoint."""
    if SignForm().validate_on_submit():
        config = settings()
        try:
            signer = keys.load_signer(config.key_path, config.log_origin)
            signed = checkpoints.sign_checkpoint(engine(), signer, config.log_origin, LOG)
        except LedgerError as exc:
            flash(_("No checkpoint was signed: %(reason)s", reason=error_message(exc)), "error")
        else:
            flash(
                _(
                    "Checkpoint %(number)d covers %(size)d entries.",
                    number=signed.number,
                    size=signed.checkpoint.size,
                ),
                "info",
            )
    return redirect(url_for("explorer.verification"))


# --- anchoring a document ---------------------------------------------------------------------


class AnchorForm(FlaskForm):
    document = FileField(
        _l("Document"), validators=[FileRequired(message=_l("Choose a file to anchor."))]
    )
    title = StringField(
        _l("Title"),
        validators=[
            Optional(),
            Length(
                max=MAX_TITLE,
                message=_l("The title must be at most %(max)d characters.", max=MAX_TITLE),
            ),
        ],
    )
    idempotency_key = HiddenField(validators=[DataRequired(), Regexp(KEY_RE)])


def new_form_key() -> str:
    """A fresh idempotency key for one rendering of the anchor form."""
    return secrets.token_urlsafe(24)


@bp.route("/anchor", methods=["GET", "POST"])
def anchor():
    """Anchor a document: hash the uploaded file (it is not kept) and append ``doc.anchor``.

    The form carries an idempotency key made when it was rendered, so submitting the same
    form twice (a double tap, a retry after a timeout) appends once and shows the same entry.
    """
    form = AnchorForm()
    status = 200
    if form.validate_on_submit():
        principal = authz.current_principal()
        sha256, size = anchors.stream_digest(form.document.data.stream)
        title = (form.title.data or "").strip()
        key = f"web.anchor:{principal.actor}:{form.idempotency_key.data}"
        try:
            draft = anchors.anchor_draft(sha256, size, title, principal.actor)
            (entry,) = log.append_batch(engine(), [draft], idempotency_key=key)
        except ConflictError:
            form.form_errors.append(
                _(
                    "This form was already used to anchor another document. "
                    "Check the file and title, then send the form again."
                )
            )
            status = 409
        except LedgerError as exc:
            form.form_errors.append(error_message(exc))
            status = 422
        else:
            flash(_("The document is anchored as entry %(seq)d.", seq=entry.seq), "info")
            return redirect(url_for(".entry", seq=entry.seq), 303)
    elif request.method == "POST":
        status = 422
    form.idempotency_key.data = new_form_key()
    return render_template("log/anchor.html", form=form), status
