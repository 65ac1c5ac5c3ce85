"""Carbon-loss assessment for judicial carbon: methods as data, and the exact arithmetic.

An assessment *method* (:class:`Method`) is a named, versioned parameter set: one row per
species group with its basic wood density SVD, biomass expansion factor BEF, root/shoot ratio R
and carbon fraction CF, each with its source; the species the formula does not cover (毛竹,
whose loss the assessor enters); optional factors for further carbon pools (shrubs, litter,
soil…, each a share of the tree loss); how each volume type (立木蓄积 standing, 材积 timber)
enters the formula; and who approved the set and when. It travels as a JSON-able dict
(:meth:`Method.to_json`, :meth:`Method.from_json`), so the log can keep it as an entry.

The stock method, per damage item::

    V = volume × volume factor (1 for both volume types in the shipped method)
    tree loss [t CO2e] = V × SVD × BEF × (1 + R) × CF × 44/12
    item loss = tree loss × (1 + Σ pool factors)

Other inputs: an assessor's value for a species the formula does not cover
(:class:`AssessedItem`), a loss in tonnes stated by an assessment report (:class:`ReportedLoss`)
and a loss valued in yuan converted at a price per tonne (:class:`ValuedLoss`).

Every product is exact (:class:`fractions.Fraction`; 44/12 has no finite decimal). The result
(:class:`Assessment`) is the exact total rounded once, half up, to integer kg; tonnes are those
kg shown with two decimals, half up (what the ledger shows everywhere). The record keeps the
method (name, version, digest), every input and every intermediate product as an exact string
(a decimal, or ``p/q`` when it has no finite decimal), so a certificate can print the arithmetic
and anyone can redo it (:func:`verify_record`).

Pure: no database, no Flask, no clock.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Context, Decimal, Inexact, InvalidOperation, Rounded
from fractions import Fraction
from typing import Any

from ledger.core.canonical import canonical_json
from ledger.core.errors import ValidationError
from ledger.platform import N_

METHOD_FORMAT = "carbon-ledger-method/1"
RECORD_FORMAT = "carbon-ledger-assessment/1"
CO2_PER_C = Fraction(44, 12)  # molar mass of CO2 over that of C

#: Volume types: the code kept in records → the word assessors write.
VOLUME_TYPES = {"standing": "立木蓄积", "timber": "材积"}

# --- limits (each says why, in the refusal) ----------------------------------------------------

#: Largest volume of one item and of all items of one assessment, in m³.
MAX_VOLUME_M3 = Decimal(100_000)
#: Decimals of a volume: stem-volume tables give m³ to four decimals (0.0001 m³ = 100 cm³).
VOLUME_PLACES = 4
#: Largest loss in tonnes stated by an assessor or a report, per input.
MAX_LOSS_T = Decimal(500_000)
#: Tonnes are kept to the kg.
LOSS_PLACES = 3
#: Largest valued loss in yuan, and price per tonne.
MAX_AMOUNT_YUAN = Decimal(100_000_000)
MAX_PRICE_YUAN_PER_T = Decimal(10_000)
MONEY_PLACES = 2
#: Most inputs of one assessment.
MAX_INPUTS = 500

_VOLUME_WHY = (
    "100,000 m³ is the stem volume of about 1,000 ha of forest at 100 m³/ha, the size of a very "
    "large forest fire; a larger figure is almost always a unit mistake (1 m³ = 1,000 dm³)"
)
_LOSS_WHY = (
    "500,000 t is more than the loss the volume limit allows with any shipped species row; "
    "a larger figure is almost always a unit mistake (kg entered as tonnes)"
)
_AMOUNT_WHY = (
    "100,000,000 yuan is beyond any reported court valuation; a larger figure is almost "
    "always a unit mistake (fen entered as yuan)"
)
_PRICE_WHY = (
    "carbon trades in China at tens of yuan per tonne; 10,000 yuan/t is a hundred times any "
    "traded price, so a larger figure is almost always a unit mistake (per kg, not per tonne)"
)


@dataclass(frozen=True)
class NumberField:
    """A number a person enters: what it is, its decimals, its limit and why that limit."""

    code: str
    what: str
    places: int
    limit: Decimal
    why: str


VOLUME = NumberField(
    "judicial.assess.volume", "volume (m³)", VOLUME_PLACES, MAX_VOLUME_M3, _VOLUME_WHY
)
LOSS = NumberField("judicial.assess.loss", "loss (t)", LOSS_PLACES, MAX_LOSS_T, _LOSS_WHY)
AMOUNT = NumberField(
    "judicial.assess.amount", "valued loss (yuan)", MONEY_PLACES, MAX_AMOUNT_YUAN, _AMOUNT_WHY
)
PRICE = NumberField(
    "judicial.assess.price", "price (yuan/t)", MONEY_PLACES, MAX_PRICE_YUAN_PER_T, _PRICE_WHY
)

#: Messages for the refusals a person can cause (``%(name)s`` takes the error's details).
MESSAGES = {
    "judicial.assess.empty": N_("Enter at least one damage item or loss."),
    "judicial.assess.too_many": N_("An assessment takes at most %(limit)s items."),
    "judicial.assess.input": N_(
        "Each input is a damage item, an assessed value, a report or a valuation."
    ),
    "judicial.assess.species_unknown": N_(
        "The method %(method)s has no species %(species)s; it has: %(known)s."
    ),
    "judicial.assess.assessed_value": N_(
        "%(species)s is not covered by the stock formula: enter the loss the assessor found, "
        "in tonnes."
    ),
    "judicial.assess.not_assessed": N_(
        "%(species)s is computed by the method from its volume; enter its volume instead."
    ),
    "judicial.assess.volume_type": N_("Choose the volume type: 立木蓄积 or 材积."),
    "judicial.assess.volume": N_(
        "Enter the volume in m³: a number above zero with at most 4 decimals, at most "
        "100,000 m³ in all (a larger figure is almost always a unit mistake: 1 m³ = 1,000 dm³)."
    ),
    "judicial.assess.loss": N_(
        "Enter the loss in tonnes: a number above zero with at most 3 decimals, at most "
        "500,000 t (a larger figure is almost always kg entered as tonnes)."
    ),
    "judicial.assess.amount": N_(
        "Enter the valued loss in yuan: a number above zero with at most 2 decimals, at most "
        "100,000,000 yuan."
    ),
    "judicial.assess.price": N_(
        "Enter the price in yuan per tonne: a number above zero with at most 2 decimals, at "
        "most 10,000 yuan per tonne (a hundred times any traded price)."
    ),
    "judicial.assess.mixed": N_(
        "A loss stated by a report or valued in yuan stands alone: do not add damage items to it."
    ),
    "judicial.assess.text": N_(
        "The species, the report, the basis and the note are each at most 200 characters."
    ),
    "judicial.method": N_(
        "The assessment method is not valid (each problem is listed below); nothing was stored."
    ),
}


def _refuse(code: str, message: str, **details: Any) -> ValidationError:
    return ValidationError(code, message, details)


# --- exact numbers as text -----------------------------------------------------------------


def exact(value: Fraction | Decimal | int) -> str:
    """An exact number as text: a decimal when it has a finite one (``2.48532``, ``12``),
    otherwise ``p/q`` in lowest terms (``2733853/300000`` …)."""
    f = Fraction(value)
    den = f.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return f"{f.numerator}/{f.denominator}"
    places = max(twos, fives)
    scaled = f * 10**places
    assert scaled.denominator == 1
    digits = str(abs(scaled.numerator)).rjust(places + 1, "0")  # exact at any size
    sign = "-" if scaled < 0 else ""
    return sign + (digits[:-places] + "." + digits[-places:] if places else digits)


def parse_exact(text: str) -> Fraction:
    """The inverse of :func:`exact`."""
    if not isinstance(text, str) or not re.fullmatch(r"-?\d+(\.\d+)?(/\d+)?", text):
        raise ValueError(f"not an exact number: {text!r}")
    return Fraction(text)


def round_half_up(value: Fraction) -> int:
    """``value`` rounded to an integer, halves away from zero."""
    sign = -1 if value < 0 else 1
    a = abs(value)
    return sign * int((a + Fraction(1, 2)) // 1)


def approx(value: Fraction, places: int = 4) -> str:
    """``value`` rounded half up to ``places`` decimals, as plain text (for people)."""
    scaled = round_half_up(value * 10**places)
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled)).rjust(places + 1, "0")
    return sign + (digits[:-places] + "." + digits[-places:] if places else digits)


def tonnes_text(kg: int) -> str:
    """Integer kg as tonnes with two decimals, half up, no grouping: ``9113`` → ``9.11``."""
    return approx(Fraction(kg, 1000), 2)


def parse_decimal(value: Any, field: NumberField) -> Decimal:
    """A positive decimal of at most ``field.places`` decimals and at most ``field.limit``,
    from text, a Decimal or an int (never a float); a refusal (code ``field.code``) says what
    is wrong, the limit and why."""
    what = field.what

    def refuse(problem: str) -> ValidationError:
        return _refuse(
            field.code,
            f"{what}: {problem}",
            problem=problem,
            limit=str(field.limit),
            places=field.places,
        )

    if isinstance(value, bool | float):
        raise refuse("enter it as text or an exact decimal, not a binary float")
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    else:
        text = str(value if value is not None else "").strip().replace(",", "")
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
            raise refuse(f"{value!r} is not a number (write it like 12.5)")
        number = Decimal(text)
    if not number.is_finite():
        raise refuse(f"{value!r} is not a number (write it like 12.5)")
    if number <= 0:
        raise refuse(f"{number} is not above zero")
    if number > field.limit:
        raise refuse(f"{number} is above the limit of {field.limit:,}: {field.why}")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > field.places:
        raise refuse(f"{number} has more than {field.places} decimals")
    return number


def _text(value: Any, what: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    text = value.strip() if isinstance(value, str) else ""
    if (required and not text) or len(text) > 200:
        raise _refuse("judicial.assess.text", f"{what} must be 1 to 200 characters", what=what)
    return text


# --- methods --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """One parameter value and where it comes from (a methodology annex, a study, a decision)."""

    value: Decimal
    source: str

    def to_json(self) -> dict[str, str]:
        return {"value": str(self.value), "source": self.source}


@dataclass(frozen=True)
class SpeciesRow:
    """A species group of the stock formula.

    Attributes:
      name: the group as assessors write it (杉木, 其他硬阔…); inputs name it so.
      name_en: the group in English.
      svd: basic wood density, t of dry matter per m³ of stem volume.
      bef: biomass expansion factor, stem → all above-ground biomass.
      r: root/shoot ratio (below- over above-ground biomass).
      cf: carbon fraction of dry matter.
    """

    name: str
    name_en: str
    svd: Parameter
    bef: Parameter
    r: Parameter
    cf: Parameter

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "name_en": self.name_en,
            "svd": self.svd.to_json(),
            "bef": self.bef.to_json(),
            "r": self.r.to_json(),
            "cf": self.cf.to_json(),
        }


@dataclass(frozen=True)
class AssessedSpecies:
    """A species the formula does not cover (毛竹): its loss is the assessor's value; ``reason``
    says why, for the refusal and the certificate."""

    name: str
    name_en: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "name_en": self.name_en, "reason": self.reason}


@dataclass(frozen=True)
class Pool:
    """A further carbon pool (shrubs and herbs, litter, dead wood, soil) counted as a share of
    the tree loss: ``factor`` 0.12 adds 12 % of each stock item's tree loss."""

    code: str
    name: str
    factor: Decimal
    source: str

    def to_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "name": self.name,
            "factor": str(self.factor),
            "source": self.source,
        }


