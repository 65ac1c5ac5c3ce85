"""The one-yuan buyer's certificate (一元碳汇认购证书): a receipt PDF of one purchase.

A certificate states the certificate number, the buyer (the name as they entered it in the
mini-programme, read from the vault: it is never in the leaf), the project and the village
that owns it, the kilograms of CO2e and the yuan (in figures and in 大写), the date of
payment, the serials retired for the buyer, and carries the purchase entry's proof
(``ledger.receipts``): everything but the buyer's and the project's names is printed from
the entry, so ``carbon-ledger receipt verify`` notices an edited amount, date or serial.

One certificate is made on demand for an order (:func:`order_certificate`); the certificates of
a whole import are made together (:func:`import_certificates`), against one checkpoint for
the batch, yielded one by one so that the caller shows progress and writes each file as it
comes. The same entry, checkpoint and names give the same bytes.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select

from ledger.accounts import services as accounts
from ledger.core.entry import Entry
from ledger.core.errors import NotFoundError, ValidationError
from ledger.jobs.runner import JobContext, JobKind
from ledger.platform import N_
from ledger.receipts.issue import Issuer, issue_each
from ledger.receipts.lang import gettext as catalog
from ledger.receipts.pdf import Bound, Document, Field
from ledger.services import keys
from ledger.services.log import read_entries
from ledger.storage.db import read_transaction
from ledger.units import book, services
from ledger.units.projection import SALE_T
from ledger.units.words import Words
from ledger.vault.crypto import Vault
from ledger.vault.fields import NAME
from ledger.vault.service import get as vault_get

#: The name of the job that makes an import's certificates (from the import's page).
JOB_NAME = "units.oneyuan_certificates"
#: Certificates are made (and progress reported) in batches of this many: one checkpoint each.
BATCH = 1_000
_UNSAFE = re.compile(r"[^0-9A-Za-z._-]")

Progress = Callable[..., None]


@dataclass(frozen=True)
class Certificate:
    """One certificate made: the purchase's ``seq``, ``order_id`` and ``certificate_no``, the
    file name to save it under and the PDF."""

    seq: int
    order_id: str
    certificate_no: str
    filename: str
    pdf: bytes


def file_name(certificate_no: str, seq: int) -> str:
    """A safe file name for a certificate: its number (characters other than letters, digits,
    ``.``, ``_`` and ``-`` replaced by ``_``) and the entry number, so two never collide."""
    return f"{_UNSAFE.sub('_', certificate_no)}-{seq}.pdf"


def _words_gettext(lang: str):
    plain = catalog(lang)

    def gettext(message: str, **params: Any) -> str:
        text = plain(message)
        return text % params if params else text

    return gettext


# --- finding the purchases -----------------------------------------------------------------


def order_seq(conn: Connection, order_id: str, within: str | None = None) -> int:
    """The entry of the purchase ``order_id`` (within division ``within`` if given). Raises
    NotFoundError ``units.order_unknown`` when there is none."""
    stmt = select(SALE_T.c.seq, SALE_T.c.division).where(
        SALE_T.c.order_id == order_id, SALE_T.c.kind == "oneyuan"
    )
    row = conn.execute(stmt).one_or_none()
    if row is None or (within is not None and not row.division.startswith(within)):
        raise NotFoundError(
            "units.order_unknown", f"there is no one-yuan order {order_id}", {"order": order_id}
        )
    return int(row.seq)


def import_seqs(conn: Connection, anchor_seq: int, within: str | None = None) -> list[int]:
    """The purchases of the import whose file anchor is entry ``anchor_seq`` (``first_seq``
    of the import's result): the ``units.oneyuan`` entries written with it, which follow it in
    the log and name its file's SHA-256. Raises NotFoundError ``units.import_unknown`` when
    ``anchor_seq`` is not such an import (or none of it lies within ``within``)."""
    unknown = NotFoundError(
        "units.import_unknown", f"entry {anchor_seq} is not a one-yuan import", {"seq": anchor_seq}
    )
    (anchor,) = list(read_entries(conn, "main", anchor_seq, anchor_seq + 1)) or (None,)
    if anchor is None or anchor.kind != "doc.anchor":
        raise unknown
    sha256 = anchor.body.get("sha256")
    rows = conn.execute(
        select(SALE_T.c.seq, SALE_T.c.kind, SALE_T.c.division)
        .where(SALE_T.c.seq > anchor_seq)
        .order_by(SALE_T.c.seq)
        .limit(1)
    ).all()
    if not rows or rows[0].seq != anchor_seq + 1 or rows[0].kind != "oneyuan":
        raise unknown
    seqs: list[int] = []
    start = anchor_seq + 1
    while True:  # the purchases follow the anchor without a gap, a chunk at a time
        chunk = list(read_entries(conn, "main", start, start + 5_000))
        mine = [
            e
            for e in _while(chunk, lambda e: e.kind == book.ONEYUAN)
            if e.body.get("file_sha256") == sha256
        ]
        seqs.extend(e.seq for e in mine if within is None or e.body["division"].startswith(within))
        if len(mine) < len(chunk) or len(chunk) < 5_000:
            break
        start += 5_000
    if not seqs:
        raise unknown
    return seqs


def _while(entries: Sequence[Entry], keep: Callable[[Entry], bool]) -> list[Entry]:
    out = []
    for e in entries:
        if not keep(e):
            break
        out.append(e)
    return out


# --- the document --------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """What a certificate prints that is not in the entry: the buyers' names (vault code →
    name as entered), the projects (code → project) and the organisations' names."""

    buyers: Mapping[str, str]
    projects: Mapping[str, Any]
    orgs: Mapping[str, str]
    bureaus: Mapping[str, str]


