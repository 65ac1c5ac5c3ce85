"""The units projection: projects, lots, holdings, the sales register and holder names, written
in the append's transaction and re-derived by ``log verify``.

:class:`UnitsProjector` is where the serial invariant is enforced on every append, whichever
path appends: it loads the part of the book an append concerns (the projects and lots it names,
and the pieces of each lot over the span of serials it moves), applies the entries with
:class:`ledger.units.book.Book`, and refuses the whole append on the first problem (a
:class:`~ledger.core.errors.ConflictError` naming the serials and the entries that hold them).
The services read the same tables to choose serials and build entries; this is the check.

The replay keeps every ``units.*`` entry (compactly) and the CO2E total of every account, and
at the end applies them in order to an empty book: each problem is a finding (a double
retirement, serials moved that were not held, postings that do not match the serials), the
stored rows are compared with the book's, and the CO2E balance of every account the serials
touch must be what its serials weigh (otherwise serials were lost or made up).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from ledger.core.entry import Entry
from ledger.core.errors import ConflictError, LedgerError, NotFoundError, ValidationError
from ledger.core.findings import Finding
from ledger.services.bulk import insert_many
from ledger.services.projections import Leg, Replay, compare, stream
from ledger.units import model
from ledger.units.book import (
    DISPOSALS,
    ISSUE,
    KINDS,
    ONEYUAN,
    PLEDGE,
    PROJECT,
    SALE,
    TRANSFER,
    VALIDATORS,
    Book,
    Lot,
    Problem,
    Project,
    account_kilograms,
    kg_of,
)
from ledger.units.model import Conflict, LotHoldings, Piece, beijing_date, parse_holder
from ledger.units.tables import UnitsHolder, UnitsHolding, UnitsLot, UnitsProject, UnitsSale

PROJECT_T = UnitsProject.__table__
LOT_T = UnitsLot.__table__
HOLDING_T = UnitsHolding.__table__
SALE_T = UnitsSale.__table__
HOLDER_T = UnitsHolder.__table__
TABLES = (SALE_T, HOLDING_T, LOT_T, PROJECT_T, HOLDER_T)


_PROJECT_COLS = tuple(c.name for c in PROJECT_T.c)
_LOT_COLS = tuple(c.name for c in LOT_T.c)
_HOLDING_COLS = ("lot", "first", "last", "holder", "village", "state", "pledgee", "seq")
#: The order of :func:`sale_row` (``insert_many`` checks it against the table's).
_SALE_COLS = (
    "seq", "kind", "date", "project", "programme", "division", "serials", "vintages", "kg",
    "seller", "seller_village", "buyer_type", "buyer_name", "buyer_code", "buyer_uscc", "use",
    "retired", "price_fen_per_t", "total_fen", "order_id", "certificate_no", "paid_at",
    "trade_ref", "public",
)  # fmt: skip
_INSERT_PROJECT = insert(PROJECT_T)
_INSERT_LOT = insert(LOT_T)
_INSERT_HOLDING = insert(HOLDING_T)
_INSERT_SALE = insert(SALE_T)
_DELETE_HOLDING = delete(HOLDING_T).where(
    HOLDING_T.c.lot == bindparam("d_lot"), HOLDING_T.c.first == bindparam("d_first")
)


def _pieces_over():
    """The pieces of ``:lot`` holding any serial in ``:lo..:hi``, found through the primary
    key ``(lot, first)`` without reading the pieces below the span: a lot's pieces never
    overlap, so the only one that starts before ``:lo`` and reaches it is the last to start
    at or before ``:lo``."""
    lot, first = HOLDING_T.c.lot, HOLDING_T.c.first
    lo = bindparam("lo", type_=first.type)
    start = (
        select(first)
        .where(lot == bindparam("lot"), first <= lo)
        .order_by(first.desc())
        .limit(1)
        .scalar_subquery()
    )
    return select(
        first, HOLDING_T.c.last, HOLDING_T.c.holder, HOLDING_T.c.state, HOLDING_T.c.pledgee,
        HOLDING_T.c.seq,
    ).where(
        lot == bindparam("lot"),
        first >= func.coalesce(start, lo),
        first <= bindparam("hi"),
        HOLDING_T.c.last >= lo,
    )  # fmt: skip


_PIECES_OVER = _pieces_over()
_PROJECTS = select(PROJECT_T).where(PROJECT_T.c.project.in_(bindparam("codes", expanding=True)))
_LOTS = select(LOT_T).where(LOT_T.c.lot.in_(bindparam("lots", expanding=True)))
_LOTS_OR_PREFIXES = _LOTS.union(
    select(LOT_T).where(LOT_T.c.serial_prefix.in_(bindparam("prefixes", expanding=True)))
)

CONFLICT_CODES = frozenset(
    {"units.conflict", "units.double_retirement", "units.double_issue", "units.lot_exists",
     "units.project_exists"}
)  # fmt: skip
NOT_FOUND_CODES = frozenset({"units.project_unknown", "units.lot_unknown"})


def _serials_text(c: Conflict, lots: Mapping[str, Lot]) -> str:
    lot = lots.get(c.lot)
    return lot.format(c.first, c.last) if lot else f"{c.lot} {c.first}–{c.last}"


def refusal(problem: Problem, lots: Mapping[str, Lot]) -> LedgerError:
    """The error that refuses an append with this problem. Conflicts carry ``serials`` (as
    people write them, without holders: pages show them), ``entries`` (the seqs holding them)
    and the ``conflicts`` themselves; the message names holders and states too."""
    details: dict[str, Any] = {}
    if problem.conflicts:
        details = {
            "serials": "; ".join(_serials_text(c, lots) for c in problem.conflicts),
            "entries": ", ".join(
                sorted({str(c.seq) for c in problem.conflicts if c.seq is not None}, key=int)
            ),
            "conflicts": [c.as_dict() for c in problem.conflicts],
        }
    if problem.code in CONFLICT_CODES:
        return ConflictError(problem.code, problem.message, details)
    if problem.code in NOT_FOUND_CODES:
        return NotFoundError(problem.code, problem.message, details)
    return ValidationError(problem.code, problem.message, details)


# --- rows ---------------------------------------------------------------------------------


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def project_row(p: Project, body: Mapping[str, Any]) -> tuple:
    details = {
        "monitoring_periods": body.get("monitoring_periods", []),
        "registry_ids": body.get("registry_ids", {}),
        "registrar": body.get("registrar", ""),
    }
    values = {
        "project": p.project,
        "programme": p.programme,
        "name": p.name,
        "owner": p.owner,
        "owner_name": p.owner_name,
        "division": p.division,
        "area_mu": p.area_mu,
        "methodology": p.methodology,
        "crediting_start": p.crediting_start,
        "crediting_end": p.crediting_end,
        "details": _json(details),
        "seq": p.seq,
    }
    return tuple(values[c] for c in _PROJECT_COLS)


def lot_row(lot: Lot) -> tuple:
    return tuple(getattr(lot, c) for c in _LOT_COLS)


def _lot_of(row: Any) -> Lot:
    return Lot(**{c: row._mapping[c] for c in _LOT_COLS})


def _project_of(row: Any) -> Project:
    m = row._mapping
    return Project(**{k: m[k] for k in Project.__slots__})


def holding_row(lot: str, p: Piece) -> tuple:
    holder = parse_holder(p.holder)
    village = holder.village if holder is not None else None
    return (lot, p.first, p.last, p.holder, village, p.state, p.pledgee, p.seq)


def sale_row(seq: int, kind: str, body: Mapping[str, Any], lots: Mapping[str, Lot]) -> tuple:
    """The ``units_sale`` row (in :data:`_SALE_COLS` order) of a sale, one-yuan purchase or
    retirement."""
    serials = body["serials"]
    first_lot = lots[serials[0][0]]
    if kind == ONEYUAN:
        seller, buyer, use, retired = body["seller"], body["buyer"], "personal", True
        date, price, total = (
            beijing_date(body["paid_at"]),
            model.ONE_YUAN_PRICE_FEN_PER_T,
            body["amount_fen"],
        )
    elif kind == SALE:
        seller, buyer, use, retired = body["seller"], body["buyer"], body["use"], body["retired"]
        date, price, total = body["date"], body["price_fen_per_t"], body["total_fen"]
    else:
        seller, buyer, use, retired = body["holder"], body["beneficiary"], body["use"], True
        date, price, total = body["date"], None, None
    holder = parse_holder(seller)
    if len(serials) == 1:
        vintages = str(first_lot.vintage)
    else:
        vintages = ",".join(sorted({str(lots[s[0]].vintage) for s in serials}))
    return (
        seq,
        kind.removeprefix("units."),
        date,
        body["project"],
        first_lot.programme,
        body["division"],
        _json(serials),
        vintages,
        kg_of(serials, lots),
        seller,
        holder.village if holder is not None else None,
        buyer["type"],
        buyer.get("name"),
        buyer.get("code"),
        buyer.get("uscc"),
        use,
        retired,
        price,
        total,
        body.get("order_id"),
        body.get("certificate_no"),
        body.get("paid_at"),
        body.get("trade_ref"),
        retired or buyer["type"] != "person",
    )


def holder_names(kind: str, body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(account, name)`` for the holders an entry names in words."""
    if kind == PROJECT and body.get("owner_name"):
        return [(body["owner"], body["owner_name"])]
    if kind == TRANSFER and body.get("to_name"):
        return [(body["to"], body["to_name"])]
    if kind == SALE and not body["retired"]:
        return [(model.buyer_account(body["buyer"]), body["buyer"]["name"])]
    if kind == PLEDGE:  # the bank, under its company account (it holds nothing)
        pledgee = body["pledgee"]
        return [(f"Assets:Company:{pledgee['uscc']}", pledgee["name"])]
    return []


