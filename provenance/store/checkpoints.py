"""Signed checkpoints of the store's log, and witnesses' cosignatures of them.

A checkpoint is a C2SP tlog-checkpoint (origin, size, base64 root) in a C2SP
signed note, signed with the log key whose verifier key the store records at
init. Every checkpoint is kept with the time it was signed; several may share
a size (they must then share a root, which ``prov verify`` checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from provenance.errors import InputError, NoteError, StoreError
from provenance.keys import SigningKey
from provenance.log.checkpoint import Checkpoint
from provenance.log.note import (
    Verifier,
    format_verifier_key,
    open_note,
    parse_verifier_key,
    sign_note,
)
from provenance.store.tables import Tx

if TYPE_CHECKING:
    from provenance.store.store import Store


@dataclass(frozen=True)
class StoredCheckpoint:
    """A checkpoint as the store keeps it."""

    id: int
    size: int
    root: bytes
    note: str
    signed_at: str
    cosignatures: tuple[tuple[str, str, str, int], ...] = ()
    """(witness name, key id, signature line, timestamp) of each cosignature."""


def log_identity(store: Store) -> tuple[str, Verifier]:
    """The log's origin and verifier; StoreError if this store has no log key."""
    origin = store.meta.get("log_origin")
    vkey = store.meta.get("log_vkey")
    if origin is None or vkey is None:
        raise StoreError("this store has no log key yet: run 'prov log init --origin ORIGIN'")
    return origin, parse_verifier_key(vkey)


def log_vkey(origin: str, key: SigningKey) -> str:
    """The signed-note verifier key of a log key under an origin."""
    return format_verifier_key(origin, key.public_bytes)


def sign_checkpoint(store: Store, key: SigningKey) -> StoredCheckpoint:
    """Sign and keep a checkpoint of the log as it is now."""
    origin, verifier = log_identity(store)
    if log_vkey(origin, key) != verifier.vkey:
        raise InputError(f"key {key.name} is not this log's key (the log's is {verifier.vkey})")
    with store.recorder.datastore.transaction(commit=True) as c:
        tx = Tx(c)
        # Size and root are read in the same write transaction that stores the
        # checkpoint, so no append can slip in between.
        row = tx.one("SELECT MAX(position) FROM statement_index")
        size = 0 if row is None or row[0] is None else int(row[0]) + 1
        from provenance.store.logtable import LogTree

        root = LogTree(tx).root(size)
        note = sign_note(Checkpoint(origin, size, root).to_text(), origin, key.private_key)
        signed_at = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        tx.run(
            "INSERT INTO checkpoints (size, root, note, signed_at) VALUES (?, ?, ?, ?)",
            (size, root, note, signed_at),
        )
        cid = int(tx.cursor.lastrowid)
    return StoredCheckpoint(cid, size, root, note, signed_at)


def checkpoints(store: Store) -> list[StoredCheckpoint]:
    """Every stored checkpoint, oldest first, with its cosignatures."""
    with store.recorder.datastore.transaction(commit=False) as c:
        tx = Tx(c)
        rows = tx.all("SELECT id, size, root, note, signed_at FROM checkpoints ORDER BY id")
        cos = tx.all(
            "SELECT checkpoint_id, witness, key_id, line, time FROM cosignatures "
            "ORDER BY checkpoint_id, witness"
        )
    by_id: dict[int, list[tuple[str, str, str, int]]] = {}
    for cid, witness, key_id, line, time in cos:
        by_id.setdefault(int(cid), []).append((witness, key_id, line, int(time)))
    return [
        StoredCheckpoint(
            int(r[0]), int(r[1]), bytes(r[2]), str(r[3]), str(r[4]), tuple(by_id.get(int(r[0]), []))
        )
        for r in rows
    ]


def find_checkpoint(store: Store, size: int | None = None) -> StoredCheckpoint:
    """The latest checkpoint (of a given size, if asked)."""
    found = [c for c in checkpoints(store) if size is None or c.size == size]
    if not found:
        what = f"of size {size}" if size is not None else "yet"
        raise StoreError(f"no checkpoint {what}: run 'prov log checkpoint'")
    return found[-1]


def add_cosignature(
    store: Store, checkpoint: StoredCheckpoint, witness: Verifier, line: str
) -> int:
    """Record a witness's cosignature line after checking it; return its timestamp."""
    try:
        opened = open_note(checkpoint.note + line, [witness])
    except NoteError as e:
        raise InputError(f"cosignature by {witness.name} does not verify: {e}") from e
    stamp = next((s.timestamp for s in opened.signatures if s.name == witness.name), None)
    if stamp is None:
        raise InputError(f"{witness.name}'s line is not a cosignature")
    with store.recorder.datastore.transaction(commit=True) as c:
        Tx(c).run(
            "INSERT OR REPLACE INTO cosignatures VALUES (?, ?, ?, ?, ?)",
            (checkpoint.id, witness.name, f"{witness.key_id:08x}", line, stamp),
        )
    return stamp
