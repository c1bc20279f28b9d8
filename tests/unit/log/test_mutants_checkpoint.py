"""Tests that kill mutmut's survivors in provenance.log.checkpoint (issue 10 §H).

Checkpoint bodies and tlog-proofs are parsed from hostile bytes: every
refusal is checked for its exact class and message, every limit at its edge.
"""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provenance.errors import InputError, NoteError, ProofError, RootMismatchError
from provenance.log.checkpoint import (
    TLOG_PROOF_HEADER,
    Checkpoint,
    format_tlog_proof,
    open_checkpoint,
    parse_tlog_proof,
    verify_tlog_proof,
)
from provenance.log.merkle import CompactRange, inclusion_proof, leaf_hash
from provenance.log.note import COSIGNATURE_V1, Verifier, cosign, sign_note, signature_line
from provenance.log.proof import MAX_TREE_SIZE
from tests.unit.exact import raises_exactly

ORIGIN = "log.example/c"
SEED, OTHER_SEED, WITNESS_SEED = b"\x31" * 32, b"\x32" * 32, b"\x33" * 32
LOG = Verifier.from_public_key(
    ORIGIN, Ed25519PrivateKey.from_private_bytes(SEED).public_key().public_bytes_raw()
)
OTHER = Verifier.from_public_key(
    "other.example/c",
    Ed25519PrivateKey.from_private_bytes(OTHER_SEED).public_key().public_bytes_raw(),
)
WITNESS = Verifier.from_public_key(
    "witness.example/w",
    Ed25519PrivateKey.from_private_bytes(WITNESS_SEED).public_key().public_bytes_raw(),
    COSIGNATURE_V1,
)

SIZE = 7
_compact = CompactRange()
NODES: dict[tuple[int, int], bytes] = {}
for _i in range(SIZE):
    for _level, _index, _h in _compact.append(leaf_hash(b"%d" % _i)):
        NODES[(_level, _index)] = _h
ROOT = _compact.root()
ROOT64 = base64.b64encode(ROOT).decode()


def get_node(level: int, index: int) -> bytes:
    return NODES[(level, index)]


def signed(text: str | None = None) -> str:
    text = Checkpoint(ORIGIN, SIZE, ROOT).to_text() if text is None else text
    return sign_note(text, ORIGIN, SEED)


# -- checkpoint bodies ---------------------------------------------------------------------


def test_to_text_and_parse_round_trip() -> None:
    cp = Checkpoint(ORIGIN, SIZE, ROOT, ("ext one", "ext two"))
    assert cp.to_text() == f"{ORIGIN}\n{SIZE}\n{ROOT64}\next one\next two\n"
    assert Checkpoint.parse(cp.to_text()) == cp
    assert Checkpoint.parse(f"{ORIGIN}\n0\n{ROOT64}\n").size == 0
    top = Checkpoint.parse(f"{ORIGIN}\n{MAX_TREE_SIZE}\n{ROOT64}\n")
    assert top.size == MAX_TREE_SIZE


@pytest.mark.parametrize(
    "size", ["01", "00", "-1", "+1", "1 ", " 1", "1.0", "\uff11", "0x1", "1_0"]
)
def test_sizes_that_are_not_plain_decimal(size: str) -> None:
    text = f"{ORIGIN}\n{size}\n{ROOT64}\n"
    with raises_exactly(
        NoteError, f"checkpoint size {size!r} is not a decimal uint64 without leading zeros"
    ):
        Checkpoint.parse(text)


def test_a_size_beyond_uint64_is_refused() -> None:
    size = str(MAX_TREE_SIZE + 1)
    with raises_exactly(
        NoteError, f"checkpoint size {size!r} is not a decimal uint64 without leading zeros"
    ):
        Checkpoint.parse(f"{ORIGIN}\n{size}\n{ROOT64}\n")


