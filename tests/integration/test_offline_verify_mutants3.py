"""The standalone verifier's last unargued survivors of mutation testing, killed in-process.

These complete tests/integration/test_offline_verify_mutants2.py (issue 10 §H):
a key id whose characters are stripped with the wrong alphabet, a proof of
exactly two lines, a proof with an empty line before its hashes, a witness key
given twice before a third one, two witness keys whose names and key IDs
collide, a rule that breaks on a statement instead of judging it, and the
command line reading a file of exactly the size limit. Each
test checks the exact failures or the exact ``BundleError``. No zipapp is
built here, so a mutated module can run these (docs/testing.md).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from provenance.bundle import offline_verify as ov
from provenance.bundle.offline_verify import BundleError, verify_bundle
from provenance.log.note import COSIGNATURE_V1, format_verifier_key, key_id, parse_verifier_key
from provenance.rules import acceptance
from tests.integration.test_offline_verify_mutants2 import (
    LOG,
    VKEY,
    WITNESS,
    _envelope,
    _label,
    _statement,
    failures,
    golden,
    malformed,
)
from tests.unit.exact import raises_exactly

HEADER = "c2sp.org/tlog-proof@v1"


# -- _parse_envelope: the key id's alphabet -------------------------------------------------


@pytest.mark.parametrize("keyid", ["X" * 64, "a" * 63 + "X", "X" + "0" * 63])
def test_a_keyid_holds_hex_digits_only(keyid: str) -> None:
    found = _envelope(lambda e: e["signatures"][0].update(keyid=keyid))
    assert found == malformed(3, "the envelope's keyid is not a lower-case hex SHA-256")


# -- _parse_statement: the proof's lines ----------------------------------------------------


def test_a_proof_of_a_header_and_an_index_line_lacks_the_checkpoint() -> None:
    # Two lines pass the header and index checks; the missing "\n\n" is what is wrong.
    found = _statement(lambda st: st.update(proof=f"{HEADER}\nindex 3"))
    assert found == malformed(3, "proof does not end with the bundle's checkpoint")


def test_a_proof_whose_checkpoint_is_not_the_bundles_is_refused() -> None:
    # An empty line right after the index line ends the proof there: what follows, the
    # hashes and then the bundle's checkpoint, would be read as the proof's checkpoint.
    found = _statement(lambda st: st.update(proof=st["proof"].replace("index 3\n", "index 3\n\n")))
    assert found == malformed(3, f"proof is not a {HEADER} for index 3")


# -- _keys: witnesses -------------------------------------------------------------------------


def _cosigner(name: str, public: bytes) -> str:
    return format_verifier_key(name, public, COSIGNATURE_V1)


def test_a_witness_given_twice_does_not_hide_the_next_one() -> None:
    data = json.dumps(golden()).encode()
    third = _cosigner("third.example/w", hashlib.sha256(b"third witness").digest())
    report = verify_bundle(data, VKEY, [WITNESS, WITNESS, third], 2)
    assert report.failures == ["checkpoint has 1 of the 2 required witness cosignatures"]
    assert report.cosigners == [LOG["witness_name"]]
    # A malformed key after the repeated one is still read, and refused.
    with pytest.raises(BundleError) as info:
        verify_bundle(data, VKEY, [WITNESS, WITNESS, "junk"])
    assert str(info.value).startswith("'junk' is not a verifier key NAME+KEYID+KEY (--witness: ")


def _colliding_keys(name: str) -> tuple[bytes, bytes]:
    """Two 32-byte keys whose cosignature key IDs under ``name`` are equal (a 32-bit ID)."""
    seen: dict[int, bytes] = {}
    n = 0
    while True:
        public = hashlib.sha256(n.to_bytes(8, "big")).digest()
        kid = key_id(name, COSIGNATURE_V1, public)
        if kid in seen:
            return seen[kid], public
        seen[kid] = public
        n += 1


def test_two_witness_keys_under_one_name_and_key_id_are_refused() -> None:
    name = "collide.example/w"
    first, second = _colliding_keys(name)
    a, b = _cosigner(name, first), _cosigner(name, second)
    assert a != b and parse_verifier_key(a).key_id == parse_verifier_key(b).key_id
    with raises_exactly(BundleError, f"two different --witness keys are named {name}"):
        verify_bundle(json.dumps(golden()).encode(), VKEY, [a, b])


# -- _check_one: a rule that breaks -----------------------------------------------------------


@pytest.mark.parametrize(
    ("broken", "text"),
    [
        (KeyError("body"), "KeyError 'body'"),
        (TypeError("odd"), "TypeError odd"),
        (ValueError("bad value"), "ValueError bad value"),
    ],
)
def test_a_rule_that_breaks_is_a_failure_naming_the_error(
    monkeypatch: pytest.MonkeyPatch, broken: Exception, text: str
) -> None:
    check = acceptance.check_statement

    def breaks_at_3(facts: Any, payload: Any, **kwargs: Any) -> None:
        if kwargs["position"] == 3:
            raise broken
        check(facts, payload, **kwargs)

    monkeypatch.setattr(acceptance, "check_statement", breaks_at_3)
    assert failures(golden()) == [f"{_label(3)}cannot be checked: {text}"]


# -- main: the size limit ---------------------------------------------------------------------


def test_the_command_reads_a_bundle_of_exactly_the_size_limit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = json.dumps(golden()).encode()
    monkeypatch.setattr(ov, "MAX_BUNDLE_BYTES", len(data))
    path = tmp_path / "bundle.json"
    path.write_bytes(data)
    assert ov.main([str(path), "--vkey", VKEY]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("OK: 4 statements on finding-rapid-use ") and err == ""
    path.write_bytes(data + b" ")
    assert ov.main([str(path), "--vkey", VKEY]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"error: not a bundle: it is over {len(data)} bytes\n"
