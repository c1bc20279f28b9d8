"""Tests of provenance.log.merkle against the RFC 6962 reference tree and the naive recursion."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.errors import InputError
from provenance.log.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    frontier_nodes,
    inclusion_proof,
    leaf_hash,
    naive_root,
    node_hash,
    root_from_leaf_hashes,
    root_from_nodes,
    subtree_hash,
    subtree_nodes,
)

VECTORS = Path(__file__).parent / "vectors" / "transparency-dev-merkle"
REFERENCE = json.loads((VECTORS / "rfc6962_reference_tree.json").read_text())
LEAVES = [bytes.fromhex(h) for h in REFERENCE["leaf_inputs_hex"]]
ROOTS = [bytes.fromhex(h) for h in REFERENCE["root_hashes_by_size_hex"]]
NODES = {
    (level, index): bytes.fromhex(h)
    for level, row in enumerate(REFERENCE["node_hashes_by_level_hex"])
    for index, h in enumerate(row)
}


def reference_node(level: int, index: int) -> bytes:
    return NODES[(level, index)]


def test_reference_tree_is_complete() -> None:
    # Guards the copy of the vector file: 8 leaves, 9 roots, 8 + 4 + 2 + 1 nodes.
    assert len(LEAVES) == 8
    assert len(ROOTS) == 9
    assert len(NODES) == 15


def test_hash_primitives() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert leaf_hash(b"\x01\x02") == hashlib.sha256(b"\x00\x01\x02").digest()
    left, right = b"L" * 32, b"R" * 32
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert node_hash(left, right) != node_hash(right, left)
    # Domain separation: a leaf over (l || r) differs from the node over l, r.
    assert leaf_hash(left + right) != node_hash(left, right)


def test_every_level0_node_is_the_leaf_hash() -> None:
    for index, entry in enumerate(LEAVES):
        assert leaf_hash(entry) == NODES[(0, index)]


@pytest.mark.parametrize("size", range(9))
def test_every_root_of_the_reference_tree(size: int) -> None:
    hashes = [leaf_hash(entry) for entry in LEAVES[:size]]
    assert root_from_leaf_hashes(hashes) == ROOTS[size]
    assert naive_root(hashes) == ROOTS[size]
    assert root_from_nodes(size, reference_node) == ROOTS[size]
    compact = CompactRange()
    for h in hashes:
        compact.append(h)
    assert compact.root() == ROOTS[size]


def test_every_node_of_the_reference_tree() -> None:
    hashes = [leaf_hash(entry) for entry in LEAVES]
    for (level, index), expected in NODES.items():
        width = 1 << level
        assert naive_root(hashes[index * width : (index + 1) * width]) == expected
        assert subtree_hash(index * width, (index + 1) * width, reference_node) == expected


def test_compact_range_emits_exactly_the_reference_nodes() -> None:
    compact = CompactRange()
    emitted: dict[tuple[int, int], bytes] = {}
    for index, entry in enumerate(LEAVES):
        completed = compact.append(leaf_hash(entry))
        assert completed[0] == (0, index, leaf_hash(entry))
        for level, node_index, h in completed:
            assert (level, node_index) not in emitted
            emitted[(level, node_index)] = h
    assert emitted == NODES


def test_compact_range_restore_continues_identically() -> None:
    hashes = [leaf_hash(entry) for entry in LEAVES]
    for size in range(9):
        restored = CompactRange.restore(size, reference_node)
        assert restored.size == size
        assert restored.root() == ROOTS[size]
        for h in hashes[size:]:
            restored.append(h)
        assert restored.root() == ROOTS[8]


def test_compact_range_rejects_bad_state() -> None:
    with pytest.raises(InputError):
        CompactRange(3, [b"\x00" * 32])  # size 3 needs two frontier nodes
    with pytest.raises(InputError):
        CompactRange(1, [b"\x00" * 31])
    with pytest.raises(InputError):
        CompactRange().append(b"short")


def _probe(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / "testdata" / path).read_text())
    return data


def _b64list(values: list[str] | None) -> list[bytes]:
    return [base64.b64decode(v) for v in values or []]


@pytest.mark.parametrize("n", range(5))
def test_generated_inclusion_proofs_equal_transparency_dev_happy_paths(n: int) -> None:
    probe = _probe(f"inclusion/{n}/happy-path.json")
    size, index = probe["treeSize"], probe["leafIdx"]
    assert base64.b64decode(probe["root"]) == ROOTS[size]
    assert inclusion_proof(index, size, reference_node) == _b64list(probe["proof"])


@pytest.mark.parametrize("n", range(5))
def test_generated_consistency_proofs_equal_transparency_dev_happy_paths(n: int) -> None:
    probe = _probe(f"consistency/{n}/happy-path.json")
    size1, size2 = probe["size1"], probe["size2"]
    assert base64.b64decode(probe["root1"]) == ROOTS[size1]
    assert base64.b64decode(probe["root2"]) == ROOTS[size2]
    assert consistency_proof(size1, size2, reference_node) == _b64list(probe["proof"])


def test_proof_generators_reject_impossible_requests() -> None:
    with pytest.raises(InputError):
        inclusion_proof(8, 8, reference_node)
    with pytest.raises(InputError):
        inclusion_proof(-1, 8, reference_node)
    with pytest.raises(InputError):
        consistency_proof(0, 8, reference_node)
    with pytest.raises(InputError):
        consistency_proof(5, 4, reference_node)
    assert consistency_proof(5, 5, reference_node) == []


def test_subtree_nodes_addressing() -> None:
    # [0, 13) = 8 + 4 + 1 leaves; node (L, i) covers [i * 2^L, (i + 1) * 2^L).
    assert subtree_nodes(0, 13) == [(3, 0), (2, 2), (0, 12)]
    assert subtree_nodes(4, 7) == [(1, 2), (0, 6)]
    assert frontier_nodes(0) == []
    assert frontier_nodes(6) == [(2, 0), (1, 2)]
    with pytest.raises(InputError):
        subtree_nodes(1, 3)  # a 2-leaf range starting at an odd leaf is no stored node
    with pytest.raises(InputError):
        subtree_nodes(3, 3)


def test_proofs_cost_logarithmic_node_lookups() -> None:
    calls: list[tuple[int, int]] = []

    def counting(level: int, index: int) -> bytes:
        calls.append((level, index))
        return hashlib.sha256(f"{level}/{index}".encode()).digest()

    size = (1 << 40) + 987_654_321  # never materialised: only addresses are touched
    inclusion_proof(123_456_789, size, counting)
    assert len(calls) <= 2 * 41
    calls.clear()
    consistency_proof(size // 3, size, counting)
    assert len(calls) <= 2 * 41
    calls.clear()
    root_from_nodes(size, counting)
    assert len(calls) == bin(size).count("1")


leaf_lists = st.lists(st.binary(min_size=32, max_size=32), max_size=200)


@settings(max_examples=150, deadline=None)
@given(leaf_lists)
def test_fast_root_equals_naive_recursion(hashes: list[bytes]) -> None:
    assert root_from_leaf_hashes(hashes) == naive_root(hashes)


@settings(max_examples=60, deadline=None)
@given(leaf_lists)
def test_compact_range_matches_naive_at_every_size(hashes: list[bytes]) -> None:
    compact = CompactRange()
    for size, h in enumerate(hashes, 1):
        for level, index, node in compact.append(h):
            width = 1 << level
            assert (index + 1) * width <= size
            assert node == naive_root(hashes[index * width : (index + 1) * width])
        assert compact.root() == naive_root(hashes[:size])
        assert len(compact.nodes) == bin(size).count("1")
