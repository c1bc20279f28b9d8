"""Attachments in an export: each file as consecutive *attachment lines* (docs/spec/export.md §3).

An attachment line is the RFC 8785 serialisation of exactly::

    {"attachment":"<sha256 hex>","data":"<base64>","part":<i>,"parts":<n>}

``data`` holds at most :data:`PART_BYTES` bytes of the file; the ``n`` parts
of one file are consecutive lines, ``part`` 0 to ``n - 1``, and an empty file
is one part with empty data. The importer trusts none of it: the parts must
come in order, each line must be the canonical form of its own parse, the
base64 must be canonical, and the assembled file must hash to the declared
digest before it is stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from provenance.errors import InputError, ProvenanceError
from provenance.rules.strict_json import loads

PREFIX = b'{"attachment":"'
"""How every attachment line starts (RFC 8785 sorts ``attachment`` first)."""

PART_BYTES = 512 * 1024
"""The most file bytes one attachment line carries (its line stays under 700 KiB)."""

MAX_PARTS = 1 << 22
"""The most parts of one attachment (2 TiB): bounds what a hostile file can announce."""

_DIGEST = re.compile(r"[0-9a-f]{64}")
_MEMBERS = {"attachment", "data", "part", "parts"}


def is_attachment_line(line: bytes) -> bool:
    """Tell whether a line of an export is an attachment line (rather than a statement)."""
    return line.startswith(PREFIX)


def _line(digest: str, data: bytes, part: int, parts: int) -> bytes:
    # RFC 8785 for this object: members sorted, no spaces, ASCII strings, small integers.
    obj = {"attachment": digest, "data": base64.b64encode(data).decode(), "part": part}
    obj["parts"] = parts
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode("ascii")


def attachment_lines(digest: str, stream: BinaryIO, size: int) -> Iterator[bytes]:
    """The attachment lines (without terminators) of a file of ``size`` bytes.

    Raises:
        InputError: the stream ends before ``size`` bytes.
    """
    parts = max(1, -(-size // PART_BYTES))
    for part in range(parts):
        want = min(PART_BYTES, size - part * PART_BYTES)
        data = stream.read(want)
        if len(data) != want:
            raise InputError(f"attachment {digest[:16]} ended early while it was exported")
        yield _line(digest, data, part, parts)


@dataclass
class _Assembly:
    digest: str
    parts: int
    next_part: int
    path: Path
    file: BinaryIO
    hasher: Any


@dataclass(frozen=True)
class Received:
    """What one attachment line did: a part taken, or a whole file stored.

    Attributes:
        digest: the attachment's digest (as declared by the line).
        complete: the line was the last part, and the file was stored.
        new: the store did not hold the file before (only when complete).
    """

    digest: str
    complete: bool
    new: bool = False


class AttachmentReader:
    """Assembles attachment lines into files and stores them, checking everything.

    Args:
        put_file: stores a file and returns its digest (a blob store's ``put_file``).
        exists: tells whether the store already holds a digest.
        directory: where parts are assembled (the store's own disk if it has one).
    """

    def __init__(
        self,
        put_file: Any,
        exists: Any,
        directory: Path | None = None,
    ) -> None:
        self._put_file = put_file
        self._exists = exists
        self._directory = directory
        self._current: _Assembly | None = None

    def feed(self, line: bytes) -> Received:
        """Take one attachment line.

        Raises:
            InputError: the line is malformed, out of order, or the file it
                completes does not hash to its declared digest. The attachment
                being assembled is then dropped.
        """
        try:
            return self._feed(line)
        except ProvenanceError:
            self.discard()
            raise

    def _feed(self, line: bytes) -> Received:
        digest, data, part, parts = _parse(line)
        current = self._current
        if part == 0:
            if current is not None:
                raise InputError(
                    f"attachment {current.digest[:16]} stops at part {current.next_part} of "
                    f"{current.parts}, and attachment {digest[:16]} begins"
                )
            current = self._start(digest, parts)
        elif current is None or (current.digest, current.parts, current.next_part) != (
            digest,
            parts,
            part,
        ):
            raise InputError(
                f"part {part} of attachment {digest[:16]} is not the part expected next "
                "(the parts of one file are consecutive lines, from part 0)"
            )
        current.file.write(data)
        current.hasher.update(data)
        current.next_part += 1
        if current.next_part < parts:
            return Received(digest, complete=False)
        return self._finish(current)

    def _start(self, digest: str, parts: int) -> _Assembly:
        fd, name = tempfile.mkstemp(prefix=".prov-import-", dir=self._directory)
        assembly = _Assembly(digest, parts, 0, Path(name), os.fdopen(fd, "wb"), hashlib.sha256())
        self._current = assembly
        return assembly

    def _finish(self, current: _Assembly) -> Received:
        found = current.hasher.hexdigest()
        if found != current.digest:
            raise InputError(
                f"attachment {current.digest[:16]} is altered: its parts hash to {found[:16]}"
            )
        current.file.close()
        new = not self._exists(current.digest)
        info = self._put_file(current.path)
        self.discard()
        if info.digest != current.digest:  # the file changed under us
            raise InputError(f"attachment {current.digest[:16]} changed while it was stored")
        return Received(current.digest, complete=True, new=new)

    def discard(self) -> None:
        """Drop the attachment being assembled, if any (its temporary file included)."""
        current, self._current = self._current, None
        if current is not None:
            current.file.close()
            current.path.unlink(missing_ok=True)

    def unfinished(self) -> str | None:
        """The digest of an attachment whose last part has not come, if any."""
        return None if self._current is None else self._current.digest


def _parse(line: bytes) -> tuple[str, bytes, int, int]:
    """An attachment line's digest, data, part and parts, checked (docs/spec/export.md §3)."""
    obj = loads(line, "attachment line")
    if not isinstance(obj, dict) or set(obj) != _MEMBERS:
        raise InputError(f"an attachment line has exactly the members {sorted(_MEMBERS)}")
    digest, text, part, parts = obj["attachment"], obj["data"], obj["part"], obj["parts"]
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise InputError("attachment is not a SHA-256 digest in 64 lower-case hex digits")
    if type(parts) is not int or not 1 <= parts <= MAX_PARTS:
        raise InputError(f"attachment {digest[:16]}: parts must be an integer 1 to {MAX_PARTS}")
    if type(part) is not int or not 0 <= part < parts:
        raise InputError(f"attachment {digest[:16]}: part must be an integer 0 to {parts - 1}")
    if not isinstance(text, str):
        raise InputError(f"attachment {digest[:16]}: data is not a base64 string")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise InputError(f"attachment {digest[:16]}: data is not base64") from None
    last = part == parts - 1
    low = 0 if parts == 1 else 1
    if not (low <= len(data) <= PART_BYTES) or (not last and len(data) != PART_BYTES):
        raise InputError(
            f"attachment {digest[:16]}: part {part} holds {len(data)} bytes; every part but "
            f"the last holds {PART_BYTES}, the last 1 to {PART_BYTES} (0 for an empty file)"
        )
    if _line(digest, data, part, parts) != line:
        raise InputError(f"attachment {digest[:16]}: the line is not in RFC 8785 form")
    return digest, data, part, parts
