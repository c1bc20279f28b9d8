"""A new store is the owner's alone: directories 0700, files 0600 (blobs 0400), whatever the umask.

Today the store directory, its database and its blobs are world-readable.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Prov, World

from provenance.store import DB_NAME


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common umask 022, under which files used to come out 0644."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def _private(modes: dict[str, int]) -> None:
    for name, mode in modes.items():
        assert mode & 0o077 == 0, f"{name} is {mode:04o}: open to group or others"


def test_a_new_store_and_its_files_are_private(
    open_umask: None, tmp_path: Path, world: World
) -> None:
    """Database, -wal and -shm while the store is open, blob directories and blobs."""
    store_dir = Path(world.store_dir)
    world.evidence("item-1")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8 photograph")
    world.store.blobs.put_file(photo)
    modes = _modes(store_dir)
    assert modes["."] == 0o700
    assert modes[DB_NAME] == 0o600
    for suffix in ("-wal", "-shm"):
        if f"{DB_NAME}{suffix}" in modes:  # present while the store is open in WAL mode
            assert modes[f"{DB_NAME}{suffix}"] == 0o600
    blobs = [n for n in modes if n.startswith("blobs")]
    assert blobs, "the blob was not stored"
    for name in blobs:
        path = store_dir / name
        assert modes[name] == (0o700 if path.is_dir() else 0o400), (name, oct(modes[name]))
    _private(modes)


def test_prov_init_makes_a_private_store(open_umask: None, prov: Prov) -> None:
    prov.ok("init", "--org-id", "org", "--org-name", "Org", "--store", str(prov.store_dir))
    prov.ok(
        "evidence", "add", "--id", "item-1", "--kind", "other", "--title", "T",
        "--key", "root", "--store", str(prov.store_dir),
    )  # fmt: skip
    modes = _modes(prov.store_dir)
    assert modes["."] == 0o700 and modes[DB_NAME] == 0o600
    _private(modes)


def test_a_store_made_by_import_is_private(open_umask: None, tmp_path: Path, world: World) -> None:
    """`prov import` into a new directory creates it 0700 with a 0600 database."""
    world.evidence("item-1")
    export = tmp_path / "export.jsonl"
    prov = Prov(world.keys_dir, Path(world.store_dir))
    prov.ok("export", "--store", str(world.store_dir), "--out", str(export))
    copy = tmp_path / "copy"
    root_key_id = world.store.root_key_id
    prov.ok("import", str(export), "--store", str(copy), "--root-key-id", root_key_id)
    modes = _modes(copy)
    assert modes["."] == 0o700 and modes[DB_NAME] == 0o600
    _private(modes)
