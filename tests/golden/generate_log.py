"""Regenerate the golden log vectors: ``python tests/golden/generate_log.py``.

The four golden statements (``statements.json``), in order, are the leaves of
a log whose key has a fixed seed; Ed25519 is deterministic, so the checkpoint
note, the proofs and the cosignature are fixed bytes. ``test_golden_log.py``
regenerates them and checks them with a verifier written from the spec alone.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provenance.log.checkpoint import Checkpoint, format_tlog_proof
from provenance.log.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
)
from provenance.log.note import COSIGNATURE_V1, cosign, format_verifier_key, sign_note

HERE = Path(__file__).parent
VECTORS = HERE / "log.json"
ORIGIN = "example.invalid/prov-golden-log"
WITNESS = "example.invalid/witness"
COSIGNED_AT = 1733842800  # 2024-12-10T15:00:00Z


def _key(name: str) -> tuple[bytes, Ed25519PrivateKey]:
    seed = hashlib.sha256(f"prov golden key {name}".encode()).digest()
    return seed, Ed25519PrivateKey.from_private_bytes(seed)


def build() -> dict[str, Any]:
    """The golden log: leaves, nodes, root, checkpoint, proofs, cosignature."""
    statements = json.loads((HERE / "statements.json").read_text())
    entries = [s["envelope"].encode() for s in statements]
    leaves = [leaf_hash(e) for e in entries]
    nodes = {(0, i): h for i, h in enumerate(leaves)}
    nodes[(1, 0)] = node_hash(leaves[0], leaves[1])
    nodes[(1, 1)] = node_hash(leaves[2], leaves[3])
    nodes[(2, 0)] = node_hash(nodes[(1, 0)], nodes[(1, 1)])

    def get(level: int, index: int) -> bytes:
        return nodes[(level, index)]

    size = len(entries)
    root = root_from_leaf_hashes(leaves)
    log_seed, log_key = _key("log")
    witness_seed, witness_key = _key("witness")
    text = Checkpoint(ORIGIN, size, root).to_text()
    note = sign_note(text, ORIGIN, log_key)
    proof = inclusion_proof(2, size, get)
    b64 = [base64.b64encode(h).decode() for h in proof]
    return {
        "origin": ORIGIN,
        "log_key_seed_hex": log_seed.hex(),
        "log_vkey": format_verifier_key(ORIGIN, log_key.public_key().public_bytes_raw()),
        "entries_from": "statements.json, field envelope, in order",
        "leaf_hashes": [h.hex() for h in leaves],
        "node_1_0": nodes[(1, 0)].hex(),
        "node_1_1": nodes[(1, 1)].hex(),
        "root_hex": root.hex(),
        "root_b64": base64.b64encode(root).decode(),
        "checkpoint_text": text,
        "checkpoint_note": note,
        "inclusion_index": 2,
        "inclusion_proof_b64": b64,
        "tlog_proof": format_tlog_proof(2, proof, note),
        "consistency_2_4_b64": [base64.b64encode(h).decode() for h in consistency_proof(2, 4, get)],
        "root_2_hex": root_from_leaf_hashes(leaves[:2]).hex(),
        "witness_name": WITNESS,
        "witness_key_seed_hex": witness_seed.hex(),
        "witness_vkey": format_verifier_key(
            WITNESS, witness_key.public_key().public_bytes_raw(), COSIGNATURE_V1
        ),
        "cosigned_at": COSIGNED_AT,
        "cosignature_line": cosign(text, WITNESS, witness_key, COSIGNED_AT),
    }


def main() -> None:
    """Write the vectors file."""
    VECTORS.write_text(json.dumps(build(), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {VECTORS}")


if __name__ == "__main__":
    main()
