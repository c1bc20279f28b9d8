"""Every statement kind, each declared once: its body, its rules, its fold, its words.

One module per subject type declares that type's kinds (``evidence.py``
declares every ``evidence.*`` kind; ``statement.py`` the withdrawals, which
apply to any subject). Each module's ``SPECS`` holds its :class:`KindSpec`
declarations; this package gathers them into :data:`KINDS`. Adding a kind
means adding its body model and its ``KindSpec`` to the module of its subject
type, then regenerating the pure table and the spec
(``python -m provenance.model.table``).
"""

from __future__ import annotations

from provenance.model.kinds import actor, challenge, evidence, finding, statement, trace
from provenance.model.kinds.actor import ActorKeyRevoked, ActorKeyRotated, ActorRegistered
from provenance.model.kinds.base import STAMP, Entry, KindSpec, Ref, State, SubjectType
from provenance.model.kinds.challenge import ChallengeRaised, ChallengeResponded, ChallengeTarget
from provenance.model.kinds.evidence import (
    CustodyChange,
    EvidenceAttached,
    EvidenceComponent,
    EvidenceCustody,
    EvidenceGraded,
    EvidenceMarking,
    EvidenceRegistered,
)
from provenance.model.kinds.finding import (
    FindingAsserted,
    FindingAssessed,
    FindingReaffirmed,
    FindingRevised,
)
from provenance.model.kinds.statement import StatementRetracted, StatementSuperseded, withdrawal
from provenance.model.kinds.trace import TraceRequested, TraceTarget, TraceUpdated

KINDS: dict[str, KindSpec] = {
    spec.name: spec
    for module in (actor, evidence, finding, challenge, trace, statement)
    for spec in module.SPECS
}
"""Every kind a format-1 statement may have, by name."""

SUBJECT_TYPES: tuple[SubjectType, ...] = tuple(
    spec.creates for spec in KINDS.values() if spec.creates is not None
)
"""Every type of subject, in the order of the kinds that create them."""


def entry_lists(subject_type: str) -> tuple[str, ...]:
    """The entry lists a new subject of this type starts with (empty), in kind order."""
    lists = [
        spec.entries
        for spec in KINDS.values()
        if spec.entries is not None and spec.targets in (subject_type, "any")
    ]
    return tuple(dict.fromkeys(lists))


WITHDRAWALS: tuple[str, ...] = tuple(n for n, s in KINDS.items() if s.withdraws is not None)
"""The kinds that withdraw an earlier statement (retraction, supersession)."""

__all__ = [
    "KINDS",
    "STAMP",
    "SUBJECT_TYPES",
    "WITHDRAWALS",
    "ActorKeyRevoked",
    "ActorKeyRotated",
    "ActorRegistered",
    "ChallengeRaised",
    "ChallengeResponded",
    "ChallengeTarget",
    "CustodyChange",
    "Entry",
    "EvidenceAttached",
    "EvidenceComponent",
    "EvidenceCustody",
    "EvidenceGraded",
    "EvidenceMarking",
    "EvidenceRegistered",
    "FindingAsserted",
    "FindingAssessed",
    "FindingReaffirmed",
    "FindingRevised",
    "KindSpec",
    "Ref",
    "State",
    "StatementRetracted",
    "StatementSuperseded",
    "SubjectType",
    "TraceRequested",
    "TraceTarget",
    "TraceUpdated",
    "entry_lists",
    "withdrawal",
]
