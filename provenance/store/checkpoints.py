"""Signed checkpoints of the store's log, and witnesses' cosignatures of them.

A checkpoint is a C2SP tlog-checkpoint (origin, size, base64 root) in a C2SP
signed note, signed with the log key whose verifier key the store records at
init. Every checkpoint is kept with the time it was signed; several may share
a size (they must then share a root, which ``prov verify`` checks).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
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
from provenance.rules import strict_json

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


POLICY_KEY = "witness_policy"
"""The ``prov_meta`` key holding the witness policy (JSON)."""


def witness_policy(store: Store) -> tuple[tuple[Verifier, ...], int] | None:
    """The store's witness policy ``(witnesses, quorum)``, or None if none was set.

    Raises:
        StoreError: if the stored policy is malformed.
    """
    raw = store.meta.get(POLICY_KEY)
    if raw is None:
        return None
    from provenance.rules.strict_json import loads
    from provenance.trust import parse_witness_vkey, witness_set

    try:
        obj = loads(raw, "witness policy")
        if not isinstance(obj, dict) or not isinstance(obj.get("witnesses"), list):
            raise InputError('it is not {"witnesses": [...], "quorum": K}')
        keys = [parse_witness_vkey(v) for v in obj["witnesses"]]
        return witness_set(keys, obj.get("quorum"))
    except InputError as e:
        raise StoreError(f"the stored witness policy is malformed ({e}): set it again") from e


def set_witness_policy(store: Store, witnesses: list[Verifier], quorum: int | None) -> None:
    """Store the witness policy (replacing any earlier one): a checkpoint is trusted
    once ``quorum`` of the distinct ``witnesses`` (default: all) cosigned it.

    Raises:
        InputError: a witness key of the wrong type, one key under two names, or a
            quorum out of range.
    """
    from provenance.trust import parse_witness_vkey, witness_set

    for w in witnesses:
        parse_witness_vkey(w.vkey)
    keys, k = witness_set(witnesses, quorum)
    store.set_meta(POLICY_KEY, json.dumps({"witnesses": [w.vkey for w in keys], "quorum": k}))


def log_vkey(origin: str, key: SigningKey) -> str:
    """The signed-note verifier key of a log key under an origin."""
    return format_verifier_key(origin, key.public_bytes)


def sign_checkpoint(store: Store, key: SigningKey) -> StoredCheckpoint:
    """Sign and keep a checkpoint of the log as it is now."""
    origin, verifier = log_identity(store)
    if log_vkey(origin, key) != verifier.vkey:
        raise InputError(f"key {key.name} is not this log's key (the log's is {verifier.vkey})")
    with store.transaction(commit=True) as tx:
        # Size and root are read in the same write transaction that stores the
        # checkpoint, so no append can slip in between.
        row = tx.one("SELECT MAX(position) FROM statement_index")
        size = 0 if row is None or row[0] is None else int(row[0]) + 1
        from provenance.store.logtable import LogTree

        root = LogTree(tx).root(size)
        note = sign_note(Checkpoint(origin, size, root).to_text(), origin, key.private_key)
        signed_at = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        cid = tx.insert_returning(
            "INSERT INTO checkpoints (size, root, note, signed_at) VALUES (?, ?, ?, ?)",
            (size, root, note, signed_at),
            "id",
        )
    return StoredCheckpoint(cid, size, root, note, signed_at)


def checkpoints(store: Store) -> list[StoredCheckpoint]:
    """Every stored checkpoint, oldest first, with its cosignatures."""
    with store.transaction(commit=False) as tx:
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
    with store.transaction(commit=True) as tx:
        tx.run(
            "INSERT INTO cosignatures VALUES (?, ?, ?, ?, ?) ON CONFLICT (checkpoint_id, key_id) "
            "DO UPDATE SET witness = excluded.witness, line = excluded.line, time = excluded.time",
            (checkpoint.id, witness.name, f"{witness.key_id:08x}", line, stamp),
        )
    return stamp


def verified_cosignatures(
    checkpoint: StoredCheckpoint, witnesses: Iterable[Verifier]
) -> tuple[str, ...]:
    """The checkpoint's cosignature lines that verify under one of ``witnesses``.

    A line is kept only if it is a well-formed signature line by the witness
    its row names, from a known witness key, its signature verifies over the
    checkpoint text (tlog-cosignature §Ed25519 signed message) and its
    timestamp is the row's and at most 2^63 - 1. Each witness key once.
    """
    from provenance.errors import ProvenanceError
    from provenance.log.note import parse_note, parse_signature_line

    known = {(w.name, w.key_id): w for w in witnesses}
    try:
        text = parse_note(checkpoint.note)[0].encode("utf-8")
    except ProvenanceError:
        return ()
    kept: list[str] = []
    seen: set[bytes] = set()
    for name, kid, line, stamp in checkpoint.cosignatures:
        try:
            sig = parse_signature_line(line)
            witness = known.get((sig.name, sig.key_id))
            if witness is None or (sig.name, f"{sig.key_id:08x}") != (name, kid):
                continue
            if witness.verify(text, sig.signature) != stamp or witness.public_key in seen:
                continue
        except ProvenanceError:
            continue
        seen.add(witness.public_key)
        kept.append(sig.line)
    return tuple(kept)


ROTATION_LINE = "prov-log-key "
"""The checkpoint extension line by which the old log key names its successor."""


def rotate_log_key(store: Store, old: SigningKey, new: SigningKey) -> StoredCheckpoint:
    """Hand the log over from ``old`` to ``new``, in one transaction.

    Writes a *transition checkpoint* of the log as it is now whose text has the
    extension line ``prov-log-key <new verifier key>``, signed by both keys,
    so the old key vouches for the new one. Every earlier checkpoint is
    countersigned by the new key (a signed note takes more signature lines;
    witness cosignatures cover the text only and stay valid), so the store's
    checkpoints all verify with the current key, while copies signed by the
    old key alone (bundles, proofs) still verify with the old one. The new
    verifier key becomes ``log_vkey``; ``log_vkey_history`` keeps the old
    ones with the size at which each was retired.
    """
    import json

    from provenance.log.note import parse_note, signature_line
    from provenance.store.logtable import LogTree

    origin, verifier = log_identity(store)
    if log_vkey(origin, old) != verifier.vkey:
        raise InputError(f"key {old.name} is not this log's key (the log's is {verifier.vkey})")
    new_vkey = log_vkey(origin, new)
    try:
        history = strict_json.loads(store.meta.get("log_vkey_history", "[]"), "key history")
        earlier = {h["vkey"] for h in history}
    except (InputError, KeyError, TypeError) as e:  # the store may be hostile
        raise StoreError(f"the store's log key history is malformed ({e})") from None
    if new_vkey == verifier.vkey or new_vkey in earlier:
        raise InputError(f"key {new.name} is, or was, this log's key already")
    with store.transaction(commit=True) as tx:
        row = tx.one("SELECT MAX(position) FROM statement_index")
        size = 0 if row is None or row[0] is None else int(row[0]) + 1
        root = LogTree(tx).root(size)
        for cid, note in tx.all("SELECT id, note FROM checkpoints ORDER BY id"):
            text, _ = parse_note(str(note))
            countersigned = str(note) + signature_line(text, origin, new.private_key)
            tx.run("UPDATE checkpoints SET note = ? WHERE id = ?", (countersigned, cid))
        text = Checkpoint(origin, size, root, (ROTATION_LINE + new_vkey,)).to_text()
        note = sign_note(text, origin, old.private_key) + signature_line(
            text, origin, new.private_key
        )
        signed_at = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        cid = tx.insert_returning(
            "INSERT INTO checkpoints (size, root, note, signed_at) VALUES (?, ?, ?, ?)",
            (size, root, note, signed_at),
            "id",
        )
        history.append({"vkey": verifier.vkey, "retired_at_size": size, "checkpoint": cid})
        tx.run("UPDATE prov_meta SET value = ? WHERE key = 'log_vkey'", (new_vkey,))
        tx.run("DELETE FROM prov_meta WHERE key = 'log_vkey_history'")
        tx.run("INSERT INTO prov_meta VALUES ('log_vkey_history', ?)", (json.dumps(history),))
    store.meta["log_vkey"] = new_vkey
    store.meta["log_vkey_history"] = json.dumps(history)
    return StoredCheckpoint(cid, size, root, note, signed_at)
