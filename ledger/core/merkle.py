"""RFC 9162 Merkle tree maths over stored perfect subtrees.

The log stores, besides every leaf hash, the hash of every *perfect* subtree it has completed:
node ``(level, index)`` is the hash of the ``2**level`` leaves
``[index << level, (index + 1) << level)``; level 0 is the leaf hash itself. Such a node never
changes once the log has grown past it. Every hash the RFC asks for (a tree head, an inclusion
proof element, a consistency proof element) is the Merkle Tree Hash of some range, and that
range splits into at most ``2 * log2(n) + 2`` stored nodes. This module says *which* nodes
(a *plan*), so storage reads exactly those, and :func:`build` folds them into the proof.

Plans are lists of groups: one group per proof element, in RFC 9162 order (from the leaf up),
each group the node ids whose :func:`fold` is that element.

:class:`CompactRange` is the append side: it keeps the right edge of the tree (one hash per set
bit of the size), yields the root at any time, and reports every perfect subtree an append
completes, so the caller can store it.

Nothing here does I/O or keeps global state; it follows transparency-dev/merkle's ``compact``
and ``proof`` packages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from hashlib import sha256 as _sha256
from typing import TypeAlias

from ledger.core.hashing import EMPTY_ROOT, HASH_SIZE

NodeID: TypeAlias = tuple[int, int]
"""``(level, index)``: the perfect subtree over leaves ``[index << level, (index+1) << level)``."""

Plan: TypeAlias = list[list[NodeID]]
"""One group of node ids per proof element; the element is the :func:`fold` of its group."""

_NODE_PREFIX = b"\x01"


def range_nodes(begin: int, end: int) -> list[NodeID]:
    """Split ``[begin, end)`` into maximal aligned perfect subtrees, left to right.

    Guarantees: the nodes are contiguous and cover exactly ``[begin, end)``; no node's parent
    lies inside the range (maximal), so there are at most ``2 * log2(end - begin) + 2`` of them;
    levels first rise and then fall. ``[]`` for an empty range.

    Raises ValueError unless ``0 <= begin <= end``.
    """
    if not 0 <= begin <= end:
        raise ValueError(f"range_nodes: need 0 <= begin <= end, got [{begin}, {end})")
    nodes: list[NodeID] = []
    while begin < end:
        level = (end - begin).bit_length() - 1  # the largest node that fits...
        if begin:
            level = min(level, (begin & -begin).bit_length() - 1)  # ...and is aligned at begin
        nodes.append((level, begin >> level))
        begin += 1 << level
    return nodes


def _set_bits(n: int) -> list[int]:
    """The levels of the perfect subtrees of ``root_plan(n)``, largest first."""
    return [level for level in range(n.bit_length() - 1, -1, -1) if n >> level & 1]


def fold(hashes: Sequence[bytes]) -> bytes:
    """Fold node hashes right to left with ``node_hash``; ``EMPTY_ROOT`` for no hashes.

    Given the hashes of ``range_nodes(begin, end)`` left to right, this is the RFC 9162 Merkle
    Tree Hash of ``D[begin:end]`` whenever that range is a subtree the RFC recursion visits
    (``begin`` a multiple of a power of two ``>= end - begin``), in particular for
    ``begin == 0``, i.e. for any tree head. A single hash folds to itself.
    """
    if not hashes:
        return EMPTY_ROOT
    it = reversed(hashes)
    acc = next(it)
    for h in it:
        acc = _sha256(_NODE_PREFIX + h + acc).digest()
    return acc


def root_plan(size: int) -> list[NodeID]:
    """Node ids whose :func:`fold` is the root of the tree of ``size`` leaves (``[]`` for 0).

    One node per set bit of ``size``, largest first. Raises ValueError if ``size < 0``.
    """
    if size < 0:
        raise ValueError(f"root_plan: size must be >= 0, got {size}")
    return range_nodes(0, size)


def _node_path(level: int, index: int, size: int) -> Plan:
    """Audit path of the complete node ``(level, index)`` in the tree of ``size`` leaves.

    The node must lie inside ``[0, size)``. Port of transparency-dev/merkle ``proof.nodes``:
    below the level where the node's path and the tree's right border meet ("inner") each
    element is the sibling, the last of them possibly truncated by ``size`` (then it is an
    ephemeral node, split into stored ones); above it ("border") the elements are the left
    siblings where the path turns right.
    """
    inner = (index ^ ((size - 1) >> level)).bit_length()
    plan: Plan = []
    for depth in range(inner):
        lvl = level + depth
        sibling = (index >> depth) ^ 1
        lo = sibling << lvl
        if lo + (1 << lvl) <= size:
            plan.append([(lvl, sibling)])
        else:
            plan.append(range_nodes(lo, size))
    idx = index >> inner
    lvl = level + inner
    while idx:
        if idx & 1:
            plan.append([(lvl, idx ^ 1)])
        idx >>= 1
        lvl += 1
    return plan


def inclusion_plan(index: int, size: int) -> Plan:
    """Plan of the RFC 9162 §2.1.3 inclusion proof (``PATH``) of leaf ``index`` in ``size``.

    Elements are in RFC order, from the leaf upwards; ``[]`` for a one-leaf tree. At most
    ``2 * log2(size) + 2`` distinct nodes. Raises ValueError unless ``0 <= index < size``.
    """
    if not 0 <= index < size:
        raise ValueError(f"inclusion_plan: need 0 <= index < size, got index={index} size={size}")
    return _node_path(0, index, size)


def consistency_plan(old: int, new: int) -> Plan:
    """Plan of the RFC 9162 §2.1.4 consistency proof (``PROOF``) from ``old`` to ``new`` leaves.

    ``[]`` when ``old == new``. Otherwise: the last perfect subtree of the old tree (omitted
    when the old tree is itself perfect, since the verifier knows its root), then that
    subtree's audit path in the new tree. Raises ValueError unless ``0 < old <= new``.
    """
    if not 0 < old <= new:
        raise ValueError(f"consistency_plan: need 0 < old <= new, got old={old} new={new}")
    if old == new:
        return []
    level = (old & -old).bit_length() - 1
    index = (old >> level) - 1
    plan = _node_path(level, index, new)
    if index:
        plan.insert(0, [(level, index)])
    return plan


def plan_nodes(plan: Iterable[Iterable[NodeID]]) -> set[NodeID]:
    """Every node id a plan needs (what storage must read)."""
    return {node for group in plan for node in group}


def build(plan: Iterable[Sequence[NodeID]], hashes: Mapping[NodeID, bytes]) -> list[bytes]:
    """Fold each group of ``plan`` over ``hashes``: the proof, one hash per element.

    Raises KeyError if ``hashes`` lacks a node the plan needs.
    """
    return [fold([hashes[node] for node in group]) for group in plan]


class CompactRange:
    """The right edge of the tree over leaves ``[0, size)``; the append side of the log.

    Like transparency-dev/merkle ``compact.Range`` starting at 0. Holds one hash per set bit of
    ``size`` (the hashes of :func:`root_plan`), so it is O(log n) in memory.

    Attributes:
      size: the number of leaves appended so far.
      hashes: the hashes of ``root_plan(size)``, left to right (a copy).
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        """Resume at ``size`` leaves from the hashes of ``root_plan(size)``, left to right.

        Raises ValueError if ``size < 0``, the number of hashes is not ``size.bit_count()`` or
        a hash is not 32 bytes.
        """
        if size < 0:
            raise ValueError(f"CompactRange: size must be >= 0, got {size}")
        edge = list(hashes)
        if len(edge) != size.bit_count():
            raise ValueError(
                f"CompactRange: size {size} needs {size.bit_count()} hashes, got {len(edge)}"
            )
        for h in edge:
            if type(h) is not bytes or len(h) != HASH_SIZE:
                raise ValueError("CompactRange: every hash must be 32 bytes")
        self._size = size
        self._hashes = edge

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> list[tuple[NodeID, bytes]]:
        """Append one leaf hash; return every perfect subtree of level >= 1 it completes.

        The returned ``((level, index), hash)`` pairs are in increasing level; there are
        ``trailing_zeros(new size)`` of them (one per leaf on average). Storing them, plus
        the leaf hashes at level 0, is all :func:`build` ever needs.

        Raises ValueError (and changes nothing) unless ``leaf_hash`` is 32 ``bytes``.
        """
        if type(leaf_hash) is not bytes or len(leaf_hash) != HASH_SIZE:
            raise ValueError("CompactRange.append: leaf hash must be 32 bytes")
        edge = self._hashes
        index = self._size
        completed: list[tuple[NodeID, bytes]] = []
        h = leaf_hash
        level = 0
        while index & 1:  # the new node is a right child: merge it with its left sibling
            index >>= 1
            level += 1
            h = _sha256(_NODE_PREFIX + edge.pop() + h).digest()
            completed.append(((level, index), h))
        edge.append(h)
        self._size += 1
        return completed

    def append_many(self, leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
        """Append ``leaf_hashes`` in order, as many calls to :meth:`append` would, a level at a
        time (one list comprehension per level instead of a loop per leaf).

        Returns, for each level ``L = 1, 2, ...`` (item ``L - 1``), the hashes of the perfect
        subtrees of that level the new leaves complete: with ``old`` and ``new`` the size
        before and after, the nodes ``(L, i)`` for ``old >> L <= i < new >> L``, in index
        order; the list stops at the first level that completes nothing. Node ``(L, i)`` is
        completed by leaf ``((i + 1) << L) - 1``.

        Raises ValueError (and changes nothing) unless every leaf hash is 32 ``bytes``.
        """
        hashes = list(leaf_hashes)
        for h in hashes:
            if type(h) is not bytes or len(h) != HASH_SIZE:
                raise ValueError("CompactRange.append_many: leaf hash must be 32 bytes")
        old, new = self._size, self._size + len(hashes)
        # The old edge, by level: one hash per set bit of old, largest level first.
        edge = dict(zip(_set_bits(old), self._hashes, strict=True))
        fresh = [hashes]  # fresh[L]: new hashes at level L, indices from old >> L
        levels: list[list[bytes]] = []
        level = 0
        while (new >> (level + 1)) > (old >> (level + 1)):
            below = fresh[level]
            if (old >> level) & 1:  # the first left child is already on the edge
                below = [edge[level], *below]
            above = [
                _sha256(_NODE_PREFIX + left + right).digest()
                # an unpaired last node stays on the edge
                for left, right in zip(below[0::2], below[1::2], strict=False)
            ]
            fresh.append(above)
            levels.append(above)
            level += 1
        # The new edge: node (L, (new >> L) - 1) for each set bit L of new; fresh unless it
        # is the old edge node of that level.
        self._hashes = [
            fresh[lvl][(new >> lvl) - 1 - (old >> lvl)] if new >> lvl > old >> lvl else edge[lvl]
            for lvl in _set_bits(new)
        ]
        self._size = new
        return levels

    def root(self) -> bytes:
        """The RFC 9162 Merkle Tree Hash of the ``size`` leaves (``EMPTY_ROOT`` when empty)."""
        return fold(self._hashes)

    def copy(self) -> CompactRange:
        """An independent copy (appending to one does not change the other)."""
        return CompactRange(self._size, self._hashes)

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, root={self.root().hex()})"
