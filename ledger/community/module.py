"""The community module: rosters, sharing rules, distributions approved by the villagers'
assembly and publicly noticed, finalised allocations to households, bank payouts, slips and
notices (see ``docs/community.md``)."""

from __future__ import annotations

from ledger.platform import N_, Module

MODULE = Module(
    name="community",
    label=N_("Benefit sharing"),
    tables=("ledger.community.tables",),
    migrations="ledger.community.migrations",
    cli=("ledger.community.cli:community_group",),
    translations="ledger.community",
)
