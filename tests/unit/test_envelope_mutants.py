"""Tests that kill mutmut's survivors in provenance.envelope (issue 10 §H).

Both Ed25519 verifiers are run directly, on the same cases: libsodium's (the
one in use when PyNaCl is installed) and the OpenSSL fallback, which no test
ran before, so that a ``return True`` in either is noticed. ``verify_envelope``
is then run on each. Refusals are checked for their exact class and message.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provenance import envelope as envelope_module
from provenance.envelope import (
    MAX_ENVELOPE_BYTES,
    MAX_PAYLOAD_BYTES,
    PAYLOAD_TYPE,
    Envelope,
    Signature,
    _verify_ed25519_openssl,
    b64decode_strict,
    b64encode,
    encode_envelope,
    key_id,
    pae,
    parse_envelope,
    sign_payload,
    statement_id,
    verify_ed25519,
    verify_envelope,
)
from provenance.errors import InputError, SignatureError
from tests.unit.exact import raises_exactly

PRIVATE = Ed25519PrivateKey.from_private_bytes(b"\x21" * 32)
PUBLIC = PRIVATE.public_key().public_bytes_raw()
OTHER = Ed25519PrivateKey.from_private_bytes(b"\x22" * 32).public_key().public_bytes_raw()
PAYLOAD = b'{"a":1}'
MESSAGE = pae(PAYLOAD_TYPE, PAYLOAD)
SIG = PRIVATE.sign(MESSAGE)

VERIFIERS: dict[str, Callable[[bytes, bytes, bytes], bool]] = {
    "libsodium": verify_ed25519,
    "openssl": _verify_ed25519_openssl,
}


def test_libsodium_is_the_verifier_in_use() -> None:
    # PyNaCl is a dependency: the fast verifier is the one envelopes go through.
    assert verify_ed25519 is not _verify_ed25519_openssl
    assert verify_ed25519.__module__ == "provenance.envelope"


def _flip(data: bytes, index: int) -> bytes:
    changed = bytearray(data)
    changed[index] ^= 1
    return bytes(changed)


@pytest.mark.parametrize("name", VERIFIERS)
def test_each_verifier_accepts_a_good_signature(name: str) -> None:
    assert VERIFIERS[name](PUBLIC, SIG, MESSAGE) is True


@pytest.mark.parametrize("name", VERIFIERS)
@pytest.mark.parametrize(
    ("public", "signature", "message"),
    [
        (PUBLIC, _flip(SIG, 0), MESSAGE),
        (PUBLIC, _flip(SIG, 63), MESSAGE),
        (PUBLIC, SIG, _flip(MESSAGE, len(MESSAGE) - 1)),
        (PUBLIC, SIG, MESSAGE + b" "),
        (PUBLIC, SIG, b""),
        (OTHER, SIG, MESSAGE),
        (PUBLIC, SIG[:63], MESSAGE),
        (PUBLIC, b"\x00" * 64, MESSAGE),
        (PUBLIC, SIG + b"\x00", MESSAGE),
        (PUBLIC[:31], SIG, MESSAGE),
        (PUBLIC + b"\x00", SIG, MESSAGE),
    ],
    ids=[
        "sig-first-byte",
        "sig-last-byte",
        "message-last-byte",
        "message-longer",
        "message-empty",
        "other-key",
        "sig-63-bytes",
        "sig-zero",
        "sig-65-bytes",
        "key-31-bytes",
        "key-33-bytes",
    ],
)
def test_each_verifier_refuses_what_does_not_verify(
    name: str, public: bytes, signature: bytes, message: bytes
) -> None:
    assert VERIFIERS[name](public, signature, message) is False


@pytest.mark.parametrize("name", VERIFIERS)
def test_verify_envelope_with_each_verifier(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(envelope_module, "verify_ed25519", VERIFIERS[name])
    raw = sign_payload(PAYLOAD, PRIVATE)
    verify_envelope(parse_envelope(raw), PUBLIC)
    fields = json.loads(raw)
    fields["signatures"][0]["sig"] = b64encode(_flip(SIG, 5))
    forged = parse_envelope(json.dumps(fields).encode())
    kid = key_id(PUBLIC)
    with raises_exactly(SignatureError, f"signature by key {kid[:16]}… does not verify"):
        verify_envelope(forged, PUBLIC)
    fields["signatures"][0]["sig"] = b64encode(SIG)
    fields["payload"] = b64encode(b'{"a":2}')
    with raises_exactly(SignatureError, f"signature by key {kid[:16]}… does not verify"):
        verify_envelope(parse_envelope(json.dumps(fields).encode()), PUBLIC)


def test_verify_envelope_refuses_a_signature_under_another_key_id() -> None:
    env = parse_envelope(sign_payload(PAYLOAD, PRIVATE))
    mine, other = key_id(PUBLIC), key_id(OTHER)
    with raises_exactly(
        SignatureError, f"signature keyid {mine[:16]}… is not the key {other[:16]}…"
    ):
        verify_envelope(env, OTHER)


def test_pae_bytes() -> None:
    assert pae("t", b"") == b"DSSEv1 1 t 0 "
    assert pae("é", b"ab") == "DSSEv1 2 é 2 ab".encode()
    assert MESSAGE.split(b" ", 4)[:4] == [b"DSSEv1", b"38", PAYLOAD_TYPE.encode(), b"7"]
    assert MESSAGE.endswith(b' 7 {"a":1}')


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_key_id_refuses_other_lengths(length: int) -> None:
    with raises_exactly(InputError, f"an Ed25519 public key is 32 bytes, got {length}"):
        key_id(b"\x01" * length)


def test_ids_are_sha256_hex() -> None:
    import hashlib

    assert key_id(PUBLIC) == hashlib.sha256(PUBLIC).hexdigest()
    assert statement_id(PAYLOAD) == hashlib.sha256(PAYLOAD).hexdigest()
    env = parse_envelope(sign_payload(PAYLOAD, PRIVATE))
    assert env.statement_id == hashlib.sha256(PAYLOAD).hexdigest()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("AA", "x is not valid base64"),
        ("A=A=", "x is not valid base64"),
        ("AA==\n", "x is not valid base64"),
        ("AA-_", "x is not valid base64"),
        ("ÀA==", "x is not valid base64"),
        ("AB==", "x is not canonical base64 (unused bits set)"),
        ("AAF=", "x is not canonical base64 (unused bits set)"),
    ],
)
def test_b64decode_strict_messages(text: str, message: str) -> None:
    with raises_exactly(InputError, message):
        b64decode_strict(text, "x")


def test_b64decode_strict_round_trips() -> None:
    for data in (b"", b"\x00", b"\x00\x01", b"\xff\xfe\xfd", bytes(range(256))):
        assert b64decode_strict(b64encode(data), "x") == data


def test_encode_envelope_is_the_canonical_form() -> None:
    raw = encode_envelope(PAYLOAD, [Signature(key_id(PUBLIC), SIG)])
    expected = (
        f'{{"payload":"{b64encode(PAYLOAD)}","payloadType":"{PAYLOAD_TYPE}",'
        f'"signatures":[{{"keyid":"{key_id(PUBLIC)}","sig":"{b64encode(SIG)}"}}]}}'
    ).encode()
    assert raw == expected
    assert sign_payload(PAYLOAD, PRIVATE) == expected


def test_sign_payload_size_limit_is_exact() -> None:
    at_limit = b"x" * MAX_PAYLOAD_BYTES
    env = parse_envelope(sign_payload(at_limit, PRIVATE))
    assert env.payload == at_limit
    over = MAX_PAYLOAD_BYTES + 1
    with raises_exactly(InputError, f"payload is {over} bytes; the limit is {MAX_PAYLOAD_BYTES}"):
        sign_payload(b"x" * over, PRIVATE)


def _envelope(**fields: object) -> bytes:
    base: dict[str, object] = {
        "payload": b64encode(PAYLOAD),
        "payloadType": PAYLOAD_TYPE,
        "signatures": [{"keyid": key_id(PUBLIC), "sig": b64encode(SIG)}],
    }
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not ...}).encode()


def test_parse_envelope_keeps_everything() -> None:
    raw = _envelope()
    env = parse_envelope(raw)
    assert env == Envelope(raw, PAYLOAD_TYPE, PAYLOAD, (Signature(key_id(PUBLIC), SIG),))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[]", "envelope must be a JSON object"),
        (b'"x"', "envelope must be a JSON object"),
        (_envelope(payload=...), "envelope fields wrong: missing ['payload'], unexpected []"),
        (
            _envelope(signatures=..., extra=1, more=2),
            "envelope fields wrong: missing ['signatures'], unexpected ['extra', 'more']",
        ),
        (
            _envelope(payloadType="text/plain"),
            f"envelope payloadType is 'text/plain'; expected {PAYLOAD_TYPE!r}",
        ),
        (_envelope(payload=5), "envelope payload must be a base64 string"),
        (_envelope(payload="AB=="), "envelope payload is not canonical base64 (unused bits set)"),
        (_envelope(signatures=[]), "envelope must carry exactly one signature"),
        (_envelope(signatures={"keyid": "k"}), "envelope must carry exactly one signature"),
        (
            _envelope(signatures=[{"keyid": "k", "sig": b64encode(SIG)}] * 2),
            "envelope must carry exactly one signature",
        ),
        (
            _envelope(signatures=["sig"]),
            "each signature must have exactly the fields keyid and sig",
        ),
        (
            _envelope(signatures=[{"keyid": "k"}]),
            "each signature must have exactly the fields keyid and sig",
        ),
        (
            _envelope(signatures=[{"keyid": "k", "sig": b64encode(SIG), "x": 1}]),
            "each signature must have exactly the fields keyid and sig",
        ),
        (
            _envelope(signatures=[{"keyid": 1, "sig": b64encode(SIG)}]),
            "signature keyid and sig must be strings",
        ),
        (
            _envelope(signatures=[{"keyid": "k", "sig": None}]),
            "signature keyid and sig must be strings",
        ),
        (
            _envelope(signatures=[{"keyid": "k", "sig": "AB=="}]),
            "signature is not canonical base64 (unused bits set)",
        ),
        (
            _envelope(signatures=[{"keyid": "k", "sig": b64encode(SIG[:63])}]),
            "an Ed25519 signature is 64 bytes, got 63",
        ),
        (
            _envelope(signatures=[{"keyid": "k", "sig": b64encode(SIG + b"\x00")}]),
            "an Ed25519 signature is 64 bytes, got 65",
        ),
    ],
)
def test_parse_envelope_messages(raw: bytes, message: str) -> None:
    with raises_exactly(InputError, message):
        parse_envelope(raw)


def test_parse_envelope_payload_limit_is_exact() -> None:
    at_limit = b"x" * MAX_PAYLOAD_BYTES
    assert parse_envelope(_envelope(payload=b64encode(at_limit))).payload == at_limit
    over = MAX_PAYLOAD_BYTES + 1
    with raises_exactly(InputError, f"payload is {over} bytes; the limit is {MAX_PAYLOAD_BYTES}"):
        parse_envelope(_envelope(payload=b64encode(b"x" * over)))


def test_parse_envelope_size_limit_is_exact() -> None:
    over = MAX_ENVELOPE_BYTES + 1
    with raises_exactly(InputError, f"envelope is {over} bytes; the limit is {MAX_ENVELOPE_BYTES}"):
        parse_envelope(b" " * over)
    # At the limit the size is fine: what is refused then is the content.
    padded = _envelope()
    padded += b" " * (MAX_ENVELOPE_BYTES - len(padded))
    assert parse_envelope(padded).payload == PAYLOAD


@pytest.mark.parametrize(
    "raw",
    [b"\xff{}", b"{", b"", b"[" * 100_000, b'{"a":' + b"1" * 5000 + b"}", b"{} x"],
    ids=["not-utf8", "truncated", "empty", "deep", "long-int", "trailing"],
)
def test_parse_envelope_refuses_what_is_not_json(raw: bytes) -> None:
    with pytest.raises(InputError) as info:
        parse_envelope(raw)
    assert type(info.value) is InputError
    assert str(info.value).startswith("envelope is not ")
    assert "\n" not in str(info.value)


def test_verifier_names_round_trip_through_base64() -> None:
    # b64encode is standard, padded base64: the form b64decode_strict takes.
    assert b64encode(b"\xfb\xff") == "+/8="
    assert base64.b64decode(b64encode(SIG)) == SIG
