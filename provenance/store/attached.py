"""The attachment statements of a store, read from the signed payloads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from provenance.model.kinds import EvidenceAttached
from provenance.records import Recorded

if TYPE_CHECKING:
    from provenance.store.store import Store

ATTACHED = "evidence.attached"


def attachments(store: Store) -> Iterator[tuple[Recorded, EvidenceAttached]]:
    """Every ``evidence.attached`` statement of the store, in store order, with its body.

    The kind and body come from the signed payloads, not from the index or the
    views, so what is checked is what was signed.

    Raises:
        StoreError: a stored statement cannot be read.
    """
    for rec in store.iter_records():
        body = rec.statement.body
        if rec.statement.kind == ATTACHED and isinstance(body, EvidenceAttached):
            yield rec, body
