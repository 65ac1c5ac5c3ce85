"""The reconciliation JSON API under ``/api/v1/reconcile`` (in the OpenAPI document).

Registry sources (bureaus: their own division's; administrators: all): list, add, change,
remove. Findings (bureaus, within their division): the summary and the list, and
acknowledging one with a note (a ``reconcile.acknowledge`` entry; needs an
``Idempotency-Key``). A source is configuration, not a log entry: adding the same source again
(the same name and settings) answers with it, another source under a taken name is refused
(409).
"""

from __future__ import annotations

from typing import Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.exceptions import NotFound

from ledger.core.errors import ConflictError
from ledger.reconcile import findings, sources
from ledger.webkit import authz
from ledger.webkit.api import SIGNED_IN, ErrorResponse, IdempotencyHeader, Out, ex, json_response
from ledger.webkit.ext import engine

PREFIX = "/api/v1/reconcile"
TAG = Tag(name="reconcile", description="Registry reconciliation: sources and findings.")

bp = APIBlueprint(
    "reconcile_api",
    __name__,
    url_prefix=PREFIX,
    abp_tags=[TAG],
    abp_responses={401: ErrorResponse, 403: ErrorResponse, 422: ErrorResponse},
    operation_id_callback=lambda name, path, method: f"reconcile_{name}",
)
BUREAUS = authz.roles("bureau")
BUREAUS_OR_ADMIN = authz.roles("bureau", "admin")
authz.protect(
    bp,
    {
        "list_sources": BUREAUS_OR_ADMIN,
        "add_source": BUREAUS_OR_ADMIN,
        "change_source": BUREAUS_OR_ADMIN,
        "remove_source": BUREAUS_OR_ADMIN,
        "list_findings": BUREAUS,
        "acknowledge": BUREAUS,
    },
)
#: What a write may answer besides its success (400: a session's request without its CSRF token).
WRITE_ERRORS = {400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse}
NAME = r"^[a-z0-9][a-z0-9-]{1,39}$"


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class ReconcileSourcePath(BaseModel):
    name: str = Field(pattern=NAME, json_schema_extra=ex("verra-daily"))


class ReconcileSourceSettings(Strict):
    """Where a registry's records come from, in which format, and when."""

    format: Literal[sources.FORMATS] = Field(json_schema_extra=ex("verra"))  # type: ignore[valid-type]
    mapping: str = Field(
        "",
        max_length=64 * 1024,
        description="For the format `mapping`: the column mapping as JSON (docs/reconcile.md).",
        json_schema_extra=ex(""),
    )
    location_kind: Literal[sources.KINDS] = Field(json_schema_extra=ex("folder"))  # type: ignore[valid-type]
    location: str = Field(
        max_length=500,
        description="A folder's absolute path, or an http(s):// address.",
        json_schema_extra=ex("/srv/registry/verra"),
    )
    cron: str = Field(
        max_length=100,
        description="Five fields (minute hour day month weekday), Beijing time.",
        json_schema_extra=ex("0 3 * * *"),
    )
    division: str = Field(
        "",
        pattern=r"^(\d{2}|\d{4}|\d{6})?$",
        description="The owning bureau's division (administrators only; a bureau's is its own).",
        json_schema_extra=ex("350428"),
    )
    enabled: bool = Field(True, json_schema_extra=ex(True))


class ReconcileSourceBody(ReconcileSourceSettings):
    name: str = Field(pattern=NAME, json_schema_extra=ex("verra-daily"))


class ReconcileSourceOut(Out):
    name: str = Field(json_schema_extra=ex("verra-daily"))
    format: str = Field(json_schema_extra=ex("verra"))
    mapping: str = Field(json_schema_extra=ex(""))
    location_kind: str = Field(json_schema_extra=ex("folder"))
    location: str = Field(json_schema_extra=ex("/srv/registry/verra"))
    cron: str = Field(json_schema_extra=ex("0 3 * * *"))
    division: str = Field(json_schema_extra=ex("350428"))
    enabled: bool = Field(json_schema_extra=ex(True))
    updated_at: str = Field(json_schema_extra=ex("2026-03-01T02:03:04.000005Z"))

    @classmethod
    def of(cls, s: sources.Source) -> ReconcileSourceOut:
        return cls(
            name=s.name, format=s.format, mapping=s.mapping, location_kind=s.location_kind,
            location=s.location, cron=s.cron, division=s.division, enabled=s.enabled,
            updated_at=s.updated_at,
        )  # fmt: skip


class ReconcileSourcesOut(Out):
    sources: list[ReconcileSourceOut]


class ReconcileFindingsQuery(BaseModel):
    class_: Literal[findings.CLASSES] | None = Field(  # type: ignore[valid-type]
        None, alias="class", description="Only findings of this class."
    )


class ReconcileFindingOut(Out):
    seq: int = Field(description="The `reconcile.finding` entry.", json_schema_extra=ex(42))
    finding_class: str = Field(json_schema_extra=ex("missing_in_registry"))
    registry: str = Field(json_schema_extra=ex("verra"))
    block: str = Field(json_schema_extra=ex(""))
    first_serial: int = Field(json_schema_extra=ex(100000001))
    last_serial: int = Field(json_schema_extra=ex(100000050))
    quantity: int = Field(description="Units (registry serials).", json_schema_extra=ex(50))
    divisions: list[str] = Field(json_schema_extra=ex(["350428"]))
    found_at: str = Field(json_schema_extra=ex("2026-03-01T02:03:04.000005Z"))
    acknowledged_seq: int | None = Field(json_schema_extra=ex(None))

    @classmethod
    def of(cls, f: findings.ShownFinding) -> ReconcileFindingOut:
        return cls.model_validate(
            {
                "seq": f.seq, "finding_class": f.cls, "registry": f.registry, "block": f.block,
                "first_serial": f.first_serial, "last_serial": f.last_serial,
                "quantity": f.quantity, "divisions": list(f.divisions), "found_at": f.found_at,
                "acknowledged_seq": f.acknowledged_seq,
            }
        )  # fmt: skip