def _holder_upsert(dialect):
    stmt = dialect.insert(HOLDER_T)
    return stmt.on_conflict_do_update(
        index_elements=["account"], set_={"name": stmt.excluded.name, "seq": stmt.excluded.seq}
    )


_HOLDER_UPSERT = {"postgresql": _holder_upsert(postgresql), "sqlite": _holder_upsert(sqlite)}


# --- the projector ------------------------------------------------------------------------


class UnitsProjector:
    """Writes the units tables for ``units.*`` entries and enforces the serial invariant."""

    name = "units"
    kinds = frozenset(KINDS)
    logs = frozenset({"main"})
    rebuildable = True

    def apply(self, conn: Connection, log: str, entries: Sequence[Entry]) -> None:
        book, loaded = _load(conn, entries)
        projects, lots, sales = [], [], []
        names: dict[str, tuple[str, int]] = {}
        legs_of: dict[int, list[tuple]] = {}  # entries of an import share their postings
        for e in entries:
            legs = legs_of.get(id(e.postings))
            if legs is None:
                legs = legs_of[id(e.postings)] = [
                    (p.account, p.commodity, p.amount) for p in e.postings
                ]
            problems = book.apply(e.seq, e.kind, e.body, legs)
            if problems:
                raise refusal(problems[0], book.lots)
            if e.kind == PROJECT:
                projects.append(project_row(book.projects[e.body["project"]], e.body))
            elif e.kind == ISSUE:
                lots.append(lot_row(book.lots[e.body["lot"]]))
            elif e.kind in DISPOSALS:
                sales.append(sale_row(e.seq, e.kind, e.body, book.lots))
            for account, name in holder_names(e.kind, e.body):
                names[account] = (name, e.seq)
        insert_many(conn, _INSERT_PROJECT, _PROJECT_COLS, projects)
        insert_many(conn, _INSERT_LOT, _LOT_COLS, lots)
        _write_pieces(conn, book, loaded)
        insert_many(conn, _INSERT_SALE, _SALE_COLS, sales)
        if names:
            upsert = _HOLDER_UPSERT["postgresql" if conn.dialect.name == "postgresql" else "sqlite"]
            conn.execute(
                upsert,
                [{"account": a, "name": n, "seq": s} for a, (n, s) in sorted(names.items())],
            )

    def replay(self, log: str) -> Replay:
        return _UnitsReplay(log)

    def clear(self, conn: Connection, log: str) -> None:
        for table in TABLES:
            conn.execute(delete(table))


