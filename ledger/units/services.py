"""The units operations and queries.

Every operation writes through :func:`ledger.services.log.write`: holding the main log's head
lock it reads the projections (the project, the serials the holder has), builds one entry (and
a ``doc.anchor`` for a document it names) and appends; the projection checks the serials again
and refuses the append if any is not where the entry says (:mod:`ledger.units.projection`).
A retry with the same idempotency key and request returns the original entries. Results are
built from the entries, so a retry gets the same answer.

``within`` is the division of the bureau acting (its code); a project outside it is refused.
``None`` (the command line, the demo) acts anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, and_, bindparam, func, select

from ledger.core.entry import Entry, EntryDraft, Posting
from ledger.core.errors import NotFoundError, ValidationError
from ledger.services.anchors import anchor_draft
from ledger.services.clock import utc_now
from ledger.services.log import read_entries, write
from ledger.units import book, model
from ledger.units.book import Lot, Project
from ledger.units.model import HELD, PLEDGED_STATE, RETIRED, Piece, parse_holder
from ledger.units.projection import HOLDER_T, HOLDING_T, LOT_T, PROJECT_T, SALE_T
from ledger.vault import service as vault_service
from ledger.vault.crypto import Vault
from ledger.vault.fields import NAME, normalise
from ledger.vault.model import BUYER


@dataclass(frozen=True, slots=True)
class Document:
    """A document an act rests on, anchored by digest: ``sha256`` (hex), ``size`` (bytes) and
    a ``title`` (no personal data)."""

    sha256: str
    size: int
    title: str

    def as_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size, "title": self.title}


@dataclass(frozen=True, slots=True)
class Buyer:
    """A buyer or beneficiary as a person types it: ``type`` (company, organisation,
    person), ``name``, and the unified social credit code of an organisation."""

    type: str
    name: str
    uscc: str | None = None


def today() -> str:
    """Today's date in Beijing."""
    return model.beijing_date(utc_now()[:19] + "Z")


# --- reading the projections -------------------------------------------------------------


_PROJECT = select(PROJECT_T).where(PROJECT_T.c.project == bindparam("code"))
_LOTS_OF_PROJECT = (
    select(LOT_T).where(LOT_T.c.project == bindparam("project")).order_by(LOT_T.c.seq)
)


def _pieces_of(with_pledgee: bool):
    """The pieces of ``:holder`` in ``:state`` within ``:project`` (and pledged to
    ``:pledgee``), lowest first."""
    stmt = (
        select(HOLDING_T)
        .join(LOT_T, LOT_T.c.lot == HOLDING_T.c.lot)
        .where(
            LOT_T.c.project == bindparam("project"),
            HOLDING_T.c.holder == bindparam("holder"),
            HOLDING_T.c.state == bindparam("state"),
        )
        .order_by(LOT_T.c.seq, HOLDING_T.c.first)
    )
    return stmt.where(HOLDING_T.c.pledgee == bindparam("pledgee")) if with_pledgee else stmt


_PIECES = {False: _pieces_of(False), True: _pieces_of(True)}


def _project_row(conn: Connection, code: str) -> Project | None:
    row = conn.execute(_PROJECT, {"code": code}).one_or_none()
    if row is None:
        return None
    m = row._mapping
    return Project(**{k: m[k] for k in Project.__slots__})


def get_project(conn: Connection, code: str, within: str | None = None) -> Project:
    """The project ``code``; NotFoundError when there is none (or it lies outside
    ``within``, so that a bureau cannot learn of projects beyond its division)."""
    project = _project_row(conn, code)
    if project is None or (within is not None and not project.division.startswith(within)):
        raise NotFoundError(
            "units.project_unknown", f"there is no project {code}", {"project": code}
        )
    return project


def lots_of(conn: Connection, project: str | None = None, *, lots: Sequence[str] = ()) -> list[Lot]:
    """The lots of ``project`` (or the lots named), in the order they were issued."""
    if project:
        rows = conn.execute(_LOTS_OF_PROJECT, {"project": project})
    else:
        rows = conn.execute(select(LOT_T).where(LOT_T.c.lot.in_(lots)).order_by(LOT_T.c.seq))
    return [Lot(**{c.name: row._mapping[c.name] for c in LOT_T.c}) for row in rows]


