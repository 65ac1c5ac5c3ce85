"""Judicial carbon as pure records and rules: case keys, offences, states, the decision's
arithmetic (from tonnes to yuan and back), and the bodies of the ``judicial.*`` entry kinds.
No I/O.

Quantities are integers: carbon in kg CO2e, money in fen, prices in fen per tonne. Decimals a
person typed (volumes, areas, a multiple) travel as text and are read with :mod:`decimal`.

A case is named on the log by its court's key (``350627`` for the court 闽0627) and a case key
built from its case number (``(2022)闽0627刑初123号`` → ``2022-XC-123``), so the case's carbon
account is ``Assets:Court:350627:Case:2022-XC-123`` (the units module's holder account).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ledger.core.errors import ValidationError
from ledger.platform import N_
from ledger.units.model import (
    CODE_ALPHABET,
    CODE_CHARS,
    free_text,
    is_text,
    parse_holder,
    sale_total,
    valid_date,
)

# --- kinds and states -----------------------------------------------------------------------

METHOD = "judicial.method"
CASE = "judicial.case"
REPLANTING = "judicial.replanting"
DOCUMENT = "judicial.document"
ASSESSMENT = "judicial.assessment"
DECISION = "judicial.decision"
PURCHASE = "judicial.purchase"
RETIREMENT = "judicial.retirement"
CERTIFIED = "judicial.certified"
OVERDUE = "judicial.overdue"
#: Kinds a court (or an administrator, for methods) writes: the method and a case's steps.
CASE_KINDS = (CASE, REPLANTING, DOCUMENT, ASSESSMENT, DECISION, PURCHASE, RETIREMENT, CERTIFIED)
KINDS = (METHOD, *CASE_KINDS)
#: Kinds the scheduler writes on a case (described beside their job, ``jobs.py``).
SCHEDULER_KINDS = (OVERDUE,)
#: Every kind of the module.
ALL_KINDS = (*KINDS, *SCHEDULER_KINDS)

FILED, ASSESSED, DECIDED, PURCHASED, RETIRED, CERTIFIED_STATE = (
    "filed",
    "assessed",
    "decided",
    "purchased",
    "retired",
    "certified",
)
#: The states of a case, in order.
STATES = (FILED, ASSESSED, DECIDED, PURCHASED, RETIRED, CERTIFIED_STATE)
STATE_LABELS = {
    FILED: N_("Filed"),
    ASSESSED: N_("Assessed"),
    DECIDED: N_("Decided"),
    PURCHASED: N_("Purchased"),
    RETIRED: N_("Retired"),
    CERTIFIED_STATE: N_("Certified"),
}
#: The state an entry of each kind moves its case to (the others leave it where it is).
STATE_OF_KIND = {
    CASE: FILED,
    ASSESSMENT: ASSESSED,
    DECISION: DECIDED,
    PURCHASE: PURCHASED,
    RETIREMENT: RETIRED,
    CERTIFIED: CERTIFIED_STATE,
}
#: Which states an entry of each kind may follow. A case may be assessed again (a new
#: assessment replaces the old one) and decided again until units are bought for it.
ALLOWED_FROM = {
    ASSESSMENT: (FILED, ASSESSED),
    DECISION: (ASSESSED, DECIDED),
    PURCHASE: (DECIDED,),
    RETIREMENT: (PURCHASED,),
    CERTIFIED: (RETIRED,),
    REPLANTING: STATES,
    DOCUMENT: STATES,
    OVERDUE: (DECIDED, PURCHASED),
}

OFFENCES = {
    "lanfa": N_("Excess logging (滥伐林木)"),
    "daofa": N_("Timber theft (盗伐林木)"),
    "shihuo": N_("Forest fire by negligence (失火)"),
    "zhanyong": N_("Illegal occupation of farmland (非法占用农用地)"),
    "other": N_("Other offence"),
}
VOLUME_TYPES = {"standing": N_("Standing volume (立木蓄积)"), "timber": N_("Timber volume (材积)")}
#: The 六书 of the Fujian procedure (and the judgment), anchored at their step.
DOCUMENTS = {
    "undertaking": N_("Restoration undertaking"),
    "notice": N_("Notice to the forestry bureau"),
    "assessment_opinion": N_("Assessment opinion"),
    "replanting_design": N_("Replanting design"),
    "payment_notice": N_("Payment notice"),
    "judgment": N_("Judgment"),
    "other": N_("Other document"),
}
PRICE_BASES = {
    "programme": N_("Fixed programme price"),
    "exchange": N_("Exchange trade price"),
    "allowance_close": N_("National allowance market, previous close"),
}
ROUNDINGS = {
    "up_to_t": N_("Up to whole tonnes"),
    "down_to_t": N_("Down to whole tonnes"),
    "none": N_("Not rounded"),
    "ordered": N_("A quantity the court set (what sellers can deliver)"),
}
BASES = {"loss": N_("From the loss"), "amount": N_("From an amount in yuan")}

# --- case numbers and keys ------------------------------------------------------------------

#: Case-type words (案件类型代字) to the ASCII code in case keys.
TYPE_CODES = {
    "刑初": "XC",
    "刑终": "XZ",
    "刑更": "XG",
    "刑监": "XJ",
    "刑再": "XS",
    "民初": "MC",
    "民终": "MZ",
    "民再": "MS",
    "行初": "AC",
    "行终": "AZ",
    "刑辖": "XX",
    "民特": "MT",
    "执": "ZX",
}
CASE_KEY_RE = re.compile(r"[A-Z0-9][A-Za-z0-9-]{0,39}")
COURT_KEY_RE = re.compile(r"\d{2,6}")
DEFENDANT_RE = re.compile(rf"D-[{CODE_ALPHABET}]{{{CODE_CHARS}}}")
_DIVISION_RE = re.compile(r"\d{6}|\d{9}|\d{12}")
_DECIMAL_RE = re.compile(r"\d{1,9}(\.\d{1,4})?")
_AREA_RE = re.compile(r"\d{1,7}(\.\d{1,2})?")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_LAST4_RE = re.compile(r"\d{4}")
MAX_NAME = 200
MAX_TEXT = 500
MAX_REF = 100
MAX_ITEMS = 50
MAX_DEFENDANTS = 20
#: A decision's multiple of the loss: 1 to 10, at most two decimals (南靖 2022: 2).
MAX_MULTIPLE = Decimal(10)
#: A price at most 10,000 元/t (fen per tonne): far above any market seen.
MAX_PRICE_FEN_PER_T = 1_000_000
#: At most 1,000,000 t for one case.
MAX_KG = 1_000_000_000


def case_key(year: int, type_word: str, sequence: int) -> str:
    """The ASCII key of a case: ``2022-XC-123`` for ``(2022)闽0627刑初123号``. A type word
    without a code is spelled by its characters' code points (``U5211U521D``), so every case
    number gets a key and two never share one."""
    code = TYPE_CODES.get(type_word) or "".join(f"U{ord(c):X}" for c in type_word)
    return f"{year}-{code}-{sequence}"


def case_account(court: str, case: str) -> str:
    """The carbon account of a case (a holder account of the units module)."""
    return f"Assets:Court:{court}:Case:{case}"


def court_party(court: str) -> str:
    return f"Court:{court}"


# --- arithmetic ---------------------------------------------------------------------------


def decimal_of(text: object, *, what: str, code: str = "judicial.number") -> Decimal:
    """A non-negative decimal a person typed (text with at most 4 decimals)."""
    if not isinstance(text, str) or not _DECIMAL_RE.fullmatch(text.strip()):
        raise ValidationError(code, f"{what} must be a number with at most 4 decimals")
    try:
        return Decimal(text.strip())
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise ValidationError(code, f"{what} must be a number") from None


def tonnes(kg: int) -> str:
    """kg as tonnes with two decimals, rounded half up (47,070 → ``47.07``)."""
    return str((Decimal(kg) / 1000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class Quantity:
    """The decision's quantity: ``exact_kg`` (the loss times the multiple, rounded half up to
    the kg, or what the amount buys) and ``quantity_kg`` after the rounding to what sellers can
    deliver; ``amount_fen`` the yuan it costs (or was given)."""

    exact_kg: int
    quantity_kg: int
    amount_fen: int


def round_quantity(exact_kg: int, rounding: str) -> int:
    """Round to what sellers can deliver: whole tonnes up or down, or not at all (a quantity
    the court set is checked against the exact one by :func:`from_loss`)."""
    if rounding in ("none", "ordered"):
        return exact_kg
    unit = Decimal(1000)
    mode = ROUND_CEILING if rounding == "up_to_t" else ROUND_FLOOR
    return int((Decimal(exact_kg) / unit).to_integral_value(rounding=mode) * unit)


def from_loss(
    loss_kg: int,
    multiple: Decimal,
    rounding: str,
    price_fen_per_t: int,
    ordered_kg: int | None = None,
) -> Quantity:
    """Quantity from the loss: ``loss × multiple`` (half up to the kg), rounded as ordered;
    the amount is price × quantity, half up to the fen (the units module's sale total).
    南靖 2022: 47,070 kg × 2 = 94,140 kg, up to whole tonnes 95,000 kg (the court retired 96 t:
    what the seller could deliver: rounding ``ordered`` with ``ordered_kg`` 96,000, which
    must not be below the exact quantity)."""
    exact = int((Decimal(loss_kg) * multiple).to_integral_value(rounding=ROUND_HALF_UP))
    if rounding == "ordered":
        if ordered_kg is None or ordered_kg < exact:
            raise ValidationError(
                "judicial.quantity_below",
                f"the quantity set must not be below {tonnes(exact)} t",
                {"t": tonnes(exact)},
            )
        qty = ordered_kg
    else:
        qty = round_quantity(exact, rounding)
    return Quantity(exact, qty, sale_total(price_fen_per_t, qty))


def from_amount(amount_fen: int, rounding: str, price_fen_per_t: int) -> Quantity:
    """Quantity from an amount in yuan: what it buys at the price, to the kg (rounded down:
    never more carbon than paid for), then rounded as ordered (down to whole tonnes keeps
    the amount enough)."""
    exact = amount_fen * 1000 // price_fen_per_t
    qty = round_quantity(exact, rounding)
    return Quantity(exact, qty, amount_fen)


def split_total(price_fen_per_t: int, kgs: Sequence[int]) -> list[int]:
    """The fen of each line of a purchase at one price, so that they add up to the price of
    the whole quantity (each line's share rounded from the running total, half up)."""
    out, done_kg, done_fen = [], 0, 0
    for kg in kgs:
        done_kg += kg
        total = sale_total(price_fen_per_t, done_kg)
        out.append(total - done_fen)
        done_fen = total
    return out


# --- entry bodies ---------------------------------------------------------------------------


def _err(code: str, where: str, message: str) -> ValidationError:
    return ValidationError(code, f"{where}: {message}")


def _fields(
    body: Mapping[str, Any], where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> list[ValidationError]:
    errors = []
    missing = set(required) - body.keys()
    if missing:
        errors.append(_err("judicial.fields", where, f"missing fields {sorted(missing)}"))
    extra = body.keys() - set(required) - set(optional) - {"salt"}
    if extra:
        errors.append(_err("judicial.fields", where, f"unknown fields {sorted(extra)}"))
    return errors


def _check(errors: list, ok: bool, code: str, where: str, message: str) -> None:
    if not ok:
        errors.append(_err(code, where, message))


def _is_int(value: object, low: int = 0, high: int = MAX_KG * 1000) -> bool:
    return type(value) is int and low <= value <= high


def _decimal_text(value: object, pattern: re.Pattern = _DECIMAL_RE) -> bool:
    return isinstance(value, str) and bool(pattern.fullmatch(value))


def _case_ref(body: Mapping[str, Any], where: str, errors: list) -> None:
    _check(
        errors,
        isinstance(body.get("court"), str) and bool(COURT_KEY_RE.fullmatch(body["court"])),
        "judicial.court",
        where,
        "court must be the court's key (2 to 6 digits)",
    )
    _check(
        errors,
        isinstance(body.get("case"), str) and bool(CASE_KEY_RE.fullmatch(body["case"])),
        "judicial.case",
        where,
        "case must be a case key such as 2022-XC-123",
    )


def damage_problems(item: object, where: str) -> list[ValidationError]:
    """One damage item: species, trees, volume and its type, area in mu, place."""
    if not isinstance(item, dict):
        return [_err("judicial.damage", where, "a damage item must be an object")]
    errors = _fields(
        item, where, ("species", "trees", "volume_m3", "volume_type", "area_mu", "place")
    )
    if errors:
        return errors
    free_text(errors, where, item["species"], "species", 40)
    _check(
        errors,
        item["trees"] is None or _is_int(item["trees"], 0, 10_000_000),
        "judicial.damage",
        where,
        "trees must be a whole number or null",
    )
    _check(
        errors,
        item["volume_m3"] is None or _decimal_text(item["volume_m3"]),
        "judicial.damage",
        where,
        "volume_m3 must be a number as text, or null",
    )
    _check(
        errors,
        (item["volume_m3"] is None and item["volume_type"] is None)
        or (item["volume_m3"] is not None and item["volume_type"] in VOLUME_TYPES),
        "judicial.damage",
        where,
        "a volume needs its type (standing or timber)",
    )
    _check(
        errors,
        item["area_mu"] is None or _decimal_text(item["area_mu"], _AREA_RE),
        "judicial.damage",
        where,
        "area_mu must be mu with at most 2 decimals, or null",
    )
    _check(
        errors,
        isinstance(item["place"], str) and bool(_DIVISION_RE.fullmatch(item["place"])),
        "judicial.place",
        where,
        "place must be a 6-, 9- or 12-digit division code",
    )
    return errors


def replanting_problems(plan: object, where: str) -> list[ValidationError]:
    if not isinstance(plan, dict):
        return [_err("judicial.replanting", where, "replanting must be an object")]
    errors = _fields(plan, where, ("area_mu", "species", "deadline"), ("accepted_on", "note"))
    if errors:
        return errors
    _check(
        errors,
        _decimal_text(plan["area_mu"], _AREA_RE),
        "judicial.replanting",
        where,
        "area_mu must be mu with at most 2 decimals",
    )
    free_text(errors, where, plan["species"], "species", 100)
    _check(errors, valid_date(plan["deadline"]), "judicial.date", where, "deadline: a date")
    if plan.get("accepted_on") is not None:
        _check(errors, valid_date(plan["accepted_on"]), "judicial.date", where, "accepted_on")
    if "note" in plan:
        free_text(errors, where, plan["note"], "note", MAX_TEXT, empty=True)
    return errors


def validate_method(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """``judicial.method``: an assessment method's parameter set, as the assessment module
    serialises it (checked by :meth:`ledger.judicial.assessment.Method.from_json`)."""
    errors = _fields(body, where, ("name", "version", "method"))
    if errors:
        return errors
    from ledger.judicial.assessment import Method

    try:
        method = Method.from_json(body["method"])
    except ValidationError as exc:
        return [ValidationError(exc.code, f"{where}: {exc.message}", exc.details)]
    _check(
        errors,
        method.name == body["name"] and method.version == body["version"],
        "judicial.method",
        where,
        "name and version must be the method's",
    )
    return errors


def validate_case(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """``judicial.case``: a case filed by its court."""
    errors = _fields(
        body,
        where,
        (
            "case",
            "court",
            "case_number",
            "court_code",
            "court_name",
            "division",
            "offence",
            "defendants",
            "damage",
            "replanting",
            "filed_on",
        ),
        ("offence_text",),
    )
    if errors:
        return errors
    _case_ref(body, where, errors)
    from ledger.judicial.casenumber import parse

    try:
        number = parse(body["case_number"])
    except ValidationError as exc:
        errors.append(ValidationError(exc.code, f"{where}: {exc.message}", exc.details))
    else:
        _check(
            errors,
            number.text == body["case_number"]
            and body["case"] == case_key(number.year, number.type_word, number.sequence)
            and number.court_code == body["court_code"],
            "judicial.case_number",
            where,
            "case and court_code must be those of the case number",
        )
    free_text(errors, where, body["court_name"], "court_name", MAX_NAME)
    _check(
        errors,
        isinstance(body["division"], str) and bool(_DIVISION_RE.fullmatch(body["division"])),
        "judicial.division",
        where,
        "division must be the court's division code",
    )
    _check(errors, body["offence"] in OFFENCES, "judicial.offence", where, "unknown offence")
    if body["offence"] == "other" or "offence_text" in body:
        free_text(errors, where, body.get("offence_text"), "offence_text", MAX_NAME)
    defendants = body["defendants"]
    _check(
        errors,
        isinstance(defendants, list)
        and 1 <= len(defendants) <= MAX_DEFENDANTS
        and all(isinstance(d, str) and DEFENDANT_RE.fullmatch(d) for d in defendants)
        and len(set(defendants)) == len(defendants),
        "judicial.defendants",
        where,
        "defendants must be 1 to 20 distinct vault codes (D-…)",
    )
    damage = body["damage"]
    if not isinstance(damage, list) or len(damage) > MAX_ITEMS:
        errors.append(_err("judicial.damage", where, "damage must be a list of at most 50 items"))
    else:
        for i, item in enumerate(damage):
            errors.extend(damage_problems(item, f"{where}.damage[{i}]"))
    if body["replanting"] is not None:
        errors.extend(replanting_problems(body["replanting"], f"{where}.replanting"))
    _check(errors, valid_date(body["filed_on"]), "judicial.date", where, "filed_on: a date")
    return errors


def validate_replanting(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """``judicial.replanting``: replanting (补种复绿) ordered or accepted for a case."""
    errors = _fields(
        body, where, ("case", "court", "area_mu", "species", "deadline"), ("accepted_on", "note")
    )
    if errors:
        return errors
    _case_ref(body, where, errors)
    plan = {
        k: body[k] for k in ("area_mu", "species", "deadline", "accepted_on", "note") if k in body
    }
    errors.extend(replanting_problems(plan, where))
    return errors


def validate_document(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """``judicial.document``: one of the case's documents, anchored by its digest."""
    errors = _fields(body, where, ("case", "court", "doc", "sha256", "size", "title", "step"))
    if errors:
        return errors
    _case_ref(body, where, errors)
    _check(errors, body["doc"] in DOCUMENTS, "judicial.doc", where, "unknown document")
    _check(
        errors,
        isinstance(body["sha256"], str) and bool(_HEX64.fullmatch(body["sha256"])),
        "judicial.sha256",
        where,
        "sha256 must be 64 lower-case hex digits",
    )
    _check(errors, _is_int(body["size"], 0, 1 << 40), "judicial.size", where, "size: bytes")
    free_text(errors, where, body["title"], "title", MAX_TEXT)
    _check(errors, body["step"] in STATES, "judicial.step", where, "step must be a state")
    return errors


def validate_assessment(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """``judicial.assessment``: the carbon loss by a recorded method, with its inputs and
    every intermediate product (the assessment module's record)."""
    errors = _fields(
        body, where, ("case", "court", "method", "record", "loss_kg", "assessor", "assessed_on")
    )
    if errors:
        return errors
    _case_ref(body, where, errors)
    method = body["method"]
    _check(
        errors,
        isinstance(method, dict)
        and method.keys() == {"name", "version", "seq"}
        and is_text(method["name"], 80)
        and is_text(method["version"], 40)
        and _is_int(method["seq"], 0, 1 << 53),
        "judicial.method",
        where,
        "method must name the recorded method (name, version, seq)",
    )
    _check(errors, _is_int(body["loss_kg"], 0, MAX_KG), "judicial.loss", where, "loss_kg")
    if isinstance(body["record"], dict):
        from ledger.judicial.assessment import Assessment

        try:
            record = Assessment.from_json(body["record"])
        except (ValidationError, KeyError, TypeError, ValueError) as exc:
            errors.append(_err("judicial.record", where, f"record: {exc}"))
        else:
            _check(
                errors,
                record.loss_kg == body["loss_kg"],
                "judicial.loss",
                where,
                "loss_kg must be the record's",
            )
    else:
        errors.append(_err("judicial.record", where, "record must be an object"))
    free_text(errors, where, body["assessor"], "assessor", MAX_NAME)
    _check(errors, valid_date(body["assessed_on"]), "judicial.date", where, "assessed_on")
    return errors


def price_problems(price: object, where: str) -> list[ValidationError]:
    if not isinstance(price, dict):
        return [_err("judicial.price", where, "price must be an object")]
    errors = _fields(price, where, ("basis", "fen_per_t", "date", "source"))
    if errors:
        return errors
    _check(errors, price["basis"] in PRICE_BASES, "judicial.price", where, "unknown price basis")
    _check(
        errors,
        _is_int(price["fen_per_t"], 1, MAX_PRICE_FEN_PER_T),
        "judicial.price",
        where,
        "fen_per_t must be a whole number of fen above zero, at most 10,000 yuan",
    )
    _check(errors, valid_date(price["date"]), "judicial.date", where, "price date")
    free_text(errors, where, price["source"], "source", MAX_NAME)
    return errors


def validate_decision(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """``judicial.decision``: the compensation the court ordered, with its arithmetic."""
    errors = _fields(
        body,
        where,
        (
            "case",
            "court",
            "basis",
            "multiple",
            "exact_kg",
            "rounding",
            "quantity_kg",
            "price",
            "amount_fen",
            "decided_on",
            "judgment_ref",
        ),
        ("loss_kg",),
    )
    if errors:
        return errors
    _case_ref(body, where, errors)
    errors.extend(price_problems(body["price"], f"{where}.price"))
    _check(errors, body["basis"] in BASES, "judicial.basis", where, "basis: loss or amount")
    _check(errors, body["rounding"] in ROUNDINGS, "judicial.rounding", where, "unknown rounding")
    for name in ("exact_kg", "quantity_kg"):
        _check(errors, _is_int(body[name], 1, MAX_KG), "judicial.quantity", where, name)
    _check(errors, _is_int(body["amount_fen"], 1, 1 << 53), "judicial.amount", where, "amount_fen")
    free_text(errors, where, body["judgment_ref"], "judgment_ref", MAX_REF, empty=True)
    _check(errors, valid_date(body["decided_on"]), "judicial.date", where, "decided_on")
    if errors:
        return errors
    price = body["price"]["fen_per_t"]
    if body["basis"] == "loss":
        ok = _decimal_text(body["multiple"]) and _is_int(body.get("loss_kg"), 0, MAX_KG)
        if ok:
            try:
                q = from_loss(
                    body["loss_kg"],
                    Decimal(body["multiple"]),
                    body["rounding"],
                    price,
                    body["quantity_kg"],
                )
            except ValidationError as exc:
                errors.append(_err(exc.code, where, exc.message))
                return errors
            ok = (q.exact_kg, q.quantity_kg, q.amount_fen) == (
                body["exact_kg"],
                body["quantity_kg"],
                body["amount_fen"],
            )
        _check(
            errors,
            ok,
            "judicial.arithmetic",
            where,
            "exact_kg, quantity_kg and amount_fen must follow from loss_kg, multiple and price",
        )
    else:
        q = from_amount(body["amount_fen"], body["rounding"], price)
        _check(
            errors,
            body["multiple"] == "1"
            and body["rounding"] != "ordered"
            and (q.exact_kg, q.quantity_kg) == (body["exact_kg"], body["quantity_kg"]),
            "judicial.arithmetic",
            where,
            "exact_kg and quantity_kg must follow from amount_fen and price",
        )
    return errors


def _party_problems(party: object, where: str) -> list[ValidationError]:
    if isinstance(party, dict) and party.get("type") == "person":
        ok = party.keys() == {"type", "code"} and isinstance(party["code"], str)
        ok = ok and bool(DEFENDANT_RE.fullmatch(party["code"]))
        return [] if ok else [_err("judicial.payer", where, "a person pays by vault code (D-…)")]
    if isinstance(party, dict) and party.get("type") == "organisation":
        errors = _fields(party, where, ("type", "name"))
        if not errors:
            free_text(errors, where, party["name"], "payer name", MAX_NAME)
        return errors
    return [_err("judicial.payer", where, "payer: a person (vault code) or an organisation")]


def account_problems(acct: object, where: str) -> list[ValidationError]:
    """The ecological-restoration account the forestry authority named: its holder's name,
    the bank, and the last four digits of the number."""
    if not isinstance(acct, dict):
        return [_err("judicial.restoration_account", where, "an object")]
    errors = _fields(acct, where, ("name", "bank", "last4"))
    if errors:
        return errors
    free_text(errors, where, acct["name"], "account name", MAX_NAME)
    free_text(errors, where, acct["bank"], "bank", MAX_NAME)
    _check(
        errors,
        isinstance(acct["last4"], str) and bool(_LAST4_RE.fullmatch(acct["last4"])),
        "judicial.restoration_account",
        where,
        "last4: the account number's last four digits",
    )
    return errors


def validate_purchase(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """``judicial.purchase``: units bought for the case from sellers' lots, with who paid,
    the payment reference, the restoration account, and each line's serials and yuan."""
    errors = _fields(
        body,
        where,
        (
            "case",
            "court",
            "decision_seq",
            "payer",
            "payment_ref",
            "restoration_account",
            "lines",
            "kg",
            "amount_fen",
            "paid_on",
        ),
    )
    if errors:
        return errors
    _case_ref(body, where, errors)
    _check(errors, _is_int(body["decision_seq"], 0, 1 << 53), "judicial.decision", where, "seq")
    errors.extend(_party_problems(body["payer"], where))
    free_text(errors, where, body["payment_ref"], "payment_ref", MAX_REF)
    errors.extend(account_problems(body["restoration_account"], where))
    lines = body["lines"]
    if not isinstance(lines, list) or not 1 <= len(lines) <= MAX_ITEMS:
        errors.append(_err("judicial.lines", where, "lines: 1 to 50"))
        return errors
    kg = fen = 0
    for i, line in enumerate(lines):
        w = f"{where}.lines[{i}]"
        if not isinstance(line, dict):
            errors.append(_err("judicial.lines", w, "a line must be an object"))
            continue
        found = _fields(
            line,
            w,
            (
                "transfer_seq",
                "project",
                "programme",
                "seller",
                "lot",
                "first",
                "last",
                "kg",
                "price_fen_per_t",
                "total_fen",
            ),
        )
        if found:
            errors.extend(found)
            continue
        _check(errors, _is_int(line["transfer_seq"], 0, 1 << 53), "judicial.lines", w, "seq")
        seller = parse_holder(line["seller"])
        _check(
            errors,
            seller is not None and seller.kind != "case",
            "judicial.lines",
            w,
            "seller must be a holder account (not a case)",
        )
        _check(errors, _is_int(line["kg"], 1, MAX_KG), "judicial.lines", w, "kg")
        _check(
            errors,
            _is_int(line["price_fen_per_t"], 1, MAX_PRICE_FEN_PER_T),
            "judicial.lines",
            w,
            "price",
        )
        _check(errors, _is_int(line["total_fen"], 0, 1 << 53), "judicial.lines", w, "total_fen")
        _check(
            errors,
            isinstance(line["lot"], str)
            and _is_int(line["first"], 0, 1 << 53)
            and _is_int(line["last"], 0, 1 << 53)
            and line["first"] <= line["last"],
            "judicial.lines",
            w,
            "lot, first and last: a serial range",
        )
        if not errors:
            kg += line["kg"]
            fen += line["total_fen"]
    if not errors:
        _check(errors, body["kg"] == kg, "judicial.arithmetic", where, "kg: the lines' sum")
        _check(errors, body["amount_fen"] == fen, "judicial.arithmetic", where, "amount: the sum")
    _check(errors, valid_date(body["paid_on"]), "judicial.date", where, "paid_on")
    return errors


def validate_retirement(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """``judicial.retirement``: the units bought for the case retired for it, with the
    exchange's retirement reference."""
    errors = _fields(
        body,
        where,
        ("case", "court", "purchase_seq", "retirement_ref", "kg", "retire_seqs", "retired_on"),
    )
    if errors:
        return errors
    _case_ref(body, where, errors)
    _check(errors, _is_int(body["purchase_seq"], 0, 1 << 53), "judicial.purchase", where, "seq")
    free_text(errors, where, body["retirement_ref"], "retirement_ref", MAX_REF)
    _check(errors, _is_int(body["kg"], 1, MAX_KG), "judicial.quantity", where, "kg")
    _check(
        errors,
        isinstance(body["retire_seqs"], list)
        and bool(body["retire_seqs"])
        and all(_is_int(s, 0, 1 << 53) for s in body["retire_seqs"]),
        "judicial.retirement",
        where,
        "retire_seqs: the units.retire entries",
    )
    _check(errors, valid_date(body["retired_on"]), "judicial.date", where, "retired_on")
    return errors


def validate_certified(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """``judicial.certified``: the certificate for the case file was issued."""
    errors = _fields(body, where, ("case", "court", "certificate", "entries", "certified_on"))
    if errors:
        return errors
    _case_ref(body, where, errors)
    free_text(errors, where, body["certificate"], "certificate", MAX_REF)
    _check(
        errors,
        isinstance(body["entries"], list) and all(_is_int(s, 0, 1 << 53) for s in body["entries"]),
        "judicial.entries",
        where,
        "entries: the seqs the certificate covers",
    )
    _check(errors, valid_date(body["certified_on"]), "judicial.date", where, "certified_on")
    return errors


def validate_overdue(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """``judicial.overdue``: the scheduler found the case decided ``days`` days ago and its
    units not yet retired (a flag for the court and the bureau; the state does not change)."""
    errors = _fields(body, where, ("case", "court", "state", "decided_on", "days", "flagged_on"))
    if errors:
        return errors
    _case_ref(body, where, errors)
    _check(errors, body["state"] in (DECIDED, PURCHASED), "judicial.state", where, "state")
    _check(errors, valid_date(body["decided_on"]), "judicial.date", where, "decided_on")
    _check(errors, _is_int(body["days"], 0, 100_000), "judicial.days", where, "days")
    _check(errors, valid_date(body["flagged_on"]), "judicial.date", where, "flagged_on")
    return errors


VALIDATORS = {
    METHOD: validate_method,
    CASE: validate_case,
    REPLANTING: validate_replanting,
    DOCUMENT: validate_document,
    ASSESSMENT: validate_assessment,
    DECISION: validate_decision,
    PURCHASE: validate_purchase,
    RETIREMENT: validate_retirement,
    CERTIFIED: validate_certified,
    OVERDUE: validate_overdue,
}


def parties(body: Mapping[str, Any], postings: Sequence[Any]) -> list[str]:
    """Who a case's entry concerns: its court. (Its county's bureau reads it through the
    court, which lies in its division; the sellers' villages through their postings.)"""
    court = body.get("court")
    if isinstance(court, str) and COURT_KEY_RE.fullmatch(court):
        return [court_party(court)]
    return []
