"""The log formats pinned byte for byte, and checked by a verifier written from the spec.

The functions prefixed ``spec_`` use only the standard library and
``cryptography``, following ``docs/spec/log.md``; they import nothing from this
project. If they accept the vectors (and reject altered ones), the spec is
enough to verify our proofs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.golden import generate_log

V: dict[str, Any] = json.loads(generate_log.VECTORS.read_text())
ENTRIES = [
    s["envelope"].encode() for s in json.loads((generate_log.HERE / "statements.json").read_text())
]


def test_regenerated_log_vectors_equal_committed() -> None:
    assert generate_log.build() == V


def spec_leaf(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def spec_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def spec_root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return spec_node(spec_root(leaves[:k]), spec_root(leaves[k:]))


def spec_open_note(note: str, vkey: str) -> str:
    """Verify a signed note with an Ed25519 verifier key; return its text."""
    name, key_hex, key_b64 = vkey.split("+")
    key = base64.b64decode(key_b64)
    assert key[0] == 0x01
    text, _, sigs = note.partition("\n\n")
    text += "\n"
    for line in sigs.splitlines():
        signer, blob = line.removeprefix("\u2014 ").rsplit(" ", 1)
        raw = base64.b64decode(blob)
        if signer == name and raw[:4].hex() == key_hex:
            Ed25519PublicKey.from_public_bytes(key[1:]).verify(raw[4:], text.encode())
            return text
    raise AssertionError("no signature by the log key")


def spec_check_inclusion(proof_text: str, entry: bytes, vkey: str) -> tuple[int, int]:
    """Verify a tlog-proof@v1 for an entry; return (index, size)."""
    head, _, note = proof_text.partition("\n\n")
    lines = head.split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1"
    index = int(lines[1].removeprefix("index "))
    path = [base64.b64decode(x) for x in lines[2:]]
    text = spec_open_note(note, vkey)
    _origin, size_line, root_b64 = text.splitlines()[:3]
    size, root = int(size_line), base64.b64decode(root_b64)
    # RFC 9162 section 2.1.3.2
    fn, sn, r = index, size - 1, spec_leaf(entry)
    for p in path:
        if sn == 0:
            raise AssertionError("proof too long")
        if fn & 1 or fn == sn:
            r = spec_node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = spec_node(r, p)
        fn >>= 1
        sn >>= 1
    assert sn == 0 and r == root, "inclusion proof does not verify"
    return index, size


def test_tree_follows_rfc_6962() -> None:
    leaves = [spec_leaf(e) for e in ENTRIES]
    assert [h.hex() for h in leaves] == V["leaf_hashes"]
    assert spec_node(leaves[0], leaves[1]).hex() == V["node_1_0"]
    assert spec_root(leaves).hex() == V["root_hex"]
    assert spec_root(leaves[:2]).hex() == V["root_2_hex"]


def test_checkpoint_note_verifies_and_says_origin_size_root() -> None:
    text = spec_open_note(V["checkpoint_note"], V["log_vkey"])
    assert text == V["checkpoint_text"] == f"{V['origin']}\n4\n{V['root_b64']}\n"
    name, key_hex, key_b64 = V["log_vkey"].split("+")
    key = base64.b64decode(key_b64)
    assert hashlib.sha256(name.encode() + b"\n" + key).digest()[:4].hex() == key_hex


def test_inclusion_proof_verifies_for_its_entry_only() -> None:
    assert spec_check_inclusion(V["tlog_proof"], ENTRIES[2], V["log_vkey"]) == (2, 4)
    with pytest.raises(AssertionError):
        spec_check_inclusion(V["tlog_proof"], ENTRIES[1], V["log_vkey"])
    altered = bytearray(ENTRIES[2])
    altered[-3] ^= 1
    with pytest.raises(AssertionError):
        spec_check_inclusion(V["tlog_proof"], bytes(altered), V["log_vkey"])


def test_checkpoint_with_an_edited_root_fails_its_signature() -> None:
    note = V["checkpoint_note"].replace(V["root_b64"], base64.b64encode(b"\x00" * 32).decode())
    with pytest.raises(InvalidSignature):
        spec_open_note(note, V["log_vkey"])


def test_consistency_proof_2_to_4() -> None:
    leaves = [spec_leaf(e) for e in ENTRIES]
    proof = [base64.b64decode(x) for x in V["consistency_2_4_b64"]]
    # From size 2 (a complete subtree) to 4: the proof is the right subtree's root,
    # and the old root joins it (RFC 9162 section 2.1.4).
    assert proof == [spec_node(leaves[2], leaves[3])]
    assert spec_node(spec_root(leaves[:2]), proof[0]).hex() == V["root_hex"]


def test_cosignature_verifies() -> None:
    name, key_hex, key_b64 = V["witness_vkey"].split("+")
    key = base64.b64decode(key_b64)
    assert key[0] == 0x04
    signer, blob = V["cosignature_line"].strip().removeprefix("\u2014 ").rsplit(" ", 1)
    raw = base64.b64decode(blob)
    assert signer == name and raw[:4].hex() == key_hex
    (timestamp,) = struct.unpack(">Q", raw[4:12])
    assert timestamp == V["cosigned_at"]
    message = f"cosignature/v1\ntime {timestamp}\n".encode() + V["checkpoint_text"].encode()
    Ed25519PublicKey.from_public_bytes(key[1:]).verify(raw[12:], message)
