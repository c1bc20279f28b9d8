"""A witness never cosigns two forks of one log, even when two cosignings run at once.

Two real ``prov witness cosign`` processes are started together on a fresh
state, each with one of two checkpoints of the same log and size but different
roots (a fork, both signed by the log's key). Under the state's lock they take
turns: one cosigns, the other sees its checkpoint and refuses the fork. Without
the lock both read the empty state and both cosigned (5 of 20 trials).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from provenance.errors import InputError
from provenance.keys import KeyRing
from provenance.log.checkpoint import Checkpoint
from provenance.log.note import format_verifier_key, sign_note
from provenance.witness_state import Seen, lock_path, locked_state, read_state

PROV = Path(sys.executable).parent / "prov"
ORIGIN = "example.org/forked-log"
TRIALS = 20


def _forks(tmp_path: Path) -> tuple[str, list[Path]]:
    """The log's verifier key and two signed checkpoints of size 5 with different roots."""
    log_key = Ed25519PrivateKey.generate()
    public = log_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    vkey = format_verifier_key(ORIGIN, public)
    notes = []
    for fork in (b"a", b"b"):
        text = Checkpoint(ORIGIN, 5, fork * 32).to_text()
        note = tmp_path / f"fork-{fork.decode()}.note"
        note.write_text(sign_note(text, ORIGIN, log_key), encoding="utf-8")
        notes.append(note)
    return vkey, notes


def test_two_cosignings_at_once_never_cosign_two_forks(tmp_path: Path) -> None:
    vkey, notes = _forks(tmp_path)
    keys = tmp_path / "witness-keys"
    KeyRing(keys).create("w1")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROV_")}
    env["HOME"] = str(tmp_path)
    outcomes = []
    for trial in range(TRIALS):
        state = tmp_path / f"state-{trial}.json"
        commands = [
            [str(PROV), "witness", "cosign", str(note), "--key", "w1", "--name", "w.example/w1",
             "--vkey", vkey, "--state", str(state), "--keys", str(keys)]
            for note in notes
        ]  # fmt: skip
        processes = [
            subprocess.Popen(c, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for c in commands
        ]
        results = [(p.wait(timeout=120), *p.communicate()) for p in processes]
        codes = sorted(code for code, _, _ in results)
        outcomes.append(codes)
        assert codes == [0, 1], (trial, results)
        refused = next(err for code, _, err in results if code == 1)
        assert refused.startswith("error: fork:") and refused.count("\n") == 1, refused
        winner = next(i for i, (code, _, _) in enumerate(results) if code == 0)
        root = base64.b64encode((b"a", b"b")[winner] * 32).decode()
        assert json.loads(state.read_text()) == {ORIGIN: {"size": 5, "root": root}}
    assert len(outcomes) == TRIALS


def test_the_state_is_written_atomically_and_read_strictly(tmp_path: Path) -> None:
    path = tmp_path / "w" / "state.json"
    with locked_state(path) as state:
        assert state.logs == {}
        state.logs[ORIGIN] = Seen(7, b"r" * 32)
        state.save()
    assert read_state(path) == {ORIGIN: Seen(7, b"r" * 32)}
    assert lock_path(path).exists()
    assert sorted(p.name for p in path.parent.iterdir()) == ["state.json", "state.json.lock"]
    assert path.stat().st_mode & 0o077 == 0

    good = json.loads(path.read_text())[ORIGIN]
    for bad in (
        f'{{"{ORIGIN}": {{"size": 7, "size": 9, "root": "{good["root"]}"}}}}',  # duplicate
        f'{{"{ORIGIN}": {{"size": true, "root": "{good["root"]}"}}}}',  # true is not 1
        f'{{"{ORIGIN}": {{"size": 7, "root": "{good["root"]}", "extra": 1}}}}',
        f'{{"{ORIGIN}": {{"size": -1, "root": "{good["root"]}"}}}}',
        f'{{"{ORIGIN}": {{"size": 7, "root": "c2hvcnQ="}}}}',  # not 32 bytes
        "[]",
    ):
        path.write_text(bad)
        with pytest.raises(InputError, match=r"witness state .* is malformed"):
            read_state(path)
