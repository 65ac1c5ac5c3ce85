"""``carbon-ledger community preview``: share an amount among a roster's households by a rule,
without any database, and print the result as JSON.

::

    carbon-ledger community preview --roster roster.csv --amount 12345.67 --rule rule.json
    {"total_fen": 1234567, "retained_fen": 123456, "low_income_fen": 0,
     "allocations": [{"household_code": "H-001", "amount_fen": 45678}, …]}

The roster needs only ``household_code,members,forest_area_mu,low_income`` (other columns
are ignored; :func:`ledger.community.rosterfile.parse_preview_roster`), the amount is in yuan
with at most two decimals, the rule is JSON (:func:`ledger.community.allocation.parse_rule`).
``allocations`` follow the roster's order. ``--explain`` adds each household's arithmetic in
words. Bad input: ``error: …`` (every bad line of the roster on its own line) and exit 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson

from ledger.community.allocation import (
    Allocation,
    AllocationError,
    allocate,
    parse_rule_text,
)
from ledger.community.cli import community_group
from ledger.community.explain import explain
from ledger.community.rosterfile import parse_preview_roster
from ledger.core.errors import LedgerError, ValidationError
from ledger.core.units import parse_amount
from ledger.platform.memory import without_gc


def preview(roster: bytes, amount_yuan: str, rule: bytes | str) -> Allocation:
    """The allocation of ``amount_yuan`` (text, yuan) among the households of the roster
    file's bytes by the rule's JSON. Raises a :class:`~ledger.core.errors.ValidationError`
    for any bad input (the roster's names every bad line)."""
    total = parse_amount(amount_yuan, "CNY")
    if total < 0:
        raise AllocationError("community.allocation_total")
    the_rule = parse_rule_text(rule)
    households = parse_preview_roster(roster)
    return allocate(total, the_rule, households)


def preview_json(
    roster: bytes, amount_yuan: str, rule: bytes | str, *, with_words: bool = False
) -> bytes:
    """What the command prints (UTF-8 JSON): :func:`preview`'s totals and every household's
    amount in roster order, with its arithmetic in words when ``with_words``."""
    with without_gc():
        result = preview(roster, amount_yuan, rule)
        data = result.as_json()
        if with_words:
            for item, share in zip(data["allocations"], result.allocations, strict=True):
                item["explanation"] = explain(result, share)
        return orjson.dumps(data)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        message = f"cannot read the {what} {path}: {exc.strerror}"
        raise ValidationError("community.file", message) from None


@community_group.command("preview")
@click.option(
    "--roster",
    "roster",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Roster CSV (household_code,members,forest_area_mu,low_income; others ignored).",
)
@click.option("--amount", "amount", required=True, metavar="YUAN", help="Amount to share, in yuan.")
@click.option(
    "--rule",
    "rule",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Sharing rule (JSON: retention_pct, low_income_pct, weights).",
)
@click.option(
    "--explain", "with_words", is_flag=True, help="Add each household's arithmetic in words."
)
def preview_command(roster: Path, amount: str, rule: Path, with_words: bool) -> None:
    """Share an amount among a roster's households by a rule, exactly to the fen, without a
    database; print JSON (total_fen, retained_fen, low_income_fen, allocations)."""
    try:
        out = preview_json(
            _read(roster, "roster"), amount, _read(rule, "rule"), with_words=with_words
        )
    except LedgerError as exc:
        click.echo(f"error: {exc.message}", err=True)
        for bad in exc.details.get("errors", ())[1:]:
            click.echo(f"error: line {bad['line']}: {bad['reason']}", err=True)
        sys.exit(2)
    click.echo(out.decode())
