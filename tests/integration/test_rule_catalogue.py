"""A catalogue of rule-breaking statements, each validly signed, refused by all four verifiers.

Issue 10 §D: every statement below breaks one rule of ``docs/spec/statements.md``
and nothing else: it is signed by a key, its envelope is well formed, and in a
bundle it is validly proved against a checkpoint signed by the log key. Each
one must be refused by

1. the store's append (nothing is written);
2. ``prov verify`` on a copy of the store where it was forced in with raw SQL
   (event row, index row and the grown Merkle log, as a thorough forger would);
3. ``prov bundle verify`` on a bundle holding it, with a fresh checkpoint
   signed by the real log key and every proof recomputed;
4. the standalone verifier (the zipapp ``prov bundle verifier`` writes).

For the acceptance rules the store's own message must appear, unchanged, in
the output of the other three: one rule set, one message.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import force_into_sqlite

from provenance.authoring import init_store, sign_statement
from provenance.bundle.offline_verify import verify_bundle
from provenance.canonical import canonical_json
from provenance.envelope import PAYLOAD_TYPE, Signature, encode_envelope, pae
from provenance.errors import InputError, StatementRejected
from provenance.keys import KeyRing, SigningKey
from provenance.log.checkpoint import Checkpoint, format_tlog_proof
from provenance.log.merkle import leaf_hash, root_from_leaf_hashes
from provenance.log.note import sign_note
from provenance.model.kinds import KINDS
from provenance.rules.acceptance import KIND_RULES
from provenance.store import DB_NAME, Store
from tests.conftest import Prov, drop_schema, pg_schema_url, require_pg

ORG = "org"
T = "2024-05-01T00:00:00Z"
SIGNERS = ("root", "log", "alice", "bob", "dave", "erin", "erin2", "mallory")


@dataclass
class Base:
    """The shared store every case starts from, its keys and the ids of its statements."""

    root: Path
    store_dir: Path
    keys: dict[str, SigningKey]
    ids: dict[str, str]
    vkey: str
    pyz: Path

    def sign(
        self,
        signer: str,
        kind: str,
        subject: str,
        body: dict[str, Any],
        *,
        author: str | None = None,
        refs: list[str] | None = None,
    ) -> bytes:
        """A statement signed by key ``signer``; the author defaults to its actor."""
        actor = {"root": ORG, "erin2": "erin"}.get(signer, signer)
        return sign_statement(
            self.keys[signer],
            kind=kind,
            subject=subject,
            author=author or actor,
            body=body,
            refs=refs,
            issued_at=T,
        )


def _raw_sign(key: SigningKey, obj: dict[str, Any], *, keyid: str | None = None) -> bytes:
    """Sign a payload object without the library's checks (to exceed its limits)."""
    payload = canonical_json(obj)
    sig = key.private_key.sign(pae(PAYLOAD_TYPE, payload))
    return encode_envelope(payload, [Signature(keyid or key.key_id, sig)])  # type: ignore[arg-type]


def _payload(kind: str, subject: str, author: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": 1,
        "kind": kind,
        "subject": subject,
        "author": author,
        "issued_at": T,
        "refs": [],
        "body": body,
    }


