"""The judicial operations and queries.

Every operation writes through :func:`ledger.services.log.write`: holding the main log's head
lock it reads the case's row, checks that the step may follow the case's state, builds the
entries and appends them; the projections are written in the same transaction. A purchase
appends, in one write, a ``units.transfer`` per serial range it takes (seller → the case's
account; the units projection refuses serials that are not the seller's) and then the
``judicial.purchase`` entry that posts the yuan to the sellers; a retirement appends the
``units.retire`` entries (holder: the case) and the ``judicial.retirement`` entry. A refusal
writes nothing. A retry with the same idempotency key and request returns the first answer.

``court`` is the court acting (an :class:`~ledger.accounts.model.Org` of kind court); a court
reaches only its own cases. ``within`` (queries) is a bureau's division.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date as Date
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, select

from ledger.accounts.model import Org, court_key
from ledger.core.entry import Entry, EntryDraft, Posting
from ledger.core.errors import ConflictError, LedgerError, NotFoundError, ValidationError
from ledger.judicial import model
from ledger.judicial.projection import CASE_T, METHOD_T, STEP_T, UNIT_T
from ledger.services.anchors import anchor_draft
from ledger.services.log import read_entries, write
from ledger.units import services as units
from ledger.units.book import income_account
from ledger.units.model import parse_holder
from ledger.units.projection import HOLDING_T, LOT_T, PROJECT_T, SALE_T
from ledger.vault import service as vault_service
from ledger.vault.crypto import Vault
from ledger.vault.fields import NAME
from ledger.vault.model import DEFENDANT

today = units.today


@dataclass(frozen=True, slots=True)
class Case:
    """A case as its row says: keys, number, court, offence, state and its figures."""

    court: str
    case: str
    case_number: str
    court_code: str
    court_name: str
    division: str
    offence: str
    state: str
    year: int
    filed_on: str
    loss_kg: int | None
    quantity_kg: int | None
    amount_fen: int | None
    decided_on: str | None
    purchased_on: str | None
    retired_on: str | None
    certified_on: str | None
    seq: int
    last_seq: int

    @property
    def account(self) -> str:
        return model.case_account(self.court, self.case)


def _case_of(row: Any) -> Case:
    return Case(**{k: row._mapping[k] for k in Case.__slots__})


def _court_key(court: Org) -> str:
    if court.kind != "court":
        raise ValidationError("judicial.court", "only a court records its cases")
    return court_key(court.code)


def get_case(conn: Connection, court: str, case: str, *, within: str | None = None) -> Case:
    """The case ``case`` of court key ``court``; NotFoundError if there is none (or it lies
    outside ``within``, so that a bureau learns nothing of cases beyond its division)."""
    row = conn.execute(select(CASE_T).where(CASE_T.c.court == court, CASE_T.c.case == case)).first()
    if row is None or (within is not None and not row.division.startswith(within)):
        raise NotFoundError("judicial.case_unknown", f"there is no case {case}", {"case": case})
    return _case_of(row)


def find_case(conn: Connection, case_number: str) -> Case | None:
    row = conn.execute(select(CASE_T).where(CASE_T.c.case_number == case_number)).first()
    return _case_of(row) if row is not None else None


def list_cases(
    conn: Connection, *, court: str | None = None, within: str | None = None, limit: int = 500
) -> list[Case]:
    """Cases of a court (its key), or in a bureau's division, newest first."""
    stmt = select(CASE_T).order_by(CASE_T.c.seq.desc()).limit(limit)
    if court is not None:
        stmt = stmt.where(CASE_T.c.court == court)
    if within is not None:
        stmt = stmt.where(CASE_T.c.division.startswith(within))
    return [_case_of(r) for r in conn.execute(stmt)]


def _require_state(case: Case, kind: str) -> None:
    allowed = model.ALLOWED_FROM[kind]
    if case.state not in allowed:
        raise ConflictError(
            "judicial.state",
            f"case {case.case_number} is {case.state}; this step needs it " + " or ".join(allowed),
            {"state": case.state, "needs": ", ".join(allowed), "case_number": case.case_number},
        )


def _raise_body(kind: str, body: Mapping[str, Any]) -> None:
    errors = model.VALIDATORS[kind](body, kind)
    if errors:
        raise errors[0]


# --- methods ------------------------------------------------------------------------------


