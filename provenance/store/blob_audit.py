"""The attachment part of ``prov verify``: every blob a statement names is there, unaltered.

An ``evidence.attached`` statement signs a blob's SHA-256 and size, not the
blob itself, so the blob store is checked against the statements: each blob is
re-hashed in full. A blob that is gone is reported as *missing*; one whose size
or content changed as *altered*, so a lost file is told from a tampered one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from provenance.blobs import BlobStatus
from provenance.errors import ProvenanceError
from provenance.model.bodies import AttachmentAdded
from provenance.records import Recorded

if TYPE_CHECKING:
    from provenance.store.audit import Problem
    from provenance.store.store import Store

ATTACHED = "evidence.attached"


def attachments(store: Store) -> Iterator[tuple[Recorded, AttachmentAdded]]:
    """Every ``evidence.attached`` statement of the store, in store order, with its body.

    The kind and body come from the signed payloads, not from the index or the
    views, so what is checked is what was signed.

    Raises:
        StoreError: a stored statement cannot be read (see :func:`check_attachments`).
    """
    for rec in store.iter_records():
        body = rec.statement.body
        if rec.statement.kind == ATTACHED and isinstance(body, AttachmentAdded):
            yield rec, body


def _locate(rec: Recorded, message: str) -> Problem:
    from provenance.store.audit import Problem  # audit.py imports this module

    return Problem(
        message,
        position=rec.position,
        statement_id=rec.statement_id,
        subject=rec.subject,
        version=rec.version,
    )


def check_blobs(blobs: Any, items: Iterable[tuple[str, int, dict[str, Any]]]) -> list[Problem]:
    """Re-hash each named blob once; one problem per (digest, size, where) that is bad.

    ``where`` locates the statement that names the blob (position, statement
    id, subject, version), as the audit collected it.
    """
    from provenance.store.audit import Problem  # audit.py imports this module

    seen: dict[tuple[str, int], BlobStatus | str] = {}
    problems: list[Problem] = []
    for digest, size, where in items:
        key = (digest, size)
        if key not in seen:
            try:
                seen[key] = blobs.check(digest, size)
            except ProvenanceError as e:
                seen[key] = str(e)
        status = seen[key]
        name = f"attachment blob {digest[:16]}"
        if status == "missing":
            problems.append(Problem(f"{name} is missing", **where))
        elif status == "altered":
            problems.append(
                Problem(f"{name} is altered ({_found_size(blobs, digest, size)})", **where)
            )
        elif status != "ok":
            problems.append(Problem(f"{name} cannot be checked: {status}", **where))
    return problems


def _found_size(blobs: Any, digest: str, size: int) -> str:
    expected = f"expected size {size}, sha256 {digest[:16]}…"
    try:
        found = blobs.size_of(digest)
    except ProvenanceError:
        found = None
    return expected if found is None else f"{expected}; found size {found}"


def check_attachments(store: Store) -> list[Problem]:
    """Re-hash the blob of every attachment statement; one problem per bad reference.

    A blob named by several statements is hashed once, and each of those
    statements gets its own problem. If the statements themselves cannot be
    read (a damaged row, which the rest of the audit reports in detail), the
    check stops there and adds one problem saying so, rather than raising.
    """
    from provenance.store.audit import Problem  # audit.py imports this module

    blobs = store.blobs
    # The status of each (digest, size) checked, or why it could not be checked.
    seen: dict[tuple[str, int], BlobStatus | str] = {}
    problems: list[Problem] = []
    try:
        for rec, body in attachments(store):
            key = (body.digest, body.size)
            if key not in seen:
                try:
                    seen[key] = blobs.check(body.digest, body.size)
                except ProvenanceError as e:
                    seen[key] = str(e)
            status = seen[key]
            name = f"attachment blob {body.digest[:16]}"
            if status == "missing":
                problems.append(_locate(rec, f"{name} is missing"))
            elif status == "altered":
                problems.append(_locate(rec, f"{name} is altered ({_found(blobs, body)})"))
            elif status != "ok":
                problems.append(_locate(rec, f"{name} cannot be checked: {status}"))
    except ProvenanceError as e:
        problems.append(
            Problem(f"attachment blobs not all checked: a statement is unreadable ({e})")
        )
    return problems


def _found(blobs: Any, body: AttachmentAdded) -> str:
    """What an altered blob should be, and how big it is now."""
    return _found_size(blobs, body.digest, body.size)


__all__ = ["attachments", "check_attachments", "check_blobs"]
