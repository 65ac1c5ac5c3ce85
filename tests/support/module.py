"""The test suite's own module: entry kinds for tests that append facts no real module owns.

The suite names it in ``LEDGER_EXTRA_MODULES`` (``tests/conftest.py``), so every process it
starts — the CLI, the writers of the concurrency tests, gunicorn — loads it too.
"""

from ledger.platform import N_, EntryKind, Module

#: Public test kinds (anyone reads their contents); every other test kind is scoped.
PUBLIC_NOTE = "test.public_note"
FILLER = "test.filler"

MODULE = Module(
    name="testing",
    label=N_("Tests"),
    kinds=(
        *(
            EntryKind(name, N_("Test record"))
            for name in ("test.note", "test.sale", "test.purchase", "test.x")
        ),
        *(EntryKind(name, N_("Test record"), public=True) for name in (PUBLIC_NOTE, FILLER)),
    ),
)
