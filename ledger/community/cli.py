"""Commands: ``carbon-ledger community …`` (benefit sharing: rosters, distributions, payouts,
and ``preview``, which computes an allocation without a database)."""

from __future__ import annotations

import click


@click.group("community")
def community_group() -> None:
    """Benefit sharing (收益分配): rosters, distributions, payouts."""
