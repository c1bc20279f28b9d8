"""Signed notes, keys and cosignatures against the C2SP and golang.org/x/mod examples."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from provenance.errors import InputError, NoteError
from provenance.log.note import (
    COSIGNATURE_V1,
    ED25519,
    MAX_SIGNATURES,
    Verifier,
    cosign,
    cosignature_message,
    format_signer_key,
    format_verifier_key,
    key_id,
    open_note,
    parse_note,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
    signature_line,
)

VECTORS = Path(__file__).parent / "vectors"
C2SP_VKEY = (VECTORS / "c2sp-signed-note/example.vkey").read_text().strip()
C2SP_NOTE = (VECTORS / "c2sp-signed-note/example.note").read_text()
PETER_VKEY = (VECTORS / "x-mod-note/peterneumann.vkey").read_text().strip()
PETER_SKEY = (VECTORS / "x-mod-note/peterneumann.skey").read_text().strip()
PETER_NOTE = (VECTORS / "x-mod-note/peterneumann.note").read_text()

# RFC 8032 §7.1 TEST 1: a published Ed25519 seed and its public key.
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


def test_vector_files_are_what_the_specs_print() -> None:
    assert C2SP_VKEY == "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    assert C2SP_NOTE.startswith("This is an example message.\n\n\u2014 example.com/foo ")
    assert PETER_VKEY == "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"


def test_c2sp_example_verifies() -> None:
    verifier = parse_verifier_key(C2SP_VKEY)
    assert (verifier.name, verifier.key_id, verifier.key_type) == ("example.com/foo", 0x530D903A, 1)
    assert format_verifier_key(verifier.name, verifier.public_key) == C2SP_VKEY
    opened = open_note(C2SP_NOTE, [verifier])
    assert opened.text == "This is an example message.\n"
    assert [s.name for s in opened.signatures] == ["example.com/foo"]
    assert opened.unverified == ()
    assert open_note(C2SP_NOTE.encode(), [verifier]) == opened


def test_x_mod_example_verifies_and_signing_reproduces_it() -> None:
    verifier = parse_verifier_key(PETER_VKEY)
    signer = parse_signer_key(PETER_SKEY)
    assert signer.verifier == verifier
    assert repr(signer.seed) not in repr(signer)
    opened = open_note(PETER_NOTE, [verifier])
    assert opened.signatures[0].key_id == 0xC74F20A3
    assert opened.signatures[0].line == PETER_NOTE.split("\n\n")[1]
    # Ed25519 is deterministic, so re-signing the text gives the same bytes.
    assert sign_note(opened.text, signer.name, signer.seed) == PETER_NOTE
    assert sign_note(opened.text, signer.name, signer.private_key) == PETER_NOTE
    assert format_signer_key(signer.name, signer.seed) == PETER_SKEY


@pytest.mark.parametrize(("note", "vkey"), [(C2SP_NOTE, C2SP_VKEY), (PETER_NOTE, PETER_VKEY)])
def test_changing_any_byte_of_the_text_fails(note: str, vkey: str) -> None:
    verifier = parse_verifier_key(vkey)
    text_length = note.rindex("\n\n") + 1
    for i in range(text_length - 1):  # every character but the final newline
        replacement = "x" if note[i] != "x" else "y"
        with pytest.raises(NoteError):
            open_note(note[:i] + replacement + note[i + 1 :], [verifier])


def test_changing_the_signature_fails() -> None:
    raw = bytearray(base64.b64decode(C2SP_NOTE.split(" ")[-1]))
    raw[10] ^= 1
    tampered = C2SP_NOTE.rsplit(" ", 1)[0] + " " + base64.b64encode(raw).decode() + "\n"
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(tampered, [parse_verifier_key(C2SP_VKEY)])
    # A bad signature from a known key rejects the note even next to a good one.
    bad_line = tampered.split("\n\n")[1]
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(C2SP_NOTE + bad_line, [parse_verifier_key(C2SP_VKEY)])


def test_unknown_key_is_rejected_and_known_plus_unknown_accepted() -> None:
    c2sp, peter = parse_verifier_key(C2SP_VKEY), parse_verifier_key(PETER_VKEY)
    with pytest.raises(NoteError, match="no signature from a known key"):
        open_note(C2SP_NOTE, [peter])
    with pytest.raises(NoteError):
        open_note(C2SP_NOTE, [])
    # A second signature by a key we do not know, over the same text.
    other = Ed25519PrivateKey.from_private_bytes(b"\x07" * 32)
    both = C2SP_NOTE + signature_line("This is an example message.\n", "example.com/bar", other)
    opened = open_note(both, [c2sp])
    assert [s.name for s in opened.signatures] == ["example.com/foo"]
    assert [s.name for s in opened.unverified] == ["example.com/bar"]
    # The same unknown line with a garbage signature is still ignored.
    garbage = "\u2014 example.com/bar " + base64.b64encode(b"\x01\x02\x03\x04" + b"z" * 64).decode()
    assert open_note(C2SP_NOTE + garbage + "\n", [c2sp]).text == opened.text
    # Same name, other key ID: an unknown key, ignored.
    same_name = "\u2014 example.com/foo " + base64.b64encode(b"\0\0\0\0" + b"z" * 64).decode()
    assert open_note(C2SP_NOTE + same_name + "\n", [c2sp]).signatures == opened.signatures
    # Both keys known: both verified.
    bar = Verifier.from_public_key("example.com/bar", other.public_key().public_bytes_raw())
    assert len(open_note(both, [c2sp, bar]).signatures) == 2


def test_own_keys_round_trip() -> None:
    seed = bytes(range(32))
    skey = format_signer_key("example.com/own", seed)
    signer = parse_signer_key(skey)
    assert (signer.name, signer.seed) == ("example.com/own", seed)
    vkey = signer.verifier.vkey
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    assert vkey == format_verifier_key("example.com/own", public)
    assert parse_verifier_key(vkey) == signer.verifier
    expected_id = hashlib.sha256(b"example.com/own\n\x01" + public).digest()[:4]
    assert signer.key_id == int.from_bytes(expected_id, "big")
    assert skey.startswith(f"PRIVATE+KEY+example.com/own+{expected_id.hex()}+")
    note = sign_note("line one\n\nline three after an empty line\n", signer.name, seed)
    assert open_note(note, [parse_verifier_key(vkey)]).text.endswith("empty line\n")


def test_rfc8032_key_id_and_keys() -> None:
    vkey = format_verifier_key("example.com/rfc8032", RFC8032_PUBLIC)
    assert vkey == "example.com/rfc8032+c0c5b2a9+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
    skey = format_signer_key("example.com/rfc8032", RFC8032_SEED)
    assert parse_signer_key(skey).verifier.public_key == RFC8032_PUBLIC


@pytest.mark.parametrize(
    "vkey",
    [
        "",
        "example.com/foo",
        "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # wrong ID
        "example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # 7 digits
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2",  # bad base64
        "example.com/foo+530d903a+",
        "example.com/f o+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        # Right ID for type 0x02, which is not supported:
        f"example.com/foo+{key_id('example.com/foo', 2, RFC8032_PUBLIC):08x}+"
        + base64.b64encode(b"\x02" + RFC8032_PUBLIC).decode(),
        # Right ID for a 31-byte key:
        f"example.com/foo+{key_id('example.com/foo', 1, RFC8032_PUBLIC[:31]):08x}+"
        + base64.b64encode(b"\x01" + RFC8032_PUBLIC[:31]).decode(),
    ],
)
def test_bad_verifier_keys(vkey: str) -> None:
    with pytest.raises(InputError):
        parse_verifier_key(vkey)


@pytest.mark.parametrize(
    "skey",
    [
        PETER_SKEY.replace("PRIVATE+KEY", "PUBLIC+KEY"),
        PETER_SKEY.replace("c74f20a3", "c74f20a4"),
        PETER_SKEY.replace("PeterNeumann", "PeterNeumanm"),
        PETER_SKEY[:-4],
        PETER_VKEY,
    ],
)
def test_bad_signer_keys(skey: str) -> None:
    with pytest.raises(InputError):
        parse_signer_key(skey)


SIG = PETER_NOTE.split("\n\n")[1]  # "— PeterNeumann <base64>\n"
TEXT = PETER_NOTE.split("\n\n")[0] + "\n"


@pytest.mark.parametrize(
    "note",
    [
        TEXT + SIG,  # no blank line
        TEXT + "\n" + SIG[:-1],  # no final newline
        TEXT + "\n",  # no signatures
        TEXT + "\n" + SIG + "\n",  # trailing blank line: the last one splits
        TEXT + "\n" + SIG.replace("\u2014", "-"),  # hyphen instead of em dash
        TEXT + "\n" + SIG.replace("\u2014 ", "\u2014"),
        TEXT + "\n" + SIG.replace("\u2014 ", "\u2013 "),  # en dash
        TEXT + "\n" + SIG.replace("PeterNeumann ", "PeterNeumann  "),
        TEXT + "\n" + SIG.replace("PeterNeumann", "Peter+Neumann"),
        TEXT + "\n" + SIG.replace("PeterNeumann", "Peter\u00a0Neumann"),
        TEXT + "\n" + SIG.replace("=\n", "\n"),  # unpadded base64
        TEXT + "\n" + SIG.replace("x08", "x0_"),  # not base64
        TEXT + "\n" + "\u2014 PeterNeumann AAAAAA==\n",  # 4 bytes: no signature
        TEXT.replace("\n", "\r\n") + "\r\n" + SIG.replace("\n", "\r\n"),
        TEXT.replace("you", "you\t") + "\n" + SIG,
        "\ud800" + TEXT + "\n" + SIG,  # lone surrogate: not UTF-8
    ],
)
def test_malformed_notes_are_rejected(note: str) -> None:
    with pytest.raises(NoteError):
        open_note(note, [parse_verifier_key(PETER_VKEY)])


def test_non_utf8_bytes_are_rejected() -> None:
    with pytest.raises(NoteError, match="UTF-8"):
        open_note(b"\xff" + PETER_NOTE.encode(), [parse_verifier_key(PETER_VKEY)])


def test_signature_count_limit() -> None:
    peter = parse_verifier_key(PETER_VKEY)
    filler = "\u2014 someone.else " + base64.b64encode(b"\0\0\0\1" + b"s" * 64).decode() + "\n"
    at_limit = PETER_NOTE + filler * (MAX_SIGNATURES - 1)
    assert len(parse_note(at_limit)[1]) == MAX_SIGNATURES
    assert open_note(at_limit, [peter]).signatures[0].name == "PeterNeumann"
    with pytest.raises(NoteError, match="more than 100"):
        open_note(at_limit + filler, [peter])


def test_signing_rejects_bad_input() -> None:
    with pytest.raises(NoteError):
        sign_note("no final newline", "example.com/a", RFC8032_SEED)
    with pytest.raises(NoteError):
        sign_note("a\x00b\n", "example.com/a", RFC8032_SEED)
    with pytest.raises(InputError):
        sign_note("text\n", "bad name", RFC8032_SEED)
    with pytest.raises(InputError):
        sign_note("text\n", "example.com/a", b"short seed")


def test_conflicting_verifiers_are_refused() -> None:
    peter = parse_verifier_key(PETER_VKEY)
    assert open_note(PETER_NOTE, [peter, peter]).text == TEXT  # duplicates are fine
    # Forge a verifier object with the same name and ID but another key.
    impostor = object.__new__(Verifier)
    for name, value in vars(peter).items():
        object.__setattr__(impostor, name, value)
    object.__setattr__(impostor, "public_key", RFC8032_PUBLIC)
    with pytest.raises(InputError):
        open_note(PETER_NOTE, [peter, impostor])


CHECKPOINT = (VECTORS / "tessera-testdata-log/testdata/log/checkpoint.15").read_text()
LOG_VKEY = "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx"
GOLDEN_COSIGNATURE = (
    "\u2014 witness.example.com/w1 fm9KqgAAAABkGFDL4K5yyNZQgOZFII39od4xuO7SSfdaPNP4QdOQU/"
    "z7quroZqtStjKU8fqJ0Mg6x5wiCE0TUVR12NEqxxQkjQlkBw==\n"
)


def test_golden_cosignature() -> None:
    text = parse_note(CHECKPOINT)[0]
    line = cosign(text, "witness.example.com/w1", RFC8032_SEED, 1679315147)
    assert line == GOLDEN_COSIGNATURE
    # Take the line apart independently of the module under test.
    raw = base64.b64decode(line.split(" ")[-1])
    assert raw[:4] == hashlib.sha256(b"witness.example.com/w1\n\x04" + RFC8032_PUBLIC).digest()[:4]
    assert int.from_bytes(raw[4:12], "big") == 1679315147
    message = b"cosignature/v1\ntime 1679315147\n" + text.encode()
    assert cosignature_message(text, 1679315147) == message
    Ed25519PublicKey.from_public_bytes(RFC8032_PUBLIC).verify(raw[12:], message)


def test_cosignature_verifies_next_to_the_log_signature() -> None:
    text = parse_note(CHECKPOINT)[0]
    log = parse_verifier_key(LOG_VKEY)
    vkey = format_verifier_key("witness.example.com/w1", RFC8032_PUBLIC, COSIGNATURE_V1)
    assert vkey.split("+")[2].startswith("BN")  # base64 of 0x04 || key
    witness = parse_verifier_key(vkey)
    cosigned = CHECKPOINT + GOLDEN_COSIGNATURE
    opened = open_note(cosigned, [log, witness])
    assert [(s.name, s.timestamp) for s in opened.signatures] == [
        ("example.com/log/testdata", None),
        ("witness.example.com/w1", 1679315147),
    ]
    # The same key as a plain Ed25519 verifier has another key ID: ignored.
    plain = Verifier.from_public_key("witness.example.com/w1", RFC8032_PUBLIC, ED25519)
    assert open_note(cosigned, [log, plain]).unverified[0].name == "witness.example.com/w1"
    # Another timestamp, or another checkpoint, breaks the cosignature.
    other_time = cosign(text, "witness.example.com/w1", RFC8032_SEED, 1679315148)
    raw = base64.b64decode(other_time.split(" ")[-1])
    moved = raw[:4] + (1679315147).to_bytes(8, "big") + raw[12:]
    forged = f"\u2014 witness.example.com/w1 {base64.b64encode(moved).decode()}\n"
    with pytest.raises(NoteError):
        open_note(CHECKPOINT + forged, [log, witness])
    with pytest.raises(NoteError):
        open_note(CHECKPOINT.replace("\n15\n", "\n14\n") + GOLDEN_COSIGNATURE, [witness])


def test_cosign_rejects_bad_timestamps() -> None:
    text = parse_note(CHECKPOINT)[0]
    for timestamp in (-1, 1 << 63):
        with pytest.raises(InputError):
            cosign(text, "witness.example.com/w1", RFC8032_SEED, timestamp)
