"""The judicial JSON API under ``/api/v1/judicial`` (in the OpenAPI document with the rest).

Reads: the recorded assessment methods (public, as their entries are), a court's cases (a
bureau: those of the courts in its division), a case with its timeline and the units bought,
the lots sellers hold, a bureau's summary (totals by year and court, villages the units came
from, cases decided but not retired after N days), and the calculator (no write). Writes
(courts, for their own cases; each needs an ``Idempotency-Key``): file a case, assess, decide,
purchase, retire, anchor a document, record replanting ordered or accepted, and issue the
certificate (``judicial.certified``, through the same service as the page). A court prints
its own certified case's certificate (a PDF; 409 before the case is certified). Amounts are
integers: kg, fen, fen per tonne. A purchase of serials another case or a sale holds is
refused (409) naming the case or the sale.
"""

from __future__ import annotations

from typing import Any, Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.exceptions import Forbidden, NotFound

from ledger.accounts.model import court_key
from ledger.core.entry import Entry
from ledger.core.errors import ConflictError, LedgerError
from ledger.judicial import certificates, model, services
from ledger.storage.db import read_transaction
from ledger.vault.crypto import Vault
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

PREFIX = "/api/v1/judicial"
TAG = Tag(name="judicial", description="Judicial carbon: cases, assessments, purchases.")

bp = APIBlueprint(
    "judicial_api",
    __name__,
    url_prefix=PREFIX,
    abp_tags=[TAG],
    abp_responses={401: ErrorResponse, 403: ErrorResponse, 422: ErrorResponse},
    operation_id_callback=lambda name, path, method: f"judicial_{name}",
)
READERS = authz.roles("court", "bureau")
COURTS = authz.roles("court")
authz.protect(
    bp,
    {
        "methods": authz.PUBLIC,
        "calculate": authz.SIGNED_IN,
        "cases": READERS,
        "case": READERS,
        "lots": READERS,
        "summary": authz.roles("bureau"),
        "file": COURTS,
        "assess": COURTS,
        "decide": COURTS,
        "purchase": COURTS,
        "retire": COURTS,
        "document": COURTS,
        "replanting": COURTS,
        "certify": COURTS,
        "certificate": COURTS,
    },
)
WRITE_ERRORS = {400: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse}
DATE = r"^\d{4}-\d{2}-\d{2}$"
DECIMAL = r"^\d{1,9}(\.\d{1,4})?$"
TEXT = r"^[^\x00-\x1f\x7f]*$"
MAX = 2**53 - 1


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


# --- models -------------------------------------------------------------------------------


class JudicialCasePath(BaseModel):
    court: str = Field(pattern=r"^\d{2,6}$", json_schema_extra=ex("350428"))
    case: str = Field(pattern=r"^[A-Z0-9][A-Za-z0-9-]{0,39}$", json_schema_extra=ex("2023-XC-45"))


class JudicialSummaryQuery(BaseModel):
    days: int = Field(30, ge=0, le=3650, description="Overdue after this many days.")


class JudicialDamageIn(Strict):
    species: str = Field(min_length=1, max_length=40, pattern=TEXT, json_schema_extra=ex("杉木"))
    trees: int | None = Field(None, ge=0, le=10_000_000, json_schema_extra=ex(120))
    volume_m3: str | None = Field(None, pattern=DECIMAL, json_schema_extra=ex("10"))
    volume_type: Literal["standing", "timber"] | None = Field(
        None, json_schema_extra=ex("standing")
    )
    area_mu: str | None = Field(None, pattern=r"^\d{1,7}(\.\d{1,2})?$", json_schema_extra=ex("3.5"))
    place: str = Field(pattern=r"^(\d{6}|\d{9}|\d{12})$", json_schema_extra=ex("350428102201"))


class JudicialReplantingIn(Strict):
    area_mu: str = Field(pattern=r"^\d{1,7}(\.\d{1,2})?$", json_schema_extra=ex("5"))
    species: str = Field(min_length=1, max_length=100, pattern=TEXT, json_schema_extra=ex("杉木"))
    deadline: str = Field(pattern=DATE, json_schema_extra=ex("2024-03-31"))