def method_entry(conn: Connection, name: str, version: str | None = None) -> tuple[Any, int]:
    """The recorded method ``name`` (its newest recorded version unless ``version``), as a
    :class:`~ledger.judicial.assessment.Method`, and the seq of its entry."""
    from ledger.judicial.assessment import Method

    stmt = select(METHOD_T).where(METHOD_T.c.name == name).order_by(METHOD_T.c.seq.desc())
    if version is not None:
        stmt = stmt.where(METHOD_T.c.version == version)
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFoundError(
            "judicial.method_unknown",
            f"no recorded assessment method {name!r}" + (f" version {version}" if version else ""),
            {"name": name},
        )
    (entry,) = read_entries(conn, "main", row.seq, row.seq + 1)
    return Method.from_json(entry.body["method"]), row.seq


def list_methods(conn: Connection) -> list[tuple[str, str, int]]:
    """``(name, version, seq)`` of every recorded method, newest first."""
    stmt = select(METHOD_T.c.name, METHOD_T.c.version, METHOD_T.c.seq).order_by(
        METHOD_T.c.seq.desc()
    )
    return [tuple(r) for r in conn.execute(stmt)]


def record_method(engine: Engine, method: Any, *, actor: str) -> int:
    """Record an assessment method (its whole parameter set) as a public entry; the seq of
    its entry. Recording the same method again returns the first entry's seq; another set
    under a recorded name and version is refused."""
    body = {"name": method.name, "version": method.version, "method": method.to_json()}
    _raise_body(model.METHOD, body)
    seqs: list[int] = []

    def decide(tx):
        row = tx.conn.execute(
            select(METHOD_T.c.seq).where(
                METHOD_T.c.name == method.name, METHOD_T.c.version == method.version
            )
        ).first()
        if row is not None:
            (entry,) = read_entries(tx.conn, "main", row.seq, row.seq + 1)
            if entry.body["method"] != body["method"]:
                raise ConflictError(
                    "judicial.method_exists",
                    f"method {method.name} {method.version} is recorded with other values "
                    f"(entry {row.seq})",
                    {"seq": row.seq},
                )
            seqs.append(row.seq)
            return
        (entry,) = tx.append([EntryDraft(model.METHOD, body, actor)])
        seqs.append(entry.seq)

    write(engine, decide)
    return seqs[0]


def seed_shipped_methods(engine: Engine, *, actor: str) -> list[int]:
    """Record every shipped method not recorded yet (idempotent)."""
    from ledger.judicial.methods import shipped_methods

    return [record_method(engine, m, actor=actor) for m in shipped_methods()]


# --- cases --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DamageItem:
    """One item of the damage a court found: species, number of trees, volume (m³, as text)
    and which volume (standing or timber), area in mu (text) and the place (division)."""

    species: str
    trees: int | None
    volume_m3: str | None
    volume_type: str | None
    area_mu: str | None
    place: str

    def as_json(self) -> dict[str, Any]:
        return {
            "species": self.species.strip(),
            "trees": self.trees,
            "volume_m3": self.volume_m3,
            "volume_type": self.volume_type,
            "area_mu": self.area_mu,
            "place": self.place,
        }


@dataclass(frozen=True, slots=True)
class Replanting:
    """Replanting (补种复绿) ordered: area in mu (text), species, deadline (a date)."""

    area_mu: str
    species: str
    deadline: str
    accepted_on: str | None = None
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "area_mu": self.area_mu,
            "species": self.species.strip(),
            "deadline": self.deadline,
        }
        if self.accepted_on:
            out["accepted_on"] = self.accepted_on
        if self.note.strip():
            out["note"] = self.note.strip()
        return out


def parse_case_number(text: str, *, filed_on: str | None = None):
    """The case number, checked (the year must not lie after the filing's)."""
    from ledger.judicial.casenumber import parse

    this_year = int(filed_on[:4]) if filed_on and model.valid_date(filed_on) else None
    return parse(text, this_year=this_year)


