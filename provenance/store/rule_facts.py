"""The acceptance rules' :class:`~provenance.rules.acceptance.Facts`, read from the store tables.

Used inside the transaction that inserts a statement: its own event and index
rows are already written, so every answer leaves out the statement being
checked (its position and its subject's version) and sees only what came
before it.
"""

from __future__ import annotations

from provenance.envelope import parse_envelope
from provenance.rules import strict_json
from provenance.rules.acceptance import (
    KIND_RULES,
    WITHDRAWALS,
    ActorFact,
    KeyFact,
    StatementFact,
)
from provenance.store.tables import Tables


class TableFacts:
    """Facts about the record before ``position``, read through one transaction.

    Args:
        tables: the inserting transaction's tables.
        root_key_id: the store's pinned root key id.
        position: the position of the statement being checked.
        subject: its subject.
        version: its version of that subject.
    """

    def __init__(
        self, tables: Tables, root_key_id: str, position: int, subject: str, version: int
    ) -> None:
        self.tables = tables
        self._root_key_id = root_key_id
        self.position = position
        self.subject = subject
        self.version = version

    @property
    def root_key_id(self) -> str:
        """The store's root key id."""
        return self._root_key_id

    def _before(self, subject: str) -> int:
        """The first version of ``subject`` not before the checked statement."""
        return self.version if subject == self.subject else 2**62

    def subject_type(self, subject: str) -> str | None:
        """The type of an existing subject (the kind that created it)."""
        if self._before(subject) <= 1:
            return None
        kind = self.tables.creating_kind(subject)
        if kind is None:
            return None
        rule = KIND_RULES.get(kind)
        return None if rule is None else rule.creates

    def statement(self, statement_id: str) -> StatementFact | None:
        """An earlier statement, from the index."""
        row = self.tables.index_row(statement_id)
        if row is None or row.position >= self.position:
            return None
        return StatementFact(row.kind, row.subject_id, row.position)

    def author_of(self, statement_id: str) -> str | None:
        """The author named in an earlier statement's signed payload."""
        row = self.tables.index_row(statement_id)
        if row is None or row.position >= self.position:
            return None
        found = self.tables.tx.one(
            "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            (row.subject_id, row.version),
        )
        if found is None:
            return None
        payload = strict_json.loads(parse_envelope(bytes(found[0])).payload, "a stored payload")
        author = payload.get("author") if isinstance(payload, dict) else None
        return author if isinstance(author, str) else None

    def actor(self, actor_id: str) -> ActorFact | None:
        """A registered actor, from the actors table."""
        row = self.tables.tx.one(
            "SELECT role, admin, position FROM actors WHERE actor_id = ?", (actor_id,)
        )
        return None if row is None else ActorFact(str(row[0]), bool(row[1]), int(row[2]))

    def key(self, key_id: str) -> KeyFact | None:
        """A key, from the actor_keys table."""
        row = self.tables.key(key_id)
        if row is None:
            return None
        return KeyFact(
            row.actor_id,
            row.public_key,
            row.added_position,
            row.retired_position,
            row.revoked_position,
        )

    def holds_keys(self, actor_id: str) -> bool:
        """Whether the actor_keys table holds a key of the actor."""
        found = self.tables.tx.one(
            "SELECT 1 FROM actor_keys WHERE actor_id = ? LIMIT 1", (actor_id,)
        )
        return found is not None

    def trace_status(self, subject: str) -> str:
        """The last status an earlier ``trace.updated`` gave the trace request."""
        status = "sent"
        for _, earlier in self.tables.subject_statements(subject, self._before(subject)):
            if earlier.kind == "trace.updated":
                status = str(earlier.payload.body["status"])
        return status

    def withdrawn(self, statement_id: str) -> bool:
        """Whether an earlier statement of its subject retracted or superseded it."""
        row = self.tables.index_row(statement_id)
        if row is None:
            return False
        for _, earlier in self.tables.subject_statements(
            row.subject_id, self._before(row.subject_id)
        ):
            if earlier.kind in WITHDRAWALS and earlier.payload.body["statement"] == statement_id:
                return True
        return False
