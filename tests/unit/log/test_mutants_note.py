"""Tests that kill mutmut's survivors in provenance.log.note (issue 10 §H).

Among them the two the issue names: ``open_note`` must look at every
signature line (a bad signature from a known key after an unknown key's line
rejects the note), and base64 with non-zero unused bits is not base64 here.
Refusals are checked for their exact class and message.
"""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provenance.errors import InputError, NoteError, SignatureError
from provenance.log.note import (
    COSIGNATURE_V1,
    ED25519,
    MAX_NOTE_SIZE,
    MAX_SIGNATURES,
    MAX_TIMESTAMP,
    SIGNATURE_PREFIX,
    NoteSignature,
    Verifier,
    cosign,
    cosignature_message,
    decode_base64,
    format_signer_key,
    format_verifier_key,
    is_valid_key_name,
    key_id,
    open_note,
    parse_note,
    parse_signature_line,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
    signature_line,
)
from tests.unit.exact import raises_exactly

NOT_BASE64 = "does not hold canonical base64(key ID || signature)"

SEED_A, SEED_B, SEED_W = b"\x0a" * 32, b"\x0b" * 32, b"\x0c" * 32
PUB_A = Ed25519PrivateKey.from_private_bytes(SEED_A).public_key().public_bytes_raw()
PUB_B = Ed25519PrivateKey.from_private_bytes(SEED_B).public_key().public_bytes_raw()
PUB_W = Ed25519PrivateKey.from_private_bytes(SEED_W).public_key().public_bytes_raw()
A = Verifier.from_public_key("log.example/a", PUB_A)
B = Verifier.from_public_key("other.example/b", PUB_B)
W = Verifier.from_public_key("witness.example/w", PUB_W, COSIGNATURE_V1)
TEXT = "log.example/a\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def line(name: str, kid: int, signature: bytes) -> str:
    return f"{SIGNATURE_PREFIX}{name} {b64(kid.to_bytes(4, 'big') + signature)}\n"


def corrupt(sig_line: str) -> str:
    """The same signature line with one bit of its signature flipped."""
    name, sig64 = sig_line.removeprefix(SIGNATURE_PREFIX).rstrip("\n").split(" ")
    raw = bytearray(base64.b64decode(sig64))
    raw[-1] ^= 1
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(raw).decode()}\n"


# -- open_note looks at every line --------------------------------------------------------


def test_a_bad_known_signature_after_an_unknown_line_rejects_the_note() -> None:
    signed = sign_note(TEXT, A.name, SEED_A)
    unknown = signature_line(TEXT, B.name, SEED_B)
    bad = corrupt(signature_line(TEXT, A.name, SEED_A))
    with raises_exactly(NoteError, f"invalid signature from known key {A.vkey}"):
        open_note(TEXT + "\n" + unknown + bad, [A])
    with raises_exactly(NoteError, f"invalid signature from known key {A.vkey}"):
        open_note(signed + unknown + bad, [A])


def test_a_good_known_signature_after_unknown_lines_is_found() -> None:
    unknown = signature_line(TEXT, B.name, SEED_B)
    good = signature_line(TEXT, A.name, SEED_A)
    opened = open_note(TEXT + "\n" + unknown + unknown + good, [A])
    assert [s.name for s in opened.signatures] == [A.name]
    # The same unknown line twice is listed once.
    assert [(s.name, s.key_id) for s in opened.unverified] == [(B.name, B.key_id)]
    assert opened.text == TEXT


def test_a_witness_after_the_log_and_an_unknown_line_is_verified_with_its_timestamp() -> None:
    note = sign_note(TEXT, A.name, SEED_A) + signature_line(TEXT, B.name, SEED_B)
    note += cosign(TEXT, W.name, SEED_W, 1_700_000_000)
    opened = open_note(note, [A, W])
    assert [(s.name, s.timestamp) for s in opened.signatures] == [
        (A.name, None),
        (W.name, 1_700_000_000),
    ]
    assert [s.name for s in opened.unverified] == [B.name]


