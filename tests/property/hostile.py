"""The hostile parsers, their contract, genuine seeds and near-valid mutations.

Shared by the hypothesis property tests (``test_hostile_parsers.py``) and the
atheris fuzz harness (``bench/fuzz.py``), so that both check one contract:
on any bytes, each parser returns a value or raises its documented error,
never anything else (no KeyError, RecursionError, OverflowError,
UnicodeError or AssertionError).
"""

from __future__ import annotations

import atexit
import base64
import functools
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provenance import demo as demo_case
from provenance.bundle.reader import bundle_dispute, read_bundle
from provenance.envelope import parse_envelope, sign_payload
from provenance.errors import InputError, NoteError, ProofError, StoreError
from provenance.keys import KeyRing
from provenance.log.checkpoint import format_tlog_proof, verify_tlog_proof
from provenance.log.merkle import inclusion_proof, leaf_hash, root_from_leaf_hashes
from provenance.log.note import format_verifier_key, open_note, parse_note, sign_note
from provenance.model.statement import build_payload
from provenance.rules import strict_json
from provenance.store import Store
from provenance.store.checkpoints import sign_checkpoint
from provenance.transfer import import_line

SEED_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
"""A fixed key: Ed25519 is deterministic, so the seeds are the same bytes every run."""

ORIGIN = "example.com/hostile"

HOSTILE_TOKENS = (
    b"1e400", b"-1e400", b"9007199254740993", b"-9007199254740993", b"1" * 400,
    b'"\\ud800"', b'"\\udfff"', b"NaN", b"Infinity", b"true", b"false", b"null",
    b"[" * 40, b"{" * 40, b"]", b"}", b",", b":", b'"', b"\\", b"\\u0000",
    b'"payload":"AAAA",', b'"statements":[],', b'"position":1,', b"\n", b"\r", b"\x00",
    b"\xff", b"\xed\xa0\x80", "\u2014 ".encode(), "\u202e".encode(), b"\n\n", b"index ",
    b"extra ", b"c2sp.org/tlog-proof@v1\n", b"\xef\xbc\x91", b"-1", b"0.5", b"00",
)  # fmt: skip
"""Bytes that have broken parsers: overflowing numbers, surrogates, deep nesting, decoys."""


@dataclass(frozen=True)
class Target:
    """One hostile parser: feed it bytes; ``allowed`` are the errors it may raise.

    ``run`` returns whether the input was accepted. For a JSON parser
    (``json=True``) an accepted input must also be strict JSON: no duplicate
    member, no overflowing number, no lone surrogate (strict_json.py).
    """

    name: str
    run: Callable[[bytes], bool]
    allowed: tuple[type[BaseException], ...]
    json: bool = False
    prepare: Callable[[bytes], bytes] = bytes
    """How the command hands the bytes to the parser (the import splits lines first)."""


# -- seeds -------------------------------------------------------------------------------


def envelope_seed() -> bytes:
    """A genuine, validly signed envelope."""
    payload = build_payload(
        kind="evidence.registered",
        subject="item-seed",
        author="org",
        body={"item_kind": "other", "title": "Seed"},
        issued_at="2024-01-01T00:00:00Z",
    )
    return sign_payload(payload, SEED_KEY)


def _log_vkey() -> str:
    return format_verifier_key(ORIGIN, SEED_KEY.public_key().public_bytes_raw())


ENTRIES = [f"entry {i}".encode() for i in range(7)]


def _checkpoint_note() -> str:
    leaves = [leaf_hash(e) for e in ENTRIES]
    root = root_from_leaf_hashes(leaves)
    text = f"{ORIGIN}\n{len(leaves)}\n{base64.b64encode(root).decode()}\n"
    return sign_note(text, ORIGIN, SEED_KEY)


def note_seed() -> bytes:
    """A genuine signed checkpoint note."""
    return _checkpoint_note().encode()


