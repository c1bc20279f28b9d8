"""DSSE envelopes: PAE, signing, strict parsing, and what tampering does to them."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import example, given, settings
from hypothesis import strategies as st

from provenance.envelope import (
    MAX_ENVELOPE_BYTES,
    MAX_PAYLOAD_BYTES,
    PAYLOAD_TYPE,
    Signature,
    encode_envelope,
    key_id,
    pae,
    parse_envelope,
    sign_payload,
    statement_id,
    verify_envelope,
)
from provenance.errors import InputError, SignatureError
from provenance.model.statement import build_payload

ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

# A fixed key and payload: Ed25519 is deterministic, so ENVELOPE is the same bytes on
# every run and the examples below can name byte positions inside it.
PRIVATE = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC = PRIVATE.public_key().public_bytes_raw()
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
PAYLOAD = build_payload(
    kind="evidence.registered",
    subject="item-1",
    author="alice",
    body={"item_kind": "other", "title": "t"},
    issued_at="2024-01-01T00:00:00Z",
)
ENVELOPE = sign_payload(PAYLOAD, PRIVATE)
ORIGINAL_ID = statement_id(PAYLOAD)


def _fields(raw: bytes = ENVELOPE) -> dict[str, Any]:
    obj: dict[str, Any] = json.loads(raw)
    return obj


def _dump(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def _with(**changes: Any) -> bytes:
    """The fixed envelope with some top-level fields replaced (None removes one)."""
    obj = _fields()
    for name, value in changes.items():
        if value is None:
            del obj[name]
        else:
            obj[name] = value
    return _dump(obj)


def _with_sig(**changes: Any) -> bytes:
    obj = _fields()
    obj["signatures"][0].update(changes)
    return _dump(obj)


def _last_data_char(raw: bytes, start_marker: bytes) -> int:
    """Index of the last base64 data character (before '=' padding) of a string field."""
    start = raw.index(start_marker) + len(start_marker)
    end = raw.index(b'"', start)
    while raw[end - 1 : end] == b"=":
        end -= 1
    return end - 1


def _flip_low_bit_of_char(raw: bytes, index: int) -> bytes:
    """Swap one base64 character for its neighbour in the alphabet (only its lowest bit)."""
    old = ALPHABET.index(raw[index])
    return raw[:index] + bytes([ALPHABET[old ^ 1]]) + raw[index + 1 :]


SIG_LAST = _last_data_char(ENVELOPE, b'"sig":"')
PAYLOAD_LAST = _last_data_char(ENVELOPE, b'"payload":"')


def test_pae_matches_the_dsse_spec_vector() -> None:
    """PAE is DSSE's encoding: the spec's own test vector comes out byte for byte."""
    assert (
        pae("http://example.com/HelloWorld", b"hello world")
        == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_pae_counts_bytes_not_characters() -> None:
    """LEN is the UTF-8 byte length, so a non-ASCII type is counted in bytes."""
    assert pae("é", b"\xc3\xa9") == b"DSSEv1 2 \xc3\xa9 2 \xc3\xa9"


def test_sign_and_verify_round_trip() -> None:
    """A signed envelope parses back to the same payload and verifies with the signer's key."""
    envelope = parse_envelope(ENVELOPE)
    assert envelope.payload == PAYLOAD
    assert envelope.payload_type == PAYLOAD_TYPE
    assert envelope.raw == ENVELOPE
    assert envelope.signatures[0].keyid == key_id(PUBLIC)
    verify_envelope(envelope, PUBLIC)


def test_the_signature_is_ed25519_over_pae() -> None:
    """The signature checks against PAE(payloadType, payload) with the raw public key."""
    sig = parse_envelope(ENVELOPE).signatures[0].sig
    PRIVATE.public_key().verify(sig, pae(PAYLOAD_TYPE, PAYLOAD))


def test_signed_envelope_is_canonical_json() -> None:
    """The stored form is RFC 8785: sorted keys, no white space."""
    obj = _fields()
    assert json.dumps(obj, sort_keys=True, separators=(",", ":")).encode() == ENVELOPE


def test_statement_id_is_sha256_hex_of_payload() -> None:
    """The statement id is the hex SHA-256 of the payload bytes, not of the envelope."""
    assert statement_id(PAYLOAD) == hashlib.sha256(PAYLOAD).hexdigest()
    assert parse_envelope(ENVELOPE).statement_id == hashlib.sha256(PAYLOAD).hexdigest()
    assert hashlib.sha256(ENVELOPE).hexdigest() != ORIGINAL_ID


