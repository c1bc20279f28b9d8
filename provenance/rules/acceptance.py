"""The stateful acceptance rules, written once for every path that checks them.

A statement whose payload is well formed (``docs/spec/statements.md``, "What
a verifier refuses") may still be refused: its signer, its subject, the
statements and subjects its body names and the record so far decide. These
rules are those of ``statements.md`` §"Acceptance rules". The store applies
them at append (over its SQL tables), ``prov verify`` while it replays the
stored statements, and both bundle verifiers while they replay a bundle: each
path answers the questions of :class:`Facts` from its own data, and the rules
and their messages are the same everywhere.

Only the standard library, ``provenance.errors`` and the pure table of kinds
are imported, so the standalone offline verifier is built from this module
unchanged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from provenance.errors import StatementRejected
from provenance.rules.payload import TABLE


@dataclass(frozen=True)
class KindRule:
    """What the acceptance rules need to know of a statement kind.

    Attributes:
        creates: the subject type it creates (its subject must be new), or None.
        targets: the subject type it applies to (``"any"``: every type), or None.
        needs_refs: it must name at least one earlier statement in ``refs``.
        admin_only: only the organisation or an administrator may sign it.
        subject_refs: (body member, subject type) for each body member that
            names subjects: each must be a subject of that type, never the
            statement's own subject.
    """

    creates: str | None = None
    targets: str | None = None
    needs_refs: bool = False
    admin_only: bool = False
    subject_refs: tuple[tuple[str, str], ...] = ()


# statements.md §3 (the kinds): read from the one table of kinds, which
# provenance.model.table generates from the models (a test keeps it fresh).
KIND_RULES: dict[str, KindRule] = {
    name: KindRule(
        creates=spec["creates"],
        targets=spec["targets"],
        needs_refs=spec["needs_refs"],
        admin_only=spec["admin_only"],
        subject_refs=tuple(
            (ref["member"], ref["subject_type"]) for ref in spec["refs"] if ref["to"] == "subject"
        ),
    )
    for name, spec in TABLE["kinds"].items()
}

WITHDRAWALS = tuple(name for name, spec in TABLE["kinds"].items() if spec["withdraws"])

# Which trace statuses may follow which; a trace request starts as "sent".
TRACE_NEXT: dict[str, frozenset[str]] = {
    "sent": frozenset({"acknowledged", "answered", "declined", "no-response"}),
    "acknowledged": frozenset({"answered", "declined", "no-response"}),
    "no-response": frozenset({"acknowledged", "answered", "declined"}),
    "answered": frozenset(),
    "declined": frozenset(),
}

_NOUN = {
    "actor": "an actor",
    "evidence": "an evidence item",
    "finding": "a finding",
    "challenge": "a challenge",
    "trace": "a trace request",
    "any": "a subject",
}


@dataclass
class ActorFact:
    """A registered actor: its role, admin flag and the position that registered it."""

    role: str
    admin: bool
    position: int

    @property
    def may_register(self) -> bool:
        """The organisation and administrators may register actors and withdraw anything."""
        return self.admin or self.role == "organisation"


@dataclass
class KeyFact:
    """A key an actor holds or held, with the positions that bound its validity.

    A key signs validly at position p when it was added before p and was
    neither retired nor revoked before p (statements.md §5.1): the statement
    that rotates or revokes a key may itself be signed by it.
    """

    actor: str
    public: bytes
    added: int
    retired: int | None = None
    revoked: int | None = None


@dataclass(frozen=True)
class StatementFact:
    """An earlier statement: its kind, subject and position."""

    kind: str
    subject: str
    position: int


class Facts(Protocol):
    """What the rules ask of the record before the statement being checked.

    Every answer is about statements at earlier positions only.
    """

    @property
    def root_key_id(self) -> str:
        """The key id the organisation's registration at position 0 must carry."""
        ...

    def subject_type(self, subject: str) -> str | None:
        """The type of subject an earlier statement created, or None."""
        ...

    def statement(self, statement_id: str) -> StatementFact | None:
        """An earlier statement, or None."""
        ...

    def author_of(self, statement_id: str) -> str | None:
        """The author of an earlier statement, or None if it cannot be known."""
        ...

    def actor(self, actor_id: str) -> ActorFact | None:
        """A registered actor, or None."""
        ...

    def key(self, key_id: str) -> KeyFact | None:
        """A key some actor holds or held, or None."""
        ...

    def holds_keys(self, actor_id: str) -> bool:
        """Whether an actor was ever given a key."""
        ...

    def trace_status(self, subject: str) -> str:
        """The status of a trace request: ``sent`` until a ``trace.updated``."""
        ...

    def withdrawn(self, statement_id: str) -> bool:
        """Whether an earlier statement retracted or superseded this one."""
        ...