def file_case(
    engine: Engine,
    vault: Vault,
    *,
    court: Org,
    case_number: str,
    offence: str,
    defendants: Sequence[str],
    damage: Sequence[DamageItem] = (),
    replanting: Replanting | None = None,
    offence_text: str = "",
    filed_on: str | None = None,
    actor: str,
    key: str | None = None,
) -> Case:
    """File a case: its number (which must be the court's own), offence, defendants (their
    names go to the vault, owned by the court; the entry carries their codes), the damage
    found and any replanting ordered."""
    ckey = _court_key(court)
    filed_on = filed_on or today()
    if not model.valid_date(filed_on):
        raise ValidationError("judicial.date", "enter the filing date as YYYY-MM-DD")
    number = parse_case_number(case_number, filed_on=filed_on)
    if number.court_code != court.code:
        raise ValidationError(
            "judicial.case_court",
            f"case number {number.text} is of court {number.court_code}, not {court.code}",
            {"court_code": number.court_code},
        )
    names = [d.strip() for d in defendants if isinstance(d, str) and d.strip()]
    if not names:
        raise ValidationError("judicial.defendants", "name at least one defendant")
    if len(names) > model.MAX_DEFENDANTS:
        raise ValidationError("judicial.defendants", "at most 20 defendants")
    case = model.case_key(number.year, number.type_word, number.sequence)
    request = {
        "file": [
            ckey, number.text, offence, offence_text, names,
            [d.as_json() for d in damage], replanting and replanting.as_json(), filed_on,
        ]
    }  # fmt: skip

    def decide(tx):
        found = find_case(tx.conn, number.text)
        if found is not None:
            raise ConflictError(
                "judicial.case_exists",
                f"case {number.text} is filed already (entry {found.seq})",
                {"seq": found.seq, "case_number": number.text},
            )
        codes = vault_service.put_many(
            tx.conn, vault, DEFENDANT, court.code, [{NAME: n} for n in names]
        )
        body: dict[str, Any] = {
            "case": case,
            "court": ckey,
            "case_number": number.text,
            "court_code": court.code,
            "court_name": court.name,
            "division": court.division,
            "offence": offence,
            "defendants": codes,
            "damage": [d.as_json() for d in damage],
            "replanting": replanting.as_json() if replanting else None,
            "filed_on": filed_on,
        }
        if offence == "other" or offence_text.strip():
            body["offence_text"] = offence_text.strip()
        _raise_body(model.CASE, body)
        tx.append([EntryDraft(model.CASE, body, actor)])

    write(engine, decide, idempotency_key=key, request=request)
    with engine.connect() as conn:
        return get_case(conn, ckey, case)


def _step(
    engine: Engine,
    court: Org,
    case: str,
    kind: str,
    make: Any,
    *,
    actor: str,
    key: str | None,
    request: Mapping[str, Any],
) -> list[Entry]:
    """A step of a case: in one locked write, read the case, check the state, let ``make``
    build the entries (``make(tx, case) -> None``, appending)."""
    ckey = _court_key(court)

    def decide(tx):
        row = get_case(tx.conn, ckey, case)
        _require_state(row, kind)
        make(tx, row)

    return write(engine, decide, idempotency_key=key, request={"case": [ckey, case], **request})


def record_replanting(
    engine: Engine,
    *,
    court: Org,
    case: str,
    plan: Replanting,
    actor: str,
    key: str | None = None,
) -> Entry:
    """Record replanting ordered for the case, or its acceptance (a later entry)."""

    def make(tx, row):
        body = {"case": row.case, "court": row.court, **plan.as_json()}
        _raise_body(model.REPLANTING, body)
        tx.append([EntryDraft(model.REPLANTING, body, actor)])

    entries = _step(
        engine, court, case, model.REPLANTING, make, actor=actor, key=key,
        request={"replanting": plan.as_json()},
    )  # fmt: skip
    return entries[-1]


def anchor_document(
    engine: Engine,
    *,
    court: Org,
    case: str,
    doc: str,
    sha256: str,
    size: int,
    title: str,
    actor: str,
    key: str | None = None,
) -> Entry:
    """Anchor one of the case's documents (the 六书, the judgment) by its digest at the
    case's current step: a public ``doc.anchor`` (digest, size, title; no personal data in
    the title) and the scoped ``judicial.document`` tying it to the case."""

    def make(tx, row):
        body = {
            "case": row.case,
            "court": row.court,
            "doc": doc,
            "sha256": sha256,
            "size": size,
            "title": title.strip() if isinstance(title, str) else title,
            "step": row.state,
        }
        _raise_body(model.DOCUMENT, body)
        tx.append([anchor_draft(sha256, size, body["title"], actor)])
        tx.append([EntryDraft(model.DOCUMENT, body, actor)])

    entries = _step(
        engine, court, case, model.DOCUMENT, make, actor=actor, key=key,
        request={"document": [doc, sha256, size, title]},
    )  # fmt: skip
    return entries[-1]


# --- assessment and decision ----------------------------------------------------------------


