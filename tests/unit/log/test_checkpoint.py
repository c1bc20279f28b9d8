"""Checkpoints and tlog-proofs, end to end against the Tessera test log."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from provenance.errors import InputError, NoteError, RootMismatchError
from provenance.log.checkpoint import (
    TLOG_PROOF_HEADER,
    Checkpoint,
    format_tlog_proof,
    open_checkpoint,
    parse_tlog_proof,
    verify_tlog_proof,
)
from provenance.log.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
)
from provenance.log.note import (
    format_signer_key,
    parse_note,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
)
from provenance.log.proof import verify_consistency

LOG = Path(__file__).parent / "vectors" / "tessera-testdata-log" / "testdata" / "log"
LOG_VKEY = "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx"
ORIGIN = "example.com/log/testdata"
WORDS = "one two three four five six seven eit nain ten ileven twelf threeten fourten fivten"
ENTRIES = [w.encode() for w in WORDS.split(" ")]


def checkpoint_note(size: int) -> str:
    return (LOG / f"checkpoint.{size}").read_text()


def decode_bundle(data: bytes) -> list[bytes]:
    """tlog-tiles entry bundle: each entry is a big-endian uint16 length and its bytes."""
    entries, pos = [], 0
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 2], "big")
        entries.append(data[pos + 2 : pos + 2 + length])
        pos += 2 + length
    assert pos == len(data)
    return entries


# All perfect nodes of the 15-entry log, as a store would persist them.
NODES: dict[tuple[int, int], bytes] = {}
_compact = CompactRange()
for _entry in ENTRIES:
    for _level, _index, _h in _compact.append(leaf_hash(_entry)):
        NODES[(_level, _index)] = _h


def get_node(level: int, index: int) -> bytes:
    return NODES[(level, index)]


@pytest.mark.parametrize("size", range(16))
def test_tessera_checkpoint_verifies_and_matches_entries(size: int) -> None:
    signed = open_checkpoint(checkpoint_note(size), parse_verifier_key(LOG_VKEY))
    cp = signed.checkpoint
    assert (cp.origin, cp.size, cp.extensions) == (ORIGIN, size, ())
    assert cp.root_hash == root_from_leaf_hashes([leaf_hash(e) for e in ENTRIES[:size]])
    assert cp.to_text() == signed.note.text  # byte-for-byte round trip
    assert Checkpoint.parse(cp.to_text()) == cp
    if size == 0:
        assert cp.root_hash == EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 16))
def test_tessera_tiles_and_bundles(size: int) -> None:
    bundle = (LOG / "tile/entries/000.p" / str(size)).read_bytes()
    assert decode_bundle(bundle) == ENTRIES[:size]
    tile = (LOG / "tile/0/000.p" / str(size)).read_bytes()
    assert len(tile) == 32 * size
    assert [tile[i : i + 32] for i in range(0, len(tile), 32)] == [
        leaf_hash(e) for e in ENTRIES[:size]
    ]


def test_tessera_latest_checkpoint_is_size_15() -> None:
    assert (LOG / "checkpoint").read_text() == checkpoint_note(15)


def test_consistency_between_all_tessera_checkpoints() -> None:
    log = parse_verifier_key(LOG_VKEY)
    cps = [open_checkpoint(checkpoint_note(n), log).checkpoint for n in range(16)]
    for old in cps[1:]:
        for new in cps[old.size :]:
            proof = consistency_proof(old.size, new.size, get_node)
            verify_consistency(old.size, new.size, proof, old.root_hash, new.root_hash)


def test_tampered_or_foreign_checkpoints_fail() -> None:
    log = parse_verifier_key(LOG_VKEY)
    with pytest.raises(NoteError):
        open_checkpoint(checkpoint_note(15).replace("\n15\n", "\n14\n"), log)
    with pytest.raises(NoteError, match="origin"):
        open_checkpoint(checkpoint_note(15), log, origin="example.com/other")
    other = parse_verifier_key(
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    )
    with pytest.raises(NoteError):
        open_checkpoint(checkpoint_note(15), other)


def test_checkpoint_needs_the_log_signature_not_just_a_witness() -> None:
    seed = bytes(range(32))
    witness = parse_signer_key(format_signer_key("witness.example", seed)).verifier
    witness_only = sign_note(parse_note(checkpoint_note(3))[0], "witness.example", seed)
    with pytest.raises(NoteError, match="not signed by the log"):
        open_checkpoint(witness_only, parse_verifier_key(LOG_VKEY), witnesses=[witness])
    both = checkpoint_note(3) + witness_only.split("\n\n")[1]
    signed = open_checkpoint(both, parse_verifier_key(LOG_VKEY), witnesses=[witness])
    assert [s.name for s in signed.note.signatures] == [ORIGIN, "witness.example"]


ROOT64 = "rKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs="


@pytest.mark.parametrize(
    "text",
    [
        f"{ORIGIN}\n15\n{ROOT64}",  # no final newline
        f"{ORIGIN}\n15\n",  # two lines
        f"\n15\n{ROOT64}\n",  # empty origin
        f"{ORIGIN}\n015\n{ROOT64}\n",  # leading zero
        f"{ORIGIN}\n+15\n{ROOT64}\n",
        f"{ORIGIN}\n-1\n{ROOT64}\n",
        f"{ORIGIN}\n 15\n{ROOT64}\n",
        f"{ORIGIN}\n1_5\n{ROOT64}\n",
        f"{ORIGIN}\n\u0661\u0665\n{ROOT64}\n",  # Arabic-Indic digits: int() takes them
        f"{ORIGIN}\n18446744073709551616\n{ROOT64}\n",  # 2^64
        f"{ORIGIN}\n15\n{ROOT64[:-1]}\n",  # unpadded
        f"{ORIGIN}\n15\n{ROOT64.replace('=', 's=')}\n",  # 33 bytes
        f"{ORIGIN}\n15\n{base64.b64encode(b'x' * 31).decode()}\n",
        f"{ORIGIN}\n15\n{ROOT64}\n\n",  # empty extension line
        f"{ORIGIN}\n15\n{ROOT64}\next\tension\n",
    ],
)
def test_malformed_checkpoints(text: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse(text)


def test_checkpoint_extensions_and_limits() -> None:
    text = f"{ORIGIN}\n18446744073709551615\n{ROOT64}\nfirst ext\nsecond\n"
    cp = Checkpoint.parse(text)
    assert cp.size == (1 << 64) - 1
    assert cp.extensions == ("first ext", "second")
    assert cp.to_text() == text
    with pytest.raises(InputError):
        Checkpoint(ORIGIN, -1, EMPTY_ROOT)
    with pytest.raises(InputError):
        Checkpoint(ORIGIN, 1, b"short")
    with pytest.raises(InputError):
        Checkpoint("two\nlines", 1, EMPTY_ROOT)
    with pytest.raises(InputError):
        Checkpoint(ORIGIN, 1, EMPTY_ROOT, ("",))


def test_tlog_proof_for_every_entry() -> None:
    log = parse_verifier_key(LOG_VKEY)
    note = checkpoint_note(15)
    for index, entry in enumerate(ENTRIES):
        hashes = inclusion_proof(index, 15, get_node)
        text = format_tlog_proof(index, hashes, note)
        assert text.startswith(f"{TLOG_PROOF_HEADER}\nindex {index}\n")
        parsed, signed = verify_tlog_proof(text, leaf_hash(entry), log)
        assert (parsed.index, list(parsed.hashes), parsed.checkpoint) == (index, hashes, note)
        assert parsed.extra is None
        assert signed.checkpoint.size == 15
        with pytest.raises(RootMismatchError):
            verify_tlog_proof(text, leaf_hash(entry + b"!"), log)


def test_tlog_proof_with_extra_round_trips() -> None:
    note = checkpoint_note(5)
    hashes = inclusion_proof(2, 5, get_node)
    text = format_tlog_proof(2, hashes, note, extra=b"context")
    assert text.split("\n")[1] == "extra " + base64.b64encode(b"context").decode()
    parsed = parse_tlog_proof(text)
    assert (parsed.index, parsed.extra, parsed.checkpoint) == (2, b"context", note)
    assert format_tlog_proof(parsed.index, parsed.hashes, parsed.checkpoint, parsed.extra) == text


def test_tlog_proof_spec_example_parses() -> None:
    # The example of C2SP tlog-proof §Format (its signatures are elided with "[...]").
    example = (
        "c2sp.org/tlog-proof@v1\n"
        "extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n"
        "index 73894\n"
        "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n"
        "B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\n"
        "EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n"
        "RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\n"
        "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n"
        "\n"
        "example.com/fancylog\n109482\nsFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n\n"
        "\u2014 example.com/fancylog hI2DJw[...]1roloI=\n"
    )
    parsed = parse_tlog_proof(example)
    assert parsed.index == 73894
    assert len(parsed.hashes) == 5
    assert parsed.extra is not None and parsed.extra.startswith(b"age-v1.2.1-darwin-arm64")
    assert parsed.checkpoint.startswith("example.com/fancylog\n109482\n")
    assert Checkpoint.parse(parsed.checkpoint.split("\n\n")[0] + "\n").size == 109482


HASH64 = base64.b64encode(b"h" * 32).decode()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "c2sp.org/tlog-proof@v2\nindex 1\n\ncheckpoint\n",
        f"{TLOG_PROOF_HEADER}\n{HASH64}\n\ncheckpoint\n",  # no index line
        f"{TLOG_PROOF_HEADER}\nindex 01\n\ncheckpoint\n",
        f"{TLOG_PROOF_HEADER}\nindex -1\n\ncheckpoint\n",
        f"{TLOG_PROOF_HEADER}\nindex 18446744073709551616\n\ncheckpoint\n",
        f"{TLOG_PROOF_HEADER}\nextra !!\nindex 1\n\ncheckpoint\n",
        f"{TLOG_PROOF_HEADER}\nindex 1\nextra AA==\n\ncheckpoint\n",  # extra after index
        f"{TLOG_PROOF_HEADER}\nindex 1\n{HASH64[:-4]}\n\ncheckpoint\n",  # 30-byte hash
        f"{TLOG_PROOF_HEADER}\nindex 1\n{HASH64}\n",  # no blank line
        f"{TLOG_PROOF_HEADER}\nindex 1\n{HASH64}\n\n",  # no checkpoint
    ],
)
def test_malformed_tlog_proofs(text: str) -> None:
    with pytest.raises(NoteError):
        parse_tlog_proof(text)


def test_tlog_proof_with_wrong_index_fails() -> None:
    log = parse_verifier_key(LOG_VKEY)
    text = format_tlog_proof(4, inclusion_proof(4, 15, get_node), checkpoint_note(15))
    with pytest.raises(RootMismatchError):
        verify_tlog_proof(text.replace("index 4", "index 5"), leaf_hash(ENTRIES[4]), log)
