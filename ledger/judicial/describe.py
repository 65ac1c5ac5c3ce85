"""What each ``judicial.*`` entry states, in words: the ``EntryKind.describe`` functions that
receipts, the certificate's verification and the public verification page print
(``docs/modules.md``, "Describing entries in words").

Each function is a pure function of the leaf (``body``, ``postings``): no database, no vault
(defendants and payers appear as their vault codes, never by name), and it never shows the
``salt``. Labels are English marked with ``N_`` (shown translated); values are text as recorded,
:class:`~ledger.platform.Amount` (元, 吨), :class:`~ledger.platform.Term` (translated) or
:class:`~ledger.platform.Account` (in words).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ledger.judicial import model
from ledger.judicial.assessment import VOLUME_TYPES, arithmetic_lines
from ledger.platform import N_, Account, Amount, Fact, Term
from ledger.units.model import PROGRAMMES

Body = Mapping[str, Any]


def _case(body: Body) -> list[Fact]:
    """The case an entry concerns: its court's division code and the case key (``350627``,
    ``2022-XC-123``); the case number itself is in the filing entry."""
    return [(N_("Court's division code"), body["court"]), (N_("Case"), body["case"])]


def _damage_text(item: Mapping[str, Any]) -> str:
    """One damage item as a line: ``杉木 120 株 3.5 m³ 立木蓄积 2 亩 @350428102201``."""
    parts = [item["species"]]
    if item.get("trees") is not None:
        parts.append(f"{item['trees']} 株")
    if item.get("volume_m3") is not None:
        parts.append(f"{item['volume_m3']} m³ {VOLUME_TYPES.get(item['volume_type'], '')}".strip())
    if item.get("area_mu") is not None:
        parts.append(f"{item['area_mu']} 亩")
    parts.append(f"@{item['place']}")
    return " ".join(parts)


def _replanting_text(plan: Mapping[str, Any]) -> str:
    text = f"{plan['area_mu']} 亩 {plan['species']}，{plan['deadline']} 前"
    if plan.get("accepted_on"):
        text += f"，{plan['accepted_on']} 验收"
    return text


def describe_method(body: Body, postings: Sequence[Any]) -> list[Fact]:
    method = body["method"]
    rows = "；".join(
        f"{r['name']} {r['svd']['value']} / {r['bef']['value']} / {r['r']['value']} / "
        f"{r['cf']['value']}"
        for r in method["species"]
    )
    facts: list[Fact] = [
        (N_("Method"), f"{body['name']} {body['version']}"),
        (N_("Method in words"), method["title"]),
        (N_("Formula"), "V × SVD × BEF × (1 + R) × CF × 44/12"),
        (N_("Parameters (SVD / BEF / R / CF)"), rows),
    ]
    if method.get("assessed_only"):
        facts.append(
            (
                N_("Loss entered by the assessor"),
                "、".join(a["name"] for a in method["assessed_only"]),
            )
        )
    pools = method.get("pools") or []
    facts.append(
        (
            N_("Further carbon pools"),
            "；".join(f"{p['name']} × {p['factor']}" for p in pools)
            if pools
            else Term(N_("none: trees only")),
        )
    )
    for rule in method["volume_types"]:
        facts.append(
            (
                N_("Volume factor"),
                f"{VOLUME_TYPES.get(rule['type'], rule['type'])} × {rule['factor']}",
            )
        )
    if method.get("approved_by"):
        facts += [
            (N_("Approved by"), method["approved_by"]),
            (N_("Approved on"), method["approved_on"]),
        ]
    else:
        facts.append((N_("Approved by"), Term(N_("not approved (shipped defaults)"))))
    return facts


def describe_case(body: Body, postings: Sequence[Any]) -> list[Fact]:
    offence: str | Term = Term(model.OFFENCES[body["offence"]])
    if body["offence"] == "other" and body.get("offence_text"):
        offence = body["offence_text"]
    facts: list[Fact] = [
        (N_("Case number"), body["case_number"]),
        (N_("Court"), body["court_name"]),
        (N_("Court code"), body["court_code"]),
        (N_("Offence"), offence),
        (N_("Defendants (vault codes)"), "、".join(body["defendants"])),
    ]
    facts += [(N_("Damage"), _damage_text(item)) for item in body["damage"]]
    if body.get("replanting"):
        facts.append((N_("Replanting ordered"), _replanting_text(body["replanting"])))
    facts.append((N_("Filed on"), body["filed_on"]))
    return facts


def describe_replanting(body: Body, postings: Sequence[Any]) -> list[Fact]:
    facts = [*_case(body), (N_("Replanting ordered"), _replanting_text(body))]
    if body.get("note"):
        facts.append((N_("Note"), body["note"]))
    return facts


def describe_document(body: Body, postings: Sequence[Any]) -> list[Fact]:
    return [
        *_case(body),
        (N_("Document"), Term(model.DOCUMENTS[body["doc"]])),
        (N_("Title"), body["title"]),
        (N_("At the step"), Term(model.STATE_LABELS[body["step"]])),
        (N_("Document (SHA-256)"), body["sha256"]),
        (N_("Size (bytes)"), body["size"]),
    ]


def describe_assessment(body: Body, postings: Sequence[Any]) -> list[Fact]:
    record = body["record"]
    method = body["method"]
    facts: list[Fact] = [
        *_case(body),
        (N_("Method"), f"{method['name']} {method['version']}"),
        (N_("Method entry"), method["seq"]),
        (N_("Assessed by"), body["assessor"]),
        (N_("Assessed on"), body["assessed_on"]),
    ]
    facts += [(N_("Arithmetic"), line) for line in arithmetic_lines(record)]
    facts.append((N_("Carbon loss"), Amount(body["loss_kg"], "CO2E")))
    return facts


def describe_decision(body: Body, postings: Sequence[Any]) -> list[Fact]:
    price = body["price"]
    facts: list[Fact] = [*_case(body), (N_("Quantity follows"), Term(model.BASES[body["basis"]]))]
    if body["basis"] == "loss":
        facts += [
            (N_("Carbon loss"), Amount(body["loss_kg"], "CO2E")),
            (N_("Multiple of the loss"), body["multiple"]),
        ]
    facts += [
        (N_("Exact quantity"), Amount(body["exact_kg"], "CO2E")),
        (N_("Rounding"), Term(model.ROUNDINGS[body["rounding"]])),
        (N_("Quantity ordered"), Amount(body["quantity_kg"], "CO2E")),
        (N_("Price basis"), Term(model.PRICE_BASES[price["basis"]])),
        (N_("Price per tonne"), Amount(price["fen_per_t"], "CNY")),
        (N_("Price of"), price["date"]),
        (N_("Price source"), price["source"]),
        (N_("Amount"), Amount(body["amount_fen"], "CNY")),
        (N_("Decided on"), body["decided_on"]),
    ]
    if body.get("judgment_ref"):
        facts.append((N_("Judgment"), body["judgment_ref"]))
    return facts


def _payer(payer: Mapping[str, Any]) -> str:
    return payer["code"] if payer["type"] == "person" else payer["name"]


def describe_purchase(body: Body, postings: Sequence[Any]) -> list[Fact]:
    account = body["restoration_account"]
    facts: list[Fact] = [
        *_case(body),
        (N_("Decision entry"), body["decision_seq"]),
        (N_("Paid by"), _payer(body["payer"])),
        (N_("Payment reference"), body["payment_ref"]),
        (
            N_("Restoration account"),
            f"{account['name']}，{account['bank']}，尾号 {account['last4']}",
        ),
    ]
    for line in body["lines"]:
        programme = PROGRAMMES.get(line["programme"])
        facts += [
            (N_("Programme"), Term(programme.label) if programme else line["programme"]),
            (N_("Project"), line["project"]),
            (N_("Serials"), f"{line['lot']}: {line['first']}–{line['last']}"),
            (N_("Seller"), Account(line["seller"], Amount(line["total_fen"], "CNY"))),
            (N_("Carbon"), Amount(line["kg"], "CO2E")),
            (N_("Price per tonne"), Amount(line["price_fen_per_t"], "CNY")),
        ]
    facts += [
        (N_("Carbon bought"), Amount(body["kg"], "CO2E")),
        (N_("Amount paid"), Amount(body["amount_fen"], "CNY")),
        (N_("Paid on"), body["paid_on"]),
    ]
    return facts


def describe_retirement(body: Body, postings: Sequence[Any]) -> list[Fact]:
    return [
        *_case(body),
        (N_("Purchase entry"), body["purchase_seq"]),
        (N_("Retirement reference"), body["retirement_ref"]),
        (N_("Carbon retired"), Amount(body["kg"], "CO2E")),
        (N_("Retirement entries"), "、".join(str(s) for s in body["retire_seqs"])),
        (N_("Retired on"), body["retired_on"]),
    ]


def describe_certified(body: Body, postings: Sequence[Any]) -> list[Fact]:
    return [
        *_case(body),
        (N_("Certificate"), body["certificate"]),
        (N_("Entries it proves"), "、".join(str(s) for s in body["entries"])),
        (N_("Certified on"), body["certified_on"]),
    ]


#: ``EntryKind.describe`` of each judicial kind.
DESCRIPTIONS = {
    model.METHOD: describe_method,
    model.CASE: describe_case,
    model.REPLANTING: describe_replanting,
    model.DOCUMENT: describe_document,
    model.ASSESSMENT: describe_assessment,
    model.DECISION: describe_decision,
    model.PURCHASE: describe_purchase,
    model.RETIREMENT: describe_retirement,
    model.CERTIFIED: describe_certified,
}
