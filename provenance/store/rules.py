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
    "trace": "a trace request",
    "any": "a subject",
}
# Which trace statuses may follow which (a trace starts as "sent").
TRACE_NEXT = {
    "sent": {"acknowledged", "answered", "declined", "no-response"},
    "acknowledged": {"answered", "declined", "no-response"},
    "no-response": {"acknowledged", "answered", "declined"},
    "answered": set(),
    "declined": set(),
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
    _check_body(tables, statement, author, version)


def apply_effects(tables: Tables, statement: Statement, position: int) -> None:
    """Update the store tables for statements that change who may sign."""
    body = statement.body
    if isinstance(body, bodies.ActorRegistered):
        tables.insert_actor(actor_row(statement), position)
    elif isinstance(body, bodies.KeyRotated):
        public = base64.b64decode(body.public_key)
        tables.add_key(statement.subject, env.key_id(public), public, position)
    elif isinstance(body, bodies.KeyRevoked):
        tables.revoke_key(body.key_id, position)


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
        key = tables.key(keyid)
        if key is not None and key.revoked_position is not None:
            raise _reject(
                statement,
                f"signed by key {keyid[:16]}…, revoked at position {key.revoked_position}",
            )
        raise _reject(statement, f"actor {statement.author} holds no key and cannot sign")
    if author.key_id != keyid:
        key = tables.key(keyid)
        if key is None:
            raise _reject(statement, f"signed by an unknown key {keyid[:16]}…")
        if key.actor_id != statement.author:
            raise _reject(
                statement,
                f"signed by the key of {key.actor_id}, not by its author {statement.author}",
            )
        if key.revoked_position is not None:
            raise _reject(
                statement,
                f"signed by key {keyid[:16]}…, revoked at position {key.revoked_position}",
            )
        raise _reject(
            statement,
            f"signed by key {keyid[:16]}…, retired at position {key.retired_position} "
            f"when {statement.author} rotated keys",
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
    if spec.targets != "any" and existing != spec.targets:
        raise _reject(
            statement,
            f"{statement.kind} applies to {_NOUN[spec.targets]}, but {statement.subject} "
            f"is {_NOUN[existing]}",
        )


def _require_subject(tables: Tables, statement: Statement, subject: str, kind: str) -> None:
    if _subject_type(tables, subject) != kind:
        raise _reject(statement, f"{subject} is not {_NOUN[kind]} in this store")


def _check_body(tables: Tables, statement: Statement, author: ActorRow, version: int) -> None:
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
    if isinstance(body, bodies.CustodyRecorded):
        check_custody(statement, body)
    if isinstance(body, bodies.TraceRequested):
        if body.target.type == "item":
            _require_subject(tables, statement, body.target.id, "evidence")
        else:
            row = tables.index_row(body.target.id)
            if row is None or row.kind != "evidence.component":
                raise _reject(statement, f"{body.target.id[:16]} is not a component statement")
    if isinstance(body, bodies.TraceUpdated):
        _check_trace_update(tables, statement, body, version)
    if isinstance(body, bodies.StatementRetracted | bodies.StatementSuperseded):
        _check_withdrawal(tables, statement, body, author, version)
    if isinstance(body, bodies.KeyRotated):
        _check_own_or_admin(statement, author, "rotate its key")
        public = base64.b64decode(body.public_key)
        owner = tables.actor_for_key(env.key_id(public))
        if owner is not None:
            raise _reject(statement, f"that public key is already registered to {owner}")
    if isinstance(body, bodies.KeyRevoked):
        _check_own_or_admin(statement, author, "revoke its keys")
        key = tables.key(body.key_id)
        if key is None or key.actor_id != statement.subject:
            raise _reject(statement, f"{body.key_id[:16]}… is not a key of {statement.subject}")
        if key.revoked_position is not None:
            raise _reject(statement, f"key {body.key_id[:16]}… is already revoked")


def _check_own_or_admin(statement: Statement, author: ActorRow, what: str) -> None:
    if statement.author != statement.subject and not author.may_register:
        raise _reject(
            statement,
            f"only {statement.subject} itself or an administrator may {what}, "
            f"not {statement.author}",
        )


def check_custody(statement: Statement, body: bodies.CustodyRecorded) -> None:
    """The fields each custody action needs (raises StatementRejected)."""
    if body.action in ("collected", "transferred") and body.to_party is None:
        raise _reject(statement, f"custody action {body.action} needs to_party (who holds it)")
    if body.action == "transferred" and body.from_party is None:
        raise _reject(statement, "custody action transferred needs from_party (who handed it)")
    if body.action == "stored" and body.location is None:
        raise _reject(statement, "custody action stored needs a location")


def _check_trace_update(
    tables: Tables, statement: Statement, body: bodies.TraceUpdated, version: int
) -> None:
    status = "sent"
    for _, earlier in tables.subject_statements(statement.subject, version):
        if isinstance(earlier.body, bodies.TraceUpdated):
            status = earlier.body.status
    allowed = TRACE_NEXT[status]
    if body.status not in allowed:
        nexts = ", ".join(sorted(allowed)) or "nothing (it is closed)"
        raise _reject(statement, f"trace request is {status}; it may become {nexts}")
    if (body.status == "answered") != (body.answer is not None):
        raise _reject(statement, "an answer is given exactly when the status is answered")


def _check_withdrawal(
    tables: Tables,
    statement: Statement,
    body: bodies.StatementRetracted | bodies.StatementSuperseded,
    author: ActorRow,
    version: int,
) -> None:
    row = tables.index_row(body.statement)
    if row is None or row.subject_id != statement.subject:
        raise _reject(
            statement, f"{body.statement[:16]}… is not a statement of {statement.subject}"
        )
    if row.kind in ("statement.retracted", "statement.superseded"):
        raise _reject(statement, "a retraction or supersession cannot itself be withdrawn")
    target_author = ""
    for sid, earlier in tables.subject_statements(statement.subject, version):
        withdrawn = earlier.body
        if (
            isinstance(withdrawn, bodies.StatementRetracted | bodies.StatementSuperseded)
            and withdrawn.statement == body.statement
        ):
            raise _reject(statement, f"{body.statement[:16]}… is already withdrawn")
        if sid == body.statement:
            target_author = earlier.author
    if target_author != statement.author and not author.may_register:
        raise _reject(
            statement,
            f"only its author {target_author} or an administrator "
            f"may withdraw {body.statement[:16]}…",
        )
    if isinstance(body, bodies.StatementSuperseded):
        later = tables.index_row(body.superseded_by)
        if later is None or later.subject_id != statement.subject:
            raise _reject(
                statement, f"{body.superseded_by[:16]}… is not a statement of {statement.subject}"
            )
        if later.position <= row.position or later.kind != row.kind:
            raise _reject(
                statement, "a statement is superseded by a later statement of the same kind"
            )


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
