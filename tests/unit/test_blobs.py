"""The blob store: streaming hashes, atomic never-overwriting puts, checked extraction.

Damage is done for real: blob files are deleted, rewritten or truncated on disk.
"""

from __future__ import annotations

import hashlib
import os
import random
import stat
import tracemalloc
from pathlib import Path

import pytest

from provenance.blobs import (
    CHUNK_SIZE,
    BlobInfo,
    BlobStore,
    check_media_type,
    guess_media_type,
    normalise_digest,
    sha256_file,
)
from provenance.errors import InputError, StoreError, VerificationError

MiB = 1 << 20


def content(size: int, seed: int = 0) -> bytes:
    """Deterministic bytes that differ from chunk to chunk (so a chunk read twice shows)."""
    return random.Random(seed).randbytes(size)


def write_big(path: Path, mib: int) -> str:
    """Write ``mib`` MiB in 1 MiB chunks (never held whole); return its SHA-256."""
    hasher = hashlib.sha256()
    base = os.urandom(MiB)
    with path.open("wb") as f:
        for i in range(mib):
            chunk = i.to_bytes(8, "big") + base[8:]
            hasher.update(chunk)
            f.write(chunk)
    return hasher.hexdigest()


def make_writable(path: Path) -> None:
    """Blobs are created read-only; tests that damage one make it writable first."""
    path.chmod(path.stat().st_mode | stat.S_IWUSR)


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    """An empty blob store in tmp_path/store."""
    return BlobStore(tmp_path / "store")


def temp_files(blobs: BlobStore) -> list[Path]:
    """Leftover temporary files in the blob root."""
    return sorted(blobs.root.glob(".tmp-*")) if blobs.root.exists() else []


# -- hashing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "size",
    [0, 1, 63, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 17],
)
def test_streaming_hash_equals_hashlib_on_the_whole(tmp_path: Path, size: int) -> None:
    """Chunk boundaries (empty, one short, exact, one over, several) change nothing."""
    data = content(size, seed=size)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert sha256_file(path) == (hashlib.sha256(data).hexdigest(), size)


def test_hash_of_a_known_value(tmp_path: Path) -> None:
    """The FIPS 180-2 vector for "abc", so the hash is SHA-256 and hex is lowercase."""
    path = tmp_path / "abc"
    path.write_bytes(b"abc")
    assert sha256_file(path) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        3,
    )


def test_hash_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no such file: .*nope"):
        sha256_file(tmp_path / "nope")
    with pytest.raises(InputError, match="is a directory"):
        sha256_file(tmp_path)
    # A device (or a FIFO) may never end: only regular files are read.
    with pytest.raises(InputError, match="not a regular file"):
        sha256_file(Path("/dev/zero"))


def test_hashing_64_mib_allocates_little(tmp_path: Path) -> None:
    """Memory does not grow with the file: a 64 MiB file, a peak of a few MiB at most.

    A whole-file read (or one bytes object per chunk kept alive) would show
    here as a peak of 64 MiB or more.
    """
    path = tmp_path / "big.bin"
    expected = write_big(path, 64)
    tracemalloc.start()
    try:
        digest, size = sha256_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (digest, size) == (expected, 64 * MiB)
    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB"


def test_putting_64_mib_allocates_little(tmp_path: Path, blobs: BlobStore) -> None:
    """Hash and copy together stay in constant memory too."""
    path = tmp_path / "big.bin"
    expected = write_big(path, 64)
    tracemalloc.start()
    try:
        info = blobs.put_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info == BlobInfo(expected, 64 * MiB)
    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB"
    assert blobs.check(expected, 64 * MiB) == "ok"


# -- putting -----------------------------------------------------------------------


def test_put_file_stores_under_the_digest(tmp_path: Path, blobs: BlobStore) -> None:
    data = content(CHUNK_SIZE + 5)
    source = tmp_path / "photo.jpg"
    source.write_bytes(data)
    info = blobs.put_file(source)
    digest = hashlib.sha256(data).hexdigest()
    assert info == BlobInfo(digest, len(data))
    path = tmp_path / "store" / "blobs" / "sha256" / digest[:2] / digest
    assert blobs.path_of(digest) == path
    assert path.read_bytes() == data
    assert blobs.exists(digest)
    # Read-only, so that nothing edits a blob by accident.
    assert path.stat().st_mode & 0o222 == 0
    assert temp_files(blobs) == []


