"""The units JSON API under ``/api/v1/units`` (in the OpenAPI document with the rest).

Reads: the public register (no prices; individual buyers masked), projects with their lots
and holdings, a village's earnings and the serials it holds, a job's progress. Writes
(bureaus, within their own division; each needs an ``Idempotency-Key``): register a project,
issue a lot, transfer, pledge, release, retire, sell, and upload a one-yuan file (a job,
202). Amounts are integers: kg, fen, fen per tonne; a sale answers with its arithmetic.
Refusals are JSON errors; a conflict (409) names the serials and the entries holding them.
"""

from __future__ import annotations

from typing import Any, Literal

from flask_openapi3 import APIBlueprint, FileStorage, Tag
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.exceptions import Forbidden, NotFound

from ledger.core.entry import Entry
from ledger.core.errors import ValidationError
from ledger.jobs import runner
from ledger.storage.db import read_transaction
from ledger.units import model, services
from ledger.units.book import Lot, Project
from ledger.units.oneyuan import IMPORT_JOB
from ledger.units.services import Buyer, Document, IssueSpec, ProjectSpec
from ledger.vault.service import masked_names
from ledger.webkit import authz
from ledger.webkit.api import (
    SIGNED_IN,
    ErrorResponse,
    IdempotencyHeader,
    Out,
    api_key,
    ex,
    json_response,
)
from ledger.webkit.ext import engine, settings, vault_or_none

PREFIX = "/api/v1/units"
TAG = Tag(name="units", description="Carbon units: projects, lots, holdings, sales, register.")

bp = APIBlueprint(
    "units_api",
    __name__,
    url_prefix=PREFIX,
    abp_tags=[TAG],
    abp_responses={401: ErrorResponse, 422: ErrorResponse},
    operation_id_callback=lambda name, path, method: f"units_{name}",
)
READERS = authz.roles("bureau", "village")
BUREAUS = authz.roles("bureau")
authz.protect(
    bp,
    {
        "register": authz.PUBLIC,
        "projects": READERS,
        "project": READERS,
        "create_project": BUREAUS,
        "issue": BUREAUS,
        "transfer": BUREAUS,
        "pledge": BUREAUS,
        "release": BUREAUS,
        "retire": BUREAUS,
        "sell": BUREAUS,
        "earnings": authz.org_scoped("village"),
        "import_oneyuan": BUREAUS,
        "job": BUREAUS,
    },
)
WRITE_ERRORS = {400: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse}
PROJECT = r"^[A-Z0-9][A-Z0-9-]{1,31}$"
DATE = r"^\d{4}-\d{2}-\d{2}$"
USCC = r"^[0-9A-Z]{18}$"
HEX64 = r"^[0-9a-f]{64}$"
MAX_KG = 2**53 - 1
PROJECT_EXAMPLE = "CT-350428102201"
OWNER_EXAMPLE = "Assets:Village:350428102201:Collective"


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


# --- models -------------------------------------------------------------------------------


class UnitsProjectPath(BaseModel):
    project: str = Field(pattern=PROJECT, json_schema_extra=ex(PROJECT_EXAMPLE))


class UnitsVillagePath(BaseModel):
    code: str = Field(pattern=r"^\d{12}$", json_schema_extra=ex("350428102201"))


class UnitsJobPath(BaseModel):
    job_id: int = Field(ge=1, le=MAX_KG, json_schema_extra=ex(1))


class UnitsRegisterQuery(BaseModel):
    before: int | None = Field(None, ge=0, le=MAX_KG, description="Rows before this seq.")
    programme: Literal[tuple(model.PROGRAMMES)] | None = Field(  # type: ignore[valid-type]
        None, description="Only this programme's rows."
    )


