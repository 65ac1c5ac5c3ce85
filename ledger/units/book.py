"""What a ``units.*`` entry does to the projects, lots and serials, and what it may not do.
Pure: no I/O.

A :class:`Book` holds projects, lots and the pieces of each lot (who holds which serials). The
projection applies appended entries to a book loaded from its tables and refuses the append on
any :class:`Problem` (so the invariant holds whichever path appends); ``log verify`` applies the
whole log to an empty book and reports every problem. The invariant: every issued serial is
held by exactly one holder or retired exactly once; an entry moves only serials that are where
it says they are, and its CO2E postings move exactly their kilograms between the accounts its
body names (its CNY postings, for a sale, exactly the total to the seller).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.units.model import (
    HELD,
    PLEDGED_STATE,
    PROGRAMMES,
    RETIRED,
    Conflict,
    LotHoldings,
    Piece,
    buyer_account,
    count,
    describe_issue,
    describe_oneyuan,
    describe_pledge,
    describe_project,
    describe_retire,
    describe_sale,
    describe_transfer,
    format_range,
    income_account,
    issued_account,
    oneyuan_bodies_ok,
    parse_holder,
    pledged_account,
    retired_account,
    validate_issue,
    validate_oneyuan,
    validate_pledge,
    validate_project,
    validate_release,
    validate_retire,
    validate_sale,
    validate_transfer,
)

PROJECT = "units.project"
ISSUE = "units.issue"
TRANSFER = "units.transfer"
PLEDGE = "units.pledge"
RELEASE = "units.release"
RETIRE = "units.retire"
SALE = "units.sale"
ONEYUAN = "units.oneyuan"
#: Kinds that move serials that exist (everything but registering a project or issuing).
MOVES = (TRANSFER, PLEDGE, RELEASE, RETIRE, SALE, ONEYUAN)
KINDS = (PROJECT, ISSUE, *MOVES)
#: Kinds that sell or retire: one row each in the sales register.
DISPOSALS = (RETIRE, SALE, ONEYUAN)
#: What an entry of each kind states, in words (receipts, the public verification page).
DESCRIPTIONS = {
    PROJECT: describe_project,
    ISSUE: describe_issue,
    TRANSFER: describe_transfer,
    PLEDGE: describe_pledge,
    RELEASE: describe_pledge,
    RETIRE: describe_retire,
    SALE: describe_sale,
    ONEYUAN: describe_oneyuan,
}
#: The body rules of each kind.
VALIDATORS = {
    PROJECT: validate_project,
    ISSUE: validate_issue,
    TRANSFER: validate_transfer,
    PLEDGE: validate_pledge,
    RELEASE: validate_release,
    RETIRE: validate_retire,
    SALE: validate_sale,
    ONEYUAN: validate_oneyuan,
}
#: A fast test of many bodies of a kind at once (see ``EntryKind.bodies_ok``).
BODIES_OK = {ONEYUAN: oneyuan_bodies_ok}

#: ``(account, commodity, amount)``, as a replay sees a posting.
Leg = tuple[str, str, int]


@dataclass(frozen=True, slots=True)
class Project:
    """A registered project (the ``units_project`` row, from its ``units.project`` entry)."""

    project: str
    programme: str
    name: str
    owner: str
    owner_name: str
    division: str
    area_mu: str
    methodology: str
    crediting_start: str
    crediting_end: str
    seq: int

    @classmethod
    def of(cls, seq: int, body: Mapping[str, Any]) -> Project:
        start, end = body["crediting_period"]
        return cls(
            body["project"],
            body["programme"],
            body["name"],
            body["owner"],
            body.get("owner_name", ""),
            body["division"],
            body["area_mu"],
            body.get("methodology", ""),
            start,
            end,
            seq,
        )


@dataclass(frozen=True, slots=True)
class Lot:
    """An issued lot (the ``units_lot`` row, from its ``units.issue`` entry)."""

    lot: str
    project: str
    programme: str
    vintage: int
    period_start: str
    period_end: str
    unit_kg: int
    serial_prefix: str
    serial_digits: int
    first: int
    last: int
    owner: str
    division: str
    issued_on: str
    issuer: str
    document_sha256: str
    seq: int

    @classmethod
    def of(cls, seq: int, body: Mapping[str, Any]) -> Lot:
        start, end = body["period"]
        return cls(
            body["lot"],
            body["project"],
            body["programme"],
            body["vintage"],
            start,
            end,
            body["unit_kg"],
            body["serial_prefix"],
            body["serial_digits"],
            body["first"],
            body["last"],
            body["owner"],
            body["division"],
            body["issued_on"],
            body["issuer"],
            body["document"]["sha256"],
            seq,
        )

    @property
    def kg(self) -> int:
        return count(self.first, self.last) * self.unit_kg

    def format(self, first: int, last: int) -> str:
        return format_range(self.serial_prefix, self.serial_digits, first, last)


@dataclass(frozen=True, slots=True)
class Problem:
    """Why an entry may not do what it says: a stable ``code`` (``units.conflict``…), a
    message, and ``conflicts`` (the serials concerned and the entries holding them)."""

    code: str
    message: str
    conflicts: tuple[Conflict, ...] = ()


@dataclass(frozen=True, slots=True)
class Move:
    """What a move entry asks: serials held by ``holder`` in ``state`` (pledged to
    ``pledgee``) go to ``to`` in ``to_state`` (pledged to ``to_pledgee``)."""

    holder: str
    state: str
    pledgee: str | None
    to: str
    to_state: str
    to_pledgee: str | None


@functools.lru_cache(maxsize=1024)
def _retiring(holder: str) -> Move:
    """The move of serials retired by ``holder`` (a frozen record: one per holder)."""
    return Move(holder, HELD, None, holder, RETIRED, None)


def move_of(kind: str, body: Mapping[str, Any]) -> Move:
    """The move a ``units.*`` entry of a moving kind makes (its body validated)."""
    if kind == ONEYUAN:
        seller = body["seller"]
        return _retiring(seller) if type(seller) is str else _retiring.__wrapped__(seller)
    if kind == TRANSFER:
        return Move(body["from"], HELD, None, body["to"], HELD, None)
    if kind == PLEDGE:
        owner = body["owner"]
        return Move(owner, HELD, None, owner, PLEDGED_STATE, body["pledgee"]["uscc"])
    if kind == RELEASE:
        owner = body["owner"]
        return Move(owner, PLEDGED_STATE, body["pledgee"]["uscc"], owner, HELD, None)
    if kind == RETIRE:
        return Move(body["holder"], HELD, None, body["holder"], RETIRED, None)
    if kind == SALE and not body["retired"]:
        return Move(body["seller"], HELD, None, buyer_account(body["buyer"]), HELD, None)
    return Move(body["seller"], HELD, None, body["seller"], RETIRED, None)  # retiring sales


def kg_of(serials: Sequence[Sequence[Any]], lots: Mapping[str, Lot]) -> int:
    if len(serials) == 1:
        lot, first, last = serials[0]
        return (last - first + 1) * lots[lot].unit_kg
    return sum(count(first, last) * lots[lot].unit_kg for lot, first, last in serials)


def account_of(holder: str, state: str, programme: str) -> str:
    """Where the kilograms of serials in ``state`` sit: the holder's account, its pledged
    sub-account, or the programme's retirement sink."""
    if state == HELD:
        return holder
    if state == PLEDGED_STATE:
        return pledged_account(holder)
    return retired_account(programme)