def _spans(entries: Sequence[Entry]) -> dict[str, list[int]]:
    """Per lot, the lowest and highest serial the entries move."""
    spans: dict[str, list[int]] = {}
    for e in entries:
        if e.kind in (PROJECT, ISSUE):
            continue
        for lot, first, last in e.body["serials"]:
            span = spans.get(lot)
            if span is None:
                spans[lot] = [first, last]
            else:
                span[0], span[1] = min(span[0], first), max(span[1], last)
    return spans


def _load(conn: Connection, entries: Sequence[Entry]) -> tuple[Book, dict[str, set[tuple]]]:
    """The part of the book ``entries`` concern, and the holding rows loaded per lot."""
    book = Book()
    codes = sorted({e.body["project"] for e in entries})
    for row in conn.execute(_PROJECTS, {"codes": codes}):
        book.projects[row.project] = _project_of(row)
    spans = _spans(entries)
    lot_ids = sorted(set(spans) | {e.body["lot"] for e in entries if e.kind == ISSUE})
    prefixes = sorted({e.body["serial_prefix"] for e in entries if e.kind == ISSUE})
    found = _LOTS_OR_PREFIXES if prefixes else _LOTS
    for row in conn.execute(found, {"lots": lot_ids, "prefixes": prefixes}):
        book.add_lot(_lot_of(row))
    loaded: dict[str, set[tuple]] = {}
    for lot, (lo, hi) in sorted(spans.items()):
        if lot not in book.lots:
            continue
        rows = conn.execute(_PIECES_OVER, {"lot": lot, "lo": lo, "hi": hi}).all()
        pieces = [Piece(*row) for row in rows]
        book.holdings[lot] = LotHoldings(pieces)
        loaded[lot] = {p.row() for p in pieces}
    return book, loaded