def test_key_id_is_sha256_of_raw_public_key() -> None:
    """The key id is the hex SHA-256 of the 32 raw public-key bytes."""
    assert key_id(PUBLIC) == hashlib.sha256(PUBLIC).hexdigest()


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_key_id_refuses_a_key_that_is_not_32_bytes(length: int) -> None:
    """Only a 32-byte Ed25519 public key has a key id."""
    with pytest.raises(InputError, match="32 bytes"):
        key_id(bytes(length))


def test_flipped_payload_byte_fails_verification() -> None:
    """Changing one payload byte after signing makes verification fail."""
    envelope = parse_envelope(ENVELOPE)
    payload = bytearray(envelope.payload)
    payload[10] ^= 0x01
    with pytest.raises(SignatureError):
        verify_envelope(dataclasses.replace(envelope, payload=bytes(payload)), PUBLIC)


def test_flipped_signature_byte_fails_verification() -> None:
    """Changing one signature byte makes verification fail."""
    envelope = parse_envelope(ENVELOPE)
    sig = bytearray(envelope.signatures[0].sig)
    sig[0] ^= 0x01
    forged = dataclasses.replace(
        envelope, signatures=(Signature(envelope.signatures[0].keyid, bytes(sig)),)
    )
    with pytest.raises(SignatureError):
        verify_envelope(forged, PUBLIC)


def test_flipped_byte_in_stored_base64_payload_fails_verification() -> None:
    """A changed character inside the base64 payload text is caught by the signature."""
    start = ENVELOPE.index(b'"payload":"') + len(b'"payload":"')
    tampered = _flip_low_bit_of_char(ENVELOPE, start + 20)
    with pytest.raises(SignatureError):
        verify_envelope(parse_envelope(tampered), PUBLIC)


def test_verification_with_another_key_fails() -> None:
    """An envelope does not verify against a key that did not sign it."""
    other_public = OTHER.public_key().public_bytes_raw()
    with pytest.raises(SignatureError, match="is not the key"):
        verify_envelope(parse_envelope(ENVELOPE), other_public)


def test_right_keyid_with_another_keys_signature_fails() -> None:
    """A signature made by another key fails even when the keyid names the right key."""
    foreign = parse_envelope(sign_payload(PAYLOAD, OTHER)).signatures[0].sig
    raw = encode_envelope(PAYLOAD, [Signature(key_id(PUBLIC), foreign)])
    with pytest.raises(SignatureError, match="does not verify"):
        verify_envelope(parse_envelope(raw), PUBLIC)


def test_sign_payload_refuses_an_oversized_payload() -> None:
    """Nothing over 1 MiB is signed."""
    with pytest.raises(InputError, match="limit"):
        sign_payload(b"x" * (MAX_PAYLOAD_BYTES + 1), PRIVATE)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


GOOD_SIG = _fields()["signatures"][0]

