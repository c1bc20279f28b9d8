"""The body of each statement kind: frozen pydantic models, unknown fields refused.

Every model here is pure data. What a body must be consistent with (its subject
exists, its refs resolve, its signer may sign it) is checked by the store.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from provenance.ids import STATEMENT_ID_PATTERN, SUBJECT_ID_PATTERN

Text = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=500)]
SubjectRef = Annotated[str, StringConstraints(pattern=SUBJECT_ID_PATTERN)]
StatementRef = Annotated[str, StringConstraints(pattern=STATEMENT_ID_PATTERN)]
PublicKeyB64 = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{43}=$")]
DateOrTime = Annotated[
    str,
    StringConstraints(pattern=r"^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?Z)?)?)?$"),
]
"""A UTC date or time of the precision known: ``2024``, ``2024-07``, ``2024-07-15``,
``2024-07-15T09:30Z``, ``2024-07-15T09:30:00Z``."""

Confidence = Literal["high", "moderate", "low"]
ActorRole = Literal["organisation", "researcher", "auditor", "state-delegation", "observer"]
ItemKind = Literal[
    "missile-remains",
    "weapon",
    "munition",
    "component",
    "document",
    "photograph",
    "video",
    "sample",
    "other",
]
ChallengeKind = Literal["impartiality", "methodology", "authenticity", "chain-of-custody"]


class Body(BaseModel):
    """Base of every statement body: frozen, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class ActorRegistered(Body):
    """An actor and, when it signs, its Ed25519 public key (base64 of 32 raw bytes)."""

    name: ShortText
    role: ActorRole
    public_key: PublicKeyB64 | None = None
    admin: bool = False


class EvidenceRegistered(Body):
    """A physical or digital evidence item enters the record."""

    item_kind: ItemKind
    title: ShortText
    description: Text | None = None
    recovered_at: DateOrTime | None = None
    recovered_where: ShortText | None = None
    custodian: ShortText | None = None
    identifiers: dict[Annotated[str, StringConstraints(min_length=1, max_length=64)], ShortText] = (
        Field(default_factory=dict)
    )


class MarkingObserved(Body):
    """A marking read on an evidence item, and what it is taken to mean."""

    text: ShortText
    location: ShortText | None = None
    meaning: ShortText | None = None
    value: ShortText | None = None
    method: ShortText | None = None


class FindingAsserted(Body):
    """A finding: a claim resting on evidence items, with its limitations."""

    claim: Text
    evidence: list[SubjectRef] = Field(default_factory=list, max_length=1000)
    limitations: list[Text] = Field(default_factory=list, max_length=100)
    confidence: Confidence


class FindingAssessed(Body):
    """An assessment of a finding."""

    stance: Literal["supports", "contests", "qualifies"]
    confidence: Confidence
    rationale: Text


class ChallengeTarget(Body):
    """What a challenge is aimed at.

    ``id`` is a subject id for a finding, an actor or the organisation, and a
    statement id for an assessment.
    """

    type: Literal["finding", "assessment", "actor", "organisation"]
    id: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class ChallengeRaised(Body):
    """A challenge, attributed to the party that raised it (who may hold no key)."""

    target: ChallengeTarget
    challenge_kind: ChallengeKind
    attributed_to: ShortText
    claim: Text
    source: ShortText | None = None


class ChallengeResponded(Body):
    """A response to a challenge, attributed to the party that gave it."""

    stance: Literal["rebuts", "concedes", "clarifies"]
    attributed_to: ShortText
    text: Text
    source: ShortText | None = None


class FindingReaffirmed(Body):
    """The finding stands, unchanged; ``observations`` say why."""

    statement: Text
    observations: list[Text] = Field(default_factory=list, max_length=100)


class FindingRevised(Body):
    """A new version of the finding; the statement's refs name what prompted it."""

    claim: Text
    evidence: list[SubjectRef] = Field(default_factory=list, max_length=1000)
    limitations: list[Text] = Field(default_factory=list, max_length=100)
    confidence: Confidence
    reason: Text


__all__ = [
    "ActorRegistered",
    "Body",
    "ChallengeRaised",
    "ChallengeResponded",
    "ChallengeTarget",
    "EvidenceRegistered",
    "FindingAsserted",
    "FindingAssessed",
    "FindingReaffirmed",
    "FindingRevised",
    "MarkingObserved",
    "StatementRef",
]
