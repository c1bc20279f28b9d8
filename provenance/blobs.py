"""The blob store: attached files kept by their SHA-256, beside the database.

A blob lives at ``<store dir>/blobs/sha256/<first two hex>/<full hex>``. Its name
is the SHA-256 of its content, so a blob is never rewritten: a second copy of
the same content is the same blob, and different content is a different name.

Every write goes to a temporary file in the blob directory, is fsynced, and is
then linked into place with ``os.link``, which fails rather than replace an
existing name. So a blob under its final name is always complete, and a crash
leaves at most a stray ``.tmp-*`` file, never a half-written blob.

Files are hashed and copied in 1 MiB chunks read into one reused buffer, so
memory use does not depend on the size of the file.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import mimetypes
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import TypeAdapter, ValidationError

from provenance.errors import InputError, StoreError, VerificationError
from provenance.model.fields import MediaType

CHUNK_SIZE = 1 << 20
"""Bytes read per chunk. Large enough that Python's per-call overhead vanishes
beside the hashing, small enough to stay well inside the CPU caches' reach."""

DEFAULT_MEDIA_TYPE = "application/octet-stream"
BLOB_DIR = Path("blobs") / "sha256"
TMP_PREFIX = ".tmp-"

BlobStatus = Literal["ok", "missing", "altered"]

_HEX = frozenset("0123456789abcdef")
_MEDIA_TYPE: TypeAdapter[str] = TypeAdapter(MediaType)
# mimetypes reports a compressed file as its inner type plus an encoding
# ("x.tar.gz" is application/x-tar, gzip); the bytes stored are the compressed ones.
_ENCODED_TYPES = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
    "br": "application/x-brotli",
}
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows only; 0 elsewhere


@dataclass(frozen=True)
class BlobInfo:
    """What a blob is: its name and its length.

    Attributes:
        digest: lowercase hex SHA-256 of the content.
        size: length of the content in bytes.
    """

    digest: str
    size: int


# -- pure helpers ------------------------------------------------------------------


def is_digest(text: str) -> bool:
    """Tell whether ``text`` is a SHA-256 digest in the store's form: 64 lowercase hex."""
    return len(text) == 64 and _HEX.issuperset(text)


def normalise_digest(text: str) -> str:
    """A digest as typed by a person, in the store's form (lowercase, no ``sha256:``).

    Raises:
        InputError: it is not 64 hex characters.
    """
    digest = text.strip().lower().removeprefix("sha256:")
    if not is_digest(digest):
        raise InputError(f"{text!r} is not a SHA-256 digest (64 hex characters)")
    return digest


class _ReadError(Exception):
    """An OSError while reading the source, told apart from one while writing."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.strerror or str(error))
        self.error = error


def _stream(source: io.FileIO, fd: int | None = None) -> BlobInfo:
    """Hash ``source`` to its end, copying it to ``fd`` if given; constant memory.

    Every chunk is read into the same buffer (``readinto``) and handed on as a
    view of it, so no bytes object is allocated per chunk.

    Raises:
        _ReadError: reading failed.
        OSError: writing failed.
    """
    hasher = hashlib.sha256()
    size = 0
    view = memoryview(bytearray(CHUNK_SIZE))
    while True:
        try:
            n = source.readinto(view)
        except OSError as e:
            raise _ReadError(e) from e
        if not n:
            break
        chunk = view[:n]
        hasher.update(chunk)
        size += n
        if fd is not None:
            _write_all(fd, chunk)
    return BlobInfo(hasher.hexdigest(), size)


def _advise_sequential(f: io.FileIO) -> None:
    # A larger read-ahead for a file read once from start to end. Advice only:
    # where the call does not exist or fails, nothing is lost but speed.
    if hasattr(os, "posix_fadvise"):
        with contextlib.suppress(OSError):
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)


def _open_source(path: Path) -> io.FileIO:
    """Open a regular file for unbuffered reading, or raise InputError naming it."""
    try:
        # Unbuffered: readinto fills our buffer directly, with no second copy.
        f = io.FileIO(path, "r")
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory, not a file") from None
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from None
    # A FIFO or a device could block or never end; only regular files are attached.
    if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
        f.close()
        raise InputError(f"{path} is not a regular file")
    _advise_sequential(f)
    return f


def sha256_file(path: Path) -> tuple[str, int]:
    """The SHA-256 (lowercase hex) and size of a file, read in constant memory.

    Raises:
        InputError: the file does not exist, is not a regular file, or cannot be read.
    """
    with _open_source(path) as f:
        try:
            info = _stream(f)
        except _ReadError as e:
            raise InputError(f"cannot read {path}: {e}") from None
    return info.digest, info.size


def check_media_type(text: str) -> str:
    """A media type in the form statements carry (lowercase ``type/subtype``).

    Raises:
        InputError: it is not a media type.
    """
    value = text.strip().lower()
    try:
        return _MEDIA_TYPE.validate_python(value)
    except ValidationError:
        raise InputError(f"{text!r} is not a media type such as image/jpeg") from None


def guess_media_type(path: Path) -> str:
    """The media type of a file from its name; ``application/octet-stream`` if unknown."""
    guessed, encoding = mimetypes.guess_type(path.name)
    if encoding is not None:
        guessed = _ENCODED_TYPES.get(encoding)
    if guessed is None:
        return DEFAULT_MEDIA_TYPE
    try:
        return check_media_type(guessed)
    except InputError:
        # The system's mime.types may hold names the statement schema refuses.
        return DEFAULT_MEDIA_TYPE


# -- files -------------------------------------------------------------------------


def _create_temp(directory: Path, prefix: str, mode: int) -> tuple[Path, int]:
    """Create a new, empty file with a random name in ``directory``; return (path, fd).

    O_EXCL guarantees the name is ours. ``mode`` is filtered by the umask as
    usual (mkstemp would force 0600 instead).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY
    for _ in range(100):
        path = directory / f"{prefix}{secrets.token_hex(8)}"
        try:
            return path, os.open(path, flags, mode)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(directory))


