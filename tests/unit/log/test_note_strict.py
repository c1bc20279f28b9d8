"""Strictness of signed notes that verifiers rely on (issue 10 §D and §H).

Each test pins one rule a mutant of ``provenance/log/note.py`` could break:
a bad known signature after an unknown line, the cosignature timestamp limit,
canonical base64, one key counted once, the signature-line parser.
"""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provenance.errors import InputError, NoteError
from provenance.log.note import (
    COSIGNATURE_V1,
    MAX_TIMESTAMP,
    Verifier,
    cosign,
    cosignature_message,
    distinct_cosigners,
    open_note,
    parse_note,
    parse_signature_line,
    sign_note,
    signature_line,
)

TEXT = "example.com/log\n5\n" + base64.b64encode(b"\x11" * 32).decode() + "\n"
LOG_SEED = b"\x01" * 32
WITNESS_SEED = b"\x02" * 32
LOG = Verifier.from_public_key(
    "example.com/log",
    Ed25519PrivateKey.from_private_bytes(LOG_SEED).public_key().public_bytes_raw(),
)
WITNESS_PUBLIC = Ed25519PrivateKey.from_private_bytes(WITNESS_SEED).public_key().public_bytes_raw()
WITNESS = Verifier.from_public_key("witness.example/w1", WITNESS_PUBLIC, COSIGNATURE_V1)
NOTE = sign_note(TEXT, LOG.name, LOG_SEED)


def _line(name: str, raw: bytes) -> str:
    return f"\u2014 {name} {base64.b64encode(raw).decode()}\n"


def _cosignature(stamp: int, name: str = WITNESS.name, kid: int = WITNESS.key_id) -> str:
    """A cosignature line signed at any timestamp, even one cosign() refuses."""
    key = Ed25519PrivateKey.from_private_bytes(WITNESS_SEED)
    sig = key.sign(cosignature_message(TEXT, stamp))
    return _line(name, kid.to_bytes(4, "big") + stamp.to_bytes(8, "big") + sig)


def test_a_bad_known_signature_after_an_unknown_line_fails() -> None:
    """open_note must not stop at the first unknown-key line (a surviving mutant)."""
    stranger = Ed25519PrivateKey.from_private_bytes(b"\x09" * 32)
    unknown = signature_line(TEXT, "stranger.example", stranger)
    good = cosign(TEXT, WITNESS.name, WITNESS_SEED, 1_700_000_000)
    assert len(open_note(NOTE + unknown + good, [LOG, WITNESS]).signatures) == 2
    raw = bytearray(base64.b64decode(good.split(" ")[2]))
    raw[-1] ^= 1
    with pytest.raises(NoteError, match="invalid signature from known key"):
        open_note(NOTE + unknown + _line(WITNESS.name, bytes(raw)), [LOG, WITNESS])


def test_a_cosignature_timestamp_above_2_63_minus_1_is_refused() -> None:
    """tlog-cosignature §Format: the timestamp MUST NOT exceed 2^63 - 1."""
    at_limit = open_note(NOTE + _cosignature(MAX_TIMESTAMP), [LOG, WITNESS])
    assert at_limit.signatures[1].timestamp == MAX_TIMESTAMP == 2**63 - 1
    with pytest.raises(NoteError, match="invalid signature from known key"):
        open_note(NOTE + _cosignature(MAX_TIMESTAMP + 1), [LOG, WITNESS])
    with pytest.raises(NoteError):
        open_note(NOTE + _cosignature(2**64 - 1), [LOG, WITNESS])


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _unused_bits_set(b64: str) -> str:
    """The same bytes, spelled with the unused low bits of the last character set."""
    last = ALPHABET.index(b64[-2])
    assert last & 3 == 0  # canonical: 68 bytes leave 2 unused bits, which are zero
    return b64[:-2] + ALPHABET[last | 1] + "="


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b64: b64.rstrip("="),  # padding left out
        _unused_bits_set,  # decodes to the same bytes, but not canonically spelled
        lambda b64: b64.translate(str.maketrans("+/", "-_")) + "A",  # URL alphabet
        lambda b64: b64[:10] + "\n" + b64[10:],  # a line break inside
        lambda b64: b64 + "=",  # extra padding
    ],
)
def test_non_canonical_base64_in_a_signature_line_is_refused(mangle: object) -> None:
    line = NOTE.split("\n\n")[1].rstrip("\n")
    prefix, b64 = line.rsplit(" ", 1)
    assert b64.endswith("=") and not b64.endswith("==")  # 4 + 64 bytes
    mangled = mangle(b64)  # type: ignore[operator]
    assert mangled != b64
    with pytest.raises(NoteError):
        open_note(TEXT + "\n" + prefix + " " + mangled + "\n", [LOG])
    # The canonical spelling of the same bytes verifies.
    assert open_note(TEXT + "\n" + prefix + " " + b64 + "\n", [LOG]).text == TEXT


def test_one_witness_key_counts_once() -> None:
    """The same key twice counts once; one public key under two names is refused."""
    line = cosign(TEXT, WITNESS.name, WITNESS_SEED, 1_700_000_000)
    opened = open_note(NOTE + line, [LOG, WITNESS, WITNESS])
    assert distinct_cosigners(opened, [WITNESS, WITNESS]) == (WITNESS,)
    alias = Verifier.from_public_key("witness.example/alias", WITNESS_PUBLIC, COSIGNATURE_V1)
    # The cosigned message does not name the cosigner: the line relabelled still verifies.
    raw = base64.b64decode(line.split(" ")[2])
    relabelled = _line(alias.name, alias.key_id.to_bytes(4, "big") + raw[4:])
    assert open_note(NOTE + relabelled, [LOG, alias]).signatures[1].name == alias.name
    with pytest.raises(InputError, match="under two names"):
        open_note(NOTE + line + relabelled, [LOG, WITNESS, alias])
    with pytest.raises(InputError, match="under two names"):
        distinct_cosigners(opened, [WITNESS, alias])


def test_distinct_cosigners_counts_only_verified_cosignatures() -> None:
    other_public = Ed25519PrivateKey.from_private_bytes(b"\x03" * 32).public_key()
    other = Verifier.from_public_key(
        "witness.example/w2", other_public.public_bytes_raw(), COSIGNATURE_V1
    )
    opened = open_note(NOTE + cosign(TEXT, WITNESS.name, WITNESS_SEED, 5), [LOG, WITNESS, other])
    assert distinct_cosigners(opened, [WITNESS, other]) == (WITNESS,)
    # The log's own (non-cosignature) signature never counts as a witness.
    assert distinct_cosigners(opened, [LOG]) == ()


def test_parse_signature_line() -> None:
    line = NOTE.split("\n\n")[1]
    sig = parse_signature_line(line)
    assert (sig.name, sig.key_id) == (LOG.name, LOG.key_id)
    assert parse_signature_line(line.rstrip("\n")) == sig
    assert sig.line == line
    for bad in (line + line, "- " + line[2:], line.replace(" ", "  ", 1), "\u2014 name\n"):
        with pytest.raises(NoteError):
            parse_signature_line(bad)


def test_the_signature_cap_counts_lines_from_unknown_keys_too() -> None:
    """signed-note: verifiers cap signatures per note; ours is 100, whoever signed."""
    filler = _line("someone.else", b"\0\0\0\1" + b"s" * 64)
    assert len(parse_note(NOTE + filler * 99)[1]) == 100
    with pytest.raises(NoteError, match="more than 100 signatures"):
        parse_note(NOTE + filler * 100)