class UnitsDocumentIn(Strict):
    """A document by digest: the client hashes the file; only the digest enters the log."""

    sha256: str = Field(
        pattern=HEX64,
        json_schema_extra=ex("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
    )
    size: int = Field(ge=0, le=MAX_KG, json_schema_extra=ex(48213))
    title: str = Field(
        max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$", json_schema_extra=ex("碳票签发文件")
    )

    def document(self) -> Document:
        return Document(self.sha256, self.size, self.title)


class UnitsProjectBody(Strict):
    """A project to register (see ``docs/units.md`` for account names)."""

    project: str = Field(pattern=PROJECT, json_schema_extra=ex(PROJECT_EXAMPLE))
    programme: Literal[tuple(model.PROGRAMMES)] = Field(json_schema_extra=ex("carbon_ticket"))  # type: ignore[valid-type]
    name: str = Field(min_length=1, max_length=200, json_schema_extra=ex("常口村生态公益林碳票"))
    owner: str = Field(
        max_length=120,
        description="The owner's holder account.",
        json_schema_extra=ex(OWNER_EXAMPLE),
    )
    owner_name: str = Field("", max_length=200, json_schema_extra=ex(""))
    division: str = Field(pattern=r"^(\d{6}|\d{12})$", json_schema_extra=ex("350428102201"))
    area_mu: str = Field(pattern=r"^\d{1,9}(\.\d{1,2})?$", json_schema_extra=ex("3197"))
    methodology: str = Field("", max_length=200, json_schema_extra=ex(""))
    crediting_start: str = Field(pattern=DATE, json_schema_extra=ex("2016-01-01"))
    crediting_end: str = Field(pattern=DATE, json_schema_extra=ex("2020-12-31"))
    registry_ids: dict[str, str] = Field(default_factory=dict, json_schema_extra=ex({}))


class UnitsIssueBody(Strict):
    """A lot to issue to the project's owner: ``count`` serials from ``first``."""

    lot: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$", json_schema_extra=ex("0000001"))
    vintage: int = Field(ge=1990, le=2100, json_schema_extra=ex(2021))
    period_start: str = Field(pattern=DATE, json_schema_extra=ex("2016-01-01"))
    period_end: str = Field(pattern=DATE, json_schema_extra=ex("2020-12-31"))
    count: int = Field(ge=1, le=10**12, json_schema_extra=ex(12723))
    first: int = Field(1, ge=0, le=10**15, json_schema_extra=ex(1))
    unit_kg: int | None = Field(None, ge=1, le=1_000_000, json_schema_extra=ex(1000))
    serial_prefix: str | None = Field(
        None, max_length=40, pattern=r"^[^\x00-\x1f\x7f]*$", json_schema_extra=ex("0000001-")
    )
    issued_on: str = Field(pattern=DATE, json_schema_extra=ex("2021-05-18"))
    document: UnitsDocumentIn


class UnitsSerialRange(Strict):
    lot: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$", json_schema_extra=ex("0000001"))
    first: int = Field(ge=0, le=MAX_KG, json_schema_extra=ex(1))
    last: int = Field(ge=0, le=MAX_KG, json_schema_extra=ex(2723))


class UnitsMoveBody(Strict):
    """Which serials: ``serials`` (ranges), or ``kg`` of the holder's (lowest first)."""

    kg: int | None = Field(None, ge=1, le=MAX_KG, json_schema_extra=ex(2_723_000))
    serials: list[UnitsSerialRange] | None = Field(None, min_length=1, max_length=1000)
    date: str | None = Field(None, pattern=DATE, json_schema_extra=ex("2021-05-18"))

    def chosen(self) -> dict[str, Any]:
        if (self.kg is None) == (self.serials is None):
            raise ValidationError("units.serials", "give either kg or serials")
        serials = [[s.lot, s.first, s.last] for s in self.serials] if self.serials else None
        return {"kg": self.kg, "serials": serials, "date": self.date}


class UnitsTransferBody(UnitsMoveBody):
    from_: str = Field(alias="from", max_length=120, json_schema_extra=ex(OWNER_EXAMPLE))
    to: str = Field(max_length=120, json_schema_extra=ex("Assets:Company:914403001922038216"))
    to_name: str = Field("", max_length=200, json_schema_extra=ex("华为技术有限公司"))
    ref: str = Field("", max_length=500, json_schema_extra=ex(""))


class UnitsPledgeeIn(Strict):
    name: str = Field(min_length=1, max_length=200, json_schema_extra=ex("福建将乐农村商业银行"))
    uscc: str = Field(pattern=USCC, json_schema_extra=ex("91110000710926094P"))


class UnitsPledgeBody(UnitsMoveBody):
    owner: str = Field(max_length=120, json_schema_extra=ex(OWNER_EXAMPLE))
    pledgee: UnitsPledgeeIn
    loan_ref: str = Field("", max_length=64, json_schema_extra=ex("JL-2022-001"))
    document: UnitsDocumentIn | None = None


class UnitsReleaseBody(UnitsMoveBody):
    owner: str = Field(max_length=120, json_schema_extra=ex(OWNER_EXAMPLE))
    pledgee_uscc: str = Field(pattern=USCC, json_schema_extra=ex("91110000710926094P"))
    document: UnitsDocumentIn


class UnitsBuyerIn(Strict):
    """An organisation by name (a company with its USCC); a person by name, which goes to
    the vault (the log carries a code)."""

    type: Literal["company", "organisation", "person"] = Field(json_schema_extra=ex("company"))
    name: str = Field(min_length=1, max_length=100, json_schema_extra=ex("华为技术有限公司"))
    uscc: str | None = Field(None, pattern=USCC, json_schema_extra=ex("914403001922038216"))

    def buyer(self) -> Buyer:
        return Buyer(self.type, self.name, self.uscc)


USE = Literal[tuple(k for k in model.USES if k != "personal")]  # type: ignore[valid-type]


class UnitsRetireBody(UnitsMoveBody):
    holder: str = Field(max_length=120, json_schema_extra=ex(OWNER_EXAMPLE))
    beneficiary: UnitsBuyerIn
    use: USE = Field(json_schema_extra=ex("event_neutrality"))
    claim: str = Field("", max_length=500, json_schema_extra=ex(""))


class UnitsSaleBody(UnitsMoveBody):
    seller: str = Field(max_length=120, json_schema_extra=ex(OWNER_EXAMPLE))
    buyer: UnitsBuyerIn
    price_fen_per_t: int = Field(
        ge=1, le=10**12, description="Fen per tonne.", json_schema_extra=ex(1500)
    )
    use: USE = Field(json_schema_extra=ex("esg"))
    retire: bool | None = Field(None, description="Retire for the buyer (forced for claims).")
    trade_ref: str = Field("", max_length=500, json_schema_extra=ex(""))
    claim: str = Field("", max_length=500, json_schema_extra=ex(""))


class UnitsImportForm(BaseModel):
    file: FileStorage


class UnitsEntryOut(Out):
    """The entry an operation appended."""

    seq: int = Field(json_schema_extra=ex(3))
    kind: str = Field(json_schema_extra=ex("units.sale"))
    time: str = Field(json_schema_extra=ex("2026-03-01T02:03:04.000005Z"))
    leaf_hash: str = Field(json_schema_extra=ex("ab" * 32))
    body: dict[str, Any] = Field(description="The entry's body (without its salt).")

    @classmethod
    def of(cls, entry: Entry) -> UnitsEntryOut:
        body = {k: v for k, v in entry.body.items() if k != "salt"}
        return cls(
            seq=entry.seq,
            kind=entry.kind,
            time=entry.time,
            leaf_hash=entry.leaf_hash.hex(),
            body=body,
        )


class UnitsSaleOut(UnitsEntryOut):
    """A sale, with its arithmetic: total = price × kg / 1000, rounded half up to the fen."""

    kg: int = Field(json_schema_extra=ex(2_723_000))
    price_fen_per_t: int = Field(json_schema_extra=ex(1500))
    total_fen: int = Field(json_schema_extra=ex(4_084_500))
    rounding: str = Field(json_schema_extra=ex("half_up"))
    retired: bool = Field(json_schema_extra=ex(False))


class UnitsLotOut(Out):
    lot: str
    vintage: int
    period: list[str]
    unit_kg: int
    first: int
    last: int
    serials: str = Field(description="The range as people write it.")
    kg: int
    issued_on: str
    document_sha256: str
    seq: int

    @classmethod
    def of(cls, lot: Lot) -> UnitsLotOut:
        return cls(
            lot=lot.lot, vintage=lot.vintage, period=[lot.period_start, lot.period_end],
            unit_kg=lot.unit_kg, first=lot.first, last=lot.last,
            serials=lot.format(lot.first, lot.last), kg=lot.kg, issued_on=lot.issued_on,
            document_sha256=lot.document_sha256, seq=lot.seq,
        )  # fmt: skip


class UnitsHoldingOut(Out):
    lot: str
    holder: str
    state: str
    pledgee: str | None
    units: int
    kg: int


class UnitsProjectOut(Out):
    project: str
    programme: str
    name: str
    owner: str
    owner_name: str
    division: str
    area_mu: str
    methodology: str
    crediting_period: list[str]
    seq: int
    held_kg: int = Field(description="What the owner still holds (not pledged or retired).")

    @classmethod
    def of(cls, p: Project, held_kg: int) -> UnitsProjectOut:
        return cls(
            project=p.project, programme=p.programme, name=p.name, owner=p.owner,
            owner_name=p.owner_name, division=p.division, area_mu=p.area_mu,
            methodology=p.methodology, crediting_period=[p.crediting_start, p.crediting_end],
            seq=p.seq, held_kg=held_kg,
        )  # fmt: skip


class UnitsProjectsOut(Out):
    projects: list[UnitsProjectOut]


class UnitsProjectDetailOut(UnitsProjectOut):
    lots: list[UnitsLotOut]
    holdings: list[UnitsHoldingOut]


class UnitsRegisterRow(Out):
    """A public register row: no price, no scoped detail; a person masked."""

    seq: int
    date: str
    kind: str
    project: str
    project_name: str
    programme: str
    vintages: str
    serials: list[str]
    kg: int
    buyer: str
    buyer_type: str
    use: str
    retired: bool


class UnitsRegisterOut(Out):
    rows: list[UnitsRegisterRow]
    next_before: int | None


class UnitsEarningOut(Out):
    programme: str
    project: str
    year: str
    kg: int
    total_fen: int
    sales: int


class UnitsHeldOut(Out):
    lot: str
    project: str
    holder: str
    state: str
    serials: str
    kg: int


class UnitsEarningsOut(Out):
    village: str
    earnings: list[UnitsEarningOut]
    total_fen: int
    held: list[UnitsHeldOut]


class UnitsJobOut(Out):
    id: int
    kind: str
    status: str
    stage: str
    progress: int
    total: int
    percent: int
    result: dict[str, Any]
    errors: list[dict[str, Any]]


# --- helpers ------------------------------------------------------------------------------


def _bureau_division() -> str:
    principal = authz.current_principal()
    if principal.org is None:
        raise Forbidden("a bureau's principal")
    return principal.org.division


def _key(header: IdempotencyHeader, name: str) -> str:
    return api_key("units", header.idempotency_key, name)


def _masked(codes) -> dict[str, str]:
    """Masked names by vault code; a record erased, unknown or unreadable is a bare mask."""
    codes = sorted(set(codes))
    vault = vault_or_none() if codes else None
    if vault is None:
        return {}
    with read_transaction(engine()) as conn:
        names = masked_names(conn, vault, codes)
    return {code: names.get(code) or "*" for code in codes}


def _readable(p: Project) -> bool:
    principal = authz.current_principal()
    org = principal.org
    if principal.role == "bureau":
        return p.division.startswith(org.division)
    holder = model.parse_holder(p.owner)
    return holder is not None and holder.village == org.code


# --- reads --------------------------------------------------------------------------------


@bp.get(
    "/register",
    summary="The public register of retirements and sales to organisations",
    description="Newest first, 50 a page; no prices; individual buyers masked.",
    responses={200: UnitsRegisterOut},
)
def register(query: UnitsRegisterQuery):
    with read_transaction(engine()) as conn:
        rows = services.public_register(
            conn, before=query.before, limit=50, programme=query.programme
        )
    masked = _masked(r.buyer_code for r in rows if r.buyer_code)
    out = [
        UnitsRegisterRow(
            seq=r.seq, date=r.date, kind=r.kind, project=r.project, project_name=r.project_name,
            programme=r.programme, vintages=r.vintages, serials=r.serials, kg=r.kg,
            buyer=masked.get(r.buyer_code, "*") if r.buyer_type == "person" else r.buyer_name or "",
            buyer_type=r.buyer_type, use=r.use, retired=r.retired,
        )
        for r in rows
    ]  # fmt: skip
    more = rows[-1].seq if len(rows) == 50 else None
    return json_response(UnitsRegisterOut(rows=out, next_before=more))


@bp.get(
    "/projects",
    summary="Projects: a bureau's division, or a village's own",
    security=SIGNED_IN,
    responses={200: UnitsProjectsOut, 403: ErrorResponse},
)
def projects():
    principal = authz.current_principal()
    with read_transaction(engine()) as conn:
        if principal.role == "bureau":
            found = services.list_projects(conn, within=principal.org.division)
        else:
            found = services.list_projects(conn, village=principal.org.code)
        out = [UnitsProjectOut.of(p, services.remaining_kg(conn, p)) for p in found]
    return json_response(UnitsProjectsOut(projects=out))


@bp.get(
    "/projects/<project>",
    summary="A project with its lots and who holds its units",
    security=SIGNED_IN,
    responses={200: UnitsProjectDetailOut, 403: ErrorResponse, 404: ErrorResponse},
)
def project(path: UnitsProjectPath):
    with read_transaction(engine()) as conn:
        p = services.get_project(conn, path.project)
        if not _readable(p):
            raise NotFound(f"there is no project {path.project}")
        lots = [UnitsLotOut.of(lot) for lot in services.lots_of(conn, p.project)]
        holdings = [
            UnitsHoldingOut(
                lot=h.lot, holder=h.holder, state=h.state, pledgee=h.pledgee, units=h.units, kg=h.kg
            )
            for h in services.holdings(conn, project=p.project)
        ]
        base = UnitsProjectOut.of(p, services.remaining_kg(conn, p))
    return json_response(UnitsProjectDetailOut(**base.model_dump(), lots=lots, holdings=holdings))


@bp.get(
    "/villages/<code>/earnings",
    summary="What a village's forests earned, and the serials it still holds",
    description="By programme, project and year (of the sale date); amounts in fen and kg.",
    security=SIGNED_IN,
    responses={200: UnitsEarningsOut, 403: ErrorResponse, 404: ErrorResponse},
)
def earnings(path: UnitsVillagePath):
    org = authz.current_org()
    with read_transaction(engine()) as conn:
        rows = services.earnings(conn, org.code)
        held = services.held_ranges(conn, village=org.code)
    return json_response(
        UnitsEarningsOut(
            village=org.code,
            earnings=[UnitsEarningOut(**vars_of(e)) for e in rows],
            total_fen=sum(e.total_fen for e in rows),
            held=[
                UnitsHeldOut(
                    lot=h.lot,
                    project=h.project,
                    holder=h.holder,
                    state=h.state,
                    serials=h.text,
                    kg=h.kg,
                )
                for h in held
            ],
        )
    )


def vars_of(record) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}


