"""Every acceptance rejection, word for word, with the ids cut exactly as the message cuts them.

The rule tests in test_acceptance.py match a phrase of each message; a
mutant that cuts an id one character longer, or names the wrong actor or
position, survives them. Here each rejection is compared whole, with
``raises_exactly`` (the class itself, not a subclass).
"""

from __future__ import annotations

from typing import Any

import pytest

from provenance.rules.acceptance import (
    ActorFact,
    KeyFact,
    Rejection,
    StatementFact,
    check_statement,
    public_key_of,
)
from provenance.rules.ledger import Ledger
from tests.unit.exact import raises_exactly
from tests.unit.rules.test_acceptance import (
    GENESIS,
    Record,
    _kid,
    _pub,
    _sid,
    actor,
    marking,
    payload,
)
from tests.unit.rules.test_acceptance import (
    r as r,
)


def exact(rec: Record, p: dict[str, Any], key: str, message: str, **kw: Any) -> None:
    with raises_exactly(Rejection, f"{p['kind']} on {p['subject']}: {message}"):
        rec.check(p, key, **kw)


def test_an_unknown_kind(r: Record) -> None:
    exact(r, payload("evidence.painted", "item-1", "alice", {}), "alice", "unknown statement kind")


def test_the_same_statement_twice(r: Record) -> None:
    with raises_exactly(
        Rejection, "evidence.marking on item-1: the same statement is already at position 7"
    ):
        check_statement(
            r.ledger,
            marking(),
            statement_id=r.ids["m1"],
            signing_key_id=_kid("alice"),
            position=r.position,
            verify=lambda _: True,
        )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"kind": "evidence.registered"},
            "the first statement of a store must register the organisation",
        ),
        ({"subject": "other"}, "the first statement must be the organisation registering itself"),
        ({"author": "other"}, "the first statement must be the organisation registering itself"),
        (
            {"body": {**GENESIS["body"], "role": "researcher"}},
            "the first statement must be the organisation registering itself",
        ),
        (
            {"body": {**GENESIS["body"], "admin": False}},
            "the first statement must be the organisation registering itself",
        ),
        (
            {"body": {**GENESIS["body"], "admin": 1}},
            "the first statement must be the organisation registering itself",
        ),
        (
            {"body": {k: v for k, v in GENESIS["body"].items() if k != "admin"}},
            "the first statement must be the organisation registering itself",
        ),
        (
            {"body": {k: v for k, v in GENESIS["body"].items() if k != "role"}},
            "the first statement must be the organisation registering itself",
        ),
        (
            {"body": {k: v for k, v in GENESIS["body"].items() if k != "public_key"}},
            "the organisation must register its root public key",
        ),
        (
            {"body": {**GENESIS["body"], "public_key": _pub("mallory")}},
            "the organisation's key is not the store's root key",
        ),
        (
            {"body": {**GENESIS["body"], "public_key": "AAAA"}},
            "public_key is not the canonical base64 of 32 bytes",
        ),
    ],
)
def test_a_bad_genesis(change: dict[str, Any], message: str) -> None:
    exact(Record(), {**GENESIS, **change}, "org", message)


def test_the_genesis_signature() -> None:
    org, mallory = _kid("org"), _kid("mallory")
    exact(
        Record(),
        GENESIS,
        "mallory",
        f"signature keyid {mallory[:16]}… is not the key {org[:16]}…",
    )
    exact(
        Record(),
        GENESIS,
        "org",
        f"signature by key {org[:16]}… does not verify",
        verify=lambda _: False,
    )
    seen: list[bytes] = []
    Record().check(GENESIS, "org", verify=lambda public: seen.append(public) is None)
    assert seen == [public_key_of(_pub("org"))]


def test_the_genesis_is_checked_at_position_zero_only(r: Record) -> None:
    # At a later position the organisation registering itself again is a subject that exists.
    exact(r, GENESIS, "org", "subject org already exists")


