"""The lifecycle kinds through Store.append and the audit: custody, components,
Admiralty grading, trace requests, retraction and supersession, key rotation and
revocation.

Every refusal is checked with ``world.refuses``, which also proves that nothing
was written (store size and the raw stored_events and statement_index row counts).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

import pytest
from conftest import ISSUED_AT, World, force_into_sqlite

from provenance.audit import AuditReport, audit
from provenance.canonical import canonical_json
from provenance.envelope import parse_envelope, sign_payload
from provenance.errors import InputError
from provenance.store import DB_NAME, Receipt

ITEM = "item-1"


@pytest.fixture
def w(world: World) -> World:
    """The small store plus evidence items item-1 and item-2 (registered by alice)."""
    world.evidence(ITEM)
    world.evidence("item-2")
    return world


def _state(world: World, subject: str) -> dict[str, Any]:
    state = world.store.subject_state(subject)
    assert state is not None, subject
    return state


def _clean_audit(world: World) -> AuditReport:
    report = audit(world.store)
    assert report.ok, [p.describe() for p in report.problems]
    return report


def _custody(world: World, action: str, signer: str = "alice", **fields: Any) -> Receipt:
    body = {"action": action, "at": "2024-08-01", "performed_by": "Field team", **fields}
    return world.put(signer, "evidence.custody", ITEM, body)


def _marking(world: World, text: str, signer: str = "alice", subject: str = ITEM) -> Receipt:
    return world.put(signer, "evidence.marking", subject, {"text": text})


def _component(world: World, part: str = "voltage regulator", **fields: Any) -> Receipt:
    return world.put("alice", "evidence.component", ITEM, {"part": part, **fields})


# -- custody ------------------------------------------------------------------------


def test_collected_without_to_party_is_refused(w: World) -> None:
    """collected must say who holds the item afterwards."""
    with w.refuses("custody action collected needs to_party"):
        _custody(w, "collected")


@pytest.mark.parametrize(
    ("fields", "missing"),
    [({"to_party": "Lab"}, "from_party"), ({"from_party": "Field team"}, "to_party")],
    ids=["without from", "without to"],
)
def test_transferred_needs_from_and_to(w: World, fields: dict[str, str], missing: str) -> None:
    """transferred needs both who handed the item over and who received it."""
    with w.refuses(f"custody action transferred needs {missing}"):
        _custody(w, "transferred", **fields)


def test_stored_needs_a_location(w: World) -> None:
    """stored must say where."""
    with w.refuses("custody action stored needs a location"):
        _custody(w, "stored", to_party="Lab")


def test_custody_on_a_finding_is_refused(w: World) -> None:
    """Custody applies to evidence items only."""
    w.finding("finding-1", [ITEM])
    body = {"action": "examined", "at": "2024-08-01", "performed_by": "Lab"}
    with w.refuses("evidence.custody applies to an evidence item, but finding-1 is a finding"):
        w.put("alice", "evidence.custody", "finding-1", body)


def test_a_custody_chain_is_kept_in_order(w: World) -> None:
    """A valid chain (collected, transferred with a change, examined, stored) is accepted
    and the item's state lists every link in order, with who recorded it."""
    change = {"description": "Swab taken", "made_by": "Lab", "reason": "Residue analysis"}
    receipts = [
        _custody(w, "collected", to_party="Field team", location="Site A"),
        _custody(
            w,
            "transferred",
            signer="bob",
            from_party="Field team",
            to_party="Lab",
            method="sealed bag 0042",
            changes=[change],
        ),
        _custody(w, "examined", condition="intact", purpose="marking reading"),
        _custody(w, "stored", location="Vault 3"),
    ]
    custody = _state(w, ITEM)["custody"]
    assert [c["action"] for c in custody] == ["collected", "transferred", "examined", "stored"]
    assert [c["statement_id"] for c in custody] == [r.statement_id for r in receipts]
    assert [c["position"] for c in custody] == sorted(c["position"] for c in custody)
    assert custody[1]["changes"] == [change]
    assert custody[1]["author"] == "bob" and custody[1]["to_party"] == "Lab"
    assert custody[3]["location"] == "Vault 3"
    _clean_audit(w)


