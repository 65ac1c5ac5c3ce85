"""Verification of RFC 9162 inclusion and consistency proofs.

A port of transparency-dev/merkle ``proof/verify.go``. The verifier needs nothing but the
proof, the sizes and the roots, so a receipt can be checked offline with this module and
:mod:`ledger.core.hashing` alone.

Conventions (those of the transparency-dev probe corpus, ``tests/core/test_proof_vectors.py``):

- an inclusion proof needs ``0 <= index < size``, and the leaf hash, the root and every proof
  element must be 32 bytes;
- a consistency proof from size 0 is an error (an empty tree proves nothing), as is
  ``size1 > size2``;
- for equal sizes the proof must be empty and the roots equal (they are compared as given,
  nothing else is checked);
- otherwise the proof must be non-empty and the roots and every proof element 32 bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256 as _sha256

from ledger.core.hashing import HASH_SIZE

_NODE_PREFIX = b"\x01"


class ProofError(ValueError):
    """A proof does not verify, or is malformed; the message says which and why."""


def _hash_children(left: bytes, right: bytes) -> bytes:
    return _sha256(_NODE_PREFIX + left + right).digest()


def _check_bytes(what: str, value: bytes) -> bytes:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise ProofError(f"{what} must be bytes, got {type(value).__name__}")
    return bytes(value)


def _check_hash(what: str, value: bytes) -> bytes:
    value = _check_bytes(what, value)
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, want {HASH_SIZE}")
    return value


def _proof_hashes(proof: Sequence[bytes] | None) -> list[bytes]:
    """The proof as a list of bytes (``None`` is the empty proof); lengths are not checked."""
    if proof is None:
        return []
    return [_check_bytes(f"proof[{i}]", h) for i, h in enumerate(proof)]


def _check_lengths(hashes: list[bytes]) -> None:
    for i, h in enumerate(hashes):
        _check_hash(f"proof[{i}]", h)


def _check_int(what: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProofError(f"{what} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ProofError(f"{what} must be >= 0, got {value}")


def _decomp_inclusion(index: int, size: int) -> tuple[int, int]:
    """Split an inclusion proof's length into (inner, border) parts; see merkle._node_path."""
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = _hash_children(h, seed) if (index >> i) & 1 else _hash_children(seed, h)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        if (index >> i) & 1:
            seed = _hash_children(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = _hash_children(h, seed)
    return seed


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """The root that ``proof`` implies for leaf ``index`` (hash ``leaf_hash``) in ``size``.

    Raises ProofError if ``index >= size``, a hash is not 32 bytes, or the proof has the wrong
    number of elements for ``(index, size)``. It does not (cannot) say the root is right:
    compare it with a trusted root, or use :func:`verify_inclusion`.
    """
    _check_int("index", index)
    _check_int("size", size)
    if index >= size:
        raise ProofError(f"leaf index {index} is beyond the tree size {size}")
    leaf = _check_hash("leaf hash", leaf_hash)
    hashes = _proof_hashes(proof)
    _check_lengths(hashes)
    inner, border = _decomp_inclusion(index, size)
    if len(hashes) != inner + border:
        raise ProofError(
            f"inclusion proof for leaf {index} in a tree of {size} has {len(hashes)} hashes, "
            f"want {inner + border}"
        )
    res = _chain_inner(leaf, hashes[:inner], index)
    return _chain_border_right(res, hashes[inner:])


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Return only if ``proof`` shows leaf ``index`` with ``leaf_hash`` is in tree ``root``.

    Raises ProofError otherwise (malformed input, or the proof leads to another root).
    """
    want = _check_hash("root", root)
    calculated = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if calculated != want:
        raise ProofError(
            f"inclusion proof for leaf {index} in a tree of {size} leads to root "
            f"{calculated.hex()}, not the expected {want.hex()}"
        )


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Return only if ``proof`` shows tree ``root2`` of ``size2`` extends ``root1`` of ``size1``.

    That is: the first ``size1`` leaves of the ``size2`` tree are the leaves of the ``size1``
    tree, so nothing before ``size1`` was rewritten. Raises ProofError otherwise; see the
    module docstring for the edge cases (size 0 is always an error).
    """
    _check_int("size1", size1)
    _check_int("size2", size2)
    hashes = _proof_hashes(proof)
    if size2 < size1:
        raise ProofError(f"size2 ({size2}) < size1 ({size1}): a log cannot shrink")
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree (size 0) proves nothing")
    if size1 == size2:
        if hashes:
            raise ProofError(f"sizes are equal ({size1}) but the proof is not empty")
        if _check_bytes("root1", root1) != _check_bytes("root2", root2):
            raise ProofError(f"sizes are equal ({size1}) but the roots differ")
        return
    want1 = _check_hash("root1", root1)
    want2 = _check_hash("root2", root2)
    _check_lengths(hashes)
    if not hashes:
        raise ProofError(f"empty consistency proof from size {size1} to {size2}")

    inner, border = _decomp_inclusion(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1  # trailing zeros of size1; shift < inner
    inner -= shift
    # The proof starts with the root of the last perfect subtree of the old tree (2**shift
    # leaves), unless the old tree is that very subtree: then the verifier knows it, root1.
    if size1 == 1 << shift:
        seed, rest = want1, hashes
    else:
        seed, rest = hashes[0], hashes[1:]
    want = len(hashes) - len(rest) + inner + border
    if len(hashes) != want:
        raise ProofError(
            f"consistency proof from {size1} to {size2} has {len(hashes)} hashes, want {want}"
        )
    mask = (size1 - 1) >> shift  # chain from level `shift` upwards

    hash1 = _chain_inner_right(seed, rest[:inner], mask)
    hash1 = _chain_border_right(hash1, rest[inner:])
    if hash1 != want1:
        raise ProofError(
            f"consistency proof from {size1} to {size2} does not lead to root1: got "
            f"{hash1.hex()}, want {want1.hex()}"
        )
    hash2 = _chain_inner(seed, rest[:inner], mask)
    hash2 = _chain_border_right(hash2, rest[inner:])
    if hash2 != want2:
        raise ProofError(
            f"consistency proof from {size1} to {size2} does not lead to root2: got "
            f"{hash2.hex()}, want {want2.hex()}"
        )