def test_parse_messages() -> None:
    with raises_exactly(NoteError, "checkpoint text must end with a newline"):
        Checkpoint.parse(f"{ORIGIN}\n{SIZE}\n{ROOT64}")
    with raises_exactly(NoteError, "checkpoint has 2 lines, needs at least 3"):
        Checkpoint.parse(f"{ORIGIN}\n{SIZE}\n")
    with raises_exactly(NoteError, "checkpoint line 1 is empty or has control characters"):
        Checkpoint.parse(f"\n{SIZE}\n{ROOT64}\n")
    with raises_exactly(NoteError, "checkpoint line 4 is empty or has control characters"):
        Checkpoint.parse(f"{ORIGIN}\n{SIZE}\n{ROOT64}\n\n")
    with raises_exactly(NoteError, "checkpoint line 4 is empty or has control characters"):
        Checkpoint.parse(f"{ORIGIN}\n{SIZE}\n{ROOT64}\na\tb\n")
    short = base64.b64encode(ROOT[:31]).decode()
    with raises_exactly(NoteError, f"checkpoint root hash {short!r} is not base64 of 32 bytes"):
        Checkpoint.parse(f"{ORIGIN}\n{SIZE}\n{short}\n")
    # Unused bits set in the last base64 character: the same bytes, another spelling.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    bumped = ROOT64[:-2] + alphabet[alphabet.index(ROOT64[-2]) ^ 1] + "="
    assert base64.b64decode(bumped) == ROOT
    with raises_exactly(NoteError, f"checkpoint root hash {bumped!r} is not base64 of 32 bytes"):
        Checkpoint.parse(f"{ORIGIN}\n{SIZE}\n{bumped}\n")


def test_constructor_messages() -> None:
    message = "checkpoint origin must be a non-empty line without control characters"
    for origin in ("", "a\nb", "a\x01b"):
        with raises_exactly(InputError, message):
            Checkpoint(origin, SIZE, ROOT)
    for size in (-1, MAX_TREE_SIZE + 1, True):
        with raises_exactly(InputError, f"checkpoint size {size!r} is not a uint64"):
            Checkpoint(ORIGIN, size, ROOT)
    with raises_exactly(InputError, "checkpoint root hash must be 32 bytes, got 33"):
        Checkpoint(ORIGIN, SIZE, ROOT + b"\x00")
    message = "checkpoint extension line must be a non-empty line without control characters"
    with raises_exactly(InputError, message):
        Checkpoint(ORIGIN, SIZE, ROOT, ("",))
    assert Checkpoint(ORIGIN, MAX_TREE_SIZE, ROOT).size == MAX_TREE_SIZE
    assert Checkpoint(ORIGIN, 0, ROOT).size == 0


# -- opening a signed checkpoint --------------------------------------------------------------


def test_open_checkpoint() -> None:
    opened = open_checkpoint(signed(), LOG)
    assert opened.checkpoint == Checkpoint(ORIGIN, SIZE, ROOT)
    assert [s.name for s in opened.note.signatures] == [ORIGIN]
    with raises_exactly(NoteError, f"checkpoint origin {ORIGIN!r} is not 'elsewhere'"):
        open_checkpoint(signed(), LOG, origin="elsewhere")
    other_origin = Checkpoint("elsewhere", SIZE, ROOT).to_text()
    with raises_exactly(NoteError, f"checkpoint origin 'elsewhere' is not {ORIGIN!r}"):
        open_checkpoint(signed(other_origin), LOG)
    assert open_checkpoint(signed(other_origin), LOG, origin="elsewhere").checkpoint.origin == (
        "elsewhere"
    )


def test_a_checkpoint_signed_only_by_a_witness_is_not_the_logs() -> None:
    text = Checkpoint(ORIGIN, SIZE, ROOT).to_text()
    only_witness = text + "\n" + cosign(text, WITNESS.name, WITNESS_SEED, 10)
    with raises_exactly(NoteError, f"checkpoint is not signed by the log key {LOG.vkey}"):
        open_checkpoint(only_witness, LOG, witnesses=[WITNESS])
    both = signed() + cosign(text, WITNESS.name, WITNESS_SEED, 10)
    opened = open_checkpoint(both, LOG, witnesses=[WITNESS])
    assert [(s.name, s.timestamp) for s in opened.note.signatures] == [
        (ORIGIN, None),
        (WITNESS.name, 10),
    ]
    # Signed by another key of the same name: not the log's key.
    impostor = text + "\n" + signature_line(text, ORIGIN, OTHER_SEED)
    with raises_exactly(NoteError, "note has no signature from a known key"):
        open_checkpoint(impostor, LOG)


def test_a_checkpoint_body_that_does_not_parse_is_refused_after_the_signature() -> None:
    with raises_exactly(NoteError, "checkpoint has 2 lines, needs at least 3"):
        open_checkpoint(signed(f"{ORIGIN}\n{SIZE}\n"), LOG)


# -- tlog-proofs ---------------------------------------------------------------------------