def _pieces(
    conn: Connection, project: str, holder: str, state: str, pledgee: str | None = None
) -> Iterator[tuple[str, Piece]]:
    """``(lot, piece)`` of ``holder`` in ``state`` within ``project``, lowest first."""
    params = {"project": project, "holder": holder, "state": state, "pledgee": pledgee}
    for row in conn.execute(_PIECES[pledgee is not None], params):
        yield row.lot, Piece(row.first, row.last, row.holder, row.state, row.pledgee, row.seq)


def _choose(
    conn: Connection,
    project: Project,
    holder: str,
    state: str,
    *,
    kg: int | None,
    serials: Sequence[Sequence[Any]] | None,
    pledgee: str | None = None,
) -> tuple[list[list], dict[str, Lot]]:
    """The serials an operation moves: those named, or ``kg`` of the holder's serials in
    ``state`` in the project (lowest first); and the lots they belong to."""
    if serials:
        chosen = model.normalise_serials(serials)
        found = {lot.lot: lot for lot in lots_of(conn, lots=sorted({s[0] for s in chosen}))}
    else:
        found = {lot.lot: lot for lot in lots_of(conn, project.project)}
        units = {lot_id: lot.unit_kg for lot_id, lot in found.items()}
        chosen = model.take(_pieces(conn, project.project, holder, state, pledgee), units, kg)
    for lot_id, _, _ in chosen:
        lot = found.get(lot_id)
        if lot is None or lot.project != project.project:
            raise NotFoundError(
                "units.lot_unknown", f"project {project.project} has no lot {lot_id}"
            )
    return chosen, found


def _postings(kind: str, body: Mapping[str, Any], lots: Mapping[str, Lot]) -> tuple[Posting, ...]:
    return tuple(Posting(*leg) for leg in book.postings_for(kind, body, lots))


def _holder(account: str, *, kinds: Sequence[str] = model.HOLDER_KINDS) -> str:
    holder = parse_holder(account)
    if holder is None or holder.kind not in kinds:
        raise ValidationError(
            "units.owner_kind", f"{account!r} is not the account of a holder of this kind"
        )
    return account


def _document(doc: Document | None, actor: str) -> list[EntryDraft]:
    return [anchor_draft(doc.sha256, doc.size, doc.title, actor)] if doc is not None else []


def _units_entry(entries: Sequence[Entry]) -> Entry:
    return next(e for e in entries if e.kind.startswith("units."))


# --- projects and lots -------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectSpec:
    """A project to register (see :func:`ledger.units.model.validate_project`)."""

    project: str
    programme: str
    name: str
    owner: str
    division: str
    area_mu: str
    crediting_period: tuple[str, str]
    owner_name: str = ""
    methodology: str = ""
    monitoring_periods: tuple[tuple[str, str], ...] = ()
    registry_ids: Mapping[str, str] = field(default_factory=dict)

    def body(self, registrar: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "project": self.project,
            "programme": self.programme,
            "name": self.name.strip(),
            "owner": self.owner,
            "division": self.division,
            "area_mu": self.area_mu,
            "crediting_period": list(self.crediting_period),
            "monitoring_periods": [list(p) for p in self.monitoring_periods],
            "registry_ids": dict(self.registry_ids),
        }
        if self.owner_name.strip():
            body["owner_name"] = self.owner_name.strip()
        if self.methodology.strip():
            body["methodology"] = self.methodology.strip()
        if registrar:
            body["registrar"] = registrar
        return body


def _check_body(kind: str, body: Mapping[str, Any]) -> None:
    errors = book.VALIDATORS[kind](body, kind)
    if errors:
        first = errors[0]
        raise ValidationError(first.code, first.message)


def register_project(
    engine: Engine, spec: ProjectSpec, *, actor: str, within: str | None, key: str | None = None
) -> Entry:
    """Register a project (a ``units.project`` entry). Refused outside ``within``, or when
    the code is taken (ConflictError ``units.project_exists``)."""
    _holder(spec.owner, kinds=model.OWNER_KINDS)
    body = spec.body(within)
    _check_body(book.PROJECT, body)
    if within is not None and not spec.division.startswith(within):
        raise ValidationError(
            "units.forbidden", f"division {spec.division} is outside division {within}"
        )

    def decide(tx):
        tx.append([EntryDraft(book.PROJECT, body, actor)])

    return _units_entry(write(engine, decide, idempotency_key=key, request=body))


