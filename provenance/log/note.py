"""C2SP signed notes (signed-note v1.0.0) and Ed25519 witness cosignatures.

A note is a text ending in a newline, a blank line, then signature lines
``— <key name> <base64(key ID || signature)>``. Keys use the x/mod/sumdb/note formats:

* verifier key: ``<name>+<hex key ID>+<base64(type || public key)>``
* signer key: ``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>``

Two signature types are supported: ``0x01`` Ed25519 over the note text
(signed-note §Ed25519 signatures) and ``0x04`` timestamped Ed25519
cosignatures (c2sp.org/tlog-cosignature v1).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeAlias

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from provenance.errors import InputError, NoteError, SignatureError

# signed-note §Signature types: 0x01 Ed25519, 0x04 tlog-cosignature v1 (Ed25519).
ED25519 = 0x01
COSIGNATURE_V1 = 0x04
_TYPES = (ED25519, COSIGNATURE_V1)
# signed-note §Format: verifiers SHOULD cap signatures (MUST accept 16; Go caps at 100)
# "or, equivalently, the overall size of a note"; we cap both.
MAX_SIGNATURES = 100
MAX_NOTE_SIZE = 1 << 20
# tlog-cosignature §Format: the timestamp MUST NOT exceed 2^63 - 1.
MAX_TIMESTAMP = (1 << 63) - 1
# signed-note §Format: a signature line starts with EM DASH (U+2014) and a space.
SIGNATURE_PREFIX = "\u2014 "
_COSIGNATURE_HEADER = "cosignature/v1\n"
PrivateKeyLike: TypeAlias = Ed25519PrivateKey | bytes
"""An Ed25519 private key object or its 32-byte seed."""


def decode_base64(text: str) -> bytes | None:
    """Decode canonical standard padded base64 (RFC 4648 §4); ``None`` if it is not that."""
    if not text.isascii():
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode("ascii") == text else None


def is_valid_key_name(name: str) -> bool:
    """Whether ``name`` is non-empty without Unicode spaces or ``+`` (signed-note §Format)."""
    return bool(name) and "+" not in name and not any(c.isspace() or c < " " for c in name)


def key_id(name: str, key_type: int, public_key: bytes) -> int:
    """Return the uint32 key ID ``SHA-256(name || 0x0A || type || key)[:4]`` (big-endian).

    signed-note §Signatures; tlog-cosignature §Format uses type ``0x04``.
    """
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _private_key(private_key: PrivateKeyLike) -> Ed25519PrivateKey:
    if isinstance(private_key, Ed25519PrivateKey):
        return private_key
    if len(private_key) != 32:
        raise InputError(f"an Ed25519 seed is 32 bytes, got {len(private_key)}")
    return Ed25519PrivateKey.from_private_bytes(bytes(private_key))


def _public_bytes(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes_raw()


def _parse_key_id(id_hex: str, what: str) -> int:
    if len(id_hex) != 8 or not all(c in "0123456789abcdefABCDEF" for c in id_hex):
        raise InputError(f"{what}: the key ID is not 8 hex digits")
    return int(id_hex, 16)


@dataclass(frozen=True)
class Verifier:
    """A known public key able to check note signatures.

    Attributes:
        name: the key name.
        key_id: the uint32 key ID (checked against name, type and key).
        key_type: :data:`ED25519` or :data:`COSIGNATURE_V1`.
        public_key: the 32-byte Ed25519 public key.
    """

    name: str
    key_id: int
    key_type: int
    public_key: bytes

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise InputError(f"invalid key name {self.name!r}")
        if self.key_type not in _TYPES:
            raise InputError(f"unsupported signature type 0x{self.key_type:02x}")
        if len(self.public_key) != 32:
            raise InputError(f"an Ed25519 public key is 32 bytes, got {len(self.public_key)}")
        if self.key_id != key_id(self.name, self.key_type, self.public_key):
            raise InputError(f"key ID {self.key_id:08x} does not match key {self.name!r}")

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes, key_type: int = ED25519) -> Verifier:
        """Build a verifier, computing its key ID."""
        return cls(name, key_id(name, key_type, public_key), key_type, bytes(public_key))

    @property
    def vkey(self) -> str:
        """The verifier key string ``<name>+<hex id>+<base64(type || key)>``."""
        key64 = base64.b64encode(bytes([self.key_type]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id:08x}+{key64}"

    def verify(self, text: bytes, signature: bytes) -> int | None:
        """Check a signature (without its 4-byte key ID) over a note text.

        Returns:
            The cosignature timestamp for :data:`COSIGNATURE_V1`, else ``None``.

        Raises:
            SignatureError: if the signature does not verify.
        """
        timestamp = None
        message = text
        if self.key_type == COSIGNATURE_V1:
            # tlog-cosignature §Format: u64 timestamp || ed25519_signature[64].
            if len(signature) != 8 + 64:
                raise SignatureError(f"cosignature by {self.name} is not 72 bytes")
            timestamp = int.from_bytes(signature[:8], "big")
            if timestamp > MAX_TIMESTAMP:
                raise SignatureError(f"cosignature by {self.name} has timestamp over 2^63-1")
            message = cosignature_message(text, timestamp)
            signature = signature[8:]
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError) as exc:
            raise SignatureError(f"bad signature by {self.name}+{self.key_id:08x}") from exc
        return timestamp


def parse_verifier_key(vkey: str) -> Verifier:
    """Parse ``<name>+<hex key ID>+<base64(type || public key)>``, type 0x01 or 0x04.

    tlog-cosignature §Format allows cosigner keys as vkeys of type ``0x04``.

    Raises:
        InputError: if the key is malformed or its ID does not match.
    """
    name, _, rest = vkey.partition("+")
    id_hex, _, key64 = rest.partition("+")
    kid = _parse_key_id(id_hex, f"verifier key {vkey!r}")
    raw = decode_base64(key64)
    if not raw:
        raise InputError(f"verifier key {vkey!r}: the key is not base64")
    return Verifier(name, kid, raw[0], raw[1:])


def format_verifier_key(name: str, public_key: bytes, key_type: int = ED25519) -> str:
    """Return the verifier key string of a 32-byte Ed25519 public key (type 0x01 or 0x04)."""
    return Verifier.from_public_key(name, public_key, key_type).vkey


@dataclass(frozen=True)
class SignerKey:
    """A parsed signer key (type ``0x01``); the seed is kept out of ``repr``.

    Attributes:
        name: the key name.
        key_id: the uint32 key ID of the matching public key.
        seed: the 32-byte Ed25519 seed.
    """

    name: str
    key_id: int
    seed: bytes = field(repr=False)

    @property
    def private_key(self) -> Ed25519PrivateKey:
        """The Ed25519 private key object."""
        return _private_key(self.seed)

    @property
    def verifier(self) -> Verifier:
        """The matching verifier."""
        return Verifier.from_public_key(self.name, _public_bytes(self.private_key))


def parse_signer_key(skey: str) -> SignerKey:
    """Parse ``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>``.

    Raises:
        InputError: if the key is malformed or its ID does not match.
    """
    parts = skey.split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise InputError("signer key does not start with PRIVATE+KEY+")
    name, id_hex, key64 = parts[2:]
    raw = decode_base64(key64)
    if raw is None or len(raw) != 33 or raw[0] != ED25519:
        raise InputError("signer key: the key is not base64(0x01 || 32-byte seed)")
    key = SignerKey(name, _parse_key_id(id_hex, "signer key"), raw[1:])
    if key.verifier.key_id != key.key_id:  # also checks the name
        raise InputError(f"signer key: key ID {id_hex} does not match the key")
    return key


def format_signer_key(name: str, seed: bytes) -> str:
    """Return the signer key string of a 32-byte Ed25519 seed. Keep it secret."""
    if not is_valid_key_name(name):
        raise InputError(f"invalid key name {name!r}")
    public = _public_bytes(_private_key(seed))
    seed64 = base64.b64encode(bytes([ED25519]) + seed).decode("ascii")
    return f"PRIVATE+KEY+{name}+{key_id(name, ED25519, public):08x}+{seed64}"


def _check_text(text: str) -> bytes:
    """Encode a note text, enforcing signed-note §Format on it."""
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NoteError("note text is not valid UTF-8") from exc
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if any(c < " " and c != "\n" for c in text):
        raise NoteError("note text contains an ASCII control character")
    return raw


def _line(name: str, kid: int, signature: bytes) -> str:
    if not is_valid_key_name(name):
        raise InputError(f"invalid key name {name!r}")
    sig64 = base64.b64encode(kid.to_bytes(4, "big") + signature).decode("ascii")
    return f"{SIGNATURE_PREFIX}{name} {sig64}\n"


def signature_line(text: str, name: str, private_key: PrivateKeyLike) -> str:
    """Sign a note text with Ed25519 (type ``0x01``) and return the signature line.

    The line ends with a newline, so lines can be appended to a signed note.
    """
    key = _private_key(private_key)
    kid = key_id(name, ED25519, _public_bytes(key))
    return _line(name, kid, key.sign(_check_text(text)))


def sign_note(text: str, name: str, private_key: PrivateKeyLike) -> str:
    """Return ``text`` (ending in a newline), a blank line and one Ed25519 signature line.

    Raises:
        NoteError: if the text is not a valid note text.
    """
    return text + "\n" + signature_line(text, name, private_key)


def cosignature_message(checkpoint_text: str | bytes, timestamp: int) -> bytes:
    """Build the message a v1 cosignature signs (tlog-cosignature §Ed25519 signed message).

    It is ``cosignature/v1\\n``, ``time <timestamp>\\n``, then the checkpoint
    note text (with its final newline, without signature lines).
    """
    body = checkpoint_text if isinstance(checkpoint_text, bytes) else _check_text(checkpoint_text)
    return f"{_COSIGNATURE_HEADER}time {timestamp}\n".encode() + body


def cosign(checkpoint_text: str, name: str, private_key: PrivateKeyLike, timestamp: int) -> str:
    """Cosign a checkpoint note text as a witness at ``timestamp`` (POSIX seconds).

    Returns:
        The line ``— <name> base64(key ID || u64be(timestamp) || Ed25519 signature)``,
        with its newline; append it to the signed checkpoint.
    """
    if isinstance(timestamp, bool) or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise InputError(f"cosignature timestamp {timestamp!r} is out of range")
    key = _private_key(private_key)
    kid = key_id(name, COSIGNATURE_V1, _public_bytes(key))
    sig = key.sign(cosignature_message(checkpoint_text, timestamp))
    return _line(name, kid, timestamp.to_bytes(8, "big") + sig)


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a note.

    Attributes:
        name: the key name on the line.
        key_id: the uint32 key ID (first 4 bytes of the decoded signature).
        signature: the signature bytes after the key ID.
        timestamp: for a verified cosignature, its timestamp.
    """

    name: str
    key_id: int
    signature: bytes
    timestamp: int | None = None

    @property
    def line(self) -> str:
        """The signature line, with its newline."""
        return _line(self.name, self.key_id, self.signature)


