"""The body of each statement kind: frozen pydantic models, unknown fields refused.

Every model here is pure data. What a body must be consistent with (its subject
exists, its refs resolve, its signer may sign it) is checked by the store.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from provenance.model.strict import CalendarValue, ExactInt, FreeText
from provenance.rules.dates import DATE_OR_TIME_PATTERN
from provenance.rules.identifiers import STATEMENT_ID_PATTERN, SUBJECT_ID_PATTERN

Text = Annotated[str, StringConstraints(min_length=1, max_length=20_000), FreeText(multiline=True)]
"""Free text that may run over several lines: LINE FEED is its only control character."""
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=500), FreeText()]
"""One line of text: a name, a title, a party; no control character at all."""
SubjectRef = Annotated[str, StringConstraints(pattern=SUBJECT_ID_PATTERN)]
StatementRef = Annotated[str, StringConstraints(pattern=STATEMENT_ID_PATTERN)]
TargetId = Annotated[str, StringConstraints(min_length=1, max_length=128), FreeText()]
PublicKeyB64 = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{43}=$")]
DateOrTime = Annotated[str, StringConstraints(pattern=DATE_OR_TIME_PATTERN), CalendarValue()]
"""A UTC date or time of the precision known: ``2024``, ``2024-07``, ``2024-07-15``,
``2024-07-15T09:30Z``, ``2024-07-15T09:30:00Z``; a real calendar value."""

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
Likelihood = Literal[
    "almost no chance",
    "very unlikely",
    "unlikely",
    "roughly even chance",
    "likely",
    "very likely",
    "almost certain",
]
"""US ICD 203 likelihood terms (01-05, 05-20, 20-45, 45-55, 55-80, 80-95, 95-99 %)."""
Reliability = Literal["A", "B", "C", "D", "E", "F"]
"""Admiralty code source reliability: A completely reliable ... F cannot be judged."""
Credibility = Annotated[Literal[1, 2, 3, 4, 5, 6], ExactInt()]
"""Admiralty code information credibility: 1 confirmed ... 6 cannot be judged."""
CustodyAction = Literal["collected", "transferred", "examined", "copied", "stored"]
TraceStatus = Literal["acknowledged", "answered", "declined", "no-response"]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
MediaType = Annotated[
    str,
    StringConstraints(
        pattern=r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$"
    ),
]
Judgments = list[Text]


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
    identifiers: dict[
        Annotated[str, StringConstraints(min_length=1, max_length=64), FreeText(key=True)],
        ShortText,
    ] = Field(default_factory=dict)


class EvidenceMarking(Body):
    """A marking read on an evidence item, and what it is taken to mean."""

    text: ShortText
    location: ShortText | None = None
    meaning: ShortText | None = None
    value: ShortText | None = None
    method: ShortText | None = None


class FindingAsserted(Body):
    """A finding: a claim resting on evidence items, with its limitations.

    ``likelihood`` (ICD 203) says how probable the claim is; ``confidence`` how
    sound the basis for saying so is. They are kept apart.
    """

    claim: Text
    evidence: list[SubjectRef] = Field(default_factory=list, max_length=1000)
    limitations: list[Text] = Field(default_factory=list, max_length=100)
    confidence: Confidence
    likelihood: Likelihood | None = None
    assumptions: list[Text] | None = Field(default=None, max_length=100)
    alternatives: list[Text] | None = Field(default=None, max_length=100)


class FindingAssessed(Body):
    """An assessment of a finding."""

    stance: Literal["supports", "contests", "qualifies"]
    confidence: Confidence
    rationale: Text
    likelihood: Likelihood | None = None


class ChallengeTarget(Body):
    """What a challenge is aimed at.

    ``id`` is a subject id for a finding, an actor or the organisation, and a
    statement id for an assessment.
    """

    type: Literal["finding", "assessment", "actor", "organisation"]
    id: TargetId


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
    likelihood: Likelihood | None = None
    assumptions: list[Text] | None = Field(default=None, max_length=100)
    alternatives: list[Text] | None = Field(default=None, max_length=100)


class CustodyChange(Body):
    """An unavoidable change to the item, who made it and why."""

    description: Text
    made_by: ShortText
    reason: Text


class EvidenceCustody(Body):
    """One link of the chain of custody (ISO/IEC 27037 practice).

    ``to_party`` is who holds the item afterwards (required when collected or
    transferred); ``from_party`` who handed it over (required when transferred).
    """

    action: CustodyAction
    at: DateOrTime
    performed_by: ShortText
    from_party: ShortText | None = None
    to_party: ShortText | None = None
    location: ShortText | None = None
    purpose: ShortText | None = None
    method: ShortText | None = None
    condition: ShortText | None = None
    changes: list[CustodyChange] | None = Field(default=None, max_length=100)


class EvidenceAttached(Body):
    """A file (photograph, document) kept in the store's blob store, by its SHA-256."""

    digest: Sha256Hex
    size: Annotated[int, Field(ge=0, le=2**53 - 1)]
    media_type: MediaType
    filename: ShortText | None = None
    caption: Text | None = None


class EvidenceComponent(Body):
    """A component found in an item, with what its date code is taken to mean."""

    part: ShortText
    manufacturer: ShortText | None = None
    country: ShortText | None = None
    part_number: ShortText | None = None
    lot: ShortText | None = None
    date_code: ShortText | None = None
    date_code_meaning: ShortText | None = None
    notes: Text | None = None


class EvidenceGraded(Body):
    """The Admiralty grading of a source: reliability A-F and credibility 1-6."""

    reliability: Reliability
    credibility: Credibility
    rationale: Text


class TraceTarget(Body):
    """What a trace request asks about: an item, or a component (its statement id)."""

    type: Literal["item", "component"]
    id: TargetId


class TraceRequested(Body):
    """A trace request sent to a manufacturer or a state."""

    target: TraceTarget
    addressee: ShortText
    addressee_type: Literal["manufacturer", "state", "other"]
    question: Text
    sent_at: DateOrTime


class TraceUpdated(Body):
    """A step in a trace request's life: acknowledged, answered, declined, no response."""

    status: TraceStatus
    at: DateOrTime
    answer: Text | None = None


class StatementRetracted(Body):
    """A statement withdrawn, with the reason; it stays in the history, struck through."""

    statement: StatementRef
    reason: Text


class StatementSuperseded(Body):
    """A statement replaced by a later one of the same subject."""

    statement: StatementRef
    superseded_by: StatementRef
    reason: Text


class ActorKeyRotated(Body):
    """A new key for the actor; its previous key signs nothing from here on."""

    public_key: PublicKeyB64
    reason: Text | None = None


class ActorKeyRevoked(Body):
    """A key revoked from this position on; what it signed before stays valid."""

    key_id: Sha256Hex
    reason: Text


__all__ = [
    "ActorKeyRevoked",
    "ActorKeyRotated",
    "ActorRegistered",
    "Body",
    "ChallengeRaised",
    "ChallengeResponded",
    "ChallengeTarget",
    "CustodyChange",
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
    "StatementRef",
    "StatementRetracted",
    "StatementSuperseded",
    "TraceRequested",
    "TraceTarget",
    "TraceUpdated",
]
