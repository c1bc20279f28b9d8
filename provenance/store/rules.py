"""The acceptance rules, applied at append inside the inserting transaction.

``check_statement`` runs inside the transaction that inserts the statement,
after its index row is written and before the commit, so what it reads cannot
change between the check and the write. The rules themselves are
:mod:`provenance.rules.acceptance`, the same for the store, ``prov verify``
and both bundle verifiers; here they read the store tables through
:class:`~provenance.store.rule_facts.TableFacts`. A rule broken raises
:class:`StatementRejected` naming the statement and the rule; the transaction
is then rolled back and nothing is written.
"""

from __future__ import annotations

import base64

from provenance import envelope as env
from provenance.errors import SignatureError
from provenance.model import kinds
from provenance.model.statement import Statement
from provenance.rules import acceptance
from provenance.store.rule_facts import TableFacts
from provenance.store.tables import ActorRow, Tables


def check_statement(
    tables: Tables,
    *,
    root_key_id: str,
    position: int,
    version: int,
    envelope: env.Envelope,
    statement: Statement,
) -> None:
    """Raise StatementRejected unless the statement may be recorded at this position."""

    def verify(public: bytes) -> bool:
        try:
            env.verify_envelope(envelope, public)
        except SignatureError:
            return False
        return True

    facts = TableFacts(tables, root_key_id, position, statement.subject, version)
    acceptance.check_statement(
        facts,
        statement.payload.model_dump(),
        statement_id=envelope.statement_id,
        signing_key_id=envelope.signatures[0].keyid,
        position=position,
        verify=verify,
    )


def apply_effects(tables: Tables, statement: Statement, position: int) -> None:
    """Update the store tables for statements that change who may sign."""
    body = statement.body
    if isinstance(body, kinds.ActorRegistered):
        tables.insert_actor(actor_row(statement), position)
    elif isinstance(body, kinds.ActorKeyRotated):
        public = base64.b64decode(body.public_key)
        tables.add_key(statement.subject, env.key_id(public), public, position)
    elif isinstance(body, kinds.ActorKeyRevoked):
        tables.revoke_key(body.key_id, position)


def actor_row(statement: Statement) -> ActorRow:
    """The actors-table row an ``actor.registered`` statement creates."""
    body = statement.body
    assert isinstance(body, kinds.ActorRegistered)
    public = base64.b64decode(body.public_key) if body.public_key else None
    return ActorRow(
        statement.subject,
        body.role,
        body.admin,
        env.key_id(public) if public else None,
        public,
    )
