"""The standalone verifier and ``prov bundle verify`` on hostile input and witness quorums.

Issue 10 §D: a file that is not a bundle exits 2 with one ``error:`` line,
never 1 and never a traceback (RecursionError, OverflowError,
UnicodeEncodeError, AssertionError); witnesses count by distinct key; a
cosignature line from a known witness that does not verify, or whose
timestamp is beyond C2SP's limit, fails the checkpoint.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from provenance.bundle import standalone
from provenance.bundle.offline_verify import BundleError, verify_bundle
from provenance_cli.main import cli

HERE = Path(__file__).resolve().parents[1] / "golden"
LOG: dict[str, Any] = json.loads((HERE / "log.json").read_text())
GOLDEN = (HERE / "bundle-finding.json").read_bytes()
VKEY, WITNESS = LOG["log_vkey"], LOG["witness_vkey"]


@pytest.fixture(scope="module")
def pyz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pyz") / "prov-verify.pyz"
    path.write_bytes(standalone.build())
    return path


def run(pyz: Path, bundle: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-I", str(pyz), str(bundle), "--vkey", VKEY, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def prov(bundle: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["bundle", "verify", str(bundle), "--vkey", VKEY, *args])


NOT_BUNDLES: dict[str, bytes] = {
    "empty": b"",
    "not JSON": b"hello",
    "not UTF-8": b'{"bundle": "\xff"}',
    "an array": b"[]",
    "another format": b'{"bundle": "prov-bundle/v2"}',
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "a number beyond float": b'{"bundle": 1e400}',
    "a huge integer": b'{"bundle": ' + b"9" * 5000 + b"}",
    "a lone surrogate": b'{"bundle": "prov-bundle/v1", "subject": "\\ud800"}',
    "NaN": b'{"bundle": NaN}',
}


def _golden(**changes: Any) -> bytes:
    bundle = json.loads(GOLDEN)
    bundle.update(changes)
    return json.dumps(bundle).encode()


NOT_BUNDLES |= {
    "statements not a list": _golden(statements={}),
    "checkpoint not a string": _golden(checkpoint=4),
    "as_of without a position": _golden(as_of={"received_at": "x"}),
    "a position that is true": _golden(as_of={"position": True, "received_at": "x"}),
    "no root key id": _golden(log={}),
    "a member missing": json.dumps(
        {k: v for k, v in json.loads(GOLDEN).items() if k != "attachments"}
    ).encode(),
    # A tampered statements array followed by the genuine one: JSON keeps the last.
    "duplicate members": GOLDEN.replace(
        b'"statements": [', b'"statements": [], "statements": [', 1
    ),
}


@pytest.mark.parametrize("data", NOT_BUNDLES.values(), ids=NOT_BUNDLES.keys())
def test_a_file_that_is_not_a_bundle_exits_2_on_both(
    pyz: Path, tmp_path: Path, data: bytes
) -> None:
    bundle = tmp_path / "b.json"
    bundle.write_bytes(data)
    done = run(pyz, bundle)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == "" and done.stderr.startswith("error: not a bundle")
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1
    result = prov(bundle)
    assert result.exit_code == 2, result.output
    assert "error: not a bundle" in result.output and "Traceback" not in result.output


def test_the_golden_bundle_verifies_on_both(pyz: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "b.json"
    bundle.write_bytes(GOLDEN)
    done = run(pyz, bundle, "--witness", WITNESS)
    assert done.returncode == 0 and done.stdout.startswith("OK: "), done.stdout + done.stderr
    assert prov(bundle, "--witness", WITNESS).exit_code == 0


def test_one_witness_given_twice_is_one_witness(pyz: Path, tmp_path: Path) -> None:
    """Issue 10 §D: --quorum 2 is not met by one key named twice."""
    bundle = tmp_path / "b.json"
    bundle.write_bytes(GOLDEN)
    twice = ("--witness", WITNESS, "--witness", WITNESS)
    done = run(pyz, bundle, *twice, "--quorum", "2")
    assert done.returncode == 2 and "between 0 and 1" in done.stderr, done.stderr
    assert prov(bundle, *twice, "--quorum", "2").exit_code == 2
    with pytest.raises(BundleError, match="between 0 and 1"):
        verify_bundle(GOLDEN, VKEY, [WITNESS, WITNESS], 2)
    report = verify_bundle(GOLDEN, VKEY, [WITNESS, WITNESS])
    assert report.ok and report.cosigners == [LOG["witness_name"]]


def _witness_line(change: Any) -> bytes:
    bundle = json.loads(GOLDEN)
    head, _, line = bundle["checkpoint"].rstrip("\n").rpartition("\n")
    name, _, sig64 = line.removeprefix("— ").partition(" ")
    raw = bytearray(base64.b64decode(sig64))
    change(raw)
    line = f"— {name} {base64.b64encode(bytes(raw)).decode()}"
    bundle["checkpoint"] = f"{head}\n{line}\n"
    return json.dumps(bundle).encode()


def _flip_signature(raw: bytearray) -> None:
    raw[20] ^= 1  # key id (4) + timestamp (8) + inside the Ed25519 signature


def _timestamp_beyond_the_limit(raw: bytearray) -> None:
    raw[4:12] = (2**63).to_bytes(8, "big")  # C2SP tlog-cosignature: at most 2^63 - 1


@pytest.mark.parametrize(
    "change, words",
    [(_flip_signature, "invalid signature"), (_timestamp_beyond_the_limit, "invalid signature")],
    ids=["forged", "timestamp over the limit"],
)
def test_a_bad_cosignature_by_a_known_witness_fails(
    pyz: Path, tmp_path: Path, change: Any, words: str
) -> None:
    bundle = tmp_path / "b.json"
    bundle.write_bytes(_witness_line(change))
    done = run(pyz, bundle, "--witness", WITNESS, "--quorum", "0")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED: checkpoint does not verify" in done.stdout and words in done.stdout
    assert prov(bundle, "--witness", WITNESS, "--quorum", "0").exit_code == 1
    # A line by a key the verifier was not given is ignored (signed-note §Signatures).
    assert run(pyz, bundle).returncode == 0


def test_control_characters_from_a_bundle_are_printed_escaped(pyz: Path, tmp_path: Path) -> None:
    """A hostile subject cannot rewrite the terminal line that says OK or FAILED."""
    bundle = tmp_path / "b.json"
    bundle.write_bytes(_golden(subject="x\r\x1b[2KOK: all fine"))
    done = run(pyz, bundle)
    assert done.returncode == 1
    assert "\x1b" not in done.stdout and "\r" not in done.stdout
    assert "\\x1b" in done.stdout
    result = prov(bundle)
    assert result.exit_code == 1 and "\x1b" not in result.output and "\r" not in result.output


def test_the_zipapp_is_reproducible_and_holds_only_the_pure_modules() -> None:
    assert standalone.build() == standalone.build()
    names = set(standalone.modules())
    assert "provenance.bundle.offline_verify" in names
    assert {"provenance.rules.acceptance", "provenance.rules.ledger"} <= names
    assert {"provenance.rules.payload", "provenance.log.note", "provenance.log.proof"} <= names
    assert not any(n.startswith(("provenance.store", "provenance.model")) for n in names)


@pytest.mark.parametrize(
    "step, words",
    [
        ("x", "members must be"),
        ({"checkpoint": "x"}, "members must be"),
        ({"checkpoint": "x", "consistency": [], "more": 1}, "members must be"),
        ({"checkpoint": 1, "consistency": []}, "checkpoint must be a string"),
        ({"checkpoint": json.loads(GOLDEN)["checkpoint"], "consistency": {}}, "a list"),
        (
            {"checkpoint": json.loads(GOLDEN)["checkpoint"], "consistency": []},
            "names no new log key",
        ),
        ({"checkpoint": "not a note", "consistency": []}, "key transition 0 is malformed"),
    ],
)
def test_a_malformed_key_transition_is_a_failure(step: Any, words: str) -> None:
    found = verify_bundle(_golden(key_transitions=[step]), VKEY).failures
    assert found and found[0].startswith("key transition 0 is malformed") and words in found[0]


def test_printable_escapes_what_a_terminal_would_obey() -> None:
    from provenance.rules.text import printable

    assert printable("ok é ✓") == "ok é ✓"
    assert printable("a\rb\x1b[2K\u202e\x85") == "a\\x0db\\x1b[2K\\u202e\\x85"
    assert printable("\ud800\udfff") == "\\ud800\\udfff"


def test_one_witness_key_under_two_names_is_refused(pyz: Path, tmp_path: Path) -> None:
    """A cosignature signs the checkpoint and a time, not the name: one key under two
    names would count twice, so it is bad input (exit 2)."""
    from provenance.log.note import COSIGNATURE_V1, format_verifier_key, parse_verifier_key

    public = parse_verifier_key(WITNESS).public_key
    alias = format_verifier_key("example.invalid/alias", public, COSIGNATURE_V1)
    bundle = json.loads(GOLDEN)
    head, _, line = bundle["checkpoint"].rstrip("\n").rpartition("\n")
    sig = base64.b64decode(line.rpartition(" ")[2])
    alias_id = parse_verifier_key(alias).key_id.to_bytes(4, "big")
    copied = f"— example.invalid/alias {base64.b64encode(alias_id + sig[4:]).decode()}"
    bundle["checkpoint"] = f"{head}\n{line}\n{copied}\n"
    data = json.dumps(bundle).encode()
    for quorum in (1, 2):
        with pytest.raises(BundleError, match="one --witness public key is given under two"):
            verify_bundle(data, VKEY, [WITNESS, alias], quorum)
    report = verify_bundle(data, VKEY, [WITNESS], 1)
    assert report.ok and report.cosigners == [LOG["witness_name"]], report.failures
    path = tmp_path / "b.json"
    path.write_bytes(data)
    done = run(pyz, path, "--witness", WITNESS, "--witness", alias, "--quorum", "2")
    assert done.returncode == 2 and "under two names" in done.stderr, done.stdout + done.stderr