class JudicialCaseIn(Strict):
    """A case to file; the defendants' names go to the vault (the log keeps codes)."""

    case_number: str = Field(max_length=40, json_schema_extra=ex("(2023)闽0428刑初45号"))
    offence: Literal[tuple(model.OFFENCES)] = Field(json_schema_extra=ex("lanfa"))  # type: ignore[valid-type]
    offence_text: str = Field("", max_length=200, pattern=TEXT, json_schema_extra=ex(""))
    defendants: list[str] = Field(min_length=1, max_length=20, json_schema_extra=ex(["欧阳春华"]))
    damage: list[JudicialDamageIn] = Field(default_factory=list, max_length=50)
    replanting: JudicialReplantingIn | None = None
    filed_on: str = Field(pattern=DATE, json_schema_extra=ex("2023-05-10"))


class JudicialInputIn(Strict):
    """An input of the assessment, as the assessment record writes it: ``stock`` (species,
    volume_m3, volume_type), ``assessed`` (species, loss_t, note), ``report`` (loss_t,
    report) or ``valued`` (amount_yuan, price_yuan_per_t, basis); numbers as text."""

    model_config = ConfigDict(strict=True, extra="allow")
    type: Literal["stock", "assessed", "report", "valued"] = Field(json_schema_extra=ex("stock"))


class JudicialCalculateIn(Strict):
    method: str = Field(max_length=80, json_schema_extra=ex("AR-CM-001 defaults"))
    version: str | None = Field(None, max_length=40, json_schema_extra=ex("2022.1"))
    inputs: list[JudicialInputIn] = Field(
        min_length=1,
        max_length=50,
        json_schema_extra=ex(
            [{"type": "stock", "species": "杉木", "volume_m3": "10", "volume_type": "standing"}]
        ),
    )


class JudicialAssessIn(JudicialCalculateIn):
    assessor: str = Field(
        min_length=1, max_length=200, pattern=TEXT, json_schema_extra=ex("鉴定中心")
    )
    assessed_on: str = Field(pattern=DATE, json_schema_extra=ex("2023-05-20"))


class JudicialPriceIn(Strict):
    basis: Literal[tuple(model.PRICE_BASES)] = Field(json_schema_extra=ex("programme"))  # type: ignore[valid-type]
    fen_per_t: int = Field(ge=1, le=model.MAX_PRICE_FEN_PER_T, json_schema_extra=ex(10_000))
    date: str = Field(pattern=DATE, json_schema_extra=ex("2023-06-01"))
    source: str = Field(
        min_length=1, max_length=200, pattern=TEXT, json_schema_extra=ex("一元碳汇")
    )


class JudicialDecisionIn(Strict):
    price: JudicialPriceIn
    basis: Literal["loss", "amount"] = Field("loss", json_schema_extra=ex("loss"))
    multiple: str = Field("1", pattern=r"^\d{1,2}(\.\d{1,2})?$", json_schema_extra=ex("1"))
    rounding: Literal[tuple(model.ROUNDINGS)] = Field("up_to_t", json_schema_extra=ex("up_to_t"))  # type: ignore[valid-type]
    amount_fen: int | None = Field(None, ge=1, le=MAX, json_schema_extra=ex(None))
    quantity_kg: int | None = Field(None, ge=1, le=model.MAX_KG, json_schema_extra=ex(None))
    judgment_ref: str = Field("", max_length=100, pattern=TEXT, json_schema_extra=ex(""))
    decided_on: str = Field(pattern=DATE, json_schema_extra=ex("2023-06-01"))


class JudicialTakeIn(Strict):
    project: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,31}$", json_schema_extra=ex("CT-0000001"))
    seller: str = Field(
        max_length=120, json_schema_extra=ex("Assets:Village:350428102201:Collective")
    )
    kg: int | None = Field(None, ge=1, le=model.MAX_KG, json_schema_extra=ex(12_000))
    serials: list[list[str | int]] | None = Field(
        None, max_length=50, description="[lot, first, last] ranges", json_schema_extra=ex(None)
    )


