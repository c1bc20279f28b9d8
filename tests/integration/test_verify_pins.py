"""`prov verify` with trust pinned from outside the store (issue 10 §A).

Each test starts from a private copy of the demo store with one checkpoint of
the whole log, signed by the demo's log key and cosigned by a witness whose
key lives in another directory. Tampering is done with the database driver,
behind the library's back. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import Demo, raw_db

from provenance.keys import KeyRing, SigningKey
from provenance.log.checkpoint import Checkpoint
from provenance.log.note import (
    COSIGNATURE_V1,
    MAX_TIMESTAMP,
    cosign,
    cosignature_message,
    format_verifier_key,
    parse_note,
    parse_verifier_key,
    sign_note,
)
from provenance.store import Store
from provenance.store.checkpoints import StoredCheckpoint, add_cosignature, sign_checkpoint
from provenance_cli.main import cli

BACKENDS = ("sqlite", "postgres")

WITNESS = "witness.example/w1"
WITNESSED_AT = 1_741_000_000


@dataclass(frozen=True)
class Pinned:
    """A demo store copy, its checkpoint, and the anchors an auditor keeps."""

    store_dir: Path | str
    tmp: Path
    checkpoint: StoredCheckpoint
    vkey: str
    root_key_id: str
    witness_key: SigningKey
    witness_vkey: str

    def verify(self, *args: str) -> Result:
        """Run `prov verify` on the store."""
        return CliRunner().invoke(cli, ["verify", "--store", str(self.store_dir), *args])

    def prov(self, *args: str) -> Result:
        """Run any `prov` command on the store."""
        return CliRunner().invoke(cli, [*args, "--store", str(self.store_dir)])

    def file(self, name: str, text: str | bytes) -> Path:
        """A file in the test's directory."""
        path = self.tmp / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        return path


@pytest.fixture
def pinned(demo: Demo, new_store: Callable[[str], Path | str], tmp_path: Path) -> Pinned:
    """The demo store, checkpointed and cosigned, with the auditor's pins."""
    store_dir = demo.copy_to(new_store("store"))
    witness_key = KeyRing(tmp_path / "witness-keys").create("w1")
    witness_vkey = format_verifier_key(WITNESS, witness_key.public_bytes, COSIGNATURE_V1)
    with Store.open(store_dir) as store:
        cp = sign_checkpoint(store, KeyRing(demo.keys_dir).load("root-log"))
        text, _ = parse_note(cp.note)
        line = cosign(text, WITNESS, witness_key.private_key, WITNESSED_AT)
        add_cosignature(store, cp, parse_verifier_key(witness_vkey), line)
        vkey, root = store.meta["log_vkey"], store.root_key_id
    return Pinned(store_dir, tmp_path, cp, vkey, root, witness_key, witness_vkey)


def _fails(result: Result, *needles: str) -> str:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    fails = [line for line in result.stdout.splitlines() if line.startswith("FAIL ")]
    assert fails, result.output
    for needle in needles:
        assert any(needle in line for line in fails), (needle, result.output)
    return result.stdout


