"""The ``log`` and ``keys`` commands (the log module): anchor documents, print entries,
checkpoints and proofs, verify the log, rebuild the projections, show the verifier key."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ledger.clikit import Context, command, default_actor, echo_json
from ledger.services import anchors, checkpoints, log, rebuild, tree, verify
from ledger.storage.db import read_transaction


@click.group("log")
def log_group() -> None:
    """Read, extend, prove and verify the log."""


@command(log_group, "anchor")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", default="", help="Title of the documents (no personal data).")
@click.option("--actor", default=default_actor, show_default="cli:<user>")
@click.option("--idempotency-key", default=None)
def anchor_cmd(ctx: Context, files, title: str, actor: str, idempotency_key) -> None:
    """Append one doc.anchor entry per FILE, in one transaction."""
    for entry in anchors.anchor_files(
        ctx.engine, files, title=title, actor=actor, idempotency_key=idempotency_key
    ):
        echo_json({"seq": entry.seq, "sha256": entry.body["sha256"], "size": entry.body["size"]})


@command(log_group, "entries")
@click.option("--start", default=0, type=click.IntRange(min=0))
@click.option("--end", default=None, type=click.IntRange(min=0), help="Exclusive; default: size.")
def entries_cmd(ctx: Context, start: int, end: int | None) -> None:
    """Print entries START <= seq < END as JSON lines (seq, kind, leaf, leaf_hash)."""
    with read_transaction(ctx.engine) as conn:
        size = log.read_head(conn).size
        end = size if end is None else min(end, size)
        for seq, kind, leaf, leaf_hash in log.iter_leaves(conn, "main", start, end):
            echo_json(log.entry_json(seq, kind, leaf, leaf_hash))


@command(log_group, "checkpoint")
@click.option("--sign", is_flag=True, help="Sign a new checkpoint of the current head first.")
def checkpoint_cmd(ctx: Context, sign: bool) -> None:
    """Print the latest signed checkpoint."""
    if sign:
        signed = checkpoints.sign_checkpoint(ctx.engine, ctx.signer(), ctx.settings.log_origin)
    else:
        signed = checkpoints.latest_checkpoint(ctx.engine)
    click.echo(signed.note, nl=False)


@command(log_group, "prove-inclusion")
@click.argument("seq", type=int)
@click.option("--size", required=True, type=int, help="The tree size to prove against.")
def prove_inclusion_cmd(ctx: Context, seq: int, size: int) -> None:
    """JSON inclusion proof of entry SEQ in the tree of SIZE entries."""
    with read_transaction(ctx.engine) as conn:
        echo_json(tree.inclusion_document(conn, "main", seq, size))


@command(log_group, "prove-consistency")
@click.argument("old", type=int)
@click.argument("new", type=int)
def prove_consistency_cmd(ctx: Context, old: int, new: int) -> None:
    """JSON consistency proof from tree size OLD to NEW."""
    with read_transaction(ctx.engine) as conn:
        echo_json(tree.consistency_document(conn, "main", old, new))


@command(log_group, "verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A signed checkpoint kept elsewhere that the log must still contain.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable findings.")
@click.option("--verifier-key", default=None, help="Accept checkpoints signed by this key.")
@click.option("--log", "log_name", default="main", type=click.Choice(log.LOGS))
def verify_cmd(ctx: Context, checkpoint_file, as_json: bool, verifier_key, log_name) -> None:
    """Re-derive the log from its leaves; exit 1 if anything disagrees."""
    try:
        external = checkpoint_file.read_text(encoding="utf-8") if checkpoint_file else None
    except UnicodeDecodeError:
        raise click.BadParameter("not a UTF-8 text file", param_hint="--checkpoint") from None
    findings = verify.verify_log(
        ctx.engine,
        ctx.verifiers(verifier_key),
        log=log_name,
        origin=ctx.settings.log_origin if log_name == "main" else None,
        external_checkpoint=external,
    )
    if as_json:
        echo_json({"ok": not findings, "findings": [f.as_dict() for f in findings]})
    else:
        for finding in findings:
            click.echo(str(finding))
        click.echo("ok: the log verifies" if not findings else f"{len(findings)} finding(s)")
    if findings:
        sys.exit(1)


@click.group("keys")
def keys_group() -> None:
    """The checkpoint signing key."""


@command(keys_group, "show")
@click.option("--pem", is_flag=True, help="Print the public key as PEM instead.")
def keys_show_cmd(ctx: Context, pem: bool) -> None:
    """Print the verifier key (name+hex8+base64)."""
    verifier = ctx.signer().verifier()
    if pem:
        click.echo(verifier.pem().decode(), nl=False)
    else:
        click.echo(verifier.verifier_key())


@click.group("projections")
def projections_group() -> None:
    """The query tables derived from the log."""


@command(projections_group, "rebuild")
@click.argument("names", nargs=-1)
def projections_rebuild_cmd(ctx: Context, names) -> None:
    """Clear the mutable projections (or only NAMES) and apply the whole log again."""
    counts = rebuild.rebuild_projections(ctx.engine, names or None)
    echo_json({"rebuilt": counts})