class JudicialPurchaseIn(Strict):
    takes: list[JudicialTakeIn] = Field(min_length=1, max_length=50)
    payer_type: Literal["person", "organisation"] = Field(json_schema_extra=ex("person"))
    payer_name: str = Field(min_length=1, max_length=200, json_schema_extra=ex("欧阳春华"))
    payment_ref: str = Field(
        min_length=1, max_length=100, pattern=TEXT, json_schema_extra=ex("NYYH-001")
    )
    account_name: str = Field(
        min_length=1, max_length=200, pattern=TEXT, json_schema_extra=ex("生态修复专户")
    )
    account_bank: str = Field(
        min_length=1, max_length=200, pattern=TEXT, json_schema_extra=ex("农业银行")
    )
    account_number: str = Field(
        pattern=r"^[\d\s-]{4,40}$", json_schema_extra=ex("1234567890123456")
    )
    paid_on: str = Field(pattern=DATE, json_schema_extra=ex("2023-06-05"))


class JudicialRetireIn(Strict):
    retirement_ref: str = Field(
        min_length=1, max_length=100, pattern=TEXT, json_schema_extra=ex("HXEE-ZX-1")
    )
    retired_on: str = Field(pattern=DATE, json_schema_extra=ex("2023-06-10"))


class JudicialDocumentIn(Strict):
    doc: Literal[tuple(model.DOCUMENTS)] = Field(json_schema_extra=ex("undertaking"))  # type: ignore[valid-type]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", json_schema_extra=ex("ab" * 32))
    size: int = Field(ge=0, le=MAX, json_schema_extra=ex(48213))
    title: str = Field(
        min_length=1, max_length=200, pattern=TEXT, json_schema_extra=ex("恢复生态承诺书")
    )


class JudicialReplantingStepIn(JudicialReplantingIn):
    """Replanting ordered (area, species, deadline) or, in a later entry, accepted
    (``accepted_on``)."""

    accepted_on: str | None = Field(None, pattern=DATE, json_schema_extra=ex(None))
    note: str = Field("", max_length=500, pattern=TEXT, json_schema_extra=ex(""))


class JudicialEntryOut(Out):
    """The entry a step appended."""

    seq: int = Field(json_schema_extra=ex(3))
    kind: str = Field(json_schema_extra=ex("judicial.decision"))
    time: str = Field(json_schema_extra=ex("2026-03-01T02:03:04.000005Z"))
    body: dict[str, Any] = Field(description="The entry's body (without its salt).")

    @classmethod
    def of(cls, entry: Entry) -> JudicialEntryOut:
        body = {k: v for k, v in entry.body.items() if k != "salt"}
        return cls(seq=entry.seq, kind=entry.kind, time=entry.time, body=body)


class JudicialCaseOut(Out):
    court: str = Field(json_schema_extra=ex("350428"))
    case: str = Field(json_schema_extra=ex("2023-XC-45"))
    case_number: str = Field(json_schema_extra=ex("(2023)闽0428刑初45号"))
    court_name: str = Field(json_schema_extra=ex("将乐县人民法院"))
    offence: str = Field(json_schema_extra=ex("lanfa"))
    state: str = Field(json_schema_extra=ex("decided"))
    filed_on: str = Field(json_schema_extra=ex("2023-05-10"))
    loss_kg: int | None = Field(json_schema_extra=ex(11_917))
    quantity_kg: int | None = Field(json_schema_extra=ex(12_000))
    amount_fen: int | None = Field(json_schema_extra=ex(120_000))
    decided_on: str | None = Field(json_schema_extra=ex("2023-06-01"))
    retired_on: str | None = Field(json_schema_extra=ex(None))

    @classmethod
    def of(cls, c: services.Case) -> JudicialCaseOut:
        return cls(**{k: getattr(c, k) for k in cls.model_fields})