@dataclass(frozen=True)
class IssueSpec:
    """A lot to issue to a project's owner: ``count`` serials from ``first`` (``unit_kg``
    each; the programme's unit by default), shown as ``serial_prefix`` and the number padded
    to ``serial_digits`` (by default the lot number and '-', and the width of the last)."""

    project: str
    lot: str
    vintage: int
    period: tuple[str, str]
    count: int
    issued_on: str
    document: Document
    first: int = 1
    unit_kg: int | None = None
    serial_prefix: str | None = None
    serial_digits: int | None = None


def issue_lot(
    engine: Engine, spec: IssueSpec, *, actor: str, within: str | None, key: str | None = None
) -> Entry:
    """Issue a lot to the project's owner (a ``doc.anchor`` of the issuance document and a
    ``units.issue`` entry). Refused when the lot number is taken or a serial was issued
    before under the same prefix."""
    if type(spec.count) is not int or spec.count <= 0:
        raise ValidationError("units.range", "a lot has at least one serial")
    request = {"issue": orjson.loads(orjson.dumps(spec))}

    def decide(tx):
        project = get_project(tx.conn, spec.project, within)
        unit = spec.unit_kg or model.PROGRAMMES[project.programme].unit_kg
        last = spec.first + spec.count - 1
        body = {
            "lot": spec.lot,
            "project": project.project,
            "programme": project.programme,
            "division": project.division,
            "owner": project.owner,
            "vintage": spec.vintage,
            "period": list(spec.period),
            "unit_kg": unit,
            "serial_prefix": spec.lot + "-" if spec.serial_prefix is None else spec.serial_prefix,
            "serial_digits": spec.serial_digits or len(str(last)),
            "first": spec.first,
            "last": last,
            "issued_on": spec.issued_on,
            "issuer": within or project.division[:6],
            "document": spec.document.as_json(),
        }
        _check_body(book.ISSUE, body)
        if len(str(last)) > body["serial_digits"]:
            raise ValidationError("units.serial_digits", "the serials need more digits")
        draft = EntryDraft(book.ISSUE, body, actor, _postings(book.ISSUE, body, {}))
        tx.append([*_document(spec.document, actor), draft])

    return _units_entry(write(engine, decide, idempotency_key=key, request=request))


# --- moves -------------------------------------------------------------------------------


def _move(
    engine: Engine,
    kind: str,
    project_code: str,
    holder: str,
    state: str,
    make_body,
    *,
    kg: int | None,
    serials,
    actor: str,
    within: str | None,
    key: str | None,
    request: Mapping[str, Any],
    pledgee: str | None = None,
    document: Document | None = None,
    check=None,
) -> Entry:
    """The common shape of a move: ``check(conn)`` (if given), choose the serials, build
    the body, append."""

    def decide(tx):
        draft = _move_draft(
            tx.conn, kind, project_code, holder, state, make_body, kg=kg, serials=serials,
            actor=actor, within=within, pledgee=pledgee, check=check,
        )  # fmt: skip
        tx.append([*_document(document, actor), draft])

    return _units_entry(write(engine, decide, idempotency_key=key, request=dict(request)))


def _move_draft(
    conn: Connection,
    kind: str,
    project_code: str,
    holder: str,
    state: str,
    make_body,
    *,
    kg: int | None,
    serials,
    actor: str,
    within: str | None,
    pledgee: str | None = None,
    check=None,
) -> EntryDraft:
    """The draft of a move, read through ``conn`` (inside a locked write)."""
    project = get_project(conn, project_code, within)
    if check is not None:
        check(conn)
    chosen, lots = _choose(conn, project, holder, state, kg=kg, serials=serials, pledgee=pledgee)
    body = {
        "serials": chosen,
        "project": project.project,
        "division": project.division,
        **make_body(conn, project, chosen, lots),
    }
    _check_body(kind, body)
    return EntryDraft(kind, body, actor, _postings(kind, body, lots))