def assess_case(
    engine: Engine,
    *,
    court: Org,
    case: str,
    method: str,
    inputs: Sequence[Any],
    assessor: str,
    version: str | None = None,
    assessed_on: str | None = None,
    actor: str,
    key: str | None = None,
) -> Entry:
    """Assess the case's carbon loss with a recorded method: the entry keeps the method's
    name, version and entry, every input and every intermediate product."""
    from ledger.judicial import assessment

    assessed_on = assessed_on or today()

    def make(tx, row):
        m, seq = method_entry(tx.conn, method, version)
        result = assessment.assess(m, list(inputs))
        body = {
            "case": row.case,
            "court": row.court,
            "method": {"name": m.name, "version": m.version, "seq": seq},
            "record": result.to_json(),
            "loss_kg": result.loss_kg,
            "assessor": assessor.strip() if isinstance(assessor, str) else assessor,
            "assessed_on": assessed_on,
        }
        _raise_body(model.ASSESSMENT, body)
        tx.append([EntryDraft(model.ASSESSMENT, body, actor)])

    request = {"assess": [method, version, [i.to_json() for i in inputs], assessor, assessed_on]}
    return _step(
        engine, court, case, model.ASSESSMENT, make, actor=actor, key=key, request=request
    )[-1]


@dataclass(frozen=True, slots=True)
class Price:
    """A price basis: ``basis`` (programme, exchange, allowance_close), fen per tonne, the
    date it was taken on and its source."""

    basis: str
    fen_per_t: int
    date: str
    source: str

    def as_json(self) -> dict[str, Any]:
        return {
            "basis": self.basis,
            "fen_per_t": self.fen_per_t,
            "date": self.date,
            "source": self.source.strip(),
        }


def decide_case(
    engine: Engine,
    *,
    court: Org,
    case: str,
    price: Price,
    basis: str = "loss",
    multiple: str = "1",
    rounding: str = "up_to_t",
    amount_fen: int | None = None,
    quantity_kg: int | None = None,
    judgment_ref: str = "",
    decided_on: str | None = None,
    actor: str,
    key: str | None = None,
) -> Entry:
    """Record the compensation ordered: from the assessed loss (times ``multiple``, rounded
    as ordered) at the price, hence the amount; or from an amount in yuan, hence the
    quantity. Rounding ``ordered`` with ``quantity_kg`` sets a quantity not below the exact
    one (南靖 2022: twice 47.07 t, 96 t bought: what the seller could deliver)."""
    decided_on = decided_on or today()
    if basis not in model.BASES:
        raise ValidationError("judicial.basis", "choose from the loss or from an amount")
    if rounding not in model.ROUNDINGS or (basis == "amount" and rounding == "ordered"):
        raise ValidationError("judicial.rounding", "choose how the quantity is rounded")

    def make(tx, row):
        if row.loss_kg is None and basis == "loss":
            raise ValidationError("judicial.loss", "the case has no assessed loss")
        fen = price.fen_per_t
        if basis == "loss":
            mult = model.decimal_of(multiple, what="the multiple", code="judicial.multiple")
            if not Decimal(1) <= mult <= model.MAX_MULTIPLE:
                raise ValidationError("judicial.multiple", "the multiple must be between 1 and 10")
            q = model.from_loss(row.loss_kg, mult, rounding, fen, quantity_kg)
            quantity, amount = q.quantity_kg, q.amount_fen
            exact, mult_text = q.exact_kg, str(mult)
        else:
            if type(amount_fen) is not int or amount_fen <= 0:
                raise ValidationError("judicial.amount", "enter the amount in yuan")
            q = model.from_amount(amount_fen, rounding, fen)
            if q.quantity_kg <= 0:
                raise ValidationError("judicial.amount", "the amount buys no carbon at this price")
            exact, quantity, amount, mult_text = q.exact_kg, q.quantity_kg, amount_fen, "1"
        body: dict[str, Any] = {
            "case": row.case,
            "court": row.court,
            "basis": basis,
            "multiple": mult_text,
            "exact_kg": exact,
            "rounding": rounding,
            "quantity_kg": quantity,
            "price": price.as_json(),
            "amount_fen": amount,
            "decided_on": decided_on,
            "judgment_ref": judgment_ref.strip(),
        }
        if basis == "loss":
            body["loss_kg"] = row.loss_kg
        _raise_body(model.DECISION, body)
        tx.append([EntryDraft(model.DECISION, body, actor)])

    request = {
        "decide": [
            price.as_json(), basis, multiple, rounding, amount_fen, quantity_kg, judgment_ref,
            decided_on,
        ]
    }  # fmt: skip
    return _step(engine, court, case, model.DECISION, make, actor=actor, key=key, request=request)[
        -1
    ]


# --- purchase and retirement ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Take:
    """What a purchase takes from one seller in one project: ``kg`` of its lowest serials,
    or the ``serials`` named (``[lot, first, last]`` triples)."""

    project: str
    seller: str
    kg: int | None = None
    serials: tuple[tuple[str, int, int], ...] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "seller": self.seller,
            "kg": self.kg,
            "serials": [list(s) for s in self.serials] if self.serials else None,
        }