# -- components and grading --------------------------------------------------------------


def test_components_are_recorded_on_the_item(w: World) -> None:
    """Each component statement is listed on the item with every field given."""
    first = _component(w, manufacturer="Example Corp", date_code="2334", lot="L7")
    _component(w, part="gyroscope", country="Country X")
    components = _state(w, ITEM)["components"]
    assert [c["part"] for c in components] == ["voltage regulator", "gyroscope"]
    assert components[0]["statement_id"] == first.statement_id
    assert components[0]["date_code"] == "2334" and components[0]["lot"] == "L7"
    assert "manufacturer" not in components[1]


def test_grading_sets_the_items_grade(w: World) -> None:
    """The item's grade is reliability + credibility of its latest grading; all are kept."""
    w.put(
        "alice", "evidence.graded", ITEM, {"reliability": "B", "credibility": 2, "rationale": "r"}
    )
    assert _state(w, ITEM)["grade"] == "B2"
    w.put("bob", "evidence.graded", ITEM, {"reliability": "A", "credibility": 1, "rationale": "s"})
    state = _state(w, ITEM)
    assert state["grade"] == "A1"
    assert [(g["reliability"], g["credibility"], g["author"]) for g in state["grades"]] == [
        ("B", 2, "alice"),
        ("A", 1, "bob"),
    ]


def _raw_signed(world: World, signer: str, kind: str, subject: str, body: dict[str, Any]) -> bytes:
    """An envelope signed without the model's checks (build_payload would refuse it)."""
    payload = canonical_json(
        {
            "author": signer,
            "body": body,
            "format": 1,
            "issued_at": ISSUED_AT,
            "kind": kind,
            "refs": [],
            "subject": subject,
        }
    )
    return sign_payload(payload, world.keys[signer].private_key)


@pytest.mark.parametrize(
    ("grade", "allowed"),
    [
        ({"reliability": "G", "credibility": 2}, "'A', 'B', 'C', 'D', 'E' or 'F'"),
        ({"reliability": "a", "credibility": 2}, "'A', 'B', 'C', 'D', 'E' or 'F'"),
        ({"reliability": "B", "credibility": 7}, "1, 2, 3, 4, 5 or 6"),
        ({"reliability": "B", "credibility": 0}, "1, 2, 3, 4, 5 or 6"),
        ({"reliability": "B", "credibility": "2"}, "1, 2, 3, 4, 5 or 6"),
    ],
    ids=["reliability G", "lower-case a", "credibility 7", "credibility 0", "credibility '2'"],
)
def test_grade_outside_the_admiralty_scale_is_refused(
    w: World, grade: dict[str, Any], allowed: str
) -> None:
    """A grading outside A-F / 1-6 is refused by the store, naming the allowed values."""
    raw = _raw_signed(w, "alice", "evidence.graded", ITEM, {**grade, "rationale": "r"})
    with w.refuses(f"evidence.graded: body.(reliability|credibility): .*{allowed}", InputError):
        w.store.append(raw)
    assert "grade" not in _state(w, ITEM)


# -- trace requests ---------------------------------------------------------------------


def _request(world: World, target_type: str, target_id: str, trace: str = "trace-1") -> Receipt:
    body = {
        "target": {"type": target_type, "id": target_id},
        "addressee": "Example Corp",
        "addressee_type": "manufacturer",
        "question": "To whom was this lot sold?",
        "sent_at": "2024-09-01",
    }
    return world.put("alice", "trace.requested", trace, body)


def _update(
    world: World, status: str, answer: str | None = None, trace: str = "trace-1"
) -> Receipt:
    # A different date each time, so that no update is a duplicate of an earlier one.
    body = {"status": status, "at": f"2024-10-{world.store.subject_version(trace):02d}"}
    if answer is not None:
        body["answer"] = answer
    return world.put("alice", "trace.updated", trace, body)


