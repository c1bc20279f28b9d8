"""The dispute view: a finding's whole argument, in the store's order, at any point.

Everything is replayed from the statements as of one position, so the view
shows exactly what the record held then. Challenges that bear on a finding
are those aimed at it, at one of its assessments, at an author of one of its
statements or at the organisation, and those its statements refer to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from provenance.errors import StoreError
from provenance.projections.custody import custody_chain
from provenance.projections.history import entry, withdrawals
from provenance.records import Recorded

if TYPE_CHECKING:
    from provenance.store.store import Store


def _challenge_ids(store: Store, finding: str, records: list[Recorded], as_of: int) -> list[str]:
    targets = {finding}
    targets.update(r.statement_id for r in records if r.statement.kind == "finding.assessed")
    targets.update(r.statement.author for r in records)
    for actor in store.views.subjects("actor"):
        if actor.get("role") == "organisation":
            targets.add(actor["subject"])
    found: dict[str, int] = {}
    for target in targets:
        for link in store.views.links_to(target, "challenged-by"):
            found[link["subject_id"]] = 0
    for rec in records:
        for ref in rec.statement.payload.refs:
            row = store.index_row(ref)
            if row is not None and row.kind == "challenge.raised":
                found[row.subject_id] = 0
    ids = []
    for subject in found:
        state = store.subject_state(subject, as_of=as_of)
        if state is not None:
            ids.append(subject)
    return sorted(ids)


def dispute(store: Store, finding: str, as_of: int | None = None) -> dict[str, Any]:
    """The dispute view of ``finding`` as of a position (default: now)."""
    position = store.size() - 1 if as_of is None else as_of
    records = store.subject_records(finding, as_of=position)
    if not records or records[0].statement.kind != "finding.asserted":
        raise StoreError(f"no finding {finding!r} in this store as of position {position}")
    state = store.subject_state(finding, as_of=position)
    assert state is not None
    challenge_ids = _challenge_ids(store, finding, records, position)
    challenge_records = [
        rec for cid in challenge_ids for rec in store.subject_records(cid, as_of=position)
    ]
    everything = sorted(records + challenge_records, key=lambda r: r.position)
    withdrawn = withdrawals(everything)
    evidence = []
    for item in state["evidence"]:
        item_state = store.subject_state(item, as_of=position)
        if item_state is None:
            continue
        chain = custody_chain(item_state)
        evidence.append(
            {
                "item": item,
                "title": item_state["title"],
                "item_kind": item_state["item_kind"],
                "grade": item_state.get("grade"),
                "markings": sum("retracted" not in m for m in item_state["markings"]),
                "attachments": sum("retracted" not in a for a in item_state["attachments"]),
                "custody": chain["status"],
                "custodian": chain["custodian"] or item_state.get("custodian"),
            }
        )
    challenges = []
    for cid in challenge_ids:
        ch = store.subject_state(cid, as_of=position)
        assert ch is not None
        challenges.append(
            {
                "challenge": cid,
                "kind": ch["challenge_kind"],
                "target": ch["target"],
                "attributed_to": ch["attributed_to"],
                "recorded_by": ch["created"]["author"],
                "status": ch["status"],
                "responses": len(ch["responses"]),
            }
        )
    at = store.index_range(position, 1)[0]
    return {
        "finding": finding,
        "as_of": {"position": position, "received_at": at.received_at},
        "status": state["status"],
        "revision": state["revision"],
        "claim": state["claim"],
        "confidence": state["confidence"],
        "likelihood": state.get("likelihood"),
        "limitations": state["limitations"],
        "evidence": evidence,
        "challenges": challenges,
        "argument": [entry(rec, withdrawn) for rec in everything],
    }
