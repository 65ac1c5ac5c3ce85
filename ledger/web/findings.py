"""Verification findings (:class:`ledger.core.findings.Finding`) as sentences in the display
language. A finding's ``message`` is a technical note in English for operators and the command
line; pages show the sentence for its ``code`` here, and keep the note as a detail.

Codes come from :mod:`ledger.services.verify`, :mod:`ledger.services.verify_scan`, the
projectors (:mod:`ledger.services.projections`) and the posting checks
(:func:`ledger.core.entry.check_postings`). A code without a sentence here gets a general one.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ledger.core.findings import Finding

SENTENCES = {
    "chain.broken": _l("This entry does not name the hash of the entry before it."),
    "leaf.hash_mismatch": _l("The stored hash of this entry is not the hash of its content."),
    "leaf.not_canonical": _l("This entry's content is not in the exact form that is hashed."),
    "leaf.malformed": _l("This entry's content does not have the shape of a log entry."),
    "leaf.seq_mismatch": _l("This entry's content gives a different entry number."),
    "entry.missing": _l("Entries are missing from the log."),
    "entry.duplicate": _l("An entry appears more than once."),
    "entry.column_mismatch": _l("The stored kind, time or author differ from the entry's content."),
    "posting.mismatch": _l("The stored amounts differ from the entry's content."),
    "posting.type": _l("An amount of this entry is not a posting."),
    "posting.account": _l("An account name in this entry is not valid."),
    "posting.commodity": _l("An amount in this entry is in an unknown unit."),
    "posting.amount_type": _l("An amount in this entry is not a whole number of fen or kg."),
    "posting.amount_range": _l("An amount in this entry is zero or too large."),
    "posting.unbalanced": _l("The amounts of this entry do not add up to zero."),
    "tree.node_mismatch": _l("A stored hash of the log's tree is missing or wrong."),
    "tree.node_count": _l("The log's tree has the wrong number of stored hashes."),
    "head.missing": _l("The log's summary of its latest state is missing."),
    "head.size": _l("The log's summary gives a different number of entries."),
    "head.mismatch": _l("The log's summary of its latest state differs from the entries."),
    "checkpoint.numbering": _l("The signed checkpoints are not numbered in sequence."),
    "checkpoint.signature": _l("A stored checkpoint's signature does not verify."),
    "checkpoint.columns": _l("A stored checkpoint's size or root differ from its signed note."),
    "checkpoint.shrunk": _l("A signed checkpoint covers fewer entries than the one before."),
    "checkpoint.inconsistent": _l(
        "A signed checkpoint is not consistent with the one before: history was changed."
    ),
    "checkpoint.external": _l(
        "The checkpoint you gave does not verify: it is incomplete, changed, or signed by "
        "another key. Paste the whole note, including its signature line."
    ),
    "log.truncated": _l(
        "A checkpoint covers more entries than the log has now: entries were removed."
    ),
    "log.rewritten": _l(
        "The entries a checkpoint covers no longer give its signed root: history was changed."
    ),
    "projection.balance": _l("A stored balance differs from what the log's entries give."),
    "projection.doc_anchor": _l("A stored document record differs from the log."),
}
UNKNOWN = _l("Something stored does not match the log.")


@dataclass(frozen=True)
class ShownFinding:
    """A finding as a page shows it: a sentence, the entry concerned, the technical note."""

    sentence: str
    seq: int | None
    detail: str


def shown(finding: Finding) -> ShownFinding:
    sentence = SENTENCES.get(finding.code, UNKNOWN)
    return ShownFinding(str(sentence), finding.seq, f"{finding.code}: {finding.message}")
