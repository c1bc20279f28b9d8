"""The rules a well-formed statement must satisfy before the store records it.

``check_statement`` runs inside the transaction that inserts the statement,
after its index row is written and before the commit, so what it reads cannot
change between the check and the write. Each rule raises
:class:`StatementRejected` naming the statement, the field and what was expected;
the transaction is then rolled back and nothing is written.
"""

from __future__ import annotations

import base64

from provenance import envelope as env
from provenance.errors import SignatureError, StatementRejected
from provenance.model import bodies
from provenance.model.kinds import KINDS
from provenance.model.statement import Statement
from provenance.store.tables import ActorRow, Tables

_NOUN = {
    "actor": "an actor",
    "evidence": "an evidence item",
    "finding": "a finding",
    "challenge": "a challenge",
}


def _reject(statement: Statement, message: str) -> StatementRejected:
    return StatementRejected(f"{statement.kind} on {statement.subject}: {message}")


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
    if position == 0:
        _check_genesis(root_key_id, envelope, statement)
        return
    author = _check_signer(tables, envelope, statement)
    if statement.spec.admin_only and not author.may_register:
        raise _reject(
            statement,
            f"only the organisation or an administrator may sign it, not {statement.author}",
        )
    _check_subject(tables, statement, version)
    for ref in statement.payload.refs:
        if tables.index_row(ref) is None:
            raise _reject(statement, f"ref {ref[:12]}… is not a statement in this store")
    if statement.spec.needs_refs and not statement.payload.refs:
        raise _reject(statement, "refs must name the statements that prompted it")
    _check_body(tables, statement)


def actor_row(statement: Statement) -> ActorRow:
    """The actors-table row an ``actor.registered`` statement creates."""
    body = statement.body
    assert isinstance(body, bodies.ActorRegistered)
    public = base64.b64decode(body.public_key) if body.public_key else None
    return ActorRow(
        statement.subject,
        body.role,
        body.admin,
        env.key_id(public) if public else None,
        public,
    )


def _check_genesis(root_key_id: str, envelope: env.Envelope, statement: Statement) -> None:
    body = statement.body
    if statement.kind != "actor.registered" or not isinstance(body, bodies.ActorRegistered):
        raise _reject(statement, "the first statement of a store must register the organisation")
    if statement.subject != statement.author or body.role != "organisation" or not body.admin:
        raise _reject(statement, "the first statement must be the organisation registering itself")
    if body.public_key is None:
        raise _reject(statement, "the organisation must register its root public key")
    public = base64.b64decode(body.public_key)
    if env.key_id(public) != root_key_id:
        raise _reject(statement, "the organisation's key is not the store's root key")
    try:
        env.verify_envelope(envelope, public)
    except SignatureError as e:
        raise _reject(statement, str(e)) from e


def _check_signer(tables: Tables, envelope: env.Envelope, statement: Statement) -> ActorRow:
    keyid = envelope.signatures[0].keyid
    author = tables.actor(statement.author)
    if author is None:
        owner = tables.actor_for_key(keyid)
        hint = f" (the key belongs to {owner})" if owner else ""
        raise _reject(statement, f"author {statement.author} is not a registered actor{hint}")
    if author.public_key is None:
        raise _reject(statement, f"actor {statement.author} holds no key and cannot sign")
    if author.key_id != keyid:
        owner = tables.actor_for_key(keyid)
        if owner is None:
            raise _reject(statement, f"signed by an unknown key {keyid[:16]}…")
        raise _reject(
            statement, f"signed by the key of {owner}, not by its author {statement.author}"
        )
    try:
        env.verify_envelope(envelope, author.public_key)
    except SignatureError as e:
        raise _reject(statement, str(e)) from e
    return author


def _subject_type(tables: Tables, subject: str) -> str | None:
    kind = tables.creating_kind(subject)
    return None if kind is None else KINDS[kind].subject_type


def _check_subject(tables: Tables, statement: Statement, version: int) -> None:
    spec = statement.spec
    if spec.creates is not None:
        if version != 1:
            raise _reject(statement, f"subject {statement.subject} already exists")
        return
    assert spec.targets is not None
    existing = _subject_type(tables, statement.subject) if version > 1 else None
    if existing is None:
        raise _reject(statement, f"{statement.subject} is not {_NOUN[spec.targets]} in this store")
    if existing != spec.targets:
        raise _reject(
            statement,
            f"{statement.kind} applies to {_NOUN[spec.targets]}, but {statement.subject} "
            f"is {_NOUN[existing]}",
        )


def _require_subject(tables: Tables, statement: Statement, subject: str, kind: str) -> None:
    if _subject_type(tables, subject) != kind:
        raise _reject(statement, f"{subject} is not {_NOUN[kind]} in this store")


def _check_body(tables: Tables, statement: Statement) -> None:
    body = statement.body
    if isinstance(body, bodies.ActorRegistered) and body.public_key is not None:
        owner = tables.actor_for_key(env.key_id(base64.b64decode(body.public_key)))
        if owner is not None:
            raise _reject(statement, f"that public key is already registered to {owner}")
    if isinstance(body, bodies.FindingAsserted | bodies.FindingRevised):
        if not body.evidence and not statement.payload.refs:
            raise _reject(statement, "a finding must rest on evidence items or on statements")
        for item in body.evidence:
            _require_subject(tables, statement, item, "evidence")
    if isinstance(body, bodies.ChallengeRaised):
        _check_target(tables, statement, body.target)


def _check_target(tables: Tables, statement: Statement, target: bodies.ChallengeTarget) -> None:
    if target.type == "assessment":
        row = tables.index_row(target.id)
        if row is None:
            raise _reject(statement, f"target assessment {target.id[:12]}… is not in this store")
        if row.kind != "finding.assessed":
            raise _reject(statement, f"target {target.id[:12]}… is not an assessment")
    elif target.type == "organisation":
        actor = tables.actor(target.id)
        if actor is None or actor.role != "organisation":
            raise _reject(statement, f"target {target.id} is not the organisation")
    else:
        _require_subject(tables, statement, target.id, target.type)
