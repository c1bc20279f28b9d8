"""Moving a store between backends (SQLite and PostgreSQL), statement by statement.

The copy is made by the store's own append: every statement is parsed, its
signature and every rule are checked again, and it is given the receipt time
the source recorded, so it lands at the same position with the same leaf.
Along the way the copy's log root is compared with the source's at every
checkpoint size, and at the end for the whole log; the checkpoints (signed
notes) and witness cosignatures are then carried over verbatim, which is only
possible because the roots they sign are the same. Attachments are copied
blob by blob and re-hashed on arrival.

The copy is built aside (:mod:`provenance.store.staging`) and put in place in
one atomic step once it is whole and its root checked. If anything disagrees
or fails, or the process is killed, there is no store at the target: a copy is
either whole and verified, or absent, and a second copy can always be made.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from provenance.errors import StoreError, VerificationError
from provenance.store.attached import attachments
from provenance.store.checkpoints import StoredCheckpoint, checkpoints
from provenance.store.location import Location, parse_location
from provenance.store.staging import staged
from provenance.store.store import Store

CARRIED_META_SKIP = frozenset({"format", "schema_version"})
"""``prov_meta`` keys that belong to the copy itself; every other key is carried over."""


@dataclass(frozen=True)
class CopyReport:
    """What a copy did."""

    statements: int
    checkpoints: int
    cosignatures: int
    blobs: int
    root: str


def copy_store(
    source: Store,
    where: str | Path | Location,
    progress: Callable[[int], None] | None = None,
) -> CopyReport:
    """Copy ``source`` to a new store at ``where``; nothing is left there if it fails."""
    target_location = parse_location(where)
    if str(target_location) == str(source.location):
        raise StoreError("--from and --to name the same store")
    if Store.exists(target_location):
        raise StoreError(f"a store already exists at {target_location}")
    with staged(target_location) as staging:
        report = _build(source, staging.location, progress)
        staging.place()
    return report


def _build(source: Store, where: Location, progress: Callable[[int], None] | None) -> CopyReport:
    """Build the whole copy at ``where`` (a staging location) and close it."""
    size = source.size()
    records = source.iter_records()
    genesis = next(records)
    received = [genesis.received_at]
    log = None
    if "log_origin" in source.meta and "log_vkey" in source.meta:
        log = (source.meta["log_origin"], source.meta["log_vkey"])
    target = Store.create(
        where,
        genesis=genesis.envelope.raw,
        root_key_id=source.root_key_id,
        clock=lambda: received[0],
        log=log,
    )
    with target:
        stored = checkpoints(source)
        sizes = {c.size for c in stored}
        _check_root(source, target, 1, sizes)
        if progress:
            progress(1)
        for rec in records:
            received[0] = rec.received_at
            receipt = target.append(rec.envelope.raw)
            if receipt.duplicate or (receipt.position, receipt.version) != (
                rec.position,
                rec.version,
            ):
                raise VerificationError(
                    f"statement {rec.statement_id[:12]} landed at position {receipt.position} "
                    f"version {receipt.version}, not {rec.position} version {rec.version}"
                )
            _check_root(source, target, rec.position + 1, sizes)
            if progress:
                progress(1)
        if target.size() != size:
            raise VerificationError(f"the copy has {target.size()} statements, not {size}")
        blobs = _copy_blobs(source, target)
        cosignatures = _copy_log_and_meta(source, target, stored)
        target.views.catch_up()
        root = target.log_root(size)
        if root != source.log_root(size):
            raise VerificationError("the copy's log root differs from the source's")
        return CopyReport(size, len(stored), cosignatures, blobs, root.hex())


def _check_root(source: Store, target: Store, size: int, sizes: set[int]) -> None:
    """At a checkpoint's size, the copy's root must be the source's."""
    if size in sizes and target.log_root(size) != source.log_root(size):
        raise VerificationError(f"the copy's log root at size {size} differs from the source's")


def _copy_blobs(source: Store, target: Store) -> int:
    """Copy every attachment's blob (each once), re-hashed as it is stored."""
    done: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="prov-copy-") as tmp:
        for _, body in attachments(source):
            if body.digest in done or not source.blobs.exists(body.digest):
                continue  # a missing blob stays missing; the copy's verify reports it
            path = Path(tmp) / body.digest
            source.blobs.extract(body.digest, path)
            info = target.blobs.put_file(path)
            path.unlink()
            if info.digest != body.digest:
                raise VerificationError(f"blob {body.digest[:16]} changed while copied")
            done.add(body.digest)
    return len(done)


def _copy_log_and_meta(source: Store, target: Store, stored: list[StoredCheckpoint]) -> int:
    """Carry the signed checkpoints, cosignatures and settings over; return cosignatures."""
    cosigned = 0
    with target.transaction(commit=True) as tx:
        for key, value in sorted(source.meta.items()):
            if key in CARRIED_META_SKIP:
                continue
            tx.run(
                "INSERT INTO prov_meta VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
        for c in stored:
            cid = tx.insert_returning(
                "INSERT INTO checkpoints (size, root, note, signed_at) VALUES (?, ?, ?, ?)",
                (c.size, c.root, c.note, c.signed_at),
                "id",
            )
            for witness, key_id, line, time in c.cosignatures:
                tx.run(
                    "INSERT INTO cosignatures VALUES (?, ?, ?, ?, ?)",
                    (cid, witness, key_id, line, time),
                )
                cosigned += 1
    target.meta = target._read_meta()
    return cosigned
