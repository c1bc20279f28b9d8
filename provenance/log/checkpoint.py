"""C2SP tlog-checkpoint v1 bodies and tlog-proof v1 offline proofs.

A checkpoint is the text of a signed note (see :mod:`provenance.log.note`)::

    <origin>
    <tree size, decimal, no leading zeros>
    <base64 root hash>
    [extension lines ...]

A tlog-proof is ``c2sp.org/tlog-proof@v1``, an optional ``extra <base64>``
line, ``index <N>``, one base64 proof hash per line, an empty line, and then
the signed checkpoint note verbatim.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from provenance.errors import InputError, NoteError
from provenance.log.merkle import HASH_SIZE
from provenance.log.note import VerifiedNote, Verifier, decode_base64, open_note
from provenance.log.proof import MAX_TREE_SIZE, verify_inclusion

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
"""First line of a tlog-proof (tlog-proof §Format)."""

# tlog-checkpoint §Note text: ASCII decimal, no leading zeroes unless exactly 0.
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


def _parse_uint64(text: str, what: str) -> int:
    # fullmatch, not match: "$" would accept a trailing newline.
    if not _DECIMAL.fullmatch(text) or int(text) > MAX_TREE_SIZE:
        raise NoteError(f"{what} {text!r} is not a decimal uint64 without leading zeros")
    return int(text)


def _check_line(line: str, what: str) -> None:
    if not line or "\n" in line or any(c < " " for c in line):
        raise InputError(f"{what} must be a non-empty line without control characters")


@dataclass(frozen=True)
class Checkpoint:
    """The body of a checkpoint note (tlog-checkpoint §Note text).

    Attributes:
        origin: the log's unique identity, e.g. ``example.com/log``.
        size: the number of leaves in the tree.
        root_hash: the 32-byte RFC 6962 root of the tree of ``size``.
        extensions: optional opaque non-empty extension lines.
    """

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "checkpoint origin")
        if isinstance(self.size, bool) or not 0 <= self.size <= MAX_TREE_SIZE:
            raise InputError(f"checkpoint size {self.size!r} is not a uint64")
        if len(self.root_hash) != HASH_SIZE:
            raise InputError(f"checkpoint root hash must be 32 bytes, got {len(self.root_hash)}")
        for line in self.extensions:
            _check_line(line, "checkpoint extension line")

    def to_text(self) -> str:
        """Return the note text: three lines plus extensions, each newline-terminated."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        return "".join(
            f"{line}\n" for line in (self.origin, str(self.size), root, *self.extensions)
        )

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note text strictly.

        Args:
            text: the note text (not the signatures), ending in a newline.

        Raises:
            NoteError: naming the first thing that is wrong.
        """
        if not text.endswith("\n"):
            raise NoteError("checkpoint text must end with a newline")
        # tlog-checkpoint §Note text: at least three non-empty lines.
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError(f"checkpoint has {len(lines)} lines, needs at least 3")
        origin, size, root64, *extensions = lines
        for number, line in enumerate(lines, 1):
            if not line or any(c < " " for c in line):
                raise NoteError(f"checkpoint line {number} is empty or has control characters")
        root = decode_base64(root64)
        if root is None or len(root) != HASH_SIZE:
            raise NoteError(f"checkpoint root hash {root64!r} is not base64 of 32 bytes")
        return cls(origin, _parse_uint64(size, "checkpoint size"), root, tuple(extensions))


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint whose note verified.

    Attributes:
        checkpoint: the parsed body.
        note: the verified note (signatures, including any witness cosignatures).
    """

    checkpoint: Checkpoint
    note: VerifiedNote


def open_checkpoint(
    note: str | bytes,
    log_verifier: Verifier,
    *,
    origin: str | None = None,
    witnesses: Iterable[Verifier] = (),
) -> SignedCheckpoint:
    """Verify a signed checkpoint note and parse its body.

    Args:
        note: the signed checkpoint note.
        log_verifier: the log's key; its signature is required.
        origin: the expected origin line (defaults to the log key's name, which
            tlog-checkpoint §Signatures says SHOULD match it).
        witnesses: cosigner keys whose signatures, if present, must verify.

    Raises:
        NoteError: if the note does not verify, the log did not sign it, the
            body is malformed or the origin is not the expected one.
    """
    opened = open_note(note, [log_verifier, *witnesses])
    if not any(
        (s.name, s.key_id) == (log_verifier.name, log_verifier.key_id) for s in opened.signatures
    ):
        raise NoteError(f"checkpoint is not signed by the log key {log_verifier.vkey}")
    checkpoint = Checkpoint.parse(opened.text)
    expected = log_verifier.name if origin is None else origin
    if checkpoint.origin != expected:
        raise NoteError(f"checkpoint origin {checkpoint.origin!r} is not {expected!r}")
    return SignedCheckpoint(checkpoint, opened)