def transfer(
    engine: Engine,
    *,
    project: str,
    from_: str,
    to: str,
    kg: int | None = None,
    serials=None,
    to_name: str = "",
    ref: str = "",
    date: str | None = None,
    actor: str,
    within: str | None,
    key: str | None = None,
) -> Entry:
    """Move serials (``serials``, or ``kg`` of them, lowest first) from one holder to
    another."""
    date = date or today()
    body = _transfer_body(from_, to, to_name, ref, date)
    request = {"transfer": [project, from_, to, kg, serials, to_name, ref, date]}
    return _move(
        engine, book.TRANSFER, project, from_, HELD, body, kg=kg, serials=serials, actor=actor,
        within=within, key=key, request=request,
    )  # fmt: skip


def _transfer_body(from_: str, to: str, to_name: str, ref: str, date: str):
    _holder(from_)
    _holder(to)

    def body(conn, p, chosen, lots):
        out = {"from": from_, "to": to, "date": date}
        if to_name.strip():
            out["to_name"] = to_name.strip()
        if ref.strip():
            out["ref"] = ref.strip()
        return out

    return body


def transfer_draft(
    conn: Connection,
    *,
    project: str,
    from_: str,
    to: str,
    kg: int | None = None,
    serials=None,
    to_name: str = "",
    ref: str = "",
    date: str | None = None,
    actor: str,
    within: str | None,
) -> EntryDraft:
    """The draft of :func:`transfer`, for a module that appends it inside its own locked
    write (``conn`` is the write's connection): the serials are chosen from the projections
    as they stand, so append each draft before building the next from the same holder. The
    projection checks it again on append (a ``ConflictError`` names the holders)."""
    body = _transfer_body(from_, to, to_name, ref, date or today())
    return _move_draft(
        conn, book.TRANSFER, project, from_, HELD, body, kg=kg, serials=serials, actor=actor,
        within=within,
    )  # fmt: skip


def pledge(
    engine: Engine,
    *,
    project: str,
    owner: str,
    pledgee_name: str,
    pledgee_uscc: str,
    kg: int | None = None,
    serials=None,
    loan_ref: str = "",
    date: str | None = None,
    document: Document | None = None,
    actor: str,
    within: str | None,
    key: str | None = None,
) -> Entry:
    """Pledge the owner's serials to a bank: they move to the owner's ``…:Pledged``
    sub-account, the bank is named as pledgee; they cannot be moved until released."""
    _holder(owner)
    pledgee = {"name": pledgee_name.strip(), "uscc": model.normalise_uscc(pledgee_uscc)}
    date = date or today()

    def body(conn, p, chosen, lots):
        out: dict[str, Any] = {"owner": owner, "pledgee": pledgee, "date": date}
        if loan_ref.strip():
            out["loan_ref"] = loan_ref.strip()
        if document is not None:
            out["document"] = document.as_json()
        return out

    request = {
        "pledge": [
            project,
            owner,
            pledgee,
            kg,
            serials,
            loan_ref,
            date,
            document and document.sha256,
        ]
    }
    return _move(
        engine, book.PLEDGE, project, owner, HELD, body, kg=kg, serials=serials, actor=actor,
        within=within, key=key, request=request, document=document,
    )  # fmt: skip


def release(
    engine: Engine,
    *,
    project: str,
    owner: str,
    pledgee_uscc: str,
    document: Document,
    kg: int | None = None,
    serials=None,
    date: str | None = None,
    actor: str,
    within: str | None,
    key: str | None = None,
) -> Entry:
    """Release pledged serials on the pledgee's word: its release document is anchored and
    named; only serials pledged to that bank are released."""
    _holder(owner)
    uscc = model.normalise_uscc(pledgee_uscc)
    date = date or today()

    pledgee: dict[str, str] = {}

    def check(conn):
        pledgee.update(name=_pledgee_name(conn, owner, uscc), uscc=uscc)

    def body(conn, p, chosen, lots):
        return {"owner": owner, "pledgee": pledgee, "date": date, "document": document.as_json()}

    request = {"release": [project, owner, uscc, kg, serials, date, document.sha256]}
    return _move(
        engine, book.RELEASE, project, owner, PLEDGED_STATE, body, kg=kg, serials=serials,
        actor=actor, within=within, key=key, request=request, pledgee=uscc, document=document,
        check=check,
    )  # fmt: skip