class JudicialCasesOut(Out):
    cases: list[JudicialCaseOut]


class JudicialUnitOut(Out):
    seq: int = Field(json_schema_extra=ex(7))
    case_number: str = Field(json_schema_extra=ex("(2023)闽0428刑初45号"))
    project: str = Field(json_schema_extra=ex("CT-0000001"))
    programme: str = Field(json_schema_extra=ex("carbon_ticket"))
    serials: str = Field(json_schema_extra=ex("0000001-001–0000001-012"))
    kg: int = Field(json_schema_extra=ex(12_000))
    seller: str = Field(json_schema_extra=ex("Assets:Village:350428102201:Collective"))
    seller_village: str | None = Field(json_schema_extra=ex("350428102201"))
    total_fen: int = Field(json_schema_extra=ex(120_000))
    retired_seq: int | None = Field(json_schema_extra=ex(None))


class JudicialCaseDetailOut(JudicialCaseOut):
    timeline: list[JudicialEntryOut]
    units: list[JudicialUnitOut]


class JudicialLotOut(Out):
    project: str = Field(json_schema_extra=ex("CT-0000001"))
    project_name: str = Field(json_schema_extra=ex("常口村生态公益林林业碳票"))
    programme: str = Field(json_schema_extra=ex("carbon_ticket"))
    lot: str = Field(json_schema_extra=ex("0000001"))
    seller: str = Field(json_schema_extra=ex("Assets:Village:350428102201:Collective"))
    seller_name: str = Field(json_schema_extra=ex("常口村"))
    serials: str = Field(json_schema_extra=ex("0000001-013–0000001-100"))
    kg: int = Field(json_schema_extra=ex(88_000))


class JudicialLotsOut(Out):
    lots: list[JudicialLotOut]


class JudicialTotalOut(Out):
    year: int = Field(json_schema_extra=ex(2023))
    court: str = Field(json_schema_extra=ex("350428"))
    court_name: str = Field(json_schema_extra=ex("将乐县人民法院"))
    cases: int = Field(json_schema_extra=ex(1))
    loss_kg: int = Field(json_schema_extra=ex(11_917))
    quantity_kg: int = Field(json_schema_extra=ex(12_000))
    amount_fen: int = Field(json_schema_extra=ex(120_000))


class JudicialVillageOut(Out):
    village: str = Field(json_schema_extra=ex("350428102201"))
    kg: int = Field(json_schema_extra=ex(12_000))
    total_fen: int = Field(json_schema_extra=ex(120_000))
    cases: int = Field(json_schema_extra=ex(1))


class JudicialOverdueOut(Out):
    case: JudicialCaseOut
    days: int = Field(json_schema_extra=ex(45))


class JudicialSummaryOut(Out):
    totals: list[JudicialTotalOut]
    villages: list[JudicialVillageOut]
    overdue: list[JudicialOverdueOut]


class JudicialMethodOut(Out):
    name: str = Field(json_schema_extra=ex("AR-CM-001 defaults"))
    version: str = Field(json_schema_extra=ex("2022.1"))
    seq: int = Field(json_schema_extra=ex(0))


class JudicialMethodsOut(Out):
    methods: list[JudicialMethodOut]


class JudicialCalculationOut(Out):
    method: str = Field(json_schema_extra=ex("AR-CM-001 defaults"))
    version: str = Field(json_schema_extra=ex("2022.1"))
    loss_kg: int = Field(json_schema_extra=ex(11_917))
    loss_t: str = Field(json_schema_extra=ex("11.92"))
    record: dict[str, Any] = Field(description="Every input and intermediate product.")


# --- helpers ------------------------------------------------------------------------------


def _court():
    principal = authz.current_principal()
    if principal.org is None or principal.org.kind != "court":
        raise Forbidden("a court's principal")
    return principal.org


def _key(header: IdempotencyHeader, name: str) -> str:
    return api_key("judicial", header.idempotency_key, name)