def test_signers(r: Record) -> None:
    exact(r, marking("mallory"), "mallory", "author mallory is not a registered actor")
    exact(
        r,
        marking("mallory"),
        "alice",
        "author mallory is not a registered actor (the key belongs to alice)",
    )
    exact(r, marking("carol"), "alice", "actor carol holds no key and cannot sign")
    exact(r, marking("carol"), "mallory", "actor carol holds no key and cannot sign")
    exact(r, marking("alice"), "mallory", f"signed by an unknown key {_kid('mallory')[:16]}…")
    exact(r, marking("alice"), "bob", "signed by the key of bob, not by its author alice")
    exact(
        r,
        marking("alice"),
        "alice",
        f"signature by key {_kid('alice')[:16]}… does not verify",
        verify=lambda _: False,
    )


def test_a_keyless_actor_given_another_actors_key(r: Record) -> None:
    # carol holds no key; bob's key names bob: "holds no key", not "the key of bob".
    exact(r, marking("carol"), "bob", "actor carol holds no key and cannot sign")


def test_key_validity_positions(r: Record) -> None:
    key = r.ledger.key(_kid("alice"))
    assert key is not None
    kid = _kid("alice")[:16]
    key.added = r.position
    exact(r, marking(), "alice", f"signed by key {kid}…, added only at position {r.position}")
    key.added = r.position + 1
    exact(r, marking(), "alice", f"signed by key {kid}…, added only at position {r.position + 1}")
    key.added = r.position - 1
    r.check(marking(), "alice")
    key.revoked = r.position - 1
    exact(r, marking(), "alice", f"signed by key {kid}…, revoked at position {r.position - 1}")
    key.revoked = r.position
    r.check(marking(), "alice")
    key.revoked = None
    key.retired = r.position - 1
    exact(
        r,
        marking(),
        "alice",
        f"signed by key {kid}…, retired at position {r.position - 1} when alice rotated keys",
    )
    key.retired = r.position
    r.check(marking(), "alice")
    # revoked and retired both: the revocation is named first
    key.revoked, key.retired = r.position - 2, r.position - 1
    exact(r, marking(), "alice", f"signed by key {kid}…, revoked at position {r.position - 2}")


def test_admin_only_kinds(r: Record) -> None:
    new = payload("actor.registered", "zed", "alice", {"name": "z", "role": "observer"})
    exact(r, new, "alice", "only the organisation or an administrator may sign it, not alice")
    r.check({**new, "author": "adam"}, "adam")


def test_subjects(r: Record) -> None:
    again = payload("evidence.registered", "item-1", "alice", {"item_kind": "other", "title": "T"})
    exact(r, again, "alice", "subject item-1 already exists")
    # a subject of another type exists under that id: still refused
    exact(r, {**again, "subject": "alice"}, "alice", "subject alice already exists")
    exact(r, marking(subject="item-2"), "alice", "item-2 is not an evidence item in this store")
    exact(
        r,
        marking(subject="finding-1"),
        "alice",
        "evidence.marking applies to an evidence item, but finding-1 is a finding",
    )
    exact(
        r,
        marking(subject="alice"),
        "alice",
        "evidence.marking applies to an evidence item, but alice is an actor",
    )
    retract = payload(
        "statement.retracted", "nothing", "alice", {"statement": r.ids["m1"], "reason": "r"}
    )
    exact(r, retract, "alice", "nothing is not a subject in this store")


def test_a_subject_of_an_unknown_type_is_named_as_it_is() -> None:
    ledger = Ledger(_kid("org"))
    ledger.subjects["odd"] = "weird"
    ledger.actors["alice"] = ActorFact("researcher", False, 1)
    ledger.keys[_kid("alice")] = KeyFact("alice", public_key_of(_pub("alice")), 1)
    with raises_exactly(
        Rejection,
        "evidence.marking on odd: evidence.marking applies to an evidence item, but odd is weird",
    ):
        check_statement(
            ledger,
            marking(subject="odd"),
            statement_id=_sid(50),
            signing_key_id=_kid("alice"),
            position=5,
            verify=lambda _: True,
        )