def test_trace_request_about_an_item(w: World) -> None:
    """A request about an evidence item creates a trace subject in status sent."""
    receipt = _request(w, "item", ITEM)
    assert (receipt.subject, receipt.version) == ("trace-1", 1)
    state = _state(w, "trace-1")
    assert state["type"] == "trace" and state["status"] == "sent"
    assert state["target"] == {"type": "item", "id": ITEM}
    assert state["updates"] == []


def test_trace_request_about_a_component(w: World) -> None:
    """A request may name a component statement by its id."""
    component = _component(w)
    _request(w, "component", component.statement_id)
    assert _state(w, "trace-1")["target"]["id"] == component.statement_id


@pytest.mark.parametrize("what", ["marking", "registration", "unknown"])
def test_trace_request_about_a_non_component_statement_is_refused(w: World, what: str) -> None:
    """component: must name an evidence.component statement, not another or none."""
    if what == "marking":
        target: str = _marking(w, "2024").statement_id
    elif what == "registration":
        target = _state(w, ITEM)["created"]["statement_id"]
    else:
        target = "ab" * 32
    with w.refuses(f"{target[:16]} is not a component statement"):
        _request(w, "component", target)


@pytest.mark.parametrize("target", ["item-9", "finding-1"])
def test_trace_request_about_a_non_item_is_refused(w: World, target: str) -> None:
    """item: must name an evidence item of this store."""
    w.finding("finding-1", [ITEM])
    with w.refuses(f"{target} is not an evidence item in this store"):
        _request(w, "item", target)


def test_trace_lifecycle_sent_acknowledged_answered(w: World) -> None:
    """sent -> acknowledged -> answered is accepted; the state follows with the answer."""
    _request(w, "item", ITEM)
    _update(w, "acknowledged")
    assert _state(w, "trace-1")["status"] == "acknowledged"
    _update(w, "answered", "Sold to distributor Y.")
    state = _state(w, "trace-1")
    assert state["status"] == "answered" and state["answer"] == "Sold to distributor Y."
    assert [u["status"] for u in state["updates"]] == ["acknowledged", "answered"]
    _clean_audit(w)


def test_answered_without_an_answer_is_refused(w: World) -> None:
    """answered must carry the answer."""
    _request(w, "item", ITEM)
    with w.refuses("an answer is given exactly when the status is answered"):
        _update(w, "answered")


@pytest.mark.parametrize("status", ["acknowledged", "declined", "no-response"])
def test_an_answer_with_another_status_is_refused(w: World, status: str) -> None:
    """An answer is only given with status answered."""
    _request(w, "item", ITEM)
    with w.refuses("an answer is given exactly when the status is answered"):
        _update(w, status, "An answer.")


@pytest.mark.parametrize("closed", ["answered", "declined"])
@pytest.mark.parametrize("status", ["acknowledged", "answered", "declined", "no-response"])
def test_nothing_follows_a_closed_trace(w: World, closed: str, status: str) -> None:
    """After answered or declined, every update is refused, naming the current status."""
    _request(w, "item", ITEM)
    _update(w, closed, "Yes." if closed == "answered" else None)
    with w.refuses(f"trace request is {closed}; it may become nothing \\(it is closed\\)"):
        _update(w, status, "Again." if status == "answered" else None)


def test_the_same_status_twice_is_refused(w: World) -> None:
    """acknowledged cannot follow acknowledged; the message lists what may follow."""
    _request(w, "item", ITEM)
    _update(w, "acknowledged")
    with w.refuses("trace request is acknowledged; it may become answered, declined, no-response"):
        _update(w, "acknowledged")


def test_no_response_then_answered_is_accepted(w: World) -> None:
    """A late answer after no-response is recorded."""
    _request(w, "item", ITEM)
    _update(w, "no-response")
    _update(w, "answered", "Late answer.")
    assert _state(w, "trace-1")["status"] == "answered"