def read_names(conn: Connection, vault: Vault, entries: Sequence[Entry]) -> Names:
    """The names the certificates of ``entries`` print. A buyer whose record was erased has
    no name (the certificate says so)."""
    buyers: dict[str, str] = {}
    for code in sorted({e.body["buyer"]["code"] for e in entries}):
        fields = vault_get(conn, vault, code).fields
        if NAME in fields:
            buyers[code] = fields[NAME]
    projects = {
        code: services.get_project(conn, code)
        for code in sorted({e.body["project"] for e in entries})
    }
    orgs = accounts.list_orgs(conn)
    return Names(
        buyers,
        projects,
        {o.account_key: o.name for o in orgs},
        {o.code: o.name for o in orgs if o.kind == "bureau"},
    )


def _leg(entry: Entry, commodity: str) -> int:
    return next(
        i for i, p in enumerate(entry.postings) if p.commodity == commodity and p.amount > 0
    )


def certificate_document(entry: Entry, names: Names, lang: str = "zh") -> Document:
    """The certificate of the purchase ``entry`` (a ``units.oneyuan`` entry)."""
    if entry.kind != book.ONEYUAN:
        raise ValidationError("units.not_oneyuan", f"entry {entry.seq} is not a one-yuan purchase")
    _ = _words_gettext(lang)
    body = entry.body
    project = names.projects[body["project"]]
    words = Words(_, lang, names.orgs)
    owner = words.account(project.owner)
    buyer = names.buyers.get(body["buyer"]["code"]) or _("(name erased at the buyer's request)")
    cny = _leg(entry, "CNY")
    fields = [
        Field(_("Certificate number"), Bound("/leaf/body/certificate_no", "text")),
        Field(_("Purchaser"), buyer),
        Field(_("Order number"), Bound("/leaf/body/order_id", "text")),
        Field(_("Carbon project"), project.name),
        Field(_("Project code"), Bound("/leaf/body/project", "text")),
        Field(_("Project owner"), project.owner_name or owner),
        Field(_("Carbon bought (CO2e)"), Bound("/leaf/body/kg", "kg")),
        Field(_("Amount of the purchase"), Bound(f"/leaf/postings/{cny}/amount", "yuan")),
        Field(_("Amount in words"), Bound(f"/leaf/postings/{cny}/amount", "yuan_capital")),
        Field(_("Date of purchase"), Bound("/leaf/body/paid_at", "date")),
    ]
    ranges = body["serials"]
    for i, _range in enumerate(ranges):
        n = f"（{i + 1}）" if len(ranges) > 1 else ""
        fields += [
            Field(_("Retired lot") + n, Bound(f"/leaf/body/serials/{i}/0", "text")),
            Field(_("First serial retired") + n, Bound(f"/leaf/body/serials/{i}/1", "integer")),
            Field(_("Last serial retired") + n, Bound(f"/leaf/body/serials/{i}/2", "integer")),
        ]
    bureau = names.bureaus.get(body["division"][:6], "")
    return Document(
        title=_("One-yuan carbon purchase certificate"),
        subtitle=bureau,
        number=_("No. %(number)s", number=body["certificate_no"]),
        fields=tuple(fields),
        notes=(
            _(
                "The buyer named above bought this forest carbon sink through the one-yuan "
                "carbon programme. The units with the serials above were retired for the "
                "buyer when the purchase was recorded: they can never be sold, pledged or "
                "retired again. The money goes to the project's owner."
            ),
        ),
    )


