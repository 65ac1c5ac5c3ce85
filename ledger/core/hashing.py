"""RFC 9162 §2.1.1 hashing: the domain-separated SHA-256 of leaves and interior nodes.

A leaf is hashed as ``SHA-256(0x00 || leaf)`` and an interior node as
``SHA-256(0x01 || left || right)``; the different prefixes mean no leaf hash can be passed
off as a node hash (second-preimage resistance of the tree). The empty tree's root is
``SHA-256()``, :data:`EMPTY_ROOT`.
"""

from __future__ import annotations

from hashlib import sha256
from typing import Final

HASH_SIZE: Final = 32
"""Length in bytes of every hash in the tree."""

EMPTY_ROOT: Final = sha256(b"").digest()
"""Root hash of the empty tree: SHA-256 of the empty string."""

_LEAF_PREFIX: Final = b"\x00"
_NODE_PREFIX: Final = b"\x01"


#: SHA-256 having read the leaf prefix; a copy of it hashes a leaf without first copying the
#: leaf's bytes behind the prefix (``copy()``, ``update(leaf)``, ``digest()`` is
#: :func:`leaf_hash`, for a loop over many leaves). Never update it itself.
LEAF_STATE: Final = sha256(_LEAF_PREFIX)


def leaf_hash(leaf: bytes) -> bytes:
    """Return ``SHA-256(0x00 || leaf)``, the 32-byte hash of one leaf's bytes."""
    state = LEAF_STATE.copy()
    state.update(leaf)
    return state.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return ``SHA-256(0x01 || left || right)``, the 32-byte hash of an interior node.

    The children are not checked here (this is on the hot path); callers that take hashes from
    outside check their length first, as :mod:`ledger.core.proof` does.
    """
    return sha256(_NODE_PREFIX + left + right).digest()
