"""The judicial entries in words (``EntryKind.describe``): every kind has a description, it is
a pure function of the leaf, never shows the salt or a name (defendants by vault code), and
says the facts — the case number, the arithmetic of the assessment, the quantities and the
money, the sellers and serials — in the values receipts format (元, 吨, translated terms)."""

from __future__ import annotations

import copy

import pytest

from ledger.judicial import model
from ledger.judicial.assessment import arithmetic_lines
from ledger.judicial.describe import DESCRIPTIONS
from ledger.judicial.methods import load_method
from ledger.platform import Account, Amount, Term
from tests.judicial.test_certificate_plain import (
    ASSESSMENT,
    CASE_BODY,
    DECISION,
    PURCHASE,
    RECORD,
    RETIREMENT,
    VILLAGE,
)

METHOD = {
    "name": "AR-CM-001 defaults",
    "version": "2022.1",
    "method": load_method().to_json(),
}
REPLANTING = {
    "case": "2022-XC-123",
    "court": "350627",
    "area_mu": "5",
    "species": "杉木",
    "deadline": "2023-03-31",
    "accepted_on": "2023-04-10",
    "note": "补种成活率 95%",
}
DOCUMENT = {
    "case": "2022-XC-123",
    "court": "350627",
    "doc": "assessment_opinion",
    "sha256": "ab" * 32,
    "size": 123_456,
    "title": "碳汇损失鉴定意见书",
    "step": "assessed",
}
CERTIFIED = {
    "case": "2022-XC-123",
    "court": "350627",
    "certificate": "SFTH-350627-2022-XC-123",
    "entries": [1, 2, 3, 4, 5],
    "certified_on": "2022-05-26",
}
BODIES = {
    model.METHOD: METHOD,
    model.CASE: CASE_BODY,
    model.REPLANTING: REPLANTING,
    model.DOCUMENT: DOCUMENT,
    model.ASSESSMENT: ASSESSMENT,
    model.DECISION: DECISION,
    model.PURCHASE: PURCHASE,
    model.RETIREMENT: RETIREMENT,
    model.CERTIFIED: CERTIFIED,
}


def facts(kind: str, body=None) -> dict:
    out: dict = {}
    for label, value in DESCRIPTIONS[kind](body or BODIES[kind], ()):
        out.setdefault(label, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in out.items()}


def test_every_kind_is_described_and_its_bodies_are_valid():
    assert set(DESCRIPTIONS) == set(model.KINDS)
    for kind, body in BODIES.items():
        assert model.VALIDATORS[kind](body, kind) == [], kind


@pytest.mark.parametrize("kind", model.KINDS)
def test_descriptions_leave_out_the_salt_and_are_pure(kind):
    body = {**copy.deepcopy(BODIES[kind]), "salt": "0" * 32}
    before = copy.deepcopy(body)
    described = DESCRIPTIONS[kind](body, ())
    assert body == before
    assert all("0" * 32 not in str(value) for _, value in described)
    for label, value in described:
        assert isinstance(label, str) and label
        assert isinstance(value, str | int | Amount | Term | Account), (label, value)


def test_the_filing_states_the_case_and_the_damage():
    said = facts(model.CASE)
    assert said["Case number"] == "(2022)闽0627刑初123号"
    assert said["Court"] == "南靖县人民法院"
    assert said["Offence"] == Term(model.OFFENCES["lanfa"])
    assert said["Defendants (vault codes)"] == "D-0123456789AB"
    assert said["Damage"] == "阔叶混 18.6493 m³ 立木蓄积 @350627"
    other = {
        **CASE_BODY,
        "offence": "other",
        "offence_text": "非法收购滥伐的林木",
        "replanting": {"area_mu": "5", "species": "杉木", "deadline": "2023-03-31"},
    }
    said = facts(model.CASE, other)
    assert said["Offence"] == "非法收购滥伐的林木"
    assert said["Replanting ordered"] == "5 亩 杉木，2023-03-31 前"


def test_the_assessment_states_its_method_and_its_arithmetic():
    said = facts(model.ASSESSMENT)
    assert said["Method"] == "AR-CM-001 defaults 2022.1"
    assert said["Carbon loss"] == Amount(47_070, "CO2E")
    assert said["Arithmetic"] == arithmetic_lines(RECORD)
    assert said["Assessed by"] == "福建某林业司法鉴定中心"


def test_the_decision_states_the_multiple_the_rounding_the_price_and_the_amount():
    said = facts(model.DECISION)
    assert said["Carbon loss"] == Amount(47_070, "CO2E")
    assert said["Multiple of the loss"] == "2"
    assert said["Exact quantity"] == Amount(94_140, "CO2E")
    assert said["Rounding"] == Term(model.ROUNDINGS["ordered"])
    assert said["Quantity ordered"] == Amount(96_000, "CO2E")
    assert said["Price basis"] == Term(model.PRICE_BASES["programme"])
    assert said["Price per tonne"] == Amount(10_000, "CNY")
    assert said["Amount"] == Amount(960_000, "CNY")
    from_amount = {**DECISION, "basis": "amount", "multiple": "1", "rounding": "down_to_t"}
    del from_amount["loss_kg"]
    assert "Multiple of the loss" not in facts(model.DECISION, from_amount)


def test_the_purchase_states_who_paid_the_sellers_and_the_serials():
    said = facts(model.PURCHASE)
    assert said["Paid by"] == "D-0123456789AB"  # a person by vault code only
    assert said["Restoration account"] == "南靖县林业局生态修复专户，农商银行，尾号 3456"
    assert said["Seller"] == Account(VILLAGE, Amount(960_000, "CNY"))
    assert said["Serials"] == "0000001: 1–96"
    assert said["Carbon bought"] == Amount(96_000, "CO2E")
    assert said["Amount paid"] == Amount(960_000, "CNY")
    company = {**PURCHASE, "payer": {"type": "organisation", "name": "南靖某木业有限公司"}}
    assert facts(model.PURCHASE, company)["Paid by"] == "南靖某木业有限公司"


def test_the_retirement_certificate_document_replanting_and_method():
    said = facts(model.RETIREMENT)
    assert said["Retirement reference"] == "HX-ZX-2022-0456"
    assert said["Carbon retired"] == Amount(96_000, "CO2E")
    assert facts(model.CERTIFIED)["Entries it proves"] == "1、2、3、4、5"
    doc = facts(model.DOCUMENT)
    assert doc["Document"] == Term(model.DOCUMENTS["assessment_opinion"])
    assert doc["Document (SHA-256)"] == "ab" * 32
    assert (
        facts(model.REPLANTING)["Replanting ordered"] == "5 亩 杉木，2023-03-31 前，2023-04-10 验收"
    )
    method = facts(model.METHOD)
    assert method["Parameters (SVD / BEF / R / CF)"].startswith(
        "杉木 0.307 / 1.634 / 0.246 / 0.520；马尾松"
    )
    assert method["Further carbon pools"] == Term("none: trees only")
    assert method["Approved by"] == Term("not approved (shipped defaults)")
    assert method["Loss entered by the assessor"] == "毛竹"