def _bad_input(result: Result, needle: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert needle in lines[0], lines[0]
    return lines[0]


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith(": OK"), result.output
    return result.stdout


def _attacker_takes_the_log(store_dir: Path | str, tmp: Path) -> SigningKey:
    """Swap in the attacker's own log key and re-sign every checkpoint with it."""
    evil = KeyRing(tmp / "attacker").create("evil")
    with raw_db(store_dir) as con:
        origin = con.execute("SELECT value FROM prov_meta WHERE key = 'log_origin'").fetchone()[0]
        evil_vkey = format_verifier_key(origin, evil.public_bytes)
        con.execute("UPDATE prov_meta SET value = ? WHERE key = 'log_vkey'", (evil_vkey,))
        for cid, note in con.execute("SELECT id, note FROM checkpoints").fetchall():
            text, _ = parse_note(str(note))
            resigned = sign_note(text, origin, evil.private_key)
            con.execute("UPDATE checkpoints SET note = ? WHERE id = ?", (resigned, cid))
    return evil


# -- the log key -------------------------------------------------------------------------


def test_a_swapped_and_resigned_log_key_fails_against_the_real_vkey(pinned: Pinned) -> None:
    """The attack of §A: without a pin it passes (and says so); with --vkey REAL it fails."""
    _attacker_takes_the_log(pinned.store_dir, pinned.tmp)
    unpinned = _ok(pinned.verify())
    assert "trusted the store's own anchors" in unpinned
    out = _fails(pinned.verify("--vkey", pinned.vkey), f"the pinned log key {pinned.vkey}")
    assert f"checkpoint {pinned.checkpoint.id} (size 34" in out
    assert "is not signed by the log key" in out


def test_a_swapped_key_fails_against_the_trust_file(pinned: Pinned) -> None:
    """The trust file exported before the attack catches it too."""
    trust = pinned.file("trust.json", _ok_stdout(pinned.prov("trust", "export")))
    _ok(pinned.verify("--trust", str(trust)))
    _attacker_takes_the_log(pinned.store_dir, pinned.tmp)
    _fails(pinned.verify("--trust", str(trust)), "the pinned log key")


def _ok_stdout(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def test_vkey_that_is_not_a_key_is_bad_input(pinned: Pinned) -> None:
    """`--vkey "not even a key"` was silently ignored (OK); now exit 2, one line."""
    _bad_input(pinned.verify("--vkey", "not even a key"), "--vkey")
    # A witness key (type 0x04) is not a log key.
    _bad_input(pinned.verify("--vkey", pinned.witness_vkey), "not an Ed25519 (0x01) log")


def test_vkey_without_since_is_checked(pinned: Pinned) -> None:
    """Another well-formed log key, without --since, fails naming the pin."""
    other = KeyRing(pinned.tmp / "other").create("other")
    wrong = format_verifier_key(parse_verifier_key(pinned.vkey).name, other.public_bytes)
    _fails(pinned.verify("--vkey", wrong), f"the pinned log key {wrong} is not the store's")
    out = _ok(pinned.verify("--vkey", pinned.vkey))
    assert out.startswith("TRUST pinned log key, origin;")


def test_a_retired_pinned_key_follows_the_signed_transition(pinned: Pinned, demo: Demo) -> None:
    """After 'prov log rotate-key', the old pinned key leads to the new one: OK."""
    keys = pinned.tmp / "log-keys"
    KeyRing(keys)  # the new key is made here, apart from the demo's keys
    old = KeyRing(demo.keys_dir).path_of("root-log")
    result = CliRunner().invoke(
        cli,
        [
            *("log", "rotate-key", "--log-key", str(old), "--new-key", "log-2"),
            *("--store", str(pinned.store_dir), "--keys", str(keys)),
        ],
    )
    assert result.exit_code == 0, result.output
    out = _ok(pinned.verify("--vkey", pinned.vkey))
    assert "followed the log's signed key transitions" in out


@pytest.mark.parametrize("key", ["log_vkey", "log_origin"])
def test_deleted_log_key_or_origin_fails_with_a_pinned_vkey(pinned: Pinned, key: str) -> None:
    with raw_db(pinned.store_dir) as con:
        con.execute("DELETE FROM prov_meta WHERE key = ?", (key,))
    _fails(pinned.verify("--vkey", pinned.vkey), "the store has no log key or origin")


def test_a_changed_origin_fails_with_a_pinned_vkey(pinned: Pinned) -> None:
    with raw_db(pinned.store_dir) as con:
        con.execute("UPDATE prov_meta SET value = 'elsewhere/log' WHERE key = 'log_origin'")
    _fails(pinned.verify("--vkey", pinned.vkey), "the store's log origin 'elsewhere/log'")


# -- the root key id ---------------------------------------------------------------------


def test_root_key_id_pin(pinned: Pinned) -> None:
    _ok(pinned.verify("--root-key-id", pinned.root_key_id))
    other = "0" * 64
    _fails(pinned.verify("--root-key-id", other), f"the pinned root key id {other}")
    _bad_input(pinned.verify("--root-key-id", "xyz"), "--root-key-id")
    # Upper case or a trailing newline is not the canonical spelling.
    _bad_input(pinned.verify("--root-key-id", pinned.root_key_id.upper()), "--root-key-id")


def test_a_swapped_root_key_id_fails_against_the_pin(pinned: Pinned) -> None:
    """A store whose pinned root key id was replaced fails against the auditor's pin."""
    with raw_db(pinned.store_dir) as con:
        con.execute("UPDATE prov_meta SET value = ? WHERE key = 'root_key_id'", ("1" * 64,))
    _fails(pinned.verify("--root-key-id", pinned.root_key_id), "the pinned root key id")


# -- checkpoints deleted -----------------------------------------------------------------


def _delete_checkpoints(store_dir: Path | str) -> None:
    with raw_db(store_dir) as con:
        con.execute("DELETE FROM cosignatures")
        con.execute("DELETE FROM checkpoints")


def test_deleted_checkpoints_fail_against_a_pinned_checkpoint(pinned: Pinned) -> None:
    trust = pinned.file("trust.json", _ok_stdout(pinned.prov("trust", "export")))
    saved = pinned.file("saved.note", pinned.checkpoint.note)
    _delete_checkpoints(pinned.store_dir)
    _fails(pinned.verify("--trust", str(trust)), "is not among the store's checkpoints")
    _fails(
        pinned.verify("--since", str(saved), "--vkey", pinned.vkey),
        "is not among the store's checkpoints",
    )


def test_no_checkpoint_with_only_a_pinned_vkey_cannot_be_checked(pinned: Pinned) -> None:
    """A log never checkpointed is not damage, but the pin cannot be checked: exit 2."""
    _delete_checkpoints(pinned.store_dir)
    _bad_input(pinned.verify("--vkey", pinned.vkey), "cannot check the pinned log key")
    _bad_input(pinned.verify("--witness", pinned.witness_vkey), "cannot check the pinned witnesses")
    # Without pins, verify says there is nothing to anchor to; not a failure.
    out = _ok(pinned.verify())
    assert "NOTE the store holds no checkpoint: nothing anchors the log" in out


# -- no pins -----------------------------------------------------------------------------


def test_without_pins_verify_says_it_trusted_the_store(pinned: Pinned) -> None:
    out = _ok(pinned.verify())
    first = out.splitlines()[0]
    assert first.startswith("TRUST no pins given: trusted the store's own anchors")
    for anchor in (pinned.root_key_id[:16], pinned.vkey, "witness policy none"):
        assert anchor in first
    report = json.loads(_ok_stdout(pinned.verify("--json")))
    trust = report["trust"]
    assert trust["pinned"] is False
    assert trust["log_vkey"] == {"source": "store", "value": pinned.vkey}
    assert trust["root_key_id"] == {"source": "store", "value": pinned.root_key_id}
    pinned_report = json.loads(_ok_stdout(pinned.verify("--json", "--vkey", pinned.vkey)))
    assert pinned_report["trust"]["log_vkey"]["source"] == "pinned"


def test_trust_file_cannot_be_combined_with_pin_options(pinned: Pinned) -> None:
    trust = pinned.file("trust.json", _ok_stdout(pinned.prov("trust", "export")))
    _bad_input(pinned.verify("--trust", str(trust), "--vkey", pinned.vkey), "--trust")
    dup = pinned.file("dup.json", '{"format": "prov-trust/v1", "format": "prov-trust/v1"}')
    _bad_input(pinned.verify("--trust", str(dup)), "duplicate")
    _bad_input(pinned.verify("--quorum", "1"), "--quorum needs at least one --witness")


# -- witnesses and cosignatures ----------------------------------------------------------


def _cosignature_line(store_dir: Path | str) -> str:
    with raw_db(store_dir) as con:
        return str(con.execute("SELECT line FROM cosignatures").fetchone()[0])


def _set_cosignature(store_dir: Path | str, line: str, time: int | None = None) -> None:
    with raw_db(store_dir) as con:
        if time is None:
            cur = con.execute("UPDATE cosignatures SET line = ?", (line,))
        else:
            cur = con.execute("UPDATE cosignatures SET line = ?, time = ?", (line, time))
        assert cur.rowcount == 1


def _forge(line: str) -> str:
    """The same line with one byte of the Ed25519 signature changed, canonical base64."""
    name, sig64 = line.rstrip("\n").removeprefix("\u2014 ").split(" ")
    raw = bytearray(base64.b64decode(sig64))
    raw[-1] ^= 0x01
    return f"\u2014 {name} {base64.b64encode(bytes(raw)).decode()}\n"


def _set_policy(pinned: Pinned, *witnesses: str, quorum: int = 1) -> None:
    args = [a for w in witnesses for a in ("--witness", w)]
    result = pinned.prov("log", "policy", *args, "--quorum", str(quorum))
    assert result.exit_code == 0, result.output


def test_a_forged_cosignature_row_fails(pinned: Pinned) -> None:
    """Against a pinned witness, and against the store's policy when unpinned."""
    _ok(pinned.verify("--witness", pinned.witness_vkey))
    _set_cosignature(pinned.store_dir, _forge(_cosignature_line(pinned.store_dir)))
    _fails(pinned.verify("--witness", pinned.witness_vkey), f"cosignature by {WITNESS}", "forged")
    # Unknown to the store (no policy), it cannot be checked: said, not failed.
    assert "were not checked" in _ok(pinned.verify())
    _set_policy(pinned, pinned.witness_vkey)
    _fails(pinned.verify(), "is forged")


def test_a_cosignature_row_whose_time_or_witness_differs_fails(pinned: Pinned) -> None:
    line = _cosignature_line(pinned.store_dir)
    _set_cosignature(pinned.store_dir, line, WITNESSED_AT + 1)
    _fails(
        pinned.verify("--witness", pinned.witness_vkey),
        f"its row says time {WITNESSED_AT + 1}, it signed {WITNESSED_AT}",
    )
    with raw_db(pinned.store_dir) as con:
        con.execute("UPDATE cosignatures SET time = ?, witness = 'someone.else/w'", (WITNESSED_AT,))
    _fails(pinned.verify("--witness", pinned.witness_vkey), "not the witness its row names")


def test_a_cosignature_timestamp_above_the_c2sp_limit_fails(pinned: Pinned) -> None:
    """tlog-cosignature §Format: the timestamp MUST NOT exceed 2^63 - 1."""
    text, _ = parse_note(pinned.checkpoint.note)
    stamp = MAX_TIMESTAMP + 1
    sig = pinned.witness_key.private_key.sign(cosignature_message(text, stamp))
    kid = parse_verifier_key(pinned.witness_vkey).key_id
    raw = kid.to_bytes(4, "big") + stamp.to_bytes(8, "big") + sig
    line = f"\u2014 {WITNESS} {base64.b64encode(raw).decode()}\n"
    # The time column cannot hold 2^63 on PostgreSQL; the signed timestamp is what counts.
    _set_cosignature(pinned.store_dir, line, WITNESSED_AT)
    _fails(pinned.verify("--witness", pinned.witness_vkey), "timestamp over 2^63-1")


def test_a_pinned_quorum_must_be_met(pinned: Pinned) -> None:
    other = KeyRing(pinned.tmp / "w2").create("w2")
    w2 = format_verifier_key("witness.example/w2", other.public_bytes, COSIGNATURE_V1)
    out = _ok(pinned.verify("--witness", pinned.witness_vkey, "--quorum", "1"))
    assert "checkpoint of size 34 is cosigned by 1 of the 1 pinned witnesses" in out
    _fails(
        pinned.verify("--witness", pinned.witness_vkey, "--witness", w2, "--quorum", "2"),
        "the pinned witnesses disagree: no checkpoint is cosigned by 2 of the 2",
    )
    _ok(pinned.verify("--witness", pinned.witness_vkey, "--witness", w2, "--quorum", "1"))


def test_one_witness_key_counts_once(pinned: Pinned) -> None:
    """The same vkey twice is one witness; one key under two names is refused."""
    twice = ("--witness", pinned.witness_vkey, "--witness", pinned.witness_vkey)
    _bad_input(pinned.verify(*twice, "--quorum", "2"), "between 1 and 1")
    renamed = format_verifier_key(
        "witness.example/alias", pinned.witness_key.public_bytes, COSIGNATURE_V1
    )
    _bad_input(
        pinned.verify("--witness", pinned.witness_vkey, "--witness", renamed, "--quorum", "2"),
        "under two names",
    )


def test_check_proof_does_not_count_a_relabelled_cosignature_twice(pinned: Pinned) -> None:
    """A cosignature does not commit to its name: relabelled, it must not make quorum 2."""
    with Store.open(pinned.store_dir) as store:
        sid = store.index_range(3, 1)[0].statement_id
    proof = _ok_stdout(pinned.prov("log", "prove", sid, "--witness", pinned.witness_vkey))
    entry = (
        CliRunner()
        .invoke(cli, ["log", "entry", sid, "--raw", "--store", str(pinned.store_dir)])
        .stdout_bytes
    )
    alias = "witness.example/alias"
    renamed = format_verifier_key(alias, pinned.witness_key.public_bytes, COSIGNATURE_V1)
    line = _cosignature_line(pinned.store_dir)
    raw = base64.b64decode(line.rstrip("\n").split(" ")[2])
    relabelled = parse_verifier_key(renamed).key_id.to_bytes(4, "big") + raw[4:]
    proof += f"\u2014 {alias} {base64.b64encode(relabelled).decode()}\n"
    result = CliRunner().invoke(
        cli,
        [
            *("log", "check-proof", str(pinned.file("p", proof)), str(pinned.file("e", entry))),
            *("--vkey", pinned.vkey, "--witness", pinned.witness_vkey, "--witness", renamed),
            *("--quorum", "2"),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "under two names" in result.stderr


def test_log_prove_never_copies_a_forged_cosignature(pinned: Pinned) -> None:
    with Store.open(pinned.store_dir) as store:
        sid = store.index_range(3, 1)[0].statement_id
    genuine = _cosignature_line(pinned.store_dir)
    _set_policy(pinned, pinned.witness_vkey)
    assert genuine in _ok_stdout(pinned.prov("log", "prove", sid))
    forged = _forge(genuine)
    _set_cosignature(pinned.store_dir, forged)
    result = pinned.prov("log", "prove", sid)
    assert result.exit_code == 0, result.output
    assert forged not in result.stdout and WITNESS not in result.stdout
    assert "left out 1 recorded cosignature line(s)" in result.stderr


def test_bundle_export_never_carries_a_forged_cosignature(pinned: Pinned) -> None:
    with Store.open(pinned.store_dir) as store:
        subject = store.index_range(3, 1)[0].subject_id
    genuine = _cosignature_line(pinned.store_dir)
    bundle = pinned.tmp / "b.bundle.json"
    args = ("bundle", "export", subject, "--out", str(bundle), "--force")
    with_key = pinned.prov(*args, "--witness", pinned.witness_vkey)
    assert with_key.exit_code == 0, with_key.output
    assert genuine in json.loads(bundle.read_text())["checkpoint"]
    _set_cosignature(pinned.store_dir, _forge(genuine))
    result = pinned.prov(*args, "--witness", pinned.witness_vkey)
    assert result.exit_code == 0, result.output
    assert WITNESS not in json.loads(bundle.read_text())["checkpoint"]
    assert "left out 1 recorded cosignature line(s)" in result.stderr


def test_log_prove_leaves_out_lines_no_known_key_verifies(pinned: Pinned) -> None:
    """Without a policy or --witness, a recorded line cannot be checked, so it is left out."""
    with Store.open(pinned.store_dir) as store:
        sid = store.index_range(3, 1)[0].statement_id
    result = pinned.prov("log", "prove", sid)
    assert result.exit_code == 0 and WITNESS not in result.stdout
    with_key = pinned.prov("log", "prove", sid, "--witness", pinned.witness_vkey)
    assert _cosignature_line(pinned.store_dir) in with_key.stdout


# -- the trust file ----------------------------------------------------------------------


def test_trust_export_round_trip(pinned: Pinned) -> None:
    _set_policy(pinned, pinned.witness_vkey)
    out = pinned.tmp / "auditor.trust.json"
    assert pinned.prov("trust", "export", "--out", str(out)).exit_code == 0
    obj = json.loads(out.read_text())
    assert list(obj) == ["format", "root_key_id", "log_vkey", "witnesses", "quorum", "checkpoint"]
    assert obj["log_vkey"] == pinned.vkey and obj["witnesses"] == [pinned.witness_vkey]
    assert Checkpoint.parse(parse_note(obj["checkpoint"])[0]).size == 34
    result = _ok(pinned.verify("--trust", str(out)))
    assert result.startswith("TRUST pinned root key id, log key, origin, witness policy")
    # An existing file is not overwritten without --force.
    before = out.read_bytes()
    again = pinned.prov("trust", "export", "--out", str(out))
    assert again.exit_code == 2 and "exists" in again.stderr
    assert out.read_bytes() == before


def test_since_not_signed_by_the_pinned_vkey_is_bad_input(pinned: Pinned) -> None:
    """Both are the auditor's: a --since note the pinned key did not sign is exit 2."""
    other = KeyRing(pinned.tmp / "other").create("other")
    origin = parse_verifier_key(pinned.vkey).name
    wrong = format_verifier_key(origin, other.public_bytes)
    saved = pinned.file("saved.note", pinned.checkpoint.note)
    _bad_input(pinned.verify("--since", str(saved), "--vkey", wrong), "not a checkpoint of the")
    _bad_input(pinned.verify("--since", str(pinned.tmp / "nope")), "--since")
    out = _ok(pinned.verify("--since", str(saved), "--vkey", pinned.vkey))
    assert out.startswith("TRUST pinned log key, origin, checkpoint;")


def test_trust_export_to_standard_output_and_symlinks(pinned: Pinned) -> None:
    dash = pinned.prov("trust", "export", "--out", "-")
    assert dash.exit_code == 0 and dash.stdout.startswith('{\n  "format": "prov-trust/v1"')
    assert not (Path.cwd() / "-").exists()
    target = pinned.file("target", "keep me\n")
    link = pinned.tmp / "link.json"
    link.symlink_to(target)
    for extra in ((), ("--force",)):
        result = pinned.prov("trust", "export", "--out", str(link), *extra)
        assert result.exit_code == 2 and "symbolic link" in result.stderr
    assert target.read_text() == "keep me\n"
