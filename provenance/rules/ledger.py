"""The record so far, in memory: the :class:`~provenance.rules.acceptance.Facts` of a replay.

``prov verify`` and both bundle verifiers replay statements in position
order. Before each one they ask :func:`~provenance.rules.acceptance.check_statement`
about it against a :class:`Ledger`, then :meth:`Ledger.apply` it, so the
ledger always holds exactly what the statements before the next position
say: subjects and their types, statements, actors, keys and their validity,
trace statuses and withdrawals. Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provenance.rules.acceptance import (
    KIND_RULES,
    WITHDRAWALS,
    ActorFact,
    KeyFact,
    StatementFact,
    key_id,
    public_key_of,
)


class Ledger:
    """Facts about a record, replayed statement by statement.

    Args:
        root_key_id: the key id the organisation's registration must carry.
    """

    def __init__(self, root_key_id: str) -> None:
        self._root_key_id = root_key_id
        self.actors: dict[str, ActorFact] = {}
        self.keys: dict[str, KeyFact] = {}
        self.subjects: dict[str, str] = {}
        self.statements: dict[str, StatementFact] = {}
        self.authors: dict[str, str] = {}
        self.traces: dict[str, str] = {}
        self.withdrawals: set[str] = set()
        self.keyholders: set[str] = set()

    # -- Facts ------------------------------------------------------------------------

    @property
    def root_key_id(self) -> str:
        """The key id the organisation's registration at position 0 must carry."""
        return self._root_key_id

    def subject_type(self, subject: str) -> str | None:
        """The type of a subject an applied statement created."""
        return self.subjects.get(subject)

    def statement(self, statement_id: str) -> StatementFact | None:
        """An applied statement."""
        return self.statements.get(statement_id)

    def author_of(self, statement_id: str) -> str | None:
        """The author of an applied statement."""
        return self.authors.get(statement_id)

    def actor(self, actor_id: str) -> ActorFact | None:
        """An actor an applied statement registered."""
        return self.actors.get(actor_id)

    def key(self, key_id: str) -> KeyFact | None:
        """A key an applied statement registered, with its validity so far."""
        return self.keys.get(key_id)

    def holds_keys(self, actor_id: str) -> bool:
        """Whether an applied statement gave the actor a key."""
        return actor_id in self.keyholders

    def trace_status(self, subject: str) -> str:
        """The last status of a trace request (``sent`` until it is updated)."""
        return self.traces.get(subject, "sent")

    def withdrawn(self, statement_id: str) -> bool:
        """Whether an applied statement retracted or superseded this one."""
        return statement_id in self.withdrawals

    # -- replay -----------------------------------------------------------------------

    def note(self, statement_id: str, kind: str, subject: str, position: int) -> None:
        """Record that a statement exists, without its payload (a trusted prefix)."""
        self.statements.setdefault(statement_id, StatementFact(kind, subject, position))
        rule = KIND_RULES.get(kind)
        if rule is not None and rule.creates is not None:
            self.subjects.setdefault(subject, rule.creates)

    def apply(self, payload: Mapping[str, Any], statement_id: str, position: int) -> None:
        """Take in a statement recorded at ``position`` (after it was checked).

        A statement that broke a rule is applied too when the record holds it
        anyway (an audit, a bundle): later statements are judged against the
        record as it is. A key already registered keeps its first owner.
        """
        kind, subject = str(payload["kind"]), str(payload["subject"])
        body: Mapping[str, Any] = payload["body"]
        self.note(statement_id, kind, subject, position)
        self.authors.setdefault(statement_id, str(payload["author"]))
        if kind == "actor.registered":
            self.actors.setdefault(
                subject, ActorFact(str(body.get("role")), body.get("admin") is True, position)
            )
            if "public_key" in body:
                self._add_key(subject, body["public_key"], position)
        elif kind == "actor.key_rotated":
            for key in self.keys.values():
                if key.actor == subject and key.retired is None and key.revoked is None:
                    key.retired = position
            self._add_key(subject, body["public_key"], position)
        elif kind == "actor.key_revoked":
            revoked = self.keys.get(str(body["key_id"]))
            if revoked is not None and revoked.revoked is None:
                revoked.revoked = position
        elif kind == "trace.updated":
            self.traces[subject] = str(body["status"])
        elif kind in WITHDRAWALS:
            self.withdrawals.add(str(body["statement"]))

    def _add_key(self, actor: str, text: str, position: int) -> None:
        try:
            public = public_key_of(text)
        except ValueError:
            return  # refused by the shape check; nothing to record
        self.keys.setdefault(key_id(public), KeyFact(actor, public, position))
        self.keyholders.add(actor)