def _within() -> tuple[str | None, str | None]:
    """``(court key, division)`` the principal reads: a court its own; a bureau its
    division."""
    org = authz.current_principal().org
    if org is None:
        raise Forbidden("an organisation's principal")
    if org.kind == "court":
        return court_key(org.code), None
    return None, org.division


def _own_case(path: JudicialCasePath) -> str:
    org = _court()
    if court_key(org.code) != path.court:
        raise NotFound("there is no such case")
    return path.case


def _vault() -> Vault:
    vault = vault_or_none()
    if vault is None:
        raise LedgerError("vault.unavailable", "the vault key is not configured")
    return vault


def _inputs(items: list[JudicialInputIn]) -> list:
    from ledger.judicial import assessment as A

    return [A.input_from_json(i.model_dump()) for i in items]


# --- reads --------------------------------------------------------------------------------


@bp.get("/methods", summary="The recorded assessment methods", responses={200: JudicialMethodsOut})
def methods():
    with read_transaction(engine()) as conn:
        rows = services.list_methods(conn)
    return json_response(
        JudicialMethodsOut(
            methods=[JudicialMethodOut(name=n, version=v, seq=s) for n, v, s in rows]
        )
    )


@bp.post(
    "/calculations",
    summary="Calculate a carbon loss (nothing is written; the key is asked as of every POST)",
    security=SIGNED_IN,
    responses={200: JudicialCalculationOut, **WRITE_ERRORS},
)
def calculate(header: IdempotencyHeader, body: JudicialCalculateIn):
    from ledger.judicial import assessment as A

    with read_transaction(engine()) as conn:
        method, _seq = services.method_entry(conn, body.method, body.version)
    result = A.assess(method, _inputs(body.inputs))
    return json_response(
        JudicialCalculationOut(
            method=method.name,
            version=method.version,
            loss_kg=result.loss_kg,
            loss_t=result.loss_t,
            record=result.to_json(),
        )
    )


@bp.get(
    "/cases",
    summary="Cases of the court, or in the bureau's division",
    security=SIGNED_IN,
    responses={200: JudicialCasesOut},
)
def cases():
    court, division = _within()
    with read_transaction(engine()) as conn:
        rows = services.list_cases(conn, court=court, within=division)
    return json_response(JudicialCasesOut(cases=[JudicialCaseOut.of(c) for c in rows]))


def _unit(u: services.UnitLine) -> JudicialUnitOut:
    return JudicialUnitOut(
        seq=u.seq, case_number=u.case_number, project=u.project, programme=u.programme,
        serials=u.serials, kg=u.kg, seller=u.seller, seller_village=u.seller_village,
        total_fen=u.total_fen, retired_seq=u.retired_seq,
    )  # fmt: skip


@bp.get(
    "/cases/<court>/<case>",
    summary="A case with its timeline and the units bought",
    security=SIGNED_IN,
    responses={200: JudicialCaseDetailOut, 404: ErrorResponse},
)
def case(path: JudicialCasePath):
    court, division = _within()
    if court is not None and court != path.court:
        raise NotFound("there is no such case")
    with read_transaction(engine()) as conn:
        c = services.get_case(conn, path.court, path.case, within=division)
        steps = services.timeline(conn, c.court, c.case)
        units = services.units_of(conn, court=c.court, case=c.case)
    out = JudicialCaseDetailOut(
        **JudicialCaseOut.of(c).model_dump(),
        timeline=[JudicialEntryOut.of(e) for e in steps],
        units=[_unit(u) for u in units],
    )
    return json_response(out)


@bp.get(
    "/lots",
    summary="Serials sellers hold that a court may buy",
    security=SIGNED_IN,
    responses={200: JudicialLotsOut},
)
def lots():
    org = authz.current_principal().org
    if org is None:
        raise Forbidden("an organisation's principal")
    with read_transaction(engine()) as conn:
        rows = services.available_lots(conn, within=org.division[:2])
    out = [
        JudicialLotOut(
            project=x.project, project_name=x.project_name, programme=x.programme, lot=x.lot,
            seller=x.seller, seller_name=x.seller_name, serials=x.serials, kg=x.kg,
        )
        for x in rows
    ]  # fmt: skip
    return json_response(JudicialLotsOut(lots=out))


