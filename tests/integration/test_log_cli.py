"""`prov log` and `prov witness`: checkpoints, offline proofs and witness cosigning.

Every test drives the CLI in-process on a store made by `prov init` (which
creates the `root-log` key); statements are appended through the library, so
the tests exercise only the log commands. Offline checks run with no store.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import Result
from conftest import Prov

from provenance.authoring import sign_statement
from provenance.keys import KeyRing, SigningKey
from provenance.log.checkpoint import Checkpoint, open_checkpoint, parse_tlog_proof
from provenance.log.merkle import leaf_hash
from provenance.log.note import (
    COSIGNATURE_V1,
    format_verifier_key,
    parse_verifier_key,
    sign_note,
)
from provenance.store import Store
from provenance_cli import log as log_commands
from provenance_cli import witness as witness_commands
from provenance_cli.log import (
    format_consistency_proof,
    parse_consistency_proof,
)

ORIGIN = "provenance-store/tracer"


@dataclass
class Log:
    """`prov` on one store made by `prov init`, plus helpers to grow it and keep files."""

    prov: Prov
    tmp: Path
    added: int = 0

    @property
    def store_dir(self) -> Path:
        return self.prov.store_dir

    @property
    def keys_dir(self) -> Path:
        return self.prov.keys_dir

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self.prov(*args, env={"PROV_STORE": str(self.store_dir)}, input=input)

    def ok(self, *args: str) -> Result:
        result = self(*args)
        assert result.exit_code == 0, (args, result.output, result.exception)
        return result

    def key(self, name: str) -> SigningKey:
        return KeyRing(self.keys_dir).load(name)

    def grow(self, count: int) -> list[str]:
        """Append ``count`` actor registrations signed by the root key; return their ids."""
        root = self.key("root")
        ids: list[str] = []
        with Store.open(self.store_dir) as store:
            for _ in range(count):
                self.added += 1
                raw = sign_statement(
                    root,
                    kind="actor.registered",
                    subject=f"person-{self.added}",
                    author="tracer",
                    body={"name": f"Person {self.added}", "role": "observer"},
                )
                ids.append(store.append(raw).statement_id)
        return ids

    def file(self, name: str, content: str | bytes) -> Path:
        path = self.tmp / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return path

    def checkpoint(self, name: str) -> Path:
        """Sign a checkpoint and keep its note in a file."""
        return self.file(name, self.ok("log", "checkpoint").stdout)

    @property
    def vkey(self) -> str:
        return self.ok("log", "vkey").stdout.strip()

    def witness(self, name: str) -> str:
        """Create a witness key NAME and return its cosignature verifier key."""
        self.ok("key", "new", name)
        return self.ok(
            "witness", "vkey", "--key", name, "--name", f"w.example/{name}"
        ).stdout.strip()

    def cosign(self, name: str, note: Path, *extra: str) -> Result:
        return self(
            "witness", "cosign", str(note), "--key", name, "--name", f"w.example/{name}",
            "--vkey", self.vkey, *extra,
        )  # fmt: skip


@pytest.fixture
def log(prov: Prov, tmp_path: Path) -> Log:
    """A store of 6 statements made by `prov init --org-id tracer`."""
    prov.ok("init", "--org-id", "tracer", "--org-name", "Tracer", "--store", str(prov.store_dir))
    helper = Log(prov, tmp_path)
    helper.grow(5)
    return helper


def _failed(result: Result, code: int = 1) -> str:
    """Assert a clean failure with ``code`` (no traceback); return everything printed."""
    assert result.exit_code == code, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    return result.output


def _flip_bit(b64: str, bit: int = 0) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[bit // 8] ^= 1 << (bit % 8)
    return base64.b64encode(bytes(raw)).decode("ascii")


# -- checkpoint, prove, check-proof -----------------------------------------------------


@pytest.fixture
def proven(log: Log) -> tuple[Log, Path, Path, str]:
    """A checkpoint of size 6, then the proof and entry of the statement at position 3."""
    with Store.open(log.store_dir) as store:
        statement_id = store.index_range(3, 1)[0].statement_id
    log.checkpoint("cp6.note")
    log.ok("log", "prove", statement_id[:10], "--out", str(log.tmp / "s.proof"))
    log.ok("log", "entry", statement_id, "--raw", "--out", str(log.tmp / "s.entry"))
    return log, log.tmp / "s.proof", log.tmp / "s.entry", log.vkey


def test_checkpoint_prints_a_note_signed_by_the_log_key(log: Log) -> None:
    """The note verifies with `prov log vkey` and commits to the store's size and root."""
    note = log.ok("log", "checkpoint").stdout
    signed = open_checkpoint(note, parse_verifier_key(log.vkey))
    with Store.open(log.store_dir) as store:
        assert signed.checkpoint == Checkpoint(ORIGIN, 6, store.log_root(6))
    as_json = json.loads(log.ok("log", "checkpoint", "--json").stdout)
    assert as_json["size"] == 6 and as_json["note"].startswith(f"{ORIGIN}\n6\n")