@dataclass(frozen=True)
class VerifiedNote:
    """A note whose signatures from known keys all verified (at least one).

    Attributes:
        text: the note text, with its final newline.
        signatures: the verified signatures, in note order.
        unverified: the signatures from unknown keys, which were ignored.
    """

    text: str
    signatures: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...]


def parse_note(note: str | bytes) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into text and signature lines, checking only syntax.

    Raises:
        NoteError: if the note is malformed (signed-note §Format).
    """
    try:
        note = note.decode("utf-8") if isinstance(note, bytes) else note
    except UnicodeDecodeError as exc:
        raise NoteError("note is not valid UTF-8") from exc
    # signed-note §Format: valid UTF-8, no control characters but newline.
    if len(_check_text(note)) > MAX_NOTE_SIZE:
        raise NoteError(f"note is larger than {MAX_NOTE_SIZE} bytes")
    # The text is separated from the signatures by the last empty line.
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    lines = block.split("\n")[:-1]
    if not lines:
        raise NoteError("note has no signature lines")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    sigs = []
    for number, line in enumerate(lines, 1):
        sigs.append(_parse_signature(line, f"signature line {number}"))
    return text, sigs


def _parse_signature(line: str, what: str) -> NoteSignature:
    """One signature line without its newline (signed-note §Format)."""
    name, _, sig64 = line.removeprefix(SIGNATURE_PREFIX).partition(" ")
    if not line.startswith(SIGNATURE_PREFIX) or not is_valid_key_name(name):
        raise NoteError(f"{what} is malformed")
    # Only canonical padded base64 (RFC 4648 §3.5): one signature has one spelling.
    raw = decode_base64(sig64)
    if raw is None or len(raw) < 5:
        raise NoteError(f"{what} does not hold canonical base64(key ID || signature)")
    return NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def parse_signature_line(line: str) -> NoteSignature:
    """Parse one signature line (``— <name> <base64>``, with or without its newline).

    Raises:
        NoteError: if the line is malformed or its base64 is not canonical.
    """
    body = line[:-1] if line.endswith("\n") else line
    if "\n" in body:
        raise NoteError("a signature line is one line")
    return _parse_signature(body, "signature line")


def _known_keys(verifiers: Iterable[Verifier]) -> dict[tuple[str, int], Verifier]:
    """Index verifiers by (name, key ID), refusing ambiguous sets.

    tlog-cosignature §Ed25519 signed message: the signed message does not
    commit to the cosigner's name, so one public key under two names would
    let one signature be relabelled and counted twice. Keys are therefore
    distinct by (signature type, public key) as well as by (name, key ID).
    """
    known: dict[tuple[str, int], Verifier] = {}
    names: dict[tuple[int, bytes], str] = {}
    for v in verifiers:
        if known.setdefault((v.name, v.key_id), v) != v:
            raise InputError(f"two different keys are named {v.name}+{v.key_id:08x}")
        other = names.setdefault((v.key_type, v.public_key), v.name)
        if other != v.name:
            raise InputError(f"one public key is given under two names, {other} and {v.name}")
    return known


def distinct_cosigners(note: VerifiedNote, witnesses: Iterable[Verifier]) -> tuple[Verifier, ...]:
    """The witnesses whose cosignature verified in ``note``, each key counted once.

    A quorum counts distinct witness keys: the same vkey given twice counts
    once, and one public key under two names is refused (see ``open_note``).

    Raises:
        InputError: if one public key is given under two names.
    """
    unique = tuple(_known_keys(witnesses).values())
    found = {(s.name, s.key_id) for s in note.signatures if s.timestamp is not None}
    return tuple(w for w in unique if (w.name, w.key_id) in found)


def open_note(note: str | bytes, verifiers: Iterable[Verifier]) -> VerifiedNote:
    """Parse a signed note (text or UTF-8 bytes) and verify it against known keys.

    signed-note §Signatures: signatures whose (name, key ID) match no known key
    are ignored; every one from a known key must verify, else the whole note is
    rejected; at least one must be present.

    Raises:
        NoteError: if the note is malformed, a known key's signature is bad, or
            no known key signed it.
        InputError: if two different verifiers share a name and key ID, or one
            public key is given under two names.
    """
    known = _known_keys(verifiers)
    text, sigs = parse_note(note)
    raw_text = text.encode("utf-8")
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    for sig in sigs:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            if sig not in unverified:
                unverified.append(sig)
            continue
        try:
            timestamp = verifier.verify(raw_text, sig.signature)
        except SignatureError as exc:
            raise NoteError(f"invalid signature from known key {verifier.vkey}") from exc
        checked = NoteSignature(sig.name, sig.key_id, sig.signature, timestamp)
        if all((s.name, s.key_id) != (sig.name, sig.key_id) for s in verified):
            verified.append(checked)
    if not verified:
        raise NoteError("note has no signature from a known key")
    return VerifiedNote(text, tuple(verified), tuple(unverified))
