"""The clerk's commands: ``carbon-ledger community roster FILE --village CODE [--save]`` (the
changes a roster file makes, then saving it) and ``carbon-ledger community status --village
CODE`` (the money picture and the distributions, as JSON)."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import click

from ledger.clikit import Context, command, default_actor, echo_json
from ledger.community import services
from ledger.community.cli import community_group
from ledger.community.rosterfile import parse_roster
from ledger.core.errors import ValidationError
from ledger.storage.db import read_transaction
from ledger.vault.crypto import Vault


@command(community_group, "roster")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--village", required=True, help="The village's 12-digit division code.")
@click.option("--save", is_flag=True, help="Save the file as the next version.")
@click.option("--actor", default=None, help="Who imports (default cli:<user>).")
def roster_cmd(ctx: Context, file: Path, village: str, save: bool, actor: str | None) -> None:
    """Check FILE.csv (household_code,head_name,id_number,members,forest_area_mu,low_income,
    bank_account) and print, as JSON, what it changes against the village's latest roster;
    with --save, save it as the next version. Bad lines: {"errors": [{"line", "reason"}…]},
    exit 1; nothing is written."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ValidationError("community.file", f"cannot read {file}: {exc.strerror}") from None
    try:
        lines = parse_roster(data)
    except ValidationError as exc:
        if exc.code != "community.bad_lines":
            raise
        errors = [{"line": e["line"], "reason": e["reason"]} for e in exc.details["errors"]]
        echo_json({"errors": errors})
        sys.exit(1)
    digest = hashlib.sha256(data).hexdigest()
    vault = Vault.from_settings(ctx.settings)
    with read_transaction(ctx.engine) as conn:
        diff = services.diff_roster(conn, vault, village, lines, digest)
    out = {"changes": diff.as_json()}
    if save:
        saved = services.save_roster(
            ctx.engine,
            vault,
            village,
            lines,
            digest,
            actor=actor or default_actor(),
            key=f"cli.roster:{village}:{digest}",
            expect_version=diff.version,
        )
        out["saved"] = {"version": saved.version, "households": saved.households, "seq": saved.seq}
    echo_json(out)


@command(community_group, "status")
@click.option("--village", required=True, help="The village's 12-digit division code.")
def status_cmd(ctx: Context, village: str) -> None:
    """Print the village's money picture (fen) and its distributions as JSON."""
    with read_transaction(ctx.engine) as conn:
        picture = services.money(conn, village).as_json()
        distributions = [
            {
                k: d.as_json()[k]
                for k in (
                    "distribution",
                    "title",
                    "state",
                    "amount_fen",
                    "retained_fen",
                    "notice_until",
                )
            }
            for d in services.distributions_of(conn, village=village)
        ]
    click.echo(json.dumps({"money": picture, "distributions": distributions}, ensure_ascii=False))