# --- writes -------------------------------------------------------------------------------


@bp.post(
    "/projects",
    summary="Register a project",
    security=SIGNED_IN,
    responses={201: UnitsEntryOut, **WRITE_ERRORS},
)
def create_project(header: IdempotencyHeader, body: UnitsProjectBody):
    spec = ProjectSpec(
        project=body.project, programme=body.programme, name=body.name, owner=body.owner,
        division=body.division, area_mu=body.area_mu,
        crediting_period=(body.crediting_start, body.crediting_end), owner_name=body.owner_name,
        methodology=body.methodology, registry_ids=body.registry_ids,
    )  # fmt: skip
    entry = services.register_project(
        engine(), spec, actor=authz.current_principal().actor, within=_bureau_division(),
        key=_key(header, "project"),
    )  # fmt: skip
    return json_response(UnitsEntryOut.of(entry), 201)


@bp.post(
    "/projects/<project>/lots",
    summary="Issue a lot to the project's owner",
    description="Anchors the issuance document's digest and appends `units.issue`.",
    security=SIGNED_IN,
    responses={201: UnitsEntryOut, **WRITE_ERRORS},
)
def issue(path: UnitsProjectPath, header: IdempotencyHeader, body: UnitsIssueBody):
    spec = IssueSpec(
        project=path.project, lot=body.lot, vintage=body.vintage,
        period=(body.period_start, body.period_end), count=body.count,
        issued_on=body.issued_on, document=body.document.document(), first=body.first,
        unit_kg=body.unit_kg, serial_prefix=body.serial_prefix,
    )  # fmt: skip
    entry = services.issue_lot(
        engine(), spec, actor=authz.current_principal().actor, within=_bureau_division(),
        key=_key(header, "issue"),
    )  # fmt: skip
    return json_response(UnitsEntryOut.of(entry), 201)


