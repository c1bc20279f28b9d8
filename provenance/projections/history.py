"""History entries: one per statement, as shown by ``history``, ``diff`` and ``dispute``."""

from __future__ import annotations

from typing import Any

from provenance.model.kinds import withdrawal
from provenance.projections.subjects import new_entry
from provenance.records import Recorded


def summarise(rec: Recorded) -> str:
    """A one-line description of a statement, from its kind's declaration."""
    body = rec.statement.body.model_dump(mode="json", exclude_none=True)
    return rec.statement.spec.summary(body)


def withdrawals(records: list[Recorded]) -> dict[str, dict[str, Any]]:
    """Statement id -> the ``withdrawn`` record of the statement that withdrew it.

    The record has the one shape a subject's state uses too (see
    :mod:`provenance.model.kinds.statement`).
    """
    out = {}
    for rec in records:
        spec = rec.statement.spec
        if spec.withdraws is not None:
            body = rec.statement.body.model_dump(mode="json", exclude_none=True)
            out[body[spec.withdraws]] = withdrawal(spec.name, body, new_entry(rec))
    return out


def entry(rec: Recorded, withdrawn: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The history entry of one statement."""
    body = rec.statement.body.model_dump(mode="json", exclude_none=True)
    out: dict[str, Any] = {
        "position": rec.position,
        "version": rec.version,
        "statement_id": rec.statement_id,
        "subject": rec.subject,
        "kind": rec.statement.kind,
        "summary": summarise(rec),
        "author": rec.statement.author,
        "key_id": rec.signer,
        "issued_at": rec.statement.payload.issued_at,
        "received_at": rec.received_at,
        "refs": list(rec.statement.payload.refs),
    }
    if "attributed_to" in body:
        out["attributed_to"] = body["attributed_to"]
    if withdrawn and rec.statement_id in withdrawn:
        out["withdrawn"] = withdrawn[rec.statement_id]
    return out


def entries(records: list[Recorded]) -> list[dict[str, Any]]:
    """History entries of a list of statements, each marked if a later one withdrew it."""
    withdrawn = withdrawals(records)
    return [entry(rec, withdrawn) for rec in records]
