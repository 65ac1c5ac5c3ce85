"""ledger.core.merkle against the literal RFC 9162 reference (tests/core/reference.py).

Coverage: for every tree size 1..256 (leaves ``b"leaf-%d"``), the root, the inclusion proof of
every index and the consistency proof from every old size 1..size, built from plans over the
stored perfect-subtree nodes, equal the reference exactly, use only nodes inside the tree, and
verify with ledger.core.proof. That is every pair, no sampling. Hypothesis then samples sizes
up to 4096 the same way, and large sizes (up to 2**63 - 1) check the plans stay O(log n).
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from ledger.core.merkle import (
    CompactRange,
    NodeID,
    build,
    consistency_plan,
    fold,
    inclusion_plan,
    plan_nodes,
    range_nodes,
    root_plan,
)
from ledger.core.proof import ProofError, verify_consistency, verify_inclusion
from tests.core.reference import ReferenceTree, mth, path, proof
from tests.core.vectors import signed_note

MAX = 256
LEAVES = [b"leaf-%d" % i for i in range(MAX)]
REF = ReferenceTree(LEAVES)


class LazyNodes(dict[NodeID, bytes]):
    """Stored-node hashes of a reference tree, computed from the reference on first use."""

    def __init__(self, ref: ReferenceTree) -> None:
        super().__init__()
        self.ref = ref

    def __missing__(self, node: NodeID) -> bytes:
        level, index = node
        value = self.ref.mth(index << level, (index + 1) << level)
        self[node] = value
        return value


@pytest.fixture(scope="module")
def nodes() -> dict[NodeID, bytes]:
    """Every perfect subtree of the 256-leaf tree, hashed by the reference."""
    out: dict[NodeID, bytes] = {}
    for level in range(MAX.bit_length()):
        for index in range(MAX >> level):
            out[(level, index)] = REF.mth(index << level, (index + 1) << level)
    return out


def assert_inside(ids: set[NodeID] | list[NodeID], size: int) -> None:
    """Every node is a real, complete perfect subtree of the tree of ``size`` leaves."""
    for level, index in ids:
        assert level >= 0 and index >= 0, (level, index)
        assert (index + 1) << level <= size, f"node {(level, index)} is not inside size {size}"


# -- reference sanity ----------------------------------------------------------------------------


def test_reference_matches_rfc6962_reference_tree() -> None:
    """The reference itself reproduces the published CT reference-tree roots (sizes 0..8)."""
    tree = signed_note()["rfc6962_reference_tree"]
    leaves = [bytes.fromhex(h) for h in tree["leaves_hex"]]
    roots = [bytes.fromhex(h) for h in tree["roots_hex"]]
    assert len(leaves) == 8 and len(roots) == 9
    for size, want in enumerate(roots):
        assert mth(leaves[:size]) == want, size


def test_rfc9162_worked_examples(nodes: dict[NodeID, bytes]) -> None:
    """RFC 9162 §2.1.5: the seven-leaf example tree, its inclusion and consistency proofs.

    Leaves d0..d6 hash to a..f and j; g=[0,2), h=[2,4), i=[4,6), k=[0,4), l=[4,7).
    """
    leaves = LEAVES[:7]
    m = REF.mth
    a, b, c, d, e, f, j = (m(x, x + 1) for x in range(7))
    g, h, i, k, l = m(0, 2), m(2, 4), m(4, 6), m(0, 4), m(4, 7)  # noqa: E741
    assert mth(leaves) == node_hash(k, l) == node_hash(node_hash(g, h), node_hash(i, j))
    examples = {
        ("path", 0): [b, h, l],
        ("path", 3): [c, g, l],
        ("path", 4): [f, j, k],
        ("proof", 3): [c, d, g, l],
        ("proof", 4): [l],
        ("proof", 6): [i, j, k],
    }
    for (kind, m_), want in examples.items():
        if kind == "path":
            assert path(m_, leaves) == want
            assert build(inclusion_plan(m_, 7), nodes) == want
        else:
            assert proof(m_, leaves) == want
            assert build(consistency_plan(m_, 7), nodes) == want
    assert (a, e) == (nodes[(0, 0)], nodes[(0, 4)])


# -- range_nodes, fold, hashing ------------------------------------------------------------------


def test_hashing_constants() -> None:
    assert HASH_SIZE == 32
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"") == ReferenceTree([b""]).root(1)
    assert node_hash(b"a" * 32, b"b" * 32) != node_hash(b"b" * 32, b"a" * 32)
    # domain separation: a leaf that looks like two child hashes does not hash like the node
    assert leaf_hash(b"a" * 32 + b"b" * 32) != node_hash(b"a" * 32, b"b" * 32)


def test_range_nodes_are_exact_aligned_and_maximal() -> None:
    for begin in range(0, 70):
        for end in range(begin, 70):
            ids = range_nodes(begin, end)
            pos = begin
            for level, index in ids:
                assert index << level == pos, (begin, end, ids)  # contiguous and aligned
                pos += 1 << level
                parent_lo = (index >> 1) << (level + 1)
                parent_hi = parent_lo + (1 << (level + 1))
                assert not (begin <= parent_lo and parent_hi <= end), (begin, end, ids)  # maximal
            assert pos == end
            assert len(ids) <= 2 * max(1, (end - begin).bit_length())


def test_range_nodes_rejects_bad_ranges() -> None:
    for begin, end in [(3, 2), (-1, 2), (-2, -1)]:
        with pytest.raises(ValueError):
            range_nodes(begin, end)
    assert range_nodes(5, 5) == []


def test_fold() -> None:
    assert fold([]) == EMPTY_ROOT
    a, b, c = (bytes([i]) * 32 for i in range(3))
    assert fold([a]) == a
    assert fold([a, b, c]) == node_hash(a, node_hash(b, c))  # right to left, not left to right


def test_root_plan_rejects_negative() -> None:
    with pytest.raises(ValueError):
        root_plan(-1)
    assert root_plan(0) == []
    assert fold(build([root_plan(0)], {})) == EMPTY_ROOT


def test_plans_reject_bad_arguments() -> None:
    for index, size in [(-1, 5), (5, 5), (6, 5), (0, 0)]:
        with pytest.raises(ValueError):
            inclusion_plan(index, size)
    for old, new in [(0, 5), (0, 0), (6, 5), (-1, 3)]:
        with pytest.raises(ValueError):
            consistency_plan(old, new)
    assert consistency_plan(7, 7) == []
    assert inclusion_plan(0, 1) == []


def test_build_raises_keyerror_for_missing_node(nodes: dict[NodeID, bytes]) -> None:
    plan = inclusion_plan(0, 8)
    partial = dict(nodes)
    del partial[plan[-1][0]]
    with pytest.raises(KeyError):
        build(plan, partial)


# -- plans against the reference: every size, every index, every old size -----------------------


@pytest.mark.parametrize("size", range(1, MAX + 1))
def test_plans_match_reference(size: int, nodes: dict[NodeID, bytes]) -> None:
    bound = 2 * math.log2(size) + 2
    ids = root_plan(size)
    assert_inside(ids, size)
    assert len(ids) == size.bit_count()
    root = fold([nodes[n] for n in ids])
    assert root == REF.root(size)
    assert build([ids], nodes) == [root]

    for index in range(size):
        plan = inclusion_plan(index, size)
        needed = plan_nodes(plan)
        assert_inside(needed, size)
        assert len(needed) <= bound
        got = build(plan, nodes)
        assert got == REF.inclusion(index, size), f"inclusion {index} in {size}"
        verify_inclusion(nodes[(0, index)], index, size, got, root)

    for old in range(1, size + 1):
        plan = consistency_plan(old, size)
        needed = plan_nodes(plan)
        assert_inside(needed, size)
        assert len(needed) <= bound
        got = build(plan, nodes)
        assert got == REF.consistency(old, size), f"consistency {old} -> {size}"
        verify_consistency(old, size, got, REF.root(old), root)


BIG = ReferenceTree([b"big-%d" % i for i in range(4096)])
BIG_NODES = LazyNodes(BIG)


@settings(max_examples=150, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=4096),
    a=st.integers(min_value=0, max_value=4095),
    b=st.integers(min_value=0, max_value=4095),
)
def test_plans_match_reference_sampled_to_4096(size: int, a: int, b: int) -> None:
    index = a % size
    old = b % size + 1
    nodes = BIG_NODES
    root = fold([nodes[n] for n in root_plan(size)])
    assert root == BIG.root(size)

    plan = inclusion_plan(index, size)
    assert_inside(plan_nodes(plan), size)
    got = build(plan, nodes)
    assert got == BIG.inclusion(index, size)
    verify_inclusion(nodes[(0, index)], index, size, got, root)

    plan = consistency_plan(old, size)
    assert_inside(plan_nodes(plan), size)
    got = build(plan, nodes)
    assert got == BIG.consistency(old, size)
    verify_consistency(old, size, got, BIG.root(old), root)


@pytest.mark.parametrize(
    "n", [10**6, 2**20, 2**20 + 1, 2**20 - 1, 2**40 + 12345, 2**48 - 1, 2**63 - 1, 2**64 - 1]
)
def test_plans_are_logarithmic(n: int) -> None:
    bound = 2 * math.log2(n) + 2
    rng = random.Random(n)
    points = {0, 1, 2, n // 2, n // 2 + 1, n - 2, n - 1} | {rng.randrange(n) for _ in range(300)}
    points |= {(1 << k) - 1 for k in range(n.bit_length()) if (1 << k) <= n}
    points |= {1 << k for k in range(n.bit_length()) if (1 << k) < n}
    assert len(root_plan(n)) <= math.log2(n) + 1
    for index in sorted(points):
        needed = plan_nodes(inclusion_plan(index, n))
        assert len(needed) <= bound, (index, n, len(needed))
        assert_inside(needed, n)
        old = index + 1
        needed = plan_nodes(consistency_plan(old, n))
        assert len(needed) <= bound, (old, n, len(needed))
        assert_inside(needed, n)


# -- proofs that must not verify ---------------------------------------------------------------


def _flip(h: bytes, bit: int = 0) -> bytes:
    return bytes([h[0] ^ (1 << bit)]) + h[1:]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 13, 16, 31, 33])
def test_tampered_proofs_are_rejected(size: int, nodes: dict[NodeID, bytes]) -> None:
    root = REF.root(size)
    for index in range(size):
        good = build(inclusion_plan(index, size), nodes)
        leaf = nodes[(0, index)]
        for i in range(len(good)):
            bad = list(good)
            bad[i] = _flip(bad[i])
            with pytest.raises(ProofError):
                verify_inclusion(leaf, index, size, bad, root)
        with pytest.raises(ProofError):
            verify_inclusion(_flip(leaf), index, size, good, root)
        with pytest.raises(ProofError):
            verify_inclusion(leaf, index, size, good, _flip(root))
        with pytest.raises(ProofError):
            verify_inclusion(leaf, index, size, [*good, good[0] if good else root], root)
        if good:
            with pytest.raises(ProofError):
                verify_inclusion(leaf, index, size, good[:-1], root)
        if index + 1 < size:
            with pytest.raises(ProofError):
                verify_inclusion(leaf, index + 1, size, good, root)
    for old in range(1, size):
        good = build(consistency_plan(old, size), nodes)
        old_root = REF.root(old)
        for i in range(len(good)):
            bad = list(good)
            bad[i] = _flip(bad[i], 7)
            with pytest.raises(ProofError):
                verify_consistency(old, size, bad, old_root, root)
        with pytest.raises(ProofError):
            verify_consistency(old, size, good, root, old_root)
        with pytest.raises(ProofError):
            verify_consistency(old, size, good, _flip(old_root), root)
        with pytest.raises(ProofError):
            verify_consistency(old, size, good, old_root, _flip(root))
        with pytest.raises(ProofError):
            verify_consistency(old, size, good[:-1], old_root, root)
        with pytest.raises(ProofError):
            verify_consistency(old, size, [*good, root], old_root, root)


def test_verifier_rejects_wrong_types_and_lengths() -> None:
    leaf = leaf_hash(b"x")
    with pytest.raises(ProofError, match="32"):
        verify_inclusion(leaf[:31], 0, 1, [], leaf[:31])
    with pytest.raises(ProofError, match="must be bytes"):
        verify_inclusion(leaf, 0, 1, [], leaf.hex())  # type: ignore[arg-type]
    with pytest.raises(ProofError, match="beyond"):
        verify_inclusion(leaf, 1, 1, [], leaf)
    with pytest.raises(ProofError):
        verify_inclusion(leaf, -1, 1, [], leaf)
    verify_inclusion(leaf, 0, 1, None, leaf)  # type: ignore[arg-type]  # JSON null proof
    # A short leaf hash or old root would otherwise chain to a perfectly good 32-byte root.
    short, sibling = leaf[:31], leaf_hash(b"y")
    with pytest.raises(ProofError, match="leaf hash is 31 bytes"):
        verify_inclusion(short, 0, 2, [sibling], node_hash(short, sibling))
    with pytest.raises(ProofError, match="root1 is 31 bytes"):
        verify_consistency(1, 2, [sibling], short, node_hash(short, sibling))
    with pytest.raises(ProofError, match=r"proof\[0\] is 31 bytes"):
        verify_consistency(1, 2, [short], leaf, node_hash(leaf, short))
    # Wrong proof lengths are reported as such, not merely as a root mismatch.
    good = [sibling]
    with pytest.raises(ProofError, match="has 2 hashes, want 1"):
        verify_inclusion(leaf, 0, 2, [*good, sibling], node_hash(leaf, sibling))
    with pytest.raises(ProofError, match="has 2 hashes, want 1"):
        verify_consistency(1, 2, [*good, sibling], leaf, node_hash(leaf, sibling))
    with pytest.raises(ProofError, match="empty consistency proof"):
        verify_consistency(1, 2, [], leaf, node_hash(leaf, sibling))
    verify_consistency(1, 2, good, leaf, node_hash(leaf, sibling))
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    with pytest.raises(ProofError, match="shrink"):
        verify_consistency(2, 1, [], leaf, leaf)


# -- CompactRange --------------------------------------------------------------------------------


def _completed_ids(size: int) -> list[NodeID]:
    """The level >= 1 nodes that end exactly at ``size`` (one per trailing zero bit)."""
    tz = (size & -size).bit_length() - 1
    return [(level, (size >> level) - 1) for level in range(1, tz + 1)]


def test_compact_range_appends_match_reference(nodes: dict[NodeID, bytes]) -> None:
    cr = CompactRange()
    assert cr.size == 0 and cr.root() == EMPTY_ROOT and cr.hashes == ()
    emitted: dict[NodeID, bytes] = {}
    for i, leaf in enumerate(LEAVES):
        got = cr.append(leaf_hash(leaf))
        size = i + 1
        assert [nid for nid, _ in got] == _completed_ids(size), size
        for nid, h in got:
            assert nid not in emitted
            assert h == nodes[nid], nid
            emitted[nid] = h
        assert cr.size == size
        assert cr.root() == REF.root(size), size
        assert cr.hashes == tuple(nodes[n] for n in root_plan(size))
    assert emitted == {nid: h for nid, h in nodes.items() if nid[0] >= 1}
    assert len(emitted) == MAX - 1  # one per leaf, amortised


@pytest.mark.parametrize("start", range(0, MAX + 1))
def test_compact_range_resumes_from_root_plan(start: int, nodes: dict[NodeID, bytes]) -> None:
    cr = CompactRange(start, [nodes[n] for n in root_plan(start)])
    assert cr.size == start
    assert cr.root() == REF.root(start)
    for size in range(start + 1, min(MAX, start + 40) + 1):
        got = cr.append(nodes[(0, size - 1)])
        assert got == [(nid, nodes[nid]) for nid in _completed_ids(size)]
        assert cr.root() == REF.root(size)


def test_compact_range_rejects_bad_state() -> None:
    h = leaf_hash(b"x")
    with pytest.raises(ValueError):
        CompactRange(-1)
    with pytest.raises(ValueError):
        CompactRange(3, [h])  # 3 = 0b11 needs two hashes
    with pytest.raises(ValueError):
        CompactRange(1, [])
    with pytest.raises(ValueError):
        CompactRange(1, [h[:31]])
    with pytest.raises(ValueError):
        CompactRange(0, [h])


def test_compact_range_append_rejects_bad_hash_without_changing_state() -> None:
    cr = CompactRange()
    cr.append(leaf_hash(b"a"))
    before = (cr.size, cr.hashes, cr.root())
    for bad in [b"short", b"x" * 33, "x" * 32, bytearray(32)]:
        with pytest.raises(ValueError):
            cr.append(bad)  # type: ignore[arg-type]
        assert (cr.size, cr.hashes, cr.root()) == before


def test_compact_range_copy_is_independent() -> None:
    cr = CompactRange()
    for leaf in LEAVES[:5]:
        cr.append(leaf_hash(leaf))
    other = cr.copy()
    other.append(leaf_hash(LEAVES[5]))
    assert cr.size == 5 and cr.root() == REF.root(5)
    assert other.size == 6 and other.root() == REF.root(6)
    assert "size=5" in repr(cr)


def test_rfc6962_reference_tree_roots() -> None:
    """CompactRange, root plans and the published CT reference-tree roots agree (sizes 0..8)."""
    tree = signed_note()["rfc6962_reference_tree"]
    leaves = [bytes.fromhex(h) for h in tree["leaves_hex"]]
    roots = [bytes.fromhex(h) for h in tree["roots_hex"]]
    stored: dict[NodeID, bytes] = {}
    cr = CompactRange()
    assert cr.root() == roots[0]
    for i, leaf in enumerate(leaves):
        stored[(0, i)] = leaf_hash(leaf)
        stored.update(cr.append(stored[(0, i)]))
        size = i + 1
        assert cr.root() == roots[size], size
        assert fold(build([root_plan(size)], stored)) == roots[size]
        for old in range(1, size + 1):
            verify_consistency(
                old, size, build(consistency_plan(old, size), stored), roots[old], roots[size]
            )
        for index in range(size):
            verify_inclusion(
                stored[(0, index)],
                index,
                size,
                build(inclusion_plan(index, size), stored),
                roots[size],
            )
