"""Carbon units as pure records and rules: programmes, uses, holder accounts, serial ranges and
their interval arithmetic, sale arithmetic, and the bodies of the ``units.*`` entry kinds.
No I/O.

Quantities are integers: carbon in kg CO2e, money in fen, prices in fen per tonne. A *lot* is
one issuance: a contiguous range of integer serials ``first..last`` of ``unit_kg`` each, shown
as ``serial_prefix`` followed by the number zero-padded to ``serial_digits``
(``0000001-00001``). An operation names the serials it concerns as ``[lot, first, last]``
triples. Who holds each serial is a *piece*: a range of one lot with its holder, state
(``held``, ``pledged``, ``retired``), pledgee, and the entry that put it there.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as NumberError

from ledger.accounts.model import VILLAGE_CODE_RE
from ledger.core.canonical import MAX_SAFE_INTEGER
from ledger.core.errors import ValidationError
from ledger.core.personal import check_free_text
from ledger.platform import N_
from ledger.platform.facts import Account, Amount, Fact, Moment, Term
from ledger.vault.model import CODE_ALPHABET, CODE_CHARS

# --- programmes and uses ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Programme:
    """A crediting programme.

    Attributes:
      key: stored in entries (``carbon_ticket``).
      account: its ASCII component in account names (``CarbonTicket``).
      label: what people call it, English marked for translation.
      unit_kg: the usual unit size of its lots (1 t; 10 kg for one-yuan carbon).
    """

    key: str
    account: str
    label: str
    unit_kg: int


PROGRAMMES: dict[str, Programme] = {
    p.key: p
    for p in (
        Programme("carbon_ticket", "CarbonTicket", N_("Forestry carbon ticket"), 1000),
        Programme("one_yuan", "OneYuan", N_("One-yuan carbon"), 10),
        Programme("ffcer", "FFCER", N_("FFCER"), 1000),
        Programme("ccer", "CCER", N_("CCER"), 1000),
        Programme("vcs", "VCS", N_("Verra VCS"), 1000),
        Programme("gs", "GS", N_("Gold Standard"), 1000),
        Programme("other", "Other", N_("Other registry"), 1000),
    )
}

#: Registries and exchanges a project's identifier may belong to: the key is the name the
#: project's ``registry_ids`` uses and that registry reconciliation looks lots up by
#: (``verra``, ``gs``, ``car``, ``acr``, or a column mapping's registry such as ``haixia``).
REGISTRIES: dict[str, str] = {
    "verra": N_("Verra"),
    "gs": N_("Gold Standard"),
    "car": N_("Climate Action Reserve"),
    "acr": N_("American Carbon Registry"),
    "ccer": N_("National CCER registry"),
    "haixia": N_("Haixia Equity Exchange"),
}

#: The uses a buyer may declare, and what they mean.
USES: dict[str, str] = {
    "compliance_offset": N_("Compliance offset"),
    "event_neutrality": N_("Event carbon neutrality"),
    "esg": N_("Corporate social responsibility"),
    "judicial": N_("Judicial carbon"),
    "personal": N_("Personal carbon neutrality"),
    "other": N_("Other use"),
}
#: Uses that are claims on the carbon: the units are retired for the buyer, never held.
RETIRING_USES = frozenset({"compliance_offset", "event_neutrality", "judicial", "personal"})

#: One-yuan carbon: 1 yuan buys 10 kg, i.e. 100 yuan (10,000 fen) per tonne.
ONE_YUAN_KG_PER_YUAN = 10
ONE_YUAN_PRICE_FEN_PER_T = 10_000

# --- holder accounts ------------------------------------------------------------------------

VILLAGE, HOUSEHOLD, COMPANY, FARM, CASE = "village", "household", "company", "farm", "case"
HOLDER_KINDS = (VILLAGE, HOUSEHOLD, COMPANY, FARM, CASE)
#: Holders that own forests and so may own a project and receive sale revenue.
OWNER_KINDS = (VILLAGE, HOUSEHOLD, FARM, COMPANY)

_HOUSEHOLD_CODE = rf"H-[{CODE_ALPHABET}]{{{CODE_CHARS}}}"
BUYER_CODE_RE = re.compile(rf"B-[{CODE_ALPHABET}]{{{CODE_CHARS}}}")
USCC_RE = re.compile(r"[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}")
FARM_CODE_RE = re.compile(r"[A-Z0-9][A-Z0-9-]{1,31}")
CASE_KEY_RE = re.compile(r"[A-Z0-9][A-Za-z0-9-]{0,39}")
PLEDGED = ":Pledged"
_HOLDER_RES = (
    (VILLAGE, re.compile(r"Assets:Village:(\d{12}):Collective")),
    (HOUSEHOLD, re.compile(rf"Assets:Village:(\d{{12}}):Household:({_HOUSEHOLD_CODE})")),
    (COMPANY, re.compile(r"Assets:Company:([0-9A-Z]{18})")),
    (FARM, re.compile(r"Assets:ForestFarm:([A-Z0-9][A-Z0-9-]{1,31})")),
    (CASE, re.compile(r"Assets:Court:(\d{2,6}):Case:([A-Z0-9][A-Za-z0-9-]{0,39})")),
)


@dataclass(frozen=True, slots=True)
class Holder:
    """Who an account of a holding belongs to.

    Attributes:
      kind: ``village`` (a village collective), ``household``, ``company``, ``farm`` (a
        state forest farm) or ``case`` (a court case).
      code: the village's 12 digits, the household's pseudonymous code, the company's USCC,
        the farm's code, or the case key.
      village: the village a collective or household belongs to (else None).
      court: the court key of a case (``350428``), else None.
    """

    kind: str
    code: str
    village: str | None = None
    court: str | None = None

    @property
    def account(self) -> str:
        return holder_account(self)


def holder_account(h: Holder) -> str:
    """The CO2E (and CNY) asset account of a holder."""
    if h.kind == VILLAGE:
        return f"Assets:Village:{h.code}:Collective"
    if h.kind == HOUSEHOLD:
        return f"Assets:Village:{h.village}:Household:{h.code}"
    if h.kind == COMPANY:
        return f"Assets:Company:{h.code}"
    if h.kind == FARM:
        return f"Assets:ForestFarm:{h.code}"
    return f"Assets:Court:{h.court}:Case:{h.code}"


def parse_holder(account: object) -> Holder | None:
    """The holder of a holding account, or None when ``account`` is not one (a pledged
    sub-account is not a holder: see :func:`pledged_account`)."""
    if not isinstance(account, str) or len(account) > 120:
        return None
    return _parse_holder(account)


@functools.lru_cache(maxsize=4096)
def _parse_holder(account: str) -> Holder | None:
    for kind, pattern in _HOLDER_RES:
        m = pattern.fullmatch(account)
        if m is None:
            continue
        if kind == VILLAGE:
            return Holder(kind, m[1], village=m[1]) if VILLAGE_CODE_RE.match(m[1]) else None
        if kind == HOUSEHOLD:
            return Holder(kind, m[2], village=m[1]) if VILLAGE_CODE_RE.match(m[1]) else None
        if kind == COMPANY:
            return Holder(kind, m[1]) if valid_uscc(m[1]) else None
        if kind == FARM:
            return Holder(kind, m[1])
        return Holder(kind, m[2], court=m[1])
    return None


def village_account(code: str) -> str:
    return f"Assets:Village:{code}:Collective"


def pledged_account(holder: str) -> str:
    """Where a holder's pledged units sit: its own sub-account ``…:Pledged`` (the pledgee
    bank gains no ownership; it is named in the pledge)."""
    return holder + PLEDGED


@functools.lru_cache(maxsize=4096)
def income_account(holder: str) -> str:
    """The income account a holder's carbon sales are balanced against:
    ``Assets:Village:X:Collective`` → ``Income:Village:X:CarbonSales``, otherwise
    ``Income:<the holder's path>:CarbonSales``."""
    h = parse_holder(holder)
    if h is not None and h.kind == VILLAGE:
        return f"Income:Village:{h.code}:CarbonSales"
    return "Income:" + holder.removeprefix("Assets:") + ":CarbonSales"