@bp.get(
    "/summary",
    summary="The bureau's division: totals, villages, overdue cases",
    security=SIGNED_IN,
    responses={200: JudicialSummaryOut},
)
def summary(query: JudicialSummaryQuery):
    _court_key, division = _within()
    with read_transaction(engine()) as conn:
        totals = services.totals(conn, within=division)
        villages = services.by_village(conn, within=division)
        late = services.overdue(conn, days=query.days, within=division)
    return json_response(
        JudicialSummaryOut(
            totals=[JudicialTotalOut(**vars_of(t)) for t in totals],
            villages=[JudicialVillageOut(**vars_of(v)) for v in villages],
            overdue=[JudicialOverdueOut(case=JudicialCaseOut.of(c), days=n) for c, n in late],
        )
    )


def vars_of(record) -> dict[str, Any]:
    return {k: getattr(record, k) for k in record.__slots__}


# --- writes ---------------------------------------------------------------------------------


def _common(header: IdempotencyHeader, name: str) -> dict[str, Any]:
    return {"actor": authz.current_principal().actor, "key": _key(header, name)}


@bp.post(
    "/cases",
    summary="File a case",
    security=SIGNED_IN,
    responses={201: JudicialCaseOut, **WRITE_ERRORS},
)
def file(header: IdempotencyHeader, body: JudicialCaseIn):
    c = services.file_case(
        engine(), _vault(), court=_court(), case_number=body.case_number,
        offence=body.offence, offence_text=body.offence_text, defendants=body.defendants,
        damage=[services.DamageItem(**d.model_dump()) for d in body.damage],
        replanting=services.Replanting(**body.replanting.model_dump()) if body.replanting else None,
        filed_on=body.filed_on, **_common(header, "file"),
    )  # fmt: skip
    return json_response(JudicialCaseOut.of(c), 201)


@bp.post(
    "/cases/<court>/<case>/assessments",
    summary="Assess the case's carbon loss with a recorded method",
    security=SIGNED_IN,
    responses={201: JudicialEntryOut, **WRITE_ERRORS},
)
def assess(path: JudicialCasePath, header: IdempotencyHeader, body: JudicialAssessIn):
    entry = services.assess_case(
        engine(), court=_court(), case=_own_case(path), method=body.method,
        version=body.version, inputs=_inputs(body.inputs), assessor=body.assessor,
        assessed_on=body.assessed_on, **_common(header, "assess"),
    )  # fmt: skip
    return json_response(JudicialEntryOut.of(entry), 201)


@bp.post(
    "/cases/<court>/<case>/decisions",
    summary="Record the compensation decided",
    security=SIGNED_IN,
    responses={201: JudicialEntryOut, **WRITE_ERRORS},
)
def decide(path: JudicialCasePath, header: IdempotencyHeader, body: JudicialDecisionIn):
    entry = services.decide_case(
        engine(), court=_court(), case=_own_case(path),
        price=services.Price(**body.price.model_dump()), basis=body.basis,
        multiple=body.multiple, rounding=body.rounding, amount_fen=body.amount_fen,
        quantity_kg=body.quantity_kg, judgment_ref=body.judgment_ref,
        decided_on=body.decided_on, **_common(header, "decide"),
    )  # fmt: skip
    return json_response(JudicialEntryOut.of(entry), 201)


@bp.post(
    "/cases/<court>/<case>/purchases",
    summary="Buy the units decided from sellers' lots",
    security=SIGNED_IN,
    responses={201: JudicialEntryOut, **WRITE_ERRORS},
)
def purchase(path: JudicialCasePath, header: IdempotencyHeader, body: JudicialPurchaseIn):
    takes = [
        services.Take(
            t.project, t.seller, kg=t.kg,
            serials=tuple(tuple(s) for s in t.serials) if t.serials else None,
        )
        for t in body.takes
    ]  # fmt: skip
    entry = services.purchase(
        engine(), _vault(), court=_court(), case=_own_case(path), takes=takes,
        payer=services.Payer(body.payer_type, body.payer_name), payment_ref=body.payment_ref,
        restoration_account=services.RestorationAccount(
            body.account_name, body.account_bank, body.account_number
        ),
        paid_on=body.paid_on, **_common(header, "purchase"),
    )  # fmt: skip
    return json_response(JudicialEntryOut.of(entry), 201)