@dataclass(frozen=True, slots=True)
class Payer:
    """Who paid: a person (the defendant: their name goes to the vault) or an organisation."""

    type: str
    name: str


@dataclass(frozen=True, slots=True)
class RestorationAccount:
    """The ecological-restoration account the forestry authority named: holder, bank and
    the account number (only its last four digits enter the log)."""

    name: str
    bank: str
    number: str

    def as_json(self) -> dict[str, str]:
        digits = "".join(c for c in self.number if c.isdigit())
        if len(digits) < 4:
            raise ValidationError(
                "judicial.restoration_account", "enter the restoration account's number"
            )
        return {"name": self.name.strip(), "bank": self.bank.strip(), "last4": digits[-4:]}


def _who_holds(conn: Connection, conflicts: Sequence[Mapping[str, Any]]) -> list[dict]:
    """For each conflicting range, who holds it in words a court can act on: the case
    (its number) or the sale (its entry and buyer) that has it, else the holder."""
    out = []
    for c in conflicts:
        holder = parse_holder(c.get("holder"))
        seq = c.get("seq")
        what: dict[str, Any] = {"lot": c["lot"], "first": c["first"], "last": c["last"]}
        sale = (
            conn.execute(select(SALE_T).where(SALE_T.c.seq == seq)).first()
            if seq is not None
            else None
        )
        if holder is not None and holder.kind == "case":
            row = conn.execute(
                select(CASE_T.c.case_number).where(
                    CASE_T.c.court == holder.court, CASE_T.c.case == holder.code
                )
            ).first()
            what.update(held_by="case", case_number=row.case_number if row else holder.code)
        elif sale is not None and sale.kind in ("sale", "oneyuan"):
            what.update(held_by="sale", sale_seq=seq, buyer=sale.buyer_name or sale.buyer_code)
        elif sale is not None:
            what.update(held_by="retirement", retirement_seq=seq)
        else:
            what.update(held_by="holder", holder=c.get("holder"), seq=seq)
        out.append(what)
    return out


def _taken_error(conn: Connection, exc: LedgerError) -> ConflictError:
    held = _who_holds(conn, exc.details.get("conflicts", []))
    names = []
    for h in held:
        if h["held_by"] == "case":
            names.append(f"case {h['case_number']}")
        elif h["held_by"] == "sale":
            names.append(f"sale (entry {h['sale_seq']}) to {h['buyer']}")
        elif h["held_by"] == "retirement":
            names.append(f"retirement (entry {h['retirement_seq']})")
        else:
            names.append(f"{h['holder']} (entry {h['seq']})")
    holders = "; ".join(dict.fromkeys(names)) or "another holder"
    return ConflictError(
        "judicial.serials_taken",
        f"serials {exc.details.get('serials', '')} are not the seller's to sell: held by {holders}",
        {"serials": exc.details.get("serials", ""), "holders": holders, "held": held},
    )