def _pledgee_name(conn: Connection, owner: str, uscc: str) -> str:
    """The name the pledge gave the bank (from the pledging entry's body)."""
    seq = conn.execute(
        select(func.max(HOLDING_T.c.seq)).where(
            HOLDING_T.c.pledgee == uscc, HOLDING_T.c.holder == owner
        )
    ).scalar_one()
    if seq is None:
        raise ValidationError(
            "units.pledge_unknown", "none of the owner's serials are pledged to this bank"
        )
    (entry,) = read_entries(conn, "main", seq, seq + 1)
    return entry.body["pledgee"]["name"]


def _buyer_record(
    conn: Connection, vault: Vault | None, buyer: Buyer, owner_org: str
) -> dict[str, Any]:
    """The buyer as an entry names it: an organisation by name (and USCC), a person by the
    vault code their name is stored under."""
    if buyer.type not in model.BUYER_TYPES:
        raise ValidationError("units.buyer", "choose company, organisation or person")
    name = buyer.name.strip() if isinstance(buyer.name, str) else ""
    if buyer.type == "person":
        if vault is None:
            raise ValidationError("units.buyer", "a person's name needs the vault")
        (code,) = vault_service.put_many(conn, vault, BUYER, owner_org, [{NAME: name}])
        return {"type": "person", "code": code}
    if not model.is_text(name, model.MAX_NAME):
        raise ValidationError("units.buyer", "give the buyer's name")
    record: dict[str, Any] = {"type": buyer.type, "name": name}
    if buyer.uscc:
        record["uscc"] = model.normalise_uscc(buyer.uscc)
    elif buyer.type == "company":
        raise ValidationError("units.buyer", "a company buyer needs its unified social credit code")
    return record


def _buyer_request(vault: Vault | None, buyer: Buyer) -> list:
    """A buyer in an idempotency request: a person's name only as its keyed hash."""
    if buyer.type == "person" and vault is not None:
        try:
            name = vault.lookup_hash(NAME, normalise(NAME, buyer.name).key).hex()
        except ValidationError as exc:
            raise ValidationError("units.buyer", exc.message) from None
        return [buyer.type, name]
    return [buyer.type, buyer.name, buyer.uscc]


def retire(
    engine: Engine,
    *,
    project: str,
    holder: str,
    beneficiary: Buyer,
    use: str,
    claim: str = "",
    kg: int | None = None,
    serials=None,
    date: str | None = None,
    vault: Vault | None = None,
    actor: str,
    within: str | None,
    key: str | None = None,
) -> Entry:
    """Retire the holder's serials for a beneficiary, a use and a claim; never movable
    again."""
    date = date or today()
    body = _retire_body(holder, beneficiary, use, claim, date, vault)
    request = {
        "retire": [
            project,
            holder,
            _buyer_request(vault, beneficiary),
            use,
            claim,
            kg,
            serials,
            date,
        ]
    }
    return _move(
        engine, book.RETIRE, project, holder, HELD, body, kg=kg, serials=serials, actor=actor,
        within=within, key=key, request=request,
    )  # fmt: skip


def _retire_body(
    holder: str, beneficiary: Buyer, use: str, claim: str, date: str, vault: Vault | None
):
    _holder(holder)
    if use not in model.USES:
        raise ValidationError("units.use", f"unknown use {use!r}")

    def body(conn, p, chosen, lots):
        out = {
            "holder": holder,
            "beneficiary": _buyer_record(conn, vault, beneficiary, p.division[:6]),
            "use": use,
            "date": date,
        }
        if claim.strip():
            out["claim"] = claim.strip()
        return out

    return body