def _build(b: Base, location: Path | str) -> None:
    """The base record, in a new store at ``location`` (the same bytes on every backend)."""
    keys, ids = b.keys, b.ids
    store = init_store(
        location, keys["root"], org_id=ORG, org_name="Org", issued_at=T, log_key=keys["log"]
    )

    def put(name: str, raw: bytes) -> None:
        ids[name] = store.append(raw).statement_id

    for actor in ("alice", "bob", "dave", "erin"):
        body = {"name": actor, "role": "researcher", "public_key": keys[actor].public_b64}
        put(actor, b.sign("root", "actor.registered", actor, body))
    put("carol", b.sign("root", "actor.registered", "carol", {"name": "c", "role": "observer"}))
    put(
        "item",
        b.sign("alice", "evidence.registered", "item-1", {"item_kind": "other", "title": "I"}),
    )
    finding = {"claim": "C", "evidence": ["item-1"], "confidence": "high"}
    put("finding", b.sign("alice", "finding.asserted", "finding-1", finding))
    assessed = {"stance": "supports", "confidence": "low", "rationale": "R"}
    put("assessment", b.sign("bob", "finding.assessed", "finding-1", assessed))
    put("component", b.sign("alice", "evidence.component", "item-1", {"part": "chip"}))
    put("m1", b.sign("alice", "evidence.marking", "item-1", {"text": "m1"}))
    put("m2", b.sign("alice", "evidence.marking", "item-1", {"text": "m2"}))
    retract = {"statement": ids["m2"], "reason": "wrong"}
    put("r2", b.sign("alice", "statement.retracted", "item-1", retract))
    for trace in ("trace-1", "trace-2"):
        request = {
            "target": {"type": "item", "id": "item-1"},
            "addressee": "Maker",
            "addressee_type": "manufacturer",
            "question": "Who?",
            "sent_at": "2024-05-01",
        }
        put(trace, b.sign("alice", "trace.requested", trace, request))
    answered = {"status": "answered", "at": "2024-05-02", "answer": "A"}
    put("answered", b.sign("alice", "trace.updated", "trace-1", answered))
    revoke = {"key_id": keys["dave"].key_id, "reason": "lost"}
    put("revoked", b.sign("dave", "actor.key_revoked", "dave", revoke))
    rotate = {"public_key": keys["erin2"].public_b64}
    put("rotated", b.sign("erin", "actor.key_rotated", "erin", rotate))
    store.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Base]:
    root = tmp_path_factory.mktemp("catalogue")
    ring = KeyRing(root / "keys")
    keys = {name: ring.create(name) for name in SIGNERS}
    b = Base(root, root / "store", keys, {}, "", root / "prov-verify.pyz")
    _build(b, b.store_dir)
    with Store.open(b.store_dir) as store:
        b.vkey = store.meta["log_vkey"]
    prov = Prov(root / "keys", root / "store")
    result = prov("bundle", "verifier", "--out", str(b.pyz))
    assert result.exit_code == 0, result.output
    yield b


@pytest.fixture(scope="module")
def pg_base(base: Base) -> Iterator[str]:
    """The same base record in a PostgreSQL store (its URL); dropped afterwards."""
    require_pg()
    schema = f"t_catalogue_{uuid.uuid4().hex[:12]}"
    url = pg_schema_url(schema)
    ids = dict(base.ids)
    _build(base, url)
    assert base.ids == ids, "the record differs between backends"
    yield url
    drop_schema(schema)


# -- the catalogue ----------------------------------------------------------------------

Make = Callable[[Base], bytes]


def _custody(**fields: str) -> Make:
    body = {"at": "2024-05-03", "performed_by": "x", **fields}
    return lambda b: b.sign("alice", "evidence.custody", "item-1", body)


def _trace_update(subject: str, **fields: str) -> Make:
    return lambda b: b.sign("alice", "trace.updated", subject, {"at": "2024-05-03", **fields})


def _challenge(target_type: str, target: Callable[[Base], str]) -> Make:
    def make(b: Base) -> bytes:
        body = {
            "target": {"type": target_type, "id": target(b)},
            "challenge_kind": "methodology",
            "attributed_to": "X",
            "claim": "Unsound.",
        }
        return b.sign("bob", "challenge.raised", "challenge-1", body)

    return make


def _trace_request(target_type: str, target: Callable[[Base], str]) -> Make:
    def make(b: Base) -> bytes:
        body = {
            "target": {"type": target_type, "id": target(b)},
            "addressee": "Maker",
            "addressee_type": "manufacturer",
            "question": "Who?",
            "sent_at": "2024-05-01",
        }
        return b.sign("alice", "trace.requested", "trace-9", body)

    return make


def _withdraw(signer: str, subject: str, target: str, later: str | None = None) -> Make:
    def make(b: Base) -> bytes:
        body = {"statement": b.ids[target], "reason": "r"}
        if later is None:
            return b.sign(signer, "statement.retracted", subject, body)
        body["superseded_by"] = b.ids[later]
        return b.sign(signer, "statement.superseded", subject, body)

    return make


def _oversized(b: Base) -> bytes:
    names = {f"id-{n:05}": "v" * 500 for n in range(2200)}
    body = {"item_kind": "other", "title": "Big", "identifiers": names}
    return _raw_sign(b.keys["alice"], _payload("evidence.registered", "item-big", "alice", body))


