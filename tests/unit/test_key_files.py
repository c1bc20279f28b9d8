"""Key files that are not small private regular files are refused in one line.

A FIFO used to hang `prov`, /dev/zero to exhaust its memory; a key readable by
others or in a directory others may write is refused (ssh's rule).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from provenance.errors import KeyFileError
from provenance.keys import MAX_KEY_FILE_BYTES, KeyRing, is_encrypted, load_key_file

PROV = Path(sys.executable).parent / "prov"


def _prov(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROV_")}
    env.update(HOME=str(tmp_path / "home"), PROV_KEYS=str(tmp_path / "keys"))
    return subprocess.run(
        [str(PROV), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def _add_item(key: str, tmp_path: Path) -> list[str]:
    """A command that loads the key and needs no store."""
    return ["witness", "vkey", "--key", key, "--name", "witness.example/w1"]


@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "directory"])
def test_a_key_that_is_not_a_regular_file_is_refused_at_once(tmp_path: Path, special: str) -> None:
    """No hang on a FIFO, no memory exhausted on /dev/zero: one line, exit 2."""
    if special == "fifo":
        path = tmp_path / "key.pem"
        os.mkfifo(path)
    elif special == "directory":
        path = tmp_path / "key.pem"
        path.mkdir()
    else:
        path = Path(special)
    with pytest.raises(KeyFileError, match=r"not a regular file|is a directory"):
        load_key_file(path, None)
    assert not is_encrypted(path)
    result = _prov(tmp_path, *_add_item(str(path), tmp_path))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: key file"), result.stderr
    assert "Traceback" not in result.stderr


def test_an_oversized_key_file_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.pem"
    path.write_bytes(b"-" * (MAX_KEY_FILE_BYTES + 1))
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="over 65536 bytes"):
        load_key_file(path, None)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o602])
def test_a_key_open_to_others_is_refused(tmp_path: Path, mode: int) -> None:
    """Anyone who can read it can sign as its actor: 'chmod 600' is the remedy given."""
    ring = KeyRing(tmp_path / "keys")
    key = ring.create("alice")
    path = ring.path_of("alice")
    path.chmod(mode)
    with pytest.raises(KeyFileError, match=rf"mode {mode:04o}.*chmod 600"):
        ring.load("alice")
    path.chmod(0o600)
    assert ring.load("alice").key_id == key.key_id


def test_a_keys_directory_others_may_write_is_refused(tmp_path: Path) -> None:
    """Whoever can write the directory can swap the key; a sticky directory is fine."""
    ring = KeyRing(tmp_path / "keys")
    ring.create("alice")
    ring.directory.chmod(0o777)
    try:
        with pytest.raises(KeyFileError, match=r"writable by group or others.*chmod 700"):
            ring.load("alice")
        ring.directory.chmod(0o1777)  # like /tmp: others cannot replace our file
        ring.load("alice")
    finally:
        ring.directory.chmod(0o700)


def test_the_cli_refuses_an_open_key_in_one_line(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys")
    ring.create("alice")
    ring.path_of("alice").chmod(0o644)
    result = _prov(tmp_path, *_add_item("alice", tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("error: key file") and "chmod 600" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
