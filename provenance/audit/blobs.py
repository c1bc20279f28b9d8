"""The attachment part of ``prov verify``: every blob a statement names is there, unaltered.

An ``evidence.attached`` statement signs a blob's SHA-256 and size, not the
blob itself, so the blob store is checked against the statements: each blob is
re-hashed in full. A blob that is gone is reported as *missing*; one whose size
or content changed as *altered*, so a lost file is told from a tampered one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from provenance.audit.report import Problem
from provenance.blobs import BlobStatus
from provenance.errors import ProvenanceError
from provenance.store.attached import attachments

if TYPE_CHECKING:
    from provenance.store.store import Store


def check_blobs(blobs: Any, items: Iterable[tuple[str, int, dict[str, Any]]]) -> list[Problem]:
    """Re-hash each named blob once; one problem per (digest, size, where) that is bad.

    ``where`` locates the statement that names the blob (position, statement
    id, subject, version), as the audit collected it.
    """
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
    check says so in one problem rather than raising.
    """
    try:
        items = [
            (
                body.digest,
                body.size,
                {
                    "position": rec.position,
                    "statement_id": rec.statement_id,
                    "subject": rec.subject,
                    "version": rec.version,
                },
            )
            for rec, body in attachments(store)
        ]
    except ProvenanceError as e:
        return [Problem(f"attachment blobs not all checked: a statement is unreadable ({e})")]
    return check_blobs(store.blobs, items)


__all__ = ["check_attachments", "check_blobs"]
