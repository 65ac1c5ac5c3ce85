"""``carbon-ledger reconcile``: import a registry export, and configure registry sources."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ledger.clikit import Context, command, default_actor, echo_json
from ledger.core.errors import ValidationError
from ledger.reconcile import sources
from ledger.reconcile.formats import LAYOUTS
from ledger.reconcile.imports import import_file
from ledger.reconcile.mapping import load_mapping, spec_of
from ledger.reconcile.matching import match_registry


@click.group("reconcile")
def reconcile_group() -> None:
    """Registry reconciliation: imports, sources, findings."""


def _layout(ctx: Context, source: str | None, fmt: str | None):
    if (source is None) == (fmt is None):
        raise click.UsageError("give either --source NAME or --format FORMAT")
    if source is not None:
        found = sources.get_source(ctx.engine, source)
        return found.layout(), found.name, [found.division]
    if fmt.startswith("mapping:"):
        return load_mapping(Path(fmt.removeprefix("mapping:"))), "", []
    if fmt not in LAYOUTS:
        raise click.UsageError("--format is verra, gs, car, acr or mapping:FILE")
    return LAYOUTS[fmt], "", []


@command(reconcile_group, "import")
@click.option("--source", "source", metavar="NAME", help="A configured registry source.")
@click.option("--format", "fmt", metavar="FORMAT", help="verra, gs, car, acr or mapping:FILE.")
@click.option("--division", default=None, help="The bureau the findings concern (its code).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_cmd(ctx: Context, source, fmt, division, as_json: bool, file: Path) -> None:
    """Import a registry export FILE: store its retirements once, anchor its digest in the
    log, match it. A file with bad rows imports nothing and exits 1 with every bad row."""
    layout, name, divisions = _layout(ctx, source, fmt)
    if division:
        divisions.append(division)
    try:
        result = import_file(
            ctx.engine,
            file,
            layout,
            actor=default_actor(),
            source=name,
            match=lambda engine, registry: match_registry(
                engine, registry, divisions, grace_days=ctx.settings.reconcile_grace_days
            ),
        )
    except ValidationError as exc:
        if exc.code != "reconcile.rows":
            raise
        if as_json:
            echo_json({"errors": exc.details["errors"]})
        else:
            click.echo(f"error: {exc.message}", err=True)
            for e in exc.details["errors"]:
                click.echo(f"line {e['line']}: {e['reason']}", err=True)
        sys.exit(1)
    if as_json:
        echo_json(result.as_json())
        return
    click.echo(
        f"{result.retirements} retirements added, {result.issuance_rows_skipped} issuance rows "
        f"skipped, {result.already_imported} already imported; file {result.file_sha256} "
        f"anchored by entry {result.seq}"
    )
    for cls, n in sorted(result.findings.items()):
        click.echo(f"finding {cls}: {n}")


@click.group("sources")
def sources_group() -> None:
    """Registry sources: where records come from, in which format, and when."""


reconcile_group.add_command(sources_group)


def _source_json(s: sources.Source) -> dict:
    return {
        "name": s.name,
        "format": s.format,
        "location_kind": s.location_kind,
        "location": s.location,
        "cron": s.cron,
        "division": s.division,
        "enabled": s.enabled,
    }


def _mapping_text(mapping: Path | None) -> str:
    if mapping is None:
        return ""
    load_mapping(mapping)  # refuse a bad mapping with its reason
    spec = spec_of(mapping.read_text("utf-8-sig"), csv_form=mapping.suffix.lower() == ".csv")
    return json.dumps(spec, ensure_ascii=False)


@command(sources_group, "add")
@click.argument("name")
@click.option("--format", "fmt", required=True, type=click.Choice(sources.FORMATS))
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--folder", help="A watched folder (absolute path).")
@click.option("--url", help="An HTTP(S) address.")
@click.option("--cron", required=True, help="Five fields, Beijing time, e.g. '0 3 * * *'.")
@click.option("--division", required=True, help="The owning bureau's division code.")
def add_cmd(ctx: Context, name, fmt, mapping, folder, url, cron, division) -> None:
    """Add a registry source."""
    if (folder is None) == (url is None):
        raise click.UsageError("give either --folder or --url")
    created = sources.create_source(
        ctx.engine,
        actor=default_actor(),
        name=name,
        format=fmt,
        mapping=_mapping_text(mapping),
        location_kind="folder" if folder else "http",
        location=folder or url,
        cron=cron,
        division=division,
    )
    echo_json(_source_json(created))


@command(sources_group, "list")
def list_cmd(ctx: Context) -> None:
    """List the registry sources (JSON lines)."""
    for s in sources.list_sources(ctx.engine):
        echo_json(_source_json(s))


@command(sources_group, "remove")
@click.argument("name")
def remove_cmd(ctx: Context, name: str) -> None:
    """Remove a registry source (what it imported stays)."""
    sources.delete_source(ctx.engine, name)
