"""RFC 6962 / RFC 9162 Merkle tree hashing with SHA-256, and proof generation.

Everything here is pure: no I/O. A store supplies hashes through a callback.

Node addressing
---------------
A *node* is the root of a perfect (complete, power-of-two sized) subtree and is
addressed by ``(level, index)``: the node at level ``L`` and index ``i`` covers
the leaves ``[i * 2**L, (i + 1) * 2**L)``. Level 0 holds the leaf hashes
themselves. Every perfect node of a tree of size ``n`` has
``(i + 1) * 2**L <= n``; its hash never changes once the log has grown past it,
so a store can persist it. The hash of any range needed by a proof is folded
from at most ``log2(n) + 1`` such nodes (see :func:`subtree_hash`), so a proof
costs ``O(log n)`` node look-ups.

The callback type is :data:`GetNode`: ``get_node(level, index) -> bytes``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import NewType

from provenance.errors import InputError

LeafHash = NewType("LeafHash", bytes)
"""SHA-256(0x00 || entry): the hash of one log entry (RFC 9162 §2.1.1)."""

RootHash = NewType("RootHash", bytes)
"""The Merkle Tree Hash of a whole tree of some size (RFC 9162 §2.1.1)."""

GetNode = Callable[[int, int], bytes]
"""``get_node(level, index)``: hash of the perfect subtree at that address."""

HASH_SIZE = 32
"""Size in bytes of every hash in the tree (SHA-256)."""

# RFC 9162 §2.1.1: domain separation prefixes for leaves and interior nodes.
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

EMPTY_ROOT = RootHash(hashlib.sha256(b"").digest())
"""MTH({}) = SHA-256() (RFC 9162 §2.1.1): the root of the empty tree."""


def leaf_hash(entry: bytes) -> LeafHash:
    """Return the leaf hash of one entry: ``SHA-256(0x00 || entry)``.

    Args:
        entry: the raw entry bytes (any length, including empty).

    Returns:
        The 32-byte leaf hash (RFC 9162 §2.1.1, ``MTH({d(0)})``).
    """
    return LeafHash(hashlib.sha256(_LEAF_PREFIX + entry).digest())


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the interior node hash ``SHA-256(0x01 || left || right)``.

    Args:
        left: hash of the left child.
        right: hash of the right child.

    Returns:
        The 32-byte parent hash (RFC 9162 §2.1.1).
    """
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """Return the largest power of two strictly smaller than ``n``.

    This is the split point ``k`` of RFC 9162 §2.1.1 (``k < n <= 2k``).

    Args:
        n: an integer greater than 1.

    Raises:
        InputError: if ``n < 2``.
    """
    if n < 2:
        raise InputError(f"no power of two below {n} splits a tree")
    return 1 << ((n - 1).bit_length() - 1)


def _fold_right(hashes: Sequence[bytes]) -> bytes:
    """Hash a left-to-right list of decreasing perfect subtrees into one root."""
    acc = hashes[-1]
    for left in reversed(hashes[:-1]):
        acc = node_hash(left, acc)
    return acc


def naive_root(leaf_hashes: Sequence[bytes]) -> RootHash:
    """Reference Merkle Tree Hash by direct recursion (RFC 9162 §2.1.1).

    ``MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))`` where ``k`` is the
    largest power of two smaller than ``n``. Slow on purpose: it exists to check
    :func:`root_from_leaf_hashes` in tests and benchmarks.

    Args:
        leaf_hashes: the leaf hashes of the tree, in order.

    Returns:
        The root hash; :data:`EMPTY_ROOT` for an empty list.
    """
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return RootHash(bytes(leaf_hashes[0]))
    k = largest_power_of_two_below(n)
    return RootHash(node_hash(naive_root(leaf_hashes[:k]), naive_root(leaf_hashes[k:])))