def purchase(
    engine: Engine,
    vault: Vault,
    *,
    court: Org,
    case: str,
    takes: Sequence[Take],
    payer: Payer,
    payment_ref: str,
    restoration_account: RestorationAccount,
    paid_on: str | None = None,
    actor: str,
    key: str | None = None,
) -> Entry:
    """Buy the decided quantity for the case from sellers' lots, at the decision's price:
    each take's serials move from the seller to the case (``units.transfer``), and the
    ``judicial.purchase`` entry posts each line's yuan to its seller against the seller's
    carbon-sales income. Serials that are not the seller's (another case's, sold, retired)
    are refused naming the case or sale that holds them; nothing is written."""
    paid_on = paid_on or today()
    if not takes:
        raise ValidationError("judicial.lines", "choose the units to buy")
    account = restoration_account.as_json()
    if payer.type not in ("person", "organisation") or not payer.name.strip():
        raise ValidationError("judicial.payer", "name who paid")

    def make(tx, row):
        decision = _latest(tx.conn, row, model.DECISION)
        price = decision.body["price"]["fen_per_t"]
        lines: list[dict[str, Any]] = []
        for take in takes:
            try:
                draft = units.transfer_draft(
                    tx.conn,
                    project=take.project,
                    from_=take.seller,
                    to=row.account,
                    kg=take.kg,
                    serials=[list(s) for s in take.serials] if take.serials else None,
                    ref=payment_ref,
                    date=paid_on,
                    actor=actor,
                    within=None,
                )
                (entry,) = tx.append([draft])
            except ConflictError as exc:
                if exc.code in ("units.conflict", "units.double_retirement"):
                    raise _taken_error(tx.conn, exc) from None
                raise
            project = units.get_project(tx.conn, take.project)
            lots = {lot.lot: lot for lot in units.lots_of(tx.conn, take.project)}
            for lot_id, first, last in entry.body["serials"]:
                lines.append(
                    {
                        "transfer_seq": entry.seq,
                        "project": take.project,
                        "programme": project.programme,
                        "seller": take.seller,
                        "lot": lot_id,
                        "first": first,
                        "last": last,
                        "kg": (last - first + 1) * lots[lot_id].unit_kg,
                        "price_fen_per_t": price,
                    }
                )
        kg = sum(line["kg"] for line in lines)
        if kg != decision.body["quantity_kg"]:
            raise ValidationError(
                "judicial.purchase_quantity",
                f"the units chosen weigh {model.tonnes(kg)} t; the decision ordered "
                f"{model.tonnes(decision.body['quantity_kg'])} t",
                {"t": model.tonnes(kg), "ordered": model.tonnes(decision.body["quantity_kg"])},
            )
        for line, fen in zip(
            lines, model.split_total(price, [x["kg"] for x in lines]), strict=True
        ):
            line["total_fen"] = fen
        if payer.type == "person":
            (code,) = vault_service.put_many(
                tx.conn, vault, DEFENDANT, row.court_code, [{NAME: payer.name.strip()}]
            )
            payer_body = {"type": "person", "code": code}
        else:
            payer_body = {"type": "organisation", "name": payer.name.strip()}
        body = {
            "case": row.case,
            "court": row.court,
            "decision_seq": decision.seq,
            "payer": payer_body,
            "payment_ref": payment_ref.strip(),
            "restoration_account": account,
            "lines": lines,
            "kg": kg,
            "amount_fen": sum(x["total_fen"] for x in lines),
            "paid_on": paid_on,
        }
        _raise_body(model.PURCHASE, body)
        postings: list[Posting] = []
        per_seller: dict[str, int] = {}
        for line in lines:
            per_seller[line["seller"]] = per_seller.get(line["seller"], 0) + line["total_fen"]
        for seller, fen in per_seller.items():
            if fen:
                postings += [
                    Posting(seller, "CNY", fen),
                    Posting(income_account(seller), "CNY", -fen),
                ]
        tx.append([EntryDraft(model.PURCHASE, body, actor, tuple(postings))])

    request = {
        "purchase": [
            [t.as_json() for t in takes], payer.type, payer.name, payment_ref, account, paid_on,
        ]
    }  # fmt: skip
    return _step(engine, court, case, model.PURCHASE, make, actor=actor, key=key, request=request)[
        -1
    ]


def _latest(conn: Connection, row: Case, kind: str) -> Entry:
    """The case's latest entry of ``kind``."""
    seq = conn.execute(
        select(func.max(STEP_T.c.seq)).where(
            STEP_T.c.court == row.court, STEP_T.c.case == row.case, STEP_T.c.kind == kind
        )
    ).scalar_one()
    if seq is None:
        raise NotFoundError("judicial.step_missing", f"the case has no {kind} entry")
    (entry,) = read_entries(conn, "main", seq, seq + 1)
    return entry


def retire_case(
    engine: Engine,
    *,
    court: Org,
    case: str,
    retirement_ref: str,
    retired_on: str | None = None,
    actor: str,
    key: str | None = None,
) -> Entry:
    """Retire every unit bought for the case, for it (use judicial, the claim its case
    number), with the exchange's retirement reference; one ``units.retire`` per project."""
    retired_on = retired_on or today()

    def make(tx, row):
        bought = _latest(tx.conn, row, model.PURCHASE)
        by_project: dict[str, list[list]] = {}
        for line in bought.body["lines"]:
            by_project.setdefault(line["project"], []).append(
                [line["lot"], line["first"], line["last"]]
            )
        seqs = []
        for project, serials in by_project.items():
            draft = units.retire_draft(
                tx.conn,
                project=project,
                holder=row.account,
                beneficiary=units.Buyer("organisation", row.court_name),
                use="judicial",
                claim=f"{row.case_number} {retirement_ref.strip()}",
                serials=serials,
                date=retired_on,
                actor=actor,
                within=None,
            )
            (entry,) = tx.append([draft])
            seqs.append(entry.seq)
        body = {
            "case": row.case,
            "court": row.court,
            "purchase_seq": bought.seq,
            "retirement_ref": retirement_ref.strip(),
            "kg": bought.body["kg"],
            "retire_seqs": seqs,
            "retired_on": retired_on,
        }
        _raise_body(model.RETIREMENT, body)
        tx.append([EntryDraft(model.RETIREMENT, body, actor)])

    request = {"retire": [retirement_ref, retired_on]}
    return _step(
        engine, court, case, model.RETIREMENT, make, actor=actor, key=key, request=request
    )[-1]


