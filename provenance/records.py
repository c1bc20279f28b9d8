"""A statement as the store recorded it: signed bytes plus the store's own facts."""

from __future__ import annotations

from dataclasses import dataclass

from provenance.envelope import Envelope
from provenance.ids import KeyId, StatementId
from provenance.model.statement import Statement


@dataclass(frozen=True)
class Recorded:
    """One recorded statement.

    Attributes:
        statement_id: hex SHA-256 of the payload.
        position: dense index in the store's global order, from 0.
        version: position in its subject's history, from 1.
        received_at: the store's UTC time of receipt (not the author's claim).
        envelope: the parsed envelope, with its exact bytes.
        statement: the parsed payload.
    """

    statement_id: StatementId
    position: int
    version: int
    received_at: str
    envelope: Envelope
    statement: Statement

    @property
    def signer(self) -> KeyId:
        """The key id that signed the envelope."""
        return self.envelope.signatures[0].keyid

    @property
    def subject(self) -> str:
        """The subject id."""
        return self.statement.subject
