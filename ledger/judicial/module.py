"""The judicial module: court cases, carbon-loss assessment by versioned methods, decisions,
restoration purchases that retire real carbon units for a case, and certificates (see
``docs/judicial.md``)."""

from __future__ import annotations

from ledger.platform import N_, Module

MODULE = Module(
    name="judicial",
    label=N_("Judicial carbon"),
    tables=("ledger.judicial.tables",),
    migrations="ledger.judicial.migrations",
    cli=("ledger.judicial.cli:judicial_group",),
    translations="ledger.judicial",
)
