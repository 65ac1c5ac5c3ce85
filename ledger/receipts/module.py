"""The receipts module: proof bundles, receipt PDFs, ``carbon-ledger receipt`` and the public
verification page. It owns no entry kinds: it proves the entries of every other module."""

from __future__ import annotations

from ledger.platform import N_, Module, NavItem

EVERYONE = ("anonymous", "village", "court", "bureau", "admin")

MODULE = Module(
    name="receipts",
    label=N_("Receipts"),
    tables=("ledger.receipts.tables",),
    migrations="ledger.receipts.migrations",
    blueprints=("ledger.receipts.views:bp",),
    cli=("ledger.receipts.cli:receipt_group",),
    nav=(NavItem("receipts.check", N_("Verify a receipt"), EVERYONE, order=82),),
    messages={
        "receipt.file": N_("This file is neither a receipt PDF nor a receipt.json."),
        "receipt.no_bundle": N_(
            "This PDF carries no proof (no attached receipt.json): it is not a receipt of "
            "this ledger, or its proof was removed."
        ),
        "receipt.format": N_(
            "The proof attached to the receipt is damaged or was altered: it is not in the "
            "form it was issued in."
        ),
        "receipt.leaf": N_("The recorded entry in the receipt is damaged or was altered."),
        "receipt.checkpoint": N_("The checkpoint in the receipt is damaged or was altered."),
        "receipt.signature": N_(
            "The checkpoint in the receipt is not signed by this ledger's key: the receipt was "
            "altered, or it comes from another ledger."
        ),
        "receipt.not_covered": N_(
            "The checkpoint in the receipt (%(size)s entries) does not cover entry %(seq)s."
        ),
        "receipt.inclusion": N_(
            "The proof does not lead from the recorded entry to the signed checkpoint: the "
            "entry or the proof was altered."
        ),
        "receipt.printed_missing": N_(
            "The PDF does not say where it prints all of the entry's key facts (its number, "
            "time, amounts, leaf hash and checkpoint size), so its printed text cannot be "
            "checked."
        ),
        "receipt.printed": N_(
            "The printed text was altered: “%(label)s” reads “%(printed)s” but the recorded "
            "entry says “%(expected)s”."
        ),
        "receipt.printed_absent": N_(
            "The printed text was altered: “%(label)s” is no longer printed."
        ),
        "receipt.inconsistent": N_(
            "The log today is not consistent with the checkpoint in the receipt: the log was "
            "rewritten after the receipt was issued."
        ),
        "receipt.online": N_("The server could not be asked: %(reason)s"),
        "receipt.no_entry": N_("The log has no entry %(seq)s yet."),
    },
    translations="ledger.receipts",
)
