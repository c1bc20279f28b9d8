"""DSSE envelopes over canonical statement payloads.

The signed form of a statement is a DSSE envelope (in-toto's signing envelope)
whose payload is the RFC 8785 canonical JSON of the statement. The signature is
Ed25519 over ``PAE(payloadType, payload)``. A verifier works on the payload
bytes exactly as stored: nothing is ever re-serialised before it is checked.
See ``docs/spec/statements.md``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from provenance.canonical import canonical_json
from provenance.errors import InputError, SignatureError
from provenance.ids import KeyId, StatementId
from provenance.rules import strict_json

PAYLOAD_TYPE = "application/vnd.prov.statement.v1+json"
"""The DSSE payloadType of every statement; it is inside the signature (PAE)."""

MAX_ENVELOPE_BYTES = 2 * 1024 * 1024
MAX_PAYLOAD_BYTES = 1024 * 1024
"""A payload over 1 MiB is refused before it is parsed."""

_ENVELOPE_KEYS = {"payload", "payloadType", "signatures"}


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE pre-authentication encoding: the bytes that are actually signed.

    ``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body``, with LEN the byte
    length in ASCII decimal and SP one space.
    """
    type_bytes = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(type_bytes), type_bytes, len(payload), payload)


def key_id(public_key: bytes) -> KeyId:
    """The key id of a raw 32-byte Ed25519 public key: hex SHA-256 of those bytes."""
    if len(public_key) != 32:
        raise InputError(f"an Ed25519 public key is 32 bytes, got {len(public_key)}")
    return KeyId(hashlib.sha256(public_key).hexdigest())


def statement_id(payload: bytes) -> StatementId:
    """The id of a statement: hex SHA-256 of its payload bytes."""
    return StatementId(hashlib.sha256(payload).hexdigest())


def b64decode_strict(text: str, what: str) -> bytes:
    """Standard, padded base64 (RFC 4648 §4); anything else is an InputError."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as e:
        raise InputError(f"{what} is not valid base64") from e
    # Non-zero unused bits in the last character decode to the same bytes;
    # requiring the canonical spelling keeps one statement to one byte string.
    if base64.b64encode(data).decode("ascii") != text:
        raise InputError(f"{what} is not canonical base64 (unused bits set)")
    return data


def b64encode(data: bytes) -> str:
    """Standard, padded base64 as text."""
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class Signature:
    """One DSSE signature: the signer's key id and the 64-byte Ed25519 signature."""

    keyid: KeyId
    sig: bytes


@dataclass(frozen=True)
class Envelope:
    """A parsed DSSE envelope, holding the exact bytes it was parsed from."""

    raw: bytes
    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...]

    @property
    def statement_id(self) -> StatementId:
        """The id of the statement this envelope carries."""
        return statement_id(self.payload)


def encode_envelope(payload: bytes, signatures: list[Signature]) -> bytes:
    """Serialise an envelope as RFC 8785 canonical JSON (the stored form)."""
    obj: dict[str, Any] = {
        "payload": b64encode(payload),
        "payloadType": PAYLOAD_TYPE,
        "signatures": [{"keyid": s.keyid, "sig": b64encode(s.sig)} for s in signatures],
    }
    return canonical_json(obj)


def sign_payload(payload: bytes, private_key: Ed25519PrivateKey) -> bytes:
    """Sign canonical payload bytes and return the canonical envelope bytes."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise InputError(f"payload is {len(payload)} bytes; the limit is {MAX_PAYLOAD_BYTES}")
    public = private_key.public_key().public_bytes_raw()
    sig = private_key.sign(pae(PAYLOAD_TYPE, payload))
    return encode_envelope(payload, [Signature(key_id(public), sig)])


def parse_envelope(raw: bytes) -> Envelope:
    """Parse envelope bytes strictly; raise InputError naming what is wrong."""
    if len(raw) > MAX_ENVELOPE_BYTES:
        raise InputError(f"envelope is {len(raw)} bytes; the limit is {MAX_ENVELOPE_BYTES}")
    # Strict JSON (docs/spec/statements.md, "What a verifier refuses"): a
    # duplicate "payload" would otherwise let a decoy hide behind the signed one.
    obj: Any = strict_json.loads(raw, "envelope")
    if not isinstance(obj, dict):
        raise InputError("envelope must be a JSON object")
    if set(obj) != _ENVELOPE_KEYS:
        missing = sorted(_ENVELOPE_KEYS - set(obj))
        extra = sorted(set(obj) - _ENVELOPE_KEYS)
        raise InputError(f"envelope fields wrong: missing {missing}, unexpected {extra}")
    if obj["payloadType"] != PAYLOAD_TYPE:
        raise InputError(
            f"envelope payloadType is {obj['payloadType']!r}; expected {PAYLOAD_TYPE!r}"
        )
    if not isinstance(obj["payload"], str):
        raise InputError("envelope payload must be a base64 string")
    payload = b64decode_strict(obj["payload"], "envelope payload")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise InputError(f"payload is {len(payload)} bytes; the limit is {MAX_PAYLOAD_BYTES}")
    sigs = obj["signatures"]
    if not isinstance(sigs, list) or len(sigs) != 1:
        raise InputError("envelope must carry exactly one signature")
    parsed: list[Signature] = []
    for s in sigs:
        if not isinstance(s, dict) or set(s) != {"keyid", "sig"}:
            raise InputError("each signature must have exactly the fields keyid and sig")
        if not isinstance(s["keyid"], str) or not isinstance(s["sig"], str):
            raise InputError("signature keyid and sig must be strings")
        sig = b64decode_strict(s["sig"], "signature")
        if len(sig) != 64:
            raise InputError(f"an Ed25519 signature is 64 bytes, got {len(sig)}")
        parsed.append(Signature(KeyId(s["keyid"]), sig))
    return Envelope(raw=raw, payload_type=PAYLOAD_TYPE, payload=payload, signatures=tuple(parsed))


def _verify_ed25519_openssl(public_key: bytes, signature: bytes, message: bytes) -> bool:
    # RFC 8032 §5.1.7: a 32-byte key and a 64-byte signature, else not valid.
    if len(public_key) != 32 or len(signature) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except InvalidSignature:
        return False
    return True


try:  # libsodium verifies about twice as fast as OpenSSL here (docs/adr/0003).
    from nacl.bindings import crypto_sign_open
    from nacl.exceptions import BadSignatureError

    def verify_ed25519(public_key: bytes, signature: bytes, message: bytes) -> bool:
        """Ed25519 verification (RFC 8032) of a 64-byte signature; True if valid."""
        # libsodium reads the first 32 bytes of a longer key: refuse any other length.
        if len(public_key) != 32 or len(signature) != 64:
            return False
        try:
            crypto_sign_open(signature + message, public_key)
        except (BadSignatureError, ValueError):
            return False
        return True

except ImportError:  # pragma: no cover - PyNaCl is a dependency; kept for minimal installs
    verify_ed25519 = _verify_ed25519_openssl


def verify_envelope(envelope: Envelope, public_key: bytes) -> None:
    """Check the envelope's signature against a raw Ed25519 public key.

    Raises:
        SignatureError: the signature is not by this key, or does not verify.
    """
    expected = key_id(public_key)
    sig = envelope.signatures[0]
    if sig.keyid != expected:
        raise SignatureError(f"signature keyid {sig.keyid[:16]}… is not the key {expected[:16]}…")
    if not verify_ed25519(public_key, sig.sig, pae(envelope.payload_type, envelope.payload)):
        raise SignatureError(f"signature by key {expected[:16]}… does not verify")
