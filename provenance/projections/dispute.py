"""The dispute view: a finding's whole argument, in the store's order, at any point.

Everything is replayed from the statements as of one position, so the view
shows exactly what the record held then. Challenges that bear on a finding
are those aimed at it, at one of its assessments, at an author of one of its
statements or at the organisation, and those its statements refer to.

The view is built from a :class:`Source`: a store (``prov dispute``) or a
bundle (``prov bundle show``) answer the same few questions, so the two views
of the same record at the same position are the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from provenance.errors import StoreError
from provenance.model import kinds
from provenance.projections.custody import custody_chain
from provenance.projections.history import entry, withdrawals
from provenance.projections.subjects import State, fold
from provenance.projections.views import challenges_by_target
from provenance.records import Recorded

if TYPE_CHECKING:
    from provenance.store.store import Store


class Source(Protocol):
    """What the dispute view reads: statements by subject, and a few links between them."""

    def records(self, subject: str, as_of: int) -> list[Recorded]:
        """A subject's statements at or before a position, in version order."""
        ...

    def organisations(self) -> list[str]:
        """The actor ids whose role is organisation."""
        ...

    def challenges_of(self, target: str) -> list[str]:
        """Ids of the challenges raised against a subject or statement id."""
        ...

    def kind_and_subject(self, statement_id: str) -> tuple[str, str] | None:
        """The kind and subject of a statement (None if unknown)."""
        ...

    def received_at(self, position: int) -> str:
        """The receipt time of the statement at a position."""
        ...


class StoreSource:
    """A store as a :class:`Source`, read from the statements, not from the views."""

    def __init__(self, store: Store, as_of: int | None = None) -> None:
        self.store = store
        self.as_of = as_of
        self._challenges: dict[str, list[Recorded]] | None = None

    def records(self, subject: str, as_of: int) -> list[Recorded]:
        return self.store.subject_records(subject, as_of=as_of)

    def organisations(self) -> list[str]:
        registered = self.store.statements_of_kind("actor.registered", self.as_of)
        return [
            rec.subject
            for rec in registered
            if isinstance(rec.statement.body, kinds.ActorRegistered)
            and rec.statement.body.role == "organisation"
        ]

    def challenges_of(self, target: str) -> list[str]:
        if self._challenges is None:
            self._challenges = challenges_by_target(self.store, self.as_of)
        return [rec.subject for rec in self._challenges.get(target, [])]

    def kind_and_subject(self, statement_id: str) -> tuple[str, str] | None:
        row = self.store.index_row(statement_id)
        return None if row is None else (row.kind, row.subject_id)

    def received_at(self, position: int) -> str:
        return self.store.index_range(position, 1)[0].received_at


def _state(source: Source, subject: str, as_of: int) -> State | None:
    return fold(source.records(subject, as_of))


def challenge_ids(source: Source, subject: str, records: list[Recorded], as_of: int) -> list[str]:
    """The challenges that bear on a subject whose statements are ``records``, as of a position."""
    targets = {subject}
    targets.update(r.statement_id for r in records if r.statement.kind == "finding.assessed")
    targets.update(r.statement.author for r in records)
    targets.update(source.organisations())
    found: dict[str, int] = {}
    for target in targets:
        for challenge in source.challenges_of(target):
            found[challenge] = 0
    for rec in records:
        for ref in rec.statement.payload.refs:
            row = source.kind_and_subject(ref)
            if row is not None and row[0] == "challenge.raised":
                found[row[1]] = 0
    return sorted(c for c in found if source.records(c, as_of))


def dispute(store: Store, finding: str, as_of: int | None = None) -> dict[str, Any]:
    """The dispute view of ``finding`` as of a position (default: now)."""
    position = store.size() - 1 if as_of is None else as_of
    return dispute_from(StoreSource(store, position), finding, position)


def dispute_from(source: Source, finding: str, position: int) -> dict[str, Any]:
    """The dispute view of ``finding`` as of ``position``, from any :class:`Source`."""
    records = source.records(finding, position)
    if not records or records[0].statement.kind != "finding.asserted":
        raise StoreError(f"no finding {finding!r} in this store as of position {position}")
    state = fold(records)
    assert state is not None
    challenge_list = challenge_ids(source, finding, records, position)
    challenge_records = [rec for cid in challenge_list for rec in source.records(cid, position)]
    everything = sorted(records + challenge_records, key=lambda r: r.position)
    withdrawn = withdrawals(everything)
    evidence = []
    for item in state["evidence"]:
        item_state = _state(source, item, position)
        if item_state is None:
            continue
        chain = custody_chain(item_state)
        evidence.append(
            {
                "item": item,
                "title": item_state["title"],
                "item_kind": item_state["item_kind"],
                "grade": item_state.get("grade"),
                "markings": sum("withdrawn" not in m for m in item_state["markings"]),
                "attachments": sum("withdrawn" not in a for a in item_state["attachments"]),
                "custody": chain["status"],
                "custodian": chain["custodian"] or item_state.get("custodian"),
            }
        )
    challenges = []
    for cid in challenge_list:
        ch = _state(source, cid, position)
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
    return {
        "finding": finding,
        "as_of": {"position": position, "received_at": source.received_at(position)},
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
