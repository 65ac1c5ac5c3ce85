"""The ``/api/v1`` operations: one ``APIBlueprint``, one access-rule table.

Each view is declared with its pydantic models (query, path, header, body and responses), so
flask-openapi3 validates the request before the view runs and writes the OpenAPI document
from the same declarations. Access is decided before validation, by the rule table passed to
:func:`ledger.webkit.authz.protect` below: not signed in → 401, outside one's scope → 403, an
organisation that does not exist → 404. Domain errors (:class:`~ledger.core.errors.LedgerError`)
become JSON errors in :mod:`ledger.webkit.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask import current_app, jsonify, render_template
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel
from werkzeug.exceptions import NotFound

from ledger.accounts import model, services
from ledger.accounts.scopes import read_scope
from ledger.core.errors import NotFoundError, ValidationError
from ledger.services import anchors, checkpoints, log, reading, tree
from ledger.storage.db import read_transaction
from ledger.web.api import schemas
from ledger.web.api.docs import components, operations
from ledger.web.api.schemas import (
    MAX_PAGE,
    AnchorBody,
    AnchorOut,
    AnchorPath,
    AnchorsOut,
    BalanceOut,
    BalancesOut,
    CheckpointOut,
    ConsistencyOut,
    ConsistencyQuery,
    EntriesOut,
    EntriesQuery,
    EntryOut,
    InclusionOut,
    InclusionQuery,
    OrgDetail,
    OrgOut,
    OrgPath,
    PrincipalOut,
)
from ledger.webkit import authz
from ledger.webkit.api import SIGNED_IN as SIGNED_IN_SECURITY
from ledger.webkit.api import ErrorResponse, IdempotencyHeader
from ledger.webkit.ext import engine

PREFIX = "/api/v1"


def _operation_id(name: str, path: str, method: str) -> str:
    return name


TAG_META = Tag(name="meta", description="This API's own description.")
TAG_PRINCIPAL = Tag(name="principal", description="Who is asking.")
TAG_LOG = Tag(name="log", description="The public append-only log: checkpoints, entries, proofs.")
TAG_ORGS = Tag(name="orgs", description="Organisations and their balances (scoped).")
TAG_ANCHORS = Tag(name="anchors", description="Document anchoring: prove a file existed.")

bp = APIBlueprint(
    "api_v1",
    __name__,
    url_prefix=PREFIX,
    operation_id_callback=_operation_id,
    # Any request may carry a bad Authorization header (401) or fail validation (422).
    abp_responses={401: ErrorResponse, 422: ErrorResponse},
)


@dataclass(frozen=True)
class AnyOrg(authz.Rule):
    """:func:`authz.org_scoped` for a URL naming an organisation of any kind: the kind
    follows from the code's shape (:func:`ledger.accounts.model.kind_of_code`). A code of no
    valid shape is answered 404 without a database look-up."""

    def enforce(self, principal: model.Principal, view_args: Any) -> None:
        code = str(view_args.get(self.org_arg, ""))
        if self.signed_in and not principal.is_authenticated:
            return authz.Rule.enforce(self, principal, view_args)  # 401 first
        if not schemas.ORG_CODE_RE.fullmatch(code):
            raise NotFound(f"there is no organisation with code {code}")
        scoped = replace(self, org_kind=model.kind_of_code(code))
        return authz.Rule.enforce(scoped, principal, view_args)


ANY_ORG = AnyOrg()
#: Who may anchor a document: every signed-in role (village, court, bureau, admin).
ANCHORERS = authz.roles("village", "court", "bureau", "admin")

# The one access-rule table of the API: same scope rules as the pages.
authz.protect(
    bp,
    {
        "openapi_json": authz.PUBLIC,
        "docs": authz.PUBLIC,
        "me": authz.SIGNED_IN,
        "checkpoint": authz.PUBLIC,
        "entries": authz.PUBLIC,
        "inclusion_proof": authz.PUBLIC,
        "consistency_proof": authz.PUBLIC,
        "org": ANY_ORG,
        "org_balances": ANY_ORG,
        "create_anchor": ANCHORERS,
        "get_anchor": authz.PUBLIC,
    },
)

SIGNED_IN = SIGNED_IN_SECURITY
SIGNED_IN_ERRORS = {403: ErrorResponse}
WRITE_ERRORS = {400: ErrorResponse, 403: ErrorResponse, 409: ErrorResponse}


def _json(value: BaseModel, status: int = 200, headers: dict[str, str] | None = None):
    return jsonify(value.model_dump(mode="json")), status, headers or {}


# --- meta ---------------------------------------------------------------------------------


@bp.get(
    "/openapi.json",
    tags=[TAG_META],
    summary="The OpenAPI 3.1 document of this API",
    description="Generated from the code at start-up; it lists every operation under /api/v1.",
    responses={
        200: {
            "description": "The OpenAPI document.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def openapi_json():
    return jsonify(current_app.api_doc)


@bp.get(
    "/docs",
    tags=[TAG_META],
    summary="This API's reference, as a page",
    description="A server-rendered page listing every operation of the OpenAPI document.",
    responses={
        200: {
            "description": "An HTML page.",
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    },
)
def docs():
    doc = current_app.api_doc
    return render_template(
        "api/docs.html", doc=doc, operations=operations(doc), schemas=components(doc)
    )


# --- principal ----------------------------------------------------------------------------


@bp.get(
    "/me",
    tags=[TAG_PRINCIPAL],
    summary="Who is asking",
    description="The signed-in user or the API token, its role and organisation.",
    security=SIGNED_IN,
    responses={200: PrincipalOut, **SIGNED_IN_ERRORS},
)
def me():
    return _json(PrincipalOut.of(authz.current_principal()))


# --- the log ------------------------------------------------------------------------------


@bp.get(
    "/log/checkpoint",
    tags=[TAG_LOG],
    summary="The latest signed checkpoint",
    description="Its fields and the signed note exactly as signed (verify it offline with the "
    "log's public key). 404 before the first checkpoint is signed.",
    responses={200: CheckpointOut, 404: ErrorResponse},
)
def checkpoint():
    signed = checkpoints.latest_checkpoint(engine())
    out = CheckpointOut(
        origin=signed.checkpoint.origin,
        size=signed.checkpoint.size,
        root=signed.checkpoint.root.hex(),
        number=signed.number,
        created_at=signed.created_at,
        note=signed.note,
    )
    return _json(out, headers={"Cache-Control": "no-cache"})


@bp.get(
    "/log/entries",
    tags=[TAG_LOG],
    summary="Entries of the log, by seq",
    description=f"Entries `start <= seq < end`, at most {MAX_PAGE} per page; `next` is the "
    "`start` of the next page. Every leaf hash is public; the kind and the leaf only for "
    "entries the caller may read (public kinds, or scoped entries of its organisation or, "
    "for a bureau, its division).",
    responses={200: EntriesOut},
)
def entries(query: EntriesQuery):
    start = query.start
    if query.end is not None and query.end < start:
        raise ValidationError("request.range", "end must not be less than start")
    scope = read_scope(authz.current_principal())
    with read_transaction(engine()) as conn:
        size = log.read_head(conn).size
        wanted = size if query.end is None else min(query.end, size)
        stop = max(start, min(wanted, start + MAX_PAGE))
        rows = list(log.iter_leaves(conn, "main", start, stop))
        readable = reading.readable_seqs(conn, scope, (row[0] for row in rows))
    items = [EntryOut(**log.entry_json(*row, readable=row[0] in readable)) for row in rows]
    out = EntriesOut(
        entries=items, start=start, end=stop, size=size, next=stop if stop < wanted else None
    )
    return _json(out)


@bp.get(
    "/log/proof/inclusion",
    tags=[TAG_LOG],
    summary="Inclusion proof of an entry",
    description="RFC 9162 inclusion proof of entry `seq` in the tree of `size` entries.",
    responses={200: InclusionOut, 404: ErrorResponse},
)
def inclusion_proof(query: InclusionQuery):
    with read_transaction(engine()) as conn:
        doc = tree.inclusion_document(conn, "main", query.seq, query.size)
    return _json(InclusionOut(**doc))


@bp.get(
    "/log/proof/consistency",
    tags=[TAG_LOG],
    summary="Consistency proof between two tree sizes",
    description="RFC 9162 consistency proof from the tree of `old` entries to `new` entries.",
    responses={200: ConsistencyOut, 404: ErrorResponse},
)
def consistency_proof(query: ConsistencyQuery):
    with read_transaction(engine()) as conn:
        doc = tree.consistency_document(conn, "main", query.old, query.new)
    return _json(ConsistencyOut(**doc))


# --- organisations ------------------------------------------------------------------------


@bp.get(
    "/orgs/<code>",
    tags=[TAG_ORGS],
    summary="An organisation",
    description="A village, court or bureau within the caller's scope (a village or court "
    "sees itself; a bureau sees the organisations within its division).",
    security=SIGNED_IN,
    responses={200: OrgDetail, **SIGNED_IN_ERRORS, 404: ErrorResponse},
)
def org(path: OrgPath):
    found = authz.current_org()
    within: list[OrgOut] = []
    if found.kind == "bureau":
        with read_transaction(engine()) as conn:
            within = [
                OrgOut.of(o)
                for o in services.list_orgs(conn, within=found.division)
                if o.id != found.id
            ]
    return _json(OrgDetail(**OrgOut.of(found).model_dump(), orgs=within))


@bp.get(
    "/orgs/<code>/balances",
    tags=[TAG_ORGS],
    summary="Balances of an organisation's accounts",
    description="Rows of the account_balance projection for every account naming the "
    "organisation (e.g. `…:Village:350428102201:…`); amounts in fen (CNY) or kg (CO2E).",
    security=SIGNED_IN,
    responses={200: BalancesOut, **SIGNED_IN_ERRORS, 404: ErrorResponse},
)
def org_balances(path: OrgPath):
    found = authz.current_org()
    with read_transaction(engine()) as conn:
        rows = services.balances_of(conn, found)
    balances = [
        BalanceOut(
            account=b.account,
            commodity=b.commodity,
            balance=b.balance,
            unit=schemas.UNITS.get(b.commodity, b.commodity),
            last_seq=b.last_seq,
        )
        for b in rows
    ]
    return _json(BalancesOut(org=OrgOut.of(found), balances=balances))


# --- document anchors ---------------------------------------------------------------------


def _anchor_out(seq: int, time: str, actor: str, leaf_hash: bytes, body: dict) -> AnchorOut:
    return AnchorOut(
        seq=seq,
        time=time,
        actor=actor,
        sha256=body["sha256"],
        size=body["size"],
        title=body.get("title", ""),
        leaf_hash=bytes(leaf_hash).hex(),
    )


@bp.post(
    "/anchors",
    tags=[TAG_ANCHORS],
    summary="Anchor a document digest",
    description="Appends a `doc.anchor` entry (SHA-256, size, title) with the caller as actor. "
    "Needs `Idempotency-Key`: the same key and body return the original entry (201 again); "
    "the same key with another body is refused (409).",
    security=SIGNED_IN,
    responses={201: AnchorOut, **WRITE_ERRORS},
)
def create_anchor(header: IdempotencyHeader, body: AnchorBody):
    principal = authz.current_principal()
    draft = anchors.anchor_draft(body.sha256, body.size, body.title, principal.actor)
    key = f"{principal.actor}:{header.idempotency_key}"
    (entry,) = log.append_batch(engine(), [draft], idempotency_key=key)
    out = _anchor_out(entry.seq, entry.time, entry.actor, entry.leaf_hash, entry.body)
    return _json(out, 201, {"Location": f"{PREFIX}/anchors/{body.sha256}"})


@bp.get(
    "/anchors/<sha256>",
    tags=[TAG_ANCHORS],
    summary="Where and when a document was anchored",
    description="Every `doc.anchor` entry of the document with this SHA-256, oldest first; "
    "404 if it was never anchored.",
    responses={200: AnchorsOut, 404: ErrorResponse},
)
def get_anchor(path: AnchorPath):
    sha256 = path.sha256.lower()
    found = anchors.find_anchors(engine(), sha256)
    if not found:
        raise NotFoundError("anchor.not_found", f"no document with SHA-256 {sha256} is anchored")
    out = [
        _anchor_out(
            a.seq,
            a.time,
            a.actor,
            a.leaf_hash,
            {"sha256": a.sha256, "size": a.size, "title": a.title},
        )
        for a in found
    ]
    return _json(AnchorsOut(sha256=sha256, anchors=out))
