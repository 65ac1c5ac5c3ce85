"""Issuing receipts: the small API the modules use.

A module names the entries a document proves and describes the document; this builds their
proof bundles (signing one checkpoint for the whole batch when the latest does not cover them
yet) and renders each PDF::

    from ledger.receipts.issue import Issuer, issue
    from ledger.receipts.pdf import Bound, Document, Field

    document = Document(
        title="农户收益分配凭证",
        fields=(Field("农户", "H-3F9A"), Field("金额", Bound("/leaf/postings/1/amount", "yuan"))),
    )
    pdf = issue(engine, issuer, [seq], document)

:func:`issue_each` does the same for many documents at once (a bulk import), yielding each PDF
as it is rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from ledger.accounts import services as accounts
from ledger.core.entry import Entry
from ledger.core.errors import ValidationError
from ledger.core.note import Signer
from ledger.platform import registry
from ledger.receipts import bundle, pdf
from ledger.receipts.facts import accounts_in_words, shown_facts
from ledger.receipts.lang import gettext
from ledger.receipts.pdf import Document, Field
from ledger.storage.db import read_transaction

#: A document, or how to make one from the entries it proves.
DocumentSource = Document | Callable[[list[Entry]], Document]


@dataclass(frozen=True)
class Issuer:
    """Who issues receipts: the log's signing key and origin (to sign a checkpoint when one is
    needed), and the address of the public pages (for the QR codes)."""

    signer: Signer
    origin: str
    public_url: str
    log: str = "main"


def entry_document(
    entries: Sequence[Entry], lang: str = "zh", org_names: Mapping[str, str] | None = None
) -> Document:
    """The generic receipt of entries: what each states (:mod:`.facts`), one after another,
    organisations by their names in ``org_names`` (account key → name) where known."""
    _ = gettext(lang)
    reg = registry()
    account = accounts_in_words(reg, _, org_names or {})
    fields: list[Field] = []
    for n, entry in enumerate(entries, 1):
        prefix = f"({n}) " if len(entries) > 1 else ""
        fields.extend(
            Field(prefix + label, value)
            for label, value in shown_facts(entry, reg, lang, _, account)
        )
    return Document(title=_("Ledger record receipt"), fields=tuple(fields))


def issue_each(
    engine: Engine,
    issuer: Issuer,
    requests: Sequence[tuple[Sequence[int], DocumentSource | None]],
    lang: str = "zh",
) -> Iterator[bytes]:
    """One PDF per ``(seqs, document)`` request, in order. Every bundle is built first, against
    one checkpoint (signed now if the latest does not cover every entry); then each PDF is
    rendered and yielded. A document of None is the generic receipt of its entries."""
    if not requests or not all(wanted for wanted, _ in requests):
        raise ValidationError("receipt.no_seq", "every receipt proves at least one entry")
    seqs = [seq for wanted, _ in requests for seq in wanted]
    built = bundle.build(engine, seqs, issuer.signer, issuer.origin, issuer.log)
    with read_transaction(engine) as conn:
        org_names = {org.account_key: org.name for org in accounts.list_orgs(conn)}
    start = 0
    for wanted, source in requests:
        mine = built[start : start + len(wanted)]
        start += len(wanted)
        if source is None or callable(source):
            entries = [b.entry() for b in mine]
            if source is None:
                document = entry_document(entries, lang, org_names)
            else:
                document = source(entries)
        else:
            document = source
        yield pdf.render(document, mine, public_url=issuer.public_url, lang=lang)


def issue(
    engine: Engine,
    issuer: Issuer,
    seqs: Sequence[int],
    document: DocumentSource | None = None,
    lang: str = "zh",
) -> bytes:
    """The PDF of ``document`` (the generic receipt when None) proving entries ``seqs``."""
    return next(issue_each(engine, issuer, [(seqs, document)], lang))