def test_trace_update_on_an_item_is_refused(w: World) -> None:
    """trace.updated applies to a trace request only."""
    with w.refuses(f"trace.updated applies to a trace request, but {ITEM} is an evidence item"):
        _update(w, "acknowledged", trace=ITEM)


# -- retraction and supersession -----------------------------------------------------------


def _retract(world: World, signer: str, statement: str, subject: str = ITEM) -> Receipt:
    body = {"statement": statement, "reason": f"withdrawn by {signer}"}
    return world.put(signer, "statement.retracted", subject, body)


def _supersede(world: World, old: str, new: str, signer: str = "alice") -> Receipt:
    body = {"statement": old, "superseded_by": new, "reason": "re-read"}
    return world.put(signer, "statement.superseded", ITEM, body)


def test_the_author_retracts_its_own_statement_and_nothing_is_deleted(w: World) -> None:
    """The entry is marked retracted (reason, who) in the state, and stays in the history."""
    marking = _marking(w, "2024")
    size = w.store.size()
    retraction = _retract(w, "alice", marking.statement_id)
    assert retraction.subject == ITEM and w.store.size() == size + 1
    state = _state(w, ITEM)
    mark = state["markings"][0]
    assert mark["text"] == "2024"
    assert mark["withdrawn"]["reason"] == "withdrawn by alice"
    assert mark["withdrawn"]["author"] == "alice"
    assert mark["withdrawn"]["statement_id"] == retraction.statement_id
    assert [x["statement"] for x in state["withdrawals"]] == [marking.statement_id]
    history = [r.statement_id for r in w.store.subject_records(ITEM)]
    assert marking.statement_id in history and history[-1] == retraction.statement_id
    assert w.store.statement(marking.statement_id).statement.kind == "evidence.marking"
    _clean_audit(w)


def test_another_non_admin_may_not_retract(w: World) -> None:
    """bob may not retract alice's statement."""
    marking = _marking(w, "2024")
    with w.refuses(
        f"only its author alice or an administrator may withdraw {marking.statement_id[:16]}"
    ):
        _retract(w, "bob", marking.statement_id)


def test_an_administrator_may_retract(w: World) -> None:
    """The organisation (admin) may retract alice's statement; the mark names it."""
    marking = _marking(w, "2024")
    _retract(w, "root", marking.statement_id)
    assert _state(w, ITEM)["markings"][0]["withdrawn"]["author"] == "org"


def test_a_creating_statement_may_be_retracted(w: World) -> None:
    """Retracting the registration marks the subject itself."""
    created = _state(w, "item-2")["created"]["statement_id"]
    _retract(w, "alice", created, subject="item-2")
    assert _state(w, "item-2")["withdrawn"]["reason"] == "withdrawn by alice"


def test_a_statement_is_retracted_on_its_own_subject(w: World) -> None:
    """A retraction appended to another subject than the withdrawn statement's is refused."""
    marking = _marking(w, "2024")
    with w.refuses(f"{marking.statement_id[:16]}… is not a statement of item-2"):
        _retract(w, "alice", marking.statement_id, subject="item-2")


def test_retracting_an_unknown_statement_is_refused(w: World) -> None:
    """The withdrawn statement must be in the store."""
    with w.refuses(f"{'cd' * 8}… is not a statement of {ITEM}"):
        _retract(w, "alice", "cd" * 32)


def test_retracting_twice_is_refused(w: World) -> None:
    """A statement is withdrawn once."""
    marking = _marking(w, "2024")
    _retract(w, "alice", marking.statement_id)
    with w.refuses("is already withdrawn"):
        _retract(w, "root", marking.statement_id)


def test_retracting_a_retraction_is_refused(w: World) -> None:
    """A retraction cannot itself be withdrawn."""
    marking = _marking(w, "2024")
    retraction = _retract(w, "alice", marking.statement_id)
    with w.refuses("a retraction or supersession cannot itself be withdrawn"):
        _retract(w, "alice", retraction.statement_id)