def _wrong_signature(b: Base) -> bytes:
    # alice's key id on the envelope, bob's signature: the signature does not verify.
    obj = _payload("evidence.marking", "item-1", "alice", {"text": "forged"})
    return _raw_sign(b.keys["bob"], obj, keyid=b.keys["alice"].key_id)


def _body(kind: str, subject: str, body: dict[str, Any], signer: str = "alice") -> Make:
    return lambda b: _raw_sign(b.keys[signer], _payload(kind, subject, signer, body))


RULES: dict[str, tuple[Make, str]] = {
    # issue 10 §D's examples
    "answered -> acknowledged": (
        _trace_update("trace-1", status="acknowledged"),
        "trace request is answered",
    ),
    "transferred without from_party": (
        _custody(action="transferred", to_party="y"),
        "needs from_party",
    ),
    "retraction by neither author nor admin": (
        _withdraw("bob", "item-1", "m1"),
        "only its author alice",
    ),
    "key reused by another actor": (
        lambda b: b.sign(
            "bob", "actor.key_rotated", "bob", {"public_key": b.keys["alice"].public_b64}
        ),
        "already registered to alice",
    ),
    "actor registered with another's key": (
        lambda b: b.sign(
            "root",
            "actor.registered",
            "zed",
            {"name": "z", "role": "researcher", "public_key": b.keys["alice"].public_b64},
        ),
        "already registered to alice",
    ),
    "finding whose evidence names a finding": (
        lambda b: b.sign(
            "alice",
            "finding.asserted",
            "finding-2",
            {"claim": "C", "evidence": ["finding-1"], "confidence": "low"},
        ),
        "finding-1 is not an evidence item",
    ),
    "finding.revised with no refs": (
        lambda b: b.sign(
            "alice",
            "finding.revised",
            "finding-1",
            {"claim": "C2", "evidence": ["item-1"], "confidence": "low", "reason": "new"},
        ),
        "refs must name the statements that prompted it",
    ),
    # who may sign
    "author never registered": (
        lambda b: b.sign("mallory", "evidence.marking", "item-1", {"text": "x"}),
        "author mallory is not a registered actor",
    ),
    "signed by another actor's key": (
        lambda b: b.sign("bob", "evidence.marking", "item-1", {"text": "x"}, author="alice"),
        "signed by the key of bob, not by its author alice",
    ),
    "signed by an unregistered key": (
        lambda b: b.sign("mallory", "evidence.marking", "item-1", {"text": "x"}, author="alice"),
        "signed by an unknown key",
    ),
    "actor without a key signs": (
        lambda b: b.sign("alice", "evidence.marking", "item-1", {"text": "x"}, author="carol"),
        "carol holds no key and cannot sign",
    ),
    "signed by a revoked key": (
        lambda b: b.sign("dave", "evidence.marking", "item-1", {"text": "x"}),
        "revoked at position",
    ),
    "signed by a retired key": (
        lambda b: b.sign("erin", "evidence.marking", "item-1", {"text": "x"}),
        "retired at position",
    ),
    "signature does not verify": (_wrong_signature, "does not verify"),
    "actor registered by a non-administrator": (
        lambda b: b.sign("alice", "actor.registered", "zed", {"name": "z", "role": "observer"}),
        "only the organisation or an administrator may sign it, not alice",
    ),
    "another actor's key rotated": (
        lambda b: b.sign(
            "alice", "actor.key_rotated", "bob", {"public_key": b.keys["mallory"].public_b64}
        ),
        "only bob itself or an administrator may rotate its key",
    ),
    "another actor's key revoked": (
        lambda b: b.sign(
            "alice", "actor.key_revoked", "bob", {"key_id": b.keys["bob"].key_id, "reason": "r"}
        ),
        "only bob itself or an administrator may revoke its keys",
    ),
    "a key revoked that is not the actor's": (
        lambda b: b.sign(
            "root", "actor.key_revoked", "bob", {"key_id": b.keys["alice"].key_id, "reason": "r"}
        ),
        "is not a key of bob",
    ),
    "a key revoked twice": (
        lambda b: b.sign(
            "root", "actor.key_revoked", "dave", {"key_id": b.keys["dave"].key_id, "reason": "r"}
        ),
        "is already revoked",
    ),
    # subjects and kinds
    "subject created twice": (
        lambda b: b.sign(
            "alice", "evidence.registered", "item-1", {"item_kind": "other", "title": "Again"}
        ),
        "subject item-1 already exists",
    ),
    "statement on a subject that does not exist": (
        lambda b: b.sign("alice", "evidence.marking", "item-none", {"text": "x"}),
        "item-none is not an evidence item in this store",
    ),
    "kind on the wrong type of subject": (
        lambda b: b.sign("alice", "evidence.marking", "finding-1", {"text": "x"}),
        "evidence.marking applies to an evidence item, but finding-1 is a finding",
    ),
    # references
    "ref to no statement": (
        lambda b: b.sign("alice", "evidence.marking", "item-1", {"text": "x"}, refs=["ab" * 32]),
        "is not a statement in this store before it",
    ),
    "finding on nothing": (
        lambda b: b.sign(
            "alice", "finding.asserted", "finding-3", {"claim": "C", "confidence": "low"}
        ),
        "a finding must rest on evidence items or on statements",
    ),
    "challenge of an assessment that is a marking": (
        _challenge("assessment", lambda b: b.ids["m1"]),
        "is not an assessment",
    ),
    "challenge of an assessment not in the record": (
        _challenge("assessment", lambda b: "cd" * 32),
        "is not in this store",
    ),
    "challenge of an organisation that is not one": (
        _challenge("organisation", lambda b: "alice"),
        "target alice is not the organisation",
    ),
    "challenge of a finding that is an item": (
        _challenge("finding", lambda b: "item-1"),
        "item-1 is not a finding in this store",
    ),
    "trace of a component that is a marking": (
        _trace_request("component", lambda b: b.ids["m1"]),
        "is not a component statement",
    ),
    "trace of an item that is a finding": (
        _trace_request("item", lambda b: "finding-1"),
        "finding-1 is not an evidence item",
    ),
    # bodies judged against the record
    "collected without to_party": (_custody(action="collected"), "needs to_party"),
    "stored without a location": (_custody(action="stored"), "needs a location"),
    "an answer without the status answered": (
        _trace_update("trace-2", status="acknowledged", answer="A"),
        "an answer is given exactly when the status is answered",
    ),
    "answered without an answer": (
        _trace_update("trace-2", status="answered"),
        "an answer is given exactly when the status is answered",
    ),
    "withdrawal of another subject's statement": (
        _withdraw("alice", "finding-1", "m1"),
        "is not a statement of finding-1",
    ),
    "withdrawal of a retraction": (
        _withdraw("alice", "item-1", "r2"),
        "a retraction or supersession cannot itself be withdrawn",
    ),
    "withdrawal a second time": (_withdraw("alice", "item-1", "m2"), "is already withdrawn"),
    "supersession by an earlier statement": (
        _withdraw("alice", "item-1", "m1", later="component"),
        "a statement is superseded by a later statement of the same kind",
    ),
    "supersession by another subject's statement": (
        _withdraw("alice", "item-1", "m1", later="finding"),
        "is not a statement of item-1",
    ),
}
"""Acceptance rules: the case, and the words of the message every path must print."""