def test_put_bytes_is_put_file_in_memory(tmp_path: Path, blobs: BlobStore) -> None:
    source = tmp_path / "doc.pdf"
    source.write_bytes(b"%PDF-1.7 ...")
    assert blobs.put_bytes(b"%PDF-1.7 ...") == blobs.put_file(source)
    assert sorted(p.name for p in blobs.root.rglob("*") if p.is_file()) == [
        hashlib.sha256(b"%PDF-1.7 ...").hexdigest()
    ]


def test_put_twice_keeps_the_first_blob(tmp_path: Path, blobs: BlobStore) -> None:
    """The same content again is the same blob; the stored file is not touched."""
    info = blobs.put_bytes(b"same bytes")
    before = blobs.path_of(info.digest).stat()
    source = tmp_path / "again.txt"
    source.write_bytes(b"same bytes")
    assert blobs.put_file(source) == info
    after = blobs.path_of(info.digest).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert temp_files(blobs) == []


@pytest.mark.parametrize("damage", ["same size", "other size"])
def test_an_altered_existing_blob_is_reported_not_replaced(
    tmp_path: Path, blobs: BlobStore, damage: str
) -> None:
    """Decision: putting content whose blob exists but is altered fails (VerificationError)
    and leaves the altered blob exactly as it is, for 'prov verify' to go on reporting."""
    data = b"original photograph bytes"
    info = blobs.put_bytes(data)
    path = blobs.path_of(info.digest)
    make_writable(path)
    bad = b"X" + data[1:] if damage == "same size" else data + b"!"
    path.write_bytes(bad)
    message = (
        f"blob {info.digest[:16]} already exists at {path} but is altered; "
        "it was not replaced: run 'prov verify'"
    )
    with pytest.raises(VerificationError) as refused:
        blobs.put_bytes(data)
    assert type(refused.value) is VerificationError and str(refused.value) == message
    source = tmp_path / "photo.jpg"
    source.write_bytes(data)
    with pytest.raises(VerificationError) as refused:
        blobs.put_file(source)
    assert type(refused.value) is VerificationError and str(refused.value) == message
    assert path.read_bytes() == bad
    assert temp_files(blobs) == []


