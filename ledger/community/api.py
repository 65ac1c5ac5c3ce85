"""The community JSON API under ``/api/v1/community`` (in the OpenAPI document with the rest).

Reads: a village's money picture, rosters, rules and distributions (the village and the
bureaus above it); one distribution with its objections, allocations (no personal data) and
payment batches; a bureau's division (each village's revenue reconciled with what it shared).
Writes (the village's own users and tokens; each needs an ``Idempotency-Key``): the roster
(its changes first with ``POST …/rosters/changes``, then ``POST …/rosters``), a rule, a
draft, the assembly's approval, the notice, objections and answers, finalisation, reversal,
a payment batch, a corrected bank account. The villager's look-up is public and throttled.
Amounts are integers in fen; refusals are JSON errors with the codes the pages translate.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import request
from flask_openapi3 import APIBlueprint, FileStorage, Tag
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.exceptions import NotFound

from ledger.community import model, services, throttle
from ledger.community.rosterfile import parse_roster
from ledger.community.services import Resolution
from ledger.core.errors import LedgerError
from ledger.storage.db import read_transaction
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
from ledger.webkit.ext import engine, vault_or_none

PREFIX = "/api/v1/community"
TAG = Tag(name="community", description="Benefit sharing: rosters, distributions, payouts.")

bp = APIBlueprint(
    "community_api",
    __name__,
    url_prefix=PREFIX,
    abp_tags=[TAG],
    abp_responses={401: ErrorResponse, 422: ErrorResponse},
    operation_id_callback=lambda name, path, method: f"community_{name}",
)
VILLAGE = authz.org_scoped("village")
authz.protect(
    bp,
    {
        "village": VILLAGE,
        "distribution": VILLAGE,
        "roster_changes": VILLAGE,
        "save_roster": VILLAGE,
        "add_rule": VILLAGE,
        "draft": VILLAGE,
        "approve": VILLAGE,
        "publish": VILLAGE,
        "raise_objection": VILLAGE,
        "answer": VILLAGE,
        "finalise": VILLAGE,
        "reverse": VILLAGE,
        "batch": VILLAGE,
        "bank_account": VILLAGE,
        "batch_lines": VILLAGE,
        "batch_results": VILLAGE,
        "bureau": authz.org_scoped("bureau"),
        "lookup": authz.PUBLIC,
    },
)
WRITE_ERRORS = {400: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse}
V = "350428102201"
D = f"{V}-001"
SAFE_TEXT = r"^[^\x00-\x1f\x7f]*$"


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


# --- paths and bodies ---------------------------------------------------------------------


class CommunityVillagePath(BaseModel):
    code: str = Field(pattern=r"^\d{12}$", json_schema_extra=ex(V))


class CommunityBureauPath(BaseModel):
    code: str = Field(pattern=r"^\d{2}$|^\d{4}$|^\d{6}$", json_schema_extra=ex("350428"))


class CommunityDistributionPath(CommunityVillagePath):
    distribution: str = Field(pattern=r"^\d{12}-\d{3,6}$", json_schema_extra=ex(D))


class CommunityObjectionPath(CommunityDistributionPath):
    number: int = Field(ge=1, le=100000, json_schema_extra=ex(1))


class CommunityHouseholdPath(CommunityVillagePath):
    household: str = Field(
        max_length=40, pattern=r"^[^\s,\"]{1,40}$", json_schema_extra=ex("CK001")
    )


class CommunityRosterForm(BaseModel):
    file: FileStorage


class CommunityRosterSaveForm(BaseModel):
    file: FileStorage
    version: int = Field(ge=1, le=100000, description="The version the changes were shown for.")


class CommunityRuleBody(Strict):
    rule: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$", json_schema_extra=ex("R2021"))
    name: str = Field(max_length=200, pattern=SAFE_TEXT, json_schema_extra=ex("2021年分配规则"))
    terms: dict[str, Any] = Field(
        json_schema_extra=ex(
            {"retention_pct": "10", "low_income_pct": "5",
             "weights": {"per_capita": "50", "per_household": "30", "by_area": "20"}}
        )
    )  # fmt: skip


class CommunityDraftBody(Strict):
    title: str = Field(
        max_length=200, pattern=SAFE_TEXT, json_schema_extra=ex("2021年碳票收益分配")
    )
    amount_fen: int = Field(ge=1, le=2**53 - 1, json_schema_extra=ex(14_084_500))
    rule: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$", json_schema_extra=ex("R2021"))
    notice_days: int | None = Field(None, ge=1, le=60, json_schema_extra=ex(7))


class CommunityApprovalForm(BaseModel):
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra=ex("2021-07-01"))
    number: str = Field(
        max_length=100, pattern=SAFE_TEXT, json_schema_extra=ex("常村决〔2021〕3号")
    )
    present: int = Field(ge=1, le=100000, json_schema_extra=ex(40))
    voting_for: int = Field(ge=0, le=100000, json_schema_extra=ex(31))
    scan: FileStorage


class CommunityNoticeBody(Strict):
    place: str = Field(max_length=200, pattern=SAFE_TEXT, json_schema_extra=ex("村委会公示栏"))
    notice_from: str | None = Field(
        None, pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra=ex("2021-07-02")
    )
    days: int | None = Field(None, ge=1, le=60, json_schema_extra=ex(7))


class CommunityObjectionBody(Strict):
    summary: str = Field(max_length=500, pattern=SAFE_TEXT, json_schema_extra=ex("林地面积有误"))
    household: str | None = Field(
        None, max_length=40, pattern=r"^[^\s,\"]{1,40}$", json_schema_extra=ex("CK002")
    )
    raised_on: str | None = Field(
        None, pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra=ex("2021-07-03")
    )


class CommunityAnswerBody(Strict):
    answer: str = Field(max_length=500, pattern=SAFE_TEXT, json_schema_extra=ex("已核实，面积无误"))


class CommunityReverseBody(Strict):
    reason: str = Field(max_length=500, pattern=SAFE_TEXT, json_schema_extra=ex("花名册有误"))


class CommunityBatchPath(CommunityDistributionPath):
    batch: str = Field(pattern=r"^\d{12}-\d{3,6}-B\d{1,4}$", json_schema_extra=ex(f"{D}-B1"))


class CommunityResultsForm(BaseModel):
    file: FileStorage


class CommunityBatchLinesOut(Out):
    batch: str = Field(json_schema_extra=ex(f"{D}-B1"))
    lines: list[dict[str, Any]] = Field(
        description="序号, 户名, 账号, 金额 (fen), 用途 and the household code: personal data.",
        json_schema_extra=ex([]),
    )


class CommunityBankBody(Strict):
    bank_account: str = Field(
        pattern=r"^[\d\s-]{8,40}$", json_schema_extra=ex("6222020200112233445")
    )


class CommunityLookupBody(Strict):
    village: str = Field(pattern=r"^\d{12}$", json_schema_extra=ex(V))
    household: str = Field(
        max_length=40, pattern=r"^[^\s,\"]{1,40}$", json_schema_extra=ex("CK001")
    )
    id_last4: str = Field(pattern=r"^\d{3}[\dXx]$", json_schema_extra=ex("123X"))


# --- answers ------------------------------------------------------------------------------


class CommunityVillageOut(Out):
    village: str = Field(json_schema_extra=ex(V))
    money: dict[str, Any] = Field(
        description="Fen: received, held, sharing, shared, retained, paid, pending.",
        json_schema_extra=ex({"received": 14_084_500, "held": 0}),
    )
    distributions: list[dict[str, Any]] = Field(json_schema_extra=ex([]))
    rosters: list[dict[str, Any]] = Field(json_schema_extra=ex([]))
    rules: list[dict[str, Any]] = Field(json_schema_extra=ex([]))


class CommunityDistributionOut(Out):
    distribution: dict[str, Any] = Field(json_schema_extra=ex({"distribution": D}))
    objections: list[dict[str, Any]] = Field(json_schema_extra=ex([]))
    allocations: list[dict[str, Any]] = Field(
        description="Each household: household, amount_fen, paid_fen, status, seq.",
        json_schema_extra=ex([]),
    )
    batches: list[dict[str, Any]] = Field(json_schema_extra=ex([]))


class CommunityResultOut(Out):
    """What a write did (its shape depends on the operation)."""

    result: dict[str, Any] = Field(json_schema_extra=ex({"distribution": D, "state": "drafted"}))


class CommunityBureauOut(Out):
    division: str = Field(json_schema_extra=ex("350428"))
    villages: list[dict[str, Any]] = Field(json_schema_extra=ex([]))
    distributions: list[dict[str, Any]] = Field(json_schema_extra=ex([]))


class CommunityLookupOut(Out):
    household: str = Field(json_schema_extra=ex("CK001"))
    head: str = Field(json_schema_extra=ex("张*华"))
    payouts: list[dict[str, Any]] = Field(json_schema_extra=ex([]))


# --- helpers ------------------------------------------------------------------------------


def _writer() -> str:
    """The village of the URL, if the principal may write for it (its own users and tokens)."""
    return authz.writable_org("only the village's own users may write").code


def _key(header: IdempotencyHeader, name: str) -> str:
    return api_key("community", header.idempotency_key, name)


def _common(header: IdempotencyHeader, name: str) -> dict[str, str]:
    return {"actor": authz.current_principal().actor, "key": _key(header, name)}


def _plain(record) -> dict[str, Any]:
    return dict(vars(record))


def _distribution_out(d: services.Distribution) -> dict[str, Any]:
    return {**d.as_json(), "shared_fen": d.shared_fen if d.retained_fen is not None else None}


def _result(value: dict[str, Any], status: int = 201):
    return json_response(CommunityResultOut(result=value), status)


# --- reads --------------------------------------------------------------------------------


@bp.get(
    "/villages/<code>",
    summary="A village's money picture, rosters, rules and distributions",
    security=SIGNED_IN,
    responses={200: CommunityVillageOut, 403: ErrorResponse, 404: ErrorResponse},
)
def village(path: CommunityVillagePath):
    org = authz.current_org()
    with read_transaction(engine()) as conn:
        distributions = services.distributions_of(conn, village=org.code)
        out = CommunityVillageOut(
            village=org.code,
            money=services.money(conn, org.code).as_json(),
            distributions=[_distribution_out(d) for d in distributions],
            rosters=[_plain(r) for r in services.roster_versions(conn, org.code)],
            rules=[_plain(r) for r in services.rules_of(conn, org.code)],
        )  # fmt: skip
    return json_response(out)


@bp.get(
    "/villages/<code>/distributions/<distribution>",
    summary="A distribution: where it stands, objections, allocations, payment batches",
    security=SIGNED_IN,
    responses={200: CommunityDistributionOut, 403: ErrorResponse, 404: ErrorResponse},
)
def distribution(path: CommunityDistributionPath):
    org = authz.current_org()
    with read_transaction(engine()) as conn:
        try:
            d = services.get_distribution(conn, path.distribution, org.code)
        except LedgerError:
            raise NotFound(f"there is no distribution {path.distribution}") from None
        allocations = [
            {"household": a.household, "amount_fen": a.amount_fen, "paid_fen": a.paid_fen,
             "status": a.status, "reason": a.reason, "batch": a.batch, "seq": a.seq}
            for a in services.allocations_of(conn, d.distribution)
        ]  # fmt: skip
        out = CommunityDistributionOut(
            distribution=_distribution_out(d),
            objections=[_plain(o) for o in services.objections_of(conn, d.distribution)],
            allocations=allocations,
            batches=[_plain(b) for b in services.batches_of(conn, d.distribution)],
        )
    return json_response(out)


@bp.get(
    "/bureaus/<code>",
    summary="A bureau's division: each village's revenue and what became of it",
    description="Per village (fen): received, held, sharing, shared, retained, paid, pending; "
    "`reconciles` when received = held + sharing + shared + retained; `stale` when money "
    "has been held unshared for over 180 days.",
    security=SIGNED_IN,
    responses={200: CommunityBureauOut, 403: ErrorResponse, 404: ErrorResponse},
)
def bureau(path: CommunityBureauPath):
    org = authz.current_org()
    with read_transaction(engine()) as conn:
        rows = services.bureau_rows(conn, org.division)
        distributions = services.distributions_of(conn, within=org.division)
    villages = [
        {"village": r.code, "name": r.name, **r.picture.as_json(), "reconciles": r.reconciles,
         "stale": r.stale, "distributions": r.distributions}
        for r in rows
    ]  # fmt: skip
    return json_response(
        CommunityBureauOut(
            division=org.division,
            villages=villages,
            distributions=[_distribution_out(d) for d in distributions],
        )
    )


# --- writes -------------------------------------------------------------------------------


def _roster(form) -> tuple[list, str]:
    data = form.file.read()
    return parse_roster(data), hashlib.sha256(data).hexdigest()


@bp.post(
    "/villages/<code>/rosters/changes",
    summary="What a roster file would change (nothing is saved)",
    description="The CSV (household_code,head_name,id_number,members,forest_area_mu,"
    "low_income,bank_account); every bad line is named (`community.bad_lines`).",
    security=SIGNED_IN,
    responses={200: CommunityResultOut, **WRITE_ERRORS},
)
def roster_changes(
    path: CommunityVillagePath, header: IdempotencyHeader, form: CommunityRosterForm
):
    village = _writer()
    lines, digest = _roster(form)
    with read_transaction(engine()) as conn:
        diff = services.diff_roster(conn, vault_or_none(), village, lines, digest)
    return _result(diff.as_json(), 200)


@bp.post(
    "/villages/<code>/rosters",
    summary="Save a roster file as the next version",
    description="`version` is the one `rosters/changes` announced: refused (409) if another "
    "version was saved meanwhile. Personal data goes to the vault.",
    security=SIGNED_IN,
    responses={201: CommunityResultOut, **WRITE_ERRORS},
)
def save_roster(
    path: CommunityVillagePath, header: IdempotencyHeader, form: CommunityRosterSaveForm
):
    village = _writer()
    lines, digest = _roster(form)
    saved = services.save_roster(
        engine(), vault_or_none(), village, lines, digest, expect_version=form.version,
        **_common(header, "roster"),
    )  # fmt: skip
    return _result({"version": saved.version, "households": saved.households,
                    "digest": saved.digest, "seq": saved.seq})  # fmt: skip


@bp.post(
    "/villages/<code>/rules",
    summary="Record a sharing rule",
    security=SIGNED_IN,
    responses={201: CommunityResultOut, **WRITE_ERRORS},
)
def add_rule(path: CommunityVillagePath, header: IdempotencyHeader, body: CommunityRuleBody):
    village = _writer()
    rule = services.add_rule(
        engine(), village, body.rule, body.name, body.terms, **_common(header, "rule")
    )
    return _result(_plain(rule))


@bp.post(
    "/villages/<code>/distributions",
    summary="Draft a distribution (the amount is set aside from the collective's account)",
    description="Refused with `community.insufficient` (409) when the account holds less.",
    security=SIGNED_IN,
    responses={201: CommunityResultOut, **WRITE_ERRORS},
)
def draft(path: CommunityVillagePath, header: IdempotencyHeader, body: CommunityDraftBody):
    village = _writer()
    d = services.draft(
        engine(), village, title=body.title, amount_fen=body.amount_fen, rule=body.rule,
        notice_days=body.notice_days, **_common(header, "draft"),
    )  # fmt: skip
    return _result(_distribution_out(d))


@bp.post(
    "/villages/<code>/distributions/<distribution>/approval",
    summary="Record the villagers' assembly resolution (multipart, with the scan)",
    security=SIGNED_IN,
    responses={201: CommunityResultOut, **WRITE_ERRORS},
)
def approve(
    path: CommunityDistributionPath, header: IdempotencyHeader, form: CommunityApprovalForm
):
    village = _writer()
    resolution = Resolution(form.date, form.number, form.present, form.voting_for,
                            form.scan.read(), form.scan.filename or "")  # fmt: skip
    d = services.approve(
        engine(), village, path.distribution, resolution, **_common(header, "approve")
    )
    return _result(_distribution_out(d))


@bp.post(
    "/villages/<code>/distributions/<distribution>/notice",
    summary="Put an approved distribution on public notice",
    security=SIGNED_IN,
    responses={201: CommunityResultOut, **WRITE_ERRORS},
)
def publish(path: CommunityDistributionPath, header: IdempotencyHeader, body: CommunityNoticeBody):
    village = _writer()
    d = services.publish(
        engine(), village, path.distribution, place=body.place, notice_from=body.notice_from,
        days=body.days, **_common(header, "publish"),
    )  # fmt: skip
    return _result(_distribution_out(d))


@bp.post(
    "/villages/<code>/distributions/<distribution>/objections",
    summary="Record an objection raised during the notice",
    security=SIGNED_IN,
    responses={201: CommunityResultOut, **WRITE_ERRORS},
)
def raise_objection(
    path: CommunityDistributionPath, header: IdempotencyHeader, body: CommunityObjectionBody
):
    village = _writer()
    o = services.record_objection(
        engine(), village, path.distribution, summary=body.summary, household=body.household,
        raised_on=body.raised_on, **_common(header, "objection"),
    )  # fmt: skip
    return _result(_plain(o))


@bp.post(
    "/villages/<code>/distributions/<distribution>/objections/<int:number>/answer",
    summary="Record the answer to an objection",
    security=SIGNED_IN,
    responses={201: CommunityResultOut, **WRITE_ERRORS},
)
def answer(path: CommunityObjectionPath, header: IdempotencyHeader, body: CommunityAnswerBody):
    village = _writer()
    o = services.answer_objection(
        engine(), village, path.distribution, path.number, body.answer,
        **_common(header, "answer"),
    )  # fmt: skip
    return _result(_plain(o))


@bp.post(
    "/villages/<code>/distributions/<distribution>/finalisation",
    summary="Finalise: one allocation entry per household and the retained share",
    security=SIGNED_IN,
    responses={201: CommunityResultOut, **WRITE_ERRORS},
)
def finalise(path: CommunityDistributionPath, header: IdempotencyHeader):
    village = _writer()
    d = services.finalise(engine(), village, path.distribution, **_common(header, "finalise"))
    return _result(_distribution_out(d))


@bp.post(
    "/villages/<code>/distributions/<distribution>/reversal",
    summary="Reverse a finalised distribution (a linked reversing distribution)",
    security=SIGNED_IN,
    responses={201: CommunityResultOut, **WRITE_ERRORS},
)
def reverse(path: CommunityDistributionPath, header: IdempotencyHeader, body: CommunityReverseBody):
    village = _writer()
    d = services.reverse(
        engine(), village, path.distribution, reason=body.reason, **_common(header, "reverse")
    )
    return _result(_distribution_out(d))


@bp.post(
    "/villages/<code>/distributions/<distribution>/batches",
    summary="Prepare a payment batch of every household not yet paid",
    security=SIGNED_IN,
    responses={201: CommunityResultOut, **WRITE_ERRORS},
)
def batch(path: CommunityDistributionPath, header: IdempotencyHeader):
    village = _writer()
    b = services.create_batch(engine(), village, path.distribution, **_common(header, "batch"))
    return _result(_plain(b))


@bp.get(
    "/villages/<code>/distributions/<distribution>/batches/<batch>",
    summary="A payment batch's lines for the bank, with names and accounts (audited)",
    description="Only the village's own users and tokens; every read is recorded in the "
    "audit log.",
    security=SIGNED_IN,
    responses={200: CommunityBatchLinesOut, 403: ErrorResponse, 404: ErrorResponse,
               409: ErrorResponse},
)  # fmt: skip
def batch_lines(path: CommunityBatchPath):
    village = _writer()
    with read_transaction(engine()) as conn:
        try:
            b = services.get_batch(conn, village, path.batch)
            d = services.get_distribution(conn, path.distribution, village)
        except LedgerError:
            raise NotFound(f"there is no batch {path.batch}") from None
        if b.distribution != d.distribution:
            raise NotFound(f"there is no batch {path.batch}")
        lines = services.bank_lines(conn, vault_or_none(), village, b.batch, d.title[:40])
    details = {"batch": b.batch, "lines": len(lines), "amount_fen": b.amount_fen}
    authz.record_export("community.batch.json", authz.current_org(), details)
    return json_response(
        CommunityBatchLinesOut(batch=b.batch, lines=[dict(vars(x)) for x in lines])
    )


@bp.post(
    "/villages/<code>/distributions/<distribution>/batches/<batch>/results",
    summary="Post the bank's result file of a batch (CSV or XLSX; all or nothing)",
    description="Bad lines: `community.bank_bad_lines`; lines that do not match the batch: "
    "`community.bank_mismatch`; each names every line.",
    security=SIGNED_IN,
    responses={201: CommunityResultOut, **WRITE_ERRORS},
)
def batch_results(path: CommunityBatchPath, header: IdempotencyHeader, form: CommunityResultsForm):
    from ledger.community.bankfiles import parse_results

    village = _writer()
    data = form.file.read()
    out = services.import_results(
        engine(), vault_or_none(), village, path.batch, parse_results(data),
        hashlib.sha256(data).hexdigest(), **_common(header, "results"),
    )  # fmt: skip
    return _result(dict(vars(out)))


@bp.post(
    "/villages/<code>/households/<household>/bank-account",
    summary="Correct a household's bank account (kept in the vault)",
    security=SIGNED_IN,
    responses={201: CommunityResultOut, **WRITE_ERRORS},
)
def bank_account(path: CommunityHouseholdPath, header: IdempotencyHeader, body: CommunityBankBody):
    village = _writer()
    services.correct_bank_account(
        engine(), vault_or_none(), village, path.household, body.bank_account,
        **_common(header, "bank"),
    )  # fmt: skip
    return _result({"household": path.household, "corrected": True})


@bp.post(
    "/lookup",
    summary="A household's payouts, by its code and the last four characters of the head's "
    "ID number (public; throttled)",
    description="Like every POST it carries an `Idempotency-Key` (nothing is written).",
    responses={200: CommunityLookupOut, 404: ErrorResponse, 409: ErrorResponse, 429: ErrorResponse},
)
def lookup(header: IdempotencyHeader, body: CommunityLookupBody):
    if throttle.throttled(engine(), request.remote_addr or "-"):
        raise services.Throttled("community.throttled", "too many look-ups; try again later")
    with read_transaction(engine()) as conn:
        found = services.lookup_household(
            conn, vault_or_none(), body.village, body.household, body.id_last4.upper()
        )
    if found is None:
        raise NotFound("no payouts for this household code and ID number ending")
    return json_response(
        CommunityLookupOut(
            household=found.household,
            head=found.masked_name,
            payouts=[_plain(p) for p in found.payouts],
        )
    )


__all__ = ["bp", "model"]