@dataclass(frozen=True)
class TLogProof:
    """A parsed tlog-proof.

    Attributes:
        index: the leaf index in the log.
        hashes: the inclusion proof, leaf-side first.
        checkpoint: the signed checkpoint note, verbatim.
        extra: the unauthenticated extra data, or ``None`` if absent.
    """

    index: int
    hashes: tuple[bytes, ...]
    checkpoint: str
    extra: bytes | None = None


def format_tlog_proof(
    index: int,
    proof_hashes: Sequence[bytes],
    signed_checkpoint_note: str,
    extra: bytes | None = None,
) -> str:
    """Format a tlog-proof v1 (tlog-proof §Format).

    Args:
        index: the zero-based leaf index.
        proof_hashes: the inclusion proof hashes (32 bytes each).
        signed_checkpoint_note: the signed checkpoint, included verbatim.
        extra: optional opaque extra data, written as an ``extra`` line.
    """
    if isinstance(index, bool) or not 0 <= index <= MAX_TREE_SIZE:
        raise InputError(f"leaf index {index!r} is not a uint64")
    if any(len(h) != HASH_SIZE for h in proof_hashes):
        raise InputError("proof hashes must be 32 bytes")
    lines = [TLOG_PROOF_HEADER]
    if extra is not None:
        lines.append("extra " + base64.b64encode(extra).decode("ascii"))
    lines.append(f"index {index}")
    lines.extend(base64.b64encode(h).decode("ascii") for h in proof_hashes)
    return "\n".join(lines) + "\n\n" + signed_checkpoint_note


def parse_tlog_proof(text: str) -> TLogProof:
    """Parse a tlog-proof v1; the checkpoint is returned unverified.

    Raises:
        NoteError: naming what is malformed.
    """
    lines = text.split("\n")
    if lines[0] != TLOG_PROOF_HEADER:
        raise NoteError(f"tlog-proof does not start with {TLOG_PROOF_HEADER!r}")
    pos, extra = 1, None
    # tlog-proof §Format: the optional extra line comes before the index line.
    if len(lines) > pos and lines[pos].startswith("extra "):
        extra = decode_base64(lines[pos].removeprefix("extra "))
        if extra is None:
            raise NoteError("tlog-proof extra data is not base64")
        pos += 1
    if len(lines) <= pos or not lines[pos].startswith("index "):
        raise NoteError("tlog-proof has no index line")
    index = _parse_uint64(lines[pos].removeprefix("index "), "tlog-proof index")
    try:
        blank = lines.index("", pos + 1)
    except ValueError:
        raise NoteError("tlog-proof has no empty line before its checkpoint") from None
    hashes = []
    for number in range(pos + 1, blank):
        h = decode_base64(lines[number])
        if h is None or len(h) != HASH_SIZE:
            raise NoteError(f"tlog-proof line {number + 1} is not a base64 SHA-256 hash")
        hashes.append(h)
    checkpoint = "\n".join(lines[blank + 1 :])
    if not checkpoint:
        raise NoteError("tlog-proof has no checkpoint")
    return TLogProof(index, tuple(hashes), checkpoint, extra)


def verify_tlog_proof(
    text: str,
    leaf_hash: bytes,
    log_verifier: Verifier,
    *,
    origin: str | None = None,
    witnesses: Iterable[Verifier] = (),
) -> tuple[TLogProof, SignedCheckpoint]:
    """Parse a tlog-proof, verify its checkpoint and the inclusion of ``leaf_hash``.

    Raises:
        NoteError: if the proof or its checkpoint is malformed or unsigned.
        ProofError: if the inclusion proof does not verify.
    """
    proof = parse_tlog_proof(text)
    signed = open_checkpoint(proof.checkpoint, log_verifier, origin=origin, witnesses=witnesses)
    cp = signed.checkpoint
    verify_inclusion(leaf_hash, proof.index, cp.size, list(proof.hashes), cp.root_hash)
    return proof, signed
