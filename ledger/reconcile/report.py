"""The reconciliation report of a bureau's division as a PDF, through the receipts toolkit.

The report states, as of the moment it is made: per class of finding, how many there are, how
many are not acknowledged yet and how many units they concern; then every finding that asks
for attention (all but ``matched``, newest first, at most :data:`MAX_ROWS`; the CSV report has
them all). It *proves* the newest finding it counts, and the newest registry import of each
registry it names (``reconcile.import`` entries, which anchor the files' digests): each gets
the toolkit's verification block (entry number, time, leaf hash, checkpoint), and the signed
checkpoint covers every finding listed before it. No personal data: findings carry none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from ledger.formatting import beijing
from ledger.platform import N_
from ledger.receipts.issue import Issuer, issue
from ledger.receipts.lang import gettext
from ledger.receipts.pdf import Document, Field, Rows
from ledger.reconcile import findings
from ledger.reconcile.imports import IMPORT
from ledger.storage.db import read_transaction

#: The most findings the PDF lists (the CSV report lists every one).
MAX_ROWS = 1000

CLASS_LABELS = {
    findings.MATCHED: N_("Matched"),
    findings.MISSING: N_("Missing in the registry"),
    findings.QUANTITY: N_("Quantity does not match"),
    findings.BENEFICIARY: N_("Beneficiary or case does not match"),
    findings.DOUBLE: N_("Retired twice"),
    findings.UNKNOWN: N_("Retired in the registry, not in the ledger"),
}
REGISTRY_LABELS = {
    "verra": N_("Verra"),
    "gs": N_("Gold Standard"),
    "car": N_("Climate Action Reserve"),
    "acr": N_("American Carbon Registry"),
}


class NothingToReport(LookupError):
    """The division has no finding yet: there is nothing for a report to prove."""


@dataclass(frozen=True)
class Report:
    """A report ready to print: the document and the entries it proves."""

    document: Document
    seqs: tuple[int, ...]


def _latest_imports(engine: Engine, registries: Sequence[str]) -> list[int]:
    with read_transaction(engine) as conn:
        rows = conn.execute(
            select(func.max(IMPORT.c.seq))
            .where(IMPORT.c.registry.in_(sorted(registries)))
            .group_by(IMPORT.c.registry)
        ).scalars()
        return sorted(rows)


def build(engine: Engine, division: str, bureau: str, now: str, lang: str = "zh") -> Report:
    """The report of the findings a bureau of ``division`` (named ``bureau``) sees, made at
    ``now`` (UTC ISO). Raises :class:`NothingToReport` when there is none."""
    _ = gettext(lang)
    every = findings.list_findings(engine, division, limit=None)
    if not every:
        raise NothingToReport(division)
    summary = findings.summary(engine, division)

    def cls(name: str) -> str:
        return _(CLASS_LABELS[name])

    def registry(name: str) -> str:
        return _(REGISTRY_LABELS[name]) if name in REGISTRY_LABELS else name

    def number(n: int) -> str:
        return f"{n:,}"

    totals = Rows(
        (_("Finding"), _("Findings"), _("Not yet acknowledged"), _("Units concerned")),
        tuple(
            (cls(c), number(line["count"]), number(line["open"]), number(line["quantity"]))
            for c, line in summary.items()
        ),
        title=_("Summary"),
        widths=(3, 1, 1.4, 1.4),
    )
    attention = [f for f in every if f.cls != findings.MATCHED]
    listed = tuple(
        (
            str(f.seq),
            cls(f.cls),
            registry(f.registry) + (f" {f.block}" if f.block else ""),
            f"{f.first_serial:,}–{f.last_serial:,}",
            number(f.quantity),
            beijing(f.found_at, lang),
            str(f.acknowledged_seq) if f.acknowledged_seq is not None else _("open"),
        )
        for f in attention[:MAX_ROWS]
    )
    tables = [totals]
    if listed:
        tables.append(
            Rows(
                (
                    _("Entry"),
                    _("Finding"),
                    _("Registry"),
                    _("Serials"),
                    _("Units"),
                    _("Found (Beijing time)"),
                    _("Acknowledged by entry"),
                ),
                listed,
                title=_("Findings that ask for attention"),
                widths=(0.7, 2.1, 1.1, 3.6, 0.9, 2.3, 1.1),
            )
        )
    notes = [
        _(
            "Each finding is an entry of the ledger's log: its number is in the first column. "
            "Matched retirements are counted above and listed in the CSV report."
        )
    ]
    if len(attention) > MAX_ROWS:
        notes.append(
            _("%(n)s more findings are listed in the CSV report.")
            % {"n": number(len(attention) - MAX_ROWS)}
        )
    newest = max(f.seq for f in every)
    imports = _latest_imports(engine, {f.registry for f in every})
    fields = (
        Field(_("Bureau"), bureau),
        Field(_("Division"), division),
        Field(_("Made"), beijing(now, lang)),
        Field(_("Findings counted up to entry"), str(newest)),
    )
    document = Document(
        title=_("Registry reconciliation report"),
        subtitle=bureau,
        number=f"REC-{division}-{now[:10].replace('-', '')}",
        fields=fields,
        tables=tuple(tables),
        notes=tuple(notes),
    )
    return Report(document, (newest, *[s for s in imports if s != newest]))


def pdf(
    engine: Engine,
    issuer: Issuer,
    division: str,
    bureau: str,
    now: str,
    lang: str = "zh",
) -> bytes:
    """The report's PDF (see :func:`build`), proving its entries against a signed checkpoint
    (signed now when the latest does not cover them)."""
    report = build(engine, division, bureau, now, lang)
    return issue(engine, issuer, list(report.seqs), report.document, lang)
