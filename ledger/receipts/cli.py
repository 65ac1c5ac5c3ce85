"""``carbon-ledger receipt``: issue a receipt for entries, and verify one with no database.

``receipt verify FILE.pdf|FILE.json [--vkey KEY|FILE] [--online URL]`` exits 0 only when
everything holds, and 1 with the reason otherwise. The trusted key is ``--vkey`` (a verifier
key ``name+hex8+base64``, or a file holding one or a PEM public key), else this instance's own;
never the key a receipt might carry.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)

from ledger.clikit import Context, command
from ledger.config import load_settings
from ledger.core.errors import LedgerError
from ledger.core.note import NoteError, Verifier
from ledger.i18n import LANGS
from ledger.platform import registry
from ledger.receipts import issue, verify
from ledger.receipts.bundle import ReceiptError, build, encode
from ledger.receipts.facts import shown_facts
from ledger.receipts.lang import Gettext, gettext
from ledger.receipts.online import check_online
from ledger.receipts.printed import COLON


@click.group("receipt")
def receipt_group() -> None:
    """Receipts that prove themselves: issue one, verify one."""


@command(receipt_group, "issue")
@click.argument("seqs", nargs=-1, required=True, type=click.IntRange(min=0))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The PDF to write (a name ending in .json writes only the proof bundle).",
)
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True)
def issue_cmd(ctx: Context, seqs: tuple[int, ...], output: Path, lang: str) -> None:
    """Write the receipt of entries SEQS: their generic receipt PDF with its proof bundle."""
    settings = ctx.settings
    issuer = issue.Issuer(ctx.signer(), settings.log_origin, settings.public_base)
    if output.suffix == ".json":
        data = encode(build(ctx.engine, list(seqs), issuer.signer, issuer.origin))
    else:
        data = issue.issue(ctx.engine, issuer, list(seqs), lang=lang)
    output.write_bytes(data)
    click.echo(f"{output} ({len(data)} bytes, entries {', '.join(map(str, seqs))})")


# --- verify -----------------------------------------------------------------------------------


def _key_text(vkey: str) -> str:
    path = Path(vkey)
    try:
        return path.read_text(encoding="utf-8").strip() if path.is_file() else vkey.strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise NoteError(f"cannot read the key file {vkey}: {exc}") from None


def trusted_keys(vkey: str | None, origin: str) -> list[Verifier]:
    """The keys to trust: ``vkey`` (a verifier key, or a file holding one or a PEM public key,
    which is then taken as the key of the log named ``origin``), else this instance's own.
    Raises NoteError when there is none or it cannot be read."""
    if vkey is None:
        try:
            return Context(load_settings()).verifiers(None)
        except LedgerError as exc:
            raise NoteError(
                f"no trusted key: give --vkey (this instance has none: {exc.message})"
            ) from None
    text = _key_text(vkey)
    if text.startswith("-----BEGIN PUBLIC KEY-----"):
        try:
            key = load_pem_public_key(text.encode("ascii"))
        except ValueError as exc:
            raise NoteError(f"cannot read the PEM public key: {exc}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise NoteError("the PEM public key is not an Ed25519 key")
        return [Verifier.from_public_key(origin, key.public_bytes(Encoding.Raw, PublicFormat.Raw))]
    return [Verifier.from_verifier_key(text)]


def _say_facts(items: list[verify.Verified], lang: str, _: Gettext) -> None:
    reg = registry()
    for item in items:
        click.echo("")
        for label, value in shown_facts(item.entry, reg, lang, _):
            click.echo(f"  {label}{COLON if lang == 'zh' else ': '}{value}")
        click.echo(
            "  "
            + _(
                "Leaf hash %(hash)s; checkpoint of %(size)s entries of %(origin)s, "
                "signed by %(keys)s"
            )
            % {
                "hash": item.entry.leaf_hash.hex(),
                "size": item.checkpoint.size,
                "origin": item.checkpoint.origin,
                "keys": ", ".join(item.signed_by),
            }
        )


def _fail(exc: ReceiptError, _: Gettext) -> None:
    message = registry().messages().get(exc.code)
    text = _(message) % exc.details if message and "%(" in message else _(message or exc.message)
    click.echo(_("NOT VALID: %(reason)s") % {"reason": text}, err=True)
    reason = exc.details.get("reason")
    if reason:
        click.echo(_("Details: %(details)s") % {"details": reason}, err=True)
    sys.exit(1)


@receipt_group.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--vkey",
    metavar="KEY|FILE",
    help="The log's verifier key (name+hex8+base64), or a file holding it or a PEM public key. "
    "Default: this instance's own key.",
)
@click.option(
    "--online",
    metavar="URL",
    help="Also ask the log's server (https://…) whether today's log extends the receipt's.",
)
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True)
def verify_cmd(file: Path, vkey: str | None, online: str | None, lang: str) -> None:
    """Check a receipt (PDF or receipt.json) with no database; exit 1 unless all holds."""
    _ = gettext(lang)
    try:
        data = file.read_bytes()
    except OSError as exc:
        click.echo(_("NOT VALID: %(reason)s") % {"reason": exc.strerror or exc}, err=True)
        sys.exit(1)
    try:
        receipt = verify.read(data)
        origin = receipt.bundles[0].checkpoint.split("\n", 1)[0]
        keys = trusted_keys(vkey, origin)
        items = [verify.verify_bundle(bundle, keys) for bundle in receipt.bundles]
        verify.check_printed(receipt, items)
        todays = check_online(online, items[0].checkpoint, keys) if online else None
    except ReceiptError as exc:
        _fail(exc, _)
    except NoteError as exc:
        _fail(ReceiptError("receipt.signature", str(exc), {"reason": str(exc)}), _)
    click.echo(_("VALID: the receipt holds. Entries it proves: %(count)d.") % {"count": len(items)})
    _say_facts(items, lang, _)
    if receipt.page_text is not None:
        count = sum(len(item.bundle.printed) for item in items)
        click.echo(
            _("The printed text agrees with the recorded entries (%(count)d values checked).")
            % {"count": count}
        )
    if todays is not None:
        click.echo(
            _(
                "Online: today's log (%(new)s entries) is consistent with the receipt's "
                "checkpoint (%(old)s entries)."
            )
            % {"new": todays.size, "old": items[0].checkpoint.size}
        )