def certify(
    engine: Engine,
    *,
    court: Org,
    case: str,
    certificate: str,
    entries: Sequence[int],
    certified_on: str | None = None,
    actor: str,
    key: str | None = None,
) -> Entry:
    """Record that the certificate for the case file was issued (its receipt number and the
    entries it covers)."""
    certified_on = certified_on or today()

    def make(tx, row):
        body = {
            "case": row.case,
            "court": row.court,
            "certificate": certificate,
            "entries": list(entries),
            "certified_on": certified_on,
        }
        _raise_body(model.CERTIFIED, body)
        tx.append([EntryDraft(model.CERTIFIED, body, actor)])

    request = {"certify": [certificate, list(entries), certified_on]}
    return _step(engine, court, case, model.CERTIFIED, make, actor=actor, key=key, request=request)[
        -1
    ]


# --- queries -------------------------------------------------------------------------------


def timeline(conn: Connection, court: str, case: str) -> list[Entry]:
    """Every entry of the case, in order (the judicial ones; the units moves are named by
    the purchase and the retirement)."""
    seqs = list(
        conn.execute(
            select(STEP_T.c.seq)
            .where(STEP_T.c.court == court, STEP_T.c.case == case)
            .order_by(STEP_T.c.seq)
        ).scalars()
    )
    return [e for s in seqs for e in read_entries(conn, "main", s, s + 1)]


@dataclass(frozen=True, slots=True)
class UnitLine:
    """Serials a purchase took for a case: from which lot, project and seller (and its
    village), how many kg, for how many fen, and whether they are retired."""

    seq: int
    court: str
    case: str
    case_number: str
    project: str
    programme: str
    lot: str
    serials: str
    kg: int
    seller: str
    seller_village: str | None
    price_fen_per_t: int
    total_fen: int
    date: str
    retired_seq: int | None


