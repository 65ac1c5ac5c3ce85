"""Read-only HTTP access to the public log: checkpoint, entries, proofs. Anyone reads the
checkpoint, sizes, leaf hashes and proofs; an entry's leaf (its contents) only if its kind is
public or the reader's scope covers it (:mod:`ledger.platform.reading`)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from ledger.accounts.scopes import read_scope
from ledger.core.errors import ValidationError
from ledger.services import checkpoints, log, reading, tree
from ledger.storage.db import read_transaction
from ledger.webkit import authz

bp = Blueprint("log", __name__, url_prefix="/log")
authz.protect(bp, {}, default=authz.PUBLIC)
MAX_PAGE = 1000


def _engine():
    return current_app.extensions["ledger.engine"]


def _int_arg(name: str, default: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        if default is None:
            raise ValidationError("request.missing", f"query parameter {name!r} is required")
        return default
    # ASCII only: str.isdigit() also accepts "²" and "١", which int() rejects or misreads.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise ValidationError("request.integer", f"{name} must be a non-negative integer")
    return int(raw)


@bp.get("/checkpoint")
def checkpoint() -> Response:
    signed = checkpoints.latest_checkpoint(_engine())
    return Response(signed.note, mimetype="text/plain", headers={"Cache-Control": "no-cache"})


@bp.get("/entries")
def entries():
    """Entries ``start <= seq < end``: every leaf hash; the leaf itself only where the reader
    may read the entry's contents (a public kind, or a scoped one within their scope)."""
    start = _int_arg("start", 0)
    scope = read_scope(authz.current_principal())
    with read_transaction(_engine()) as conn:
        size = log.read_head(conn).size
        end = min(_int_arg("end", min(size, start + MAX_PAGE)), size, start + MAX_PAGE)
        rows = list(log.iter_leaves(conn, "main", start, end))
        readable = reading.readable_seqs(conn, scope, (row[0] for row in rows))
    items = [log.entry_json(*row, readable=row[0] in readable) for row in rows]
    return jsonify(entries=items, start=start, end=max(start, end), size=size)


@bp.get("/proof/inclusion")
def inclusion():
    with read_transaction(_engine()) as conn:
        return jsonify(tree.inclusion_document(conn, "main", _int_arg("seq"), _int_arg("size")))


@bp.get("/proof/consistency")
def consistency():
    with read_transaction(_engine()) as conn:
        return jsonify(tree.consistency_document(conn, "main", _int_arg("old"), _int_arg("new")))