def retire_draft(
    conn: Connection,
    *,
    project: str,
    holder: str,
    beneficiary: Buyer,
    use: str,
    claim: str = "",
    kg: int | None = None,
    serials=None,
    date: str | None = None,
    vault: Vault | None = None,
    actor: str,
    within: str | None,
) -> EntryDraft:
    """The draft of :func:`retire`, for a module appending inside its own locked write (see
    :func:`transfer_draft`)."""
    body = _retire_body(holder, beneficiary, use, claim, date or today(), vault)
    return _move_draft(
        conn, book.RETIRE, project, holder, HELD, body, kg=kg, serials=serials, actor=actor,
        within=within,
    )  # fmt: skip


@dataclass(frozen=True)
class SaleResult:
    """A recorded sale: its entry, and the arithmetic as shown to people."""

    entry: Entry
    kg: int
    price_fen_per_t: int
    total_fen: int
    rounding: str
    retired: bool


def sell(
    engine: Engine,
    *,
    project: str,
    seller: str,
    buyer: Buyer,
    price_fen_per_t: int,
    use: str,
    kg: int | None = None,
    serials=None,
    retire_units: bool | None = None,
    trade_ref: str = "",
    claim: str = "",
    date: str | None = None,
    vault: Vault | None = None,
    actor: str,
    within: str | None,
    key: str | None = None,
) -> SaleResult:
    """Record a sale: the units go to the buyer, or are retired for it (always for an offset,
    neutrality, judicial or personal claim; by choice otherwise); the total (price × quantity,
    rounded half up to the fen) posts to the seller, balanced by its carbon-sales income."""
    _holder(seller, kinds=model.OWNER_KINDS)
    if use not in model.USES:
        raise ValidationError("units.use", f"unknown use {use!r}")
    if type(price_fen_per_t) is not int or price_fen_per_t <= 0:
        raise ValidationError("units.price", "the price must be above zero")
    retired = use in model.RETIRING_USES if retire_units is None else retire_units
    if use in model.RETIRING_USES and not retired:
        raise ValidationError("units.use_retires", "units sold for this use are retired")
    date = date or today()

    def body(conn, p, chosen, lots):
        record = _buyer_record(conn, vault, buyer, p.division[:6])
        if not retired and model.buyer_account(record) is None:
            raise ValidationError(
                "units.buyer_account", "units the buyer keeps need its unified social credit code"
            )
        kg_total = book.kg_of(chosen, lots)
        out = {
            "seller": seller,
            "buyer": record,
            "use": use,
            "retired": retired,
            "kg": kg_total,
            "price_fen_per_t": price_fen_per_t,
            "total_fen": model.sale_total(price_fen_per_t, kg_total),
            "rounding": model.ROUNDING,
            "date": date,
        }
        for name, text in (("trade_ref", trade_ref), ("claim", claim)):
            if text.strip():
                out[name] = text.strip()
        return out

    request = {
        "sell": [
            project, seller, _buyer_request(vault, buyer), price_fen_per_t, use, kg, serials,
            retired, trade_ref, claim, date,
        ]
    }  # fmt: skip
    entry = _move(
        engine, book.SALE, project, seller, HELD, body, kg=kg, serials=serials, actor=actor,
        within=within, key=key, request=request,
    )  # fmt: skip
    b = entry.body
    return SaleResult(
        entry, b["kg"], b["price_fen_per_t"], b["total_fen"], b["rounding"], b["retired"]
    )


# --- queries -------------------------------------------------------------------------------


def list_projects(
    conn: Connection, *, within: str | None = None, village: str | None = None
) -> list[Project]:
    """Projects in a division (a bureau's), or owned by a village or its households."""
    stmt = select(PROJECT_T).order_by(PROJECT_T.c.seq)
    if within is not None:
        stmt = stmt.where(PROJECT_T.c.division.startswith(within, autoescape=True))
    if village is not None:
        stmt = stmt.where(PROJECT_T.c.owner.startswith(f"Assets:Village:{village}:"))
    return [Project(**{k: r._mapping[k] for k in Project.__slots__}) for r in conn.execute(stmt)]


@dataclass(frozen=True, slots=True)
class HoldingSummary:
    """What a holder has of a lot, in one state: ``units`` serials in ``pieces`` ranges."""

    lot: str
    project: str
    holder: str
    state: str
    pledgee: str | None
    units: int
    kg: int
    pieces: int


