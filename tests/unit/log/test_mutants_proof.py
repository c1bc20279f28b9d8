"""Tests that kill mutmut's survivors in provenance.log.proof (issue 10 §H).

Among them the two the issue names: a leaf index out of range (-1, or the
size itself) and an inclusion proof longer than the tree is deep must be
refused, whatever hashes the proof holds. Every refusal is checked for its
exact class and message, so that a mutant which fails later, for another
reason, is noticed too.
"""

from __future__ import annotations

import hashlib

import pytest

from provenance.errors import ProofError, RootMismatchError
from provenance.log.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_nodes,
    subtree_hash,
)
from provenance.log.proof import (
    MAX_TREE_SIZE,
    root_from_consistency_proof,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from tests.unit.exact import raises_exactly

SIZE = 40
_compact = CompactRange()
NODES: dict[tuple[int, int], bytes] = {}
for _i in range(SIZE):
    for _level, _index, _h in _compact.append(leaf_hash(b"entry %d" % _i)):
        NODES[(_level, _index)] = _h


def get_node(level: int, index: int) -> bytes:
    return NODES[(level, index)]


def root(size: int) -> bytes:
    return root_from_nodes(size, get_node)


def leaf(index: int) -> bytes:
    return get_node(0, index)


def junk(n: int) -> list[bytes]:
    """``n`` arbitrary 32-byte hashes that belong to no tree."""
    return [hashlib.sha256(b"junk %d" % i).digest() for i in range(n)]


# -- inclusion: the index range ---------------------------------------------------------


@pytest.mark.parametrize("index", [-1, -(1 << 70), MAX_TREE_SIZE + 1, True])
def test_index_that_is_not_a_uint64_is_refused(index: int) -> None:
    with raises_exactly(ProofError, f"leaf index {index!r} is not a uint64"):
        root_from_inclusion_proof(leaf(0), index, 8, inclusion_proof(0, 8, get_node))


def test_index_minus_one_is_refused_even_with_a_proof_that_would_fold() -> None:
    # With index -1, "fn" would start negative and the shifts would run on: the
    # proof of the last leaf then folds to the real root. The range check stops it.
    proof = inclusion_proof(7, 8, get_node)
    with raises_exactly(ProofError, "leaf index -1 is not a uint64"):
        verify_inclusion(leaf(7), -1, 8, proof, root(8))


@pytest.mark.parametrize(("index", "size"), [(8, 8), (9, 8), (0, 0)])
def test_index_at_or_beyond_the_size_is_refused(index: int, size: int) -> None:
    with raises_exactly(ProofError, f"leaf index {index} is not below tree size {size}"):
        root_from_inclusion_proof(leaf(0), index, size, [])


@pytest.mark.parametrize("size", [-1, MAX_TREE_SIZE + 1, False, 8.0])
def test_size_that_is_not_a_uint64_is_refused(size: object) -> None:
    with raises_exactly(ProofError, f"tree size {size!r} is not a uint64"):
        root_from_inclusion_proof(leaf(0), 0, size, [])  # type: ignore[arg-type]


def test_largest_uint64_size_is_a_size() -> None:
    message = f"inclusion proof for index 0 in size {MAX_TREE_SIZE} is too short (0 hashes)"
    with raises_exactly(ProofError, message):
        root_from_inclusion_proof(leaf(0), 0, MAX_TREE_SIZE, [])
    message = f"inclusion proof for index {MAX_TREE_SIZE - 1} in size {MAX_TREE_SIZE} is too short"
    with raises_exactly(ProofError, message + " (0 hashes)"):
        root_from_inclusion_proof(leaf(0), MAX_TREE_SIZE - 1, MAX_TREE_SIZE, [])


# -- inclusion: the proof's length --------------------------------------------------------


@pytest.mark.parametrize("extra", [1, 3])
def test_proof_longer_than_the_tree_is_deep_is_refused(extra: int) -> None:
    # The case: a leaf never logged, with random hashes as its proof.
    never_logged = leaf_hash(b"never logged")
    with raises_exactly(
        ProofError, f"inclusion proof for index 0 in size 8 is too long ({3 + extra} hashes)"
    ):
        verify_inclusion(never_logged, 0, 8, junk(3 + extra), root(8))


def test_six_random_hashes_never_prove_a_leaf() -> None:
    never_logged = leaf_hash(b"never logged")
    for size in range(1, SIZE + 1):
        for index in range(size):
            with pytest.raises(ProofError):
                verify_inclusion(never_logged, index, size, junk(6), root(size))


def test_a_genuine_proof_with_one_hash_too_many_is_too_long() -> None:
    proof = inclusion_proof(5, 8, get_node)
    with raises_exactly(ProofError, "inclusion proof for index 5 in size 8 is too long (4 hashes)"):
        verify_inclusion(leaf(5), 5, 8, [*proof, proof[0]], root(8))
    with raises_exactly(ProofError, "inclusion proof for index 0 in size 1 is too long (1 hashes)"):
        verify_inclusion(leaf(0), 0, 1, [leaf(1)], root(1))


def test_a_genuine_proof_with_one_hash_too_few_is_too_short() -> None:
    proof = inclusion_proof(5, 8, get_node)
    with raises_exactly(
        ProofError, "inclusion proof for index 5 in size 8 is too short (2 hashes)"
    ):
        verify_inclusion(leaf(5), 5, 8, proof[:2], root(8))


def test_every_inclusion_proof_of_the_tree_verifies_and_only_at_its_index() -> None:
    for size in range(1, SIZE + 1):
        for index in range(size):
            proof = inclusion_proof(index, size, get_node)
            assert root_from_inclusion_proof(leaf(index), index, size, proof) == root(size)
            verify_inclusion(leaf(index), index, size, proof, root(size))
            verify_inclusion(bytearray(leaf(index)), index, size, proof, bytearray(root(size)))
            for other in range(size):
                if other != index:
                    with pytest.raises(ProofError):
                        verify_inclusion(leaf(index), other, size, proof, root(size))


def test_single_leaf_tree_root_is_the_leaf() -> None:
    assert root_from_inclusion_proof(leaf(0), 0, 1, []) == leaf(0)
    verify_inclusion(leaf(0), 0, 1, [], leaf(0))


def test_wrong_root_is_a_mismatch_naming_both_roots() -> None:
    proof = inclusion_proof(2, 7, get_node)
    with pytest.raises(RootMismatchError) as info:
        verify_inclusion(leaf(2), 2, 7, proof, root(8))
    assert type(info.value) is RootMismatchError
    assert (info.value.expected, info.value.found) == (root(8), root(7))
    assert str(info.value) == (
        "inclusion proof for index 2 in tree size 7 does not lead to the root: "
        f"expected {root(8).hex()}, found {root(7).hex()}"
    )


@pytest.mark.parametrize("bad", [b"\x00" * 31, b"\x00" * 33, b""])
def test_hashes_of_another_length_are_malformed(bad: bytes) -> None:
    proof = inclusion_proof(0, 4, get_node)
    got = len(bad)
    with raises_exactly(ProofError, f"leaf hash must be a 32-byte hash, got {got}"):
        verify_inclusion(bad, 0, 4, proof, root(4))
    with raises_exactly(ProofError, f"root hash must be a 32-byte hash, got {got}"):
        verify_inclusion(leaf(0), 0, 4, proof, bad)
    with raises_exactly(ProofError, f"proof[1] must be a 32-byte hash, got {got}"):
        verify_inclusion(leaf(0), 0, 4, [proof[0], bad], root(4))


def test_a_hash_that_is_not_bytes_is_named_by_its_type() -> None:
    with raises_exactly(ProofError, "leaf hash must be a 32-byte hash, got str"):
        root_from_inclusion_proof("x" * 32, 0, 1, [])  # type: ignore[arg-type]
    with raises_exactly(ProofError, "proof[0] must be a 32-byte hash, got list"):
        root_from_inclusion_proof(leaf(0), 0, 2, [[0] * 32])  # type: ignore[list-item]


# -- consistency -----------------------------------------------------------------------


def test_every_consistency_proof_of_the_tree_verifies() -> None:
    for size2 in range(1, SIZE + 1):
        for size1 in range(1, size2 + 1):
            proof = consistency_proof(size1, size2, get_node)
            assert root_from_consistency_proof(size1, size2, proof, root(size1)) == root(size2)
            verify_consistency(size1, size2, proof, root(size1), root(size2))


def test_a_wrong_old_root_is_caught_by_the_root1_comparison() -> None:
    # size1 = 6 is not a power of two: root1 is not in the path, so the path
    # still folds to root2 and only comparing fr with root1 notices the lie.
    proof = consistency_proof(6, 13, get_node)
    forged = root(5)
    with pytest.raises(RootMismatchError) as info:
        verify_consistency(6, 13, proof, forged, root(13))
    assert type(info.value) is RootMismatchError
    assert (info.value.expected, info.value.found) == (forged, root(6))
    assert str(info.value).startswith(
        "consistency proof from size 6 to size 13 does not lead to root1: "
    )
    for size2 in range(2, SIZE + 1):
        for size1 in range(1, size2):
            proof = consistency_proof(size1, size2, get_node)
            if size1 & (size1 - 1):
                with pytest.raises(RootMismatchError):
                    root_from_consistency_proof(size1, size2, proof, junk(1)[0])
            else:  # root1 is the path's first hash: a wrong one gives a wrong root2
                found = root_from_consistency_proof(size1, size2, proof, junk(1)[0])
                assert found != root(size2)


def test_a_wrong_new_root_is_caught_by_the_root2_comparison() -> None:
    proof = consistency_proof(6, 13, get_node)
    with pytest.raises(RootMismatchError) as info:
        verify_consistency(6, 13, proof, root(6), root(12))
    assert type(info.value) is RootMismatchError
    assert (info.value.expected, info.value.found) == (root(12), root(13))
    assert str(info.value) == (
        "consistency proof from size 6 to size 13 does not lead to root2: "
        f"expected {root(12).hex()}, found {root(13).hex()}"
    )


def test_power_of_two_old_size_uses_root1_as_the_first_hash() -> None:
    # For size1 = 8 the proof omits MTH(D[0:8]); root1 itself is folded in.
    proof = consistency_proof(8, 13, get_node)
    assert proof == [subtree_hash(8, 13, get_node)]
    assert root_from_consistency_proof(8, 13, proof, root(8)) == root(13)
    assert root_from_consistency_proof(8, 13, proof, root(7)) != root(13)


def test_consistency_size_order_and_equal_sizes() -> None:
    with raises_exactly(ProofError, "size1 5 is greater than size2 4"):
        root_from_consistency_proof(5, 4, [], root(5))
    assert root_from_consistency_proof(5, 5, [], root(5)) == root(5)
    with raises_exactly(ProofError, "sizes are equal (5) but the proof has 1 hashes"):
        root_from_consistency_proof(5, 5, [root(5)], root(5))
    assert root_from_consistency_proof(0, 0, [], EMPTY_ROOT) == EMPTY_ROOT
    with pytest.raises(RootMismatchError) as info:
        root_from_consistency_proof(0, 0, [], root(1))
    assert type(info.value) is RootMismatchError
    assert str(info.value) == (
        f"root1 of the empty tree: expected {EMPTY_ROOT.hex()}, found {root(1).hex()}"
    )
    with raises_exactly(
        ProofError, "a consistency proof from the empty tree to size 3 is meaningless"
    ):
        root_from_consistency_proof(0, 3, [], EMPTY_ROOT)
    with raises_exactly(ProofError, "empty consistency proof from size 3 to size 7"):
        root_from_consistency_proof(3, 7, [], root(3))


@pytest.mark.parametrize(("what", "args"), [("size1", (-1, 4)), ("size2", (1, MAX_TREE_SIZE + 1))])
def test_consistency_sizes_are_uint64(what: str, args: tuple[int, int]) -> None:
    value = args[0] if what == "size1" else args[1]
    with raises_exactly(ProofError, f"{what} {value!r} is not a uint64"):
        root_from_consistency_proof(*args, [], root(1))


def test_consistency_hashes_are_32_bytes() -> None:
    proof = consistency_proof(3, 7, get_node)
    with raises_exactly(ProofError, "root1 must be a 32-byte hash, got 31"):
        root_from_consistency_proof(3, 7, proof, root(3)[:31])
    with raises_exactly(ProofError, "root2 must be a 32-byte hash, got 31"):
        verify_consistency(3, 7, proof, root(3), root(7)[:31])
    with raises_exactly(ProofError, "proof[0] must be a 32-byte hash, got 31"):
        verify_consistency(3, 7, [proof[0][:31], *proof[1:]], root(3), root(7))


def test_consistency_proof_too_long_and_too_short() -> None:
    proof = consistency_proof(3, 7, get_node)
    with raises_exactly(
        ProofError,
        f"consistency proof from size 3 to size 7 is too long ({len(proof) + 1} hashes)",
    ):
        verify_consistency(3, 7, [*proof, proof[0]], root(3), root(7))
    with raises_exactly(
        ProofError,
        f"consistency proof from size 3 to size 7 is too short ({len(proof) - 1} hashes)",
    ):
        verify_consistency(3, 7, proof[:-1], root(3), root(7))
    with raises_exactly(
        ProofError, "consistency proof from size 4 to size 8 is too long (7 hashes)"
    ):
        verify_consistency(4, 8, junk(7), root(4), root(8))