def test_refs(r: Record) -> None:
    missing = "ab" * 32
    exact(
        r,
        marking(refs=[r.ids["m1"], missing]),
        "alice",
        f"ref {missing[:12]}… is not a statement in this store before it",
    )
    revised = payload(
        "finding.revised",
        "finding-1",
        "alice",
        {"claim": "C", "evidence": ["item-1"], "confidence": "low", "reason": "r"},
    )
    exact(r, revised, "alice", "refs must name the statements that prompted it")


def test_findings(r: Record) -> None:
    body = {"claim": "C", "confidence": "low"}
    exact(
        r,
        payload("finding.asserted", "f2", "alice", body),
        "alice",
        "a finding must rest on evidence items or on statements",
    )
    exact(
        r,
        payload("finding.asserted", "f2", "alice", {**body, "evidence": ["item-1", "finding-1"]}),
        "alice",
        "finding-1 is not an evidence item in this store",
    )
    r.check(payload("finding.asserted", "f2", "alice", {**body, "evidence": ["item-1"]}), "alice")


def _challenge(kind: str, ident: str) -> dict[str, Any]:
    body = {
        "target": {"type": kind, "id": ident},
        "challenge_kind": "methodology",
        "attributed_to": "X",
        "claim": "C",
    }
    return payload("challenge.raised", "ch-1", "bob", body)


def test_challenges(r: Record) -> None:
    m1, nowhere = r.ids["m1"], "cd" * 32
    exact(r, _challenge("assessment", m1), "bob", f"target {m1[:12]}… is not an assessment")
    exact(
        r,
        _challenge("assessment", nowhere),
        "bob",
        f"target assessment {nowhere[:12]}… is not in this store",
    )
    exact(r, _challenge("organisation", "alice"), "bob", "target alice is not the organisation")
    exact(r, _challenge("organisation", "nobody"), "bob", "target nobody is not the organisation")
    exact(r, _challenge("finding", "item-1"), "bob", "item-1 is not a finding in this store")
    exact(
        r,
        _challenge("evidence", "finding-1"),
        "bob",
        "finding-1 is not an evidence item in this store",
    )
    exact(r, _challenge("actor", "item-1"), "bob", "item-1 is not an actor in this store")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action": "collected"}, "custody action collected needs to_party (who holds it)"),
        (
            {"action": "transferred", "from_party": "a"},
            "custody action transferred needs to_party (who holds it)",
        ),
        (
            {"action": "transferred", "to_party": "b"},
            "custody action transferred needs from_party (who handed it)",
        ),
        ({"action": "transferred"}, "custody action transferred needs to_party (who holds it)"),
        ({"action": "stored"}, "custody action stored needs a location"),
        ({"action": "stored", "to_party": "b"}, "custody action stored needs a location"),
    ],
)
def test_custody(r: Record, fields: dict[str, str], message: str) -> None:
    body = {"at": "2024", "performed_by": "x", **fields}
    exact(r, payload("evidence.custody", "item-1", "alice", body), "alice", message)


def test_custody_that_needs_no_party(r: Record) -> None:
    for action in ("examined", "collected", "transferred", "stored"):
        body: dict[str, str] = {"at": "2024", "performed_by": "x", "action": action}
        if action != "stored":
            body["to_party"] = "b"
        if action == "transferred":
            body["from_party"] = "a"
        if action == "stored":
            body["location"] = "safe"
        r.check(payload("evidence.custody", "item-1", "alice", body), "alice")


def _trace(target: dict[str, str]) -> dict[str, Any]:
    body = {
        "target": target,
        "addressee": "M",
        "addressee_type": "state",
        "question": "Q",
        "sent_at": "2024",
    }
    return payload("trace.requested", "tr-1", "alice", body)