def holdings(
    conn: Connection,
    *,
    within: str | None = None,
    village: str | None = None,
    project: str | None = None,
    states: Sequence[str] = (HELD, PLEDGED_STATE, RETIRED),
) -> list[HoldingSummary]:
    """Holdings summed per lot, holder, state and pledgee: of the lots in a division, or
    held by a village (its collective and households), or of one project."""
    units = func.sum(HOLDING_T.c.last - HOLDING_T.c.first + 1)
    stmt = (
        select(
            HOLDING_T.c.lot,
            LOT_T.c.project,
            HOLDING_T.c.holder,
            HOLDING_T.c.state,
            HOLDING_T.c.pledgee,
            units,
            LOT_T.c.unit_kg,
            func.count(),
        )
        .join(LOT_T, LOT_T.c.lot == HOLDING_T.c.lot)
        .where(HOLDING_T.c.state.in_(list(states)))
        .group_by(
            HOLDING_T.c.lot,
            LOT_T.c.project,
            HOLDING_T.c.holder,
            HOLDING_T.c.state,
            HOLDING_T.c.pledgee,
            LOT_T.c.unit_kg,
            LOT_T.c.seq,
        )
        .order_by(LOT_T.c.seq, HOLDING_T.c.state, HOLDING_T.c.holder)
    )
    if within is not None:
        stmt = stmt.where(LOT_T.c.division.startswith(within, autoescape=True))
    if village is not None:
        stmt = stmt.where(HOLDING_T.c.village == village)
    if project is not None:
        stmt = stmt.where(LOT_T.c.project == project)
    return [
        HoldingSummary(lot, proj, holder, state, pledgee, int(n), int(n) * unit, pieces)
        for lot, proj, holder, state, pledgee, n, unit, pieces in conn.execute(stmt)
    ]


@dataclass(frozen=True, slots=True)
class HeldRange:
    """Serials someone holds, as people read them."""

    lot: str
    project: str
    holder: str
    state: str
    first: int
    last: int
    text: str
    kg: int