SHAPE: dict[str, tuple[Make, str, str]] = {
    # name: (make, what the store says, what the bundle verifiers say)
    "payload over 1 MiB": (_oversized, "the limit is 1048576", "the limit is 1048576"),
    "null in a body": (
        _body("evidence.marking", "item-1", {"text": "x", "meaning": None}),
        "body.meaning",
        "body.meaning",
    ),
    "an unknown body member": (
        _body("evidence.marking", "item-1", {"text": "x", "colour": "red"}),
        "body.colour",
        "body.colour",
    ),
    "text over its maxLength": (
        _body("evidence.marking", "item-1", {"text": "x" * 501}),
        "body.text",
        "body.text",
    ),
    "true is not 1": (
        _body(
            "evidence.graded", "item-1", {"reliability": "B", "credibility": True, "rationale": "r"}
        ),
        "body.credibility",
        "body.credibility",
    ),
    "a date not on the calendar": (
        _body(
            "evidence.custody",
            "item-1",
            {"action": "examined", "at": "2025-02-30", "performed_by": "x"},
        ),
        "body.at",
        "body.at",
    ),
    "full-width digits in a date": (
        _body(
            "evidence.custody",
            "item-1",
            {"action": "examined", "at": "２０２４", "performed_by": "x"},
        ),
        "body.at",
        "body.at",
    ),
    "a subject id ending in a newline": (
        _body("evidence.marking", "item-1\n", {"text": "x"}),
        "payload.subject",
        "payload.subject",
    ),
    "an unknown kind": (
        _body("evidence.painted", "item-1", {"text": "x"}),
        "unknown statement kind",
        "unknown statement kind",
    ),
}
"""Payload shape: refused before any rule; the store's words come from its model."""


