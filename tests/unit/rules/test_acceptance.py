"""The acceptance rules over the in-memory ledger: each rule, at its boundary, both ways.

Pure and fast, so that a mutation run over provenance/rules/acceptance.py and
ledger.py has a test to kill each mutant: a key owned by another actor, a
revocation never recorded, anyone allowed to register actors, body
references left unchecked.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from provenance.errors import StatementRejected
from provenance.rules.acceptance import (
    TRACE_NEXT,
    ActorFact,
    Rejection,
    check_statement,
    key_id,
    public_key_of,
)
from provenance.rules.ledger import Ledger


def _pub(name: str) -> str:
    return base64.b64encode(hashlib.sha256(name.encode()).digest()).decode()


def _kid(name: str) -> str:
    return key_id(base64.b64decode(_pub(name)))


def _sid(n: int) -> str:
    return hashlib.sha256(f"statement {n}".encode()).hexdigest()


def payload(
    kind: str, subject: str, author: str, body: dict[str, Any], refs: list[str] | None = None
) -> dict[str, Any]:
    return {
        "format": 1,
        "kind": kind,
        "subject": subject,
        "author": author,
        "issued_at": "2024-01-01T00:00:00Z",
        "refs": refs or [],
        "body": body,
    }


GENESIS = payload(
    "actor.registered",
    "org",
    "org",
    {"name": "O", "role": "organisation", "public_key": _pub("org"), "admin": True},
)


class Record:
    """A ledger fed through the rules, one position after another."""

    def __init__(self) -> None:
        self.ledger = Ledger(_kid("org"))
        self.position = 0
        self.ids: dict[str, str] = {}

    def check(
        self, p: dict[str, Any], key: str, *, verify: Callable[[bytes], bool] = lambda _: True
    ) -> str:
        sid = _sid(self.position)
        check_statement(
            self.ledger,
            p,
            statement_id=sid,
            signing_key_id=_kid(key),
            position=self.position,
            verify=verify,
        )
        return sid

    def add(self, name: str, p: dict[str, Any], key: str) -> str:
        sid = self.check(p, key)
        self.ledger.apply(p, sid, self.position)
        self.ids[name] = sid
        self.position += 1
        return sid

    def refuses(self, p: dict[str, Any], key: str, words: str, **kw: Any) -> None:
        with pytest.raises(Rejection, match=words) as info:
            self.check(p, key, **kw)
        assert isinstance(info.value, StatementRejected)
        assert str(info.value).startswith(f"{p['kind']} on {p['subject']}: ")


def actor(
    name: str, role: str = "researcher", *, key: bool = True, admin: bool = False
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "role": role}
    if key:
        body["public_key"] = _pub(name)
    if admin:
        body["admin"] = True
    return payload("actor.registered", name, "org", body)


@pytest.fixture
def r() -> Record:
    rec = Record()
    rec.add("genesis", GENESIS, "org")
    rec.add("alice", actor("alice"), "org")
    rec.add("bob", actor("bob"), "org")
    rec.add("carol", actor("carol", key=False), "org")
    rec.add("adam", actor("adam", admin=True), "org")
    rec.add(
        "item",
        payload("evidence.registered", "item-1", "alice", {"item_kind": "other", "title": "T"}),
        "alice",
    )
    rec.add(
        "finding",
        payload(
            "finding.asserted",
            "finding-1",
            "alice",
            {"claim": "C", "evidence": ["item-1"], "confidence": "low"},
        ),
        "alice",
    )
    rec.add("m1", payload("evidence.marking", "item-1", "alice", {"text": "1"}), "alice")
    return rec


def marking(
    author: str = "alice", subject: str = "item-1", refs: list[str] | None = None
) -> dict[str, Any]:
    return payload("evidence.marking", subject, author, {"text": "x"}, refs)


# -- the genesis ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, words",
    [
        ({"kind": "evidence.registered"}, "must register the organisation"),
        ({"subject": "other"}, "the organisation registering itself"),
        (
            {"body": {**GENESIS["body"], "role": "researcher"}},
            "the organisation registering itself",
        ),
        ({"body": {**GENESIS["body"], "admin": False}}, "the organisation registering itself"),
        (
            {"body": {k: v for k, v in GENESIS["body"].items() if k != "public_key"}},
            "root public key",
        ),
        ({"body": {**GENESIS["body"], "public_key": _pub("mallory")}}, "not the store's root key"),
    ],
)
def test_a_bad_genesis_is_refused(change: dict[str, Any], words: str) -> None:
    Record().refuses({**GENESIS, **change}, "org", words)


def test_the_genesis_must_be_signed_by_the_root_key() -> None:
    Record().refuses(GENESIS, "mallory", "is not the key")
    Record().refuses(GENESIS, "org", "does not verify", verify=lambda _: False)
    Record().check(GENESIS, "org")


# -- who signs -------------------------------------------------------------------------------


def test_an_unregistered_author_is_refused_naming_the_keys_owner(r: Record) -> None:
    r.refuses(marking("mallory"), "mallory", "author mallory is not a registered actor$")
    r.refuses(
        marking("mallory"),
        "alice",
        r"author mallory is not a registered actor \(the key belongs to alice\)",
    )


def test_a_key_of_another_actor_is_refused(r: Record) -> None:
    r.refuses(marking("alice"), "bob", "signed by the key of bob, not by its author alice")
    r.refuses(marking("alice"), "mallory", "signed by an unknown key")
    r.refuses(marking("carol"), "alice", "carol holds no key and cannot sign")
    r.refuses(marking("alice"), "alice", "does not verify", verify=lambda _: False)
    r.check(marking("alice"), "alice")


def test_the_signature_is_checked_with_the_authors_registered_key(r: Record) -> None:
    seen: list[bytes] = []

    def verify(public: bytes) -> bool:
        seen.append(public)
        return True

    r.check(marking("alice"), "alice", verify=verify)
    assert seen == [public_key_of(_pub("alice"))]


def test_a_key_signs_from_after_it_was_added(r: Record) -> None:
    # A key registered at position p cannot sign the statement at p itself.
    r.ledger.apply(actor("dave"), _sid(100), r.position)
    r.refuses(marking("dave"), "dave", f"added only at position {r.position}")
    r.position += 1
    r.check(marking("dave"), "dave")


def test_a_revocation_is_recorded_and_ends_the_key_after_its_position(r: Record) -> None:
    revoke = payload(
        "actor.key_revoked", "alice", "alice", {"key_id": _kid("alice"), "reason": "r"}
    )
    at = r.position
    r.add("revoke", revoke, "alice")  # the revocation may be signed by the key it revokes
    assert r.ledger.key(_kid("alice")) is not None
    assert r.ledger.key(_kid("alice")).revoked == at  # type: ignore[union-attr]
    r.refuses(marking("alice"), "alice", f"revoked at position {at}")
    r.refuses({**revoke, "author": "adam"}, "adam", "is already revoked")


def test_a_rotation_retires_the_old_key_and_the_new_one_signs(r: Record) -> None:
    rotate = payload("actor.key_rotated", "alice", "alice", {"public_key": _pub("alice2")})
    at = r.position
    r.add("rotate", rotate, "alice")
    assert r.ledger.key(_kid("alice")).retired == at  # type: ignore[union-attr]
    assert r.ledger.key(_kid("alice2")).added == at  # type: ignore[union-attr]
    r.refuses(marking("alice"), "alice", f"retired at position {at} when alice rotated keys")
    r.check(marking("alice"), "alice2")


def test_only_an_organisation_or_administrator_registers_actors(r: Record) -> None:
    new = payload("actor.registered", "zed", "alice", {"name": "z", "role": "observer"})
    r.refuses(new, "alice", "only the organisation or an administrator may sign it, not alice")
    r.check({**new, "author": "adam"}, "adam")
    r.check({**new, "author": "org"}, "org")


def test_a_public_key_belongs_to_one_actor(r: Record) -> None:
    r.refuses(
        actor("zed") | {"body": {"name": "z", "role": "observer", "public_key": _pub("bob")}},
        "org",
        "already registered to bob",
    )
    rotate = payload("actor.key_rotated", "alice", "alice", {"public_key": _pub("bob")})
    r.refuses(rotate, "alice", "already registered to bob")
    # A key reused anyway (in a record that holds it) keeps its first owner.
    r.ledger.apply(rotate, _sid(200), r.position)
    assert r.ledger.key(_kid("bob")).actor == "bob"  # type: ignore[union-attr]


def test_keys_are_changed_by_their_actor_or_an_administrator(r: Record) -> None:
    rotate = payload("actor.key_rotated", "bob", "alice", {"public_key": _pub("new")})
    r.refuses(rotate, "alice", "only bob itself or an administrator may rotate its key, not alice")
    r.check({**rotate, "author": "adam"}, "adam")
    revoke = payload("actor.key_revoked", "bob", "alice", {"key_id": _kid("bob"), "reason": "r"})
    r.refuses(revoke, "alice", "only bob itself or an administrator may revoke its keys")
    r.refuses(
        {**revoke, "author": "adam", "body": {"key_id": _kid("alice"), "reason": "r"}},
        "adam",
        "is not a key of bob",
    )
    r.refuses(
        {**revoke, "author": "adam", "body": {"key_id": "ab" * 32, "reason": "r"}},
        "adam",
        "is not a key of bob",
    )
    r.check({**revoke, "author": "bob"}, "bob")


# -- subjects and refs ---------------------------------------------------------------------


def test_subject_rules(r: Record) -> None:
    again = payload("evidence.registered", "item-1", "alice", {"item_kind": "other", "title": "T"})
    r.refuses(again, "alice", "subject item-1 already exists")
    r.refuses(marking(subject="item-2"), "alice", "item-2 is not an evidence item in this store")
    r.refuses(
        marking(subject="finding-1"),
        "alice",
        "applies to an evidence item, but finding-1 is a finding",
    )
    retract_on_nothing = payload(
        "statement.retracted", "nothing", "alice", {"statement": r.ids["m1"], "reason": "r"}
    )
    r.refuses(retract_on_nothing, "alice", "nothing is not a subject in this store")
    r.refuses(payload("evidence.painted", "item-1", "alice", {}), "alice", "unknown statement kind")


def test_the_same_statement_twice_is_refused(r: Record) -> None:
    with pytest.raises(Rejection, match="the same statement is already at position 7"):
        check_statement(
            r.ledger,
            marking(),
            statement_id=r.ids["m1"],
            signing_key_id=_kid("alice"),
            position=r.position,
            verify=lambda _: True,
        )


def test_refs_name_earlier_statements(r: Record) -> None:
    r.refuses(marking(refs=["ab" * 32]), "alice", "is not a statement in this store before it")
    r.check(marking(refs=[r.ids["m1"]]), "alice")
    revised = payload(
        "finding.revised",
        "finding-1",
        "alice",
        {"claim": "C", "evidence": ["item-1"], "confidence": "low", "reason": "r"},
    )
    r.refuses(revised, "alice", "refs must name the statements that prompted it")
    r.check({**revised, "refs": [r.ids["m1"]]}, "alice")


def test_a_finding_rests_on_evidence_items(r: Record) -> None:
    body = {"claim": "C", "confidence": "low"}
    r.refuses(
        payload("finding.asserted", "f2", "alice", body),
        "alice",
        "must rest on evidence items or on statements",
    )
    r.check(payload("finding.asserted", "f2", "alice", body, [r.ids["m1"]]), "alice")
    r.refuses(
        payload("finding.asserted", "f2", "alice", {**body, "evidence": ["finding-1"]}),
        "alice",
        "finding-1 is not an evidence item",
    )
    r.refuses(
        payload("finding.asserted", "f2", "alice", {**body, "evidence": ["item-1", "nope"]}),
        "alice",
        "nope is not an evidence item",
    )


def test_a_declared_subject_reference_names_another_subject_of_its_type(r: Record) -> None:
    """evidence.derived's source, read from the table's declared refs (issue 11)."""
    r.add(
        "item-2",
        payload("evidence.registered", "item-2", "alice", {"item_kind": "other", "title": "P"}),
        "alice",
    )

    def derived(source: str) -> dict[str, Any]:
        body = {"source": source, "relation": "part-of"}
        return payload("evidence.derived", "item-2", "alice", body)

    r.check(derived("item-1"), "alice")
    r.refuses(derived("finding-1"), "alice", "finding-1 is not an evidence item in this store")
    r.refuses(derived("nope"), "alice", "nope is not an evidence item in this store")
    r.refuses(derived("item-2"), "alice", "evidence.derived cannot name its own subject item-2")


def _challenge(kind: str, ident: str) -> dict[str, Any]:
    body = {
        "target": {"type": kind, "id": ident},
        "challenge_kind": "methodology",
        "attributed_to": "X",
        "claim": "C",
    }
    return payload("challenge.raised", "ch-1", "bob", body)


def test_challenge_targets(r: Record) -> None:
    r.refuses(_challenge("assessment", r.ids["m1"]), "bob", "is not an assessment")
    r.refuses(_challenge("assessment", "cd" * 32), "bob", "is not in this store")
    r.refuses(_challenge("organisation", "alice"), "bob", "target alice is not the organisation")
    r.refuses(_challenge("organisation", "nobody"), "bob", "target nobody is not the organisation")
    r.refuses(_challenge("finding", "item-1"), "bob", "item-1 is not a finding")
    r.refuses(_challenge("actor", "item-1"), "bob", "item-1 is not an actor")
    r.check(_challenge("organisation", "org"), "bob")
    r.check(_challenge("finding", "finding-1"), "bob")
    r.check(_challenge("actor", "alice"), "bob")
    assessed = payload(
        "finding.assessed",
        "finding-1",
        "bob",
        {"stance": "supports", "confidence": "low", "rationale": "r"},
    )
    sid = r.add("assessment", assessed, "bob")
    r.check(_challenge("assessment", sid), "bob")


@pytest.mark.parametrize(
    "fields, words",
    [
        ({"action": "collected"}, "custody action collected needs to_party"),
        ({"action": "transferred", "from_party": "a"}, "custody action transferred needs to_party"),
        ({"action": "transferred", "to_party": "b"}, "needs from_party"),
        ({"action": "stored"}, "needs a location"),
    ],
)
def test_custody_needs_its_parties(r: Record, fields: dict[str, str], words: str) -> None:
    body = {"at": "2024", "performed_by": "x", **fields}
    r.refuses(payload("evidence.custody", "item-1", "alice", body), "alice", words)


@pytest.mark.parametrize(
    "fields",
    [
        {"action": "collected", "to_party": "b"},
        {"action": "transferred", "from_party": "a", "to_party": "b"},
        {"action": "stored", "location": "safe"},
        {"action": "examined"},
    ],
)
def test_custody_with_its_parties_passes(r: Record, fields: dict[str, str]) -> None:
    r.check(
        payload(
            "evidence.custody", "item-1", "alice", {"at": "2024", "performed_by": "x", **fields}
        ),
        "alice",
    )


def _trace(r: Record, target: dict[str, str]) -> dict[str, Any]:
    body = {
        "target": target,
        "addressee": "M",
        "addressee_type": "state",
        "question": "Q",
        "sent_at": "2024",
    }
    return payload("trace.requested", "tr-1", "alice", body)


def test_trace_targets(r: Record) -> None:
    r.refuses(
        _trace(r, {"type": "item", "id": "finding-1"}), "alice", "finding-1 is not an evidence item"
    )
    r.refuses(
        _trace(r, {"type": "component", "id": r.ids["m1"]}), "alice", "is not a component statement"
    )
    r.refuses(
        _trace(r, {"type": "component", "id": "ef" * 32}), "alice", "is not a component statement"
    )
    sid = r.add(
        "component", payload("evidence.component", "item-1", "alice", {"part": "p"}), "alice"
    )
    r.check(_trace(r, {"type": "component", "id": sid}), "alice")
    r.check(_trace(r, {"type": "item", "id": "item-1"}), "alice")


@pytest.mark.parametrize("first", sorted(TRACE_NEXT))
@pytest.mark.parametrize("then", ["acknowledged", "answered", "declined", "no-response"])
def test_trace_status_follows_the_table(r: Record, first: str, then: str) -> None:
    r.add("trace", _trace(r, {"type": "item", "id": "item-1"}), "alice")
    if first != "sent":
        body = {"status": first, "at": "2024", **({"answer": "A"} if first == "answered" else {})}
        r.add("u1", payload("trace.updated", "tr-1", "alice", body), "alice")
    assert r.ledger.trace_status("tr-1") == first
    body = {"status": then, "at": "2024", **({"answer": "A"} if then == "answered" else {})}
    update = payload("trace.updated", "tr-1", "alice", body)
    if then in TRACE_NEXT[first]:
        r.check(update, "alice")
    else:
        r.refuses(update, "alice", f"trace request is {first}; it may become")


def test_an_answer_exactly_when_answered(r: Record) -> None:
    r.add("trace", _trace(r, {"type": "item", "id": "item-1"}), "alice")
    r.refuses(
        payload("trace.updated", "tr-1", "alice", {"status": "answered", "at": "2024"}),
        "alice",
        "an answer is given exactly",
    )
    r.refuses(
        payload(
            "trace.updated", "tr-1", "alice", {"status": "declined", "at": "2024", "answer": "A"}
        ),
        "alice",
        "an answer is given exactly",
    )


def _retract(subject: str, target: str, author: str = "alice") -> dict[str, Any]:
    return payload("statement.retracted", subject, author, {"statement": target, "reason": "r"})


def test_withdrawals(r: Record) -> None:
    m1 = r.ids["m1"]
    r.refuses(_retract("finding-1", m1), "alice", "is not a statement of finding-1")
    r.refuses(_retract("item-1", "ab" * 32), "alice", "is not a statement of item-1")
    r.refuses(
        _retract("item-1", m1, "bob"),
        "bob",
        "only its author alice or an administrator may withdraw",
    )
    r.check(_retract("item-1", m1, "adam"), "adam")
    sid = r.add("r1", _retract("item-1", m1), "alice")
    assert r.ledger.withdrawn(m1)
    r.refuses(_retract("item-1", m1), "alice", "is already withdrawn")
    r.refuses(_retract("item-1", sid, "adam"), "adam", "cannot itself be withdrawn")


def test_supersessions(r: Record) -> None:
    m1 = r.ids["m1"]
    m2 = r.add("m2", marking(), "alice")

    def sup(old: str, new: str) -> dict[str, Any]:
        return payload(
            "statement.superseded",
            "item-1",
            "alice",
            {"statement": old, "superseded_by": new, "reason": "r"},
        )

    r.refuses(sup(m2, m1), "alice", "superseded by a later statement of the same kind")
    r.refuses(sup(m1, m1), "alice", "superseded by a later statement of the same kind")
    r.refuses(sup(r.ids["item"], m2), "alice", "superseded by a later statement of the same kind")
    r.refuses(sup(m1, r.ids["finding"]), "alice", "is not a statement of item-1")
    r.refuses(sup(m1, "ab" * 32), "alice", "is not a statement of item-1")
    r.check(sup(m1, m2), "alice")


def test_the_ledger_notes_a_trusted_prefix_without_payloads() -> None:
    ledger = Ledger("00" * 32)
    ledger.note(_sid(1), "evidence.registered", "item-9", 4)
    ledger.note(_sid(2), "evidence.marking", "item-9", 5)
    assert ledger.subject_type("item-9") == "evidence"
    assert ledger.statement(_sid(2)) is not None and ledger.statement(_sid(2)).position == 5  # type: ignore[union-attr]
    assert ledger.author_of(_sid(2)) is None and ledger.trace_status("item-9") == "sent"
    assert (
        ledger.actor("x") is None and not ledger.holds_keys("x") and not ledger.withdrawn(_sid(1))
    )


def test_an_actor_fact_says_who_may_register() -> None:
    assert ActorFact("organisation", False, 0).may_register
    assert ActorFact("researcher", True, 0).may_register
    assert not ActorFact("researcher", False, 0).may_register


def test_public_keys_are_canonical_base64_of_32_bytes() -> None:
    assert public_key_of(_pub("a")) == hashlib.sha256(b"a").digest()
    for bad in ("", "AAAA", _pub("a")[:-1] + "B", base64.b64encode(b"x" * 31).decode()):
        with pytest.raises(ValueError):
            public_key_of(bad)


def test_the_statement_at_a_keys_end_may_be_signed_by_it(r: Record) -> None:
    """statements.md 5.1: valid up to and including the position that retired or revoked it."""
    key = r.ledger.key(_kid("alice"))
    assert key is not None
    key.revoked = r.position
    r.check(marking("alice"), "alice")
    key.revoked, key.retired = None, r.position
    r.check(marking("alice"), "alice")
    key.retired = r.position - 1
    r.refuses(marking("alice"), "alice", "retired at position")


def test_a_rotation_retires_only_the_rotating_actors_key(r: Record) -> None:
    r.add(
        "rotate",
        payload("actor.key_rotated", "alice", "alice", {"public_key": _pub("a2")}),
        "alice",
    )
    assert r.ledger.key(_kid("bob")).retired is None  # type: ignore[union-attr]
    r.check(marking("bob"), "bob")


def test_a_second_revocation_in_a_record_keeps_the_first_position(r: Record) -> None:
    revoke = payload("actor.key_revoked", "bob", "bob", {"key_id": _kid("bob"), "reason": "r"})
    r.ledger.apply(revoke, _sid(300), 20)
    r.ledger.apply(revoke, _sid(301), 30)
    assert r.ledger.key(_kid("bob")).revoked == 20  # type: ignore[union-attr]


def test_a_subject_takes_the_type_of_the_statement_that_created_it() -> None:
    ledger = Ledger("00" * 32)
    ledger.note(_sid(1), "evidence.marking", "x", 1)  # out of order, in a damaged record
    assert ledger.subject_type("x") is None
    ledger.note(_sid(2), "evidence.registered", "x", 2)
    assert ledger.subject_type("x") == "evidence"
    ledger.note(_sid(3), "finding.asserted", "x", 3)
    assert ledger.subject_type("x") == "evidence"


def test_a_trace_status_message_lists_what_may_follow(r: Record) -> None:
    r.add("trace", _trace(r, {"type": "item", "id": "item-1"}), "alice")
    r.add(
        "u",
        payload("trace.updated", "tr-1", "alice", {"status": "declined", "at": "2024"}),
        "alice",
    )
    closed = payload("trace.updated", "tr-1", "alice", {"status": "acknowledged", "at": "2024"})
    r.refuses(
        closed, "alice", r"trace request is declined; it may become nothing \(it is closed\)$"
    )
    with pytest.raises(Rejection, match=r"may become answered, declined, no-response$"):
        check_statement(
            _with_trace(r, "acknowledged"),
            closed,
            statement_id=_sid(999),
            signing_key_id=_kid("alice"),
            position=r.position,
            verify=lambda _: True,
        )


def _with_trace(r: Record, status: str) -> Ledger:
    r.ledger.traces["tr-1"] = status
    return r.ledger


def test_a_public_key_that_is_not_canonical_base64_is_a_rejection(r: Record) -> None:
    """A key ending "...AB=" decodes to 32 bytes but is not their base64: refused, no crash."""
    loose = _pub("zed")[:-2] + ("B" if _pub("zed")[-2] != "B" else "C") + "="
    body = {"name": "z", "role": "observer", "public_key": loose}
    r.refuses(payload("actor.registered", "zed", "org", body), "org", "not the canonical base64")
    rotate = payload("actor.key_rotated", "alice", "alice", {"public_key": loose})
    r.refuses(rotate, "alice", "not the canonical base64")
    genesis = {**GENESIS, "body": {**GENESIS["body"], "public_key": loose}}
    Record().refuses(genesis, "org", "not the canonical base64")
