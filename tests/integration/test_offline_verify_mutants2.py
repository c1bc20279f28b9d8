"""The standalone verifier's survivors of mutation testing, killed in-process (issue 10 §H).

Each test changes one thing in a bundle that verifies (the golden bundle of
tests/golden/, or a small store's bundle with attachments and a log-key
transition) and checks the exact failures ``verify_bundle`` reports, or the
exact ``BundleError`` it raises: each malformed entry, envelope, proof,
attachment and key transition refused with its own message; attachments
listed once, with their sizes and hashes; order, positions and receipt times.
No zipapp is built here, so a mutated module can run these (docs/testing.md).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from provenance.bundle import offline_verify as ov
from provenance.bundle.export import encode_bundle, export_bundle
from provenance.bundle.offline_verify import BundleError, verify_bundle
from provenance.errors import InputError
from provenance.log.checkpoint import Checkpoint
from provenance.log.note import (
    COSIGNATURE_V1,
    format_verifier_key,
    parse_note,
    parse_verifier_key,
    sign_note,
    signature_line,
)
from provenance.rules import strict_json
from provenance.store.checkpoints import rotate_log_key, sign_checkpoint
from tests.conftest import make_world
from tests.golden import generate_bundle, generate_log
from tests.unit.exact import raises_exactly

LOG: dict[str, Any] = json.loads(generate_log.VECTORS.read_text())
GOLDEN: dict[str, Any] = json.loads((generate_bundle.HERE / "bundle-finding.json").read_text())
VKEY: str = LOG["log_vkey"]
WITNESS: str = LOG["witness_vkey"]
ORIGIN = "example.org/mutants2"


def golden() -> dict[str, Any]:
    """A fresh copy of the golden bundle (4 statements at positions 0-3, size 4)."""
    return copy.deepcopy(GOLDEN)


def failures(bundle: dict[str, Any], vkey: str = VKEY, **kwargs: Any) -> list[str]:
    return verify_bundle(json.dumps(bundle).encode(), vkey, **kwargs).failures


def malformed(n: int, what: str) -> list[str]:
    """Statement ``n`` (the golden bundle's last, its only statement of the subject) refused."""
    return [
        f"statement {n} is malformed: {what}",
        f"the bundle holds no statement of its subject {GOLDEN['subject']}",
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A store with two attachments and a log-key transition; its bundle carries both files."""
    world = make_world(tmp_path_factory.mktemp("mutants2"))
    store = world.store
    old = world.new_key("log")
    store.configure_log(ORIGIN, format_verifier_key(ORIGIN, old.public_bytes))
    old_vkey = store.meta["log_vkey"]
    world.evidence("item-1")
    digests = []
    for n, data in enumerate([b"\x89PNG not really a photograph", b"a second file, longer"]):
        info = store.blobs.put_bytes(data)
        body = {"digest": info.digest, "size": info.size, "media_type": "image/png"}
        world.put("alice", "evidence.attached", "item-1", {**body, "filename": f"f{n}.png"})
        digests.append((info.digest, info.size))
    world.finding("finding-1", ["item-1"])
    world.assess("finding-1")
    mid = world.new_key("log-2")
    transition = rotate_log_key(store, old, mid)
    mid_vkey = store.meta["log_vkey"]
    world.assess("finding-1", signer="alice")
    new = world.new_key("log-3")
    rotate_log_key(store, mid, new)
    world.assess("finding-1")
    sign_checkpoint(store, new)
    bundle = export_bundle(store, "finding-1", with_attachments=True)
    out = {
        "bundle": json.loads(encode_bundle(bundle)),
        "old": old,
        "new": new,
        "mid": mid,
        "old_vkey": old_vkey,
        "mid_vkey": mid_vkey,
        "new_vkey": store.meta["log_vkey"],
        "transition": transition.note,
        "digests": sorted(digests),
    }
    store.close()
    return out


def fresh(built: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(built["bundle"])


# -- the untouched bundles --------------------------------------------------------------


def test_the_golden_bundle_reports_what_it_checked() -> None:
    report = verify_bundle(json.dumps(golden()).encode(), VKEY, [WITNESS], 1)
    assert report.failures == []
    assert (report.subject, report.position, report.statements) == ("finding-rapid-use", 3, 4)
    assert (report.origin, report.size, report.log_key) == (LOG["origin"], 4, VKEY)
    assert report.cosigners == [LOG["witness_name"]]
    assert (report.attachments, report.attachment_files) == (0, 0)


def test_the_built_bundle_verifies_from_either_key(built: dict[str, Any]) -> None:
    data = json.dumps(fresh(built)).encode()
    for vkey in (built["old_vkey"], built["mid_vkey"], built["new_vkey"]):
        report = verify_bundle(data, vkey)
        assert report.failures == []
        assert report.log_key == built["new_vkey"]
        assert (report.attachments, report.attachment_files) == (2, 2)
        assert report.statements == len(built["bundle"]["statements"])
    # A verifier key read from a file keeps its newline: it is stripped.
    assert verify_bundle(data, built["old_vkey"] + "\n").ok


# -- §2 the file ------------------------------------------------------------------------


def test_the_size_limit_is_checked_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    data = json.dumps(golden()).encode()
    monkeypatch.setattr(ov, "MAX_BUNDLE_BYTES", len(data))
    assert verify_bundle(data, VKEY).ok
    with raises_exactly(BundleError, f"not a bundle: it is over {len(data)} bytes"):
        verify_bundle(data + b" ", VKEY)


def test_not_json_is_not_a_bundle() -> None:
    with pytest.raises(InputError) as info:
        strict_json.loads(b'{"a": 1, "a": 2}', "bundle")
    with raises_exactly(BundleError, f"not a bundle: not UTF-8 JSON ({info.value})"):
        verify_bundle(b'{"a": 1, "a": 2}', VKEY)


@pytest.mark.parametrize(
    "data",
    [b"[]", b'"prov-bundle/v1"', b'{"bundle": "prov-bundle/v2"}', b"{}"],
)
def test_without_the_format_member_it_is_not_a_bundle(data: bytes) -> None:
    with raises_exactly(BundleError, 'not a bundle: no member "bundle": "prov-bundle/v1"'):
        verify_bundle(data, VKEY)


def test_members_must_be_exactly_the_listed_ones() -> None:
    message = f"not a bundle: members must be {sorted(ov.TOP_MEMBERS)}"
    extra = {**golden(), "extra": 1}
    with raises_exactly(BundleError, message):
        verify_bundle(json.dumps(extra).encode(), VKEY)
    short = golden()
    del short["attachments"]
    with raises_exactly(BundleError, message):
        verify_bundle(json.dumps(short).encode(), VKEY)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("subject", "str"),
        ("as_of", "dict"),
        ("log", "dict"),
        ("checkpoint", "str"),
        ("key_transitions", "list"),
        ("statements", "list"),
        ("attachments", "list"),
    ],
)
def test_each_member_has_its_json_type(name: str, kind: str) -> None:
    bundle = golden()
    bundle[name] = 7
    with raises_exactly(BundleError, f"not a bundle: {name} must be a JSON {kind}"):
        verify_bundle(json.dumps(bundle).encode(), VKEY)


@pytest.mark.parametrize(
    "as_of",
    [
        {"position": "3", "received_at": "2024-11-18T09:00:05.000000Z"},
        {"position": True, "received_at": "2024-11-18T09:00:05.000000Z"},
        {"received_at": "2024-11-18T09:00:05.000000Z"},
        {"position": 3, "received_at": 5},
        {"position": 3},
    ],
)
def test_as_of_holds_an_integer_position_and_a_time(as_of: dict[str, Any]) -> None:
    bundle = {**golden(), "as_of": as_of}
    message = "not a bundle: as_of must hold an integer position and a received_at"
    with raises_exactly(BundleError, message):
        verify_bundle(json.dumps(bundle).encode(), VKEY)


@pytest.mark.parametrize("log", [{}, {"root_key_id": 5}])
def test_the_root_key_id_is_a_string(log: dict[str, Any]) -> None:
    bundle = {**golden(), "log": log}
    with raises_exactly(BundleError, "not a bundle: log.root_key_id must be a string"):
        verify_bundle(json.dumps(bundle).encode(), VKEY)


# -- the keys ----------------------------------------------------------------------------


def _key_error(text: str) -> str:
    with pytest.raises(InputError) as info:
        parse_verifier_key(text)
    return str(info.value)


def test_a_malformed_vkey_or_witness_is_named() -> None:
    data = json.dumps(golden()).encode()
    bad = "not even a key"
    with raises_exactly(
        BundleError, f"{bad!r} is not a verifier key NAME+KEYID+KEY (--vkey: {_key_error(bad)})"
    ):
        verify_bundle(data, bad)
    with raises_exactly(
        BundleError,
        f"{bad!r} is not a verifier key NAME+KEYID+KEY (--witness: {_key_error(bad)})",
    ):
        verify_bundle(data, VKEY, [bad])


def test_key_types_are_checked() -> None:
    data = json.dumps(golden()).encode()
    with raises_exactly(BundleError, f"--vkey {WITNESS} is not an Ed25519 log verifier key"):
        verify_bundle(data, WITNESS)
    with raises_exactly(BundleError, "a --witness key is not a cosignature/v1 verifier key"):
        verify_bundle(data, VKEY, [VKEY])


def test_one_witness_given_twice_is_one_witness() -> None:
    data = json.dumps(golden()).encode()
    report = verify_bundle(data, VKEY, [WITNESS, WITNESS])
    assert report.failures == [] and report.cosigners == [LOG["witness_name"]]
    with raises_exactly(BundleError, "--quorum must be between 0 and 1 (distinct witness keys)"):
        verify_bundle(data, VKEY, [WITNESS, WITNESS], 2)
    with raises_exactly(BundleError, "--quorum must be between 0 and 1 (distinct witness keys)"):
        verify_bundle(data, VKEY, [WITNESS], -1)
    assert verify_bundle(data, VKEY, [WITNESS], 0).ok


def test_two_witness_keys_under_one_name_or_one_key_under_two(built: dict[str, Any]) -> None:
    data = json.dumps(golden()).encode()
    name = LOG["witness_name"]
    public = parse_verifier_key(WITNESS).public_key
    renamed = format_verifier_key("other.example/w", public, COSIGNATURE_V1)
    with raises_exactly(
        BundleError,
        f"one --witness public key is given under two names, {name} and other.example/w",
    ):
        verify_bundle(data, VKEY, [WITNESS, renamed])
    # Two distinct witnesses: both are counted, and a quorum of 2 needs both cosignatures.
    third = format_verifier_key("third.example/w", built["new"].public_bytes, COSIGNATURE_V1)
    report = verify_bundle(data, VKEY, [WITNESS, third], 2)
    assert report.cosigners == [name]
    assert report.failures == ["checkpoint has 1 of the 2 required witness cosignatures"]
    assert verify_bundle(data, VKEY, [WITNESS, third], 1).ok


# -- §5.4 statement entries, envelopes and proofs -------------------------------------------


def test_b64_is_standard_padded_and_canonical() -> None:
    assert ov.b64("AA==", "x") == b"\x00"
    with raises_exactly(ov._Malformed, "x is not a string"):
        ov.b64(b"AA==", "x")
    with raises_exactly(ov._Malformed, "x is not base64"):
        ov.b64("A-==", "x")
    with raises_exactly(ov._Malformed, "x is not base64"):
        ov.b64("AA", "x")
    with raises_exactly(ov._Malformed, "x is not canonical base64"):
        ov.b64("AB==", "x")


def _statement(change: Any, n: int = 3) -> list[str]:
    bundle = golden()
    change(bundle["statements"][n])
    return failures(bundle)


def _envelope(change: Any, n: int = 3) -> list[str]:
    def edit(st: dict[str, Any]) -> None:
        envelope = json.loads(st["entry"])
        change(envelope)
        st["entry"] = json.dumps(envelope)

    return _statement(edit, n)


def test_a_statement_entry_has_exactly_its_members() -> None:
    message = f"members must be {sorted(ov.STATEMENT_MEMBERS)}"
    bundle = golden()
    bundle["statements"][3] = [bundle["statements"][3]]
    assert failures(bundle) == malformed(3, message)
    assert _statement(lambda st: st.update(extra=1)) == malformed(3, message)
    assert _statement(lambda st: st.pop("proof")) == malformed(3, message)


@pytest.mark.parametrize("position", [-1, True, "1", 1.0])
def test_a_position_is_a_non_negative_integer(position: Any) -> None:
    found = _statement(lambda st: st.update(position=position))
    assert found == malformed(3, "position is not a non-negative integer")


@pytest.mark.parametrize("name", ["subject", "received_at", "proof"])
def test_subject_time_and_proof_are_strings(name: str) -> None:
    assert _statement(lambda st: st.update({name: 1})) == malformed(3, f"{name} is not a string")


@pytest.mark.parametrize("version", [True, "2", 2.0])
def test_a_version_is_an_integer(version: Any) -> None:
    assert _statement(lambda st: st.update(version=version)) == malformed(
        3, "version is not an integer"
    )


def test_an_entry_is_a_strict_json_dsse_envelope() -> None:
    assert _statement(lambda st: st.update(entry=5)) == malformed(3, "entry is not a string")
    with pytest.raises(InputError) as info:
        strict_json.loads('{"a": 1, "a": 1}', "entry")
    assert _statement(lambda st: st.update(entry='{"a": 1, "a": 1}')) == malformed(
        3, str(info.value)
    )
    assert _statement(lambda st: st.update(entry="[]")) == malformed(
        3, "entry is not a DSSE envelope"
    )
    assert _envelope(lambda e: e.update(extra=1)) == malformed(3, "entry is not a DSSE envelope")


def test_a_format_1_envelope_has_one_signature() -> None:
    message = "entry is not a format-1 statement envelope"
    assert _envelope(lambda e: e.update(payloadType="text/plain")) == malformed(3, message)
    assert _envelope(lambda e: e.update(signatures={})) == malformed(3, message)
    assert _envelope(lambda e: e.update(signatures=[])) == malformed(3, message)
    assert _envelope(lambda e: e.update(signatures=e["signatures"] * 2)) == malformed(3, message)


def test_the_signature_has_exactly_keyid_and_sig() -> None:
    message = "the envelope's signature must have exactly keyid and sig"
    assert _envelope(lambda e: e.update(signatures=["x"])) == malformed(3, message)
    assert _envelope(lambda e: e["signatures"][0].update(extra=1)) == malformed(3, message)
    assert _envelope(lambda e: e["signatures"][0].pop("sig")) == malformed(3, message)


@pytest.mark.parametrize(
    "keyid", [5, "a" * 63, "a" * 65, "A" * 64, "g" * 64, " " + "a" * 63, "a" * 63 + "\n"]
)
def test_the_keyid_is_a_lower_case_hex_sha256(keyid: Any) -> None:
    found = _envelope(lambda e: e["signatures"][0].update(keyid=keyid))
    assert found == malformed(3, "the envelope's keyid is not a lower-case hex SHA-256")


def test_payload_and_signature_are_canonical_base64() -> None:
    assert _envelope(lambda e: e.update(payload="!")) == malformed(3, "payload is not base64")
    assert _envelope(lambda e: e["signatures"][0].update(sig=7)) == malformed(
        3, "signature is not a string"
    )
    assert _envelope(lambda e: e["signatures"][0].update(sig="AB==")) == malformed(
        3, "signature is not canonical base64"
    )


def test_the_entry_subject_is_the_payloads() -> None:
    found = _statement(lambda st: st.update(subject="someone-else"))
    payload = json.loads(base64.b64decode(json.loads(GOLDEN["statements"][3]["entry"])["payload"]))
    assert found == malformed(3, f"payload's subject is {payload['subject']!r}")


def test_the_proof_is_a_tlog_proof_for_the_entrys_index_ending_in_the_checkpoint() -> None:
    header = "c2sp.org/tlog-proof@v1"
    wrong = malformed(3, f"proof is not a {header} for index 3")

    def proof(edit: Any) -> list[str]:
        return _statement(lambda st: st.update(proof=edit(st["proof"])))

    assert proof(lambda p: p.replace(header, "c2sp.org/tlog-proof@v2", 1)) == wrong
    assert proof(lambda p: p.replace("index 3\n", "index 2\n", 1)) == wrong
    assert proof(lambda p: header) == wrong
    assert proof(lambda p: p[:-1]) == malformed(
        3, "proof does not end with the bundle's checkpoint"
    )
    # An "extra" line is refused too.
    assert proof(lambda p: p.replace("index 3\n", "index 3\nextra AAAA\n", 1))[0].startswith(
        "statement 3 is malformed: "
    )


# -- §5.1-5.3 checkpoint and key transitions -------------------------------------------------


def test_a_malformed_or_foreign_checkpoint_fails() -> None:
    bundle = {**golden(), "checkpoint": "junk"}
    assert failures(bundle) == ["checkpoint is malformed: note text must end with a newline"]
    public = parse_verifier_key(VKEY).public_key
    foreign = format_verifier_key("other.example/log", public)
    report = verify_bundle(json.dumps(golden()).encode(), foreign)
    assert report.failures == [f"checkpoint is for log {LOG['origin']!r}, not 'other.example/log'"]
    assert (report.origin, report.size, report.statements) == (LOG["origin"], 4, 0)


def test_a_checkpoint_not_signed_by_the_trusted_key_fails(built: dict[str, Any]) -> None:
    impostor = format_verifier_key(LOG["origin"], built["old"].public_bytes)
    report = verify_bundle(json.dumps(golden()).encode(), impostor)
    assert report.failures == [f"checkpoint is not signed by the log key {impostor}"]
    assert report.statements == 0


def test_a_bad_witness_line_fails_the_checkpoint(built: dict[str, Any]) -> None:
    bundle = golden()
    lines = bundle["checkpoint"].split("\n")
    name = LOG["witness_name"]
    witness_line = next(n for n, line in enumerate(lines) if line.startswith(f"— {name} "))
    sig = base64.b64decode(lines[witness_line].split(" ")[2])
    forged = sig[:12] + bytes(64)  # key id and timestamp kept, signature zeroed
    lines[witness_line] = f"— {name} {base64.b64encode(forged).decode()}"
    bundle["checkpoint"] = "\n".join(lines)
    found = failures(bundle, witnesses=[WITNESS], quorum=0)
    assert len(found) == 1 and found[0].startswith("checkpoint does not verify: "), found


def _transition(built: dict[str, Any], n: int = 0) -> tuple[dict[str, Any], Checkpoint]:
    bundle = fresh(built)
    text, _ = parse_note(bundle["key_transitions"][n]["checkpoint"])
    return bundle, Checkpoint.parse(text)


def _not_signed(built: dict[str, Any]) -> str:
    return f"checkpoint is not signed by the log key {built['old_vkey']}"


@pytest.mark.parametrize(
    ("change", "what"),
    [
        (lambda step: 5, "members must be ['checkpoint', 'consistency']"),
        (lambda step: {**step, "extra": 1}, "members must be ['checkpoint', 'consistency']"),
        (
            lambda step: {"checkpoint": step["checkpoint"]},
            "members must be ['checkpoint', 'consistency']",
        ),
        (
            lambda step: {**step, "checkpoint": 1},
            "checkpoint must be a string and consistency a list",
        ),
        (
            lambda step: {**step, "consistency": "x"},
            "checkpoint must be a string and consistency a list",
        ),
        (
            lambda step: {**step, "consistency": ["!", *step["consistency"]]},
            "consistency hash is not base64",
        ),
        (lambda step: {**step, "checkpoint": "junk"}, "note text must end with a newline"),
    ],
)
def test_a_malformed_key_transition_is_named(built: dict[str, Any], change: Any, what: str) -> None:
    bundle = fresh(built)
    bundle["key_transitions"][0] = change(bundle["key_transitions"][0])
    assert failures(bundle, built["old_vkey"]) == [
        f"key transition 0 is malformed: {what}",
        _not_signed(built),
    ]


def test_a_transition_must_name_exactly_one_new_key(built: dict[str, Any]) -> None:
    old, mid = built["old"], built["mid"]
    for extensions in ((), (f"prov-log-key {built['mid_vkey']}",) * 2):
        bundle, cp = _transition(built)
        text = Checkpoint(ORIGIN, cp.size, cp.root_hash, extensions).to_text()
        note = sign_note(text, ORIGIN, old.private_key) + signature_line(
            text, ORIGIN, mid.private_key
        )
        bundle["key_transitions"][0]["checkpoint"] = note
        assert failures(bundle, built["old_vkey"]) == [
            "key transition 0 is malformed: it names no new log key",
            _not_signed(built),
        ]


def test_a_transition_names_a_well_formed_key(built: dict[str, Any]) -> None:
    bundle, cp = _transition(built)
    text = Checkpoint(ORIGIN, cp.size, cp.root_hash, ("prov-log-key junk",)).to_text()
    bundle["key_transitions"][0]["checkpoint"] = sign_note(text, ORIGIN, built["old"].private_key)
    found = failures(bundle, built["old_vkey"])
    assert found == [f"key transition 0 is malformed: {_key_error('junk')}", _not_signed(built)]


def test_a_transition_is_signed_by_the_trusted_key_and_the_new_one(built: dict[str, Any]) -> None:
    old, mid = built["old"], built["mid"]
    bundle, cp = _transition(built)
    text = cp.to_text()
    what = f"key transition 0 (size {cp.size})"
    bundle["key_transitions"][0]["checkpoint"] = sign_note(text, ORIGIN, mid.private_key)
    assert failures(bundle, built["old_vkey"]) == [
        f"{what} is not signed by the trusted key {built['old_vkey']}",
        _not_signed(built),
    ]
    bundle["key_transitions"][0]["checkpoint"] = sign_note(text, ORIGIN, old.private_key)
    assert failures(bundle, built["old_vkey"]) == [
        f"{what} is not signed by the new key it names",
        _not_signed(built),
    ]
    # A verifier holding the middle key starts after the step that handed over to it.
    assert failures(bundle, built["mid_vkey"]) == []
    assert failures(bundle, built["new_vkey"]) == []


def test_a_transition_for_another_origin_is_not_consistent(built: dict[str, Any]) -> None:
    old, mid = built["old"], built["mid"]
    bundle, cp = _transition(built)
    text = Checkpoint("other.example/log", cp.size, cp.root_hash, cp.extensions).to_text()
    note = sign_note(text, ORIGIN, old.private_key) + signature_line(text, ORIGIN, mid.private_key)
    bundle["key_transitions"][0]["checkpoint"] = note
    assert failures(bundle, built["old_vkey"]) == [
        f"key transition 0 (size {cp.size}) is not consistent with the checkpoint",
        _not_signed(built),
    ]


def test_the_second_transition_is_checked_from_the_middle_key(built: dict[str, Any]) -> None:
    bundle, cp = _transition(built, 1)
    text = cp.to_text()
    bundle["key_transitions"][1]["checkpoint"] = sign_note(text, ORIGIN, built["new"].private_key)
    expected = [
        f"key transition 1 (size {cp.size}) is not signed by the trusted key {built['mid_vkey']}",
        f"checkpoint is not signed by the log key {built['mid_vkey']}",
    ]
    assert failures(bundle, built["old_vkey"]) == expected
    assert failures(bundle, built["mid_vkey"]) == expected
    assert failures(bundle, built["new_vkey"]) == []


# -- §5.4-5.7 order, positions, times, versions -------------------------------------------


def _label(n: int) -> str:
    st = GOLDEN["statements"][n]
    payload = base64.b64decode(json.loads(st["entry"])["payload"])
    kind = json.loads(payload)["kind"]
    sid = hashlib.sha256(payload).hexdigest()[:12]
    return f"statement at position {st['position']} ({sid}): {kind} on {st['subject']}: "


def test_positions_must_increase() -> None:
    bundle = golden()
    bundle["statements"].append(copy.deepcopy(bundle["statements"][3]))
    at3 = _label(3)
    assert failures(bundle) == [
        f"{at3}is out of order: positions must increase (previous 3)",
        f"{at3}is version 1 of finding-rapid-use, expected version 2",
        f"{at3}the same statement is already at position 3",
    ]
    bundle = golden()
    bundle["statements"][2], bundle["statements"][3] = (
        bundle["statements"][3],
        bundle["statements"][2],
    )
    found = failures(bundle)
    assert found[1:] == [
        f"{_label(2)}is out of order: positions must increase (previous 3)",
        f"{_label(2)}received_at 2024-09-02T10:00:05.000000Z is out of order",
    ]


def test_a_position_beyond_the_as_of_position_fails() -> None:
    bundle = golden()
    bundle["as_of"]["position"] = 2
    assert failures(bundle) == [
        f"{_label(3)}is beyond the bundle's as-of position or the checkpoint"
    ]


def test_a_position_beyond_the_checkpoint_fails() -> None:
    bundle = golden()
    st = bundle["statements"][3]
    bundle["as_of"]["position"] = 4
    st["position"] = 4
    st["proof"] = st["proof"].replace("index 3\n", "index 4\n", 1)
    found = failures(bundle)
    label = _label(3).replace("position 3", "position 4")
    assert found[:3] == [
        "as_of position 4 is not below the checkpoint's size 4",
        f"{label}is beyond the bundle's as-of position or the checkpoint",
        f"{label}inclusion proof does not lead to the checkpoint's root",
    ]


def test_receipt_times_never_go_back_nor_pass_the_as_of_time() -> None:
    bundle = golden()
    bundle["statements"][3]["received_at"] = bundle["statements"][2]["received_at"]
    assert failures(bundle) == []  # the same time twice is in order
    bundle["statements"][3]["received_at"] = "2000-01-01"
    assert failures(bundle) == [f"{_label(3)}received_at 2000-01-01 is out of order"]
    bundle = golden()
    bundle["as_of"]["received_at"] = bundle["statements"][2]["received_at"]
    assert failures(bundle) == [
        f"{_label(3)}received_at 2024-11-18T09:00:05.000000Z is out of order"
    ]


def test_each_record_counts_its_versions_from_one() -> None:
    bundle = golden()
    bundle["statements"][3]["version"] = 2
    assert failures(bundle) == [f"{_label(3)}is version 2 of finding-rapid-use, expected version 1"]
    bundle = golden()
    bundle["statements"][2]["version"] = 0
    assert failures(bundle) == [f"{_label(2)}is version 0 of item-m3, expected version 1"]


def test_the_bundle_holds_position_0_and_its_subject() -> None:
    bundle = golden()
    del bundle["statements"][0]
    found = failures(bundle)
    assert found[-1] == "the bundle lacks position 0, the organisation's registration"
    assert len(found) == 2
    bundle = {**golden(), "subject": "nothing"}
    report = verify_bundle(json.dumps(bundle).encode(), VKEY)
    assert report.failures == ["the bundle holds no statement of its subject nothing"]
    assert report.statements == 4


# -- §5.8 attachments ----------------------------------------------------------------------


def _attachment_failures(built: dict[str, Any], change: Any) -> list[str]:
    bundle = fresh(built)
    change(bundle["attachments"])
    return failures(bundle, built["old_vkey"])


def test_each_attachment_is_one_the_statements_attach(built: dict[str, Any]) -> None:
    first = built["digests"][0][0][:12]
    not_one = "attachment 0 is not one the bundle's statements attach"
    missing = f"attachment {first} is named but not in the bundle"

    def put(value: Any) -> Any:
        return lambda items: items.__setitem__(0, value)

    assert _attachment_failures(built, put(5)) == [not_one, missing]
    assert _attachment_failures(built, lambda a: a[0].update(digest=5)) == [not_one, missing]
    assert _attachment_failures(built, lambda a: a[0].update(digest="0" * 64)) == [not_one, missing]
    assert _attachment_failures(built, lambda a: a[0].update(size=a[0]["size"] + 1)) == [
        not_one,
        missing,
    ]
    assert _attachment_failures(built, lambda a: a[0].pop("size")) == [not_one, missing]
    twice = _attachment_failures(built, lambda a: a.append(copy.deepcopy(a[0])))
    assert twice == ["attachment 2 is not one the bundle's statements attach"]
    assert _attachment_failures(built, lambda a: a.clear()) == [
        f"attachment {d[:12]} is named but not in the bundle" for d, _ in built["digests"]
    ]


def test_attachment_contents_are_base64_of_the_hashed_bytes(built: dict[str, Any]) -> None:
    first = built["digests"][0][0][:12]
    bundle = fresh(built)
    del bundle["attachments"][0]["content"]
    report = verify_bundle(json.dumps(bundle).encode(), built["old_vkey"])
    assert report.failures == [] and (report.attachments, report.attachment_files) == (2, 1)
    found = _attachment_failures(built, lambda a: a[0].update(content="!"))
    assert found == [f"attachment {first}: content is not base64"]

    def swap(items: list[dict[str, Any]]) -> None:
        content = items[0]["content"]
        items[0]["content"] = ("B" if content[0] == "A" else "A") + content[1:]

    report_bundle = fresh(built)
    swap(report_bundle["attachments"])
    report = verify_bundle(json.dumps(report_bundle).encode(), built["old_vkey"])
    assert report.failures == [f"attachment {first}: content does not match its hash"]
    assert (report.attachments, report.attachment_files) == (2, 1)


# -- the command line ------------------------------------------------------------------------


def test_the_help_names_the_command_and_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        ov.main(["--help"])
    assert info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert out.startswith("usage: offline_verify [-h] --vkey VKEY [--witness WITNESS]")
    for text in (
        "Verify a provenance bundle offline (bundle.md §5).",
        "bundle the bundle file",
        "--vkey VKEY the log's verifier key",
        "--witness WITNESS a witness's key",
        "--quorum QUORUM cosignatures required (default: all)",
    ):
        assert text in out, text


def test_the_vkey_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    path = generate_bundle.HERE / "bundle-finding.json"
    with pytest.raises(SystemExit) as info:
        ov.main([str(path)])
    assert info.value.code == 2
    assert "the following arguments are required: --vkey" in capsys.readouterr().err


def test_a_file_of_other_bytes_is_not_a_bundle(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"bundle": "\xff"}')
    assert ov.main([str(path), "--vkey", VKEY]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: not a bundle: not UTF-8 JSON (")
