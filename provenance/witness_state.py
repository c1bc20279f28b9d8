"""A witness's memory: per log origin, the last checkpoint it cosigned.

A witness refuses to cosign a checkpoint that does not extend the one it
cosigned before (C2SP tlog-witness: a witness MUST NOT cosign two checkpoints
of one log that are not consistent). That promise is only as good as this
state, so:

- the read, the check and the write happen under an exclusive ``flock`` on a
  lock file beside the state (``<state>.lock``), held until the new state is
  written: two cosignings at once take turns, and the second sees the first's
  checkpoint (without it, two runs at once cosigned two forks of one log);
- the new state is written to a temporary file, flushed to disk and renamed
  over the old one, so a crash leaves either the old state or the new one.

A witness that loses its state file forgets what it cosigned, and will then
cosign any fork of any log it has seen: keep the file as carefully as the key.

The file is JSON: ``{"<origin>": {"size": <int>, "root": "<base64 of 32 bytes>"}}``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from provenance.errors import InputError
from provenance.log.merkle import HASH_SIZE
from provenance.log.note import decode_base64
from provenance.rules.strict_json import loads

MAX_STATE_BYTES = 16 * 1024 * 1024
"""The largest state file read (thousands of logs fit in far less)."""


@dataclass(frozen=True)
class Seen:
    """The last checkpoint of one log that the witness cosigned."""

    size: int
    root: bytes


class WitnessState:
    """The witness's state, read under its lock; :meth:`save` writes it atomically.

    Attributes:
        path: the state file.
        logs: origin -> the last checkpoint cosigned for it.
    """

    def __init__(self, path: Path, logs: dict[str, Seen]) -> None:
        self.path = path
        self.logs = logs

    def save(self) -> None:
        """Write the state: a temporary file beside it, fsync, then ``os.replace``."""
        state = {
            origin: {"size": seen.size, "root": _b64(seen.root)}
            for origin, seen in sorted(self.logs.items())
        }
        tmp = self.path.with_name(f".{self.path.name}.tmp{os.getpid()}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(state, f, indent=2, sort_keys=True)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename survives a power cut too
        finally:
            os.close(directory)


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


def lock_path(path: Path) -> Path:
    """The lock file of a state file."""
    return path.with_name(f"{path.name}.lock")


@contextlib.contextmanager
def locked_state(path: Path) -> Iterator[WitnessState]:
    """Hold the state's lock while the caller reads, checks and saves it.

    Args:
        path: the state file (it need not exist yet; its directory is made).

    Yields:
        The state as it stands under the lock.

    Raises:
        InputError: the state file cannot be read or is malformed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        # Blocking: another cosigning holds it for milliseconds, never for a prompt.
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield WitnessState(path, read_state(path))
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def read_state(path: Path) -> dict[str, Seen]:
    """The state in ``path``; empty if there is no file.

    Raises:
        InputError: the file cannot be read or is not a witness state.
    """
    try:
        with path.open("rb") as f:
            data = f.read(MAX_STATE_BYTES + 1)
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise InputError(f"cannot read witness state {path}: {e.strerror}") from e
    if len(data) > MAX_STATE_BYTES:
        raise InputError(f"witness state {path} is over {MAX_STATE_BYTES} bytes")
    try:
        obj = loads(data, f"witness state {path}")
    except InputError as e:
        raise InputError(f"witness state {path} is malformed: {e}") from e
    if not isinstance(obj, dict):
        raise InputError(f"witness state {path} is malformed: not a JSON object")
    logs: dict[str, Seen] = {}
    for origin, seen in obj.items():
        entry = seen if isinstance(seen, dict) else {}
        size, root_text = entry.get("size"), entry.get("root")
        root = decode_base64(root_text) if isinstance(root_text, str) else None
        if (
            set(entry) != {"size", "root"}
            or root is None
            or len(root) != HASH_SIZE
            or type(size) is not int
            or size < 0
        ):
            raise InputError(
                f"witness state {path} is malformed: entry {origin!r} is not "
                "{'size': n, 'root': base64}"
            )
        logs[origin] = Seen(size, root)
    return logs