class ReconcileClassSummary(Out):
    count: int
    open: int
    quantity: int


class ReconcileFindingsOut(Out):
    summary: dict[str, ReconcileClassSummary] = Field(
        description="Per class: findings, those not acknowledged, units concerned."
    )
    findings: list[ReconcileFindingOut] = Field(description="Newest first, at most 500.")


class ReconcileFindingPath(BaseModel):
    seq: int = Field(ge=0, le=2**53 - 1, json_schema_extra=ex(42))


class ReconcileAckBody(Strict):
    note: str = Field(
        min_length=1, max_length=findings.MAX_NOTE, json_schema_extra=ex("已向登记机构核实")
    )


class ReconcileAckOut(Out):
    seq: int = Field(description="The `reconcile.acknowledge` entry.", json_schema_extra=ex(43))
    finding: int = Field(json_schema_extra=ex(42))
    note: str = Field(json_schema_extra=ex("已向登记机构核实"))


# --- sources ---------------------------------------------------------------------------------


def _own_division() -> str | None:
    """A bureau's division (its sources only); None for an administrator (every source)."""
    principal = authz.current_principal()
    return principal.org.code if principal.role == "bureau" else None


def _visible_source(name: str) -> sources.Source:
    found = [s for s in sources.list_sources(engine(), _own_division()) if s.name == name]
    if not found:
        raise NotFound(f"there is no source {name}")
    return found[0]


def _fields(body: ReconcileSourceSettings) -> dict:
    return {
        "format": body.format,
        "mapping": body.mapping,
        "location_kind": body.location_kind,
        "location": body.location,
        "cron": body.cron,
        "division": _own_division() or body.division,
    }


@bp.get(
    "/sources",
    summary="Registry sources: a bureau's own, or every one for an administrator",
    security=SIGNED_IN,
    responses={200: ReconcileSourcesOut},
)
def list_sources():
    found = sources.list_sources(engine(), _own_division())
    return json_response(ReconcileSourcesOut(sources=[ReconcileSourceOut.of(s) for s in found]))


@bp.post(
    "/sources",
    summary="Add a registry source",
    description="The scheduler picks it up within a minute. Adding the same source again "
    "answers with it; another source under a taken name is refused (409).",
    security=SIGNED_IN,
    responses={201: ReconcileSourceOut, **WRITE_ERRORS},
)
def add_source(header: IdempotencyHeader, body: ReconcileSourceBody):
    fields = _fields(body)
    try:
        created = sources.create_source(
            engine(),
            actor=authz.current_principal().actor,
            enabled=body.enabled,
            name=body.name,
            **fields,
        )
    except ConflictError:
        existing = sources.get_source(engine(), body.name)
        wanted = sources.check_source(name=body.name, **fields)
        same = all(getattr(existing, k) == v for k, v in wanted.items())
        if not same or existing.enabled != body.enabled or not _may_see(existing):
            raise
        created = existing
    return json_response(ReconcileSourceOut.of(created), 201)


def _may_see(source: sources.Source) -> bool:
    division = _own_division()
    return division is None or source.division.startswith(division)


@bp.put(
    "/sources/<name>",
    summary="Change a registry source",
    security=SIGNED_IN,
    responses={200: ReconcileSourceOut, **WRITE_ERRORS},
)
def change_source(
    path: ReconcileSourcePath, header: IdempotencyHeader, body: ReconcileSourceSettings
):
    _visible_source(path.name)
    changed = sources.update_source(engine(), path.name, enabled=body.enabled, **_fields(body))
    return json_response(ReconcileSourceOut.of(changed))


@bp.delete(
    "/sources/<name>",
    summary="Remove a registry source (what it imported stays)",
    security=SIGNED_IN,
    responses={204: None, **WRITE_ERRORS},
)
def remove_source(path: ReconcileSourcePath, header: IdempotencyHeader):
    _visible_source(path.name)
    sources.delete_source(engine(), path.name)
    return "", 204


# --- findings --------------------------------------------------------------------------------


@bp.get(
    "/findings",
    summary="The findings of the bureau's division, with a summary per class",
    security=SIGNED_IN,
    responses={200: ReconcileFindingsOut},
)
def list_findings(query: ReconcileFindingsQuery):
    division = authz.current_principal().org.code
    summary = findings.summary(engine(), division)
    rows = findings.list_findings(engine(), division, query.class_, limit=500)
    return json_response(
        ReconcileFindingsOut(
            summary={k: ReconcileClassSummary(**v) for k, v in summary.items()},
            findings=[ReconcileFindingOut.of(f) for f in rows],
        )
    )


@bp.post(
    "/findings/<int:seq>/acknowledgements",
    summary="Acknowledge a finding with a note",
    description="Appends a `reconcile.acknowledge` entry; the note must hold no personal data.",
    security=SIGNED_IN,
    responses={201: ReconcileAckOut, **WRITE_ERRORS},
)
def acknowledge(path: ReconcileFindingPath, header: IdempotencyHeader, body: ReconcileAckBody):
    principal = authz.current_principal()
    entry = findings.acknowledge(
        engine(),
        path.seq,
        body.note,
        actor=principal.actor,
        division=principal.org.code,
        key=f"api.reconcile.ack:{principal.actor}:{header.idempotency_key}",
    )
    return json_response(
        ReconcileAckOut(seq=entry.seq, finding=entry.body["finding"], note=entry.body["note"]),
        201,
    )
