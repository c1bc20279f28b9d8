"""Verification of Merkle inclusion and consistency proofs (RFC 9162 §2.1.3, §2.1.4).

The verifiers return ``None`` on success and raise on failure, never a bool:

* :class:`~provenance.errors.ProofError` when the proof is malformed or cannot
  apply to the given sizes (wrong length, index out of range, hashes that are
  not 32 bytes, ...);
* :class:`~provenance.errors.RootMismatchError` (a ``ProofError``) when the
  proof is well formed but leads to a different root.

Strictness: every hash (leaf hash, proof element, root) must be exactly 32
bytes. That makes one transparency-dev probe,
``consistency/additional/sizes-are-equal-one-and-proof-is-empty``, fail although
it is marked ``wantErr: false``: it carries 12-byte "don't care" roots
(``b"don't care 2"``) that no SHA-256 tree can have. We reject it on purpose;
a root that is not a SHA-256 digest is malformed input, whatever the sizes.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from provenance.errors import ProofError, RootMismatchError
from provenance.log.merkle import EMPTY_ROOT, HASH_SIZE, RootHash, node_hash

MAX_TREE_SIZE = (1 << 64) - 1
"""Tree sizes and indexes are uint64 in RFC 9162 and in C2SP tlog formats."""


def _check_hash(value: bytes, what: str) -> None:
    # Strict by design: every hash of an RFC 9162 SHA-256 tree is 32 bytes, so a
    # root, leaf hash or proof element of another length is malformed whatever the
    # sizes. This is why the transparency-dev probe with 12-byte "don't care" roots
    # (sizes-are-equal-one-and-proof-is-empty, wantErr false) is rejected here.
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        size = len(value) if isinstance(value, bytes | bytearray) else type(value).__name__
        raise ProofError(f"{what} must be a {HASH_SIZE}-byte hash, got {size}")


def _check_size(value: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TREE_SIZE:
        raise ProofError(f"{what} {value!r} is not a uint64")


def _check_proof(proof: Sequence[bytes]) -> None:
    for i, element in enumerate(proof):
        _check_hash(element, f"proof[{i}]")


def _lsb(x: int) -> int:
    return x & 1


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> RootHash:
    """Compute the root implied by an inclusion proof (RFC 9162 §2.1.3.2).

    Args:
        leaf_hash: the 32-byte leaf hash being proven.
        index: the leaf index.
        size: the tree size the proof is for.
        proof: the audit path, leaf-side first.

    Returns:
        The root the proof leads to; compare it to a trusted root.

    Raises:
        ProofError: if the proof is malformed or has the wrong length.
    """
    _check_size(index, "leaf index")
    _check_size(size, "tree size")
    _check_hash(leaf_hash, "leaf hash")
    _check_proof(proof)
    # Step 1: leaf_index must be below tree_size.
    if index >= size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    # Steps 2-3.
    fn, sn = index, size - 1
    r = bytes(leaf_hash)
    # Step 4.
    for p in proof:
        if sn == 0:  # 4a: the path is longer than the tree is deep.
            raise ProofError(
                f"inclusion proof for index {index} in size {size} is too long "
                f"({len(proof)} hashes)"
            )
        if _lsb(fn) or fn == sn:  # 4b
            r = node_hash(p, r)
            if not _lsb(fn):
                while fn and not _lsb(fn):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1  # 4c
        sn >>= 1
    # Step 5 (first half): sn must have reached 0.
    if sn != 0:
        raise ProofError(
            f"inclusion proof for index {index} in size {size} is too short ({len(proof)} hashes)"
        )
    return RootHash(r)


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Verify that ``leaf_hash`` is at ``index`` in the tree of ``size`` with ``root``.

    Implements RFC 9162 §2.1.3.2.

    Args:
        leaf_hash: the 32-byte leaf hash (see :func:`~provenance.log.merkle.leaf_hash`).
        index: the leaf index.
        size: the tree size.
        proof: the audit path, leaf-side first.
        root: the trusted 32-byte root hash of the tree of ``size``.

    Raises:
        ProofError: if the proof is malformed or of the wrong length.
        RootMismatchError: if the proof leads to another root.
    """
    _check_hash(root, "root hash")
    found = root_from_inclusion_proof(leaf_hash, index, size, proof)
    # Step 5 (second half): r must equal root_hash.
    if not hmac.compare_digest(found, root):
        raise RootMismatchError(
            f"inclusion proof for index {index} in tree size {size} does not lead to the root",
            expected=bytes(root),
            found=found,
        )