class Rejection(StatementRejected):
    """A statement that breaks an acceptance rule; the message names the rule."""


def _reject(payload: Mapping[str, Any], message: str) -> Rejection:
    return Rejection(f"{payload['kind']} on {payload['subject']}: {message}")


def public_key_of(text: str) -> bytes:
    """The raw 32 bytes of a base64 public key of a body (statements.md §4.1)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32 or base64.b64encode(raw).decode() != text:
        raise ValueError("public_key is not the canonical base64 of 32 bytes")
    return raw


def key_id(public: bytes) -> str:
    """A key id: lower-case hex SHA-256 of the raw public key (statements.md §5.1)."""
    return hashlib.sha256(public).hexdigest()


def check_statement(
    facts: Facts,
    payload: Mapping[str, Any],
    *,
    statement_id: str,
    signing_key_id: str,
    position: int,
    verify: Callable[[bytes], bool],
) -> None:
    """Refuse a well-formed statement that may not be recorded at ``position``.

    Args:
        facts: the record before ``position``.
        payload: the parsed, shape-checked payload object.
        statement_id: its id (hex SHA-256 of the payload bytes).
        signing_key_id: the key id its envelope's signature names.
        position: the position it is (to be) recorded at.
        verify: checks the envelope's signature under a raw public key.

    Raises:
        Rejection: naming the rule it breaks; the first one found.
    """
    rule = KIND_RULES.get(str(payload["kind"]))
    if rule is None:
        raise _reject(payload, "unknown statement kind")
    earlier = facts.statement(statement_id)
    if earlier is not None:
        raise _reject(payload, f"the same statement is already at position {earlier.position}")
    if position == 0:
        _check_genesis(facts, payload, signing_key_id, verify)
        return
    author = _check_signer(facts, payload, signing_key_id, position, verify)
    if rule.admin_only and not author.may_register:
        raise _reject(
            payload,
            f"only the organisation or an administrator may sign it, not {payload['author']}",
        )
    _check_subject(facts, payload, rule)
    for ref in payload["refs"]:
        if facts.statement(ref) is None:
            raise _reject(payload, f"ref {ref[:12]}… is not a statement in this store before it")
    if rule.needs_refs and not payload["refs"]:
        raise _reject(payload, "refs must name the statements that prompted it")
    for member, subject_type in rule.subject_refs:
        named = payload["body"].get(member, [])
        for subject in named if isinstance(named, list) else [named]:
            _require_subject(facts, payload, subject, subject_type)
            if subject == payload["subject"]:
                raise _reject(payload, f"{payload['kind']} cannot name its own subject {subject}")
    check = _BODY_RULES.get(str(payload["kind"]))
    if check is not None:
        check(facts, payload, author)


def _check_genesis(
    facts: Facts, payload: Mapping[str, Any], signing_key_id: str, verify: Callable[[bytes], bool]
) -> None:
    body = payload["body"]
    if payload["kind"] != "actor.registered":
        raise _reject(payload, "the first statement of a store must register the organisation")
    if (
        payload["subject"] != payload["author"]
        or body.get("role") != "organisation"
        or body.get("admin") is not True
    ):
        raise _reject(payload, "the first statement must be the organisation registering itself")
    if "public_key" not in body:
        raise _reject(payload, "the organisation must register its root public key")
    public = _public_key(payload, body["public_key"])
    if key_id(public) != facts.root_key_id:
        raise _reject(payload, "the organisation's key is not the store's root key")
    _check_signature(payload, signing_key_id, public, verify)


def _check_signature(
    payload: Mapping[str, Any], keyid: str, public: bytes, verify: Callable[[bytes], bool]
) -> None:
    expected = key_id(public)
    if keyid != expected:
        raise _reject(payload, f"signature keyid {keyid[:16]}… is not the key {expected[:16]}…")
    if not verify(public):
        raise _reject(payload, f"signature by key {expected[:16]}… does not verify")


def _check_signer(
    facts: Facts,
    payload: Mapping[str, Any],
    keyid: str,
    position: int,
    verify: Callable[[bytes], bool],
) -> ActorFact:
    author_id = str(payload["author"])
    author = facts.actor(author_id)
    key = facts.key(keyid)
    if author is None:
        hint = f" (the key belongs to {key.actor})" if key is not None else ""
        raise _reject(payload, f"author {author_id} is not a registered actor{hint}")
    if (key is None or key.actor != author_id) and not facts.holds_keys(author_id):
        raise _reject(payload, f"actor {author_id} holds no key and cannot sign")
    if key is None:
        raise _reject(payload, f"signed by an unknown key {keyid[:16]}…")
    if key.actor != author_id:
        raise _reject(payload, f"signed by the key of {key.actor}, not by its author {author_id}")
    if key.added >= position:
        raise _reject(payload, f"signed by key {keyid[:16]}…, added only at position {key.added}")
    if key.revoked is not None and key.revoked < position:
        raise _reject(payload, f"signed by key {keyid[:16]}…, revoked at position {key.revoked}")
    if key.retired is not None and key.retired < position:
        raise _reject(
            payload,
            f"signed by key {keyid[:16]}…, retired at position {key.retired} "
            f"when {author_id} rotated keys",
        )
    _check_signature(payload, keyid, key.public, verify)
    return author


def _check_subject(facts: Facts, payload: Mapping[str, Any], rule: KindRule) -> None:
    subject = str(payload["subject"])
    existing = facts.subject_type(subject)
    if rule.creates is not None:
        if existing is not None:
            raise _reject(payload, f"subject {subject} already exists")
        return
    target = rule.targets or "any"
    if existing is None:
        raise _reject(payload, f"{subject} is not {_NOUN[target]} in this store")
    if target != "any" and existing != target:
        raise _reject(
            payload,
            f"{payload['kind']} applies to {_NOUN[target]}, but {subject} "
            f"is {_NOUN.get(existing, existing)}",
        )


def _require_subject(facts: Facts, payload: Mapping[str, Any], subject: str, kind: str) -> None:
    if facts.subject_type(subject) != kind:
        raise _reject(payload, f"{subject} is not {_NOUN[kind]} in this store")


def _public_key(payload: Mapping[str, Any], text: str) -> bytes:
    try:
        return public_key_of(text)
    except ValueError as e:
        raise _reject(payload, str(e)) from None


def _require_new_key(facts: Facts, payload: Mapping[str, Any], text: str) -> None:
    known = facts.key(key_id(_public_key(payload, text)))
    if known is not None:
        raise _reject(payload, f"that public key is already registered to {known.actor}")


def _own_or_admin(payload: Mapping[str, Any], author: ActorFact, what: str) -> None:
    if payload["author"] != payload["subject"] and not author.may_register:
        raise _reject(
            payload,
            f"only {payload['subject']} itself or an administrator may {what}, "
            f"not {payload['author']}",
        )


def _actor_registered(facts: Facts, payload: Mapping[str, Any], author: ActorFact) -> None:
    if "public_key" in payload["body"]:
        _require_new_key(facts, payload, payload["body"]["public_key"])


def _finding(facts: Facts, payload: Mapping[str, Any], author: ActorFact) -> None:
    if not payload["body"].get("evidence") and not payload["refs"]:
        raise _reject(payload, "a finding must rest on evidence items or on statements")


def _challenge(facts: Facts, payload: Mapping[str, Any], author: ActorFact) -> None:
    target = payload["body"]["target"]
    kind, ident = target["type"], target["id"]
    if kind == "assessment":
        found = facts.statement(ident)
        if found is None:
            raise _reject(payload, f"target assessment {ident[:12]}… is not in this store")
        if found.kind != "finding.assessed":
            raise _reject(payload, f"target {ident[:12]}… is not an assessment")
    elif kind == "organisation":
        actor = facts.actor(ident)
        if actor is None or actor.role != "organisation":
            raise _reject(payload, f"target {ident} is not the organisation")
    else:
        _require_subject(facts, payload, ident, kind)


def _custody(facts: Facts, payload: Mapping[str, Any], author: ActorFact) -> None:
    body = payload["body"]
    action = body["action"]
    if action in ("collected", "transferred") and "to_party" not in body:
        raise _reject(payload, f"custody action {action} needs to_party (who holds it)")
    if action == "transferred" and "from_party" not in body:
        raise _reject(payload, "custody action transferred needs from_party (who handed it)")
    if action == "stored" and "location" not in body:
        raise _reject(payload, "custody action stored needs a location")


def _trace_requested(facts: Facts, payload: Mapping[str, Any], author: ActorFact) -> None:
    target = payload["body"]["target"]
    if target["type"] == "item":
        _require_subject(facts, payload, target["id"], "evidence")
        return
    found = facts.statement(target["id"])
    if found is None or found.kind != "evidence.component":
        raise _reject(payload, f"{target['id'][:16]} is not a component statement")


def _trace_updated(facts: Facts, payload: Mapping[str, Any], author: ActorFact) -> None:
    body = payload["body"]
    status = facts.trace_status(str(payload["subject"]))
    allowed = TRACE_NEXT.get(status, frozenset())
    if body["status"] not in allowed:
        nexts = ", ".join(sorted(allowed)) or "nothing (it is closed)"
        raise _reject(payload, f"trace request is {status}; it may become {nexts}")
    if (body["status"] == "answered") != ("answer" in body):
        raise _reject(payload, "an answer is given exactly when the status is answered")


def _withdrawal(facts: Facts, payload: Mapping[str, Any], author: ActorFact) -> None:
    body, subject = payload["body"], payload["subject"]
    target_id = str(body["statement"])
    target = facts.statement(target_id)
    if target is None or target.subject != subject:
        raise _reject(payload, f"{target_id[:16]}… is not a statement of {subject}")
    if target.kind in WITHDRAWALS:
        raise _reject(payload, "a retraction or supersession cannot itself be withdrawn")
    if facts.withdrawn(target_id):
        raise _reject(payload, f"{target_id[:16]}… is already withdrawn")
    target_author = facts.author_of(target_id)
    if target_author != payload["author"] and not author.may_register:
        raise _reject(
            payload,
            f"only its author {target_author} or an administrator may withdraw {target_id[:16]}…",
        )
    if payload["kind"] == "statement.superseded":
        later_id = str(body["superseded_by"])
        later = facts.statement(later_id)
        if later is None or later.subject != subject:
            raise _reject(payload, f"{later_id[:16]}… is not a statement of {subject}")
        if later.position <= target.position or later.kind != target.kind:
            raise _reject(
                payload, "a statement is superseded by a later statement of the same kind"
            )


def _key_rotated(facts: Facts, payload: Mapping[str, Any], author: ActorFact) -> None:
    _own_or_admin(payload, author, "rotate its key")
    _require_new_key(facts, payload, payload["body"]["public_key"])


def _key_revoked(facts: Facts, payload: Mapping[str, Any], author: ActorFact) -> None:
    _own_or_admin(payload, author, "revoke its keys")
    kid = str(payload["body"]["key_id"])
    key = facts.key(kid)
    if key is None or key.actor != payload["subject"]:
        raise _reject(payload, f"{kid[:16]}… is not a key of {payload['subject']}")
    if key.revoked is not None:
        raise _reject(payload, f"key {kid[:16]}… is already revoked")


_BODY_RULES: dict[str, Callable[[Facts, Mapping[str, Any], ActorFact], None]] = {
    "actor.registered": _actor_registered,
    "finding.asserted": _finding,
    "finding.revised": _finding,
    "challenge.raised": _challenge,
    "evidence.custody": _custody,
    "trace.requested": _trace_requested,
    "trace.updated": _trace_updated,
    "statement.retracted": _withdrawal,
    "statement.superseded": _withdrawal,
    "actor.key_rotated": _key_rotated,
    "actor.key_revoked": _key_revoked,
}
