"""Bundle verification mutants the issue names (issue 10 §H), through ``verify_bundle``.

* The root comparison in the key-transition consistency check: a mutant that
  dropped ``fr == old_root`` survived, as every transition checkpoint in the
  tests was genuine. Here one names a root the log never had, at a size that
  is not a power of two (so the old root is not itself in the proof and only
  that comparison can notice), signed by both log keys, with the genuine
  consistency proof, which still leads to the final checkpoint's root.
* An inclusion check that answers yes once a path outlasts the tree's depth:
  a statement whose proof is six random hashes.

They use the bundle format and the public ``verify_bundle``, so they hold for
whatever module implements the standalone verifier.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from click.testing import CliRunner
from conftest import World

from provenance.bundle.export import encode_bundle, export_bundle
from provenance.bundle.offline_verify import verify_bundle
from provenance.log.checkpoint import Checkpoint
from provenance.log.note import format_verifier_key, parse_note, sign_note, signature_line
from provenance.store.checkpoints import rotate_log_key, sign_checkpoint
from provenance_cli.main import cli

ORIGIN = "example.org/transition-test"


def test_a_transition_naming_another_root_is_not_consistent(world: World, tmp_path: Path) -> None:
    store = world.store
    old_key = world.new_key("log")
    store.configure_log(ORIGIN, format_verifier_key(ORIGIN, old_key.public_bytes))
    old_vkey = store.meta["log_vkey"]
    world.evidence("item-1")
    world.finding("finding-1", ["item-1"])
    while store.size() & (store.size() - 1) == 0:  # not a power of two
        world.assess("finding-1")
    new_key = world.new_key("log-2")
    transition = rotate_log_key(store, old_key, new_key)
    world.assess("finding-1")
    world.assess("finding-1", signer="alice")
    sign_checkpoint(store, new_key)
    bundle = json.loads(encode_bundle(export_bundle(store, "finding-1")))
    assert verify_bundle(json.dumps(bundle).encode(), old_vkey).ok  # genuine: it verifies

    [step] = bundle["key_transitions"]
    assert step["checkpoint"] == transition.note
    text, _ = parse_note(transition.note)
    genuine = Checkpoint.parse(text)
    assert genuine.size & (genuine.size - 1) != 0
    forged_root = hashlib.sha256(b"a tree this log never had").digest()
    forged_text = Checkpoint(ORIGIN, genuine.size, forged_root, genuine.extensions).to_text()
    step["checkpoint"] = sign_note(forged_text, ORIGIN, old_key.private_key) + signature_line(
        forged_text, ORIGIN, new_key.private_key
    )
    forged = json.dumps(bundle).encode()
    report = verify_bundle(forged, old_vkey)
    # The old key is then all the verifier trusts, and it did not sign the checkpoint.
    assert report.failures == [
        f"key transition 0 (size {genuine.size}) is not consistent with the checkpoint",
        f"checkpoint is not signed by the log key {old_vkey}",
    ]
    path = tmp_path / "forged.json"
    path.write_bytes(forged)
    result = CliRunner().invoke(cli, ["bundle", "verify", str(path), "--vkey", old_vkey])
    assert result.exit_code == 1, result.output
    assert "is not consistent with the checkpoint" in result.output


def test_a_statement_whose_proof_is_six_random_hashes_fails(world: World) -> None:
    """The issue's confirmed survivor: an inclusion check that says yes once the path
    outlasts the tree's depth. The demo-sized tree is far shallower than six levels."""
    import base64

    store = world.store
    log_key = world.new_key("log")
    store.configure_log(ORIGIN, format_verifier_key(ORIGIN, log_key.public_bytes))
    world.evidence("item-1")
    world.finding("finding-1", ["item-1"])
    sign_checkpoint(store, log_key)
    vkey = store.meta["log_vkey"]
    bundle = json.loads(encode_bundle(export_bundle(store, "finding-1")))
    assert verify_bundle(json.dumps(bundle).encode(), vkey).ok
    assert store.size() < 2**6
    st = bundle["statements"][-1]
    header, index = st["proof"].split("\n")[:2]
    junk = [base64.b64encode(hashlib.sha256(b"junk %d" % i).digest()).decode() for i in range(6)]
    st["proof"] = "\n".join([header, index, *junk]) + "\n\n"
    report = verify_bundle(json.dumps(bundle).encode(), vkey)
    position = st["position"]
    assert len(report.failures) == 1
    assert report.failures[0].startswith(f"statement at position {position} (")
    assert report.failures[0].endswith(": inclusion proof does not lead to the checkpoint's root")
