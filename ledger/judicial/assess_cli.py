"""``carbon-ledger judicial assess``: the carbon-loss calculator for clerks and assessors.

::

    carbon-ledger judicial assess --item 桉树:5.311:立木蓄积 --item 杉木:2:材积 [--json]
    carbon-ledger judicial assess --assessed 毛竹:1.25:按株数估算
    carbon-ledger judicial assess --report 10.45:永安林鉴〔2022〕1号
    carbon-ledger judicial assess --valued 5000:100:生态服务价值评估

Species and volume types are written in Chinese, as in the method (杉木, 立木蓄积, 材积). The
shipped methods need no database; a method the log records (``judicial.method``) is read from
the database (``--db`` or the configured one) by its name and version; ``--method-file`` reads
a method's JSON. The text
output prints the arithmetic line by line; ``--json`` prints ``{"method", "version", "digest",
"method_seq", "items": [each input's arithmetic], "total_t_exact", "loss_kg", "loss_t",
"arithmetic"}`` (``method_seq``: the method's log entry, or null) with
``loss_t`` a string of two decimals. Bad input: ``error: …`` naming the option, exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy.engine import make_url

from ledger.clikit import Context, command, echo_json
from ledger.core.errors import NotFoundError, ValidationError
from ledger.judicial import assessment as A
from ledger.judicial.cli import judicial_group
from ledger.judicial.methods import DEFAULT, load_method


def _fields(option: str, text: str, count: int, form: str, *, rest: bool = False) -> list[str]:
    """``text`` split at ``:`` (or the full-width ``：``) into ``count`` fields, the last one
    keeping any further colons when ``rest``; a refusal names the option and its form."""
    parts = text.replace("：", ":").split(":", count - 1 if rest else -1)
    if len(parts) != count or not all(p.strip() for p in parts):
        raise ValidationError(
            "judicial.assess.option",
            f"{option} takes {form}; got {text!r}",
            {"option": option, "given": text},
        )
    return [p.strip() for p in parts]


def _named(option: str, text: str, make):
    """``make()``, with a refusal's message prefixed by the option and its value."""
    try:
        return make()
    except ValidationError as exc:
        raise ValidationError(exc.code, f"{option} {text}: {exc.message}", exc.details) from None


def parse_inputs(
    items: tuple[str, ...],
    assessed: tuple[str, ...],
    report: str | None,
    valued: str | None,
) -> list[A.Input]:
    """The command line's inputs, in the order: items, assessed values, report, valuation."""
    inputs: list[A.Input] = []
    for text in items:
        species, volume, volume_type = _fields(
            "--item", text, 3, "SPECIES:VOLUME:VOLUME_TYPE, like 杉木:12.5:立木蓄积"
        )
        inputs.append(
            _named(
                "--item",
                text,
                lambda s=species, v=volume, t=volume_type: A.StockItem.of(s, v, t),
            )
        )
    for text in assessed:
        parts = [p.strip() for p in text.replace("：", ":").split(":", 2)]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            _fields("--assessed", text, 2, "SPECIES:TONNES[:NOTE], like 毛竹:1.25")
        species, tonnes, note = (*parts, "")[:3]
        inputs.append(
            _named(
                "--assessed",
                text,
                lambda s=species, t=tonnes, n=note: A.AssessedItem.of(s, t, n),
            )
        )
    if report is not None:
        tonnes, reference = _fields(
            "--report", report, 2, "TONNES:REPORT, like 10.45:永安林鉴〔2022〕1号", rest=True
        )
        inputs.append(_named("--report", report, lambda: A.ReportedLoss.of(tonnes, reference)))
    if valued is not None:
        amount, price, basis = _fields(
            "--valued",
            valued,
            3,
            "YUAN:YUAN_PER_TONNE:BASIS, like 5000:100:生态服务价值评估",
            rest=True,
        )
        inputs.append(_named("--valued", valued, lambda: A.ValuedLoss.of(amount, price, basis)))
    return inputs


