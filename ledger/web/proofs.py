"""Inclusion proofs for pages: the proof of one entry in the tree of the latest signed
checkpoint, checked here before it is shown (the JSON form for machines is
``/log/proof/inclusion``, :mod:`ledger.web.log_views`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from ledger.core.proof import ProofError, verify_inclusion
from ledger.services import tree
from ledger.services.checkpoints import SignedCheckpoint


@dataclass(frozen=True)
class Inclusion:
    """An inclusion proof of an entry in the tree of a signed checkpoint, checked here.

    Attributes:
      size, root: the checkpoint's tree.
      leaf_hash: the entry's leaf hash, where the proof starts.
      path: the proof's hashes, in the order they are combined.
      verified: whether the path leads from ``leaf_hash`` to ``root``.
      problem: why not (a technical note), or None.
    """

    size: int
    root: bytes
    leaf_hash: bytes
    path: list[bytes]
    verified: bool
    problem: str | None


def inclusion(
    conn: Connection, log: str, seq: int, leaf_hash: bytes, signed: SignedCheckpoint | None
) -> Inclusion | None:
    """The checked proof of entry ``seq`` in ``signed``'s tree; None when there is no
    checkpoint or it does not cover the entry yet."""
    if signed is None or seq >= signed.checkpoint.size:
        return None
    cp = signed.checkpoint
    path = tree.inclusion_proof(conn, log, seq, cp.size)
    try:
        verify_inclusion(leaf_hash, seq, cp.size, path, cp.root)
    except ProofError as exc:
        return Inclusion(cp.size, cp.root, leaf_hash, path, False, str(exc))
    return Inclusion(cp.size, cp.root, leaf_hash, path, True, None)