# -- the four verifiers -------------------------------------------------------------------


def _entries(store_dir: Path) -> list[tuple[int, str, int, str, bytes]]:
    with closing(sqlite3.connect(store_dir / DB_NAME)) as con:
        rows = con.execute(
            "SELECT i.position, i.subject_id, i.version, i.received_at, e.state "
            "FROM statement_index i JOIN stored_events e ON e.originator_id = i.subject_id "
            "AND e.originator_version = i.version ORDER BY i.position"
        ).fetchall()
    return [(int(p), s, int(v), r, bytes(state)) for p, s, v, r, state in rows]


_force_in = force_into_sqlite


def _audit_path(index: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(m, D[n]), leaf side first, from the leaf hashes."""
    if len(leaves) == 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if index < k:
        return [*_audit_path(index, leaves[:k]), root_from_leaf_hashes(leaves[k:])]
    return [*_audit_path(index - k, leaves[k:]), root_from_leaf_hashes(leaves[:k])]


def make_bundle(b: Base, raw: bytes, *, extra: int = 0) -> bytes:
    """A bundle of the whole store plus ``raw`` at the next position, validly proved.

    The checkpoint is signed by the real log key over the grown tree, and every
    proof is recomputed; ``extra`` random hashes are appended to the last proof.
    """
    entries = _entries(b.store_dir)
    payload = json.loads(base64.b64decode(json.loads(raw)["payload"]))
    subject = payload["subject"]
    version = 1 + max((v for _, s, v, _, _ in entries if s == subject), default=0)
    last_time = entries[-1][3]
    entries.append((len(entries), subject, version, last_time, raw))
    leaves: list[bytes] = [leaf_hash(e[4]) for e in entries]
    origin = b.vkey.split("+")[0]
    text = Checkpoint(origin, len(leaves), root_from_leaf_hashes(leaves)).to_text()
    note = sign_note(text, origin, b.keys["log"].private_key)
    statements = []
    for position, subj, ver, received, state in entries:
        path = _audit_path(position, leaves)
        if extra and position == len(entries) - 1:
            path += [bytes([n]) * 32 for n in range(extra)]
        proof = format_tlog_proof(position, path, note)[: -len(note)]
        statements.append(
            {
                "position": position,
                "subject": subj,
                "version": ver,
                "received_at": received,
                "entry": state.decode(),
                "proof": proof,
            }
        )
    bundle = {
        "bundle": "prov-bundle/v1",
        "subject": subject,
        "as_of": {"position": len(entries) - 1, "received_at": last_time},
        "log": {"origin": origin, "vkey": b.vkey, "root_key_id": b.keys["root"].key_id},
        "checkpoint": note,
        "key_transitions": [],
        "statements": statements,
        "attachments": [],
    }
    return json.dumps(bundle).encode()


@dataclass
class Outcome:
    """What each of the four made of one statement."""

    store: str
    verify: tuple[int, str]
    bundle: tuple[int, str]
    standalone: tuple[int, str]


def _standalone(b: Base, bundle: Path, *args: str) -> tuple[int, str]:
    run = [sys.executable, "-I", str(b.pyz), str(bundle), "--vkey", b.vkey, *args]
    done = subprocess.run(run, capture_output=True, text=True, timeout=60, check=False)
    return done.returncode, done.stdout + done.stderr


def run_all(b: Base, raw: bytes, tmp_path: Path, refused: type[Exception]) -> Outcome:
    """Offer ``raw`` to the store, force it in for prov verify, bundle it for the other two."""
    with Store.open(b.store_dir) as store:
        size = store.size()
        with pytest.raises(refused) as info:
            store.append(raw)
        assert store.size() == size, "a refused statement was written"
    copy = tmp_path / "forced"
    shutil.copytree(b.store_dir, copy)
    position = _force_in(copy, raw)
    prov = Prov(b.root / "keys", copy)
    verified = prov("verify", "--store", str(copy))
    assert f"position {position}" in verified.output, verified.output
    bundle_file = tmp_path / "bad.bundle.json"
    bundle_file.write_bytes(make_bundle(b, raw))
    checked = prov("bundle", "verify", str(bundle_file), "--vkey", b.vkey)
    return Outcome(
        str(info.value),
        (verified.exit_code, verified.output),
        (checked.exit_code, checked.output),
        _standalone(b, bundle_file),
    )


@pytest.mark.parametrize("make, words", RULES.values(), ids=RULES.keys())
def test_every_verifier_refuses_a_broken_rule_with_the_stores_message(
    base: Base, tmp_path: Path, make: Make, words: str
) -> None:
    raw = make(base)
    out = run_all(base, raw, tmp_path, StatementRejected)
    assert words in out.store
    # One rule set: the store's message, word for word, on every path.
    assert out.verify[0] == 1 and out.store in out.verify[1], out.verify[1]
    assert out.bundle[0] == 1 and out.store in out.bundle[1], out.bundle[1]
    assert out.standalone[0] == 1 and out.store in out.standalone[1], out.standalone[1]


@pytest.mark.parametrize("make, stored, bundled", SHAPE.values(), ids=SHAPE.keys())
def test_every_verifier_refuses_a_payload_of_the_wrong_shape(
    base: Base, tmp_path: Path, make: Make, stored: str, bundled: str
) -> None:
    out = run_all(base, make(base), tmp_path, InputError)
    assert stored in out.store
    assert out.verify[0] == 1 and stored in out.verify[1], out.verify[1]
    assert out.bundle[0] == 1 and bundled in out.bundle[1], out.bundle[1]
    assert out.standalone[0] == 1 and bundled in out.standalone[1], out.standalone[1]


def test_the_same_statement_at_two_positions_is_refused(base: Base, tmp_path: Path) -> None:
    """The store records a statement once (a second append is the same receipt), its
    schema cannot hold it twice, and both bundle verifiers refuse it at a second position."""
    with Store.open(base.store_dir) as store:
        row = store.index_row(base.ids["m1"])
        assert row is not None
        raw = store.statement(base.ids["m1"]).envelope.raw
        size = store.size()
        receipt = store.append(raw)
        assert receipt.position == row.position and store.size() == size
    copy = tmp_path / "forced"
    shutil.copytree(base.store_dir, copy)
    with pytest.raises(sqlite3.IntegrityError):
        _force_in(copy, raw)
    bundle_file = tmp_path / "dup.bundle.json"
    bundle_file.write_bytes(make_bundle(base, raw))
    words = f"the same statement is already at position {row.position}"
    checked = Prov(base.root / "keys", copy)(
        "bundle", "verify", str(bundle_file), "--vkey", base.vkey
    )
    assert checked.exit_code == 1 and words in checked.output, checked.output
    code, output = _standalone(base, bundle_file)
    assert code == 1 and words in output, output


def test_an_intact_bundle_of_the_base_verifies_on_both(base: Base, tmp_path: Path) -> None:
    """The catalogue's bundles differ from a verifying one only by the broken statement."""
    good = base.sign("alice", "evidence.marking", "item-1", {"text": "fine"})
    bundle_file = tmp_path / "good.bundle.json"
    bundle_file.write_bytes(make_bundle(base, good))
    checked = Prov(base.root / "keys", base.store_dir)(
        "bundle", "verify", str(bundle_file), "--vkey", base.vkey
    )
    assert checked.exit_code == 0, checked.output
    code, output = _standalone(base, bundle_file)
    assert code == 0 and output.startswith("OK: "), output


def test_a_proof_longer_than_the_tree_is_deep_is_refused(base: Base, tmp_path: Path) -> None:
    """Issue 10 §H: a statement whose proof has hashes beyond the tree's depth is not proved."""
    good = base.sign("alice", "evidence.marking", "item-1", {"text": "fine"})
    bundle_file = tmp_path / "long.bundle.json"
    bundle_file.write_bytes(make_bundle(base, good, extra=6))
    checked = Prov(base.root / "keys", base.store_dir)(
        "bundle", "verify", str(bundle_file), "--vkey", base.vkey
    )
    assert checked.exit_code == 1 and "inclusion proof does not lead" in checked.output
    code, output = _standalone(base, bundle_file)
    assert code == 1 and "inclusion proof does not lead" in output, output


def test_the_kind_table_of_the_rules_is_the_models() -> None:
    """provenance.rules.acceptance holds the kinds without pydantic; it must not drift."""
    assert set(KIND_RULES) == set(KINDS)
    for name, spec in KINDS.items():
        rule = KIND_RULES[name]
        assert (rule.creates, rule.targets, rule.needs_refs, rule.admin_only) == (
            spec.creates,
            spec.targets,
            spec.needs_refs,
            spec.admin_only,
        ), name


@pytest.mark.parametrize("make, words", RULES.values(), ids=RULES.keys())
def test_a_postgres_store_refuses_each_with_the_same_message(
    base: Base, pg_base: str, make: Make, words: str
) -> None:
    """The SQL facts read the same answers on PostgreSQL: the same refusal, word for word."""
    raw = make(base)
    with Store.open(base.store_dir) as store, pytest.raises(StatementRejected) as on_sqlite:
        store.append(raw)
    with Store.open(pg_base) as store:
        size = store.size()
        with pytest.raises(StatementRejected) as on_postgres:
            store.append(raw)
        assert store.size() == size
    assert str(on_postgres.value) == str(on_sqlite.value)


# -- the bundle's own structure (bundle.md 5.4, 5.8) ----------------------------------------


def _attached(b: Base) -> tuple[dict[str, Any], str, bytes]:
    content = b"the photograph"
    digest = hashlib.sha256(content).hexdigest()
    body = {"digest": digest, "size": len(content), "media_type": "image/jpeg"}
    raw = b.sign("alice", "evidence.attached", "item-1", body)
    bundle = json.loads(make_bundle(b, raw))
    return bundle, digest, content


def _failures(b: Base, bundle: dict[str, Any]) -> list[str]:
    return verify_bundle(json.dumps(bundle).encode(), b.vkey).failures


def test_attachments_are_listed_once_with_their_size(base: Base) -> None:
    bundle, digest, content = _attached(base)
    assert _failures(base, bundle) == [f"attachment {digest[:12]} is named but not in the bundle"]
    entry = {"digest": digest, "size": len(content)}
    bundle["attachments"] = [entry]
    assert _failures(base, bundle) == []
    report = verify_bundle(json.dumps(bundle).encode(), base.vkey)
    assert (report.attachments, report.attachment_files) == (1, 0)
    bundle["attachments"] = [entry, entry]
    assert _failures(base, bundle) == ["attachment 1 is not one the bundle's statements attach"]
    for wrong in ({"digest": "ab" * 32, "size": 14}, {"digest": digest, "size": 15}, {"size": 14}):
        bundle["attachments"] = [wrong, entry]
        assert _failures(base, bundle) == ["attachment 0 is not one the bundle's statements attach"]


def test_attached_content_must_hash_to_its_digest(base: Base) -> None:
    bundle, digest, content = _attached(base)
    good = {"digest": digest, "size": len(content), "content": base64.b64encode(content).decode()}
    bundle["attachments"] = [good]
    report = verify_bundle(json.dumps(bundle).encode(), base.vkey)
    assert report.ok and report.attachment_files == 1
    for other in (b"the photographs"[:14].replace(b"p", b"q"), content + b"!", b""):
        bundle["attachments"] = [{**good, "content": base64.b64encode(other).decode()}]
        assert _failures(base, bundle) == [
            f"attachment {digest[:12]}: content does not match its hash"
        ]
    bundle["attachments"] = [{**good, "content": "not base64!"}]
    assert _failures(base, bundle) == [f"attachment {digest[:12]}: content is not base64"]


def _entry_changes() -> dict[str, Callable[[dict[str, Any]], None]]:
    def envelope(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
        def apply(st: dict[str, Any]) -> None:
            env = json.loads(st["entry"])
            change(env)
            st["entry"] = json.dumps(env)

        return apply

    def sig(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
        return envelope(lambda env: change(env["signatures"][0]))

    return {
        "an extra member": lambda st: st.update(extra=1),
        "a negative position": lambda st: st.update(position=-1),
        "a position that is true": lambda st: st.update(position=True),
        "a version that is true": lambda st: st.update(version=True),
        "a version that is text": lambda st: st.update(version="1"),
        "a subject that is a number": lambda st: st.update(subject=1),
        "a receipt time that is a number": lambda st: st.update(received_at=1),
        "a proof that is a number": lambda st: st.update(proof=1),
        "an entry that is an object": lambda st: st.update(entry={}),
        "an entry that is not JSON": lambda st: st.update(entry="{"),
        "an envelope member more": envelope(lambda env: env.update(x=1)),
        "another payload type": envelope(lambda env: env.update(payloadType="text/plain")),
        "two signatures": envelope(lambda env: env.update(signatures=env["signatures"] * 2)),
        "signatures not a list": envelope(lambda env: env.update(signatures={})),
        "a signature member more": sig(lambda s: s.update(x=1)),
        "a signature that is a list": envelope(lambda env: env.update(signatures=[[]])),
        "an upper-case keyid": sig(lambda s: s.update(keyid=s["keyid"].upper())),
        "a short keyid": sig(lambda s: s.update(keyid=s["keyid"][:63])),
        "a keyid that is a number": sig(lambda s: s.update(keyid=7)),
        "a payload that is not base64": envelope(lambda env: env.update(payload="***")),
        "another subject than the payload's": lambda st: st.update(subject="item-9"),
        "a proof of another kind": lambda st: st.update(proof="c2sp.org/other\n" + st["proof"]),
        "a proof of another index": lambda st: st.update(
            proof=st["proof"].replace("index 0", "index 1", 1)
        ),
        "a proof with only its header": lambda st: st.update(proof="c2sp.org/tlog-proof@v1\n\n"),
        "a proof without its empty line": lambda st: st.update(proof=st["proof"][:-1]),
        "a proof with extra data": lambda st: st.update(
            proof=st["proof"].replace("\nindex", "\nextra AA==\nindex", 1)
        ),
    }


ENTRY_CHANGES = _entry_changes()


@pytest.mark.parametrize("change", ENTRY_CHANGES.values(), ids=ENTRY_CHANGES.keys())
def test_a_malformed_statement_entry_is_a_failure_naming_it(
    base: Base, change: Callable[[dict[str, Any]], None]
) -> None:
    good = base.sign("alice", "evidence.marking", "item-1", {"text": "fine"})
    bundle = json.loads(make_bundle(base, good))
    change(bundle["statements"][0])
    found = _failures(base, bundle)
    assert found and found[0].startswith("statement 0 is malformed: "), found


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda sts: sts.insert(1, dict(sts[1])), "is out of order: positions must increase"),
        (lambda sts: sts.__setitem__(1, {**sts[1], "received_at": "2099"}), "is out of order"),
        (lambda sts: sts[-1].update(received_at="2000-01-01T00:00:00Z"), "is out of order"),
    ],
    ids=["a position repeated", "a receipt time beyond as_of", "a receipt time going back"],
)
def test_order_and_receipt_times(
    base: Base, change: Callable[[list[Any]], None], words: str
) -> None:
    good = base.sign("alice", "evidence.marking", "item-1", {"text": "fine"})
    bundle = json.loads(make_bundle(base, good))
    change(bundle["statements"])
    found = _failures(base, bundle)
    assert any(words in f for f in found), found


