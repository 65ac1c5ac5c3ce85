"""The test suite's own module: entry kinds for tests that append facts no real module owns.

The suite names it in ``LEDGER_EXTRA_MODULES`` (``tests/conftest.py``), so every process it
starts — the CLI, the writers of the concurrency tests, gunicorn — loads it too.
"""

from ledger.platform import N_, EntryKind, Module

PUBLIC_NOTE = "test.public_note"

MODULE = Module(
    name="testing",
    label=N_("Tests"),
    kinds=(
        *(
            EntryKind(name, N_("Test record"))
            for name in ("test.note", "test.sale", "test.purchase", "test.x", "test.filler")
        ),
        EntryKind(PUBLIC_NOTE, N_("Test record"), public=True),
    ),
)
