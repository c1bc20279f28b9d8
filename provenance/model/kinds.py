"""The statement kinds: their bodies, and which subjects they may target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from provenance.model import bodies

SubjectType = Literal["actor", "evidence", "finding", "challenge"]


@dataclass(frozen=True)
class KindSpec:
    """What a kind of statement is.

    Attributes:
        name: the ``kind`` field as it appears in a payload.
        body: the pydantic model of its body.
        creates: the subject type it creates (its subject must be new), or None.
        targets: the subject type it must be appended to (its subject must exist).
        needs_refs: the statement must name at least one earlier statement in refs.
        admin_only: only the organisation or an administrator may sign it.
    """

    name: str
    body: type[bodies.Body]
    creates: SubjectType | None = None
    targets: SubjectType | None = None
    needs_refs: bool = False
    admin_only: bool = False

    @property
    def subject_type(self) -> SubjectType:
        """The type of subject this kind belongs to."""
        subject_type = self.creates or self.targets
        assert subject_type is not None
        return subject_type


KINDS: dict[str, KindSpec] = {
    spec.name: spec
    for spec in (
        KindSpec("actor.registered", bodies.ActorRegistered, creates="actor", admin_only=True),
        KindSpec("evidence.registered", bodies.EvidenceRegistered, creates="evidence"),
        KindSpec("evidence.marking", bodies.MarkingObserved, targets="evidence"),
        KindSpec("finding.asserted", bodies.FindingAsserted, creates="finding"),
        KindSpec("finding.assessed", bodies.FindingAssessed, targets="finding"),
        KindSpec("finding.reaffirmed", bodies.FindingReaffirmed, targets="finding"),
        KindSpec("finding.revised", bodies.FindingRevised, targets="finding", needs_refs=True),
        KindSpec("challenge.raised", bodies.ChallengeRaised, creates="challenge"),
        KindSpec("challenge.responded", bodies.ChallengeResponded, targets="challenge"),
    )
}
"""Every kind a format-1 statement may have, by name."""