def _write_all(fd: int, data: memoryview) -> None:
    """Write every byte of ``data`` (os.write may write fewer than asked)."""
    while data:
        data = data[os.write(fd, data) :]


def _fsync_dir(directory: Path) -> None:
    # Makes a new directory entry durable. Directories cannot be opened this
    # way on every platform (Windows); there the rename is as durable as it gets.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _place(temp: Path, target: Path, *, replace: bool = False) -> bool:
    """Give the complete file ``temp`` the name ``target``; False if ``target`` exists.

    Without ``replace`` an existing ``target`` is never touched: ``os.link``
    fails if the name exists, atomically. Where hard links are unsupported, the
    fallback checks then renames, which a concurrent writer could race; for a
    blob that writer would be putting the same content under the same name.
    ``temp`` is gone afterwards either way.
    """
    try:
        if replace:
            os.replace(temp, target)
            return True
        try:
            os.link(temp, target)
        except FileExistsError:
            return False
        except OSError as e:
            if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise
            if target.exists():
                return False
            os.rename(temp, target)
        return True
    finally:
        temp.unlink(missing_ok=True)
        _fsync_dir(target.parent)


def check_output(out: Path, *, force: bool) -> None:
    """Refuse an extraction target that is a directory, exists (without ``force``), or
    whose directory does not exist: InputError naming it."""
    if out.is_dir():
        raise InputError(f"{out} is a directory; give a file name")
    if out.exists() and not force:
        raise InputError(f"{out} already exists; not overwritten")
    if not out.parent.is_dir():
        raise InputError(f"directory {out.parent} does not exist")