def test_a_repeated_known_signature_is_listed_once() -> None:
    good = signature_line(TEXT, A.name, SEED_A)
    opened = open_note(TEXT + "\n" + good + good, [A])
    assert len(opened.signatures) == 1
    assert opened.signatures[0] == NoteSignature(A.name, A.key_id, opened.signatures[0].signature)
    assert opened.signatures[0].line == good


def test_only_unknown_signatures_is_refused() -> None:
    with raises_exactly(NoteError, "note has no signature from a known key"):
        open_note(sign_note(TEXT, B.name, SEED_B), [A])
    with raises_exactly(NoteError, "note has no signature from a known key"):
        open_note(sign_note(TEXT, B.name, SEED_B), [])


def test_two_different_keys_under_one_name_and_id_are_refused() -> None:
    impostor = object.__new__(Verifier)
    for name, value in vars(A).items():
        object.__setattr__(impostor, name, value)
    object.__setattr__(impostor, "public_key", PUB_B)
    with raises_exactly(InputError, f"two different keys are named {A.name}+{A.key_id:08x}"):
        open_note(sign_note(TEXT, A.name, SEED_A), [A, impostor])
    assert open_note(sign_note(TEXT, A.name, SEED_A), [A, A, B]).text == TEXT


# -- canonical base64 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("AA==", b"\x00"), ("AAE=", b"\x00\x01"), ("AAEC", b"\x00\x01\x02"), ("", b"")],
)
def test_canonical_base64_decodes(text: str, expected: bytes) -> None:
    assert decode_base64(text) == expected


@pytest.mark.parametrize("text", ["AB==", "AAF=", "AA", "AA=", "A A=", "AA==\n", "ÀA==", "AA-_"])
def test_non_canonical_or_invalid_base64_is_none(text: str) -> None:
    assert decode_base64(text) is None


