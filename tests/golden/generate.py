"""Regenerate the golden statement vectors: ``python tests/golden/generate.py``.

Ed25519 is deterministic, so fixed seeds and fixed times give fixed bytes.
The test ``test_golden.py`` regenerates them in memory and compares with the
committed file, so any change to the statement format shows up as a diff.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provenance.authoring import sign_statement
from provenance.envelope import pae
from provenance.keys import SigningKey
from provenance.model import kinds

HERE = Path(__file__).parent
VECTORS = HERE / "statements.json"


def fixed_key(name: str) -> SigningKey:
    """A key whose seed is SHA-256 of 'prov golden key ' + name."""
    seed = hashlib.sha256(f"prov golden key {name}".encode()).digest()
    return SigningKey(name, Ed25519PrivateKey.from_private_bytes(seed))


def _vector(name: str, key: SigningKey, envelope: bytes) -> dict[str, Any]:
    obj = json.loads(envelope)
    payload = base64.b64decode(obj["payload"])
    return {
        "name": name,
        "signer": {
            "name": key.name,
            "seed_hex": hashlib.sha256(f"prov golden key {key.name}".encode()).hexdigest(),
            "public_key": key.public_b64,
            "key_id": key.key_id,
        },
        "payload": payload.decode("utf-8"),
        "statement_id": hashlib.sha256(payload).hexdigest(),
        "pae": pae(obj["payloadType"], payload).decode("utf-8"),
        "envelope": envelope.decode("utf-8"),
    }


def build() -> list[dict[str, Any]]:
    """The golden vectors, in the order a store would receive them."""
    root, alice = fixed_key("root"), fixed_key("alice")
    out = []
    genesis = sign_statement(
        root,
        kind="actor.registered",
        subject="tracer",
        author="tracer",
        body=kinds.ActorRegistered(
            name="Weapons tracing org", role="organisation", public_key=root.public_b64, admin=True
        ),
        issued_at="2024-01-08T09:00:00Z",
    )
    out.append(_vector("genesis", root, genesis))
    register = sign_statement(
        root,
        kind="actor.registered",
        subject="alice",
        author="tracer",
        body=kinds.ActorRegistered(name="Alice", role="researcher", public_key=alice.public_b64),
        issued_at="2024-01-08T09:05:00Z",
    )
    out.append(_vector("register-alice", root, register))
    item = sign_statement(
        alice,
        kind="evidence.registered",
        subject="item-m3",
        author="alice",
        body=kinds.EvidenceRegistered(
            item_kind="missile-remains",
            title="Remains of ballistic missile 3",
            recovered_at="2024-08",
            identifiers={"field-ref": "M3"},
        ),
        issued_at="2024-09-02T10:00:00Z",
    )
    out.append(_vector("evidence-item", alice, item))
    finding = sign_statement(
        alice,
        kind="finding.asserted",
        subject="finding-rapid-use",
        author="alice",
        body=kinds.FindingAsserted(
            claim="Produced in 2024 and used within months.",
            evidence=["item-m3"],
            limitations=["The marking gives a year, not a month."],
            confidence="high",
        ),
        refs=[out[2]["statement_id"]],
        issued_at="2024-11-18T09:00:00Z",
    )
    out.append(_vector("finding-with-ref", alice, finding))
    return out


def main() -> None:
    """Write the vectors file."""
    VECTORS.write_text(json.dumps(build(), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {VECTORS}")


if __name__ == "__main__":
    main()
