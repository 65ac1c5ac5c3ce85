"""Commands: ``carbon-ledger judicial …`` (``assess``: the carbon-loss calculator for clerks
and assessors; ``cases``: a court's cases as JSON lines)."""

from __future__ import annotations

import click


@click.group("judicial")
def judicial_group() -> None:
    """Judicial carbon (司法碳汇): assess a carbon loss, list cases."""


# The assessment calculator registers itself on the group (judicial-assess's file).
from ledger.judicial import assess_cli as _assess_cli  # noqa: E402, F401