def set_an_unused_bit(text: str) -> str:
    """The same bytes in base64 with a non-zero unused bit in the last character."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    body = text.rstrip("=")
    assert len(text) > len(body)  # padded, so the last character has unused bits
    last = alphabet[alphabet.index(body[-1]) ^ 1]
    changed = body[:-1] + last + text[len(body) :]
    assert changed != text and base64.b64decode(changed) == base64.b64decode(text)
    return changed


def test_a_signature_line_with_unused_base64_bits_is_refused() -> None:
    good = signature_line(TEXT, A.name, SEED_A)
    sig64 = good.rstrip("\n").split(" ")[-1]  # 68 bytes: one "=" of padding
    note = TEXT + "\n" + good.replace(sig64, set_an_unused_bit(sig64))
    with raises_exactly(NoteError, f"signature line 1 {NOT_BASE64}"):
        parse_note(note)
    cosig = cosign(TEXT, W.name, SEED_W, 5)
    sig64 = cosig.rstrip("\n").split(" ")[-1]  # 76 bytes: two "=" of padding
    note = sign_note(TEXT, A.name, SEED_A) + cosig.replace(sig64, set_an_unused_bit(sig64))
    with raises_exactly(NoteError, f"signature line 2 {NOT_BASE64}"):
        open_note(note, [A, W])


# -- parse_note ------------------------------------------------------------------------


def test_parse_note_messages() -> None:
    good = signature_line(TEXT, A.name, SEED_A)
    with raises_exactly(NoteError, "note is not valid UTF-8"):
        parse_note(b"\xff" + (TEXT + "\n" + good).encode())
    with raises_exactly(NoteError, "note text is not valid UTF-8"):
        parse_note("\ud800" + TEXT + "\n" + good)
    with raises_exactly(NoteError, "note text must end with a newline"):
        parse_note(TEXT + "\n" + good.rstrip("\n"))
    with raises_exactly(NoteError, "note text contains an ASCII control character"):
        parse_note("a\tb\n\n" + good)
    with raises_exactly(NoteError, "note has no blank line before its signatures"):
        parse_note(TEXT + good)
    with raises_exactly(NoteError, "note has no signature lines"):
        parse_note(TEXT + "\n")
    with raises_exactly(NoteError, "signature line 2 is malformed"):
        parse_note(TEXT + "\n" + good + good.replace(SIGNATURE_PREFIX, "- "))
    with raises_exactly(NoteError, "signature line 1 is malformed"):
        parse_note(TEXT + "\n" + good.replace(A.name, "a+b"))
    with raises_exactly(NoteError, "signature line 1 is malformed"):
        parse_note(TEXT + "\n" + good.replace(A.name + " ", ""))


def test_a_signature_needs_more_than_its_key_id() -> None:
    with raises_exactly(NoteError, f"signature line 1 {NOT_BASE64}"):
        parse_note(TEXT + "\n" + line(A.name, A.key_id, b""))
    text, [sig] = parse_note(TEXT + "\n" + line(A.name, 0x01020304, b"\x05"))
    assert (text, sig.name, sig.key_id, sig.signature) == (TEXT, A.name, 0x01020304, b"\x05")


def test_the_signature_count_limit_is_exact() -> None:
    filler = line(B.name, 1, b"s" * 64)
    assert len(parse_note(TEXT + "\n" + filler * MAX_SIGNATURES)[1]) == MAX_SIGNATURES
    with raises_exactly(NoteError, f"note has more than {MAX_SIGNATURES} signatures"):
        parse_note(TEXT + "\n" + filler * (MAX_SIGNATURES + 1))


def test_the_note_size_limit_is_exact() -> None:
    good = signature_line("x" * 10 + "\n", A.name, SEED_A)
    fill = MAX_NOTE_SIZE - len(("\n\n" + good).encode())
    text = "x" * fill + "\n"
    at_limit = text + "\n" + good
    assert len(at_limit.encode()) == MAX_NOTE_SIZE
    assert parse_note(at_limit)[0] == text
    with raises_exactly(NoteError, f"note is larger than {MAX_NOTE_SIZE} bytes"):
        parse_note("x" + at_limit)


def test_the_last_blank_line_separates_text_and_signatures() -> None:
    good = signature_line("a\n\nb\n", A.name, SEED_A)
    assert parse_note("a\n\nb\n\n" + good)[0] == "a\n\nb\n"
    assert open_note("a\n\nb\n\n" + good, [A]).text == "a\n\nb\n"


# -- keys and names ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "a+b", "a b", "a\u2003b", "a\x01b", "a\nb", "\x7f\u00a0"])
def test_invalid_key_names(name: str) -> None:
    assert not is_valid_key_name(name)
    with raises_exactly(InputError, f"invalid key name {name!r}"):
        Verifier.from_public_key(name, PUB_A)
    with raises_exactly(InputError, f"invalid key name {name!r}"):
        format_signer_key(name, SEED_A)
    with raises_exactly(InputError, f"invalid key name {name!r}"):
        signature_line(TEXT, name, SEED_A)


@pytest.mark.parametrize("name", ["a", "log.example/a", "x\x7fy", "é/ü", "PeterNeumann"])
def test_valid_key_names(name: str) -> None:
    assert is_valid_key_name(name)


def test_key_id_is_big_endian_over_name_newline_type_key() -> None:
    import hashlib

    digest = hashlib.sha256(b"log.example/a\n\x01" + PUB_A).digest()
    assert key_id("log.example/a", ED25519, PUB_A) == int.from_bytes(digest[:4], "big")
    assert A.key_id == int.from_bytes(digest[:4], "big")
    assert A.vkey == (f"log.example/a+{digest[:4].hex()}+{b64(bytes([ED25519]) + PUB_A)}")


def test_verifier_checks() -> None:
    with raises_exactly(InputError, "unsupported signature type 0x02"):
        Verifier(A.name, key_id(A.name, 2, PUB_A), 2, PUB_A)
    with raises_exactly(InputError, "an Ed25519 public key is 32 bytes, got 31"):
        Verifier(A.name, key_id(A.name, 1, PUB_A[:31]), 1, PUB_A[:31])
    with raises_exactly(InputError, f"key ID {A.key_id ^ 1:08x} does not match key {A.name!r}"):
        Verifier(A.name, A.key_id ^ 1, ED25519, PUB_A)
    assert Verifier(W.name, W.key_id, COSIGNATURE_V1, PUB_W) == W


def test_parse_verifier_key_messages() -> None:
    key64 = A.vkey.split("+", 2)[2]
    for id_hex in ("530d903", "530d903a0", "530d903g", ""):
        vkey = f"{A.name}+{id_hex}+{key64}"
        with raises_exactly(InputError, f"verifier key {vkey!r}: the key ID is not 8 hex digits"):
            parse_verifier_key(vkey)
    empty = f"{A.name}+{A.key_id:08x}+"
    with raises_exactly(InputError, f"verifier key {empty!r}: the key is not base64"):
        parse_verifier_key(empty)
    upper = f"{A.name}+{A.key_id:08X}+{key64}"
    assert parse_verifier_key(upper) == A
    assert parse_verifier_key(W.vkey) == W
    assert format_verifier_key(W.name, PUB_W, COSIGNATURE_V1) == W.vkey
    assert format_verifier_key(A.name, PUB_A) == A.vkey


def test_signer_keys() -> None:
    skey = format_signer_key(A.name, SEED_A)
    assert skey == (f"PRIVATE+KEY+{A.name}+{A.key_id:08x}+{b64(bytes([ED25519]) + SEED_A)}")
    parsed = parse_signer_key(skey)
    assert (parsed.name, parsed.key_id, parsed.seed) == (A.name, A.key_id, SEED_A)
    assert parsed.verifier == A
    with raises_exactly(InputError, "signer key does not start with PRIVATE+KEY+"):
        parse_signer_key(skey.replace("PRIVATE+KEY+", "PRIVATE+KEX+"))
    with raises_exactly(InputError, "signer key does not start with PRIVATE+KEY+"):
        parse_signer_key("PRIVATE+KEY+name+12345678")
    seed64 = skey.split("+", 4)[4]
    for bad in (
        "",
        base64.b64encode(b"\x01" + SEED_A[:31]).decode(),
        base64.b64encode(b"\x04" + SEED_A).decode(),
    ):
        with raises_exactly(InputError, "signer key: the key is not base64(0x01 || 32-byte seed)"):
            parse_signer_key(skey.replace(seed64, bad))
    other_id = f"{A.key_id ^ 1:08x}"
    with raises_exactly(InputError, f"signer key: key ID {other_id} does not match the key"):
        parse_signer_key(skey.replace(f"{A.key_id:08x}", other_id))
    with raises_exactly(InputError, "signer key: the key ID is not 8 hex digits"):
        parse_signer_key(skey.replace(f"{A.key_id:08x}", "zz"))
    with raises_exactly(InputError, "an Ed25519 seed is 32 bytes, got 31"):
        sign_note(TEXT, A.name, SEED_A[:31])


# -- signatures and cosignatures ---------------------------------------------------------


def test_verify_returns_the_cosignature_timestamp_and_none_for_ed25519() -> None:
    sig = base64.b64decode(signature_line(TEXT, A.name, SEED_A).split(" ")[-1])[4:]
    assert A.verify(TEXT.encode(), sig) is None
    with raises_exactly(SignatureError, f"bad signature by {A.name}+{A.key_id:08x}"):
        A.verify(TEXT.encode() + b"x", sig)
    with raises_exactly(SignatureError, f"bad signature by {A.name}+{A.key_id:08x}"):
        A.verify(TEXT.encode(), sig[:63])
    cosig = base64.b64decode(cosign(TEXT, W.name, SEED_W, 7).split(" ")[-1])[4:]
    assert W.verify(TEXT.encode(), cosig) == 7


@pytest.mark.parametrize("timestamp", [0, 1, MAX_TIMESTAMP])
def test_cosignatures_at_the_edges_of_the_timestamp_range(timestamp: int) -> None:
    cosig = cosign(TEXT, W.name, SEED_W, timestamp)
    raw = base64.b64decode(cosig.split(" ")[-1])
    assert int.from_bytes(raw[4:12], "big") == timestamp
    assert W.verify(TEXT.encode(), raw[4:]) == timestamp
    opened = open_note(sign_note(TEXT, A.name, SEED_A) + cosig, [A, W])
    assert opened.signatures[1].timestamp == timestamp


def test_cosignature_over_the_timestamp_limit_is_refused() -> None:
    key = Ed25519PrivateKey.from_private_bytes(SEED_W)
    over = MAX_TIMESTAMP + 1
    sig = key.sign(cosignature_message(TEXT, over))
    with raises_exactly(SignatureError, f"cosignature by {W.name} has timestamp over 2^63-1"):
        W.verify(TEXT.encode(), over.to_bytes(8, "big") + sig)
    note = sign_note(TEXT, A.name, SEED_A) + line(W.name, W.key_id, over.to_bytes(8, "big") + sig)
    with raises_exactly(NoteError, f"invalid signature from known key {W.vkey}"):
        open_note(note, [A, W])


@pytest.mark.parametrize("length", [71, 73, 64])
def test_cosignature_of_the_wrong_length_is_refused(length: int) -> None:
    with raises_exactly(SignatureError, f"cosignature by {W.name} is not 72 bytes"):
        W.verify(TEXT.encode(), b"\x00" * length)


@pytest.mark.parametrize("timestamp", [-1, MAX_TIMESTAMP + 1, True])
def test_cosign_timestamp_range(timestamp: int) -> None:
    with raises_exactly(InputError, f"cosignature timestamp {timestamp!r} is out of range"):
        cosign(TEXT, W.name, SEED_W, timestamp)


def test_cosignature_message() -> None:
    expected = b"cosignature/v1\ntime 42\n" + TEXT.encode()
    assert cosignature_message(TEXT, 42) == expected
    assert cosignature_message(TEXT.encode(), 42) == expected
    with raises_exactly(NoteError, "note text must end with a newline"):
        cosignature_message("no newline", 42)


def test_signing_a_bad_text_is_refused() -> None:
    with raises_exactly(NoteError, "note text must end with a newline"):
        sign_note("no newline", A.name, SEED_A)
    with raises_exactly(NoteError, "note text contains an ASCII control character"):
        sign_note("a\x00b\n", A.name, SEED_A)
    with raises_exactly(NoteError, "note text contains an ASCII control character"):
        signature_line("a\rb\n", A.name, Ed25519PrivateKey.from_private_bytes(SEED_A))
    assert sign_note("a\n", A.name, SEED_A).startswith("a\n\n" + SIGNATURE_PREFIX + A.name + " ")


def test_a_key_id_of_non_hex_letters_is_refused_before_it_is_parsed() -> None:
    key64 = A.vkey.split("+", 2)[2]
    vkey = f"{A.name}+XXXXXXXX+{key64}"
    with raises_exactly(InputError, f"verifier key {vkey!r}: the key ID is not 8 hex digits"):
        parse_verifier_key(vkey)


def test_a_note_whose_text_is_one_empty_line() -> None:
    # The blank line that separates text from signatures may be the first line:
    # the text is then "\n", as golang.org/x/mod/sumdb/note splits it too.
    note = "\n\n" + signature_line("\n", A.name, SEED_A)
    assert parse_note(note)[0] == "\n"
    assert open_note(note, [A]).text == "\n"


def test_the_key_name_ends_at_the_first_space() -> None:
    sig64 = signature_line(TEXT, A.name, SEED_A).rstrip("\n").split(" ")[-1]
    note = f"{TEXT}\n{SIGNATURE_PREFIX}{A.name} extra {sig64}\n"
    with raises_exactly(NoteError, f"signature line 1 {NOT_BASE64}"):
        parse_note(note)


def test_a_recorded_signature_line_is_parsed_alone_and_whole() -> None:
    """``parse_signature_line`` (for cosignature rows kept apart from their note)."""
    good = signature_line(TEXT, A.name, SEED_A)
    sig = parse_signature_line(good)
    assert (sig.name, sig.key_id) == (A.name, A.key_id)
    assert parse_signature_line(good.rstrip("\n")) == sig
    with raises_exactly(NoteError, "a signature line is one line"):
        parse_signature_line(good.rstrip("\n") + "\n" + good)
    with raises_exactly(NoteError, "signature line is malformed"):
        parse_signature_line("- " + good[2:])
