"""The one domain event of the store, and a mapper that stores it verbatim.

Each subject (actor, evidence item, finding, challenge) is an event-sourced
aggregate whose events each carry one signed statement. The stored row's
``state`` column holds the DSSE envelope bytes exactly as they were signed and
received: no transcoding, no wrapper. An auditor can read a row with
``sqlite3`` and check it with nothing but the author's public key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Mapper, StoredEvent, Transcoder


@dataclass(frozen=True)
class StatementRecorded:
    """A signed statement appended to a subject's history.

    Attributes:
        originator_id: the subject id.
        originator_version: the statement's position in that subject's history, from 1.
        envelope: the DSSE envelope bytes, exactly as signed.
    """

    originator_id: str
    originator_version: int
    envelope: bytes


TOPIC = "provenance.store.events:StatementRecorded"
"""The topic stored in every row. Renaming the class would need the old topic registered."""


class VerbatimTranscoder(Transcoder):
    """Never used to encode statements (the mapper bypasses it); present for the API."""

    def encode(self, obj: Any) -> bytes:
        raise NotImplementedError("statements are stored verbatim")

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError("statements are stored verbatim")


class EnvelopeMapper(Mapper[str]):
    """Stores a :class:`StatementRecorded` as its envelope bytes, and back."""

    def __init__(self, transcoder: Transcoder | None = None, **_: Any) -> None:
        super().__init__(transcoder or VerbatimTranscoder())

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        assert isinstance(domain_event, StatementRecorded)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=TOPIC,
            state=domain_event.envelope,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return StatementRecorded(
            originator_id=str(stored_event.originator_id),
            originator_version=stored_event.originator_version,
            envelope=bytes(stored_event.state),
        )
