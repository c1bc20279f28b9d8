"""Attachment lines (docs/spec/export.md §3): a property test of the hostile parser.

Any file round-trips through its line, and no change of one byte of a line
ever gets a different file stored: the reader refuses it or, at most, stores
the very same file.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.attachment_lines import AttachmentReader, attachment_lines
from provenance.blobs import BlobInfo
from provenance.errors import ProvenanceError

# Files of several parts are in tests/integration/test_export_proof.py; small ones
# keep these examples fast.


class _Blobs:
    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}

    def put_file(self, path: Path) -> BlobInfo:
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        self.stored[digest] = data
        return BlobInfo(digest, len(data))

    def exists(self, digest: str) -> bool:
        return digest in self.stored


def _read(lines: list[bytes]) -> dict[str, bytes]:
    blobs = _Blobs()
    with tempfile.TemporaryDirectory() as tmp:
        reader = AttachmentReader(blobs.put_file, blobs.exists, Path(tmp))
        try:
            for line in lines:
                reader.feed(line)
        except ProvenanceError:
            pass
        finally:
            reader.discard()
        assert list(Path(tmp).iterdir()) == []  # nothing half-assembled is left
    return blobs.stored


def _lines(data: bytes) -> list[bytes]:
    digest = hashlib.sha256(data).hexdigest()
    return list(attachment_lines(digest, io.BytesIO(data), len(data)))


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=4096))
def test_any_file_round_trips(data: bytes) -> None:
    lines = _lines(data)
    assert _read(lines) == {hashlib.sha256(data).hexdigest(): data}


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=600), st.data())
def test_one_changed_byte_never_stores_another_file(data: bytes, draw: st.DataObject) -> None:
    lines = _lines(data)
    which = draw.draw(st.integers(0, len(lines) - 1))
    line = bytearray(lines[which])
    at = draw.draw(st.integers(0, len(line) - 1))
    new = draw.draw(st.integers(0, 255).filter(lambda b: b != line[at]))
    line[at] = new
    lines[which] = bytes(line)
    stored = _read(lines)
    assert stored in ({}, {hashlib.sha256(data).hexdigest(): data})