def test_supersession_by_a_later_statement_of_the_same_kind(w: World) -> None:
    """The old entry is marked superseded (by, reason, who); both stay in the state."""
    old, new = _marking(w, "2O24"), _marking(w, "2024")
    _supersede(w, old.statement_id, new.statement_id)
    marks = _state(w, ITEM)["markings"]
    assert [m["text"] for m in marks] == ["2O24", "2024"]
    superseded = marks[0]["withdrawn"]
    assert superseded["superseded_by"] == new.statement_id
    assert (superseded["reason"], superseded["author"]) == ("re-read", "alice")
    assert "withdrawn" not in marks[1]
    _clean_audit(w)


def test_supersession_by_an_earlier_statement_is_refused(w: World) -> None:
    """The replacement must come later in the store's order."""
    old, new = _marking(w, "a"), _marking(w, "b")
    with w.refuses("a statement is superseded by a later statement of the same kind"):
        _supersede(w, new.statement_id, old.statement_id)


def test_supersession_by_another_kind_is_refused(w: World) -> None:
    """A marking is not superseded by a component."""
    old, other = _marking(w, "a"), _component(w)
    with w.refuses("a statement is superseded by a later statement of the same kind"):
        _supersede(w, old.statement_id, other.statement_id)


def test_supersession_by_a_statement_of_another_subject_is_refused(w: World) -> None:
    """The replacement must be in the same subject."""
    old, elsewhere = _marking(w, "a"), _marking(w, "b", subject="item-2")
    with w.refuses(f"{elsewhere.statement_id[:16]}… is not a statement of {ITEM}"):
        _supersede(w, old.statement_id, elsewhere.statement_id)


def test_a_superseded_statement_cannot_be_retracted(w: World) -> None:
    """Once superseded, a statement is withdrawn; retracting it too is refused."""
    old, new = _marking(w, "a"), _marking(w, "b")
    _supersede(w, old.statement_id, new.statement_id)
    with w.refuses("is already withdrawn"):
        _retract(w, "alice", old.statement_id)


def test_another_non_admin_may_not_supersede(w: World) -> None:
    """Supersession follows the same author-or-admin rule as retraction."""
    old, new = _marking(w, "a"), _marking(w, "b", signer="bob")
    with w.refuses("only its author alice or an administrator"):
        _supersede(w, old.statement_id, new.statement_id, signer="bob")


# -- keys: rotation -------------------------------------------------------------------------


def _rotate(world: World, signer: str, actor: str, new_key: str) -> Receipt:
    body = {"public_key": world.keys[new_key].public_b64, "reason": "rotation"}
    return world.put(signer, "actor.key_rotated", actor, body)


def _revoke(
    world: World, signer: str, actor: str, key: str, reason: str = "laptop stolen"
) -> Receipt:
    body = {"key_id": world.keys[key].key_id, "reason": reason}
    return world.put(signer, "actor.key_revoked", actor, body)


def _key_of(world: World, name: str, actor: str) -> None:
    world.new_key(name)
    world.authors[name] = actor


def test_rotation_by_the_actors_own_key_retires_the_old_key(w: World) -> None:
    """After alice rotates, her old key is refused ('retired at position N') and the new
    key signs; her state lists both keys; the audit agrees."""
    _key_of(w, "alice2", "alice")
    rotation = _rotate(w, "alice", "alice", "alice2")
    with w.refuses(f"retired at position {rotation.position} when alice rotated keys"):
        _marking(w, "old key")
    _marking(w, "new key", signer="alice2")
    state = _state(w, "alice")
    assert state["key_id"] == w.keys["alice2"].key_id
    keys = {k["key_id"]: k for k in state["keys"]}
    assert keys[w.keys["alice"].key_id]["retired"]["position"] == rotation.position
    assert "retired" not in keys[w.keys["alice2"].key_id]
    _clean_audit(w)


def test_rotation_by_another_non_admin_is_refused(w: World) -> None:
    """bob may not give alice a new key."""
    _key_of(w, "alice2", "alice")
    with w.refuses("only alice itself or an administrator may rotate its key, not bob"):
        _rotate(w, "bob", "alice", "alice2")


