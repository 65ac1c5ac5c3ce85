"""Signed checkpoints: the log signs its head only after proving it consistent with the last
checkpoint it signed, and stores every checkpoint append-only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, insert, select

from ledger.core.errors import LedgerError, NotFoundError
from ledger.core.note import Checkpoint, NoteError, Signer, open_note, parse_checkpoint, sign_note
from ledger.core.proof import ProofError, verify_consistency
from ledger.services.clock import utc_now
from ledger.services.log import read_head
from ledger.services.tree import consistency_proof
from ledger.storage.db import read_transaction, write_transaction
from ledger.storage.tables import LogCheckpoint

CHECKPOINT = LogCheckpoint.__table__


class InconsistentLog(LedgerError):
    """The log is not consistent with its last signed checkpoint: refuse to sign.

    This is an integrity alarm (someone rewrote or cut the log), reported as a conflict."""

    status = 409


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A stored checkpoint: its number in the log's sequence, the checkpoint and its note."""

    log: str
    number: int
    checkpoint: Checkpoint
    note: str
    created_at: str


def _row_to_signed(row) -> SignedCheckpoint:
    cp = Checkpoint(origin=row.note.split("\n", 1)[0], size=row.size, root=bytes(row.root))
    return SignedCheckpoint(row.log, row.number, cp, row.note, row.created_at)


def latest(conn: Connection, log: str = "main") -> SignedCheckpoint | None:
    row = conn.execute(
        select(CHECKPOINT)
        .where(CHECKPOINT.c.log == log)
        .order_by(CHECKPOINT.c.number.desc())
        .limit(1)
    ).one_or_none()
    return None if row is None else _row_to_signed(row)


def latest_checkpoint(engine: Engine, log: str = "main") -> SignedCheckpoint:
    with read_transaction(engine) as conn:
        found = latest(conn, log)
    if found is None:
        raise NotFoundError("checkpoint.none", "no checkpoint has been signed yet")
    return found


def sign_checkpoint(
    engine: Engine, signer: Signer, origin: str, log: str = "main"
) -> SignedCheckpoint:
    """Sign the current head of ``log`` and store the checkpoint.

    If the last checkpoint already covers the head, it is returned unchanged. Otherwise the new
    head is proven consistent with the last checkpoint (whose signature is checked first);
    any failure raises InconsistentLog and nothing is signed.
    """
    with write_transaction(engine) as conn:
        head = read_head(conn, log, lock=True)
        last = latest(conn, log)
        if last is not None:
            previous = _checked_previous(last, signer)
            if previous.size == head.size and previous.root == head.root:
                return last
            _prove_consistent(conn, log, previous, head.size, head.root)
        checkpoint = Checkpoint(origin, head.size, head.root)
        note = sign_note(checkpoint.text(), signer)
        number = 0 if last is None else last.number + 1
        now = utc_now()
        conn.execute(
            insert(CHECKPOINT),
            {
                "log": log,
                "number": number,
                "size": head.size,
                "root": head.root,
                "key_id": signer.key_id.hex(),
                "note": note,
                "created_at": now,
            },
        )
        return SignedCheckpoint(log, number, checkpoint, note, now)


def _checked_previous(last: SignedCheckpoint, signer: Signer) -> Checkpoint:
    try:
        return parse_checkpoint(open_note(last.note, [signer.verifier()]).text)
    except NoteError as exc:
        raise InconsistentLog(
            "checkpoint.previous_invalid",
            f"the last stored checkpoint ({last.number}) does not verify: {exc}",
        ) from None


def _prove_consistent(
    conn: Connection, log: str, previous: Checkpoint, size: int, root: bytes
) -> None:
    if previous.size > size:
        raise InconsistentLog(
            "checkpoint.log_shrunk",
            f"the log has {size} entries but checkpoint signed {previous.size}",
            {"size": size},
        )
    if previous.size == 0:
        return
    try:
        proof = consistency_proof(conn, log, previous.size, size)
        verify_consistency(previous.size, size, proof, previous.root, root)
    except (ProofError, LedgerError) as exc:
        raise InconsistentLog(
            "checkpoint.inconsistent",
            f"the log is not consistent with its last checkpoint: {exc}",
            {"old_size": previous.size, "new_size": size},
        ) from None
