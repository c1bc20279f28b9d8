"""The eventsourcing application behind the store."""

from __future__ import annotations

from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import Mapper

from provenance.store.events import EnvelopeMapper


class ProvenanceApplication(Application[str]):
    """Subjects are aggregates; each event carries one signed statement, stored verbatim."""

    name = "Provenance"

    def construct_mapper(self) -> Mapper[str]:
        return EnvelopeMapper()

    def construct_transcoder(self) -> Any:  # pragma: no cover - unused by EnvelopeMapper
        return None
