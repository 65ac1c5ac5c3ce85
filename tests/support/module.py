"""The test suite's own module: entry kinds for tests that append facts no real module owns.

The suite names it in ``LEDGER_EXTRA_MODULES`` (``tests/conftest.py``), so every process it
starts — the CLI, the writers of the concurrency tests, gunicorn — loads it too.
"""

from ledger.platform import N_, Amount, EntryKind, Module, Term

#: Public test kinds (anyone reads their contents); every other test kind is scoped.
PUBLIC_NOTE = "test.public_note"
FILLER = "test.filler"
#: A scoped kind whose module describes its entries in words (EntryKind.describe).
DESCRIBED = "test.payout"


def describe_payout(body, postings):
    """What a ``test.payout`` states: the household's code, the money paid, and why."""
    paid = sum(p.amount for p in postings if p.commodity == "CNY" and p.amount > 0)
    return [
        (N_("Household"), body["household"]),
        (N_("Paid"), Amount(paid, "CNY")),
        (N_("Reason"), Term(N_("Test record"))),
    ]


MODULE = Module(
    name="testing",
    label=N_("Tests"),
    kinds=(
        *(
            EntryKind(name, N_("Test record"))
            for name in ("test.note", "test.sale", "test.purchase", "test.x")
        ),
        *(EntryKind(name, N_("Test record"), public=True) for name in (PUBLIC_NOTE, FILLER)),
        EntryKind(DESCRIBED, N_("Test record"), describe=describe_payout),
    ),
)
