"""The statement format pinned byte for byte, and checked by an independent verifier.

``independent_verify`` below uses only the standard library and
``cryptography``, following ``docs/spec/statements.md`` step by step; it does
not import this project. If it accepts the vectors, the spec is implementable.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tests.golden import generate

VECTORS: list[dict[str, Any]] = json.loads(generate.VECTORS.read_text())


def test_regenerated_vectors_equal_committed() -> None:
    """Any change to canonical bytes, PAE, ids or signatures shows here."""
    assert generate.build() == VECTORS


def independent_verify(envelope: bytes, public_key: bytes) -> str:
    """Verify per the spec without this project's code; return the statement id."""
    obj = json.loads(envelope)
    assert set(obj) == {"payload", "payloadType", "signatures"}
    payload_type = obj["payloadType"]
    assert payload_type == "application/vnd.prov.statement.v1+json"
    payload = base64.b64decode(obj["payload"], validate=True)
    (sig,) = obj["signatures"]
    assert sig["keyid"] == hashlib.sha256(public_key).hexdigest()
    t = payload_type.encode()
    pae = b"DSSEv1 " + str(len(t)).encode() + b" " + t + b" "
    pae += str(len(payload)).encode() + b" " + payload
    Ed25519PublicKey.from_public_bytes(public_key).verify(
        base64.b64decode(sig["sig"], validate=True), pae
    )
    return hashlib.sha256(payload).hexdigest()


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_independent_verifier_accepts(vector: dict[str, Any]) -> None:
    public = base64.b64decode(vector["signer"]["public_key"])
    seed = bytes.fromhex(vector["signer"]["seed_hex"])
    derived = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    assert derived == public
    sid = independent_verify(vector["envelope"].encode(), public)
    assert sid == vector["statement_id"]
    payload = vector["payload"].encode()
    assert json.loads(vector["envelope"])["payload"] == base64.b64encode(payload).decode()
    pae = vector["pae"].encode()
    assert pae.endswith(payload)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_independent_verifier_rejects_altered_payload(vector: dict[str, Any]) -> None:
    obj = json.loads(vector["envelope"])
    payload = bytearray(base64.b64decode(obj["payload"]))
    payload[10] ^= 0x01
    obj["payload"] = base64.b64encode(bytes(payload)).decode()
    public = base64.b64decode(vector["signer"]["public_key"])
    with pytest.raises(InvalidSignature):
        independent_verify(json.dumps(obj).encode(), public)


def test_vectors_load_into_a_store(tmp_path: Any) -> None:
    """The vectors are a valid store history: a fresh store accepts them in order."""
    from provenance.store import Store

    root = generate.fixed_key("root")
    store = Store.create(
        tmp_path / "s", genesis=VECTORS[0]["envelope"].encode(), root_key_id=root.key_id
    )
    with store:
        for vector in VECTORS[1:]:
            receipt = store.append(vector["envelope"].encode())
            assert receipt.statement_id == vector["statement_id"]
            assert not receipt.duplicate
        assert store.size() == len(VECTORS)
