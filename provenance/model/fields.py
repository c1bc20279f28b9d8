"""The field types that statement bodies are made of, and the base of every body.

The bodies themselves are declared with their kinds, in :mod:`provenance.model.kinds`.
Every model is pure data: what a body must be consistent with (its subject
exists, its refs resolve, its signer may sign it) is checked by the rules.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

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
