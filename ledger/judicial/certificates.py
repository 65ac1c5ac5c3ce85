"""The certificate for the case file (林业碳汇认购核销证明): what it states, gathered from the
case's entries, and its PDF through the receipts toolkit (the document's layout is
:func:`ledger.judicial.documents.certificate_document`).

The certificate proves the case's filing, assessment, decision, purchase and retirement
entries (in that order: ``Bound(..., entry=i)`` binds a field to the ``i``-th); anyone can
verify it with ``carbon-ledger receipt verify`` or on the public verification page, which show
no more than the receipt itself. Issuing it records a ``judicial.certified`` entry naming its
number and the entries it proves; printing it again gives the same document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine

from ledger.accounts.model import Org, court_key
from ledger.config import Settings
from ledger.core.entry import Entry
from ledger.judicial import model, services
from ledger.receipts.issue import Issuer, issue
from ledger.services import keys
from ledger.storage.db import read_transaction
from ledger.units import services as units
from ledger.units.model import format_range
from ledger.vault.crypto import Vault

__all__ = ["Issuer", "certificate_pdf", "certify_case", "gather", "issuer_from_settings"]

#: The kinds whose latest entries a certificate proves, in order.
PROVED = (model.CASE, model.ASSESSMENT, model.DECISION, model.PURCHASE, model.RETIREMENT)


@dataclass(frozen=True)
class CertificateFacts:
    """What a certificate states.

    Attributes:
      number: the certificate's number (``SFTH-350428-2023-XC-45``).
      court_name, case_number: the court and the case.
      defendants_masked: the defendants' names, masked (张*华).
      case, assessment, decision, purchase, retirement: the bodies of the entries proved
        (the assessment's ``record`` holds the method, inputs and arithmetic).
      seqs: the seq of each of those entries, by kind name (``judicial.case``…).
      entries: the seqs proved, in :data:`PROVED` order (the ``entry=i`` of a bound field).
      seller_names: each seller account of the purchase in words (常口村 集体账户, a company's
        name).
      serials: each purchase line's serials as people read them (``0000001-00001–…``), in
        the order of the purchase's lines.
      programme_names: each programme key of the lines, in words of the language asked.
      payer_masked: who paid (a person masked, or the organisation's name).
    """

    number: str
    court_name: str
    case_number: str
    defendants_masked: tuple[str, ...]
    case: Mapping[str, Any]
    assessment: Mapping[str, Any]
    decision: Mapping[str, Any]
    purchase: Mapping[str, Any]
    retirement: Mapping[str, Any]
    seqs: Mapping[str, int]
    entries: tuple[int, ...]
    seller_names: Mapping[str, str]
    serials: tuple[str, ...]
    programme_names: Mapping[str, str]
    payer_masked: str


def certificate_number(row: services.Case) -> str:
    return f"SFTH-{row.court}-{row.case}"


def _latest(steps: list[Entry], kind: str) -> Entry | None:
    return next((e for e in reversed(steps) if e.kind == kind), None)


def _gettext(lang: str):
    from ledger.receipts.lang import gettext

    plain = gettext(lang)
    return lambda message, **kw: plain(message) % kw if kw else plain(message)


def gather(
    conn: Connection, vault: Vault, row: services.Case, lang: str = "zh"
) -> CertificateFacts:
    """The facts of the certificate of a retired (or certified) case; sellers in words of
    ``lang``."""
    from ledger.units.model import PROGRAMMES
    from ledger.units.projection import LOT_T
    from ledger.units.words import Words

    steps = services.timeline(conn, row.court, row.case)
    found = {kind: _latest(steps, kind) for kind in PROVED}
    missing = [k for k, e in found.items() if e is None]
    if missing:
        from ledger.core.errors import ConflictError

        raise ConflictError(
            "judicial.state",
            f"case {row.case_number} is not retired yet",
            {"state": row.state, "needs": model.RETIRED, "case_number": row.case_number},
        )
    purchase = found[model.PURCHASE].body
    case = found[model.CASE].body
    payer = purchase["payer"]
    codes = list(case["defendants"]) + ([payer["code"]] if payer["type"] == "person" else [])
    masked = services.defendant_names(conn, vault, codes)
    sellers = sorted({line["seller"] for line in purchase["lines"]})
    from ledger.accounts import services as accounts

    orgs = {o.account_key: o.name for o in accounts.list_orgs(conn)}
    words = Words(_gettext(lang), lang, orgs, units.holder_names(conn, sellers))
    lots = {
        r.lot: r
        for r in conn.execute(
            LOT_T.select().where(LOT_T.c.lot.in_(sorted({x["lot"] for x in purchase["lines"]})))
        )
    }
    serials = tuple(
        format_range(
            lots[x["lot"]].serial_prefix, lots[x["lot"]].serial_digits, x["first"], x["last"]
        )
        for x in purchase["lines"]
    )
    return CertificateFacts(
        number=certificate_number(row),
        court_name=row.court_name,
        case_number=row.case_number,
        defendants_masked=tuple(masked.get(c, c) for c in case["defendants"]),
        case=case,
        assessment=found[model.ASSESSMENT].body,
        decision=found[model.DECISION].body,
        purchase=purchase,
        retirement=found[model.RETIREMENT].body,
        seqs={k: e.seq for k, e in found.items()},
        entries=tuple(found[k].seq for k in PROVED),
        seller_names={s: words.account(s) for s in sellers},
        serials=serials,
        programme_names={
            x["programme"]: _gettext(lang)(PROGRAMMES[x["programme"]].label)
            for x in purchase["lines"]
        },
        payer_masked=masked.get(payer["code"], payer["code"])
        if payer["type"] == "person"
        else payer["name"],
    )


def issuer_from_settings(settings: Settings) -> Issuer:
    """The instance's issuer: its signing key, log origin and public address."""
    signer = keys.load_signer(settings.key_path, settings.log_origin)
    return Issuer(signer, settings.log_origin, settings.public_base)


def render(engine: Engine, issuer: Issuer, facts: CertificateFacts) -> bytes:
    """The certificate's PDF (with its proof of every entry it states)."""
    from ledger.judicial.documents import certificate_document

    return issue(engine, issuer, list(facts.entries), certificate_document(facts))


def certify_case(
    engine: Engine,
    issuer: Issuer,
    vault: Vault,
    *,
    court: Org,
    case: str,
    actor: str,
    key: str | None = None,
    certified_on: str | None = None,
) -> tuple[Entry, bytes]:
    """Issue the certificate of a retired case: render it (so nothing is recorded if it
    cannot be), then record the ``judicial.certified`` entry. Returns the entry and the PDF."""
    with read_transaction(engine) as conn:
        row = services.get_case(conn, court_key(court.code), case)
        facts = gather(conn, vault, row)
    pdf = render(engine, issuer, facts)
    entry = services.certify(
        engine, court=court, case=case, certificate=facts.number, entries=facts.entries,
        certified_on=certified_on, actor=actor, key=key,
    )  # fmt: skip
    return entry, pdf


def certificate_pdf(engine: Engine, issuer: Issuer, vault: Vault, row: services.Case) -> bytes:
    """The certificate of a certified case, printed again (the same bytes for the same
    checkpoint)."""
    with read_transaction(engine) as conn:
        facts = gather(conn, vault, row)
    return render(engine, issuer, facts)