def test_traces(r: Record) -> None:
    m1, nowhere = r.ids["m1"], "ef" * 32
    exact(
        r,
        _trace({"type": "item", "id": "finding-1"}),
        "alice",
        "finding-1 is not an evidence item in this store",
    )
    exact(
        r,
        _trace({"type": "component", "id": m1}),
        "alice",
        f"{m1[:16]} is not a component statement",
    )
    exact(
        r,
        _trace({"type": "component", "id": nowhere}),
        "alice",
        f"{nowhere[:16]} is not a component statement",
    )
    r.add("trace", _trace({"type": "item", "id": "item-1"}), "alice")
    exact(
        r,
        payload("trace.updated", "tr-1", "alice", {"status": "answered", "at": "2024"}),
        "alice",
        "an answer is given exactly when the status is answered",
    )
    exact(
        r,
        payload(
            "trace.updated", "tr-1", "alice", {"status": "declined", "at": "2024", "answer": "A"}
        ),
        "alice",
        "an answer is given exactly when the status is answered",
    )
    r.check(
        payload(
            "trace.updated", "tr-1", "alice", {"status": "answered", "at": "2024", "answer": "A"}
        ),
        "alice",
    )
    r.check(
        payload("trace.updated", "tr-1", "alice", {"status": "declined", "at": "2024"}), "alice"
    )
    r.ledger.traces["tr-1"] = "sent"
    exact(
        r,
        payload("trace.updated", "tr-1", "alice", {"status": "sent", "at": "2024"}),
        "alice",
        "trace request is sent; it may become acknowledged, answered, declined, no-response",
    )
    r.ledger.traces["tr-1"] = "lost"  # a status the table does not know: nothing may follow
    exact(
        r,
        payload("trace.updated", "tr-1", "alice", {"status": "declined", "at": "2024"}),
        "alice",
        "trace request is lost; it may become nothing (it is closed)",
    )


def _retract(subject: str, target: str, author: str = "alice") -> dict[str, Any]:
    return payload("statement.retracted", subject, author, {"statement": target, "reason": "r"})


def test_withdrawals(r: Record) -> None:
    m1, nowhere = r.ids["m1"], "ab" * 32
    exact(r, _retract("finding-1", m1), "alice", f"{m1[:16]}… is not a statement of finding-1")
    exact(r, _retract("item-1", nowhere), "alice", f"{nowhere[:16]}… is not a statement of item-1")
    exact(
        r,
        _retract("item-1", m1, "bob"),
        "bob",
        f"only its author alice or an administrator may withdraw {m1[:16]}…",
    )
    r.check(_retract("item-1", m1, "adam"), "adam")
    r.check(_retract("item-1", m1, "org"), "org")
    sid = r.add("r1", _retract("item-1", m1), "alice")
    exact(r, _retract("item-1", m1), "alice", f"{m1[:16]}… is already withdrawn")
    exact(
        r,
        _retract("item-1", sid, "adam"),
        "adam",
        "a retraction or supersession cannot itself be withdrawn",
    )


def test_a_withdrawal_of_a_statement_whose_author_is_unknown(r: Record) -> None:
    # A trusted prefix noted without payloads: its authors are unknown, so only an admin withdraws.
    r.ledger.note(_sid(400), "evidence.marking", "item-1", r.position)
    r.position += 1
    exact(
        r,
        _retract("item-1", _sid(400)),
        "alice",
        f"only its author None or an administrator may withdraw {_sid(400)[:16]}…",
    )
    r.check(_retract("item-1", _sid(400), "adam"), "adam")


def _sup(old: str, new: str, author: str = "alice") -> dict[str, Any]:
    return payload(
        "statement.superseded",
        "item-1",
        author,
        {"statement": old, "superseded_by": new, "reason": "r"},
    )


