"""Tests that kill mutmut's survivors in provenance.log.merkle (issue 10 §H).

Each refusal is checked for its exact class and message: a mutant that drops
a message, or lets a bad argument through to fail later with another error,
is then noticed. ``bench/mutation.sh`` runs mutmut against these.
"""

from __future__ import annotations

import pytest

from provenance.errors import InputError
from provenance.log.merkle import (
    CompactRange,
    consistency_proof,
    inclusion_proof,
    largest_power_of_two_below,
    leaf_hash,
    node_hash,
    root_from_nodes,
    subtree_nodes,
)
from tests.unit.exact import raises_exactly

LEAVES = [leaf_hash(bytes([i])) for i in range(8)]


def get_node(level: int, index: int) -> bytes:
    """Perfect node (level, index) of an 8-leaf tree, folded from the leaves."""
    hashes = LEAVES
    for _ in range(level):
        hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[index]


@pytest.mark.parametrize("n", [1, 0, -3])
def test_no_split_below_two(n: int) -> None:
    with raises_exactly(InputError, f"no power of two below {n} splits a tree"):
        largest_power_of_two_below(n)


def test_split_points() -> None:
    assert [largest_power_of_two_below(n) for n in (2, 3, 4, 5, 8, 9)] == [1, 2, 2, 4, 4, 8]


@pytest.mark.parametrize(("start", "end"), [(3, 3), (4, 2), (-1, 2)])
def test_empty_or_negative_range_refused(start: int, end: int) -> None:
    with raises_exactly(InputError, f"bad leaf range [{start}, {end})"):
        subtree_nodes(start, end)


def test_unaligned_range_refused() -> None:
    with raises_exactly(InputError, "range [1, 3) is not made of aligned perfect subtrees"):
        subtree_nodes(1, 3)


def test_negative_size_has_no_root() -> None:
    with raises_exactly(InputError, "negative tree size -1"):
        root_from_nodes(-1, get_node)


@pytest.mark.parametrize(("index", "size"), [(-1, 4), (4, 4), (0, 0)])
def test_inclusion_proof_index_out_of_tree(index: int, size: int) -> None:
    with raises_exactly(InputError, f"leaf index {index} is not in a tree of size {size}"):
        inclusion_proof(index, size, get_node)


@pytest.mark.parametrize(("old", "new"), [(0, 0), (0, 5), (5, 4), (-1, 3)])
def test_consistency_proof_sizes_refused(old: int, new: int) -> None:
    # (0, 0) would otherwise return an empty proof, (0, 5) fail deep in the split.
    with raises_exactly(InputError, f"no consistency proof from size {old} to size {new}"):
        consistency_proof(old, new, get_node)


def test_consistency_proof_equal_sizes_is_empty() -> None:
    assert consistency_proof(5, 5, get_node) == []


@pytest.mark.parametrize(("size", "count"), [(3, 1), (1, 0), (-1, 0), (4, 2)])
def test_frontier_count_must_match_size(size: int, count: int) -> None:
    with raises_exactly(InputError, f"a frontier of size {size} cannot hold {count} nodes"):
        CompactRange(size, [b"\x00" * 32] * count)


@pytest.mark.parametrize("bad", [b"\x00" * 31, b"\x00" * 33])
def test_frontier_hashes_are_32_bytes(bad: bytes) -> None:
    with raises_exactly(InputError, "frontier hashes must be 32 bytes"):
        CompactRange(3, [b"\x00" * 32, bad])


@pytest.mark.parametrize("length", [0, 31, 33])
def test_append_refuses_a_leaf_of_another_length(length: int) -> None:
    compact = CompactRange()
    with raises_exactly(InputError, f"leaf hash must be 32 bytes, got {length}"):
        compact.append(b"\x01" * length)
    assert compact.size == 0  # nothing was appended
