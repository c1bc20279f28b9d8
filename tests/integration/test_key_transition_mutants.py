"""The root comparison in a bundle's key-transition consistency check (issue 10 §H).

A mutant that drops ``fr == old_root`` from the verifier's consistency check
survived every test: the transition checkpoints there were always genuine.
Here one names a root the log never had, at a size that is not a power of two
(so the old root is not itself in the proof and only that comparison can
notice), signed by both log keys, with the genuine consistency proof: the
proof still leads to the final checkpoint's root, yet the transition is not
consistent with it, and the bundle must fail.
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