def _write_pieces(conn: Connection, book: Book, loaded: Mapping[str, set[tuple]]) -> None:
    """Replace the loaded pieces that changed: delete what is gone, insert what is new."""
    gone, new = [], []
    for lot in sorted(book.changed):
        before = loaded.get(lot, set())
        after = {p.row(): p for p in book.holdings[lot].pieces}
        gone.extend((lot, row[0]) for row in before - after.keys())
        new.extend(holding_row(lot, after[row]) for row in after.keys() - before)
    insert_many(conn, _DELETE_HOLDING, ("d_lot", "d_first"), gone)
    insert_many(conn, _INSERT_HOLDING, _HOLDING_COLS, new)


# --- the replay ---------------------------------------------------------------------------


class _UnitsReplay:
    """``ops``: every ``units.*`` entry as ``(seq, kind, JSON of [body, postings])``;
    ``co2e``: the CO2E total of every account over the whole log."""

    kinds = None  # every entry's CO2E postings count

    def __init__(self, log: str):
        self.log = log
        self.ops: list[tuple[int, str, bytes]] = []
        self.co2e: dict[str, int] = {}

    def feed(self, seq, kind, time, actor, body, postings: tuple[Leg, ...]) -> None:
        co2e = self.co2e
        for account, commodity, amount in postings:
            if commodity == "CO2E":
                co2e[account] = co2e.get(account, 0) + amount
        if kind in UnitsProjector.kinds:
            self.ops.append((seq, kind, orjson.dumps([body, postings])))

    def merge(self, later: _UnitsReplay) -> None:
        self.ops.extend(later.ops)
        co2e = self.co2e
        for account, amount in later.co2e.items():
            co2e[account] = co2e.get(account, 0) + amount

    def findings(self, conn: Connection) -> Iterator[Finding]:
        book = Book()
        projects: dict[tuple, tuple] = {}
        lots: dict[tuple, tuple] = {}
        sales: dict[tuple, tuple] = {}
        names: dict[str, tuple[str, int]] = {}
        for seq, kind, blob in self.ops:
            body, postings = orjson.loads(blob)
            if not isinstance(body, dict) or VALIDATORS[kind](body, "body"):
                yield self._finding("units.body", f"the {kind} body is malformed", seq)
                continue
            problems = book.apply(seq, kind, body, [tuple(leg) for leg in postings])
            for problem in problems:
                yield self._finding(problem.code, problem.message, seq)
            if problems:
                continue
            if kind == PROJECT:
                projects[(body["project"],)] = project_row(book.projects[body["project"]], body)
            elif kind == ISSUE:
                lots[(body["lot"],)] = lot_row(book.lots[body["lot"]])
            elif kind in DISPOSALS:
                sales[(seq,)] = sale_row(seq, kind, body, book.lots)
            for account, name in holder_names(kind, body):
                names[account] = (name, seq)
        yield from self._reconcile(book)
        pieces = {
            (lot, p.first): holding_row(lot, p)
            for lot, holdings in book.holdings.items()
            for p in holdings.pieces
        }
        holders = {(a,): (a, n, s) for a, (n, s) in names.items()}
        yield from self._compare(conn, PROJECT_T, ("project",), projects)
        yield from self._compare(conn, LOT_T, ("lot",), lots)
        yield from self._compare(conn, HOLDING_T, ("lot", "first"), pieces)
        yield from self._compare(conn, SALE_T, ("seq",), sales)
        yield from self._compare(conn, HOLDER_T, ("account",), holders)

    def _finding(self, code: str, message: str, seq: int | None) -> Finding:
        return Finding(code, message, seq, self.log)

    def _reconcile(self, book: Book) -> Iterator[Finding]:
        """Every account the serials touch holds, in CO2E, exactly what its serials weigh."""
        for account, kg in sorted(account_kilograms(book).items()):
            balance = self.co2e.get(account, 0)
            if balance != kg:
                yield self._finding(
                    "units.lost_serials",
                    f"the serials in {account} weigh {kg} kg but its CO2E balance is "
                    f"{balance} kg: serials were lost, or carbon moved without its serials",
                    None,
                )

    def _compare(
        self, conn: Connection, table, key: tuple[str, ...], expected: Mapping[tuple, tuple]
    ) -> Iterator[Finding]:
        """A finding for every stored row of ``table`` that differs from ``expected`` (rows in
        the table's column order, keyed by the ``key`` columns), and every missing row."""
        names = [c.name for c in table.c]
        at = [names.index(c) for c in key]
        seq_at = names.index("seq")
        rows = stream(conn, select(table).order_by(*(table.c[c] for c in key)))
        stored = ((tuple(r[i] for i in at), tuple(r)) for r in rows)
        for found, have, want in compare(stored, expected):
            row = want if want is not None else have
            yield self._finding(
                f"projection.{table.name}",
                f"the {table.name} row {'/'.join(map(str, found))} does not match the log",
                row[seq_at],
            )


__all__ = ["UnitsProjector", "refusal"]