def test_rotation_by_an_administrator_is_accepted(w: World) -> None:
    """The organisation may rotate alice's key (e.g. when she lost it)."""
    _key_of(w, "alice2", "alice")
    rotation = _rotate(w, "root", "alice", "alice2")
    with w.refuses(f"retired at position {rotation.position}"):
        _marking(w, "old key")
    _marking(w, "new key", signer="alice2")
    _clean_audit(w)


@pytest.mark.parametrize("holder", ["bob", "alice"])
def test_rotation_to_a_key_already_registered_is_refused(w: World, holder: str) -> None:
    """A public key belongs to one actor: rotating to bob's key (or alice's own) is refused."""
    with w.refuses(f"that public key is already registered to {holder}"):
        _rotate(w, "alice", "alice", holder)


def test_rotation_back_to_a_retired_key_is_refused(w: World) -> None:
    """A retired key stays registered: it cannot come back by rotation."""
    _key_of(w, "alice2", "alice")
    _rotate(w, "alice", "alice", "alice2")
    with w.refuses("that public key is already registered to alice"):
        _rotate(w, "alice2", "alice", "alice")


def test_registering_an_actor_with_a_rotated_in_key_is_refused(w: World) -> None:
    """A key added by rotation cannot then be registered to a new actor."""
    _key_of(w, "alice2", "alice")
    _rotate(w, "alice", "alice", "alice2")
    with w.refuses("that public key is already registered to alice"):
        w.register("carol", w.keys["alice2"])


# -- keys: revocation -----------------------------------------------------------------------


def test_revocation_ends_a_key_but_not_what_it_signed(w: World) -> None:
    """alice revokes her current key: what it signed before stays valid (the audit is
    clean), anything signed with it afterwards is refused ('revoked at position N')."""
    before = _marking(w, "before")
    revocation = _revoke(w, "alice", "alice", "alice")
    with w.refuses(f"revoked at position {revocation.position}"):
        _marking(w, "after")
    assert w.store.has_statement(before.statement_id)
    state = _state(w, "alice")
    assert "key_id" not in state
    assert state["keys"][0]["revoked"]["position"] == revocation.position
    _clean_audit(w)


def test_a_backdated_statement_by_a_revoked_key_is_refused(w: World) -> None:
    """issued_at claimed before the revocation changes nothing: the store's order decides."""
    revocation = _revoke(w, "alice", "alice", "alice")
    with w.refuses(f"revoked at position {revocation.position}"):
        w.put("alice", "evidence.marking", ITEM, {"text": "x"}, issued_at="2020-01-01T00:00:00Z")


def test_after_revocation_an_admin_can_give_a_new_key(w: World) -> None:
    """The revoked key stays refused, the new key rotated in by the admin signs."""
    revocation = _revoke(w, "root", "alice", "alice")
    _key_of(w, "alice2", "alice")
    _rotate(w, "root", "alice", "alice2")
    with w.refuses(f"revoked at position {revocation.position}"):
        _marking(w, "old")
    _marking(w, "new", signer="alice2")
    _clean_audit(w)


def test_revoking_a_retired_key_reports_revocation(w: World) -> None:
    """A retired key later revoked is refused as revoked."""
    _key_of(w, "alice2", "alice")
    _rotate(w, "alice", "alice", "alice2")
    revocation = _revoke(w, "alice2", "alice", "alice")
    with w.refuses(f"revoked at position {revocation.position}"):
        _marking(w, "old")
    _clean_audit(w)


def test_revocation_by_another_non_admin_is_refused(w: World) -> None:
    """bob may not revoke alice's key."""
    with w.refuses("only alice itself or an administrator may revoke its keys, not bob"):
        _revoke(w, "bob", "alice", "alice")