def test_a_statement_at_the_checkpoints_size_is_beyond_it(base: Base) -> None:
    good = base.sign("alice", "evidence.marking", "item-1", {"text": "fine"})
    bundle = json.loads(make_bundle(base, good))
    last = bundle["statements"][-1]
    bundle["as_of"]["position"] = last["position"] + 1
    last["position"] += 1
    last["proof"] = last["proof"].replace(
        f"index {last['position'] - 1}", f"index {last['position']}"
    )
    found = _failures(base, bundle)
    assert any("beyond the bundle's as-of position or the checkpoint" in f for f in found), found


@pytest.mark.parametrize(
    "case", ["subject created twice", "statement on a subject that does not exist"]
)
def test_reading_a_forced_record_is_one_line_pointing_to_verify(
    base: Base, tmp_path: Path, case: str
) -> None:
    """A history the views cannot fold (forced in behind the store's back) makes the
    reading commands say so in one line and exit 2, never crash with an internal error."""
    make, _ = RULES[case]
    copy = tmp_path / "forced"
    shutil.copytree(base.store_dir, copy)
    _force_in(copy, make(base))
    result = Prov(base.root / "keys", copy)("list", "--store", str(copy))
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: the views cannot follow"), lines
    assert "run 'prov verify'" in lines[0]