def root_from_leaf_hashes(leaf_hashes: Iterable[bytes]) -> RootHash:
    """Compute the Merkle Tree Hash of a list of leaf hashes, iteratively.

    Pairs neighbours level by level; an unpaired last node is carried up
    unchanged, which yields exactly the RFC 9162 §2.1.1 tree (whose right-hand
    subtrees are the only incomplete ones). ``O(n)`` hashes, ``O(n)`` memory.

    Args:
        leaf_hashes: the leaf hashes, in order.

    Returns:
        The root hash; :data:`EMPTY_ROOT` for no leaves.
    """
    level = [bytes(h) for h in leaf_hashes]
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return RootHash(level[0])


def subtree_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """List the perfect nodes whose fold is ``MTH(D[start:end])``.

    The RFC 9162 §2.1.1 tree over ``end - start`` leaves is a left perfect
    subtree of the largest power of two that fits, followed recursively by the
    rest; so its perfect pieces follow the set bits of ``end - start`` from the
    highest down. Each piece must be aligned to its own size, which holds for
    every range a proof of RFC 9162 §2.1.3/§2.1.4 ever needs.

    Args:
        start: first leaf index of the range.
        end: one past the last leaf index (``end > start``).

    Returns:
        The ``(level, index)`` addresses, left to right.

    Raises:
        InputError: if the range is empty or not decomposable into aligned nodes.
    """
    if not 0 <= start < end:
        raise InputError(f"bad leaf range [{start}, {end})")
    nodes = []
    pos = start
    while pos < end:
        level = (end - pos).bit_length() - 1
        if pos % (1 << level):
            raise InputError(f"range [{start}, {end}) is not made of aligned perfect subtrees")
        nodes.append((level, pos >> level))
        pos += 1 << level
    return nodes


def subtree_hash(start: int, end: int, get_node: GetNode) -> bytes:
    """Return ``MTH(D[start:end])`` from at most ``log2(n) + 1`` node look-ups.

    Args:
        start: first leaf index of the range.
        end: one past the last leaf index.
        get_node: callback returning the hash at ``(level, index)``.

    Raises:
        InputError: see :func:`subtree_nodes`.
    """
    return _fold_right([get_node(level, index) for level, index in subtree_nodes(start, end)])


def root_from_nodes(size: int, get_node: GetNode) -> RootHash:
    """Return the root of the tree of ``size`` leaves from stored perfect nodes.

    Args:
        size: the tree size (0 gives :data:`EMPTY_ROOT`).
        get_node: callback returning the hash at ``(level, index)``.
    """
    if size < 0:
        raise InputError(f"negative tree size {size}")
    return EMPTY_ROOT if size == 0 else RootHash(subtree_hash(0, size, get_node))


