"""One-yuan carbon purchases, imported from the mini-programme's export.

The file is CSV (UTF-8, a byte-order mark allowed) with the header
``order_id,paid_at,buyer,amount_yuan,kg,certificate_no,project_code`` (in any order).
``paid_at`` is Beijing time ``YYYY-MM-DD HH:MM:SS`` or ISO 8601 with an offset;
``amount_yuan`` a whole number of yuan (``12``, or ``12.00``); ``kg`` = 10 × ``amount_yuan``.

An import is all or nothing: every line is checked first, and any bad line refuses the whole
file with every bad line reported (its line number and reason; within a line, reasons in this
order): ``kg`` ≠ 10 × yuan; an amount that is not a positive whole number of yuan; an unknown
project; an order id repeated in the file, or already in the log with other content; a
malformed or future time; more than the project has left; missing or extra columns (or an
empty or malformed value). Orders already in the log with the same content are skipped, so
importing the same file again, or an overlapping one, writes nothing for them.

What is written, in one :func:`ledger.services.log.write` transaction: a ``doc.anchor`` of the
file's SHA-256, then one ``units.oneyuan`` entry per new purchase (so each buyer's certificate
can carry its own inclusion proof), retiring the next serials the project's owner holds for
the buyer and posting the yuan to the owner. The buyer's name is personal data: it goes to the
vault, and the entry carries the vault code. Entries, postings, projections and vault rows are
inserted in bulk.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import starmap
from operator import methodcaller
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, select

from ledger.core.entry import EntryDraft, Posting
from ledger.core.errors import ValidationError
from ledger.jobs.runner import JobContext, JobKind
from ledger.platform import N_
from ledger.platform.memory import without_gc
from ledger.services.anchors import anchor_draft
from ledger.services.bulk import write_behind
from ledger.services.clock import utc_now
from ledger.services.log import write
from ledger.storage.db import among, sqlite_cache_for_entries
from ledger.units import book, model
from ledger.units.model import HELD
from ledger.units.projection import HOLDING_T, LOT_T, PROJECT_T, SALE_T
from ledger.vault import service as vault_service
from ledger.vault.crypto import Vault
from ledger.vault.fields import NAME, normalise
from ledger.vault.model import BUYER
from ledger.vault.tables import VaultFieldRow

HEADER = ("order_id", "paid_at", "buyer", "amount_yuan", "kg", "certificate_no", "project_code")
#: The classes of bad lines, in the order a line's reasons are reported.
REASONS = ("kg", "amount", "project", "order", "time", "oversold", "columns")
#: What each reason says, for people (``%(…)s`` from the bad line's ``params``).
MESSAGES = {
    "kg": N_("kg must be 10 × amount_yuan (%(expected)s), not %(kg)s"),
    "kg_syntax": N_("kg must be a whole number of kilograms, not %(kg)s"),
    "amount": N_("amount_yuan must be a positive whole number of yuan, not %(amount)s"),
    "project": N_("there is no one-yuan project %(project)s"),
    "order_repeated": N_("order %(order)s repeats line %(first)s"),
    "order_conflict": N_(
        "order %(order)s is already in the log (entry %(seq)s) with other content"
    ),
    "order_syntax": N_("order_id must be 1 to 64 visible ASCII characters"),
    "time": N_("paid_at must be a Beijing time YYYY-MM-DD HH:MM:SS, or ISO 8601 with an offset"),
    "time_future": N_("paid_at %(paid_at)s is in the future"),
    "oversold": N_("project %(project)s has %(left)s kg left; this purchase needs %(kg)s kg"),
    "columns": N_("expected 7 values, found %(count)s"),
    "header": N_(
        "the header must name the columns %(expected)s (missing: %(missing)s; extra: %(extra)s)"
    ),
    "empty_value": N_("%(column)s is empty"),
    "bad_value": N_("%(column)s is not valid"),
    "encoding": N_("the file is not UTF-8 text from here on"),
    "no_rows": N_("the file has no purchases"),
}
#: The class each reason belongs to.
CLASS_OF = {
    "kg": "kg",
    "kg_syntax": "kg",
    "amount": "amount",
    "project": "project",
    "order_repeated": "order",
    "order_conflict": "order",
    "order_syntax": "order",
    "time": "time",
    "time_future": "time",
    "oversold": "oversold",
    "columns": "columns",
    "header": "columns",
    "empty_value": "columns",
    "bad_value": "columns",
    "encoding": "columns",
    "no_rows": "columns",
}
_WHOLE_YUAN = re.compile(r"\d{1,12}(\.0{1,2})?")
_KG = re.compile(r"\d{1,15}")
_ORDER = re.compile(r"[!-~]{1,64}")
_BEIJING_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_BEIJING_OFFSET = timedelta(hours=8)
#: The patterns above over a column's values a line each (see :func:`model.matches_each_line`).
_WHOLE_YUAN_LINES, _KG_LINES, _ORDER_LINES, _BEIJING_TIME_LINES = map(
    model.each_line, (_WHOLE_YUAN, _KG, _ORDER, _BEIJING_TIME)
)
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})")
CHECK_EVERY = 2000
#: Purchases appended at a time: while the rows of one part are written (on SQLite by a
#: second thread, see :func:`ledger.services.bulk.write_behind`), the next is checked and
#: sealed.
APPEND_CHUNK = 10_000
Progress = Callable[..., None]


@dataclass(frozen=True, slots=True)
class BadLine:
    """A bad line: its number (1 is the header), the reason's ``code`` (a key of
    :data:`MESSAGES`) and ``params``; ``reason`` says it in English."""

    line: int
    code: str
    params: Mapping[str, Any]

    @property
    def reason(self) -> str:
        return MESSAGES[self.code] % self.params

    def as_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "reason": self.reason,
            "code": self.code,
            "params": dict(self.params),
        }

    def sort_key(self) -> tuple[int, int]:
        return self.line, REASONS.index(CLASS_OF[self.code])


class Purchase(NamedTuple):
    """A good line: ``paid_at`` in UTC (``YYYY-MM-DDTHH:MM:SSZ``), amounts in fen and kg,
    ``buyer`` the name as it will be stored in the vault. (A named tuple: a file makes one
    per line, and a tuple is made in a quarter of the time of a frozen dataclass.)"""

    line: int
    order_id: str
    paid_at: str
    buyer: str
    amount_fen: int
    kg: int
    certificate_no: str
    project: str


@dataclass(frozen=True)
class ImportResult:
    """How an import ended: ``imported`` purchases written, ``skipped_existing`` already in
    the log, ``entries`` appended (the purchases and the file's anchor), their seq range."""

    imported: int
    skipped_existing: int
    entries: int
    first_seq: int | None
    last_seq: int | None
    sha256: str

    def as_json(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "skipped_existing": self.skipped_existing,
            "entries": self.entries,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
        }


def bad_lines_error(bad: Sequence[BadLine]) -> ValidationError:
    ordered = sorted(bad, key=BadLine.sort_key)
    first = ordered[0]
    return ValidationError(
        "oneyuan.bad_lines",
        f"{len({b.line for b in ordered})} bad lines, nothing imported; line {first.line}: "
        f"{first.reason}",
        {"count": len({b.line for b in ordered}), "errors": [b.as_json() for b in ordered]},
    )


# --- reading the file ----------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, BadLine | None]:
    """The text of the file, and where it stops being UTF-8 (the text is cut there)."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        good = data[: exc.start].rsplit(b"\n", 1)[0] if b"\n" in data[: exc.start] else b""
        return good.decode("utf-8-sig"), BadLine(line, "encoding", {})


def _paid_at(text: str, now: datetime) -> tuple[str | None, BadLine | None]:
    """(UTC time ``YYYY-MM-DDTHH:MM:SSZ``, None), or (None, the reason it is bad). ``now`` is
    a naive UTC time."""
    try:
        if _BEIJING_TIME.fullmatch(text):
            utc = datetime.fromisoformat(text) - _BEIJING_OFFSET
        elif _ISO_TIME.fullmatch(text):
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            utc = moment.astimezone(UTC).replace(tzinfo=None)
        else:
            raise ValueError(text)
    except ValueError:
        return None, BadLine(0, "time", {})
    if utc > now:
        return None, BadLine(0, "time_future", {"paid_at": text})
    return utc.isoformat() + "Z", None


def read_purchases(
    data: bytes, *, now: str | None = None, progress: Progress | None = None
) -> tuple[list[Purchase], list[BadLine], list[tuple[int, str]]]:
    """Check every line of the file on its own (what needs the log is checked later): the
    good purchases, every bad line's reasons, and ``(line, project code)`` of the bad lines
    (their project is checked against the log too, so every reason is reported)."""
    text, broken = _decode(data)
    bad: list[BadLine] = [broken] if broken else []
    clock = datetime.fromisoformat(now or utc_now()).astimezone(UTC).replace(tzinfo=None)
    rows = csv.reader(io.StringIO(text, newline=""))
    total = text.count("\n") + 1
    try:
        header = [cell.strip() for cell in next(rows)]
    except (StopIteration, csv.Error):
        return [], [*bad, BadLine(1, "no_rows", {})], []
    if sorted(header) != sorted(HEADER) or len(header) != len(HEADER):
        missing = [c for c in HEADER if c not in header]
        extra = [c for c in header if c not in HEADER] or ["—"] * (len(header) > len(HEADER))
        bad.append(
            BadLine(
                1,
                "header",
                {
                    "expected": ",".join(HEADER),
                    "missing": ", ".join(missing) or "—",
                    "extra": ", ".join(extra) or "—",
                },
            )
        )
        return [], bad, []
    at = {name: header.index(name) for name in HEADER}
    if broken is None:
        plain = _read_plain(text, at, clock)
        if plain is not None:
            if progress is not None:
                for n in range(0, len(plain), CHECK_EVERY):
                    progress("checking", n + 2, total)
            return plain, [], []
    purchases: list[Purchase] = []
    bad_projects: list[tuple[int, str]] = []
    first_line: dict[str, int] = {}
    names: dict[str, str] = {}
    line = 1
    try:
        for n, row in enumerate(rows):
            start, line = line + 1, rows.line_num
            if progress is not None and n % CHECK_EVERY == 0:
                progress("checking", line, total)
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            purchase, problems = _check_line(start, row, at, clock, first_line, names)
            if purchase is not None:
                purchases.append(purchase)
            elif len(row) == len(HEADER) and all(p.code != "project" for p in problems):
                bad_projects.append((start, row[at["project_code"]].strip()))
            bad.extend(problems)
    except csv.Error as exc:
        bad.append(BadLine(rows.line_num, "bad_value", {"column": f"CSV ({exc})"}))
    if not purchases and not bad:
        bad.append(BadLine(2, "no_rows", {}))
    return purchases, bad, bad_projects


def _read_plain(text: str, at: Mapping[str, int], now: datetime) -> list[Purchase] | None:
    """The purchases of a file whose lines are all good, checked a column at a time, for the
    usual file: no quotes, carriage returns, NUL characters or blank lines (so each line is a
    row, its values between commas), times in Beijing time. None for any other file, and when
    any line is bad: then :func:`_check_line` reads the lines one by one and names every bad
    line. What it returns is what :func:`_check_line` makes of each line."""
    if '"' in text or "\r" in text or "\x00" in text:
        return None
    lines = text.split("\n")[1:]
    if lines and not lines[-1]:
        lines.pop()  # the newline that ends the last line
    rows = list(map(methodcaller("split", ","), lines))
    if not rows or set(map(len, rows)) != {len(HEADER)}:
        return None
    columns = list(zip(*rows, strict=True))
    v = {name: list(map(str.strip, columns[i])) for name, i in at.items()}
    if not all(map(all, v.values())):
        return None  # an empty value
    amounts, kgs, orders, certs = v["amount_yuan"], v["kg"], v["order_id"], v["certificate_no"]
    if not (
        model.matches_each_line(_WHOLE_YUAN_LINES, amounts)
        and model.matches_each_line(_KG_LINES, kgs)
        and model.matches_each_line(_ORDER_LINES, orders)
        and model.matches_each_line(_ORDER_LINES, certs)
        and model.matches_each_line(_BEIJING_TIME_LINES, v["paid_at"])
        and len(set(orders)) == len(orders)
        and all(map(model.PROJECT_RE.fullmatch, set(v["project_code"])))
    ):
        return None
    if any("." in a for a in amounts):
        yuan = [int(a.split(".")[0]) for a in amounts]
    else:
        yuan = list(map(int, amounts))
    kg = list(map(int, kgs))
    per_yuan = itertools.repeat(model.ONE_YUAN_KG_PER_YUAN)
    if 0 in yuan or kg != list(map(operator.mul, yuan, per_yuan)):
        return None
    try:
        moments = list(map(datetime.fromisoformat, v["paid_at"]))
    except ValueError:
        return None
    utc = list(map(operator.sub, moments, itertools.repeat(_BEIJING_OFFSET)))
    if max(utc) > now:
        return None
    paid_at = list(map(operator.add, map(datetime.isoformat, utc), itertools.repeat("Z")))
    names: dict[str, str] = {}
    try:
        for buyer in set(v["buyer"]):
            names[buyer] = normalise(NAME, buyer).display
    except ValidationError:
        return None
    buyers = list(map(names.__getitem__, v["buyer"]))
    fen = list(map(operator.mul, yuan, itertools.repeat(100)))
    numbers = range(2, len(rows) + 2)
    return list(map(Purchase, numbers, orders, paid_at, buyers, fen, kg, certs, v["project_code"]))


def _check_line(
    line: int,
    row: list[str],
    at: Mapping[str, int],
    now: datetime,
    first_line: dict[str, int],
    names: dict[str, str],
) -> tuple[Purchase | None, list[BadLine]]:
    """A line's purchase, or its problems. ``first_line`` is where each order id was first
    seen, ``names`` the buyers' names normalised so far (each name given is checked once)."""
    if len(row) != len(HEADER):
        return None, [BadLine(line, "columns", {"count": len(row)})]
    v = {name: row[i].strip() for name, i in at.items()}
    problems: list[BadLine] = []
    later: list[BadLine] = []  # the "columns" class: reported last
    for name in HEADER:
        if not v[name]:
            later.append(BadLine(line, "empty_value", {"column": name}))
    amount = v["amount_yuan"]
    yuan = int(amount.split(".")[0]) if _WHOLE_YUAN.fullmatch(amount) else None
    if yuan == 0:
        yuan = None
    kg = int(v["kg"]) if _KG.fullmatch(v["kg"]) else None
    if v["kg"] and kg is None:
        problems.append(BadLine(line, "kg_syntax", {"kg": v["kg"]}))
    elif kg is not None and yuan is not None and kg != model.ONE_YUAN_KG_PER_YUAN * yuan:
        problems.append(
            BadLine(line, "kg", {"kg": kg, "expected": model.ONE_YUAN_KG_PER_YUAN * yuan})
        )
    if v["amount_yuan"] and yuan is None:
        problems.append(BadLine(line, "amount", {"amount": v["amount_yuan"]}))
    if v["project_code"] and not model.PROJECT_RE.fullmatch(v["project_code"]):
        problems.append(BadLine(line, "project", {"project": v["project_code"]}))
    order = v["order_id"]
    if order:
        if not _ORDER.fullmatch(order):
            problems.append(BadLine(line, "order_syntax", {}))
        elif order in first_line:
            problems.append(
                BadLine(line, "order_repeated", {"order": order, "first": first_line[order]})
            )
        else:
            first_line[order] = line
    paid_at = None
    if v["paid_at"]:
        paid_at, problem = _paid_at(v["paid_at"], now)
        if problem is not None:
            problems.append(BadLine(line, problem.code, problem.params))
    name = None
    if v["buyer"]:
        name = names.get(v["buyer"])
        if name is None:
            try:
                name = names[v["buyer"]] = normalise(NAME, v["buyer"]).display
            except ValidationError:
                later.append(BadLine(line, "bad_value", {"column": "buyer"}))
    cert = v["certificate_no"]
    if cert and not _ORDER.fullmatch(cert):
        later.append(BadLine(line, "bad_value", {"column": "certificate_no"}))
    problems.extend(later)
    if problems:
        return None, problems
    purchase = Purchase(line, order, paid_at, name, yuan * 100, kg, cert, v["project_code"])
    return purchase, []


# --- checking against the log, and writing ------------------------------------------------


_ORDER_COLUMNS = (
    SALE_T.c.order_id, SALE_T.c.seq, SALE_T.c.project, SALE_T.c.paid_at, SALE_T.c.total_fen,
    SALE_T.c.kg, SALE_T.c.certificate_no, SALE_T.c.buyer_code,
)  # fmt: skip


def _existing(conn: Connection, orders: Sequence[str]) -> dict[str, Any]:
    """The sales register rows of the orders already in the log."""
    found = {}
    for start in range(0, len(orders), 5000):
        chunk = orders[start : start + 5000]
        for row in conn.execute(select(*_ORDER_COLUMNS).where(among(SALE_T.c.order_id, chunk))):
            found[row.order_id] = row
    return found


def _buyer_lookups(conn: Connection, codes: Sequence[str]) -> dict[str, bytes]:
    """The vault's keyed hash of the name of each buyer code (erased records have none)."""
    field = VaultFieldRow.__table__
    found = {}
    for start in range(0, len(codes), 5000):
        chunk = codes[start : start + 5000]
        stmt = select(field.c.code, field.c.lookup).where(
            among(field.c.code, chunk), field.c.field == NAME
        )
        found.update((code, bytes(lookup)) for code, lookup in conn.execute(stmt))
    return found


def _same(row: Any, lookup: bytes | None, vault: Vault, p: Purchase) -> bool:
    """Whether an order in the log has this purchase's content (the buyer's name compared by
    the vault's keyed hash; an erased record cannot say otherwise)."""
    return (row.project, row.paid_at, row.total_fen, row.kg, row.certificate_no) == (
        p.project,
        p.paid_at,
        p.amount_fen,
        p.kg,
        p.certificate_no,
    ) and (lookup is None or lookup == vault.lookup_hash(NAME, normalise(NAME, p.buyer).key))


class _Allocator:
    """Hands out a project owner's held serials, lowest first, purchase by purchase."""

    def __init__(self, pieces: list[list], units: Mapping[str, int]):
        self.pieces = pieces  # [lot, first, last], consumed from the front
        self.units = units
        self.left = sum(model.count(f, la) * units[lot] for lot, f, la in pieces)
        self.i = 0

    def take(self, kg: int) -> list[list] | None:
        if kg > self.left:
            return None
        out, need, i = [], kg, self.i
        pieces = self.pieces
        while need:
            lot, first, last = pieces[i]
            unit = self.units[lot]
            if need % unit:
                return None
            n = min(last - first + 1, need // unit)
            out.append([lot, first, first + n - 1])
            need -= n * unit
            if first + n > last:
                i += 1
            else:
                pieces[i] = [lot, first + n, last]
        self.i = i
        self.left -= kg
        return out if len(out) == 1 else model.normalise_serials(out)


def _projects(conn: Connection, codes: Sequence[str], within: str | None) -> dict[str, Any]:
    rows = conn.execute(
        select(PROJECT_T).where(PROJECT_T.c.project.in_(codes), PROJECT_T.c.programme == "one_yuan")
    )
    return {r.project: r for r in rows if within is None or r.division.startswith(within)}


def _allocators(conn: Connection, projects: Mapping[str, Any]) -> tuple[dict, dict]:
    allocators, lots = {}, {}
    for code, p in projects.items():
        lot_rows = conn.execute(
            select(LOT_T).where(LOT_T.c.project == code).order_by(LOT_T.c.seq)
        ).all()
        units = {r.lot: r.unit_kg for r in lot_rows}
        lots.update(
            {r.lot: book.Lot(**{c.name: r._mapping[c.name] for c in LOT_T.c}) for r in lot_rows}
        )
        pieces = conn.execute(
            select(HOLDING_T.c.lot, HOLDING_T.c.first, HOLDING_T.c.last)
            .join(LOT_T, LOT_T.c.lot == HOLDING_T.c.lot)
            .where(
                LOT_T.c.project == code, HOLDING_T.c.holder == p.owner, HOLDING_T.c.state == HELD
            )
            .order_by(LOT_T.c.seq, HOLDING_T.c.first)
        ).all()
        allocators[code] = _Allocator([list(r) for r in pieces], units)
    return allocators, lots


def import_purchases(
    engine: Engine,
    vault: Vault,
    data: bytes,
    *,
    actor: str,
    within: str | None = None,
    progress: Progress | None = None,
    now: str | None = None,
) -> ImportResult:
    """Import a mini-programme export (see the module's docstring). Raises ValidationError
    ``oneyuan.bad_lines`` with ``details["errors"]`` (every bad line, in order) and writes
    nothing when any line is bad. ``within`` limits the projects to a bureau's division."""
    sha256 = hashlib.sha256(data).hexdigest()
    with without_gc():  # many small objects and no cycles: collections would cost a sixth
        return _import(engine, vault, data, sha256, actor, within, progress, now)


def _import(engine, vault, data, sha256, actor, within, progress, now) -> ImportResult:
    purchases, bad, bad_projects = read_purchases(data, now=now, progress=progress)
    if progress is not None:
        progress("writing", 0, len(purchases), force=True)
    outcome: dict[str, int] = {}

    def decide(tx) -> None:
        conn = tx.conn
        problems = list(bad)
        rows = _existing(conn, [p.order_id for p in purchases])
        lookups = _buyer_lookups(conn, sorted({r.buyer_code for r in rows.values()}))
        codes = {p.project for p in purchases} | {code for _, code in bad_projects}
        projects = _projects(conn, sorted(codes), within)
        problems.extend(
            BadLine(line, "project", {"project": code})
            for line, code in bad_projects
            if code and code not in projects
        )
        allocators, lots = _allocators(conn, projects)
        new: list[tuple[Purchase, list[list]]] = []
        for p in purchases:
            line_problems = []
            if p.project not in projects:
                line_problems.append(BadLine(p.line, "project", {"project": p.project}))
            if p.order_id in rows:
                row = rows[p.order_id]
                if _same(row, lookups.get(row.buyer_code), vault, p):
                    continue
                line_problems.append(
                    BadLine(
                        p.line, "order_conflict", {"order": p.order_id, "seq": rows[p.order_id].seq}
                    )
                )
            if line_problems:
                problems.extend(line_problems)
                continue
            allocator = allocators[p.project]
            serials = allocator.take(p.kg)
            if serials is None:
                problems.append(
                    BadLine(
                        p.line,
                        "oversold",
                        {"project": p.project, "left": allocator.left, "kg": p.kg},
                    )
                )
                continue
            new.append((p, serials))
        if problems:
            raise bad_lines_error(problems)
        outcome["skipped"] = len(purchases) - len(new)
        if not new:
            return
        # A buyer's record belongs to the bureau of the project's county.
        owner_orgs = {code: p.division[:6] for code, p in projects.items()}
        by_line: dict[int, str] = {}
        for org in sorted(set(owner_orgs.values())):
            mine = [p for p, _ in new if owner_orgs[p.project] == org]
            names = [{NAME: p.buyer} for p in mine]
            codes = vault_service.put_many(conn, vault, BUYER, org, names)
            by_line.update(zip((p.line for p in mine), codes, strict=True))
        drafts = [anchor_draft(sha256, len(data), f"一元碳汇购买记录（{len(new)} 笔）", actor)]
        # Purchases of the same amount from the same seller's lot carry the same postings:
        # each such set is worked out once (postings are immutable).
        postings_of: dict[tuple, tuple[Posting, ...]] = {}
        for p, serials in new:
            project = projects[p.project]
            body = {
                "serials": serials,
                "project": p.project,
                "division": project.division,
                "seller": project.owner,
                "buyer": {"type": "person", "code": by_line[p.line]},
                "kg": p.kg,
                "amount_fen": p.amount_fen,
                "order_id": p.order_id,
                "certificate_no": p.certificate_no,
                "paid_at": p.paid_at,
                "file_sha256": sha256,
            }
            key = (project.owner, serials[0][0], book.kg_of(serials, lots), p.amount_fen)
            postings = postings_of.get(key)
            if postings is None:
                legs = book.postings_for(book.ONEYUAN, body, lots)
                postings = postings_of[key] = tuple(starmap(Posting, legs))
            drafts.append(EntryDraft(book.ONEYUAN, body, actor, postings))
        for start in range(0, len(drafts), APPEND_CHUNK):
            tx.append(drafts[start : start + APPEND_CHUNK])

    def decide_with_cache(tx) -> None:
        with sqlite_cache_for_entries(tx.conn, len(purchases)), write_behind(tx.conn):
            decide(tx)

    entries = write(engine, decide_with_cache)
    return ImportResult(
        imported=max(0, len(entries) - 1),
        skipped_existing=outcome.get("skipped", len(purchases)),
        entries=len(entries),
        first_seq=entries[0].seq if entries else None,
        last_seq=entries[-1].seq if entries else None,
        sha256=sha256,
    )


def _run_job(ctx: JobContext) -> Mapping[str, Any]:
    """The upload page's job: import the stored file as the bureau that uploaded it."""
    result = import_purchases(
        ctx.engine,
        Vault.from_settings(ctx.settings),
        ctx.input or b"",
        actor=ctx.job.actor,
        within=ctx.params.get("within"),
        progress=ctx.progress,
    )
    return result.as_json()


IMPORT_JOB = JobKind("units.oneyuan_import", N_("One-yuan carbon import"), _run_job)