def _common(header: IdempotencyHeader, name: str) -> dict[str, Any]:
    return {
        "actor": authz.current_principal().actor,
        "within": _bureau_division(),
        "key": _key(header, name),
    }


@bp.post(
    "/projects/<project>/transfers",
    summary="Transfer serials to another holder",
    security=SIGNED_IN,
    responses={201: UnitsEntryOut, **WRITE_ERRORS},
)
def transfer(path: UnitsProjectPath, header: IdempotencyHeader, body: UnitsTransferBody):
    entry = services.transfer(
        engine(), project=path.project, from_=body.from_, to=body.to, to_name=body.to_name,
        ref=body.ref, **body.chosen(), **_common(header, "transfer"),
    )  # fmt: skip
    return json_response(UnitsEntryOut.of(entry), 201)


@bp.post(
    "/projects/<project>/pledges",
    summary="Pledge an owner's serials to a bank",
    security=SIGNED_IN,
    responses={201: UnitsEntryOut, **WRITE_ERRORS},
)
def pledge(path: UnitsProjectPath, header: IdempotencyHeader, body: UnitsPledgeBody):
    entry = services.pledge(
        engine(), project=path.project, owner=body.owner, pledgee_name=body.pledgee.name,
        pledgee_uscc=body.pledgee.uscc, loan_ref=body.loan_ref,
        document=body.document.document() if body.document else None,
        **body.chosen(), **_common(header, "pledge"),
    )  # fmt: skip
    return json_response(UnitsEntryOut.of(entry), 201)


