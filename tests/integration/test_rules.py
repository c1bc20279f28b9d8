"""The store's acceptance rules, checked through Store.append.

Every refusal is checked with ``world.refuses``, which also proves that nothing
was written: store.size() and the raw row counts of stored_events and
statement_index are the same before and after. Every test runs on SQLite and on
PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ISSUED_AT, ORG, World, is_pg, raw_db

from provenance.authoring import init_store, sign_statement
from provenance.errors import InputError, StatementRejected, StoreError
from provenance.keys import KeyRing, SigningKey
from provenance.store import DB_NAME, Store

BACKENDS = ("sqlite", "postgres")

NewStore = Callable[[str], Path | str]


def _left_behind(where: Path | str) -> list[str]:
    """What a store location holds of a store: the database files (SQLite), or every
    relation, function and type in the schema (PostgreSQL)."""
    if not is_pg(where):
        return sorted(p.name for p in Path(where).glob(f"{DB_NAME}*"))
    schema = str(where).partition("?schema=")[2]
    with raw_db(where) as db:
        found = db.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = ? UNION ALL "
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = ? UNION ALL "
            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = ?",
            (schema, schema, schema),
        ).fetchall()
    return sorted(r[0] for r in found)


def _evidence_body(title: str = "Item") -> dict[str, Any]:
    return {"item_kind": "other", "title": title}


def _challenge_body(target_type: str, target_id: str) -> dict[str, Any]:
    return {
        "target": {"type": target_type, "id": target_id},
        "challenge_kind": "impartiality",
        "attributed_to": "Delegation X",
        "claim": "Not impartial.",
    }


# -- genesis ------------------------------------------------------------------


def test_first_statement_is_the_organisation_registering_its_root_key(world: World) -> None:
    """Position 0 is the organisation's self-registration with the pinned root key."""
    first = next(world.store.iter_records())
    assert first.position == 0 and first.version == 1
    assert first.statement.kind == "actor.registered"
    assert first.subject == first.statement.author == ORG
    body = first.statement.body.model_dump()
    assert body["role"] == "organisation" and body["admin"] is True
    assert body["public_key"] == world.keys["root"].public_b64
    assert world.store.root_key_id == world.keys["root"].key_id == first.signer


def _genesis(signer: SigningKey, *, registers: SigningKey, **overrides: Any) -> bytes:
    body: dict[str, Any] = {
        "name": "Org",
        "role": "organisation",
        "public_key": registers.public_b64,
        "admin": True,
    }
    args: dict[str, Any] = {
        "kind": "actor.registered",
        "subject": ORG,
        "author": ORG,
        "issued_at": ISSUED_AT,
    }
    for name, value in overrides.items():
        if name in args:
            args[name] = value
        elif value is None:
            body.pop(name)
        else:
            body[name] = value
    if args["kind"] != "actor.registered":
        body = _evidence_body()
    return sign_statement(signer, body=body, **args)


GENESIS_CASES: dict[str, tuple[Callable[[SigningKey, SigningKey], bytes], str]] = {
    "registers another key": (
        lambda root, other: _genesis(root, registers=other),
        "not the store's root key",
    ),
    "signed by another key": (
        lambda root, other: _genesis(other, registers=root),
        "is not the key",
    ),
    "not an actor registration": (
        lambda root, other: _genesis(root, registers=root, kind="evidence.registered"),
        "must register the organisation",
    ),
    "role is not organisation": (
        lambda root, other: _genesis(root, registers=root, role="researcher"),
        "registering itself",
    ),
    "not admin": (
        lambda root, other: _genesis(root, registers=root, admin=False),
        "registering itself",
    ),
    "subject is not the author": (
        lambda root, other: _genesis(root, registers=root, subject="someone-else"),
        "registering itself",
    ),
    "no public key": (
        lambda root, other: _genesis(root, registers=root, public_key=None),
        "root public key",
    ),
}