# --- making certificates -------------------------------------------------------------------


def issuer_of(settings) -> Issuer:
    """The instance's issuer: its signing key, log origin and public address."""
    signer = keys.load_signer(settings.key_path, settings.log_origin)
    return Issuer(signer, settings.log_origin, settings.public_base)


def certificates(
    engine: Engine,
    issuer: Issuer,
    vault: Vault,
    seqs: Sequence[int],
    *,
    lang: str = "zh",
    progress: Progress | None = None,
) -> Iterator[Certificate]:
    """The certificates of the purchases ``seqs``, in order, made a batch of :data:`BATCH` at
    a time (one checkpoint signed per batch, only when the latest does not cover it yet).
    ``progress("certificates", done, total)`` is called as they are made."""
    total = len(seqs)
    if progress is not None:
        progress("certificates", 0, total, force=True)
    done = 0
    for start in range(0, total, BATCH):
        batch = list(seqs[start : start + BATCH])
        with read_transaction(engine) as conn:
            entries = _entries(conn, batch)
            if len(entries) != len(batch) or any(e.kind != book.ONEYUAN for e in entries):
                raise NotFoundError("units.order_unknown", "not every entry is a purchase")
            names = read_names(conn, vault, entries)
        requests = [
            ([e.seq], lambda proven, names=names: certificate_document(proven[0], names, lang))
            for e in entries
        ]
        for entry, pdf in zip(entries, issue_each(engine, issuer, requests, lang), strict=True):
            body = entry.body
            yield Certificate(
                entry.seq,
                body["order_id"],
                body["certificate_no"],
                file_name(body["certificate_no"], entry.seq),
                pdf,
            )
            done += 1
            if progress is not None:
                progress("certificates", done, total)


def _entries(conn: Connection, seqs: Sequence[int]) -> list[Entry]:
    """The entries ``seqs`` in that order (one range read when they lie close together)."""
    low, high = min(seqs), max(seqs)
    if high - low < 2 * len(seqs):
        found = {e.seq: e for e in read_entries(conn, "main", low, high + 1)}
    else:
        found = {e.seq: e for s in set(seqs) for e in read_entries(conn, "main", s, s + 1)}
    return [found[s] for s in seqs if s in found]


def order_certificate(
    engine: Engine,
    issuer: Issuer,
    vault: Vault,
    order_id: str,
    *,
    within: str | None = None,
    lang: str = "zh",
) -> Certificate:
    """The certificate of the order ``order_id``. Raises NotFoundError when there is no such
    order (within ``within``)."""
    with read_transaction(engine) as conn:
        seq = order_seq(conn, order_id, within)
    return next(certificates(engine, issuer, vault, [seq], lang=lang))


def import_certificates(
    engine: Engine,
    issuer: Issuer,
    vault: Vault,
    anchor_seq: int,
    *,
    within: str | None = None,
    lang: str = "zh",
    progress: Progress | None = None,
) -> Iterator[Certificate]:
    """The certificates of every purchase of the import anchored at entry ``anchor_seq``."""
    with read_transaction(engine) as conn:
        seqs = import_seqs(conn, anchor_seq, within)
    return certificates(engine, issuer, vault, seqs, lang=lang, progress=progress)


def write_zip(path: Path, made: Iterator[Certificate]) -> int:
    """Write the certificates into a ZIP file at ``path`` (stored, fixed dates, so the same
    certificates give the same bytes); the number written. The file appears complete or not
    at all (written beside, then renamed)."""
    partial = path.with_name(path.name + ".part")
    count = 0
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
        for cert in made:
            info = zipfile.ZipInfo(cert.filename, date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, cert.pdf)
            count += 1
    partial.replace(path)
    return count


def output_path(settings, job_id: int) -> Path:
    """Where a certificates job leaves its ZIP file (in the instance folder)."""
    return Path(settings.instance_path) / "certificates" / f"oneyuan-{job_id}.zip"


def _run_job(ctx: JobContext) -> Mapping[str, Any]:
    """The import page's job: every certificate of an import, into a ZIP file."""
    settings = ctx.settings
    made = import_certificates(
        ctx.engine,
        issuer_of(settings),
        Vault.from_settings(settings),
        int(ctx.params["import"]),
        within=ctx.params.get("within"),
        lang=ctx.params.get("lang", "zh"),
        progress=ctx.progress,
    )
    path = output_path(settings, ctx.job.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = write_zip(path, made)
    return {"certificates": count, "import": int(ctx.params["import"])}


CERTIFICATES_JOB = JobKind(JOB_NAME, N_("One-yuan purchase certificates"), _run_job)