@bp.post(
    "/projects/<project>/releases",
    summary="Release pledged serials on the bank's word",
    security=SIGNED_IN,
    responses={201: UnitsEntryOut, **WRITE_ERRORS},
)
def release(path: UnitsProjectPath, header: IdempotencyHeader, body: UnitsReleaseBody):
    entry = services.release(
        engine(), project=path.project, owner=body.owner, pledgee_uscc=body.pledgee_uscc,
        document=body.document.document(), **body.chosen(), **_common(header, "release"),
    )  # fmt: skip
    return json_response(UnitsEntryOut.of(entry), 201)


@bp.post(
    "/projects/<project>/retirements",
    summary="Retire serials for a beneficiary, a use and a claim",
    security=SIGNED_IN,
    responses={201: UnitsEntryOut, **WRITE_ERRORS},
)
def retire(path: UnitsProjectPath, header: IdempotencyHeader, body: UnitsRetireBody):
    entry = services.retire(
        engine(), project=path.project, holder=body.holder, beneficiary=body.beneficiary.buyer(),
        use=body.use, claim=body.claim, vault=vault_or_none(), **body.chosen(),
        **_common(header, "retire"),
    )  # fmt: skip
    return json_response(UnitsEntryOut.of(entry), 201)


@bp.post(
    "/projects/<project>/sales",
    summary="Record a sale",
    description="The total is price × kg / 1000 fen, rounded half up to the fen; it posts "
    "to the seller. Units go to the buyer, or are retired for it (always for "
    "compliance_offset, event_neutrality and judicial).",
    security=SIGNED_IN,
    responses={201: UnitsSaleOut, **WRITE_ERRORS},
)
def sell(path: UnitsProjectPath, header: IdempotencyHeader, body: UnitsSaleBody):
    result = services.sell(
        engine(), project=path.project, seller=body.seller, buyer=body.buyer.buyer(),
        price_fen_per_t=body.price_fen_per_t, use=body.use, retire_units=body.retire,
        trade_ref=body.trade_ref, claim=body.claim, vault=vault_or_none(), **body.chosen(),
        **_common(header, "sale"),
    )  # fmt: skip
    base = UnitsEntryOut.of(result.entry)
    out = UnitsSaleOut(
        **base.model_dump(), kg=result.kg, price_fen_per_t=result.price_fen_per_t,
        total_fen=result.total_fen, rounding=result.rounding, retired=result.retired,
    )  # fmt: skip
    return json_response(out, 201)