def root_from_consistency_proof(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes
) -> RootHash:
    """Check a consistency proof against ``root1`` and return the implied ``root2``.

    Implements RFC 9162 §2.1.4.2. Beyond the RFC (which covers only
    ``0 < size1 < size2``), and like transparency-dev/merkle, equal sizes are
    consistent with an empty proof (the implied root is ``root1``). A proof from
    the empty tree is refused: RFC 9162 §2.1.4.1 defines none, and every tree
    is trivially consistent with the empty one, so it proves nothing.

    Args:
        size1: the earlier tree size.
        size2: the later tree size.
        proof: the consistency proof hashes, in RFC order.
        root1: the trusted 32-byte root of the tree of ``size1``.

    Returns:
        The root of the tree of ``size2`` the proof implies.

    Raises:
        ProofError: if the proof is malformed or the sizes do not allow it.
        RootMismatchError: if the proof does not reproduce ``root1``.
    """
    _check_size(size1, "size1")
    _check_size(size2, "size2")
    _check_hash(root1, "root1")
    _check_proof(proof)
    if size1 > size2:
        raise ProofError(f"size1 {size1} is greater than size2 {size2}")
    if size1 == size2:
        if proof:
            raise ProofError(f"sizes are equal ({size1}) but the proof has {len(proof)} hashes")
        if size1 == 0 and not hmac.compare_digest(root1, EMPTY_ROOT):
            raise RootMismatchError("root1 of the empty tree", expected=EMPTY_ROOT, found=root1)
        return RootHash(bytes(root1))
    if size1 == 0:
        raise ProofError(f"a consistency proof from the empty tree to size {size2} is meaningless")
    # Step 1: an empty path fails.
    if not proof:
        raise ProofError(f"empty consistency proof from size {size1} to size {size2}")
    path = list(proof)
    # Step 2: if first is an exact power of 2, prepend first_hash.
    if size1 & (size1 - 1) == 0:
        path.insert(0, bytes(root1))
    # Step 3.
    fn, sn = size1 - 1, size2 - 1
    # Step 4: shift out the low set bits of fn.
    while _lsb(fn):
        fn >>= 1
        sn >>= 1
    # Step 5.
    fr = sr = path[0]
    # Step 6.
    for c in path[1:]:
        if sn == 0:  # 6a
            raise ProofError(
                f"consistency proof from size {size1} to size {size2} is too long "
                f"({len(proof)} hashes)"
            )
        if _lsb(fn) or fn == sn:  # 6b
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not _lsb(fn):
                while fn and not _lsb(fn):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1  # 6c
        sn >>= 1
    # Step 7: sn must be 0, fr must equal first_hash.
    if sn != 0:
        raise ProofError(
            f"consistency proof from size {size1} to size {size2} is too short "
            f"({len(proof)} hashes)"
        )
    if not hmac.compare_digest(fr, root1):
        raise RootMismatchError(
            f"consistency proof from size {size1} to size {size2} does not lead to root1",
            expected=bytes(root1),
            found=fr,
        )
    return RootHash(sr)


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Verify that the tree of ``size2`` with ``root2`` extends that of ``size1``.

    Implements RFC 9162 §2.1.4.2 (see :func:`root_from_consistency_proof` for
    the equal-size and empty-tree cases).

    Args:
        size1: the earlier tree size.
        size2: the later tree size.
        proof: the consistency proof hashes.
        root1: the trusted 32-byte root of the tree of ``size1``.
        root2: the trusted 32-byte root of the tree of ``size2``.

    Raises:
        ProofError: if the proof is malformed or the sizes do not allow it.
        RootMismatchError: if either root is not reproduced.
    """
    _check_hash(root2, "root2")
    found = root_from_consistency_proof(size1, size2, proof, root1)
    # Step 7: sr must equal second_hash.
    if not hmac.compare_digest(found, root2):
        raise RootMismatchError(
            f"consistency proof from size {size1} to size {size2} does not lead to root2",
            expected=bytes(root2),
            found=found,
        )
