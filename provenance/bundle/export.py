"""Export a dispute bundle: a subject's record and all it rests on, proved against one checkpoint.

The bundle holds complete subject records (every statement of each subject up
to the bundle's position), chosen by :func:`closure`, each with a C2SP
tlog-proof against one signed, cosigned checkpoint. ``docs/spec/bundle.md``
is the format; :mod:`provenance.bundle.offline_verify` checks it.
"""

from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from provenance.blobs import BlobStore
from provenance.errors import StoreError
from provenance.log.checkpoint import Checkpoint, format_tlog_proof
from provenance.log.note import Verifier, parse_note
from provenance.projections.dispute import StoreSource, challenge_ids
from provenance.records import Recorded
from provenance.store.checkpoints import (
    StoredCheckpoint,
    checkpoints,
    verified_cosignatures,
    witness_policy,
)
from provenance.store.store import Store

from .offline_verify import FORMAT, KEY_LINE


def blobs_of(store: Store) -> BlobStore:
    """The store's attached files (``store.blobs``: same API as :class:`BlobStore`)."""
    blobs: BlobStore = store.blobs
    return blobs


def _blob_bytes(blobs: BlobStore, digest: str, size: int) -> bytes:
    """An attached file's bytes, re-hashed on the way out (``extract`` refuses altered ones)."""
    status = blobs.check(digest, size)
    if status != "ok":
        raise StoreError(f"attachment {digest[:12]} is {status} in the store")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / digest
        blobs.extract(digest, out)
        return out.read_bytes()


def _depends_on(store: Store, rec: Recorded) -> set[str]:
    """The subjects a statement rests on: its author, what it refers to, what its body names.

    Read from its kind's declared references: a subject it names, and the
    subject of each statement it names (in its refs or in its body).
    """
    body = rec.statement.body.model_dump(mode="json", exclude_none=True)
    subjects = {rec.statement.author}
    statements = list(rec.statement.payload.refs)
    for ref in rec.statement.spec.refs:
        for value in ref.values(body):
            to = ref.choices[value["type"]][0] if ref.to == "target" else ref.to
            ident = value["id"] if ref.to == "target" else value
            if to == "subject":
                subjects.add(ident)
            elif to == "statement":
                statements.append(ident)
    for row in store.index_rows(statements).values():
        subjects.add(row.subject_id)
    return subjects


def closure(store: Store, subject: str, position: int) -> dict[str, list[Recorded]]:
    """Every subject record the bundle of ``subject`` as of ``position`` must hold (§3).

    Derived from the signed statements alone (their refs, targets and evidence,
    and the challenges found by the statement index and read from their
    payloads), never from the views, so no unchecked view row can drop a
    statement from the bundle.
    """
    records = store.subject_records(subject, as_of=position)
    if not records:
        raise StoreError(f"no subject {subject!r} in this store as of position {position}")
    todo = [subject, *challenge_ids(StoreSource(store, position), subject, records, position)]
    found: dict[str, list[Recorded]] = {}
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found[current] = store.subject_records(current, as_of=position)
        for rec in found[current]:
            todo.extend(s for s in _depends_on(store, rec) if s not in found)
    return found


def choose_checkpoint(store: Store, position: int) -> StoredCheckpoint:
    """The smallest checkpoint that covers ``position``; of those, the most cosigned, latest."""
    covering = [c for c in checkpoints(store) if c.size > position]
    if not covering:
        raise StoreError(
            f"no signed checkpoint covers position {position}: run 'prov log checkpoint'"
        )
    smallest = min(c.size for c in covering)
    return max(
        (c for c in covering if c.size == smallest), key=lambda c: (len(c.cosignatures), c.id)
    )


def _transitions(store: Store, cp: StoredCheckpoint) -> list[dict[str, Any]]:
    """The log-key transitions up to the checkpoint, each with its consistency proof (§2.3)."""
    steps = []
    for stored in checkpoints(store):
        text, _ = parse_note(stored.note)
        if stored.size > cp.size or not any(
            line.startswith(KEY_LINE) for line in Checkpoint.parse(text).extensions
        ):
            continue
        proof = store.log_consistency(stored.size, cp.size) if stored.size < cp.size else []
        steps.append(
            {
                "checkpoint": stored.note,
                "consistency": [base64.b64encode(h).decode() for h in proof],
            }
        )
    return steps


def _attachments(store: Store, records: list[Recorded], with_content: bool) -> list[Any]:
    out: dict[str, dict[str, Any]] = {}
    blobs = blobs_of(store)
    for rec in records:
        if rec.statement.kind != "evidence.attached":
            continue
        body = rec.statement.body.model_dump(mode="json")
        digest, size = body["digest"], body["size"]
        item: dict[str, Any] = {"digest": digest, "size": size}
        if with_content:
            item["content"] = base64.b64encode(_blob_bytes(blobs, digest, size)).decode()
        out[digest] = item
    return [out[d] for d in sorted(out)]


def export_bundle(
    store: Store,
    subject: str,
    as_of: int | None = None,
    *,
    with_attachments: bool = False,
    witnesses: Sequence[Verifier] = (),
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """The bundle of ``subject`` as of a position (default: the whole store), as a JSON object.

    The checkpoint carries only the recorded cosignatures that verify under a
    known witness key: ``witnesses`` or the store's witness policy. A forged
    or unverifiable line is never handed out; ``notes``, if given, is told how
    many were left out.

    Raises:
        StoreError: no such subject then, no log key, or no checkpoint covering the position.
    """
    origin, vkey = store.meta.get("log_origin"), store.meta.get("log_vkey")
    if origin is None or vkey is None:
        raise StoreError("this store has no log key: run 'prov log init --origin ORIGIN'")
    position = store.size() - 1 if as_of is None else as_of
    records = sorted(
        (rec for recs in closure(store, subject, position).values() for rec in recs),
        key=lambda r: r.position,
    )
    cp = choose_checkpoint(store, position)
    policy = witness_policy(store)
    lines = verified_cosignatures(cp, [*witnesses, *(policy[0] if policy else ())])
    if notes is not None and len(lines) < len(cp.cosignatures):
        notes.append(
            f"left out {len(cp.cosignatures) - len(lines)} recorded cosignature line(s) that no "
            "known witness key verifies (set 'prov log policy' or pass --witness)"
        )
    note = cp.note + "".join(lines)
    statements = []
    proofs = store.log_inclusions([rec.position for rec in records], cp.size)
    for rec in records:
        proof = format_tlog_proof(rec.position, proofs[rec.position], note)
        statements.append(
            {
                "position": rec.position,
                "subject": rec.subject,
                "version": rec.version,
                "received_at": rec.received_at,
                "entry": rec.envelope.raw.decode("ascii"),
                "proof": proof.removesuffix(note),
            }
        )
    return {
        "bundle": FORMAT,
        "subject": subject,
        "as_of": {
            "position": position,
            "received_at": store.index_range(position, 1)[0].received_at,
        },
        "log": {"origin": origin, "vkey": vkey, "root_key_id": store.root_key_id},
        "checkpoint": note,
        "key_transitions": _transitions(store, cp),
        "statements": statements,
        "attachments": _attachments(store, records, with_attachments),
    }


def encode_bundle(bundle: dict[str, Any]) -> bytes:
    """The bundle's bytes: sorted members, one-space indent, UTF-8, final newline (§2)."""
    return (json.dumps(bundle, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()