@pytest.mark.parametrize("key", ["bob", "unknown"])
def test_revoking_a_key_the_actor_does_not_hold_is_refused(w: World, key: str) -> None:
    """The key must be one of the subject actor's keys."""
    if key == "unknown":
        w.new_key("unknown")
    with w.refuses(f"{w.keys[key].key_id[:16]}… is not a key of alice"):
        _revoke(w, "root", "alice", key)


def test_revoking_twice_is_refused(w: World) -> None:
    """A key is revoked once."""
    _revoke(w, "root", "alice", "alice")
    with w.refuses(f"key {w.keys['alice'].key_id[:16]}… is already revoked"):
        _revoke(w, "root", "alice", "alice", reason="again")


# -- the audit against rows written behind the store's back ------------------------------------


@contextmanager
def _db(world: World) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(world.store_dir / DB_NAME)) as con:
        yield con
        con.commit()


def _insert_behind_the_store(world: World, raw: bytes) -> int:
    """Insert an event row, a matching index row and the log's nodes directly."""
    return force_into_sqlite(world.store_dir, raw)


def test_a_backdated_statement_inserted_behind_the_store_is_reported(w: World) -> None:
    """A statement by the revoked key, dated before the revocation, slipped into the tables
    with sqlite3: the audit names its position and the key that was no longer valid."""
    revocation = _revoke(w, "alice", "alice", "alice")
    raw = w.sign("alice", "evidence.marking", ITEM, {"text": "x"}, issued_at="2020-01-01T00:00:00Z")
    position = _insert_behind_the_store(w, raw)
    report = audit(w.store)
    found = [p for p in report.problems if p.position == position]
    assert len(found) == 1, [p.describe() for p in report.problems]
    message = found[0].message
    assert w.keys["alice"].key_id[:16] in message
    assert f"revoked at position {revocation.position}" in message
    assert found[0].statement_id == parse_envelope(raw).statement_id
    assert all(p.position == position for p in report.problems), report.problems


def test_a_statement_by_a_retired_key_inserted_behind_the_store_is_reported(w: World) -> None:
    """The same for a key retired by rotation."""
    _key_of(w, "alice2", "alice")
    rotation = _rotate(w, "alice", "alice", "alice2")
    raw = w.sign("alice", "evidence.marking", ITEM, {"text": "x"}, issued_at="2020-01-01T00:00:00Z")
    position = _insert_behind_the_store(w, raw)
    problems = [p for p in audit(w.store).problems if p.position == position]
    assert problems and f"retired at position {rotation.position}" in problems[0].message


def test_an_inserted_statement_by_a_valid_key_passes_the_audit(w: World) -> None:
    """Control for the two tests above: the same insertion with a valid key is clean."""
    _revoke(w, "root", "bob", "bob")
    raw = w.sign("alice", "evidence.marking", ITEM, {"text": "x"})
    _insert_behind_the_store(w, raw)
    _clean_audit(w)


def test_a_retraction_by_another_non_admin_inserted_behind_the_store_is_reported(
    w: World,
) -> None:
    """bob's retraction of alice's marking, which the store refuses, slipped into the tables:
    the audit must name it, as it names key changes and registrations by a non-admin."""
    marking = _marking(w, "2024")
    raw = w.sign(
        "bob", "statement.retracted", ITEM, {"statement": marking.statement_id, "reason": "r"}
    )
    with w.refuses("only its author alice or an administrator"):
        w.store.append(raw)
    position = _insert_behind_the_store(w, raw)
    problems = [p for p in audit(w.store).problems if p.position == position]
    assert problems, "the audit accepts a withdrawal the store would have refused"


def test_clearing_a_revocation_in_the_keys_table_is_reported(w: World) -> None:
    """revoked_position cleared with sqlite3: the audit reports the keys table disagreeing;
    and what the store then wrongly accepts with that key is reported too."""
    revocation = _revoke(w, "alice", "alice", "alice")
    key_id = w.keys["alice"].key_id
    with _db(w) as con:
        con.execute("UPDATE actor_keys SET revoked_position = NULL WHERE key_id = ?", (key_id,))
    report = audit(w.store)
    assert [p.message for p in report.problems] == [
        f"actor_keys table disagrees with the statements about key {key_id[:16]}"
    ]
    assert report.problems[0].subject == "alice"
    accepted = _marking(w, "after the tampering")  # the store trusts its table
    problems = audit(w.store).problems
    assert any(
        p.position == accepted.position
        and f"revoked at position {revocation.position}" in p.message
        for p in problems
    ), [p.describe() for p in problems]