def test_format_and_parse_tlog_proof() -> None:
    proof = inclusion_proof(3, SIZE, get_node)
    text = format_tlog_proof(3, proof, signed())
    lines = [TLOG_PROOF_HEADER, "index 3", *(base64.b64encode(h).decode() for h in proof)]
    assert text == "\n".join(lines) + "\n\n" + signed()
    parsed = parse_tlog_proof(text)
    assert (parsed.index, parsed.hashes, parsed.checkpoint, parsed.extra) == (
        3,
        tuple(proof),
        signed(),
        None,
    )
    with_extra = format_tlog_proof(3, proof, signed(), extra=b"\x00\x01")
    assert with_extra.split("\n")[1] == "extra AAE="
    assert parse_tlog_proof(with_extra).extra == b"\x00\x01"
    assert parse_tlog_proof(format_tlog_proof(0, [], signed(), extra=b"")).extra == b""


def test_format_tlog_proof_refusals() -> None:
    for index in (-1, MAX_TREE_SIZE + 1, True):
        with raises_exactly(InputError, f"leaf index {index!r} is not a uint64"):
            format_tlog_proof(index, [], signed())
    with raises_exactly(InputError, "proof hashes must be 32 bytes"):
        format_tlog_proof(0, [ROOT, ROOT[:31]], signed())
    assert format_tlog_proof(MAX_TREE_SIZE, [], signed()).split("\n")[1] == (
        f"index {MAX_TREE_SIZE}"
    )


def test_parse_tlog_proof_refusals() -> None:
    good = format_tlog_proof(3, inclusion_proof(3, SIZE, get_node), signed())
    with raises_exactly(NoteError, f"tlog-proof does not start with {TLOG_PROOF_HEADER!r}"):
        parse_tlog_proof("x" + good)
    with raises_exactly(NoteError, "tlog-proof extra data is not base64"):
        parse_tlog_proof(good.replace("\nindex", "\nextra AB==\nindex", 1))
    with raises_exactly(NoteError, "tlog-proof has no index line"):
        parse_tlog_proof(TLOG_PROOF_HEADER)
    with raises_exactly(NoteError, "tlog-proof has no index line"):
        parse_tlog_proof(TLOG_PROOF_HEADER + "\nextra AAE=")
    with raises_exactly(NoteError, "tlog-proof has no index line"):
        parse_tlog_proof(good.replace("index 3", "Index 3"))
    with raises_exactly(
        NoteError, "tlog-proof index '03' is not a decimal uint64 without leading zeros"
    ):
        parse_tlog_proof(good.replace("index 3", "index 03"))
    with raises_exactly(NoteError, "tlog-proof has no empty line before its checkpoint"):
        parse_tlog_proof(TLOG_PROOF_HEADER + "\nindex 3\n" + ROOT64)
    with raises_exactly(NoteError, "tlog-proof line 4 is not a base64 SHA-256 hash"):
        lines = good.split("\n")
        lines[3] = base64.b64encode(ROOT[:31]).decode()
        parse_tlog_proof("\n".join(lines))
    with raises_exactly(NoteError, "tlog-proof has no checkpoint"):
        parse_tlog_proof(TLOG_PROOF_HEADER + "\nindex 3\n\n")


def test_verify_tlog_proof() -> None:
    for index in range(SIZE):
        text = format_tlog_proof(index, inclusion_proof(index, SIZE, get_node), signed())
        proof, cp = verify_tlog_proof(text, get_node(0, index), LOG)
        assert proof.index == index and cp.checkpoint.root_hash == ROOT
    text = format_tlog_proof(3, inclusion_proof(3, SIZE, get_node), signed())
    with pytest.raises(RootMismatchError):
        verify_tlog_proof(text, get_node(0, 4), LOG)
    long = format_tlog_proof(3, [*inclusion_proof(3, SIZE, get_node), ROOT], signed())
    with raises_exactly(ProofError, "inclusion proof for index 3 in size 7 is too long (4 hashes)"):
        verify_tlog_proof(long, get_node(0, 3), LOG)
    with raises_exactly(NoteError, "note has no signature from a known key"):
        verify_tlog_proof(text, get_node(0, 3), OTHER)
    with raises_exactly(NoteError, f"checkpoint origin {ORIGIN!r} is not 'x'"):
        verify_tlog_proof(text, get_node(0, 3), LOG, origin="x")
    cosigned = signed() + cosign(signed().split("\n\n")[0] + "\n", WITNESS.name, WITNESS_SEED, 3)
    text = format_tlog_proof(3, inclusion_proof(3, SIZE, get_node), cosigned)
    _, cp = verify_tlog_proof(text, get_node(0, 3), LOG, witnesses=[WITNESS])
    assert [s.timestamp for s in cp.note.signatures] == [None, 3]
