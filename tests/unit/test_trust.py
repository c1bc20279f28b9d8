"""The prov-trust/v1 file (docs/spec/trust.md): strict parsing and byte-exact writing."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provenance.errors import InputError
from provenance.log.checkpoint import Checkpoint
from provenance.log.note import COSIGNATURE_V1, format_verifier_key, sign_note
from provenance.trust import (
    MAX_TRUST_FILE,
    Pins,
    format_trust_file,
    make_pins,
    parse_trust_file,
    witness_set,
)

ORIGIN = "example.org/prov"
LOG_SEED = bytes(range(32))
LOG_PUBLIC = Ed25519PrivateKey.from_private_bytes(LOG_SEED).public_key().public_bytes_raw()
LOG_VKEY = format_verifier_key(ORIGIN, LOG_PUBLIC)
W_PUBLIC = Ed25519PrivateKey.from_private_bytes(b"\x05" * 32).public_key().public_bytes_raw()
W_VKEY = format_verifier_key("witness.example/w1", W_PUBLIC, COSIGNATURE_V1)
ROOT = "ab" * 32
CHECKPOINT = sign_note(Checkpoint(ORIGIN, 3, b"\x22" * 32).to_text(), ORIGIN, LOG_SEED)


def _file(**members: object) -> bytes:
    return json.dumps({"format": "prov-trust/v1", **members}).encode()


def test_round_trip_is_byte_exact() -> None:
    pins = make_pins(
        root_key_id=ROOT, log_vkey=LOG_VKEY, witnesses=[W_VKEY], quorum=1, checkpoint=CHECKPOINT
    )
    data = format_trust_file(pins)
    assert parse_trust_file(data) == pins
    expected = (
        "{\n"
        '  "format": "prov-trust/v1",\n'
        f'  "root_key_id": "{ROOT}",\n'
        f'  "log_vkey": "{LOG_VKEY}",\n'
        '  "witnesses": [\n'
        f'    "{W_VKEY}"\n'
        "  ],\n"
        '  "quorum": 1,\n'
        f'  "checkpoint": {json.dumps(CHECKPOINT)}\n'
        "}\n"
    )
    assert data == expected.encode("ascii")
    assert "\\u2014" in data.decode()  # the EM DASH of signature lines, escaped
    # Absent pins are left out.
    assert format_trust_file(Pins(root_key_id=ROOT)) == (
        b'{\n  "format": "prov-trust/v1",\n  "root_key_id": "' + ROOT.encode() + b'"\n}\n'
    )


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"[]", "not a JSON object"),
        (b'{"format": "prov-trust/v2", "root_key_id": "' + ROOT.encode() + b'"}', "format"),
        (_file(root_key_id=ROOT, extra=1), "unknown member 'extra'"),
        (_file(), "pins nothing"),
        (_file(root_key_id=ROOT.upper()), "64 lowercase hex"),
        (_file(root_key_id=ROOT + "\n"), "64 lowercase hex"),
        (_file(root_key_id=None), "null"),
        (_file(log_vkey="not even a key"), "log key"),
        (_file(log_vkey=W_VKEY), "not an Ed25519 (0x01)"),
        (_file(witnesses=[LOG_VKEY], quorum=1), "not a cosignature/v1 (0x04)"),
        (_file(witnesses=[W_VKEY], quorum=2), "not between 1 and 1"),
        (_file(witnesses=[W_VKEY, W_VKEY], quorum=2), "not between 1 and 1"),
        (_file(witnesses=[W_VKEY], quorum=True), "not an integer"),
        (_file(witnesses=[W_VKEY], quorum=0), "not between"),
        (_file(quorum=1, root_key_id=ROOT), "quorum but no witnesses"),
        (_file(witnesses=[], root_key_id=ROOT), "witnesses is empty"),
        (_file(witnesses=W_VKEY), "not a list"),
        (_file(checkpoint="no signatures\n"), "not a signed note"),
        (_file(checkpoint=5), "not a string"),
        (
            b'{"format": "prov-trust/v1", "root_key_id": "'
            + ROOT.encode()
            + b'", "root_key_id": "'
            + ("cd" * 32).encode()
            + b'"}',
            "duplicate",
        ),
        (b"\xff", "trust file"),
        (b" " * (MAX_TRUST_FILE + 1), "larger than"),
    ],
)
def test_malformed_trust_files_are_refused(data: bytes, needle: str) -> None:
    with pytest.raises(InputError) as info:
        parse_trust_file(data)
    assert needle in str(info.value)


def test_a_checkpoint_not_signed_by_the_pinned_log_key_is_bad_input() -> None:
    other = sign_note(Checkpoint(ORIGIN, 3, b"\x22" * 32).to_text(), ORIGIN, b"\x07" * 32)
    with pytest.raises(InputError, match="not signed by the pinned log key"):
        parse_trust_file(_file(log_vkey=LOG_VKEY, checkpoint=other))
    # Without a pinned log key it is checked later, against the store's.
    assert parse_trust_file(_file(checkpoint=other)).checkpoint == other


def test_one_witness_key_under_two_names_is_refused() -> None:
    alias = format_verifier_key("witness.example/alias", W_PUBLIC, COSIGNATURE_V1)
    with pytest.raises(InputError, match="under two names"):
        make_pins(witnesses=[W_VKEY, alias], quorum=2)
    witnesses, k = witness_set(list(make_pins(witnesses=[W_VKEY, W_VKEY]).witnesses), None)
    assert len(witnesses) == k == 1


def test_default_quorum_is_all_witnesses() -> None:
    w2_public = Ed25519PrivateKey.from_private_bytes(b"\x06" * 32).public_key()
    w2 = format_verifier_key("witness.example/w2", w2_public.public_bytes_raw(), COSIGNATURE_V1)
    pins = make_pins(witnesses=[W_VKEY, w2])
    assert pins.quorum == 2 and not pins.empty
    assert base64.b64decode(pins.witnesses[1].vkey.split("+")[2])[0] == COSIGNATURE_V1
