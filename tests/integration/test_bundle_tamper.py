"""Every kind of tampering with a bundle is rejected, each with the failure it names.

Each test starts from a bundle of the demo's central finding that verifies,
changes its bytes the way an adversary would, and checks that the offline
verifier (the standalone module) rejects the result and says why.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from provenance import demo as case
from provenance.authoring import sign_statement
from provenance.bundle.export import encode_bundle, export_bundle
from provenance.bundle.offline_verify import BundleError, verify_bundle
from provenance.keys import KeyRing
from provenance.log.note import COSIGNATURE_V1, cosign, format_verifier_key, parse_verifier_key
from provenance.store import Store
from provenance.store.checkpoints import add_cosignature, sign_checkpoint
from tests.conftest import Demo, make_world


@pytest.fixture(scope="module")
def signed(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A copy of the demo store with a checkpoint cosigned by a witness, and its bundles."""
    root = tmp_path_factory.mktemp("bundle")
    store_dir = demo.copy(root)
    ring = KeyRing(demo.keys_dir)
    witness = ring.load("auditor")  # any Ed25519 key can act as a witness's key
    with Store.open(store_dir) as store:
        cp = sign_checkpoint(store, ring.load("root-log"))
        wvkey = format_verifier_key("witness.example/w1", witness.public_bytes, COSIGNATURE_V1)
        text = cp.note.split("\n\n")[0] + "\n"
        line = cosign(text, "witness.example/w1", witness.private_key, 1733842800)
        add_cosignature(store, cp, parse_verifier_key(wvkey), line)
        known = [parse_verifier_key(wvkey)]
        data = encode_bundle(export_bundle(store, case.CENTRAL_FINDING, witnesses=known))
        vkey = store.meta["log_vkey"]
    return {"data": data, "vkey": vkey, "witness": wvkey, "store": store_dir, "ring": ring}


def failures(data: bytes | dict[str, Any], vkey: str, **kwargs: Any) -> list[str]:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return verify_bundle(raw, vkey, **kwargs).failures


def loaded(signed: dict[str, Any]) -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads(signed["data"])
    return bundle


def index_of(bundle: dict[str, Any], subject: str, version: int) -> int:
    return next(
        n
        for n, s in enumerate(bundle["statements"])
        if (s["subject"], s["version"]) == (subject, version)
    )


def test_the_untouched_bundle_verifies_with_its_witness(signed: dict[str, Any]) -> None:
    report = verify_bundle(signed["data"], signed["vkey"], [signed["witness"]], 1)
    assert report.ok, report.failures
    assert report.cosigners == ["witness.example/w1"]
    assert report.statements == len(loaded(signed)["statements"])


def test_missing_witness_quorum_is_rejected(signed: dict[str, Any], tmp_path: Path) -> None:
    other = KeyRing(tmp_path / "k").create("w2")
    wvkey = format_verifier_key("witness.example/w2", other.public_bytes, COSIGNATURE_V1)
    found = failures(signed["data"], signed["vkey"], witnesses=[wvkey], quorum=1)
    assert found == ["checkpoint has 0 of the 1 required witness cosignatures"]


def test_removed_statement_in_a_record_is_rejected(signed: dict[str, Any]) -> None:
    bundle = loaded(signed)
    del bundle["statements"][index_of(bundle, "item-m3", 3)]
    found = failures(bundle, signed["vkey"])
    assert any("is version 4 of item-m3, expected version 3" in f for f in found), found


def test_removed_referenced_statement_is_rejected(signed: dict[str, Any]) -> None:
    bundle = loaded(signed)
    del bundle["statements"][index_of(bundle, case.CHALLENGE, 1)]
    found = failures(bundle, signed["vkey"])
    assert any("is not a statement in this store before it" in f for f in found), found


def test_removed_key_registration_is_rejected(signed: dict[str, Any]) -> None:
    bundle = loaded(signed)
    del bundle["statements"][index_of(bundle, "analyst", 1)]
    found = failures(bundle, signed["vkey"])
    assert any("author analyst is not a registered actor" in f for f in found), found


def test_added_forged_statement_is_rejected(signed: dict[str, Any]) -> None:
    """A statement signed with a genuine key but never logged: no proof can place it."""
    bundle = loaded(signed)
    analyst = signed["ring"].load("analyst")
    body = {"statement": "Still holds.", "observations": []}
    forged = sign_statement(
        analyst,
        kind="finding.reaffirmed",
        subject=case.CENTRAL_FINDING,
        author="analyst",
        body=body,
        issued_at="2025-03-04T09:00:00Z",
    )
    last = bundle["statements"][-1]
    versions = [s["version"] for s in bundle["statements"] if s["subject"] == case.CENTRAL_FINDING]
    bundle["statements"].append(
        {
            **last,
            "subject": case.CENTRAL_FINDING,
            "version": max(versions) + 1,
            "entry": forged.decode(),
        }
    )
    found = failures(bundle, signed["vkey"])
    assert any("inclusion proof does not lead to the checkpoint's root" in f for f in found)