@dataclass(frozen=True)
class VolumeRule:
    """How a volume type enters the formula: V = volume × ``factor`` (1: as measured)."""

    type: str
    factor: Decimal
    source: str

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "factor": str(self.factor), "source": self.source}


@dataclass(frozen=True)
class Method:
    """A named, versioned assessment method.

    Attributes:
      name, version: what a case names (``AR-CM-001 defaults``, ``2022.1``).
      title: the method in words, for people.
      formula: ``stock`` (the only formula so far).
      species: the rows of the stock formula.
      assessed_only: species whose loss the assessor enters.
      pools: further pools, each a share of the tree loss (none: trees only).
      volume_types: one rule per volume type (``standing``, ``timber``).
      approved_by, approved_on: who approved the set and when (``YYYY-MM-DD``); None for
        unapproved defaults.
      notes: what the method counts and what it leaves out.
    """

    name: str
    version: str
    title: str
    formula: str
    species: tuple[SpeciesRow, ...]
    assessed_only: tuple[AssessedSpecies, ...] = ()
    pools: tuple[Pool, ...] = ()
    volume_types: tuple[VolumeRule, ...] = ()
    approved_by: str | None = None
    approved_on: str | None = None
    notes: str = ""

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"

    def row(self, species: str) -> SpeciesRow | None:
        return next((r for r in self.species if r.name == species), None)

    def assessed(self, species: str) -> AssessedSpecies | None:
        return next((a for a in self.assessed_only if a.name == species), None)

    def volume_rule(self, volume_type: str) -> VolumeRule | None:
        return next((v for v in self.volume_types if v.type == volume_type), None)

    def species_names(self) -> list[str]:
        return [r.name for r in self.species] + [a.name for a in self.assessed_only]

    def approved(self, by: str, on: str, version: str | None = None) -> Method:
        """This method approved by ``by`` on ``on`` (a new version when given)."""
        method = replace(self, approved_by=by, approved_on=on, version=version or self.version)
        return Method.from_json(method.to_json())

    def to_json(self) -> dict[str, Any]:
        """The method as a JSON-able dict (decimals as strings); :meth:`from_json` reads it."""
        return {
            "format": METHOD_FORMAT,
            "name": self.name,
            "version": self.version,
            "title": self.title,
            "formula": self.formula,
            "species": [r.to_json() for r in self.species],
            "assessed_only": [a.to_json() for a in self.assessed_only],
            "pools": [p.to_json() for p in self.pools],
            "volume_types": [v.to_json() for v in self.volume_types],
            "approved_by": self.approved_by,
            "approved_on": self.approved_on,
            "notes": self.notes,
        }

    def digest(self) -> str:
        """SHA-256 (hex) of the method's canonical JSON: names this exact parameter set."""
        return hashlib.sha256(canonical_json(self.to_json())).hexdigest()

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Method:
        """Read and check a method; every problem is listed in one refusal
        (``judicial.method``, details ``errors``)."""
        return _MethodReader(data).read()