def issued_account(programme: str) -> str:
    """The programme's issuance source (its balance is minus everything issued)."""
    return f"Equity:Issued:{PROGRAMMES[programme].account}"


@functools.lru_cache(maxsize=64)
def retired_account(programme: str) -> str:
    """The programme's retirement sink (its balance is everything retired)."""
    return f"Expenses:Retired:{PROGRAMMES[programme].account}"


def valid_uscc(code: object) -> bool:
    """Whether ``code`` is a unified social credit code (18 characters, check character
    right), as python-stdnum checks it; only the compact upper-case form is accepted."""
    if not isinstance(code, str) or not USCC_RE.fullmatch(code):
        return False
    try:
        stdnum_uscc.validate(code)
    except NumberError:
        return False
    return True


def normalise_uscc(text: object) -> str:
    """A USCC typed by a person (spaces, lower case allowed) in its stored form. Raises
    ValidationError when it is not one."""
    code = re.sub(r"[\s-]", "", str(text or "")).upper()
    if not valid_uscc(code):
        raise ValidationError(
            "units.uscc",
            f"{text!r} is not a valid unified social credit code (18 characters, check "
            "character last)",
            {"uscc": str(text or "")[:40]},
        )
    return code


# --- dates and times ------------------------------------------------------------------------

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_UTC_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def valid_date(value: object) -> bool:
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def valid_utc(value: object) -> bool:
    """``YYYY-MM-DDTHH:MM:SSZ``, a real time."""
    if not isinstance(value, str) or not _UTC_RE.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value[:-1])
    except ValueError:
        return False
    return True


def beijing_date(utc: str) -> str:
    """The Beijing calendar date of a UTC time ``YYYY-MM-DDTHH:MM:SSZ`` (UTC+8 all year:
    from 16:00 UTC it is the next day)."""
    return _beijing_date(utc[:10], utc[11:13] >= "16")


@functools.lru_cache(maxsize=4096)
def _beijing_date(day: str, next_day: bool) -> str:
    """``day`` (a date, else ValueError), or the day after it."""
    first = date.fromisoformat(day)
    return (first + timedelta(days=1)).isoformat() if next_day else day


# --- serial ranges --------------------------------------------------------------------------

LOT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
PROJECT_RE = re.compile(r"[A-Z0-9][A-Z0-9-]{1,31}")
MAX_SERIAL = MAX_SAFE_INTEGER
MAX_PREFIX = 40

#: ``(lot, first, last)``: serials ``first..last`` of a lot, both included.
Serials = tuple[str, int, int]


def count(first: int, last: int) -> int:
    return last - first + 1


def format_serial(prefix: str, digits: int, n: int) -> str:
    """``("0000001-", 5, 42)`` → ``0000001-00042``."""
    return f"{prefix}{n:0{digits}d}"


def format_range(prefix: str, digits: int, first: int, last: int) -> str:
    """A range as people write it: ``0000001-00001–0000001-02723`` (one serial alone)."""
    if first == last:
        return format_serial(prefix, digits, first)
    return f"{format_serial(prefix, digits, first)}–{format_serial(prefix, digits, last)}"


def check_serials(value: object, where: str) -> list[ValidationError]:
    """``serials``: a non-empty list of ``[lot, first, last]``, sorted by lot then first, each
    range ``0 <= first <= last``, ranges of a lot neither overlapping nor touching (touching
    ranges are written as one)."""
    if not isinstance(value, list) or not value or len(value) > 10_000:
        return [_err("units.serials", where, "serials must be a non-empty list of ranges")]
    previous: tuple[str, int] | None = None
    for item in value:
        if not (
            isinstance(item, list)
            and len(item) == 3
            and isinstance(item[0], str)
            and LOT_RE.fullmatch(item[0])
            and type(item[1]) is int
            and type(item[2]) is int
            and 0 <= item[1] <= item[2] <= MAX_SERIAL
        ):
            return [
                _err(
                    "units.serials",
                    where,
                    f"{item!r} is not [lot, first, last] with 0 <= first <= last",
                )
            ]
        lot, first, _ = item
        if previous is not None and (
            lot < previous[0] or (lot == previous[0] and first <= previous[1] + 1)
        ):
            return [
                _err(
                    "units.serials",
                    where,
                    "serial ranges must be sorted, and not overlap or touch within a lot",
                )
            ]
        previous = (lot, item[2])
    return []


