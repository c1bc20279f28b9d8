"""The rules a well-formed statement must satisfy before the store records it.

Each rule raises :class:`StatementRejected` with a message that names the
statement, the field and what was expected. Checks are made against the event
store (the subjects' own histories), never against a derived view.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from provenance import envelope as env
from provenance.errors import SignatureError, StatementRejected
from provenance.model import bodies
from provenance.model.statement import Statement

if TYPE_CHECKING:
    from provenance.store.store import Store


_NOUN = {
    "actor": "an actor",
    "evidence": "an evidence item",
    "finding": "a finding",
    "challenge": "a challenge",
}


def _reject(statement: Statement, message: str) -> StatementRejected:
    return StatementRejected(f"{statement.kind} on {statement.subject}: {message}")


def check_statement(store: Store, envelope: env.Envelope, statement: Statement) -> None:
    """Raise StatementRejected unless the statement may be appended now."""
    if store.is_empty():
        _check_genesis(store, envelope, statement)
        return
    author = _check_signer(store, envelope, statement)
    if statement.spec.admin_only and not _is_admin(author):
        raise _reject(
            statement,
            f"only the organisation or an administrator may sign it, not {statement.author}",
        )
    _check_subject(store, statement)
    for ref in statement.payload.refs:
        if not store.has_statement(ref):
            raise _reject(statement, f"ref {ref[:12]}… is not a statement in this store")
    if statement.spec.needs_refs and not statement.payload.refs:
        raise _reject(statement, "refs must name the statements that prompted it")
    _check_body(store, statement)


def _check_genesis(store: Store, envelope: env.Envelope, statement: Statement) -> None:
    body = statement.body
    if statement.kind != "actor.registered" or not isinstance(body, bodies.ActorRegistered):
        raise _reject(statement, "the first statement of a store must register the organisation")
    if statement.subject != statement.author or body.role != "organisation" or not body.admin:
        raise _reject(statement, "the first statement must be the organisation registering itself")
    if body.public_key is None:
        raise _reject(statement, "the organisation must register its root public key")
    public = base64.b64decode(body.public_key)
    if env.key_id(public) != store.root_key_id:
        raise _reject(statement, "the organisation's key is not the store's root key")
    try:
        env.verify_envelope(envelope, public)
    except SignatureError as e:
        raise _reject(statement, str(e)) from e


def _check_signer(store: Store, envelope: env.Envelope, statement: Statement) -> dict[str, Any]:
    keyid = envelope.signatures[0].keyid
    author = store.subject_state(statement.author)
    if author is None or author["type"] != "actor":
        owner = store.views.actor_for_key(keyid)
        hint = f" (the key belongs to {owner})" if owner else ""
        raise _reject(statement, f"author {statement.author} is not a registered actor{hint}")
    if "public_key" not in author:
        raise _reject(statement, f"actor {statement.author} holds no key and cannot sign")
    if author["key_id"] != keyid:
        owner = store.views.actor_for_key(keyid)
        if owner is None:
            raise _reject(statement, f"signed by an unknown key {keyid[:16]}…")
        raise _reject(
            statement, f"signed by the key of {owner}, not by its author {statement.author}"
        )
    try:
        env.verify_envelope(envelope, base64.b64decode(author["public_key"]))
    except SignatureError as e:
        raise _reject(statement, str(e)) from e
    return author


def _is_admin(actor: dict[str, Any]) -> bool:
    return bool(actor.get("admin")) or actor.get("role") == "organisation"


def _check_subject(store: Store, statement: Statement) -> None:
    spec = statement.spec
    existing = store.subject_type(statement.subject)
    if spec.creates is not None:
        if existing is not None:
            raise _reject(statement, f"subject {statement.subject} already exists")
        return
    if existing is None:
        assert spec.targets is not None
        raise _reject(statement, f"{statement.subject} is not {_NOUN[spec.targets]} in this store")
    if existing != spec.targets:
        raise _reject(
            statement,
            f"{statement.kind} applies to {_NOUN[str(spec.targets)]}, but {statement.subject} "
            f"is {_NOUN[existing]}",
        )


def _require_subject(store: Store, statement: Statement, subject: str, kind: str) -> None:
    if store.subject_type(subject) != kind:
        raise _reject(statement, f"{subject} is not {_NOUN[kind]} in this store")


def _check_body(store: Store, statement: Statement) -> None:
    body = statement.body
    if isinstance(body, bodies.ActorRegistered) and body.public_key is not None:
        owner = store.views.actor_for_key(env.key_id(base64.b64decode(body.public_key)))
        if owner is not None:
            raise _reject(statement, f"that public key is already registered to {owner}")
    if isinstance(body, bodies.FindingAsserted | bodies.FindingRevised):
        if not body.evidence and not statement.payload.refs:
            raise _reject(statement, "a finding must rest on evidence items or on statements")
        for item in body.evidence:
            _require_subject(store, statement, item, "evidence")
    if isinstance(body, bodies.ChallengeRaised):
        target = body.target
        if target.type == "assessment":
            if not store.has_statement(target.id):
                raise _reject(
                    statement, f"target assessment {target.id[:12]}… is not in this store"
                )
            if store.statement(target.id).statement.kind != "finding.assessed":
                raise _reject(statement, f"target {target.id[:12]}… is not an assessment")
        elif target.type == "organisation":
            state = store.subject_state(target.id)
            if state is None or state.get("role") != "organisation":
                raise _reject(statement, f"target {target.id} is not the organisation")
        else:
            _require_subject(store, statement, target.id, target.type)