def test_supersessions(r: Record) -> None:
    m1 = r.ids["m1"]
    m2 = r.add("m2", marking(), "alice")
    rule = "a statement is superseded by a later statement of the same kind"
    exact(r, _sup(m2, m1), "alice", rule)
    exact(r, _sup(m1, m1), "alice", rule)
    exact(r, _sup(r.ids["item"], m2), "alice", rule)
    finding = r.ids["finding"]
    exact(r, _sup(m1, finding), "alice", f"{finding[:16]}… is not a statement of item-1")
    exact(r, _sup(m1, "ab" * 32), "alice", f"{('ab' * 32)[:16]}… is not a statement of item-1")
    exact(
        r,
        _sup(m1, m2, "bob"),
        "bob",
        f"only its author alice or an administrator may withdraw {m1[:16]}…",
    )
    r.check(_sup(m1, m2), "alice")


def test_a_supersession_by_the_next_position(r: Record) -> None:
    m1 = r.ids["m1"]
    # m1 is at position 7; a statement at position 8 is later
    m2 = r.add("m2", marking(), "alice")
    assert r.ledger.statement(m2) == StatementFact("evidence.marking", "item-1", 8)
    r.check(_sup(m1, m2), "alice")


def test_keys_changed_by_their_actor_or_an_administrator(r: Record) -> None:
    rotate = payload("actor.key_rotated", "bob", "alice", {"public_key": _pub("new")})
    exact(r, rotate, "alice", "only bob itself or an administrator may rotate its key, not alice")
    r.check({**rotate, "author": "bob"}, "bob")
    r.check({**rotate, "author": "org"}, "org")
    exact(
        r,
        {**rotate, "body": {"public_key": _pub("bob")}, "author": "bob"},
        "bob",
        "that public key is already registered to bob",
    )
    exact(
        r,
        {**rotate, "body": {"public_key": "AAAA"}, "author": "bob"},
        "bob",
        "public_key is not the canonical base64 of 32 bytes",
    )
    revoke = payload("actor.key_revoked", "bob", "alice", {"key_id": _kid("bob"), "reason": "r"})
    exact(r, revoke, "alice", "only bob itself or an administrator may revoke its keys, not alice")
    alice = _kid("alice")
    exact(
        r,
        {**revoke, "author": "adam", "body": {"key_id": alice, "reason": "r"}},
        "adam",
        f"{alice[:16]}… is not a key of bob",
    )
    exact(
        r,
        {**revoke, "author": "adam", "body": {"key_id": "ab" * 32, "reason": "r"}},
        "adam",
        f"{('ab' * 32)[:16]}… is not a key of bob",
    )
    r.add("revoke", {**revoke, "author": "bob"}, "bob")
    exact(r, {**revoke, "author": "adam"}, "adam", f"key {_kid('bob')[:16]}… is already revoked")


def test_registered_keys_are_new(r: Record) -> None:
    body = {"name": "z", "role": "observer", "public_key": _pub("bob")}
    exact(r, actor("zed") | {"body": body}, "org", "that public key is already registered to bob")
    r.check(actor("zed"), "org")
    r.check(actor("zed", key=False), "org")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "AAAA",
        "!" * 44,
        _pub("a")[:-1],
        _pub("a") + "\n",
        " " + _pub("a"),
        "A" * 42 + "B=",  # 32 bytes, but the unused bits are set: not canonical
        "A" * 44,  # 33 bytes
        "A" * 40 + "==",  # 30 bytes
    ],
)
def test_public_keys_must_be_the_canonical_base64_of_32_bytes(text: str) -> None:
    with raises_exactly(ValueError, "public_key is not the canonical base64 of 32 bytes"):
        public_key_of(text)


def test_a_canonical_public_key() -> None:
    assert public_key_of("A" * 43 + "=") == bytes(32)
    assert public_key_of(_pub("a")) == __import__("hashlib").sha256(b"a").digest()