class BlobStore:
    """The content-addressed blob store of one store directory."""

    def __init__(self, directory: Path) -> None:
        """Open the blob store of a store.

        Args:
            directory: the store directory (``Store.directory``); the blobs live
                under its ``blobs/sha256``, which is created on the first write.
        """
        self.directory = directory
        self.root = directory / BLOB_DIR

    def path_of(self, digest: str) -> Path:
        """Where the blob of ``digest`` lives (whether or not it exists).

        Raises:
            InputError: ``digest`` is not 64 lowercase hex characters.
        """
        if not is_digest(digest):
            raise InputError(f"{digest!r} is not a SHA-256 digest (64 lowercase hex characters)")
        return self.root / digest[:2] / digest

    def exists(self, digest: str) -> bool:
        """Tell whether a blob of that name is present (its content is not checked)."""
        return self.path_of(digest).is_file()

    def size_of(self, digest: str) -> int | None:
        """The length of a blob's file now, or None if there is none."""
        try:
            return self.path_of(digest).stat().st_size
        except OSError:
            return None

    # -- writing -------------------------------------------------------------

    def put_file(self, path: Path) -> BlobInfo:
        """Copy a file into the blob store, hashing it on the way, in constant memory.

        The digest and size are those of the bytes actually copied, so even a
        file that changes while it is read gives a blob true to its name.

        Returns:
            The blob's digest and size; the same for a file already stored.

        Raises:
            InputError: the file cannot be read.
            StoreError: the blob store cannot be written.
            VerificationError: a blob of that name exists with other content;
                it is left as it is (see :meth:`_commit`).
        """
        with _open_source(path) as source:
            temp, fd = self._temp()
            try:
                try:
                    info = _stream(source, fd)
                    os.fsync(fd)
                except _ReadError as e:
                    raise InputError(f"cannot read {path}: {e}") from None
                except OSError as e:
                    raise self._write_error(e) from None
                finally:
                    os.close(fd)
            except BaseException:
                temp.unlink(missing_ok=True)
                raise
        return self._commit(temp, info)

    def put_bytes(self, data: bytes) -> BlobInfo:
        """Store ``data`` as a blob (the in-memory counterpart of :meth:`put_file`)."""
        info = BlobInfo(hashlib.sha256(data).hexdigest(), len(data))
        temp, fd = self._temp()
        try:
            try:
                _write_all(fd, memoryview(data))
                os.fsync(fd)
            except OSError as e:
                raise self._write_error(e) from None
            finally:
                os.close(fd)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return self._commit(temp, info)

    def _temp(self) -> tuple[Path, int]:
        # Temporary files sit in the blob root, on the blob's file system (so the
        # final link stays within it) but outside the two-hex directories.
        # Blobs are created read-only (like git's objects): nothing should edit them.
        try:
            # Owner only (docs/files.md): blobs are evidence, often sensitive.
            self.root.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.root.mkdir(mode=0o700, exist_ok=True)
            return _create_temp(self.root, TMP_PREFIX, 0o400)
        except OSError as e:
            raise self._write_error(e) from None

    def _write_error(self, e: OSError) -> StoreError:
        return StoreError(f"cannot write to the blob store {self.root}: {e.strerror or e}")

    def _commit(self, temp: Path, info: BlobInfo) -> BlobInfo:
        """Move a complete, synced temporary file to its blob name, never overwriting.

        If a blob of that name exists, it is kept when its content is right
        (the usual case: the same file attached twice). When it is not, it is
        still not replaced: a blob altered on disk is evidence of damage or
        tampering that ``prov verify`` must go on reporting, so it is left for
        a person to look at, and the put fails.
        """
        target = self.path_of(info.digest)
        try:
            target.parent.mkdir(mode=0o700, exist_ok=True)
            placed = _place(temp, target)
        except OSError as e:
            temp.unlink(missing_ok=True)
            raise StoreError(f"cannot write blob {target}: {e.strerror or e}") from None
        if placed:
            return info
        status = self.check(info.digest, info.size)
        if status != "ok":
            raise VerificationError(
                f"blob {info.digest[:16]} already exists at {target} but is {status}; "
                "it was not replaced: run 'prov verify'"
            )
        return info

    # -- reading -------------------------------------------------------------

    def check(self, digest: str, size: int) -> BlobStatus:
        """Re-hash a blob: ``ok``, ``missing``, or ``altered`` (other size or content).

        Raises:
            InputError: ``digest`` is not a digest.
            StoreError: the blob exists but cannot be read.
        """
        path = self.path_of(digest)
        try:
            st = path.stat()
        except FileNotFoundError:
            return "missing"
        except OSError as e:
            raise StoreError(f"cannot read blob {path}: {e.strerror or e}") from None
        # Something else under the blob's name (a directory, a device) is not the blob.
        if not stat.S_ISREG(st.st_mode) or st.st_size != size:
            return "altered"
        try:
            found, found_size = sha256_file(path)
        except InputError as e:
            raise StoreError(str(e)) from None
        return "ok" if (found, found_size) == (digest, size) else "altered"

    def extract(self, digest: str, out: Path, *, force: bool = False) -> BlobInfo:
        """Copy a blob to ``out``, re-hashing it; ``out`` appears only if the hash matches.

        The copy goes to a temporary file beside ``out``, so ``out`` is never
        seen half-written, and a blob altered on disk never leaves a file.

        Args:
            digest: the blob's digest.
            out: the file to create.
            force: replace ``out`` if it exists.

        Raises:
            InputError: bad digest, ``out`` exists (without ``force``), or is a
                directory, or its directory does not exist.
            StoreError: no such blob, it cannot be read, or ``out`` cannot be written.
            VerificationError: the blob's content does not hash to ``digest``.
        """
        source_path = self.path_of(digest)
        check_output(out, force=force)
        try:
            source = _open_source(source_path)
        except InputError as e:
            if not source_path.exists():
                raise StoreError(f"no blob {digest[:16]} in {self.root}") from None
            raise StoreError(str(e)) from None
        with source:
            try:
                temp, fd = _create_temp(out.parent, f".{out.name}.", 0o666)
            except OSError as e:
                raise StoreError(f"cannot write {out}: {e.strerror or e}") from None
            try:
                try:
                    info = _stream(source, fd)
                    os.fsync(fd)
                except _ReadError as e:
                    raise StoreError(f"cannot read blob {source_path}: {e}") from None
                except OSError as e:
                    raise StoreError(f"cannot write {out}: {e.strerror or e}") from None
                finally:
                    os.close(fd)
            except BaseException:
                temp.unlink(missing_ok=True)
                raise
        if info.digest != digest:
            temp.unlink(missing_ok=True)
            raise VerificationError(
                f"blob {digest[:16]} is altered: its content hashes to {info.digest[:16]} "
                f"({info.size} bytes); {out} not written"
            )
        try:
            placed = _place(temp, out, replace=force)
        except OSError as e:
            raise StoreError(f"cannot write {out}: {e.strerror or e}") from None
        if not placed:
            # Created by someone else since the check above.
            raise InputError(f"{out} already exists; not overwritten")
        return info


__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_MEDIA_TYPE",
    "BlobInfo",
    "BlobStatus",
    "BlobStore",
    "check_media_type",
    "guess_media_type",
    "is_digest",
    "normalise_digest",
    "sha256_file",
]
