"""Commands: ``carbon-ledger oneyuan import FILE.csv [--json]``, ``carbon-ledger units …``
(projects, lots, holdings and the register, as JSON lines) and the buyers' certificates,
``carbon-ledger receipt oneyuan ORDER_ID -o FILE.pdf`` or ``--import SEQ -d DIR`` (added to the
receipts module's ``receipt`` group)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ledger.clikit import Context, command, default_actor, echo_json
from ledger.core.errors import ValidationError
from ledger.units import certificates, oneyuan, services
from ledger.vault.crypto import Vault


@click.group("oneyuan")
def oneyuan_group() -> None:
    """One-yuan carbon (一元碳汇): import the mini-programme's purchases."""


@command(oneyuan_group, "import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.option("--actor", default=None, help="Who imports (default cli:<user>).")
def import_cmd(ctx: Context, file: Path, as_json: bool, actor: str | None) -> None:
    """Import FILE.csv (order_id,paid_at,buyer,amount_yuan,kg,certificate_no,project_code):
    all or nothing; every bad line is reported and then nothing is written; orders already in
    the log are skipped. Exit 1 on bad lines. With --json: {"imported", "skipped_existing",
    "entries", "first_seq", "last_seq"}, or {"errors": [{"line", "reason"}…]}."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ValidationError("oneyuan.file", f"cannot read {file}: {exc.strerror}") from None
    vault = Vault.from_settings(ctx.settings)
    bar = None
    if not as_json and sys.stdout.isatty():
        bar = click.progressbar(length=data.count(b"\n") + 1, label="checking", show_pos=True)

    def progress(stage: str, done: int, total: int, *, force: bool = False) -> None:
        if bar is None:
            return
        if stage == "checking":
            bar.update(done - bar.pos)
        elif stage == "writing":
            bar.update(bar.length - bar.pos)
            bar.render_finish()
            click.echo(f"writing {total} purchases…")

    try:
        result = oneyuan.import_purchases(
            ctx.engine, vault, data, actor=actor or default_actor(), progress=progress
        )
    except ValidationError as exc:
        if exc.code != "oneyuan.bad_lines":
            raise
        errors = [{"line": e["line"], "reason": e["reason"]} for e in exc.details["errors"]]
        if as_json:
            echo_json({"errors": errors})
        else:
            for e in errors:
                click.echo(f"line {e['line']}: {e['reason']}", err=True)
            click.echo(f"{exc.details['count']} bad lines; nothing was imported", err=True)
        sys.exit(1)
    if as_json:
        echo_json(result.as_json())
        return
    click.echo(
        f"imported {result.imported} purchases (entries {result.first_seq}–{result.last_seq}); "
        f"{result.skipped_existing} already in the log"
        if result.imported
        else f"nothing new: {result.skipped_existing} purchases already in the log"
    )


@click.group("units")
def units_group() -> None:
    """Carbon units: projects, lots, holdings and the public register (JSON lines)."""


@command(units_group, "projects")
@click.option("--within", default=None, help="Only projects in this division.")
def projects_cmd(ctx: Context, within: str | None) -> None:
    """List the registered projects and what their owners hold."""
    with ctx.engine.connect() as conn:
        for p in services.list_projects(conn, within=within):
            echo_json(
                {
                    "project": p.project,
                    "programme": p.programme,
                    "name": p.name,
                    "owner": p.owner,
                    "division": p.division,
                    "held_kg": services.remaining_kg(conn, p),
                }
            )


@command(units_group, "holdings")
@click.option("--project", default=None, help="Only this project's lots.")
@click.option("--within", default=None, help="Only lots in this division.")
def holdings_cmd(ctx: Context, project: str | None, within: str | None) -> None:
    """Holdings summed per lot, holder and state."""
    with ctx.engine.connect() as conn:
        for h in services.holdings(conn, project=project, within=within):
            echo_json(
                {
                    "lot": h.lot,
                    "project": h.project,
                    "holder": h.holder,
                    "state": h.state,
                    "pledgee": h.pledgee,
                    "units": h.units,
                    "kg": h.kg,
                    "ranges": h.pieces,
                }
            )


@click.group("receipt")
def receipt_group() -> None:
    # No help text: the receipts module's group of the same name has it, and takes these.
    pass


@command(receipt_group, "oneyuan")
@click.argument("order_id", required=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The PDF to write (one order).",
)
@click.option(
    "--import",
    "anchor",
    type=click.IntRange(min=0),
    help="Every certificate of an import: its first entry (first_seq of oneyuan import).",
)
@click.option(
    "-d",
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write an import's certificates (one PDF per purchase).",
)
@click.option("--lang", type=click.Choice(("zh", "en")), default="zh", show_default=True)
def oneyuan_certificate_cmd(
    ctx: Context,
    order_id: str | None,
    output: Path | None,
    anchor: int | None,
    directory: Path | None,
    lang: str,
) -> None:
    """Write the buyer's certificate (一元碳汇认购证书) of ORDER_ID to -o FILE.pdf, or with
    --import SEQ -d DIR every certificate of an import (one checkpoint per batch)."""
    single = order_id is not None and output is not None
    bulk = anchor is not None and directory is not None
    if single == bulk or (single and (anchor, directory) != (None, None)):
        raise click.UsageError("give ORDER_ID -o FILE.pdf, or --import SEQ -d DIR")
    settings = ctx.settings
    issuer = certificates.issuer_of(settings)
    vault = Vault.from_settings(settings)
    if single:
        cert = certificates.order_certificate(ctx.engine, issuer, vault, order_id, lang=lang)
        output.write_bytes(cert.pdf)
        click.echo(f"{output} (certificate {cert.certificate_no}, entry {cert.seq})")
        return
    directory.mkdir(parents=True, exist_ok=True)
    bar = None

    def progress(stage: str, done: int, total: int, *, force: bool = False) -> None:
        nonlocal bar
        if not sys.stderr.isatty():
            return
        if bar is None:
            bar = click.progressbar(
                length=total, label="certificates", show_pos=True, file=sys.stderr
            )
        bar.update(done - bar.pos)

    count = 0
    for cert in certificates.import_certificates(
        ctx.engine, issuer, vault, anchor, lang=lang, progress=progress
    ):
        (directory / cert.filename).write_bytes(cert.pdf)
        count += 1
    if bar is not None:
        bar.render_finish()
    click.echo(f"{count} certificates written to {directory}")