def test_a_blob_never_appears_before_it_is_complete(
    tmp_path: Path, blobs: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the moment the temporary copy is fsynced (all bytes written), the blob's
    name is still free; and a failure there leaves no blob and no temporary file."""
    data = content(2 * CHUNK_SIZE + 1)
    digest = hashlib.sha256(data).hexdigest()
    source = tmp_path / "f.bin"
    source.write_bytes(data)
    real_fsync = os.fsync
    seen: list[bool] = []

    def watching_fsync(fd: int) -> None:
        seen.append(blobs.path_of(digest).exists())
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", watching_fsync)
    blobs.put_file(source)
    assert seen and seen[0] is False
    assert blobs.check(digest, len(data)) == "ok"

    def failing_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    other = tmp_path / "other.bin"
    other.write_bytes(b"other content")
    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(StoreError, match="No space left on device"):
        blobs.put_file(other)
    assert not blobs.exists(hashlib.sha256(b"other content").hexdigest())
    assert temp_files(blobs) == []


def test_put_bad_input(tmp_path: Path, blobs: BlobStore) -> None:
    with pytest.raises(InputError, match=r"no such file: .*missing\.jpg"):
        blobs.put_file(tmp_path / "missing.jpg")
    with pytest.raises(InputError, match="is a directory"):
        blobs.put_file(tmp_path)
    assert temp_files(blobs) == []


def test_unwritable_blob_store_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "store").write_text("a file where the store directory should be")
    with pytest.raises(StoreError, match="cannot write to the blob store"):
        BlobStore(tmp_path / "store").put_bytes(b"x")


# -- checking ----------------------------------------------------------------------


def test_check_tells_ok_missing_altered(blobs: BlobStore) -> None:
    data = content(1000)
    info = blobs.put_bytes(data)
    path = blobs.path_of(info.digest)
    assert blobs.check(info.digest, info.size) == "ok"
    # The statement says another size: altered, whatever the content.
    assert blobs.check(info.digest, info.size + 1) == "altered"

    make_writable(path)
    path.write_bytes(data[:500] + bytes([data[500] ^ 1]) + data[501:])  # one bit, same size
    assert blobs.check(info.digest, info.size) == "altered"
    path.write_bytes(data[:-1])  # truncated
    assert blobs.check(info.digest, info.size) == "altered"
    path.write_bytes(data)  # restored
    assert blobs.check(info.digest, info.size) == "ok"

    path.unlink()
    assert blobs.check(info.digest, info.size) == "missing"
    assert not blobs.exists(info.digest)


def test_check_something_else_under_the_name_is_altered(blobs: BlobStore) -> None:
    info = blobs.put_bytes(b"abc")
    path = blobs.path_of(info.digest)
    path.unlink()
    path.mkdir()
    assert blobs.check(info.digest, info.size) == "altered"


def test_digests_are_checked(blobs: BlobStore) -> None:
    for bad in ("", "abc", "A" * 64, "g" * 64, "../" + "a" * 61):
        with pytest.raises(InputError, match="not a SHA-256 digest"):
            blobs.path_of(bad)
    digest = "ab" * 32
    assert normalise_digest(f" SHA256:{digest.upper()} ") == digest
    with pytest.raises(InputError):
        normalise_digest("ab" * 31)


# -- extracting --------------------------------------------------------------------


def test_extract_round_trip(tmp_path: Path, blobs: BlobStore) -> None:
    data = content(2 * CHUNK_SIZE + 3)
    info = blobs.put_bytes(data)
    out = tmp_path / "out.bin"
    assert blobs.extract(info.digest, out) == info
    assert out.read_bytes() == data
    # An ordinary file for its reader, not a read-only blob.
    assert out.stat().st_mode & stat.S_IWUSR
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_extract_refuses_to_overwrite_unless_forced(tmp_path: Path, blobs: BlobStore) -> None:
    info = blobs.put_bytes(b"blob content")
    out = tmp_path / "out.txt"
    out.write_bytes(b"precious")
    with pytest.raises(InputError, match=r"out\.txt already exists"):
        blobs.extract(info.digest, out)
    assert out.read_bytes() == b"precious"
    blobs.extract(info.digest, out, force=True)
    assert out.read_bytes() == b"blob content"


@pytest.mark.parametrize("force", [False, True])
def test_extract_of_an_altered_blob_writes_nothing(
    tmp_path: Path, blobs: BlobStore, force: bool
) -> None:
    info = blobs.put_bytes(b"the real photograph")
    path = blobs.path_of(info.digest)
    make_writable(path)
    path.write_bytes(b"the fake photograph")
    out = tmp_path / "out.jpg"
    if force:
        out.write_bytes(b"kept")
    with pytest.raises(VerificationError) as refused:
        blobs.extract(info.digest, out, force=force)
    assert type(refused.value) is VerificationError
    altered = hashlib.sha256(b"the fake photograph").hexdigest()[:16]
    assert str(refused.value) == (
        f"blob {info.digest[:16]} is altered: its content hashes to {altered} (19 bytes); "
        f"{out} not written"
    )
    assert out.exists() == force
    if force:
        assert out.read_bytes() == b"kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        ["out.jpg", "store"] if force else ["store"]
    )


def test_extract_bad_input(tmp_path: Path, blobs: BlobStore) -> None:
    absent = "cd" * 32
    with pytest.raises(StoreError, match=f"no blob {absent[:16]}"):
        blobs.extract(absent, tmp_path / "x")
    info = blobs.put_bytes(b"x")
    with pytest.raises(InputError, match="is a directory"):
        blobs.extract(info.digest, tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        blobs.extract(info.digest, tmp_path / "no" / "such" / "dir" / "x")
    with pytest.raises(InputError, match="not a SHA-256 digest"):
        blobs.extract("xyz", tmp_path / "x")
    assert not (tmp_path / "x").exists()


# -- media types -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("marking.JPG", "image/jpeg"),
        ("report.pdf", "application/pdf"),
        ("notes.txt", "text/plain"),
        ("archive.tar.gz", "application/gzip"),
        ("no-extension", "application/octet-stream"),
        ("odd.zz-unknown", "application/octet-stream"),
    ],
)
def test_guess_media_type(name: str, expected: str) -> None:
    assert guess_media_type(Path(name)) == expected


def test_check_media_type() -> None:
    assert check_media_type(" Image/JPEG ") == "image/jpeg"
    for bad in ("jpeg", "image/", "image/jpeg; q=1", ""):
        with pytest.raises(InputError, match="not a media type"):
            check_media_type(bad)