@bp.post(
    "/cases/<court>/<case>/retirements",
    summary="Retire the units bought for the case",
    security=SIGNED_IN,
    responses={201: JudicialEntryOut, **WRITE_ERRORS},
)
def retire(path: JudicialCasePath, header: IdempotencyHeader, body: JudicialRetireIn):
    entry = services.retire_case(
        engine(), court=_court(), case=_own_case(path), retirement_ref=body.retirement_ref,
        retired_on=body.retired_on, **_common(header, "retire"),
    )  # fmt: skip
    return json_response(JudicialEntryOut.of(entry), 201)


@bp.post(
    "/cases/<court>/<case>/documents",
    summary="Anchor one of the case's documents by its digest",
    security=SIGNED_IN,
    responses={201: JudicialEntryOut, **WRITE_ERRORS},
)
def document(path: JudicialCasePath, header: IdempotencyHeader, body: JudicialDocumentIn):
    entry = services.anchor_document(
        engine(), court=_court(), case=_own_case(path), doc=body.doc, sha256=body.sha256,
        size=body.size, title=body.title, **_common(header, "document"),
    )  # fmt: skip
    return json_response(JudicialEntryOut.of(entry), 201)


@bp.post(
    "/cases/<court>/<case>/replantings",
    summary="Record replanting ordered for the case, or its acceptance",
    security=SIGNED_IN,
    responses={201: JudicialEntryOut, **WRITE_ERRORS},
)
def replanting(path: JudicialCasePath, header: IdempotencyHeader, body: JudicialReplantingStepIn):
    entry = services.record_replanting(
        engine(), court=_court(), case=_own_case(path),
        plan=services.Replanting(
            body.area_mu, body.species, body.deadline, body.accepted_on, body.note
        ),
        **_common(header, "replanting"),
    )  # fmt: skip
    return json_response(JudicialEntryOut.of(entry), 201)


@bp.post(
    "/cases/<court>/<case>/certificates",
    summary="Issue the certificate of a retired case (records judicial.certified)",
    security=SIGNED_IN,
    responses={201: JudicialEntryOut, **WRITE_ERRORS},
)
def certify(path: JudicialCasePath, header: IdempotencyHeader):
    entry, _pdf = certificates.certify_case(
        engine(), certificates.issuer_from_settings(settings()), _vault(), court=_court(),
        case=_own_case(path), **_common(header, "certify"),
    )  # fmt: skip
    return json_response(JudicialEntryOut.of(entry), 201)


PDF = {
    "description": "The certificate (林业碳汇认购核销证明) with the proof of its entries.",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}


@bp.get(
    "/cases/<court>/<case>/certificate",
    summary="The certificate of the court's certified case, as a PDF",
    security=SIGNED_IN,
    responses={200: PDF, 404: ErrorResponse, 409: ErrorResponse},
)
def certificate(path: JudicialCasePath):
    org = _court()
    with read_transaction(engine()) as conn:
        row = services.get_case(conn, court_key(org.code), _own_case(path))
    if row.state != model.CERTIFIED_STATE:
        raise ConflictError(
            "judicial.state",
            f"case {row.case_number} has no certificate yet",
            {"state": row.state, "needs": model.CERTIFIED_STATE, "case_number": row.case_number},
        )
    pdf = certificates.certificate_pdf(
        engine(), certificates.issuer_from_settings(settings()), _vault(), row
    )
    authz.record_export("judicial.certificate", org, {"case": row.case_number})
    return (
        pdf,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'inline; filename="certificate-{row.case}.pdf"',
        },
    )