def postings_for(kind: str, body: Mapping[str, Any], lots: Mapping[str, Lot]) -> list[Leg]:
    """The postings an entry must carry, in the order the services write them."""
    if kind == PROJECT:
        return []
    if kind == ISSUE:
        kg = (body["last"] - body["first"] + 1) * body["unit_kg"]
        return [
            (issued_account(body["programme"]), "CO2E", -kg),
            (body["owner"], "CO2E", kg),
        ]
    programme = lots[body["serials"][0][0]].programme
    kg = kg_of(body["serials"], lots)
    if kind == ONEYUAN:  # the seller's serials retired, the yuan to the seller
        seller, fen = body["seller"], body["amount_fen"]
        return [
            (seller, "CO2E", -kg),
            (retired_account(programme), "CO2E", kg),
            (seller, "CNY", fen),
            (income_account(seller), "CNY", -fen),
        ]
    move = move_of(kind, body)
    legs = [
        (account_of(move.holder, move.state, programme), "CO2E", -kg),
        (account_of(move.to, move.to_state, programme), "CO2E", kg),
    ]
    if kind == SALE:
        fen, seller = body["total_fen"], body["seller"]
        legs += [(seller, "CNY", fen), (income_account(seller), "CNY", -fen)]
    return legs


def describe_conflicts(conflicts: Sequence[Conflict], lots: Mapping[str, Lot]) -> str:
    """``0000001-00001–0000001-00100 (retired, entry 12); …`` for messages."""
    parts = []
    for c in conflicts:
        lot = lots.get(c.lot)
        where = lot.format(c.first, c.last) if lot else f"{c.lot} {c.first}–{c.last}"
        state = "never issued" if c.state is None else f"{c.state} by {c.holder}"
        at = "" if c.seq is None else f", entry {c.seq}"
        parts.append(f"{where} ({state}{at})")
    return "; ".join(parts)