def test_added_statement_beyond_the_as_of_position_is_rejected(demo: Demo, tmp_path: Path) -> None:
    store_dir = demo.copy(tmp_path)
    ring = KeyRing(demo.keys_dir)
    with Store.open(store_dir) as store:
        sign_checkpoint(store, ring.load("root-log"))
        meeting = store.position_at(case.MEETING_DAY)
        then = json.loads(encode_bundle(export_bundle(store, case.CENTRAL_FINDING, meeting)))
        now = json.loads(encode_bundle(export_bundle(store, case.CENTRAL_FINDING)))
        vkey = store.meta["log_vkey"]
    assert failures(then, vkey) == []
    later = [s for s in now["statements"] if s["position"] > meeting]
    assert later
    then["statements"].append(later[-1])
    found = failures(then, vkey)
    assert any("beyond the bundle's as-of position" in f for f in found), found


def test_altered_payload_is_rejected(signed: dict[str, Any]) -> None:
    bundle = loaded(signed)
    n = index_of(bundle, case.CENTRAL_FINDING, 1)
    envelope = json.loads(bundle["statements"][n]["entry"])
    payload = envelope["payload"]
    envelope["payload"] = payload[:40] + ("A" if payload[40] != "A" else "B") + payload[41:]
    bundle["statements"][n]["entry"] = json.dumps(envelope, separators=(",", ":"))
    found = failures(bundle, signed["vkey"])
    assert found and all(f"statement {n}" in f or "position" in f for f in found), found


def test_altered_signature_is_rejected(signed: dict[str, Any]) -> None:
    bundle = loaded(signed)
    n = index_of(bundle, case.CHALLENGE, 2)
    entry = bundle["statements"][n]["entry"]
    sig_at = entry.index('"sig":"') + 8
    flipped = "B" if entry[sig_at] == "A" else "A"
    bundle["statements"][n]["entry"] = entry[:sig_at] + flipped + entry[sig_at + 1 :]
    found = failures(bundle, signed["vkey"])
    # The leaf hash covers the whole envelope, so the proof fails as well as the signature.
    assert any("does not verify" in f for f in found), found
    assert any("inclusion proof" in f for f in found), found


def test_reordered_statements_are_rejected(signed: dict[str, Any]) -> None:
    bundle = loaded(signed)
    a, b = index_of(bundle, "item-m1", 1), index_of(bundle, "item-m2", 1)
    st = bundle["statements"]
    st[a], st[b] = st[b], st[a]
    found = failures(bundle, signed["vkey"])
    assert any("out of order" in f for f in found), found


def test_swapped_proofs_are_rejected(signed: dict[str, Any]) -> None:
    bundle = loaded(signed)
    st = bundle["statements"]
    st[3]["proof"], st[4]["proof"] = st[4]["proof"], st[3]["proof"]
    found = failures(bundle, signed["vkey"])
    assert any("proof is not a c2sp.org/tlog-proof@v1 for index" in f for f in found), found


def test_proof_hashes_of_another_leaf_are_rejected(signed: dict[str, Any]) -> None:
    """The index line kept, the audit path of another leaf put under it."""
    bundle = loaded(signed)
    st = bundle["statements"]
    head = st[3]["proof"].split("\n")[:2]
    st[3]["proof"] = "\n".join([*head, *st[5]["proof"].split("\n")[2:]])
    found = failures(bundle, signed["vkey"])
    assert any("inclusion proof does not lead" in f for f in found), found


def test_checkpoint_from_another_log_is_rejected(signed: dict[str, Any], tmp_path: Path) -> None:
    world = make_world(tmp_path)
    log_key = world.new_key("other-log")
    origin = "provenance-store/" + json.loads(signed["data"])["log"]["origin"].split("/")[-1]
    world.store.configure_log(origin, format_verifier_key(origin, log_key.public_bytes))
    other = sign_checkpoint(world.store, log_key)
    world.store.close()
    bundle = loaded(signed)
    bundle["checkpoint"] = other.note
    # Same origin, other key: the signature is not the log's.
    found = failures(bundle, signed["vkey"])
    assert any("checkpoint is not signed by the log key" in f for f in found), found
    # Checked against the other log's own key instead, no proof leads to its root.
    found = failures(bundle, world.store.meta["log_vkey"])
    assert any("inclusion proof does not lead" in f for f in found), found


def test_checkpoint_checked_with_another_origin_is_rejected(
    signed: dict[str, Any], tmp_path: Path
) -> None:
    key = KeyRing(tmp_path / "k").create("elsewhere")
    vkey = format_verifier_key("example.org/elsewhere", key.public_bytes)
    found = failures(signed["data"], vkey)
    assert found == [
        "checkpoint is for log 'provenance-store/tracer-demo', not 'example.org/elsewhere'"
    ]


def test_altered_root_key_id_is_rejected(signed: dict[str, Any]) -> None:
    bundle = loaded(signed)
    bundle["log"]["root_key_id"] = "0" * 64
    found = failures(bundle, signed["vkey"])
    assert any("the organisation's key is not the store's root key" in f for f in found)


def test_not_a_bundle_and_bad_keys_raise(signed: dict[str, Any]) -> None:
    with pytest.raises(BundleError, match="not UTF-8 JSON"):
        verify_bundle(b"\xff not json", signed["vkey"])
    with pytest.raises(BundleError, match="members must be"):
        verify_bundle(json.dumps({**loaded(signed), "extra": 1}).encode(), signed["vkey"])
    with pytest.raises(BundleError, match="is not a verifier key"):
        verify_bundle(signed["data"], "nonsense")
    with pytest.raises(BundleError, match="not an Ed25519 log verifier key"):
        verify_bundle(signed["data"], signed["witness"])