@pytest.mark.parametrize(
    ("column", "value"),
    [("retired_position", 3), ("added_position", 0), ("actor_id", "bob")],
)
def test_other_keys_table_tampering_is_reported(w: World, column: str, value: Any) -> None:
    """Any change to a key's row (retired, added, owner) is reported by the audit."""
    key_id = w.keys["alice"].key_id
    with _db(w) as con:
        con.execute(f"UPDATE actor_keys SET {column} = ? WHERE key_id = ?", (value, key_id))
    messages = [p.message for p in audit(w.store).problems]
    assert f"actor_keys table disagrees with the statements about key {key_id[:16]}" in messages


# -- body rules, slipped in behind the store: the audit checks them again ------------


def _slipped_in(w: World, raw: bytes, refused: str) -> list[str]:
    """The store refuses ``raw``; inserted with sqlite3, the audit must name it."""
    with w.refuses(refused):
        w.store.append(raw)
    position = _insert_behind_the_store(w, raw)
    return [p.message for p in audit(w.store).problems if p.position == position]


def test_a_transfer_without_its_sender_slipped_in_is_reported(w: World) -> None:
    body = {"action": "transferred", "at": "2024-08-02", "performed_by": "x", "to_party": "y"}
    raw = w.sign("alice", "evidence.custody", ITEM, body)
    messages = _slipped_in(w, raw, "needs from_party")
    assert any("needs from_party" in m for m in messages), messages


def test_a_trace_update_after_it_was_declined_slipped_in_is_reported(w: World) -> None:
    request = {
        "target": {"type": "item", "id": ITEM},
        "addressee": "Maker",
        "addressee_type": "manufacturer",
        "question": "Who bought it?",
        "sent_at": "2024-09-01",
    }
    w.store.append(w.sign("alice", "trace.requested", "trace-1", request))
    w.store.append(
        w.sign("alice", "trace.updated", "trace-1", {"status": "declined", "at": "2024-09-02"})
    )
    late = w.sign(
        "alice",
        "trace.updated",
        "trace-1",
        {"status": "answered", "at": "2024-09-03", "answer": "A"},
    )
    messages = _slipped_in(w, late, "trace request is declined")
    assert any("trace request is declined" in m for m in messages), messages


def test_a_finding_on_something_that_is_not_evidence_slipped_in_is_reported(w: World) -> None:
    body = {"claim": "C", "evidence": ["alice"], "confidence": "low"}
    raw = w.sign("alice", "finding.asserted", "finding-x", body)
    messages = _slipped_in(w, raw, "alice is not an evidence item")
    assert any("alice is not an evidence item" in m for m in messages), messages


def test_a_supersession_by_an_earlier_statement_slipped_in_is_reported(w: World) -> None:
    first = _marking(w, "1")
    second = _marking(w, "2")
    body = {"statement": second.statement_id, "superseded_by": first.statement_id, "reason": "r"}
    raw = w.sign("alice", "statement.superseded", ITEM, body)
    messages = _slipped_in(w, raw, "superseded by a later statement")
    assert any("superseded by a later statement of the same kind" in m for m in messages), messages


def test_a_key_registered_to_a_second_actor_slipped_in_is_reported(w: World) -> None:
    """The store refuses bob's rotation to alice's key; slipped in, the audit names it."""
    body = {"public_key": w.keys["alice"].public_b64}
    raw = w.sign("bob", "actor.key_rotated", "bob", body)
    messages = _slipped_in(w, raw, "already registered to alice")
    assert any("already registered to alice" in m for m in messages), messages