def normalise_serials(ranges: Iterable[Sequence[Any]]) -> list[list]:
    """Serial ranges as a person or client gives them, in the stored form: sorted, touching
    ranges joined. Raises ValidationError for a malformed range or for ranges that overlap."""
    items = []
    for r in ranges:
        if not (
            isinstance(r, list | tuple)
            and len(r) == 3
            and isinstance(r[0], str)
            and LOT_RE.fullmatch(r[0])
            and type(r[1]) is int
            and type(r[2]) is int
            and 0 <= r[1] <= r[2] <= MAX_SERIAL
        ):
            raise ValidationError(
                "units.serials", f"{r!r} is not a serial range [lot, first, last]"
            )
        items.append([r[0], r[1], r[2]])
    if not items:
        raise ValidationError("units.serials", "name at least one serial range")
    items.sort()
    out: list[list] = []
    for lot, first, last in items:
        if out and out[-1][0] == lot and first <= out[-1][2]:
            raise ValidationError(
                "units.serials_overlap",
                f"the ranges asked for overlap at serial {first} of lot {lot}",
                {"lot": lot, "serial": first},
            )
        if out and out[-1][0] == lot and first == out[-1][2] + 1:
            out[-1][2] = last
        else:
            out.append([lot, first, last])
    return out


# --- pieces: who holds which serials of a lot ---------------------------------------------

HELD, PLEDGED_STATE, RETIRED = "held", "pledged", "retired"
STATES = (HELD, PLEDGED_STATE, RETIRED)


@dataclass(slots=True)
class Piece:
    """Serials ``first..last`` of one lot: who holds them (``holder``, an account of
    :func:`parse_holder`), in which ``state``, pledged to whom (``pledgee``, a USCC, only
    when pledged), and the entry (``seq``) that put them there. Retired serials keep the
    holder that retired them."""

    first: int
    last: int
    holder: str
    state: str
    pledgee: str | None
    seq: int

    def row(self) -> tuple:
        return (self.first, self.last, self.holder, self.state, self.pledgee, self.seq)


@dataclass(frozen=True, slots=True)
class Conflict:
    """Serials an operation asked for that are not where it said: ``first..last`` of ``lot``
    are held by ``holder`` in ``state`` since entry ``seq`` (all None: never issued)."""

    lot: str
    first: int
    last: int
    holder: str | None
    state: str | None
    seq: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "lot": self.lot,
            "first": self.first,
            "last": self.last,
            "holder": self.holder,
            "state": self.state,
            "seq": self.seq,
        }


class LotHoldings:
    """The pieces of one lot over a span of its serials: sorted, disjoint, and (within the
    span they were loaded for) covering every issued serial exactly once.

    :meth:`conflicts` finds where serials are not held as an operation says;
    :meth:`move` gives serials to a new holder and state, splitting the pieces they cut.
    Both are interval arithmetic over the pieces a range overlaps (found by bisection), never
    a walk over single serials.
    """

    __slots__ = ("firsts", "pieces")

    def __init__(self, pieces: Iterable[Piece] = ()):
        self.pieces: list[Piece] = sorted(pieces, key=lambda p: p.first)
        self.firsts: list[int] = [p.first for p in self.pieces]

    def _span(self, first: int, last: int) -> tuple[int, int]:
        """Indices ``i..j`` (exclusive) of the pieces overlapping ``first..last``."""
        i = bisect.bisect_right(self.firsts, first) - 1
        if i < 0 or self.pieces[i].last < first:
            i += 1
        j = bisect.bisect_right(self.firsts, last, lo=max(i, 0))
        return i, j

    def overlapping(self, first: int, last: int) -> list[Piece]:
        i, j = self._span(first, last)
        return self.pieces[i:j]

    def conflicts(
        self, lot: str, first: int, last: int, holder: str, state: str, pledgee: str | None
    ) -> list[Conflict]:
        """The parts of ``first..last`` not held by ``holder`` in ``state`` (and, when
        pledged, to ``pledgee``): each clipped piece that differs, and each gap (never
        issued)."""
        i = bisect.bisect_right(self.firsts, first) - 1
        if i >= 0:  # the usual case: one piece holds them all, as the operation says
            p = self.pieces[i]
            if (
                first <= last <= p.last
                and p.holder == holder
                and p.state == state
                and p.pledgee == pledgee
            ):
                return []
        found = []
        cursor = first
        for p in self.overlapping(first, last):
            lo, hi = max(p.first, first), min(p.last, last)
            if lo > cursor:
                found.append(Conflict(lot, cursor, lo - 1, None, None, None))
            if p.holder != holder or p.state != state or p.pledgee != pledgee:
                found.append(Conflict(lot, lo, hi, p.holder, p.state, p.seq))
            cursor = hi + 1
        if cursor <= last:
            found.append(Conflict(lot, cursor, last, None, None, None))
        return found

    def move(
        self, first: int, last: int, holder: str, state: str, pledgee: str | None, seq: int
    ) -> None:
        """Put serials ``first..last`` (all present: check :meth:`conflicts` first) with
        ``holder`` in ``state`` by entry ``seq``: the pieces they overlap are replaced by what
        is left of them on either side and one new piece."""
        i = bisect.bisect_right(self.firsts, first) - 1
        if i >= 0 and first <= last <= self.pieces[i].last:  # the usual case: in one piece
            p = self.pieces[i]
            new = [Piece(first, last, holder, state, pledgee, seq)]
            if p.first < first:
                new.insert(0, Piece(p.first, first - 1, p.holder, p.state, p.pledgee, p.seq))
            if p.last > last:
                new.append(Piece(last + 1, p.last, p.holder, p.state, p.pledgee, p.seq))
            self.pieces[i : i + 1] = new
            self.firsts[i : i + 1] = [q.first for q in new]
            return
        i, j = self._span(first, last)
        cut = self.pieces[i:j]
        new = []
        if cut and cut[0].first < first:
            p = cut[0]
            new.append(Piece(p.first, first - 1, p.holder, p.state, p.pledgee, p.seq))
        new.append(Piece(first, last, holder, state, pledgee, seq))
        if cut and cut[-1].last > last:
            p = cut[-1]
            new.append(Piece(last + 1, p.last, p.holder, p.state, p.pledgee, p.seq))
        self.pieces[i:j] = new
        self.firsts[i:j] = [p.first for p in new]

    def add(self, piece: Piece) -> None:
        """Add the piece of a newly issued lot (or of a span loaded later)."""
        i = bisect.bisect_left(self.firsts, piece.first)
        self.pieces.insert(i, piece)
        self.firsts.insert(i, piece.first)