@pytest.mark.parametrize("make, message", GENESIS_CASES.values(), ids=GENESIS_CASES.keys())
def test_bad_genesis_is_refused_and_leaves_no_store(
    tmp_path: Path,
    new_store: NewStore,
    make: Callable[[SigningKey, SigningKey], bytes],
    message: str,
) -> None:
    """Store.create accepts only the organisation registering the root key, signed by it;
    a refused genesis leaves no database behind."""
    ring = KeyRing(tmp_path / "keys")
    root, other = ring.create("root"), ring.create("other")
    genesis = make(root, other)
    where = new_store("store")
    with pytest.raises(StatementRejected, match=message):
        Store.create(where, genesis=genesis, root_key_id=root.key_id)
    assert _left_behind(where) == []
    with pytest.raises(StoreError):
        Store.open(where)


def test_genesis_must_match_the_pinned_root_key_id(tmp_path: Path, new_store: NewStore) -> None:
    """A well-formed genesis is refused when the store pins another root key id."""
    ring = KeyRing(tmp_path / "keys")
    root, other = ring.create("root"), ring.create("other")
    where = new_store("store")
    with pytest.raises(StatementRejected, match="root key"):
        Store.create(where, genesis=_genesis(root, registers=root), root_key_id=other.key_id)
    assert _left_behind(where) == []
    assert not Store.exists(where)


def test_malformed_genesis_is_an_input_error_and_leaves_no_store(new_store: NewStore) -> None:
    """Bytes that are not an envelope cannot start a store."""
    where = new_store("store")
    with pytest.raises(InputError):
        Store.create(where, genesis=b"{}", root_key_id="00" * 32)
    assert _left_behind(where) == []


@pytest.mark.parametrize("org_id, org_name", [("org", ""), ("org", "n" * 501), ("bad id", "Org")])
def test_init_store_with_bad_organisation_fields_is_an_input_error(
    tmp_path: Path, new_store: NewStore, org_id: str, org_name: str
) -> None:
    """A bad organisation id or name is an InputError (bad input), and no store is made."""
    root = KeyRing(tmp_path / "keys").create("root")
    where = new_store("store")
    with pytest.raises(InputError):
        init_store(where, root, org_id=org_id, org_name=org_name)
    assert _left_behind(where) == []
    assert not Store.exists(where)


def test_init_store_refuses_an_existing_store(world: World) -> None:
    """A second init in the same directory fails and leaves the store as it was."""
    before = world.counts()
    with pytest.raises(StoreError, match="already exists"):
        init_store(world.store_dir, world.keys["root"], org_id=ORG, org_name="Again")
    assert world.counts() == before


# -- duplicates ---------------------------------------------------------------


def test_duplicate_submission_is_stored_once(world: World) -> None:
    """The same envelope twice: the second append reports the first and writes nothing."""
    raw = world.sign("alice", "evidence.registered", "item-1", _evidence_body())
    first = world.store.append(raw)
    before = world.counts()
    second = world.store.append(raw)
    assert not first.duplicate
    assert second.duplicate
    assert (second.statement_id, second.position, second.version) == (
        first.statement_id,
        first.position,
        first.version,
    )
    assert world.counts() == before


def test_same_statement_in_a_differently_spelled_envelope_is_a_duplicate(world: World) -> None:
    """The statement id is the payload's hash, so re-spelling the envelope JSON changes
    nothing: it is still the statement already stored."""
    raw = world.sign("alice", "evidence.registered", "item-1", _evidence_body())
    first = world.store.append(raw)
    before = world.counts()
    respelled = json.dumps(json.loads(raw), indent=2).encode()
    receipt = world.store.append(respelled)
    assert receipt.duplicate and receipt.statement_id == first.statement_id
    assert world.counts() == before


# -- signers ------------------------------------------------------------------


def test_unknown_key_is_refused(world: World) -> None:
    """A key no actor registered cannot sign for a registered author."""
    world.new_key("mallory")
    with world.refuses("unknown key"):
        world.put("mallory", "evidence.registered", "item-1", _evidence_body(), author="alice")