def units_of(
    conn: Connection,
    *,
    court: str | None = None,
    case: str | None = None,
    within: str | None = None,
) -> list[UnitLine]:
    """The units purchases took: for one case, a court's cases, or a bureau's division."""
    stmt = (
        select(UNIT_T, CASE_T.c.case_number, LOT_T.c.serial_prefix, LOT_T.c.serial_digits)
        .join(CASE_T, and_(CASE_T.c.court == UNIT_T.c.court, CASE_T.c.case == UNIT_T.c.case))
        .join(LOT_T, LOT_T.c.lot == UNIT_T.c.lot)
        .order_by(UNIT_T.c.seq, UNIT_T.c.line)
    )
    if court is not None:
        stmt = stmt.where(UNIT_T.c.court == court)
    if case is not None:
        stmt = stmt.where(UNIT_T.c.case == case)
    if within is not None:
        stmt = stmt.where(CASE_T.c.division.startswith(within))
    from ledger.units.model import format_range

    return [
        UnitLine(
            r.seq, r.court, r.case, r.case_number, r.project, r.programme, r.lot,
            format_range(r.serial_prefix, r.serial_digits, r.first, r.last), r.kg, r.seller,
            r.seller_village, r.price_fen_per_t, r.total_fen, r.date, r.retired_seq,
        )
        for r in conn.execute(stmt)
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class AvailableLot:
    """Serials a seller holds that a purchase may take: project, programme, lot, seller (its
    account and name), the range as people read it, and how many kg."""

    project: str
    project_name: str
    programme: str
    division: str
    lot: str
    seller: str
    seller_name: str
    serials: str
    first: int
    last: int
    kg: int


def available_lots(
    conn: Connection, *, within: str | None = None, limit: int = 200
) -> list[AvailableLot]:
    """Serial ranges held (not pledged, not retired) by their projects' owners or other
    sellers (not cases, not companies that bought them), lowest first: what a court may
    buy. ``within``: projects in a division (the court's province by default)."""
    stmt = (
        select(
            HOLDING_T,
            LOT_T.c.project,
            LOT_T.c.programme,
            LOT_T.c.serial_prefix,
            LOT_T.c.serial_digits,
            LOT_T.c.unit_kg,
            PROJECT_T.c.name,
            PROJECT_T.c.division,
            PROJECT_T.c.owner,
            PROJECT_T.c.owner_name,
        )
        .join(LOT_T, LOT_T.c.lot == HOLDING_T.c.lot)
        .join(PROJECT_T, PROJECT_T.c.project == LOT_T.c.project)
        .where(HOLDING_T.c.state == "held", HOLDING_T.c.holder == PROJECT_T.c.owner)
        .order_by(LOT_T.c.seq, HOLDING_T.c.first)
        .limit(limit)
    )
    if within is not None:
        stmt = stmt.where(PROJECT_T.c.division.startswith(within))
    from ledger.units.model import count, format_range

    rows = list(conn.execute(stmt))
    names = units.holder_names(conn, sorted({r.holder for r in rows}))
    return [
        AvailableLot(
            r.project, r.name, r.programme, r.division, r.lot, r.holder,
            r.owner_name or names.get(r.holder, r.holder),
            format_range(r.serial_prefix, r.serial_digits, r.first, r.last), r.first, r.last,
            count(r.first, r.last) * r.unit_kg,
        )
        for r in rows
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Total:
    """Cases and tonnes of one year and court: cases filed, assessed loss, quantity
    decided, kg bought and retired, and yuan paid."""

    year: int
    court: str
    court_name: str
    cases: int
    loss_kg: int
    quantity_kg: int
    amount_fen: int


def totals(conn: Connection, *, within: str | None = None) -> list[Total]:
    """Per year (of filing) and court: the number of cases and their tonnes and yuan."""
    stmt = (
        select(
            CASE_T.c.year,
            CASE_T.c.court,
            CASE_T.c.court_name,
            func.count(),
            func.coalesce(func.sum(CASE_T.c.loss_kg), 0),
            func.coalesce(func.sum(CASE_T.c.quantity_kg), 0),
            func.coalesce(func.sum(CASE_T.c.amount_fen), 0),
        )
        .group_by(CASE_T.c.year, CASE_T.c.court, CASE_T.c.court_name)
        .order_by(CASE_T.c.year.desc(), CASE_T.c.court)
    )
    if within is not None:
        stmt = stmt.where(CASE_T.c.division.startswith(within))
    return [
        Total(y, c, n, int(k), int(lo), int(q), int(a))
        for y, c, n, k, lo, q, a in conn.execute(stmt)
    ]


@dataclass(frozen=True, slots=True)
class VillageIncome:
    """What judicial purchases paid a village's sellers: kg and fen, and in how many cases."""

    village: str
    kg: int
    total_fen: int
    cases: int


def by_village(conn: Connection, *, within: str | None = None) -> list[VillageIncome]:
    """Which villages the units came from, with their kg and yuan."""
    stmt = (
        select(
            UNIT_T.c.seller_village,
            func.sum(UNIT_T.c.kg),
            func.sum(UNIT_T.c.total_fen),
            func.count(func.distinct(UNIT_T.c.court + ":" + UNIT_T.c.case)),
        )
        .join(CASE_T, and_(CASE_T.c.court == UNIT_T.c.court, CASE_T.c.case == UNIT_T.c.case))
        .where(UNIT_T.c.seller_village.is_not(None))
        .group_by(UNIT_T.c.seller_village)
        .order_by(UNIT_T.c.seller_village)
    )
    if within is not None:
        stmt = stmt.where(CASE_T.c.division.startswith(within))
    return [VillageIncome(v, int(k), int(f), int(n)) for v, k, f, n in conn.execute(stmt)]


def overdue(
    conn: Connection, *, days: int, on: str | None = None, within: str | None = None
) -> list[tuple[Case, int]]:
    """Cases decided or purchased more than ``days`` days before ``on`` (today) and not yet
    retired: each with the days since its decision."""
    on_date = Date.fromisoformat(on or today())
    cutoff = (on_date - timedelta(days=days)).isoformat()
    stmt = (
        select(CASE_T)
        .where(
            CASE_T.c.state.in_([model.DECIDED, model.PURCHASED]),
            CASE_T.c.decided_on <= cutoff,
        )
        .order_by(CASE_T.c.decided_on)
    )
    if within is not None:
        stmt = stmt.where(CASE_T.c.division.startswith(within))
    out = []
    for r in conn.execute(stmt):
        c = _case_of(r)
        out.append((c, (on_date - Date.fromisoformat(c.decided_on)).days))
    return out


def defendant_names(conn: Connection, vault: Vault, codes: Sequence[str]) -> dict[str, str]:
    """The defendants' names, masked (张*华), by code: for the court's pages and the
    certificate. An erased record shows as its code."""
    names = vault_service.masked_names(conn, vault, codes)
    return {code: names.get(code) or code for code in codes}