def take(pieces: Iterable[tuple[str, Piece]], units_of: Mapping[str, int], kg: int) -> list[list]:
    """Serials for ``kg`` from ``pieces`` (``(lot, piece)`` in the order to use them, lowest
    first): whole pieces, then the start of the last one. ``units_of[lot]`` is the lot's unit
    size. Raises ValidationError when the pieces hold too little, or when ``kg`` is not a
    whole number of units of the lots it would come from."""
    if type(kg) is not int or kg <= 0:
        raise ValidationError("units.quantity", "the quantity must be a positive number of kg")
    left = kg
    out: list[list] = []
    for lot, p in pieces:
        if left == 0:
            break
        unit = units_of[lot]
        if left % unit:
            raise ValidationError(
                "units.quantity_unit",
                f"{kg} kg is not a whole number of units of lot {lot} ({unit} kg each)",
                {"kg": kg, "unit_kg": unit, "lot": lot},
            )
        n = min(count(p.first, p.last), left // unit)
        out.append([lot, p.first, p.first + n - 1])
        left -= n * unit
    if left:
        raise ValidationError(
            "units.insufficient",
            f"only {kg - left} kg of the {kg} kg asked for are available",
            {"available_kg": kg - left, "kg": kg},
        )
    return normalise_serials(out)


# --- money --------------------------------------------------------------------------------

ROUNDING = "half_up"


def sale_total(price_fen_per_t: int, kg: int) -> int:
    """Price (fen per tonne) × quantity (kg) = total in fen, rounded half up to the fen: the
    exact amount is ``price × kg / 1000`` fen; a remainder of half a fen or more rounds up.
    ``sale_total(1500, 2_723_000) == 4_084_500`` (2,723 t at 15 元/t = 40,845.00 元)."""
    return (price_fen_per_t * kg + 500) // 1000


# --- entry bodies ---------------------------------------------------------------------------

MAX_NAME = 200
MAX_TEXT = 500
MAX_REF = 64
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_AREA_RE = re.compile(r"\d{1,9}(\.\d{1,2})?")
_DIVISION_RE = re.compile(r"\d{6}|\d{12}")
_ISSUER_RE = re.compile(r"\d{2}|\d{4}|\d{6}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_REF_RE = re.compile(r"[!-~]{1,64}")
BUYER_TYPES = ("company", "organisation", "person")


def _err(code: str, where: str, message: str) -> ValidationError:
    return ValidationError(code, f"{where}: {message}")


def free_text(
    errors: list, where: str, value: object, field: str, limit: int, *, empty: bool = False
) -> None:
    """The free-text rule for text that enters a leaf (names, claims, references): at most
    ``limit`` characters, no control characters, nothing that looks like personal data
    (:func:`ledger.core.personal.check_free_text`); not blank unless ``empty``."""
    prefix = f"{where}: " if where else ""
    try:
        check_free_text(value, field, limit)
    except ValidationError as exc:
        errors.append(ValidationError(exc.code, prefix + exc.message, exc.details))
        return
    if not empty and not value.strip():
        errors.append(ValidationError("units.text", f"{prefix}{field} must not be blank"))


def free_text_problems(value: object, field: str, limit: int, *, empty: bool = False) -> list:
    errors: list = []
    free_text(errors, "", value, field, limit, empty=empty)
    return errors


def is_text(value: object, limit: int, *, empty: bool = False) -> bool:
    """Printable text of at most ``limit`` characters (no control or direction characters)."""
    return (
        isinstance(value, str)
        and (empty or bool(value.strip()))
        and len(value) <= limit
        and not _CONTROL.search(value)
    )


@functools.lru_cache(maxsize=64)
def _keys(required: tuple[str, ...], optional: tuple[str, ...]) -> tuple[frozenset, frozenset]:
    return frozenset(required), frozenset(required) | frozenset(optional) | {"salt"}


def _fields(
    body: Mapping[str, Any],
    where: str,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
) -> list[ValidationError]:
    required, allowed = _keys(required, optional)
    errors = []
    missing = required - body.keys()
    if missing:
        errors.append(_err("units.fields", where, f"missing fields {sorted(missing)}"))
    extra = body.keys() - allowed
    if extra:
        errors.append(_err("units.fields", where, f"unknown fields {sorted(extra)}"))
    return errors


def _check(errors: list, ok: bool, code: str, where: str, message: str) -> None:
    if not ok:
        errors.append(_err(code, where, message))


def _document_ok(doc: object) -> bool:
    return (
        isinstance(doc, dict)
        and doc.keys() == {"sha256", "size", "title"}
        and isinstance(doc["sha256"], str)
        and bool(_HEX64.fullmatch(doc["sha256"]))
        and type(doc["size"]) is int
        and 0 <= doc["size"] <= MAX_SAFE_INTEGER
        and not free_text_problems(doc["title"], "title", MAX_TEXT, empty=True)
    )


def _period_ok(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and valid_date(value[0])
        and valid_date(value[1])
        and value[0] <= value[1]
    )


def buyer_problem(buyer: object) -> str | None:
    """What is wrong with a buyer record, or None. A buyer is ``{type, name, uscc}`` for a
    company (USCC required), ``{type, name[, uscc]}`` for another organisation, and
    ``{type, code}`` for a person: the vault code of their name, never the name."""
    if not isinstance(buyer, dict):
        return "buyer must be an object"
    kind = buyer.get("type")
    if kind not in BUYER_TYPES:
        return f"buyer type must be one of {', '.join(BUYER_TYPES)}"
    if kind == "person":
        if buyer.keys() != {"type", "code"}:
            return "a person buyer is {type, code}: the name lives in the vault"
        if not (isinstance(buyer["code"], str) and BUYER_CODE_RE.fullmatch(buyer["code"])):
            return "a person buyer's code is a vault code B-…"
        return None
    keys = set(buyer)
    if not ({"type", "name"} <= keys <= {"type", "name", "uscc"}):
        return "an organisation buyer is {type, name, uscc}"
    problems = free_text_problems(buyer["name"], "name", MAX_NAME)
    if problems:
        return problems[0].message
    if kind == "company" and "uscc" not in buyer:
        return "a company buyer needs its unified social credit code"
    if "uscc" in buyer and not valid_uscc(buyer["uscc"]):
        return "the buyer's unified social credit code is not valid"
    return None


def buyer_account(buyer: Mapping[str, Any]) -> str | None:
    """The holding account of an organisation buyer with a USCC, else None."""
    code = buyer.get("uscc")
    return f"Assets:Company:{code}" if code else None


def _check_common(body: Mapping[str, Any], where: str, holder_field: str, errors: list) -> None:
    errors.extend(check_serials(body.get("serials"), where))
    _check(
        errors,
        isinstance(body.get("project"), str) and bool(PROJECT_RE.fullmatch(body["project"])),
        "units.project",
        where,
        "project must be a project code",
    )
    _check(
        errors,
        isinstance(body.get("division"), str) and bool(_DIVISION_RE.fullmatch(body["division"])),
        "units.division",
        where,
        "division must be the 6- or 12-digit division code of the project",
    )
    _check(
        errors,
        parse_holder(body.get(holder_field)) is not None,
        "units.holder",
        where,
        f"{holder_field} must be a holder account",
    )


def validate_project(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """``units.project``: a project registered with its programme and owner."""
    errors = _fields(
        body,
        where,
        ("project", "programme", "name", "owner", "division", "area_mu", "crediting_period"),
        ("owner_name", "methodology", "monitoring_periods", "registry_ids", "registrar"),
    )
    if errors:
        return errors
    _check(
        errors,
        isinstance(body["project"], str) and bool(PROJECT_RE.fullmatch(body["project"])),
        "units.project",
        where,
        "project code: 2..32 upper-case letters, digits and '-'",
    )
    _check(errors, body["programme"] in PROGRAMMES, "units.programme", where, "unknown programme")
    free_text(errors, where, body["name"], "name", MAX_NAME)
    owner = parse_holder(body["owner"])
    _check(
        errors,
        owner is not None and owner.kind in OWNER_KINDS,
        "units.owner",
        where,
        "owner must be a village collective, household, forest farm or company account",
    )
    _check(
        errors,
        isinstance(body["division"], str) and bool(_DIVISION_RE.fullmatch(body["division"])),
        "units.division",
        where,
        "division must be a 6- or 12-digit division code",
    )
    _check(
        errors,
        isinstance(body["area_mu"], str) and bool(_AREA_RE.fullmatch(body["area_mu"])),
        "units.area",
        where,
        "area_mu must be a number of mu with at most 2 decimals, as text",
    )
    _check(
        errors,
        _period_ok(body["crediting_period"]),
        "units.period",
        where,
        "crediting_period must be [start, end] dates",
    )
    periods = body.get("monitoring_periods", [])
    _check(
        errors,
        isinstance(periods, list) and len(periods) <= 100 and all(map(_period_ok, periods)),
        "units.period",
        where,
        "monitoring_periods must be a list of [start, end] dates",
    )
    for key in ("owner_name", "methodology"):
        if key in body:
            free_text(errors, where, body[key], key, MAX_NAME, empty=True)
    ids = body.get("registry_ids", {})
    _check(
        errors,
        isinstance(ids, dict)
        and len(ids) <= 10
        and all(is_text(k, 40) and is_text(v, MAX_REF) for k, v in ids.items()),
        "units.registry_ids",
        where,
        "registry_ids must map up to 10 names to identifiers",
    )
    if "registrar" in body:
        _check(
            errors,
            isinstance(body["registrar"], str) and bool(_ISSUER_RE.fullmatch(body["registrar"])),
            "units.issuer",
            where,
            "registrar must be a bureau's division code",
        )
    return errors


def validate_issue(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """``units.issue``: a lot of serials issued to the project's owner by a bureau."""
    errors = _fields(
        body,
        where,
        (
            "lot",
            "project",
            "programme",
            "division",
            "owner",
            "vintage",
            "period",
            "unit_kg",
            "serial_prefix",
            "serial_digits",
            "first",
            "last",
            "issued_on",
            "issuer",
            "document",
        ),
    )
    if errors:
        return errors
    _check(
        errors,
        isinstance(body["lot"], str) and bool(LOT_RE.fullmatch(body["lot"])),
        "units.lot",
        where,
        "lot: 1..40 letters, digits, '.', '_' or '-'",
    )
    _check(
        errors,
        isinstance(body["project"], str) and bool(PROJECT_RE.fullmatch(body["project"])),
        "units.project",
        where,
        "project must be a project code",
    )
    _check(errors, body["programme"] in PROGRAMMES, "units.programme", where, "unknown programme")
    _check(
        errors,
        isinstance(body["division"], str) and bool(_DIVISION_RE.fullmatch(body["division"])),
        "units.division",
        where,
        "division must be a 6- or 12-digit division code",
    )
    _check(errors, parse_holder(body["owner"]) is not None, "units.owner", where, "owner account")
    _check(
        errors,
        type(body["vintage"]) is int and 1990 <= body["vintage"] <= 2100,
        "units.vintage",
        where,
        "vintage must be a year",
    )
    _check(errors, _period_ok(body["period"]), "units.period", where, "period: [start, end]")
    _check(
        errors,
        type(body["unit_kg"]) is int and 1 <= body["unit_kg"] <= 1_000_000,
        "units.unit_kg",
        where,
        "unit_kg must be 1..1,000,000",
    )
    _check(
        errors,
        is_text(body["serial_prefix"], MAX_PREFIX, empty=True),
        "units.serial_prefix",
        where,
        f"serial_prefix: at most {MAX_PREFIX} printable characters",
    )
    _check(
        errors,
        type(body["serial_digits"]) is int and 1 <= body["serial_digits"] <= 16,
        "units.serial_digits",
        where,
        "serial_digits must be 1..16",
    )
    first, last = body["first"], body["last"]
    ok = type(first) is int and type(last) is int and 0 <= first <= last <= MAX_SERIAL
    _check(errors, ok, "units.range", where, "first and last must satisfy 0 <= first <= last")
    if ok and type(body["unit_kg"]) is int:
        _check(
            errors,
            count(first, last) * body["unit_kg"] <= MAX_SAFE_INTEGER,
            "units.range",
            where,
            "the lot is too large",
        )
    _check(errors, valid_date(body["issued_on"]), "units.date", where, "issued_on: a date")
    _check(
        errors,
        isinstance(body["issuer"], str) and bool(_ISSUER_RE.fullmatch(body["issuer"])),
        "units.issuer",
        where,
        "issuer must be the issuing bureau's division code",
    )
    _check(
        errors,
        _document_ok(body["document"]),
        "units.document",
        where,
        "document must be {sha256, size, title}",
    )
    return errors


def validate_transfer(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """``units.transfer``: serials move from one holder to another."""
    errors = _fields(
        body, where, ("serials", "project", "division", "from", "to", "date"), ("to_name", "ref")
    )
    if errors:
        return errors
    _check_common(body, where, "from", errors)
    _check(errors, parse_holder(body["to"]) is not None, "units.holder", where, "to account")
    _check(errors, body["to"] != body["from"], "units.holder", where, "from and to are the same")
    _check(errors, valid_date(body["date"]), "units.date", where, "date")
    if "to_name" in body:
        free_text(errors, where, body["to_name"], "to_name", MAX_NAME)
    if "ref" in body:
        free_text(errors, where, body["ref"], "ref", MAX_TEXT)
    return errors


def _pledgee_ok(value: object) -> bool:
    return (
        isinstance(value, dict)
        and value.keys() == {"name", "uscc"}
        and not free_text_problems(value["name"], "name", MAX_NAME)
        and valid_uscc(value["uscc"])
    )


def validate_pledge(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """``units.pledge``: the owner pledges serials to a bank (``pledgee``) as collateral."""
    errors = _fields(
        body,
        where,
        ("serials", "project", "division", "owner", "pledgee", "date"),
        ("loan_ref", "document"),
    )
    if errors:
        return errors
    _check_common(body, where, "owner", errors)
    _check(errors, _pledgee_ok(body["pledgee"]), "units.pledgee", where, "pledgee {name, uscc}")
    _check(errors, valid_date(body["date"]), "units.date", where, "date")
    if "loan_ref" in body:
        free_text(errors, where, body["loan_ref"], "loan_ref", MAX_REF)
    if "document" in body:
        _check(errors, _document_ok(body["document"]), "units.document", where, "document")
    return errors


def validate_release(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """``units.release``: pledged serials released on the pledgee's word (its release
    document, anchored by digest)."""
    errors = _fields(
        body, where, ("serials", "project", "division", "owner", "pledgee", "date", "document")
    )
    if errors:
        return errors
    _check_common(body, where, "owner", errors)
    _check(errors, _pledgee_ok(body["pledgee"]), "units.pledgee", where, "pledgee {name, uscc}")
    _check(errors, valid_date(body["date"]), "units.date", where, "date")
    _check(errors, _document_ok(body["document"]), "units.document", where, "document")
    return errors


def validate_retire(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """``units.retire``: serials retired for a beneficiary, a use and a claim."""
    errors = _fields(
        body,
        where,
        ("serials", "project", "division", "holder", "beneficiary", "use", "date"),
        ("claim",),
    )
    if errors:
        return errors
    _check_common(body, where, "holder", errors)
    problem = buyer_problem(body["beneficiary"])
    _check(errors, problem is None, "units.buyer", where, problem or "")
    _check(errors, body["use"] in USES, "units.use", where, "unknown use")
    _check(errors, valid_date(body["date"]), "units.date", where, "date")
    if "claim" in body:
        free_text(errors, where, body["claim"], "claim", MAX_TEXT, empty=True)
    return errors


def _check_money(body: Mapping[str, Any], where: str, errors: list) -> None:
    kg, price, total = body.get("kg"), body.get("price_fen_per_t"), body.get("total_fen")
    ok = all(type(v) is int and 0 < v <= MAX_SAFE_INTEGER for v in (kg, price, total))
    _check(errors, ok, "units.amount", where, "kg, price_fen_per_t, total_fen: positive integers")
    if ok:
        _check(
            errors,
            total == sale_total(price, kg),
            "units.total",
            where,
            "total_fen is not price × quantity rounded half up to the fen",
        )


def validate_sale(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """``units.sale``: a sale with its price, total and the buyer's declared use; the units
    go to the buyer or are retired for it."""
    errors = _fields(
        body,
        where,
        (
            "serials",
            "project",
            "division",
            "seller",
            "buyer",
            "use",
            "retired",
            "kg",
            "price_fen_per_t",
            "total_fen",
            "rounding",
            "date",
        ),
        ("trade_ref", "claim"),
    )
    if errors:
        return errors
    _check_common(body, where, "seller", errors)
    problem = buyer_problem(body["buyer"])
    _check(errors, problem is None, "units.buyer", where, problem or "")
    _check(errors, body["use"] in USES, "units.use", where, "unknown use")
    _check(errors, type(body["retired"]) is bool, "units.retired", where, "retired: true/false")
    if body["use"] in RETIRING_USES:
        _check(errors, body["retired"] is True, "units.retired", where, "this use retires")
    if body["retired"] is False and problem is None:
        _check(
            errors,
            buyer_account(body["buyer"]) is not None,
            "units.buyer_account",
            where,
            "units kept by the buyer need its unified social credit code",
        )
    _check_money(body, where, errors)
    _check(errors, body["rounding"] == ROUNDING, "units.rounding", where, "rounding: half_up")
    _check(errors, valid_date(body["date"]), "units.date", where, "date")
    for key in ("trade_ref", "claim"):
        if key in body:
            free_text(errors, where, body[key], key, MAX_TEXT)
    return errors


def validate_oneyuan(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """``units.oneyuan``: one purchase of one-yuan carbon, retired for the buyer (a person,
    named by a vault code)."""
    errors = _fields(
        body,
        where,
        (
            "serials",
            "project",
            "division",
            "seller",
            "buyer",
            "kg",
            "amount_fen",
            "order_id",
            "certificate_no",
            "paid_at",
            "file_sha256",
        ),
    )
    if errors:
        return errors
    _check_common(body, where, "seller", errors)
    buyer = body["buyer"]
    _check(
        errors,
        isinstance(buyer, dict) and buyer.get("type") == "person" and buyer_problem(buyer) is None,
        "units.buyer",
        where,
        "buyer must be {type: person, code}",
    )
    kg, fen = body["kg"], body["amount_fen"]
    ok = type(kg) is int and type(fen) is int and 0 < kg <= MAX_SAFE_INTEGER and fen > 0
    _check(errors, ok, "units.amount", where, "kg and amount_fen: positive integers")
    if ok:
        _check(
            errors,
            fen % 100 == 0 and kg == ONE_YUAN_KG_PER_YUAN * (fen // 100),
            "units.total",
            where,
            "one-yuan carbon is 10 kg per whole yuan",
        )
    for key in ("order_id", "certificate_no"):
        value = body[key]
        _check(
            errors,
            isinstance(value, str) and bool(_REF_RE.fullmatch(value)),
            "units.ref",
            where,
            f"{key}: 1..64 visible ASCII characters",
        )
    _check(errors, valid_utc(body["paid_at"]), "units.date", where, "paid_at: UTC time")
    _check(
        errors,
        isinstance(body["file_sha256"], str) and bool(_HEX64.fullmatch(body["file_sha256"])),
        "units.document",
        where,
        "file_sha256: 64 lowercase hex",
    )
    return errors


_ONEYUAN_FIELDS = (
    "serials", "project", "division", "seller", "buyer", "kg", "amount_fen", "order_id",
    "certificate_no", "paid_at", "file_sha256",
)  # fmt: skip
_PERSON_KEYS = frozenset({"type", "code"})


def each_line(pattern: re.Pattern) -> re.Pattern:
    """``pattern`` (which must match no newline) over a column's values written a line each,
    for :func:`matches_each_line`."""
    return re.compile(rf"(?:{pattern.pattern}\n)*")


def matches_each_line(lines_pattern: re.Pattern, values: Sequence[Any]) -> bool:
    """Whether every one of ``values`` is a ``str`` that the pattern ``lines_pattern`` was
    made from (:func:`each_line`) matches whole: one match over the values joined by newlines,
    one after the last. As many newlines as values means no value holds one."""
    if set(map(type, values)) != {str}:
        return False
    text = "\n".join(values) + "\n"
    return text.count("\n") == len(values) and lines_pattern.fullmatch(text) is not None


_BUYER_CODE_LINES, _REF_LINES, _UTC_LINES = map(each_line, (BUYER_CODE_RE, _REF_RE, _UTC_RE))
_SERIAL_ITEM = operator.itemgetter(0)
_WITHOUT_Z = operator.itemgetter(slice(0, 19))


def _distinct_ok(values: Iterable[Any], ok) -> bool:
    """``ok`` of each distinct value (TypeError for an unhashable one)."""
    return all(map(ok, set(values)))


def _project_ok(value: Any) -> bool:
    return isinstance(value, str) and bool(PROJECT_RE.fullmatch(value))


def _division_ok(value: Any) -> bool:
    return isinstance(value, str) and bool(_DIVISION_RE.fullmatch(value))


def _sha256_ok(value: Any) -> bool:
    return isinstance(value, str) and bool(_HEX64.fullmatch(value))


def _positive_ints(values: list) -> bool:
    return set(map(type, values)) == {int} and min(values) > 0


def oneyuan_bodies_ok(bodies: Sequence[Any]) -> bool:
    """True only when :func:`validate_oneyuan` accepts every one of ``bodies``: its rules
    tested a column at a time over the batch (the values of one field of every body), for an
    import of many purchases. False when any body would be refused, and for what this test
    does not take up (a body other than a ``dict``, a purchase of several serial ranges):
    then :func:`validate_oneyuan` runs on each body."""
    try:
        return _oneyuan_columns_ok(bodies)
    except (TypeError, ValueError):  # an unhashable value, a time that is no time
        return False


def _oneyuan_columns_ok(bodies: Sequence[Any]) -> bool:
    if not bodies or set(map(type, bodies)) != {dict}:
        return False
    required, allowed = _keys(_ONEYUAN_FIELDS, ())
    if not all(required <= shape <= allowed for shape in set(map(frozenset, bodies))):
        return False
    column = {name: list(map(operator.itemgetter(name), bodies)) for name in _ONEYUAN_FIELDS}
    serials = column["serials"]
    if set(map(type, serials)) != {list} or set(map(len, serials)) != {1}:
        return False
    ranges = list(map(_SERIAL_ITEM, serials))
    if set(map(type, ranges)) != {list} or set(map(len, ranges)) != {3}:
        return False
    lots, firsts, lasts = (list(map(operator.itemgetter(i), ranges)) for i in range(3))
    if not (
        _distinct_ok(lots, lambda lot: isinstance(lot, str) and bool(LOT_RE.fullmatch(lot)))
        and set(map(type, firsts)) == {int}
        and set(map(type, lasts)) == {int}
        and min(firsts) >= 0
        and max(lasts) <= MAX_SERIAL
        and all(map(operator.le, firsts, lasts))
    ):
        return False
    if not (
        _distinct_ok(column["project"], _project_ok)
        and _distinct_ok(column["division"], _division_ok)
        and _distinct_ok(column["seller"], lambda seller: parse_holder(seller) is not None)
        and _distinct_ok(column["file_sha256"], _sha256_ok)
    ):
        return False
    buyers = column["buyer"]
    if (
        set(map(type, buyers)) != {dict}
        or set(map(frozenset, buyers)) != {_PERSON_KEYS}
        or set(map(operator.itemgetter("type"), buyers)) != {"person"}
        or not matches_each_line(_BUYER_CODE_LINES, list(map(operator.itemgetter("code"), buyers)))
    ):
        return False
    kgs, fens = column["kg"], column["amount_fen"]
    yuan = map(operator.floordiv, fens, itertools.repeat(100))
    if not (
        _positive_ints(kgs)
        and _positive_ints(fens)
        and max(kgs) <= MAX_SAFE_INTEGER
        and not any(map(operator.mod, fens, itertools.repeat(100)))
        and all(
            map(operator.eq, kgs, map(operator.mul, yuan, itertools.repeat(ONE_YUAN_KG_PER_YUAN)))
        )
    ):
        return False
    if not (
        matches_each_line(_REF_LINES, column["order_id"])
        and matches_each_line(_REF_LINES, column["certificate_no"])
        and matches_each_line(_UTC_LINES, column["paid_at"])
    ):
        return False
    all(map(datetime.fromisoformat, map(_WITHOUT_Z, column["paid_at"])))  # or ValueError
    return True


def parties(body: Mapping[str, Any], postings: Sequence[Any]) -> list[str]:
    """Who a units entry concerns beyond the organisations its postings name: a project's
    owner's village (a project entry has no postings), and the bureau of the county the
    project lies in, unless a village of that county is named already (the county's bureau,
    and every bureau above it, reads that village's entries anyway)."""
    owner, division = body.get("owner"), body.get("division")
    accounts = tuple(p.account if hasattr(p, "account") else p[0] for p in postings)
    try:
        return list(_parties(owner, division, accounts))
    except TypeError:  # an unhashable value (a malformed body): nothing to remember
        return list(_parties.__wrapped__(owner, division, accounts))


@functools.lru_cache(maxsize=4096)
def _parties(owner_account: Any, division: Any, accounts: tuple) -> tuple[str, ...]:
    """:func:`parties` of a body's owner and division and its postings' accounts (an
    import's entries differ in neither, so each combination is worked out once)."""
    found = []
    owner = parse_holder(owner_account)
    if owner is not None and owner.village is not None:
        found.append(f"Village:{owner.village}")
    if isinstance(division, str) and _DIVISION_RE.fullmatch(division):
        county = division[:6]
        villages = [v for v in _villages(accounts) if v.startswith(county)]
        if not villages and not (owner and owner.village and owner.village.startswith(county)):
            found.append(f"Bureau:{county}")
    return tuple(found)


def _villages(accounts: Sequence[Any]) -> list[str]:
    """The villages the accounts name."""
    out = []
    for account in accounts:
        if isinstance(account, str):
            village = _village_of(account)
            if village is not None:
                out.append(village)
    return out


@functools.lru_cache(maxsize=4096)
def _village_of(account: str) -> str | None:
    """The village an account names: a village's or household's holding (or pledged)
    account, or a village's income account."""
    holder = parse_holder(account.removesuffix(PLEDGED))
    if holder is not None and holder.village is not None:
        return holder.village
    if account.startswith("Income:Village:"):
        return account.split(":")[2]
    return None


# --- entries in words (receipts, the public verification page) ----------------------------


def _serials_text(serials: Sequence[Sequence[Any]]) -> str:
    """``[["0000001", 1, 2723]]`` → ``0000001: 1–2723`` (ranges of a lot joined by commas)."""
    parts: dict[str, list[str]] = {}
    for lot, first, last in serials:
        parts.setdefault(lot, []).append(str(first) if first == last else f"{first}–{last}")
    return "; ".join(f"{lot}: {', '.join(ranges)}" for lot, ranges in parts.items())


def _carbon(postings: Sequence[Any]) -> Amount:
    return Amount(sum(p.amount for p in postings if p.commodity == "CO2E" and p.amount > 0), "CO2E")


def _party(record: Mapping[str, Any]) -> str:
    """A buyer, beneficiary or pledgee as the leaf names it: an organisation's name (and
    credit code), a person's vault code."""
    if record.get("type") == "person":
        return record["code"]
    return f"{record['name']} ({record['uscc']})" if record.get("uscc") else record["name"]


def _common_facts(body: Mapping[str, Any], postings: Sequence[Any]) -> list[Fact]:
    return [
        (N_("Project"), body["project"]),
        (N_("Serials"), _serials_text(body["serials"])),
        (N_("Carbon"), _carbon(postings)),
    ]


def describe_project(body: Mapping[str, Any], postings: Sequence[Any]) -> list[Fact]:
    start, end = body["crediting_period"]
    return [
        (N_("Project"), body["project"]),
        (N_("Project name"), body["name"]),
        (N_("Programme"), Term(PROGRAMMES[body["programme"]].label)),
        (N_("Owner"), Account(body["owner"])),
        (N_("Area (mu)"), body["area_mu"]),
        (N_("Crediting period"), f"{start} – {end}"),
    ]


def describe_issue(body: Mapping[str, Any], postings: Sequence[Any]) -> list[Fact]:
    return [
        (N_("Project"), body["project"]),
        (N_("Lot"), body["lot"]),
        (N_("Programme"), Term(PROGRAMMES[body["programme"]].label)),
        (N_("Vintage"), body["vintage"]),
        (
            N_("Serials"),
            format_range(body["serial_prefix"], body["serial_digits"], body["first"], body["last"]),
        ),
        (N_("Carbon"), _carbon(postings)),
        (N_("Issued to"), Account(body["owner"])),
        (N_("Issued on"), body["issued_on"]),
        (N_("Issuance document (SHA-256)"), body["document"]["sha256"]),
    ]


def describe_transfer(body: Mapping[str, Any], postings: Sequence[Any]) -> list[Fact]:
    return [
        *_common_facts(body, postings),
        (N_("From"), Account(body["from"])),
        (N_("To"), Account(body["to"])),
        (N_("Date"), body["date"]),
    ]


def describe_pledge(body: Mapping[str, Any], postings: Sequence[Any]) -> list[Fact]:
    return [
        *_common_facts(body, postings),
        (N_("Owner"), Account(body["owner"])),
        (N_("Pledgee"), _party(body["pledgee"])),
        (N_("Date"), body["date"]),
    ]


def describe_retire(body: Mapping[str, Any], postings: Sequence[Any]) -> list[Fact]:
    facts = [
        *_common_facts(body, postings),
        (N_("Retired by"), Account(body["holder"])),
        (N_("Beneficiary"), _party(body["beneficiary"])),
        (N_("Use"), Term(USES[body["use"]])),
        (N_("Date"), body["date"]),
    ]
    return facts + ([(N_("Claim"), body["claim"])] if body.get("claim") else [])


def describe_sale(body: Mapping[str, Any], postings: Sequence[Any]) -> list[Fact]:
    facts = [
        *_common_facts(body, postings),
        (N_("Seller"), Account(body["seller"])),
        (N_("Buyer"), _party(body["buyer"])),
        (N_("Use"), Term(USES[body["use"]])),
        (N_("Price per tonne"), Amount(body["price_fen_per_t"], "CNY")),
        (N_("Total (rounded half up to the fen)"), Amount(body["total_fen"], "CNY")),
        (N_("Retired for the buyer"), Term(N_("yes") if body["retired"] else N_("no"))),
        (N_("Date"), body["date"]),
    ]
    return facts + ([(N_("Claim"), body["claim"])] if body.get("claim") else [])


def describe_oneyuan(body: Mapping[str, Any], postings: Sequence[Any]) -> list[Fact]:
    return [
        (N_("Project"), body["project"]),
        (N_("Serials"), _serials_text(body["serials"])),
        (N_("Carbon retired"), Amount(body["kg"], "CO2E")),
        (N_("Paid"), Amount(body["amount_fen"], "CNY")),
        (N_("Paid at"), Moment(body["paid_at"])),
        (N_("Order"), body["order_id"]),
        (N_("Certificate"), body["certificate_no"]),
        (N_("Buyer (vault code)"), body["buyer"]["code"]),
    ]