# Plausible ranges of the parameters: a value outside is a typing mistake, not a finding.
_RANGES = {
    "svd": (Decimal("0.1"), Decimal("1.5"), "t/m³"),
    "bef": (Decimal("1"), Decimal("5"), ""),
    "r": (Decimal("0"), Decimal("2"), ""),
    "cf": (Decimal("0.3"), Decimal("0.7"), ""),
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_KEYS = {
    "format",
    "name",
    "version",
    "title",
    "formula",
    "species",
    "assessed_only",
    "pools",
    "volume_types",
    "approved_by",
    "approved_on",
    "notes",
}


class _MethodReader:
    def __init__(self, data: Mapping[str, Any]):
        self.data = data
        self.errors: list[str] = []

    def fail(self, where: str, what: str) -> None:
        self.errors.append(f"{where}: {what}")

    def text(self, obj: Mapping[str, Any], key: str, where: str, *, optional=False) -> str:
        value = obj.get(key)
        if value is None and optional:
            return ""
        if not isinstance(value, str) or not value.strip() or len(value) > 2000:
            self.fail(f"{where}.{key}", "must be text of 1 to 2,000 characters")
            return ""
        return value

    def decimal(self, value: Any, where: str, low: Decimal, high: Decimal) -> Decimal:
        if not isinstance(value, str) or not re.fullmatch(r"\d+(\.\d+)?", value):
            self.fail(where, 'must be a decimal written as text, like "0.307"')
            return Decimal(0)
        number = Decimal(value)
        if not low <= number <= high:
            self.fail(where, f"{value} is outside the plausible range {low}–{high}")
        return number

    def parameter(self, obj: Any, where: str, name: str) -> Parameter:
        low, high, _unit = _RANGES[name]
        if not isinstance(obj, Mapping):
            self.fail(where, 'must be {"value", "source"}')
            return Parameter(Decimal(0), "")
        value = self.decimal(obj.get("value"), f"{where}.value", low, high)
        source = self.text(obj, "source", where)
        return Parameter(value, source)

    def items(self, key: str) -> list[Any]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            self.fail(key, "must be a list")
            return []
        return value

    def read(self) -> Method:
        data = self.data
        if not isinstance(data, Mapping):
            raise ValidationError(
                "judicial.method", "the method must be a JSON object", {"errors": ["not an object"]}
            )
        if data.get("format", METHOD_FORMAT) != METHOD_FORMAT:
            self.fail("format", f"must be {METHOD_FORMAT}")
        for extra in sorted(set(data) - _KEYS):
            self.fail(extra, "is not a member of a method")
        name = self.text(data, "name", "$")
        version = self.text(data, "version", "$")
        if len(name) > 100 or len(version) > 40 or "@" in name:
            self.fail("name", "at most 100 characters without '@'; a version at most 40")
        title = self.text(data, "title", "$")
        formula = data.get("formula")
        if formula != "stock":
            self.fail("formula", 'must be "stock"')
        species: list[SpeciesRow] = []
        for i, row in enumerate(self.items("species")):
            where = f"species[{i}]"
            if not isinstance(row, Mapping):
                self.fail(where, "must be an object")
                continue
            species.append(
                SpeciesRow(
                    name=self.text(row, "name", where),
                    name_en=self.text(row, "name_en", where, optional=True),
                    svd=self.parameter(row.get("svd"), f"{where}.svd", "svd"),
                    bef=self.parameter(row.get("bef"), f"{where}.bef", "bef"),
                    r=self.parameter(row.get("r"), f"{where}.r", "r"),
                    cf=self.parameter(row.get("cf"), f"{where}.cf", "cf"),
                )
            )
        if not species:
            self.fail("species", "a method needs at least one species row")
        assessed: list[AssessedSpecies] = []
        for i, row in enumerate(self.items("assessed_only")):
            where = f"assessed_only[{i}]"
            if not isinstance(row, Mapping):
                self.fail(where, "must be an object")
                continue
            assessed.append(
                AssessedSpecies(
                    self.text(row, "name", where),
                    self.text(row, "name_en", where, optional=True),
                    self.text(row, "reason", where),
                )
            )
        names = [r.name for r in species] + [a.name for a in assessed]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            self.fail("species", f"{dup} is named twice")
        pools: list[Pool] = []
        for i, row in enumerate(self.items("pools")):
            where = f"pools[{i}]"
            if not isinstance(row, Mapping):
                self.fail(where, "must be an object")
                continue
            code = self.text(row, "code", where)
            if code and not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", code):
                self.fail(f"{where}.code", "must be lower-case letters, digits and _")
            pools.append(
                Pool(
                    code,
                    self.text(row, "name", where),
                    self.decimal(row.get("factor"), f"{where}.factor", Decimal(0), Decimal(5)),
                    self.text(row, "source", where),
                )
            )
        codes = [p.code for p in pools]
        for dup in sorted({c for c in codes if codes.count(c) > 1}):
            self.fail("pools", f"{dup} is named twice")
        rules: list[VolumeRule] = []
        for i, row in enumerate(self.items("volume_types")):
            where = f"volume_types[{i}]"
            if not isinstance(row, Mapping):
                self.fail(where, "must be an object")
                continue
            kind = row.get("type")
            if kind not in VOLUME_TYPES:
                self.fail(f"{where}.type", 'must be "standing" or "timber"')
            rules.append(
                VolumeRule(
                    kind if isinstance(kind, str) else "",
                    self.decimal(row.get("factor"), f"{where}.factor", Decimal("0.1"), Decimal(10)),
                    self.text(row, "source", where),
                )
            )
        kinds = [r.type for r in rules]
        if sorted(kinds) != sorted(VOLUME_TYPES):
            self.fail("volume_types", "must give one rule for each of standing and timber")
        approved_by = data.get("approved_by")
        approved_on = data.get("approved_on")
        if (approved_by is None) != (approved_on is None):
            self.fail("approved_by", "give both who approved the method and when, or neither")
        if approved_by is not None and (
            not isinstance(approved_by, str) or not approved_by.strip() or len(approved_by) > 200
        ):
            self.fail("approved_by", "must be text of 1 to 200 characters")
        if approved_on is not None and (
            not isinstance(approved_on, str) or not _DATE.fullmatch(approved_on)
        ):
            self.fail("approved_on", "must be a date YYYY-MM-DD")
        notes = data.get("notes", "")
        if not isinstance(notes, str) or len(notes) > 4000:
            self.fail("notes", "must be text of at most 4,000 characters")
        if self.errors:
            raise ValidationError(
                "judicial.method",
                "the assessment method is not valid: " + "; ".join(self.errors),
                {"errors": "; ".join(self.errors)},
            )
        return Method(
            name=name,
            version=version,
            title=title,
            formula="stock",
            species=tuple(species),
            assessed_only=tuple(assessed),
            pools=tuple(pools),
            volume_types=tuple(sorted(rules, key=lambda r: list(VOLUME_TYPES).index(r.type))),
            approved_by=approved_by,
            approved_on=approved_on,
            notes=notes,
        )


# --- inputs ---------------------------------------------------------------------------------


def volume_type_code(text: str) -> str:
    """``standing``/``timber`` from the code or the Chinese word (立木蓄积, 材积)."""
    value = text.strip() if isinstance(text, str) else ""
    for code, word in VOLUME_TYPES.items():
        if value in (code, word):
            return code
    raise _refuse(
        "judicial.assess.volume_type",
        f"unknown volume type {text!r}: use 立木蓄积 (standing volume) or 材积 (timber volume)",
        given=str(text),
    )


@dataclass(frozen=True)
class StockItem:
    """A damage item for the stock formula: ``volume_m3`` of ``species``, measured as
    ``volume_type`` (``standing`` 立木蓄积 or ``timber`` 材积)."""

    species: str
    volume_m3: Decimal
    volume_type: str

    @staticmethod
    def of(species: str, volume: Any, volume_type: str) -> StockItem:
        """Checked construction from text (the CLI, forms, JSON)."""
        return StockItem(
            _text(species, "species"),
            parse_decimal(volume, VOLUME),
            volume_type_code(volume_type),
        )

    def to_json(self) -> dict[str, str]:
        return {
            "type": "stock",
            "species": self.species,
            "volume_m3": str(self.volume_m3),
            "volume_type": self.volume_type,
        }


@dataclass(frozen=True)
class AssessedItem:
    """The assessor's value for a species the formula does not cover (毛竹): ``loss_t`` tonnes
    CO2e, with ``note`` saying how it was found (the appraisal, culms counted…)."""

    species: str
    loss_t: Decimal
    note: str = ""

    @staticmethod
    def of(species: str, loss_t: Any, note: str = "") -> AssessedItem:
        return AssessedItem(
            _text(species, "species"),
            parse_decimal(loss_t, LOSS),
            _text(note, "note", required=False),
        )

    def to_json(self) -> dict[str, str]:
        return {
            "type": "assessed",
            "species": self.species,
            "loss_t": str(self.loss_t),
            "note": self.note,
        }


@dataclass(frozen=True)
class ReportedLoss:
    """A loss stated directly, in tonnes CO2e, by an assessment report (``report``: its
    number or title)."""

    loss_t: Decimal
    report: str

    @staticmethod
    def of(loss_t: Any, report: str) -> ReportedLoss:
        return ReportedLoss(
            parse_decimal(loss_t, LOSS),
            _text(report, "report"),
        )

    def to_json(self) -> dict[str, str]:
        return {"type": "report", "loss_t": str(self.loss_t), "report": self.report}


@dataclass(frozen=True)
class ValuedLoss:
    """A loss valued in yuan (ecosystem services, area burnt), converted to tonnes at
    ``price_yuan_per_t``; ``basis`` says where the valuation and the price come from."""

    amount_yuan: Decimal
    price_yuan_per_t: Decimal
    basis: str

    @staticmethod
    def of(amount_yuan: Any, price_yuan_per_t: Any, basis: str) -> ValuedLoss:
        return ValuedLoss(
            parse_decimal(amount_yuan, AMOUNT),
            parse_decimal(price_yuan_per_t, PRICE),
            _text(basis, "basis"),
        )

    def to_json(self) -> dict[str, str]:
        return {
            "type": "valued",
            "amount_yuan": str(self.amount_yuan),
            "price_yuan_per_t": str(self.price_yuan_per_t),
            "basis": self.basis,
        }


Input = StockItem | AssessedItem | ReportedLoss | ValuedLoss


def input_from_json(data: Mapping[str, Any]) -> Input:
    """An input from its JSON form (``to_json``), checked as from a form."""
    if not isinstance(data, Mapping):
        raise _refuse("judicial.assess.input", "an input must be an object")
    kind = data.get("type")
    if kind == "stock":
        return StockItem.of(data.get("species"), data.get("volume_m3"), data.get("volume_type"))
    if kind == "assessed":
        return AssessedItem.of(data.get("species"), data.get("loss_t"), data.get("note") or "")
    if kind == "report":
        return ReportedLoss.of(data.get("loss_t"), data.get("report"))
    if kind == "valued":
        return ValuedLoss.of(
            data.get("amount_yuan"), data.get("price_yuan_per_t"), data.get("basis")
        )
    raise _refuse(
        "judicial.assess.input", f"unknown input type {kind!r}: stock, assessed, report or valued"
    )


# --- the arithmetic -----------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """The arithmetic of one input: ``values`` (name → exact text) in the order computed, and
    ``loss`` its exact loss in tonnes CO2e."""

    index: int
    type: str
    values: tuple[tuple[str, str], ...]
    loss: Fraction
    pools: tuple[dict[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"input": self.index, "type": self.type, **dict(self.values)}
        if self.pools:
            data["pools"] = [dict(p) for p in self.pools]
        data["loss_t_exact"] = exact(self.loss)
        return data


@dataclass(frozen=True)
class Assessment:
    """The outcome of :func:`assess`.

    Attributes:
      method: ``{"name", "version", "digest", "title", "approved_by", "approved_on"}``.
      inputs: the inputs as JSON.
      steps: each input's arithmetic (:class:`Step` as JSON: every product as exact text).
      total: the exact total loss in tonnes CO2e.
      loss_kg: the total rounded half up to integer kg.
    """

    method: dict[str, Any]
    inputs: tuple[dict[str, str], ...]
    steps: tuple[dict[str, Any], ...]
    total: Fraction
    loss_kg: int

    @property
    def loss_t(self) -> str:
        """The loss in tonnes: the kg with two decimals, half up (``9.11``)."""
        return tonnes_text(self.loss_kg)

    def to_json(self) -> dict[str, Any]:
        """The full record, JSON-able (every number exact text or an integer)."""
        return {
            "format": RECORD_FORMAT,
            "method": dict(self.method),
            "inputs": [dict(i) for i in self.inputs],
            "steps": [dict(s) for s in self.steps],
            "total_t_exact": exact(self.total),
            "loss_kg": self.loss_kg,
            "loss_t": self.loss_t,
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Assessment:
        """A record read back (e.g. from a log entry); :func:`verify_record` checks it."""
        problems = verify_record(data)
        if problems:
            raise ValidationError(
                "judicial.assessment_record",
                "the assessment record does not add up: " + "; ".join(problems),
                {"errors": problems},
            )
        return Assessment(
            method=dict(data["method"]),
            inputs=tuple(dict(i) for i in data["inputs"]),
            steps=tuple(dict(s) for s in data["steps"]),
            total=parse_exact(data["total_t_exact"]),
            loss_kg=data["loss_kg"],
        )

    def arithmetic_lines(self) -> list[str]:
        """The arithmetic in Chinese, one line per input and one for the total."""
        return arithmetic_lines(self.to_json())


#: Decimal arithmetic that refuses to round: products of decimals are exact (a result that
#: would need more digits raises instead of rounding).
_EXACT = Context(prec=2000, Emax=10_000, Emin=-10_000, traps=[Inexact, Rounded, InvalidOperation])
_DECIMAL_TEXT = re.compile(r"-?\d+(\.\d+)?")


def _chain(
    volume: Decimal, factor: Decimal, svd: Decimal, bef: Decimal, r: Decimal, cf: Decimal
) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
    """V, V × SVD, × BEF, × (1 + R), × CF: exact decimal products (the step to CO2, × 44/12,
    has no finite decimal and is taken as a fraction)."""
    mul = _EXACT.multiply
    v = mul(volume, factor)
    dry = mul(v, svd)
    above = mul(dry, bef)
    whole = mul(above, _EXACT.add(1, r))
    return v, dry, above, whole, mul(whole, cf)


def _text_of(value: Decimal) -> str:
    """An exact decimal as plain text without trailing zeros: ``3.070`` → ``3.07``."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _decimal(step: Mapping[str, Any], key: str) -> Decimal:
    text = step[key]
    if not isinstance(text, str) or not _DECIMAL_TEXT.fullmatch(text):
        raise ValueError(f"{key} is not a decimal: {text!r}")
    return Decimal(text)


def _stock_step(method: Method, index: int, item: StockItem) -> Step:
    row = method.row(item.species)
    if row is None:
        if method.assessed(item.species) is not None:
            raise _refuse(
                "judicial.assess.assessed_value",
                f"{item.species} is not covered by the stock formula "
                f"({method.assessed(item.species).reason}); enter the loss the assessor found, "
                "in tonnes",
                species=item.species,
            )
        raise _species_unknown(method, item.species)
    rule = method.volume_rule(item.volume_type)
    assert rule is not None  # a checked method has both rules
    v, dry, above, whole, carbon = _chain(
        item.volume_m3, rule.factor, row.svd.value, row.bef.value, row.r.value, row.cf.value
    )
    co2 = Fraction(carbon) * CO2_PER_C
    values: list[tuple[str, str]] = [
        ("species", row.name),
        ("volume_type", item.volume_type),
        ("volume_m3", str(item.volume_m3)),
        ("volume_factor", str(rule.factor)),
        ("v_m3", _text_of(v)),
        ("svd", str(row.svd.value)),
        ("bef", str(row.bef.value)),
        ("r", str(row.r.value)),
        ("cf", str(row.cf.value)),
        ("stem_biomass_t", _text_of(dry)),  # V × SVD
        ("above_ground_t", _text_of(above)),  # × BEF
        ("tree_biomass_t", _text_of(whole)),  # × (1 + R)
        ("carbon_t", _text_of(carbon)),  # × CF
        ("tree_co2_t", exact(co2)),  # × 44/12
    ]
    loss = co2
    pool_values = []
    for pool in method.pools:
        extra = co2 * Fraction(pool.factor)
        pool_values.append(
            {"code": pool.code, "name": pool.name, "factor": str(pool.factor), "t": exact(extra)}
        )
        loss += extra
    return Step(index, "stock", tuple(values), loss, tuple(pool_values))


def _species_unknown(method: Method, species: str) -> ValidationError:
    known = "、".join(method.species_names())
    return _refuse(
        "judicial.assess.species_unknown",
        f"the method {method.name} {method.version} has no species {species!r}; it has: {known}",
        method=f"{method.name} {method.version}",
        species=species,
        known=known,
    )


def assess(method: Method, inputs: Sequence[Input]) -> Assessment:
    """The loss of ``inputs`` under ``method``: the exact sum of each input's loss, rounded
    half up to integer kg. Refuses (``ValidationError``, nothing partial) an empty list, an
    unknown species, a volume for a species the formula does not cover (毛竹), an assessor's
    value for a species it does, a report or a valuation mixed with other inputs, and a total
    volume above :data:`MAX_VOLUME_M3`."""
    inputs = list(inputs)
    if not inputs:
        raise _refuse("judicial.assess.empty", "enter at least one damage item or loss")
    if len(inputs) > MAX_INPUTS:
        raise _refuse(
            "judicial.assess.too_many",
            f"an assessment takes at most {MAX_INPUTS} items (got {len(inputs)})",
            limit=MAX_INPUTS,
        )
    standalone = [i for i in inputs if isinstance(i, ReportedLoss | ValuedLoss)]
    if standalone and len(inputs) > 1:
        raise _refuse(
            "judicial.assess.mixed",
            "a loss stated by a report or valued in yuan stands alone: it already covers the "
            "damage, so adding other items would count it twice",
        )
    total_volume = sum((i.volume_m3 for i in inputs if isinstance(i, StockItem)), start=Decimal(0))
    if total_volume > MAX_VOLUME_M3:
        problem = (
            f"the items add up to {total_volume} m³, above the limit of {MAX_VOLUME_M3:,} m³ "
            f"for one assessment: {_VOLUME_WHY}"
        )
        raise _refuse(
            VOLUME.code,
            f"{VOLUME.what}: {problem}",
            problem=problem,
            limit=str(MAX_VOLUME_M3),
            places=VOLUME_PLACES,
        )
    steps: list[Step] = []
    for index, item in enumerate(inputs):
        if isinstance(item, StockItem):
            steps.append(_stock_step(method, index, item))
        elif isinstance(item, AssessedItem):
            if method.assessed(item.species) is None:
                if method.row(item.species) is None:
                    raise _species_unknown(method, item.species)
                raise _refuse(
                    "judicial.assess.not_assessed",
                    f"{item.species} is computed by the method from its volume; "
                    "enter its volume instead",
                    species=item.species,
                )
            loss = Fraction(item.loss_t)
            steps.append(
                Step(
                    index,
                    "assessed",
                    (("species", item.species), ("loss_t", str(item.loss_t)), ("note", item.note)),
                    loss,
                )
            )
        elif isinstance(item, ReportedLoss):
            steps.append(
                Step(
                    index,
                    "report",
                    (("loss_t", str(item.loss_t)), ("report", item.report)),
                    Fraction(item.loss_t),
                )
            )
        elif isinstance(item, ValuedLoss):
            loss = Fraction(item.amount_yuan) / Fraction(item.price_yuan_per_t)
            steps.append(
                Step(
                    index,
                    "valued",
                    (
                        ("amount_yuan", str(item.amount_yuan)),
                        ("price_yuan_per_t", str(item.price_yuan_per_t)),
                        ("basis", item.basis),
                    ),
                    loss,
                )
            )
        else:  # pragma: no cover - the type says it
            raise TypeError(f"not an assessment input: {item!r}")
    total = sum((s.loss for s in steps), start=Fraction(0))
    return Assessment(
        method={
            "name": method.name,
            "version": method.version,
            "digest": method.digest(),
            "title": method.title,
            "approved_by": method.approved_by,
            "approved_on": method.approved_on,
        },
        inputs=tuple(i.to_json() for i in inputs),
        steps=tuple(s.to_json() for s in steps),
        total=total,
        loss_kg=round_half_up(total * 1000),
    )


# --- reading a record back ------------------------------------------------------------------


def _f(step: Mapping[str, Any], key: str) -> Fraction:
    return parse_exact(step[key])


def _redo_step(step: Mapping[str, Any]) -> Fraction:
    """An input's loss redone from the values its step records; raises on a mismatch."""
    kind = step["type"]
    if kind == "stock":
        v, dry, above, whole, carbon = _chain(
            *(_decimal(step, k) for k in ("volume_m3", "volume_factor", "svd", "bef", "r", "cf"))
        )
        for key, value in (
            ("v_m3", v),
            ("stem_biomass_t", dry),
            ("above_ground_t", above),
            ("tree_biomass_t", whole),
            ("carbon_t", carbon),
        ):
            if _decimal(step, key) != value:
                raise ValueError(f"input {step['input']}: {key} is {step[key]}, not {value}")
        co2 = Fraction(carbon) * CO2_PER_C
        if _f(step, "tree_co2_t") != co2:
            raise ValueError(f"input {step['input']}: tree_co2_t is not {exact(co2)}")
        loss = co2
        for pool in step.get("pools", []):
            extra = co2 * parse_exact(pool["factor"])
            if parse_exact(pool["t"]) != extra:
                raise ValueError(f"input {step['input']}: pool {pool['code']} does not add up")
            loss += extra
        return loss
    if kind in ("assessed", "report"):
        return _f(step, "loss_t")
    if kind == "valued":
        return _f(step, "amount_yuan") / _f(step, "price_yuan_per_t")
    raise ValueError(f"unknown step type {kind!r}")


def verify_record(data: Mapping[str, Any]) -> list[str]:
    """Problems with an assessment record (empty when it adds up): every product redone from
    the values the record itself states, the total, the kg and the tonnes."""
    try:
        if data.get("format") != RECORD_FORMAT:
            return [f"format is not {RECORD_FORMAT}"]
        steps = data["steps"]
        inputs = data["inputs"]
        if not isinstance(steps, list) or not steps or len(steps) != len(inputs):
            return ["one step per input is needed"]
        total = Fraction(0)
        for n, step in enumerate(steps):
            if step.get("input") != n:
                return [f"step {n} names input {step.get('input')}"]
            loss = _redo_step(step)
            if _f(step, "loss_t_exact") != loss:
                return [f"input {n}: loss is {step['loss_t_exact']}, not {exact(loss)}"]
            total += loss
        if parse_exact(data["total_t_exact"]) != total:
            return [f"the total is {data['total_t_exact']}, not {exact(total)}"]
        kg = round_half_up(total * 1000)
        if data["loss_kg"] != kg or type(data["loss_kg"]) is not int:
            return [f"loss_kg is {data['loss_kg']}, not {kg}"]
        if data["loss_t"] != tonnes_text(kg):
            return [f"loss_t is {data['loss_t']}, not {tonnes_text(kg)}"]
    except (
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        ZeroDivisionError,
        ArithmeticError,
    ) as exc:
        return [f"malformed record: {exc}"]
    return []


# --- the arithmetic in words ------------------------------------------------------------------


def _short(text: str, places: int) -> bool:
    return "/" not in text and ("." not in text or len(text.split(".")[1]) <= places)


def _show(text: str, places: int = 4) -> str:
    """An exact value for people: as it is when short, else rounded to ``places`` decimals."""
    return text if _short(text, places) else approx(parse_exact(text), places)


def _eq(text: str, places: int = 4) -> str:
    """``= value`` when the value is shown exactly, ``≈ value`` when rounded."""
    return ("= " if _short(text, places) else "≈ ") + _show(text, places)


def arithmetic_lines(record: Mapping[str, Any]) -> list[str]:
    """The arithmetic of a record in Chinese, one line per input, then the total:

    ``1. 桉树 立木蓄积 5.311 m³ × 0.578 × 1.263 × (1 + 0.221) × 0.525 × 44/12 ≈ 9.1128 t``
    """
    lines = []
    for step in record["steps"]:
        n = step["input"] + 1
        kind = step["type"]
        if kind == "stock":
            volume = f"{step['volume_m3']} m³"
            if parse_exact(step["volume_factor"]) != 1:
                volume = f"({volume} × {step['volume_factor']})"
            line = (
                f"{n}. {step['species']} {VOLUME_TYPES[step['volume_type']]} {volume}"
                f" × {step['svd']} × {step['bef']} × (1 + {step['r']}) × {step['cf']} × 44/12"
                f" {_eq(step['tree_co2_t'])} t"
            )
            for pool in step.get("pools", []):
                tree, extra = _show(step["tree_co2_t"]), _eq(pool["t"])
                line += f"；{pool['name']} {tree} t × {pool['factor']} {extra} t"
            if step.get("pools"):
                line += f"；小计 {_show(step['loss_t_exact'])} t"
        elif kind == "assessed":
            line = f"{n}. {step['species']} 鉴定损失量 {step['loss_t']} t"
            if step.get("note"):
                line += f"（{step['note']}）"
        elif kind == "report":
            line = f"{n}. 鉴定报告（{step['report']}）所载损失量 {step['loss_t']} t"
        else:
            line = (
                f"{n}. 价值损失 {step['amount_yuan']} 元 ÷ {step['price_yuan_per_t']} 元/t"
                f" {_eq(step['loss_t_exact'])} t（{step['basis']}）"
            )
        lines.append(line)
    lines.append(
        f"合计 {_eq(record['total_t_exact'], 6).removeprefix('= ')} t，"
        f"四舍五入至千克：{record['loss_kg']} kg"
        f"（{record['loss_t']} 吨）"
    )
    return lines


def product_line(step: Mapping[str, Any]) -> str | None:
    """The intermediate products of a stock step, in Chinese (None for other steps), each
    exact when short, else rounded to four decimals (``≈``)::

        树干生物量 V×SVD = 3.07 t → 地上生物量 ×BEF ≈ 5.0164 t → 全株生物量 ×(1+R) ≈ 6.2504 t
        → 碳 ×CF ≈ 3.2502 t → 二氧化碳当量 ×44/12 ≈ 11.9174 t
    """
    if step["type"] != "stock":
        return None
    return (
        f"树干生物量 V×SVD {_eq(step['stem_biomass_t'])} t → 地上生物量 ×BEF "
        f"{_eq(step['above_ground_t'])} t → 全株生物量 ×(1+R) {_eq(step['tree_biomass_t'])} t → "
        f"碳 ×CF {_eq(step['carbon_t'])} t → 二氧化碳当量 ×44/12 {_eq(step['tree_co2_t'])} t"
    )


def species_rows(method: Method) -> Iterable[tuple[str, str, str, str, str]]:
    """The method's table as text rows (species, SVD, BEF, R, CF)."""
    for r in method.species:
        yield r.name, str(r.svd.value), str(r.bef.value), str(r.r.value), str(r.cf.value)