def test_unregistered_author_is_refused(world: World) -> None:
    """An author that is not a registered actor cannot sign anything."""
    world.new_key("mallory")
    with world.refuses("mallory is not a registered actor"):
        world.put("mallory", "evidence.registered", "item-1", _evidence_body())


def test_unregistered_author_hint_names_the_keys_owner(world: World) -> None:
    """Signing as a non-actor with bob's key says whose key it is."""
    with world.refuses(r"not a registered actor \(the key belongs to bob\)"):
        world.put("bob", "evidence.registered", "item-1", _evidence_body(), author="ghost")


def test_key_of_another_actor_is_refused(world: World) -> None:
    """bob's key cannot sign a statement whose author is alice."""
    with world.refuses("signed by the key of bob, not by its author alice"):
        world.put("bob", "evidence.registered", "item-1", _evidence_body(), author="alice")


def test_signature_that_does_not_verify_is_refused(world: World) -> None:
    """Right key id, wrong signature bytes: refused."""
    raw = world.sign("alice", "evidence.registered", "item-1", _evidence_body())
    obj = json.loads(raw)
    other = json.loads(world.sign("alice", "evidence.registered", "item-2", _evidence_body()))
    obj["signatures"][0]["sig"] = other["signatures"][0]["sig"]
    with world.refuses("does not verify"):
        world.store.append(json.dumps(obj).encode())


def test_keyless_actor_cannot_sign(world: World) -> None:
    """An actor registered without a key cannot author statements, whatever key signs."""
    world.register("carol")
    with world.refuses("carol holds no key"):
        world.put("alice", "evidence.registered", "item-1", _evidence_body(), author="carol")


def test_non_admin_cannot_register_actors(world: World) -> None:
    """actor.registered needs the organisation or an administrator."""
    carol = world.new_key("carol")
    body = {"name": "Carol", "role": "researcher", "public_key": carol.public_b64}
    with world.refuses("only the organisation or an administrator"):
        world.put("alice", "actor.registered", "carol", body)


def test_admin_actor_may_register_actors(world: World) -> None:
    """An actor registered with admin true may register others."""
    dave = world.new_key("dave")
    world.register("dave", dave, admin=True)
    erin = world.new_key("erin")
    receipt = world.put(
        "dave",
        "actor.registered",
        "erin",
        {"name": "Erin", "role": "auditor", "public_key": erin.public_b64},
    )
    assert not receipt.duplicate
    assert world.store.subject_state("erin") is not None


def test_public_key_cannot_be_registered_to_two_actors(world: World) -> None:
    """Registering alice's public key again, for someone else, is refused."""
    with world.refuses("already registered to alice"):
        world.register("dave", world.keys["alice"])