@dataclass
class Book:
    """Projects, lots and pieces, as far as they are loaded (see :mod:`ledger.units.projection`)
    or replayed. ``changed`` names the lots whose pieces :meth:`apply` changed."""

    projects: dict[str, Project] = field(default_factory=dict)
    lots: dict[str, Lot] = field(default_factory=dict)
    holdings: dict[str, LotHoldings] = field(default_factory=dict)
    #: serial prefix → the lots issued under it (to refuse a second issue of a serial)
    prefixes: dict[str, list[Lot]] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)

    def add_lot(self, lot: Lot) -> None:
        self.lots[lot.lot] = lot
        self.prefixes.setdefault(lot.serial_prefix, []).append(lot)

    def apply(
        self, seq: int, kind: str, body: Mapping[str, Any], postings: Sequence[Leg]
    ) -> list[Problem]:
        """Apply one entry (its body valid for its kind). Returns its problems; an entry with
        problems changes nothing."""
        if kind == PROJECT:
            return self._project(seq, body)
        if kind == ISSUE:
            return self._issue(seq, body, postings)
        return self._move(seq, kind, body, postings)

    def _project(self, seq: int, body: Mapping[str, Any]) -> list[Problem]:
        code = body["project"]
        earlier = self.projects.get(code)
        if earlier is not None:
            return [
                Problem(
                    "units.project_exists",
                    f"project {code} is already registered (entry {earlier.seq})",
                )
            ]
        self.projects[code] = Project.of(seq, body)
        return []

    def _issue(self, seq: int, body: Mapping[str, Any], postings: Sequence[Leg]) -> list[Problem]:
        project = self.projects.get(body["project"])
        if project is None:
            return [Problem("units.project_unknown", f"there is no project {body['project']}")]
        problems = []
        if (body["programme"], body["owner"], body["division"]) != (
            project.programme,
            project.owner,
            project.division,
        ):
            problems.append(
                Problem(
                    "units.issue_project",
                    f"lot {body['lot']} does not match project {project.project}'s programme, "
                    "owner or division",
                )
            )
        earlier = self.lots.get(body["lot"])
        if earlier is not None:
            problems.append(
                Problem(
                    "units.lot_exists",
                    f"lot {body['lot']} was already issued (entry {earlier.seq})",
                )
            )
        lot = Lot.of(seq, body)
        overlaps = [
            Conflict(
                o.lot, max(o.first, lot.first), min(o.last, lot.last), o.owner, "issued", o.seq
            )
            for o in self.prefixes.get(lot.serial_prefix, ())
            if o.first <= lot.last and lot.first <= o.last
        ]
        if overlaps:
            problems.append(
                Problem(
                    "units.double_issue",
                    f"serials {lot.format(overlaps[0].first, overlaps[0].last)} were already "
                    f"issued in lot {overlaps[0].lot} (entry {overlaps[0].seq})",
                    tuple(overlaps),
                )
            )
        problems += self._postings(ISSUE, body, postings, {})
        if problems:
            return problems
        self.add_lot(lot)
        self.holdings[lot.lot] = LotHoldings(
            [Piece(lot.first, lot.last, lot.owner, HELD, None, seq)]
        )
        self.changed.add(lot.lot)
        return []

    def _postings(
        self, kind: str, body: Mapping[str, Any], postings: Sequence[Leg], lots: Mapping[str, Lot]
    ) -> list[Problem]:
        want = postings_for(kind, body, lots)
        have = [(a, c, n) for a, c, n in postings]
        if have == want or sorted(have) == sorted(want):
            return []
        return [
            Problem(
                "units.postings",
                "the postings do not move exactly the serials' kilograms (and, for a sale, the "
                "total) between the accounts the entry names",
            )
        ]

    def _move(
        self, seq: int, kind: str, body: Mapping[str, Any], postings: Sequence[Leg]
    ) -> list[Problem]:
        serials = body["serials"]
        lots = {}
        for lot_id, _, _ in serials:
            lot = self.lots.get(lot_id)
            if lot is None:
                return [Problem("units.lot_unknown", f"there is no lot {lot_id}")]
            lots[lot_id] = lot
        project = self.projects.get(body["project"])
        mismatch = project is None or body["division"] != project.division
        if not mismatch:
            for lot in lots.values():
                if lot.project != project.project:
                    mismatch = True
                    break
        if mismatch:
            return [
                Problem(
                    "units.project_mismatch",
                    f"the serials are not all of project {body['project']} in division "
                    f"{body['division']}",
                )
            ]
        if kind in (SALE, ONEYUAN) and parse_holder(body["seller"]).kind == "case":
            return [Problem("units.seller", "a court case does not sell units")]
        move = move_of(kind, body)
        if move.to == move.holder and move.to_state == move.state:
            return [Problem("units.holder", "the serials would stay where they are")]
        holder, state, pledgee = move.holder, move.state, move.pledgee
        holdings = self.holdings
        conflicts = [
            c
            for lot_id, first, last in serials
            for c in holdings[lot_id].conflicts(lot_id, first, last, holder, state, pledgee)
        ]
        if conflicts:
            return [self._conflict_problem(kind, move, conflicts, lots)]
        problems = self._postings(kind, body, postings, lots)
        if problems:
            return problems
        for lot_id, first, last in serials:
            self.holdings[lot_id].move(first, last, move.to, move.to_state, move.to_pledgee, seq)
            self.changed.add(lot_id)
        return []

    @staticmethod
    def _conflict_problem(
        kind: str, move: Move, conflicts: list[Conflict], lots: Mapping[str, Lot]
    ) -> Problem:
        text = describe_conflicts(conflicts, lots)
        if move.to_state == RETIRED and any(c.state == RETIRED for c in conflicts):
            code, what = "units.double_retirement", "retire serials already retired"
        else:
            code, what = (
                "units.conflict",
                f"move serials that are not {move.state} by {move.holder}",
            )
        return Problem(code, f"{kind} would {what}: {text}", tuple(conflicts))


def account_kilograms(book: Book) -> dict[str, int]:
    """The kilograms the serials put in each account (held, pledged or retired), and minus
    what each programme issued: what the CO2E balances of these accounts must be."""
    totals: dict[str, int] = {}
    for lot_id, holdings in book.holdings.items():
        lot = book.lots[lot_id]
        issued = issued_account(lot.programme)
        totals[issued] = totals.get(issued, 0) - lot.kg
        for p in holdings.pieces:
            account = account_of(p.holder, p.state, lot.programme)
            totals[account] = totals.get(account, 0) + count(p.first, p.last) * lot.unit_kg
    return totals


__all__ = ["KINDS", "PROGRAMMES", "Book", "Lot", "Problem", "Project"]
