"""Commands: ``carbon-ledger community …`` (benefit sharing: rosters, distributions, payouts,
and ``preview``, which computes an allocation without a database)."""

from __future__ import annotations

import click


@click.group("community")
def community_group() -> None:
    """Benefit sharing (收益分配): rosters, distributions, payouts."""


# The clerk's commands on the database (rosters, the money picture), and the preview command
# (no database), which lives with the allocation it runs.
from ledger.community import commands as _commands  # noqa: E402, F401
from ledger.community import preview as _preview  # noqa: E402, F401
