"""A slow, literal reference of RFC 9162 §2.1: MTH, PATH and PROOF/SUBPROOF.

Written straight from the RFC's recursive definitions, with no shared code from
``ledger.core.merkle`` (only the two hash functions, which are the RFC's definitions verbatim).
``D[a:b]`` is represented by the index pair ``(a, b)`` into one list of leaves, so the
``MTH`` of a subrange can be memoised: that keeps "every proof for every size up to 256"
fast without changing the recursion.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The largest power of two k with k < n (RFC 9162: "k < n <= 2k"), for n > 1."""
    assert n > 1
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class ReferenceTree:
    """The RFC 9162 definitions over ``leaves`` (the inputs ``d0, d1, ...``)."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.leaves = list(leaves)
        self.mth = cache(self._mth)

    # RFC 9162 §2.1.1
    def _mth(self, a: int, b: int) -> bytes:
        """MTH(D[a:b])."""
        n = b - a
        if n == 0:
            return _sha256(b"")
        if n == 1:
            return _sha256(b"\x00" + self.leaves[a])
        k = _largest_power_of_two_below(n)
        return _sha256(b"\x01" + self.mth(a, a + k) + self.mth(a + k, b))

    # RFC 9162 §2.1.3.1
    def path(self, m: int, a: int, b: int) -> list[bytes]:
        """PATH(m, D[a:b]): the inclusion proof of the m-th leaf of D[a:b], leaf first."""
        n = b - a
        assert 0 <= m < n
        if n == 1:
            return []
        k = _largest_power_of_two_below(n)
        if m < k:
            return [*self.path(m, a, a + k), self.mth(a + k, b)]
        return [*self.path(m - k, a + k, b), self.mth(a, a + k)]

    # RFC 9162 §2.1.4.1
    def subproof(self, m: int, a: int, b: int, complete: bool) -> list[bytes]:
        """SUBPROOF(m, D[a:b], b)."""
        n = b - a
        assert 0 < m <= n
        if m == n:
            return [] if complete else [self.mth(a, b)]
        k = _largest_power_of_two_below(n)
        if m <= k:
            return [*self.subproof(m, a, a + k, complete), self.mth(a + k, b)]
        return [*self.subproof(m - k, a + k, b, False), self.mth(a, a + k)]

    def root(self, n: int) -> bytes:
        """MTH(D[0:n]), the tree head of the first n leaves."""
        return self.mth(0, n)

    def inclusion(self, m: int, n: int) -> list[bytes]:
        """PATH(m, D[0:n])."""
        return self.path(m, 0, n)

    def consistency(self, m: int, n: int) -> list[bytes]:
        """PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true); empty when m == n."""
        assert 0 < m <= n
        return self.subproof(m, 0, n, True)


def mth(leaves: Sequence[bytes]) -> bytes:
    """MTH(D) for the list of leaves D."""
    return ReferenceTree(leaves).root(len(leaves))


def path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D) for the list of leaves D."""
    return ReferenceTree(leaves).inclusion(m, len(leaves))


def proof(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D) for the list of leaves D."""
    return ReferenceTree(leaves).consistency(m, len(leaves))