def tlog_proof_seed() -> bytes:
    """A genuine tlog-proof of entry 3 (with an extra line)."""
    leaves = [leaf_hash(e) for e in ENTRIES]
    nodes: dict[tuple[int, int], bytes] = {}

    def node(level: int, index: int) -> bytes:
        if (level, index) not in nodes:
            span = leaves[index << level : (index + 1) << level]
            nodes[(level, index)] = root_from_leaf_hashes(span)
        return nodes[(level, index)]

    proof = inclusion_proof(3, len(leaves), node)
    return format_tlog_proof(3, proof, _checkpoint_note(), extra=b"seed").encode()


@functools.cache
def _demo_dir() -> Path:
    root = Path(tempfile.mkdtemp(prefix="prov-hostile-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    built = demo_case.build(root)
    sign_checkpoint(built.store, KeyRing(built.keys_dir).load("root-log"))
    built.store.close()
    return root


@functools.cache
def bundle_seed() -> bytes:
    """A genuine bundle of the demo's central finding."""
    from provenance.bundle.export import encode_bundle, export_bundle

    with Store.open(_demo_dir() / "store") as store:
        return encode_bundle(export_bundle(store, demo_case.CENTRAL_FINDING))


@functools.cache
def import_store() -> Store:
    """The store import lines are fed to (the demo store, left open)."""
    store = Store.open(_demo_dir() / "store")
    atexit.register(store.close)
    return store


@functools.cache
def import_line_seed() -> bytes:
    """A genuine line of the demo's export (a statement already in the store)."""
    with Store.open(_demo_dir() / "store") as store:
        sid = store.index_range(3, 1)[0].statement_id
        return store.statement(sid).envelope.raw


# -- targets -----------------------------------------------------------------------------


def _envelope(data: bytes) -> bool:
    parse_envelope(data)
    return True


def _bundle(data: bytes) -> bool:
    bundle = read_bundle(data)
    # What `prov bundle show` does with a bundle that reads: no AssertionError.
    own = [r for r in bundle.records if r.subject == bundle.subject]
    if own and own[0].statement.kind == "finding.asserted":
        bundle_dispute(bundle)
    return True


def first_line(data: bytes) -> bytes:
    """What the import's line reader hands on from ``data``: up to the first LF, CR stripped."""
    line = data.split(b"\n", 1)[0]
    return line[:-1] if line.endswith(b"\r") else line


def _import_line(data: bytes) -> bool:
    result = import_line(import_store(), 1, data)
    assert result.outcome in ("accepted", "duplicate", "refused")
    return result.outcome != "refused"


def _note(data: bytes) -> bool:
    parse_note(data)
    open_note(data, [_verifier()])  # type: ignore[list-item]
    return True


@functools.cache
def _verifier() -> object:
    from provenance.log.note import parse_verifier_key

    return parse_verifier_key(_log_vkey())


def _tlog_proof(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")  # the CLI refuses non-UTF-8 before parsing
    except UnicodeDecodeError:
        return False
    verify_tlog_proof(text, leaf_hash(ENTRIES[3]), _verifier())  # type: ignore[arg-type]
    return True


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("envelope", _envelope, (InputError,), json=True),
        Target("bundle", _bundle, (InputError, StoreError), json=True),
        Target("import-line", _import_line, (), json=True, prepare=first_line),
        Target("note", _note, (NoteError, InputError)),
        Target("tlog-proof", _tlog_proof, (NoteError, ProofError, InputError)),
    )
}
"""Every hostile parser by name, with the only errors it may raise."""

SEEDS: dict[str, Callable[[], bytes]] = {
    "envelope": envelope_seed,
    "bundle": bundle_seed,
    "import-line": import_line_seed,
    "note": note_seed,
    "tlog-proof": tlog_proof_seed,
}
"""A genuine input for each target, that it accepts."""


def check(target: Target, data: bytes) -> None:
    """Run ``target`` on ``data``; an error outside its contract propagates (a finding).

    Raises:
        AssertionError: a JSON parser accepted input that is not strict JSON.
    """
    data = target.prepare(data)
    try:
        accepted = target.run(data)
    except target.allowed:
        return
    if accepted and target.json:
        try:
            strict_json.loads(data, "accepted input")
        except InputError as e:
            raise AssertionError(f"{target.name} accepted what strict JSON refuses: {e}") from e


class Raw:
    """A JSON token written as it is (``1e400``, ``"\\ud800"``): what json.dumps cannot write."""

    def __init__(self, token: str) -> None:
        self.token = token


class Pairs(list[tuple[str, Any]]):
    """A JSON object as its member list, so that a member can be given twice."""


HOSTILE_VALUES = (
    "1e400", "-1e400", "9007199254740993", "true", "false", "null", '"\\ud800"', "[]", "{}",
    "[" * 40 + "]" * 40, '"2025-02-30"', '"\uff11\uff12"', "0", "-1", '""', '"x\n"', '"x\\n"',
    "1.5",
)  # fmt: skip
"""Values put in place of a genuine one: overflow, wrong type, lone surrogate, deep nesting."""


def _dump(value: Any) -> str:
    if isinstance(value, Raw):
        return value.token
    if isinstance(value, Pairs):
        return "{" + ",".join(f"{json.dumps(k)}:{_dump(v)}" for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dump(v) for v in value) + "]"
    return json.dumps(value)


def _slots(value: Any, found: list[tuple[Any, int]]) -> None:
    """Every (container, index) of the tree, depth first."""
    if isinstance(value, list):  # Pairs included
        for index, item in enumerate(value):
            found.append((value, index))
            _slots(item[1] if isinstance(value, Pairs) else item, found)


def json_mutate(seed: bytes, choices: Callable[[int], int], rounds: int) -> bytes:
    """A variant of the JSON ``seed`` with a few structural edits.

    A member or element dropped (a bundle missing a statement), a value
    replaced by a hostile one, a member given twice with a decoy value first
    (json.loads keeps the last), an element given twice.
    """
    tree = json.loads(seed, object_pairs_hook=Pairs)
    for _ in range(rounds):
        slots: list[tuple[Any, int]] = []
        _slots(tree, slots)
        if not slots:
            break
        parent, index = slots[choices(len(slots))]
        op = choices(4)
        hostile = Raw(HOSTILE_VALUES[choices(len(HOSTILE_VALUES))])
        if op == 0:
            del parent[index]
        elif op == 1:
            parent[index] = (parent[index][0], hostile) if isinstance(parent, Pairs) else hostile
        elif op == 2 and isinstance(parent, Pairs):
            parent.insert(index, (parent[index][0], hostile))
        else:
            parent.insert(index, parent[index])
    return _dump(tree).encode()


def mutate(seed: bytes, choices: Callable[[int], int], rounds: int) -> bytes:
    """A near-valid variant of ``seed``: ``rounds`` edits chosen by ``choices(n) -> 0..n-1``.

    The edits are those that found bugs in parsers before: a byte changed, a
    span deleted or duplicated, a hostile token inserted or put in place of
    a span, the input cut short.
    """
    data = bytearray(seed)
    for _ in range(rounds):
        op = choices(6)
        pos = choices(len(data) + 1)
        span = choices(64) + 1
        if op == 0 and data:
            data[min(pos, len(data) - 1)] = choices(256)
        elif op == 1:
            del data[pos : pos + span]
        elif op == 2:
            data[pos:pos] = HOSTILE_TOKENS[choices(len(HOSTILE_TOKENS))]
        elif op == 3:
            data[pos : pos + span] = HOSTILE_TOKENS[choices(len(HOSTILE_TOKENS))]
        elif op == 4:
            start = choices(len(data) + 1)
            data[pos:pos] = data[start : start + span * 8]
        else:
            del data[pos:]
    return bytes(data)
