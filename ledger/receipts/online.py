"""``receipt verify --online``: ask the log's server for today's signed checkpoint and a
consistency proof from the receipt's checkpoint to it (``GET /log/checkpoint``,
``GET /log/proof/consistency?old=&new=``), and check both. This catches a log rewritten after
the receipt was printed, which the receipt alone cannot."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence

from ledger.core.note import Checkpoint, NoteError, Verifier, open_note, parse_checkpoint
from ledger.receipts.bundle import ReceiptError
from ledger.receipts.verify import check_consistency, trusted_origin

TIMEOUT = 20
MAX_ANSWER = 1 << 20


def _online_error(reason: str) -> ReceiptError:
    return ReceiptError("receipt.online", f"cannot check online: {reason}", {"reason": reason})


def fetch(base: str, path: str) -> bytes:
    """``GET base + path`` (http or https only). Raises ReceiptError ``receipt.online``."""
    url = base.rstrip("/") + path
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise _online_error(f"{base!r} is not an http(s) address")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url, headers={"User-Agent": "carbon-ledger receipt verify"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310 (checked)
            return answer.read(MAX_ANSWER)
    except urllib.error.HTTPError as exc:
        raise _online_error(f"{url} answered {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise _online_error(f"{url}: {getattr(exc, 'reason', exc)}") from None


def todays_checkpoint(base: str, verifiers: Sequence[Verifier]) -> Checkpoint:
    """The server's latest checkpoint, checked against the trusted keys."""
    try:
        note = open_note(fetch(base, "/log/checkpoint").decode("utf-8"), verifiers)
        checkpoint = parse_checkpoint(note.text)
    except (NoteError, UnicodeDecodeError) as exc:
        raise ReceiptError(
            "receipt.inconsistent",
            "today's checkpoint from the server does not verify",
            {"reason": str(exc)},
        ) from None
    if not trusted_origin(verifiers, tuple(s.name for s in note.signatures), checkpoint.origin):
        raise ReceiptError(
            "receipt.inconsistent",
            "today's checkpoint is of another log",
            {"reason": f"it names the log {checkpoint.origin!r}"},
        )
    return checkpoint


def consistency_proof(base: str, old: int, new: int) -> list[bytes]:
    """The server's consistency proof from ``old`` to ``new`` entries."""
    answer = fetch(base, f"/log/proof/consistency?old={old}&new={new}")
    try:
        proof = json.loads(answer)["proof"]
        return [bytes.fromhex(h) for h in proof]
    except (ValueError, KeyError, TypeError) as exc:
        raise _online_error(f"the consistency proof is malformed: {exc}") from None


def check_online(base: str, receipt: Checkpoint, verifiers: Sequence[Verifier]) -> Checkpoint:
    """Check that the server's log today extends the receipt's checkpoint; return today's.
    Raises ReceiptError (``receipt.online`` when the server cannot be asked,
    ``receipt.inconsistent`` when the log was rewritten or cut)."""
    today = todays_checkpoint(base, verifiers)
    if today.size < receipt.size:
        raise ReceiptError(
            "receipt.inconsistent",
            "today's log is shorter than the receipt's checkpoint",
            {"reason": f"today {today.size} entries, the receipt's checkpoint {receipt.size}"},
        )
    proof = [] if today.size == receipt.size else consistency_proof(base, receipt.size, today.size)
    check_consistency(receipt, today, proof)
    return today
