"""History entries: one per statement, as shown by ``history``, ``diff`` and ``dispute``."""

from __future__ import annotations

from typing import Any

from provenance.projections.views import summarise
from provenance.records import Recorded


def withdrawals(records: list[Recorded]) -> dict[str, dict[str, Any]]:
    """Statement id -> how it was withdrawn (retracted or superseded), by whom and why."""
    out = {}
    for rec in records:
        if rec.statement.kind in ("statement.retracted", "statement.superseded"):
            body = rec.statement.body.model_dump(mode="json", exclude_none=True)
            out[body["statement"]] = {
                "how": rec.statement.kind.removeprefix("statement."),
                "by": rec.statement.author,
                "reason": body["reason"],
                "statement_id": rec.statement_id,
                "position": rec.position,
                **({"superseded_by": body["superseded_by"]} if "superseded_by" in body else {}),
            }
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