def held_ranges(
    conn: Connection,
    *,
    village: str,
    states: Sequence[str] = (HELD, PLEDGED_STATE),
    limit: int = 500,
) -> list[HeldRange]:
    """The serial ranges a village (its collective and households) still holds or has
    pledged, lowest first."""
    rows = conn.execute(
        select(
            HOLDING_T,
            LOT_T.c.project,
            LOT_T.c.serial_prefix,
            LOT_T.c.serial_digits,
            LOT_T.c.unit_kg,
        )
        .join(LOT_T, LOT_T.c.lot == HOLDING_T.c.lot)
        .where(HOLDING_T.c.village == village, HOLDING_T.c.state.in_(list(states)))
        .order_by(LOT_T.c.seq, HOLDING_T.c.first)
        .limit(limit)
    )
    return [
        HeldRange(
            r.lot, r.project, r.holder, r.state, r.first, r.last,
            model.format_range(r.serial_prefix, r.serial_digits, r.first, r.last),
            model.count(r.first, r.last) * r.unit_kg,
        )
        for r in rows
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Earning:
    """What sales earned: per ``programme``, ``project`` and ``year`` (of the sale date),
    ``kg`` sold for ``total_fen`` in ``sales`` sales."""

    programme: str
    project: str
    year: str
    kg: int
    total_fen: int
    sales: int


def earnings(conn: Connection, village: str) -> list[Earning]:
    """What the village's forests earned (its collective and households as sellers), by
    programme, project and year."""
    year = func.substr(SALE_T.c.date, 1, 4)
    stmt = (
        select(
            SALE_T.c.programme,
            SALE_T.c.project,
            year,
            func.sum(SALE_T.c.kg),
            func.sum(SALE_T.c.total_fen),
            func.count(),
        )
        .where(SALE_T.c.seller_village == village, SALE_T.c.total_fen.is_not(None))
        .group_by(SALE_T.c.programme, SALE_T.c.project, year)
        .order_by(year, SALE_T.c.programme, SALE_T.c.project)
    )
    return [
        Earning(p, proj, y, int(kg), int(fen), n) for p, proj, y, kg, fen, n in conn.execute(stmt)
    ]


@dataclass(frozen=True, slots=True)
class SaleRecord:
    """A row of the sales register (see ``units_sale``); ``serials`` as people read them."""

    seq: int
    kind: str
    date: str
    project: str
    project_name: str
    programme: str
    vintages: str
    serials: list[str]
    kg: int
    seller: str
    buyer_type: str
    buyer_name: str | None
    buyer_code: str | None
    buyer_uscc: str | None
    use: str
    retired: bool
    price_fen_per_t: int | None
    total_fen: int | None
    order_id: str | None
    certificate_no: str | None
    trade_ref: str | None


def _sale_records(conn: Connection, rows) -> list[SaleRecord]:
    rows = list(rows)
    lot_ids = sorted({s[0] for r in rows for s in orjson.loads(r.serials)})
    lots = {lot.lot: lot for lot in lots_of(conn, lots=lot_ids)}
    names = dict(
        conn.execute(
            select(PROJECT_T.c.project, PROJECT_T.c.name).where(
                PROJECT_T.c.project.in_(sorted({r.project for r in rows}))
            )
        ).all()
    )
    return [
        SaleRecord(
            r.seq, r.kind, r.date, r.project, names.get(r.project, r.project), r.programme,
            r.vintages, [lots[lot].format(a, b) for lot, a, b in orjson.loads(r.serials)],
            r.kg, r.seller, r.buyer_type, r.buyer_name, r.buyer_code, r.buyer_uscc, r.use,
            r.retired, r.price_fen_per_t, r.total_fen, r.order_id, r.certificate_no, r.trade_ref,
        )
        for r in rows
    ]  # fmt: skip


def public_register(
    conn: Connection,
    *,
    before: int | None = None,
    limit: int = 50,
    programme: str | None = None,
) -> list[SaleRecord]:
    """The public register, newest first: retirements and sales to organisations, of one
    programme if given (callers show only what may be public: no prices; persons masked)."""
    stmt = select(SALE_T).where(SALE_T.c.public.is_(True)).order_by(SALE_T.c.seq.desc())
    if before is not None:
        stmt = stmt.where(SALE_T.c.seq < before)
    if programme is not None:
        stmt = stmt.where(SALE_T.c.programme == programme)
    return _sale_records(conn, conn.execute(stmt.limit(limit)))


def sales(
    conn: Connection,
    *,
    within: str | None = None,
    village: str | None = None,
    project: str | None = None,
    kinds: Sequence[str] = ("sale", "oneyuan", "retire"),
    retired: bool | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[SaleRecord]:
    """Sales, purchases and retirements in a division, sold by a village or of a project,
    newest first."""
    stmt = select(SALE_T).where(SALE_T.c.kind.in_(list(kinds))).order_by(SALE_T.c.seq.desc())
    if within is not None:
        stmt = stmt.where(SALE_T.c.division.startswith(within, autoescape=True))
    if village is not None:
        stmt = stmt.where(SALE_T.c.seller_village == village)
    if project is not None:
        stmt = stmt.where(SALE_T.c.project == project)
    if retired is not None:
        stmt = stmt.where(SALE_T.c.retired.is_(retired))
    if before is not None:
        stmt = stmt.where(SALE_T.c.seq < before)
    return _sale_records(conn, conn.execute(stmt.limit(limit)))


def holder_names(conn: Connection, accounts: Sequence[str]) -> dict[str, str]:
    """The names entries gave these holder accounts (companies, forest farms…)."""
    if not accounts:
        return {}
    rows = conn.execute(
        select(HOLDER_T.c.account, HOLDER_T.c.name).where(
            HOLDER_T.c.account.in_(sorted(set(accounts)))
        )
    )
    return dict(rows.all())


def remaining_kg(conn: Connection, project: Project) -> int:
    """What the project's owner still holds (not pledged, not retired) of the project."""
    stmt = (
        select(func.sum((HOLDING_T.c.last - HOLDING_T.c.first + 1) * LOT_T.c.unit_kg))
        .join(LOT_T, and_(LOT_T.c.lot == HOLDING_T.c.lot))
        .where(
            LOT_T.c.project == project.project,
            HOLDING_T.c.holder == project.owner,
            HOLDING_T.c.state == HELD,
        )
    )
    return int(conn.execute(stmt).scalar() or 0)