def read_method(
    ctx: Context, name: str, version: str | None, method_file: Path | None
) -> tuple[A.Method, int | None]:
    """The method to use and the seq of its log entry (None when not read from the log): a
    JSON file when given; else the shipped method ``name`` (no database needed); else the
    method recorded in the log under ``name`` (``--db``)."""
    if method_file is None:
        try:
            return load_method(name, version), None
        except NotFoundError as exc:
            missing = _missing_sqlite_file(ctx.settings.database_url)
            if missing is not None:  # do not create an empty database by looking
                raise NotFoundError(
                    exc.code,
                    f"{exc.message}; there is no database at {missing} to look for a recorded "
                    "method (give --db)",
                    exc.details,
                ) from None
            from ledger.judicial import services
            from ledger.storage.db import read_transaction

            with read_transaction(ctx.engine) as conn:
                return services.method_entry(conn, name, version)
    try:
        data = json.loads(method_file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationError(
            "judicial.method", f"cannot read {method_file}: {exc.strerror}"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(
            "judicial.method", f"{method_file} is not JSON in UTF-8: {exc}"
        ) from None
    return A.Method.from_json(data), None


def _missing_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL when that file does not exist (None otherwise)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


def as_json(result: A.Assessment, method_seq: int | None = None) -> dict:
    record = result.to_json()
    return {
        "method": record["method"]["name"],
        "version": record["method"]["version"],
        "digest": record["method"]["digest"],
        "method_seq": method_seq,
        "items": [
            {**step, "given": given}
            for step, given in zip(record["steps"], record["inputs"], strict=True)
        ],
        "total_t_exact": record["total_t_exact"],
        "loss_kg": record["loss_kg"],
        "loss_t": record["loss_t"],
        "arithmetic": result.arithmetic_lines(),
    }


@command(judicial_group, "assess")
@click.option(
    "--method",
    "method_name",
    default=DEFAULT,
    show_default=True,
    help="Assessment method: a shipped one, or one the log records.",
)
@click.option("--version", "method_version", default=None, help="Its version (default: newest).")
@click.option(
    "--method-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Use the method in this JSON file (carbon-ledger-method/1) instead.",
)
@click.option(
    "--item",
    "items",
    multiple=True,
    metavar="SPECIES:VOLUME:VOLUME_TYPE",
    help="A damage item: 杉木:12.5:立木蓄积 (volume in m³; 立木蓄积 or 材积). Repeatable.",
)
@click.option(
    "--assessed",
    multiple=True,
    metavar="SPECIES:TONNES[:NOTE]",
    help="The assessor's loss for a species the formula does not cover (毛竹:1.25). Repeatable.",
)
@click.option(
    "--report", default=None, metavar="TONNES:REPORT", help="A loss stated by an assessment report."
)
@click.option(
    "--valued",
    default=None,
    metavar="YUAN:YUAN_PER_TONNE:BASIS",
    help="A loss valued in yuan, converted at a price per tonne.",
)
@click.option("--json", "json_out", is_flag=True, help="Print the assessment as JSON.")
def assess_cmd(
    ctx: Context,
    method_name: str,
    method_version: str | None,
    method_file: Path | None,
    items: tuple[str, ...],
    assessed: tuple[str, ...],
    report: str | None,
    valued: str | None,
    json_out: bool,
) -> None:
    """Compute a carbon loss (t CO2e) from damage items with an assessment method:
    V × SVD × BEF × (1 + R) × CF × 44/12 per item, exact, rounded half up to the kg."""
    method, method_seq = read_method(ctx, method_name, method_version, method_file)
    inputs = parse_inputs(items, assessed, report, valued)
    try:
        result = A.assess(method, inputs)
    except ValidationError as exc:
        if exc.code == "judicial.assess.assessed_value":
            species = exc.details.get("species", "")
            raise ValidationError(
                exc.code, f"{exc.message} (--assessed {species}:TONNES)", exc.details
            ) from None
        if exc.code == "judicial.assess.empty":
            raise ValidationError(
                exc.code,
                "give at least one --item SPECIES:VOLUME:VOLUME_TYPE (or --assessed, --report, "
                "--valued)",
                exc.details,
            ) from None
        raise
    if json_out:
        echo_json(as_json(result, method_seq))
        return
    recorded = f"（日志第 {method_seq} 号记录）" if method_seq is not None else ""
    click.echo(f"{method.name} {method.version}{recorded}：{method.title}")
    for line in result.arithmetic_lines():
        click.echo(line)
