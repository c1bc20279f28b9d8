"""Attachments of a PostgreSQL store, kept in the database itself.

Why in the database and not in a directory: a PostgreSQL store is shared by
writers on several machines, and every one of them (and every auditor) must
reach every attachment; a directory would have to be a shared file system,
backed up and restored in step with the database. In the database, one
``pg_dump`` holds the statements and the files they describe, and a restore
can never pair a database with the wrong files.

A blob is split into chunks of 1 MiB (``blob_chunks``), so a large file is
written and read in constant memory; its row in ``blobs`` (digest and size)
is written in the same transaction as its chunks, so a blob is either whole
or absent. As on SQLite, a blob's name is the SHA-256 of its content and is
never rewritten.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from provenance.blobs import (
    CHUNK_SIZE,
    BlobInfo,
    BlobStatus,
    _open_source,
    check_output,
    is_digest,
    sha256_file,
)
from provenance.errors import InputError, StoreError, VerificationError
from provenance.store.location import Location
from provenance.store.tables import Tx


class Database(Protocol):
    """What the blobs need of their store (a :class:`provenance.store.store.Store`).

    Named by its calls rather than imported: store.py imports this module, so
    importing store.py here would close an import cycle.
    """

    @property
    def location(self) -> Location: ...

    def transaction(self, *, commit: bool) -> AbstractContextManager[Tx]: ...


BLOB_TABLES = [
    "CREATE TABLE IF NOT EXISTS blobs (digest TEXT PRIMARY KEY, size INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS blob_chunks ("
    "digest TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, "
    "PRIMARY KEY (digest, seq))",
]


def _check_digest(digest: str) -> None:
    if not is_digest(digest):
        raise InputError(f"{digest!r} is not a SHA-256 digest (64 lowercase hex characters)")


class PgBlobStore:
    """The blobs of one PostgreSQL store (the same calls as :class:`provenance.blobs.BlobStore`)."""

    def __init__(self, store: Database) -> None:
        self.store = store
        self.where = f"the blob tables of {store.location}"

    def exists(self, digest: str) -> bool:
        """Tell whether a blob of that name is present (its content is not checked)."""
        return self.size_of(digest) is not None

    def size_of(self, digest: str) -> int | None:
        """The stored length of a blob's content, or None if there is no such blob."""
        _check_digest(digest)
        with self.store.transaction(commit=False) as tx:
            row = tx.one(
                "SELECT COALESCE(SUM(LENGTH(data)), 0) FROM blob_chunks WHERE digest = ?",
                (digest,),
            )
            present = tx.one("SELECT 1 FROM blobs WHERE digest = ?", (digest,))
        return None if present is None or row is None else int(row[0])

    # -- writing -------------------------------------------------------------

    def put_file(self, path: Path) -> BlobInfo:
        """Store a file's content: hashed first, then copied while hashed again.

        The second hash must equal the first, so a file that changes while it
        is read is refused rather than stored under a name it does not match.
        """
        digest, size = sha256_file(path)
        with _open_source(path) as source:
            return self._put(digest, size, lambda: source.read(CHUNK_SIZE), path)

    def put_bytes(self, data: bytes) -> BlobInfo:
        """Store ``data`` as a blob."""
        chunks = iter([data[i : i + CHUNK_SIZE] for i in range(0, len(data), CHUNK_SIZE)])
        return self._put(
            hashlib.sha256(data).hexdigest(), len(data), lambda: next(chunks, b""), None
        )

    def _put(self, digest: str, size: int, read: object, path: Path | None) -> BlobInfo:
        info = BlobInfo(digest, size)
        assert callable(read)
        with self.store.transaction(commit=True) as tx:
            fresh = tx.one(
                "INSERT INTO blobs VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING digest",
                (digest, size),
            )
            if fresh is not None:
                h = hashlib.sha256()
                seq = copied = 0
                while chunk := read():
                    h.update(chunk)
                    tx.run("INSERT INTO blob_chunks VALUES (?, ?, ?)", (digest, seq, bytes(chunk)))
                    seq += 1
                    copied += len(chunk)
                if (h.hexdigest(), copied) != (digest, size):
                    # Raising rolls back the blob row and every chunk.
                    raise InputError(f"{path or 'the data'} changed while it was being stored")
                return info
        status = self.check(digest, size)
        if status != "ok":
            raise VerificationError(
                f"blob {digest[:16]} already exists in {self.where} but is {status}; "
                "it was not replaced: run 'prov verify'"
            )
        return info

    # -- reading -------------------------------------------------------------

    def _chunks(self, digest: str) -> object:
        """The blob's chunks in order, one query each (constant memory)."""
        seq = 0
        while True:
            with self.store.transaction(commit=False) as tx:
                row = tx.one(
                    "SELECT data FROM blob_chunks WHERE digest = ? AND seq = ?", (digest, seq)
                )
            if row is None:
                return
            yield bytes(row[0])
            seq += 1

    def check(self, digest: str, size: int) -> BlobStatus:
        """Re-hash a blob: ``ok``, ``missing``, or ``altered`` (other size or content)."""
        found = self.size_of(digest)
        if found is None:
            return "missing"
        if found != size:
            return "altered"
        h = hashlib.sha256()
        for chunk in self._chunks(digest):  # type: ignore[attr-defined]
            h.update(chunk)
        return "ok" if h.hexdigest() == digest else "altered"

    def extract(self, digest: str, out: Path, *, force: bool = False) -> BlobInfo:
        """Copy a blob to ``out``, re-hashing it; ``out`` appears only if the hash matches."""
        _check_digest(digest)
        check_output(out, force=force)
        if not self.exists(digest):
            raise StoreError(f"no blob {digest[:16]} in {self.where}")
        temp = out.parent / f".{out.name}.{secrets.token_hex(6)}"
        h = hashlib.sha256()
        size = 0
        try:
            with open(temp, "xb") as f:
                for chunk in self._chunks(digest):  # type: ignore[attr-defined]
                    h.update(chunk)
                    size += len(chunk)
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
            if h.hexdigest() != digest:
                raise VerificationError(
                    f"blob {digest[:16]} is altered: its content hashes to "
                    f"{h.hexdigest()[:16]} ({size} bytes); {out} not written"
                )
            os.replace(temp, out)
        except OSError as e:
            raise StoreError(f"cannot write {out}: {e.strerror or e}") from None
        finally:
            temp.unlink(missing_ok=True)
        return BlobInfo(digest, size)
