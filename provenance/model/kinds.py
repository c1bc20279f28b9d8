"""The statement kinds: their bodies, and which subjects they may target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from provenance.model import bodies

SubjectType = Literal["actor", "evidence", "finding", "challenge", "trace"]


@dataclass(frozen=True)
class KindSpec:
    """What a kind of statement is.

    Attributes:
        name: the ``kind`` field as it appears in a payload.
        body: the pydantic model of its body.
        creates: the subject type it creates (its subject must be new), or None.
        targets: the subject type it must be appended to (its subject must exist);
            ``"any"`` for retraction and supersession, which apply to any subject.
        needs_refs: the statement must name at least one earlier statement in refs.
        admin_only: only the organisation or an administrator may sign it.
    """

    name: str
    body: type[bodies.Body]
    creates: SubjectType | None = None
    targets: SubjectType | Literal["any"] | None = None
    needs_refs: bool = False
    admin_only: bool = False

    @property
    def subject_type(self) -> SubjectType:
        """The type of subject this kind creates (only meaningful for creating kinds)."""
        assert self.creates is not None, f"{self.name} does not create a subject"
        return self.creates


KINDS: dict[str, KindSpec] = {
    spec.name: spec
    for spec in (
        KindSpec("actor.registered", bodies.ActorRegistered, creates="actor", admin_only=True),
        KindSpec("evidence.registered", bodies.EvidenceRegistered, creates="evidence"),
        KindSpec("evidence.marking", bodies.EvidenceMarking, targets="evidence"),
        KindSpec("finding.asserted", bodies.FindingAsserted, creates="finding"),
        KindSpec("finding.assessed", bodies.FindingAssessed, targets="finding"),
        KindSpec("finding.reaffirmed", bodies.FindingReaffirmed, targets="finding"),
        KindSpec("finding.revised", bodies.FindingRevised, targets="finding", needs_refs=True),
        KindSpec("challenge.raised", bodies.ChallengeRaised, creates="challenge"),
        KindSpec("challenge.responded", bodies.ChallengeResponded, targets="challenge"),
        KindSpec("evidence.custody", bodies.EvidenceCustody, targets="evidence"),
        KindSpec("evidence.attached", bodies.EvidenceAttached, targets="evidence"),
        KindSpec("evidence.component", bodies.EvidenceComponent, targets="evidence"),
        KindSpec("evidence.graded", bodies.EvidenceGraded, targets="evidence"),
        KindSpec("trace.requested", bodies.TraceRequested, creates="trace"),
        KindSpec("trace.updated", bodies.TraceUpdated, targets="trace"),
        KindSpec("statement.retracted", bodies.StatementRetracted, targets="any"),
        KindSpec("statement.superseded", bodies.StatementSuperseded, targets="any"),
        KindSpec("actor.key_rotated", bodies.ActorKeyRotated, targets="actor"),
        KindSpec("actor.key_revoked", bodies.ActorKeyRevoked, targets="actor"),
    )
}
"""Every kind a format-1 statement may have, by name."""