@bp.post(
    "/oneyuan/imports",
    summary="Upload a one-yuan purchases file (CSV) to import",
    description="Starts a background job (202); follow it at `Location`. All or nothing; "
    "the job's errors list every bad line.",
    security=SIGNED_IN,
    responses={202: UnitsJobOut, **WRITE_ERRORS},
)
def import_oneyuan(header: IdempotencyHeader, form: UnitsImportForm):
    principal = authz.current_principal()
    data = form.file.read()
    job_id = runner.create_job(
        engine(), IMPORT_JOB.name,
        params={"within": _bureau_division(), "file": form.file.filename or "",
                "key": header.idempotency_key},
        owner=principal.org.code, actor=principal.actor, input=data,
    )  # fmt: skip
    runner.start_in_thread(engine(), settings(), job_id)
    return json_response(
        _job_out(runner.get_job(engine(), job_id)), 202, {"Location": f"{PREFIX}/jobs/{job_id}"}
    )


def _job_out(job: runner.Job) -> UnitsJobOut:
    return UnitsJobOut(
        id=job.id, kind=job.kind, status=job.status, stage=job.stage, progress=job.progress,
        total=job.total, percent=job.percent, result=job.result, errors=job.errors,
    )  # fmt: skip


@bp.get(
    "/jobs/<int:job_id>",
    summary="A background job's progress and outcome",
    security=SIGNED_IN,
    responses={200: UnitsJobOut, 403: ErrorResponse, 404: ErrorResponse},
)
def job(path: UnitsJobPath):
    found = runner.get_job(engine(), path.job_id)
    principal = authz.current_principal()
    if found is None or found.owner != principal.org.code:
        raise NotFound(f"there is no job {path.job_id}")
    return json_response(_job_out(found))