def inclusion_proof(index: int, size: int, get_node: GetNode) -> list[bytes]:
    """Generate the audit path ``PATH(index, D[size])`` of RFC 9162 §2.1.3.1.

    Walks from the root down to the leaf, collecting the hash of the sibling
    range at each split; the path is returned leaf-side first, as the RFC
    orders it. Costs ``O(log size)`` node look-ups.

    Args:
        index: the leaf index, ``0 <= index < size``.
        size: the tree size.
        get_node: callback returning the hash at ``(level, index)``.

    Returns:
        The proof hashes, from the leaf's sibling up to the root's child.

    Raises:
        InputError: if ``index`` is not within the tree.
    """
    if not 0 <= index < size:
        raise InputError(f"leaf index {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        mid = start + largest_power_of_two_below(end - start)
        if index < mid:  # PATH(m, D[0:k]) : MTH(D[k:n])
            path.append(subtree_hash(mid, end, get_node))
            end = mid
        else:  # PATH(m - k, D[k:n]) : MTH(D[0:k])
            path.append(subtree_hash(start, mid, get_node))
            start = mid
    path.reverse()
    return path


def consistency_proof(old_size: int, new_size: int, get_node: GetNode) -> list[bytes]:
    """Generate ``PROOF(old_size, D[new_size])`` of RFC 9162 §2.1.4.1.

    RFC 9162 defines the proof for ``0 < m < n``; for ``m == n`` the proof is
    empty (as ``SUBPROOF(m, D[m], true) = {}``).

    Args:
        old_size: size ``m`` of the earlier tree, ``0 < m <= n``.
        new_size: size ``n`` of the later tree.
        get_node: callback returning the hash at ``(level, index)``.

    Returns:
        The proof hashes, in RFC order.

    Raises:
        InputError: if ``old_size`` is 0 or greater than ``new_size``.
    """
    if not 0 < old_size <= new_size:
        raise InputError(f"no consistency proof from size {old_size} to size {new_size}")
    proof: list[bytes] = []
    start, end = 0, new_size
    complete = True  # the "b" flag of SUBPROOF
    while old_size != end:
        mid = start + largest_power_of_two_below(end - start)
        if old_size <= mid:  # SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            proof.append(subtree_hash(mid, end, get_node))
            end = mid
        else:  # SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
            proof.append(subtree_hash(start, mid, get_node))
            start = mid
            complete = False
    if not complete:  # SUBPROOF(m, D[m], false) = {MTH(D[m])}
        proof.append(subtree_hash(start, end, get_node))
    proof.reverse()
    return proof


def frontier_nodes(size: int) -> list[tuple[int, int]]:
    """Addresses of the perfect nodes that make up a tree of ``size`` leaves.

    These are what :class:`CompactRange` keeps; one per set bit of ``size``,
    largest first. Empty for ``size == 0``.
    """
    return [] if size == 0 else subtree_nodes(0, size)


class CompactRange:
    """An append-only Merkle frontier (the right border of the tree).

    Holds one hash per set bit of the size: the roots of the perfect subtrees
    that make up the tree, left to right. Appending a leaf merges equal-sized
    neighbours and reports every perfect node that became complete, so a store
    can persist exactly those. The root is folded in ``O(log n)``.
    """

    def __init__(self, size: int = 0, nodes: Sequence[bytes] = ()) -> None:
        """Create a range, empty or restored from its frontier.

        Args:
            size: the number of leaves already in the tree.
            nodes: the hashes at :func:`frontier_nodes` ``(size)``, in order.

        Raises:
            InputError: if ``nodes`` does not match ``size``.
        """
        if size < 0 or len(nodes) != bin(size).count("1"):
            raise InputError(f"a frontier of size {size} cannot hold {len(nodes)} nodes")
        if any(len(h) != HASH_SIZE for h in nodes):
            raise InputError("frontier hashes must be 32 bytes")
        self._size = size
        self._nodes = [bytes(h) for h in nodes]

    @classmethod
    def restore(cls, size: int, get_node: GetNode) -> CompactRange:
        """Rebuild the frontier of a tree of ``size`` leaves from stored nodes."""
        return cls(size, [get_node(level, index) for level, index in frontier_nodes(size)])

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._size

    @property
    def nodes(self) -> tuple[bytes, ...]:
        """The frontier hashes, largest subtree first."""
        return tuple(self._nodes)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Append one leaf hash.

        Args:
            leaf: the 32-byte leaf hash (see :func:`leaf_hash`).

        Returns:
            The newly completed nodes as ``(level, index, hash)``, bottom-up,
            starting with the leaf itself at ``(0, old_size)``.
        """
        if len(leaf) != HASH_SIZE:
            raise InputError(f"leaf hash must be {HASH_SIZE} bytes, got {len(leaf)}")
        position = self._size
        acc = bytes(leaf)
        level = 0
        completed = [(0, position, acc)]
        # Each set low bit of the old size is a finished left sibling to merge with.
        while (position >> level) & 1:
            acc = node_hash(self._nodes.pop(), acc)
            level += 1
            completed.append((level, position >> level, acc))
        self._nodes.append(acc)
        self._size += 1
        return completed

    def root(self) -> RootHash:
        """Return the Merkle Tree Hash of the current size."""
        return RootHash(_fold_right(self._nodes)) if self._nodes else EMPTY_ROOT