def test_prove_then_check_proof_ok(proven: tuple[Log, Path, Path, str]) -> None:
    """A tlog-proof of leaf 3 against the checkpoint of size 6 checks offline."""
    log, proof, entry, vkey = proven
    assert proof.read_text().startswith("c2sp.org/tlog-proof@v1\nindex 3\n")
    assert parse_tlog_proof(proof.read_text()).index == 3
    result = log.prov("log", "check-proof", str(proof), str(entry), "--vkey", vkey)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"OK: entry is leaf 3 of {ORIGIN} at size 6\n"


def _tamper_entry(proof: str, entry: bytes, log: Log) -> tuple[str, bytes, str]:
    changed = bytearray(entry)
    changed[len(changed) // 2] ^= 0x01
    return proof, bytes(changed), log.vkey


def _tamper_hash(proof: str, entry: bytes, log: Log) -> tuple[str, bytes, str]:
    lines = proof.split("\n")
    lines[2] = _flip_bit(lines[2], 77)
    return "\n".join(lines), entry, log.vkey


def _other_key_signed(proof: str, entry: bytes, log: Log) -> tuple[str, bytes, str]:
    # Same origin, same checkpoint text, but signed by a key the log does not use.
    head, _, note = proof.partition("\n\n")
    text = note[: note.index("\n\n") + 1]
    log.prov.ok("key", "new", "intruder")
    other = KeyRing(log.keys_dir).load("intruder")
    forged = sign_note(text, ORIGIN, other.private_key)
    return f"{head}\n\n{forged}", entry, log.vkey


def _other_vkey(proof: str, entry: bytes, log: Log) -> tuple[str, bytes, str]:
    log.prov.ok("key", "new", "intruder")
    other = KeyRing(log.keys_dir).load("intruder")
    return proof, entry, format_verifier_key(ORIGIN, other.public_bytes)


def _edited_size(proof: str, entry: bytes, log: Log) -> tuple[str, bytes, str]:
    assert f"\n\n{ORIGIN}\n6\n" in proof
    return proof.replace(f"\n\n{ORIGIN}\n6\n", f"\n\n{ORIGIN}\n7\n"), entry, log.vkey


def _edited_index(proof: str, entry: bytes, log: Log) -> tuple[str, bytes, str]:
    return proof.replace("index 3\n", "index 2\n"), entry, log.vkey


@pytest.mark.parametrize(
    "tamper",
    [_tamper_entry, _tamper_hash, _other_key_signed, _other_vkey, _edited_size, _edited_index],
    ids=["entry-byte", "proof-hash-bit", "note-by-other-key", "vkey-mismatch", "size", "index"],
)
def test_check_proof_fails_on_tampering(proven: tuple[Log, Path, Path, str], tamper: Any) -> None:
    """Each alteration of the proof, its note, the entry or the key fails with exit 1."""
    log, proof_file, entry_file, _ = proven
    proof, entry, vkey = tamper(proof_file.read_text(), entry_file.read_bytes(), log)
    p, e = log.file("t.proof", proof), log.file("t.entry", entry)
    out = _failed(log.prov("log", "check-proof", str(p), str(e), "--vkey", vkey))
    assert "FAILED:" in out and "OK" not in out


def test_check_proof_unreadable_input_exits_2(proven: tuple[Log, Path, Path, str]) -> None:
    """A missing file, a file that is not a tlog-proof and a malformed key exit 2."""
    log, proof, entry, vkey = proven
    missing = log.prov("log", "check-proof", str(log.tmp / "nope"), str(entry), "--vkey", vkey)
    assert "error:" in _failed(missing, 2)
    junk = log.file("junk.proof", "hello\n")
    assert "not a tlog-proof" in _failed(
        log.prov("log", "check-proof", str(junk), str(entry), "--vkey", vkey), 2
    )
    bad_key = log.prov("log", "check-proof", str(proof), str(entry), "--vkey", "nope+1234+AA==")
    assert "--vkey" in _failed(bad_key, 2)


def test_check_proof_counts_witness_cosignatures(proven: tuple[Log, Path, Path, str]) -> None:
    """With --witness, a proof whose checkpoint lacks the quorum of cosignatures fails."""
    log, proof, entry, vkey = proven
    w1 = log.witness("w1")
    result = log.prov("log", "check-proof", str(proof), str(entry), "--vkey", vkey, "--witness", w1)
    assert "0 of the 1 required witness cosignatures" in _failed(result)
    # Once w1 cosigned and the log recorded it, a new proof carries the cosignature.
    line = log.cosign("w1", log.tmp / "cp6.note")
    assert line.exit_code == 0, line.output
    log.ok("log", "cosigned", "6", str(log.file("w1.cosig", line.stdout)), "--witness", w1)
    with Store.open(log.store_dir) as store:
        sid = store.index_range(3, 1)[0].statement_id
    log.ok("log", "prove", sid, "--out", str(proof), "--witness", w1, "--force")
    ok = log.prov("log", "check-proof", str(proof), str(entry), "--vkey", vkey, "--witness", w1)
    assert ok.exit_code == 0, ok.output
    assert "cosigned by 1 of 1 witnesses: w.example/w1" in ok.stdout


def test_prove_refuses_a_statement_after_the_checkpoint(log: Log) -> None:
    """A statement not covered by the checkpoint gets a one-line error, no proof."""
    log.checkpoint("cp6.note")
    (late,) = log.grow(1)
    result = log("log", "prove", late, "--out", str(log.tmp / "late.proof"))
    out = _failed(result, 2)
    assert out.count("\n") == 1 and "sign a newer checkpoint" in out
    assert not (log.tmp / "late.proof").exists()
    log.checkpoint("cp7.note")
    log.ok("log", "prove", late)
    # An explicit older checkpoint is refused the same way; an unknown size is an error.
    assert "sign a newer checkpoint" in _failed(log("log", "prove", late, "--checkpoint", "6"), 2)
    assert "no checkpoint of size 5" in _failed(log("log", "prove", late, "--checkpoint", "5"), 2)


def test_prove_against_an_older_checkpoint(log: Log) -> None:
    """--checkpoint SIZE proves against that stored checkpoint, not the latest."""
    first = log.grow(1)[0]
    log.checkpoint("cp7.note")
    log.grow(3)
    log.checkpoint("cp10.note")
    proof = log.ok("log", "prove", first, "--checkpoint", "7").stdout
    assert f"\n\n{ORIGIN}\n7\n" in proof
    entry = log.file("e", log.ok("log", "entry", first, "--raw").stdout_bytes)
    result = log.prov(
        "log", "check-proof", str(log.file("p", proof)), str(entry), "--vkey", log.vkey
    )
    assert result.stdout == f"OK: entry is leaf 6 of {ORIGIN} at size 7\n"


# -- consistency --------------------------------------------------------------------


def test_consistency_between_two_checkpoints_verifies(log: Log) -> None:
    """`log consistency 6 9` writes the documented format and checks offline."""
    old = log.checkpoint("cp6.note")
    log.grow(3)
    new = log.checkpoint("cp9.note")
    out = log.tmp / "6-9.consistency"
    log.ok("log", "consistency", "6", "9", "--out", str(out))
    text = out.read_text()
    lines = text.splitlines()
    assert lines[:3] == ["prov-consistency/v1", "old 6", "new 9"]
    with Store.open(log.store_dir) as store:
        assert parse_consistency_proof(text) == (6, 9, store.log_consistency(6, 9))
    result = log.prov("log", "check-consistency", str(old), str(new), str(out), "--vkey", log.vkey)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"OK: {ORIGIN} at size 9 extends size 6\n"


def test_consistency_proof_for_other_sizes_fails(log: Log) -> None:
    """A proof for other sizes, swapped checkpoints or a flipped hash fail with exit 1."""
    cp6 = log.checkpoint("cp6.note")
    log.grow(2)
    log.checkpoint("cp8.note")
    log.grow(3)
    cp11 = log.checkpoint("cp11.note")
    vkey = log.vkey
    p6_8 = log.file("6-8", log.ok("log", "consistency", "6", "8").stdout)
    p6_11 = log.file("6-11", log.ok("log", "consistency", "6", "11").stdout)

    def check(old: Path, new: Path, proof: Path) -> Result:
        return log.prov("log", "check-consistency", str(old), str(new), str(proof), "--vkey", vkey)

    assert "FAILED: the proof is from size 6 to 8" in _failed(check(cp6, cp11, p6_8))
    assert "FAILED:" in _failed(check(cp11, cp6, p6_11))
    # The same hashes relabelled with the checkpoints' sizes do not verify either.
    relabelled = p6_8.read_text().replace("new 8\n", "new 11\n")
    assert "FAILED:" in _failed(check(cp6, cp11, log.file("relabelled", relabelled)))
    lines = p6_11.read_text().splitlines(keepends=True)
    lines[-1] = _flip_bit(lines[-1].strip(), 3) + "\n"
    assert "FAILED:" in _failed(check(cp6, cp11, log.file("flipped", "".join(lines))))
    assert check(cp6, cp11, p6_11).exit_code == 0
    # A checkpoint note that the log did not sign fails; a malformed proof file exits 2.
    forged = log.file("forged", cp11.read_text().replace(f"{ORIGIN}\n11\n", f"{ORIGIN}\n12\n"))
    assert "FAILED:" in _failed(check(cp6, forged, p6_11))
    assert "consistency proof" in _failed(check(cp6, cp11, log.file("junk", "junk\n")), 2)


def test_consistency_needs_stored_checkpoint_sizes(log: Log) -> None:
    """Sizes that are not stored checkpoints, or OLD > NEW, are bad input (exit 2)."""
    log.checkpoint("cp6.note")
    log.grow(2)
    log.checkpoint("cp8.note")
    assert "no checkpoint of size 7" in _failed(log("log", "consistency", "6", "7"), 2)
    assert "must not be greater" in _failed(log("log", "consistency", "8", "6"), 2)
    assert log.ok("log", "consistency", "8", "8").stdout == "prov-consistency/v1\nold 8\nnew 8\n"


def test_consistency_file_format_round_trips_and_is_strict() -> None:
    """format/parse agree; anything off the documented format is refused."""
    h = [bytes(range(32)), bytes(32)]
    text = format_consistency_proof(3, 7, h)
    assert text == (
        "prov-consistency/v1\nold 3\nnew 7\n"
        + "".join(base64.b64encode(x).decode() + "\n" for x in h)
    )
    assert parse_consistency_proof(text) == (3, 7, h)
    from provenance.errors import InputError

    for bad in (
        text.rstrip("\n"),
        text.replace("v1", "v2"),
        text.replace("old 3", "old 03"),
        text.replace("new 7", "new  7"),
        text + "\n",
        text.replace("AAECAw", "AAECA*"),
        text.replace("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "AAAA"),
        "prov-consistency/v1\nold 3\n",
    ):
        with pytest.raises(InputError):
            parse_consistency_proof(bad)


# -- witnesses ------------------------------------------------------------------------


def test_witness_cosigns_only_consistent_growth(log: Log) -> None:
    """First cosign (no state) is fine; growth needs a proof; a rollback is refused."""
    log.witness("w1")
    state = log.keys_dir / "witness-state.json"
    cp6 = log.checkpoint("cp6.note")
    first = log.cosign("w1", cp6)
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("— w.example/w1 ") and first.stdout.count("\n") == 1
    root6 = open_checkpoint(cp6.read_text(), parse_verifier_key(log.vkey)).checkpoint.root_hash
    assert json.loads(state.read_text()) == {
        ORIGIN: {"size": 6, "root": base64.b64encode(root6).decode()}
    }

    log.grow(4)
    cp10 = log.checkpoint("cp10.note")
    missing = log.cosign("w1", cp10)
    assert "--proof" in _failed(missing, 2)
    assert json.loads(state.read_text())[ORIGIN]["size"] == 6

    wrong = log.file("6-6", log.ok("log", "consistency", "6", "6").stdout)
    assert "not from the cosigned size 6 to 10" in _failed(
        log.cosign("w1", cp10, "--proof", str(wrong))
    )
    good = log.file("6-10", log.ok("log", "consistency", "6", "10").stdout)
    second = log.cosign("w1", cp10, "--proof", str(good))
    assert second.exit_code == 0, second.output
    assert json.loads(state.read_text())[ORIGIN]["size"] == 10
    assert list(log.keys_dir.glob(".witness-state*")) == []  # no temporary file left

    rollback = log.cosign("w1", cp6)
    assert "rollback" in _failed(rollback)
    assert json.loads(state.read_text())[ORIGIN]["size"] == 10
    # The same checkpoint again is fine (same size, same root), without a proof.
    assert log.cosign("w1", cp10).exit_code == 0


def test_witness_refuses_a_checkpoint_the_log_did_not_sign(log: Log) -> None:
    """A note edited after signing, or checked with the wrong log key, is not cosigned."""
    log.witness("w1")
    cp6 = log.checkpoint("cp6.note")
    forged = log.file("forged", cp6.read_text().replace(f"{ORIGIN}\n6\n", f"{ORIGIN}\n60\n"))
    assert "error:" in _failed(log.cosign("w1", forged))
    other = log.witness("w2")  # a 0x04 key is not a log key
    result = log(
        "witness", "cosign", str(cp6), "--key", "w1", "--name", "w.example/w1", "--vkey", other
    )
    assert "--vkey" in _failed(result, 2)
    assert not (log.keys_dir / "witness-state.json").exists()


def test_witness_state_option_and_vkey(log: Log) -> None:
    """--state picks the state file; `witness vkey` is a 0x04 key of the witness's name."""
    vkey = parse_verifier_key(log.witness("w1"))
    assert (vkey.name, vkey.key_type) == ("w.example/w1", COSIGNATURE_V1)
    assert vkey.public_key == log.key("w1").public_bytes
    cp6 = log.checkpoint("cp6.note")
    state = log.tmp / "elsewhere" / "state.json"
    assert log.cosign("w1", cp6, "--state", str(state)).exit_code == 0
    assert json.loads(state.read_text())[ORIGIN]["size"] == 6
    assert not (log.keys_dir / "witness-state.json").exists()
    state.write_text("[1, 2]")
    assert "malformed" in _failed(log.cosign("w1", cp6, "--state", str(state)), 2)


def test_cosigned_policy_and_show(log: Log) -> None:
    """Recorded cosignatures are listed; trusted only once the policy's quorum is met."""
    w1, w2 = log.witness("w1"), log.witness("w2")
    cp6 = log.checkpoint("cp6.note")
    shown = log.ok("log", "checkpoint", "--show").stdout
    assert "size 6" in shown and "cosigners: none" in shown and "no witness policy" in shown

    log.ok("log", "policy", "--witness", w1, "--witness", w2, "--quorum", "2")
    assert json.loads(log.ok("log", "policy", "--json").stdout) == {
        "witnesses": [w1, w2],
        "quorum": 2,
    }
    assert (
        "not trusted (0 of 2 policy witnesses cosigned, 2 required)"
        in log.ok("log", "checkpoint", "--show").stdout
    )

    line1 = log.file("w1.cosig", log.cosign("w1", cp6).stdout)
    line2 = log.file("w2.cosig", log.cosign("w2", cp6).stdout)
    # w2's line does not verify as w1's: refused, nothing recorded.
    assert "does not verify" in _failed(log("log", "cosigned", "6", str(line2), "--witness", w1), 2)
    log.ok("log", "cosigned", "6", str(line1), "--witness", w1)
    shown = log.ok("log", "checkpoint", "--show").stdout
    assert (
        "cosigners: w.example/w1 " in shown
        and "not trusted (1 of 2 policy witnesses cosigned, 2 required)" in shown
    )

    log.ok("log", "cosigned", "6", str(line2), "--witness", w2)
    listed = json.loads(log.ok("log", "checkpoint", "--show", "--json").stdout)
    (item,) = listed["checkpoints"]
    assert [c["witness"] for c in item["cosigners"]] == ["w.example/w1", "w.example/w2"]
    assert item["trusted"] is True
    assert (
        "  trusted (2 of 2 policy witnesses cosigned, 2 required)"
        in log.ok("log", "checkpoint", "--show").stdout
    )

    # A later checkpoint is not trusted until cosigned in turn: w1 alone is not enough
    # under the quorum of 2, and is once the policy asks for 1.
    log.grow(1)
    cp7 = log.checkpoint("cp7.note")
    proof = log.file("6-7", log.ok("log", "consistency", "6", "7").stdout)
    line = log.file("w1-7.cosig", log.cosign("w1", cp7, "--proof", str(proof)).stdout)
    log.ok("log", "cosigned", "7", str(line), "--witness", w1)
    listed = json.loads(log.ok("log", "checkpoint", "--show", "--json").stdout)
    assert [c["trusted"] for c in listed["checkpoints"]] == [True, False]
    assert listed["checkpoints"][1]["policy_cosigners"] == ["w.example/w1"]
    log.ok("log", "policy", "--witness", w1, "--witness", w2, "--quorum", "1")
    listed = json.loads(log.ok("log", "checkpoint", "--show", "--json").stdout)
    assert [c["trusted"] for c in listed["checkpoints"]] == [True, True]
    # Checkpoints, cosignatures and the policy leave the record intact.
    assert "OK" in log.ok("verify").stdout


def test_policy_refuses_bad_quorum_and_log_keys(log: Log) -> None:
    """The quorum is 1..len(witnesses); a witness key must be a cosignature (0x04) key."""
    w1 = log.witness("w1")
    assert "between 1 and 1" in _failed(log("log", "policy", "--witness", w1, "--quorum", "2"), 2)
    assert "between 1 and 1" in _failed(log("log", "policy", "--witness", w1, "--quorum", "0"), 2)
    assert "--quorum is required" in _failed(log("log", "policy", "--witness", w1), 2)
    assert "0x04" in _failed(log("log", "policy", "--witness", log.vkey, "--quorum", "1"), 2)
    assert log.ok("log", "policy").stdout == "no witness policy\n"


# -- vkey, entry, stores without a log ---------------------------------------------------


def test_vkey_parses_and_is_the_log_keys(log: Log) -> None:
    """`prov log vkey` prints NAME+ID+KEY of root-log under the store's origin."""
    verifier = parse_verifier_key(log.vkey)
    assert verifier.name == ORIGIN
    assert verifier.vkey == format_verifier_key(ORIGIN, log.key("root-log").public_bytes)


def test_entry_raw_is_the_stored_envelope(log: Log) -> None:
    """`log entry --raw` writes the stored envelope bytes exactly, to stdout or a file."""
    with Store.open(log.store_dir) as store:
        record = store.statement(store.index_range(2, 1)[0].statement_id)
    assert log.ok("log", "entry", record.statement_id, "--raw").stdout_bytes == record.envelope.raw
    out = log.tmp / "entry.bin"
    log.ok("log", "entry", record.statement_id[:12], "--raw", "--out", str(out))
    assert out.read_bytes() == record.envelope.raw
    info = json.loads(log.ok("log", "entry", record.statement_id, "--json").stdout)
    assert info["leaf"] == 2 and info["bytes"] == len(record.envelope.raw)
    assert base64.b64decode(info["leaf_hash"]) == leaf_hash(record.envelope.raw)


def test_imported_store_needs_log_init(log: Log) -> None:
    """A store made by import has no log key: checkpoint says so until `log init`."""
    export = log.tmp / "store.jsonl"
    log.ok("export", "--out", str(export))
    copy = log.tmp / "copy"
    root_id = log.key("root").key_id
    log.prov.ok("import", str(export), "--store", str(copy), "--root-key-id", root_id)

    refused = log.prov("log", "checkpoint", "--store", str(copy))
    assert "prov log init" in _failed(refused, 2)
    assert "prov log init" in _failed(log.prov("log", "vkey", "--store", str(copy)), 2)

    done = log.prov.ok("log", "init", "--origin", "example.org/copy", "--key-name", "copy-log",
                       "--store", str(copy))  # fmt: skip
    assert "example.org/copy" in done.stdout
    # The default root-log is the original store's log key, not this one's.
    wrong = log.prov("log", "checkpoint", "--store", str(copy))
    assert "not this log's key" in _failed(wrong, 2)
    note = log.prov.ok("log", "checkpoint", "--store", str(copy), "--log-key", "copy-log").stdout
    vkey = log.prov.ok("log", "vkey", "--store", str(copy)).stdout.strip()
    signed = open_checkpoint(note, parse_verifier_key(vkey))
    with Store.open(log.store_dir) as original:
        assert signed.checkpoint.root_hash == original.log_root(6)  # same leaves, same root
    again = log.prov("log", "init", "--origin", "example.org/other", "--store", str(copy))
    assert "already set up" in _failed(again, 2)


def test_checkpoint_with_a_missing_or_foreign_log_key(log: Log) -> None:
    """A missing key file names --log-key; another key is refused as not the log's."""
    missing = log("log", "checkpoint", "--log-key", "nope-log")
    assert "--log-key" in _failed(missing, 2)
    log.ok("key", "new", "other")
    assert "not this log's key" in _failed(log("log", "checkpoint", "--log-key", "other"), 2)
    env: dict[str, str | None] = {"PROV_STORE": str(log.store_dir), "PROV_LOG_KEY": "nope-log"}
    assert "nope-log" in _failed(log.prov("log", "checkpoint", env=env), 2)
    with Store.open(log.store_dir) as store:
        from provenance.store.checkpoints import checkpoints

        assert checkpoints(store) == []


# -- documentation ---------------------------------------------------------------------


def _leaves(group: click.Group) -> Iterator[click.Command]:
    yield group
    for command in group.commands.values():
        if isinstance(command, click.Group):
            yield from _leaves(command)
        else:
            yield command


@pytest.mark.parametrize(
    "group", [*log_commands.COMMANDS, *witness_commands.COMMANDS], ids=lambda g: g.name
)
def test_every_command_ends_with_an_example(group: click.Group) -> None:
    """Each docstring ends with a `\\b` line, then `Example:` and indented commands."""
    for command in _leaves(group):
        help_text = (command.help or "").rstrip()
        lines = [line.strip() for line in help_text.splitlines()]
        start = lines.index("Example:")
        assert lines[start - 1] == "\b", command.name
        assert lines[start + 1 :] and all(
            line.startswith("prov ") or line.startswith("--") for line in lines[start + 1 :]
        ), command.name