def test_public_key_uniqueness_holds_across_store_instances(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second process (here a second Store) cannot register a key the first just
    registered, even if the first died before bringing its views up to date."""
    other = Store.open(world.store_dir)
    try:
        carol = world.new_key("carol")
        monkeypatch.setattr(world.store.views, "catch_up", lambda *a, **k: 0)
        world.register("carol", carol)
        before = world.counts()
        body = {"name": "Dave", "role": "researcher", "public_key": carol.public_b64}
        raw = world.sign("root", "actor.registered", "dave", body)
        with pytest.raises(StatementRejected, match="already registered to carol"):
            other.append(raw)
        assert world.counts() == before
    finally:
        other.close()


# -- subjects -----------------------------------------------------------------


@pytest.fixture
def thread(world: World) -> dict[str, str]:
    """An evidence item, a finding on it, an assessment and a challenge; their statement ids."""
    ids = {
        "item": world.evidence("item-1").statement_id,
        "finding": world.finding("finding-1", ["item-1"]).statement_id,
        "assessment": world.assess("finding-1").statement_id,
    }
    ids["challenge"] = world.challenge("challenge-1", "finding", "finding-1").statement_id
    return ids


def test_assessment_on_an_evidence_item_is_refused(world: World, thread: dict[str, str]) -> None:
    """finding.assessed applies to findings only."""
    body = {"stance": "supports", "confidence": "high", "rationale": "R"}
    with world.refuses("applies to a finding, but item-1 is an evidence item"):
        world.put("bob", "finding.assessed", "item-1", body)


def test_response_on_a_finding_is_refused(world: World, thread: dict[str, str]) -> None:
    """challenge.responded applies to challenges only."""
    body = {"stance": "rebuts", "attributed_to": "Org", "text": "No."}
    with world.refuses("applies to a challenge, but finding-1 is a finding"):
        world.put("alice", "challenge.responded", "finding-1", body)


def test_marking_on_a_finding_is_refused(world: World, thread: dict[str, str]) -> None:
    """evidence.marking applies to evidence items only."""
    with world.refuses("applies to an evidence item, but finding-1 is a finding"):
        world.put("alice", "evidence.marking", "finding-1", {"text": "2024"})


def test_statement_on_a_missing_subject_is_refused(world: World) -> None:
    """A kind that targets a subject needs that subject to exist."""
    with world.refuses("item-9 is not an evidence item in this store"):
        world.put("alice", "evidence.marking", "item-9", {"text": "2024"})


def test_refused_statement_is_accepted_once_it_becomes_valid(world: World) -> None:
    """A refusal leaves no trace: the same envelope is accepted once its subject exists."""
    raw = world.sign("alice", "evidence.marking", "item-1", {"text": "2024"})
    with world.refuses("not an evidence item"):
        world.store.append(raw)
    world.evidence("item-1")
    receipt = world.store.append(raw)
    assert not receipt.duplicate and receipt.version == 2


@pytest.mark.parametrize(
    "kind, subject, body",
    [
        ("evidence.registered", "item-1", _evidence_body("Another title")),
        ("finding.asserted", "alice", {"claim": "c", "evidence": ["item-1"], "confidence": "low"}),
        ("challenge.raised", "item-1", _challenge_body("finding", "finding-1")),
        ("actor.registered", "finding-1", {"name": "F", "role": "observer"}),
    ],
)
def test_creating_an_existing_subject_is_refused(
    world: World, thread: dict[str, str], kind: str, subject: str, body: dict[str, Any]
) -> None:
    """A creating kind needs a new subject id, whatever type the existing subject is."""
    signer = "root" if kind == "actor.registered" else "alice"
    with world.refuses(f"subject {subject} already exists"):
        world.put(signer, kind, subject, body)


# -- refs ---------------------------------------------------------------------


def test_ref_to_a_missing_statement_is_refused(world: World, thread: dict[str, str]) -> None:
    """Every ref must name a statement already in the store."""
    missing = "0" * 64
    with world.refuses("ref 000000000000… is not a statement in this store"):
        world.put("alice", "finding.reaffirmed", "finding-1", {"statement": "S"}, refs=[missing])


def test_ref_to_an_existing_statement_is_accepted(world: World, thread: dict[str, str]) -> None:
    """A reaffirmation may answer the challenge by its statement id."""
    receipt = world.put(
        "alice", "finding.reaffirmed", "finding-1", {"statement": "S"}, refs=[thread["challenge"]]
    )
    assert receipt.version == 3


def test_revision_without_refs_is_refused(world: World, thread: dict[str, str]) -> None:
    """finding.revised must name the statements that prompted it."""
    body = {"claim": "c2", "evidence": ["item-1"], "confidence": "low", "reason": "R"}
    with world.refuses("refs must name the statements that prompted it"):
        world.put("alice", "finding.revised", "finding-1", body)
    receipt = world.put("alice", "finding.revised", "finding-1", body, refs=[thread["challenge"]])
    assert receipt.version == 3


# -- finding evidence -----------------------------------------------------------


@pytest.mark.parametrize("missing", ["item-9", "alice"])
def test_finding_evidence_must_be_existing_evidence_items(
    world: World, thread: dict[str, str], missing: str
) -> None:
    """Each evidence id must be an evidence item: not unknown, not an actor."""
    with world.refuses(f"{missing} is not an evidence item in this store"):
        world.finding("finding-2", ["item-1", missing])


def test_revision_evidence_must_be_existing_evidence_items(
    world: World, thread: dict[str, str]
) -> None:
    """The same holds for a revised finding's evidence."""
    body = {"claim": "c2", "evidence": ["finding-1"], "confidence": "low", "reason": "R"}
    with world.refuses("finding-1 is not an evidence item"):
        world.put("alice", "finding.revised", "finding-1", body, refs=[thread["challenge"]])


def test_finding_needs_evidence_or_refs(world: World, thread: dict[str, str]) -> None:
    """A finding resting on nothing is refused; resting on a statement is enough."""
    with world.refuses("must rest on evidence items or on statements"):
        world.finding("finding-2", [])
    receipt = world.finding("finding-2", [], refs=[thread["finding"]])
    assert receipt.version == 1


# -- challenge targets ----------------------------------------------------------


@pytest.mark.parametrize(
    "target_type, target_id, message",
    [
        ("finding", "finding-9", "finding-9 is not a finding"),
        ("finding", "item-1", "item-1 is not a finding"),
        ("actor", "nobody", "nobody is not an actor"),
        ("actor", "item-1", "item-1 is not an actor"),
        ("organisation", "alice", "alice is not the organisation"),
        ("organisation", "nobody", "nobody is not the organisation"),
        ("assessment", "0" * 64, "not in this store"),
        ("assessment", "not-a-statement-id", "not in this store"),
    ],
)
def test_challenge_with_a_bad_target_is_refused(
    world: World, thread: dict[str, str], target_type: str, target_id: str, message: str
) -> None:
    """The target must exist and be of the named type."""
    with world.refuses(message):
        world.put("bob", "challenge.raised", "challenge-2", _challenge_body(target_type, target_id))


@pytest.mark.parametrize("not_assessment", ["item", "finding", "challenge"])
def test_assessment_target_must_be_an_assessment(
    world: World, thread: dict[str, str], not_assessment: str
) -> None:
    """An 'assessment' target naming another kind of statement is refused."""
    body = _challenge_body("assessment", thread[not_assessment])
    with world.refuses("is not an assessment"):
        world.put("bob", "challenge.raised", "challenge-2", body)


@pytest.mark.parametrize(
    "target_type, target_key",
    [("finding", "finding-1"), ("assessment", None), ("actor", "alice"), ("organisation", ORG)],
)
def test_challenge_with_a_good_target_is_accepted(
    world: World, thread: dict[str, str], target_type: str, target_key: str | None
) -> None:
    """Each target type is accepted when it names the right thing."""
    target_id = target_key or thread["assessment"]
    receipt = world.put(
        "bob", "challenge.raised", "challenge-2", _challenge_body(target_type, target_id)
    )
    state = world.store.subject_state("challenge-2")
    assert receipt.version == 1 and state is not None
    assert state["target"] == {"type": target_type, "id": target_id}


# -- nothing written on refusal, checked on the file itself -------------------------


def test_refusals_leave_every_table_unchanged(world: World, thread: dict[str, str]) -> None:
    """After a series of refusals every table of the database holds exactly what it held."""

    def dump() -> list[Any]:
        with raw_db(world.store_dir) as db:
            if db.postgres:
                sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            else:
                sql = "SELECT name FROM sqlite_master WHERE type='table'"
            tables = sorted(r[0] for r in db.execute(sql).fetchall())
            assert {"stored_events", "statement_index", "actors", "log_nodes"} <= set(tables)
            return [
                (t, sorted(map(repr, db.execute(f"SELECT * FROM {t}").fetchall()))) for t in tables
            ]

    before = dump()
    for attempt in (
        lambda: world.put("alice", "evidence.marking", "finding-1", {"text": "x"}),
        lambda: world.register("zed", world.keys["bob"]),
        lambda: world.finding("finding-3", ["nothing"]),
        lambda: world.put("bob", "challenge.raised", "c-3", _challenge_body("actor", "nobody")),
    ):
        with pytest.raises(StatementRejected):
            attempt()
    assert dump() == before