BAD_ENVELOPES = {
    "not JSON": (b"{not json", "not valid JSON"),
    "not UTF-8": (b'{"payload":"\xff"}', "not UTF-8"),
    "a JSON array": (b"[]", "must be a JSON object"),
    "a JSON string": (b'"hello"', "must be a JSON object"),
    "missing payload": (_with(payload=None), r"missing \['payload'\]"),
    "missing signatures": (_with(signatures=None), r"missing \['signatures'\]"),
    "extra field": (_with(extra="x"), r"unexpected \['extra'\]"),
    "wrong payloadType": (_with(payloadType="application/json"), "payloadType"),
    "payload not a string": (_with(payload=5), "base64 string"),
    "urlsafe base64 payload": (
        _with(payload=_b64(PAYLOAD).replace("+", "-").replace("/", "_") + "-_"),
        "not valid base64",
    ),
    "base64 payload with a newline": (
        _with(payload=_b64(PAYLOAD)[:8] + "\n" + _b64(PAYLOAD)[8:]),
        "not valid base64",
    ),
    "base64 payload without padding": (
        _with(payload=_b64(PAYLOAD[:10])[:-2]),
        "not valid base64",
    ),
    "base64 payload with a non-ASCII character": (
        _with(payload="é" + _b64(PAYLOAD)),
        "not valid base64",
    ),
    "signature not base64": (_with_sig(sig="!" * 88), "not valid base64"),
    "signature of 63 bytes": (_with_sig(sig=_b64(bytes(63))), "64 bytes, got 63"),
    "signature of 65 bytes": (_with_sig(sig=_b64(bytes(65))), "64 bytes, got 65"),
    "zero signatures": (_with(signatures=[]), "exactly one signature"),
    "two signatures": (_with(signatures=[GOOD_SIG, GOOD_SIG]), "exactly one signature"),
    "signatures not a list": (_with(signatures=GOOD_SIG), "exactly one signature"),
    "signature missing keyid": (_with(signatures=[{"sig": GOOD_SIG["sig"]}]), "keyid and sig"),
    "signature with extra field": (_with_sig(note="x"), "keyid and sig"),
    "keyid not a string": (_with_sig(keyid=7), "must be strings"),
    "payload over 1 MiB": (
        _with(payload=_b64(b"x" * (MAX_PAYLOAD_BYTES + 1))),
        "limit is 1048576",
    ),
    "envelope over 2 MiB": (b" " * (MAX_ENVELOPE_BYTES + 1), "limit is 2097152"),
}


@pytest.mark.parametrize("raw, message", BAD_ENVELOPES.values(), ids=BAD_ENVELOPES.keys())
def test_parse_envelope_refuses_malformed_input(raw: bytes, message: str) -> None:
    """Each malformed envelope is an InputError saying what is wrong."""
    with pytest.raises(InputError, match=message):
        parse_envelope(raw)


PATHOLOGICAL = {
    "deeply nested arrays": b"[" * 100_000,
    "deeply nested objects": b'{"a":' * 100_000,
    "an integer of 5000 digits": b'{"payload":' + b"1" * 5000 + b"}",
}


@pytest.mark.parametrize("raw", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_parse_envelope_turns_pathological_json_into_input_error(raw: bytes) -> None:
    """JSON that Python's parser chokes on (recursion, int digit limit) is still an InputError."""
    assert len(raw) <= MAX_ENVELOPE_BYTES
    with pytest.raises(InputError):
        parse_envelope(raw)


def test_signature_base64_with_nonzero_pad_bits_is_refused() -> None:
    """A signature whose base64 has non-zero pad bits is not the canonical encoding: refused.

    Otherwise the same signature has several spellings, and stored envelope bytes can be
    changed without any check noticing.
    """
    tampered = _flip_low_bit_of_char(ENVELOPE, SIG_LAST)
    assert tampered != ENVELOPE
    with pytest.raises(InputError):
        parse_envelope(tampered)


def test_payload_base64_with_nonzero_pad_bits_is_refused() -> None:
    """The same holds for the payload's base64 (the fixed payload's length is not a multiple
    of 3, so its last base64 character has unused bits)."""
    assert len(PAYLOAD) % 3 != 0
    tampered = _flip_low_bit_of_char(ENVELOPE, PAYLOAD_LAST)
    assert tampered != ENVELOPE
    with pytest.raises(InputError):
        parse_envelope(tampered)


@settings(max_examples=400, deadline=None)
@given(
    position=st.integers(min_value=0, max_value=len(ENVELOPE) - 1),
    value=st.integers(min_value=0, max_value=255),
)
@example(position=SIG_LAST, value=ALPHABET[ALPHABET.index(ENVELOPE[SIG_LAST]) ^ 1])
@example(position=PAYLOAD_LAST, value=ALPHABET[ALPHABET.index(ENVELOPE[PAYLOAD_LAST]) ^ 1])
def test_no_single_byte_change_verifies_as_the_same_statement(position: int, value: int) -> None:
    """Any one-byte change to the envelope is refused by the parser or the signature check,
    or else it is a different statement: it never passes as the original."""
    if ENVELOPE[position] == value:
        value ^= 0xFF
    mutated = ENVELOPE[:position] + bytes([value]) + ENVELOPE[position + 1 :]
    try:
        envelope = parse_envelope(mutated)
        verify_envelope(envelope, PUBLIC)
    except (InputError, SignatureError):
        return
    assert envelope.statement_id != ORIGINAL_ID, (
        f"byte {position} changed to {value!r} and the envelope still verifies as the original"
    )
