"""The store's Merkle log, through the library: leaves, roots, proofs and their cost.

Leaf ``i`` is the statement at position ``i`` and its entry the stored
envelope bytes, so every root the store reports must equal the reference
``naive_root`` over those leaves, and every proof it produces must verify with
:mod:`provenance.log.proof`. The nodes are persisted: a reopened store
rehashes nothing, and a proof costs O(log n) node reads. Every test runs on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from conftest import World, drop_schema, make_world, pg_schema_url, raw_count

import provenance.log.merkle as merkle
import provenance.store.logtable as logtable
from provenance.errors import ProofError, RootMismatchError, StoreError
from provenance.log.merkle import leaf_hash, naive_root
from provenance.log.proof import verify_consistency, verify_inclusion
from provenance.store import Store
from provenance.store.logtable import LogTree

BACKENDS = ("sqlite", "postgres")

BIG = 1000
T = TypeVar("T")


def _leaves(store: Store) -> list[bytes]:
    """Leaf hashes of the stored envelopes, in position order."""
    records = list(store.iter_records())
    assert [r.position for r in records] == list(range(len(records)))
    return [leaf_hash(r.envelope.raw) for r in records]


def _perfect_nodes(size: int) -> int:
    """How many perfect subtrees a tree of ``size`` leaves has: sum of size >> level."""
    return 2 * size - bin(size).count("1")


def _grow(world: World, count: int, prefix: str = "item") -> None:
    """Append ``count`` evidence registrations (pre-signed, then appended in a loop)."""
    start = world.store.size()
    raws = [
        world.sign("alice", "evidence.registered", f"{prefix}-{start + i}", {
            "item_kind": "other", "title": f"Item {start + i}",
        })
        for i in range(count)
    ]  # fmt: skip
    for raw in raws:
        world.store.append(raw)


@dataclass
class Counter:
    """Counts calls of a spied function."""

    calls: int = 0

    def wrap(self, func: Callable[..., T]) -> Callable[..., T]:
        def spy(*args: object) -> T:
            self.calls += 1
            return func(*args)

        return spy


@pytest.fixture
def forty(world: World) -> World:
    """The small world grown to 40 statements, checking the root after each append."""
    leaves = _leaves(world.store)
    while world.store.size() < 40:
        n = world.store.size()
        if n % 3 or n == 3:
            receipt = world.evidence(f"item-{n}")
        else:  # some subjects get several statements
            receipt = world.put("bob", "evidence.marking", "item-3", {"text": f"mark {n}"})
        assert receipt.position == n
        leaves.append(leaf_hash(world.store.statement(receipt.statement_id).envelope.raw))
        assert world.store.log_root() == naive_root(leaves)
    return world


@pytest.fixture(scope="module")
def big_stores(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], Path | str]]:
    """``get(backend)``: a store of exactly BIG statements on that backend, built once for
    the module (on first use), then closed; PostgreSQL schemas are dropped at the end."""
    built: dict[str, Path | str] = {}
    schemas: list[str] = []

    def get(backend: str) -> Path | str:
        if backend not in built:
            location: Path | str | None = None
            if backend == "postgres":
                schemas.append(f"t_big_{uuid.uuid4().hex[:12]}")
                location = pg_schema_url(schemas[-1])
            world = make_world(tmp_path_factory.mktemp(f"big-{backend}"), location)
            _grow(world, BIG - world.store.size())
            assert world.store.size() == BIG
            world.store.close()
            built[backend] = world.store_dir
        return built[backend]

    yield get
    for schema in schemas:
        drop_schema(schema)


@pytest.fixture
def big(backend: str, big_stores: Callable[[str], Path | str]) -> Path | str:
    """The BIG store of the test's backend."""
    return big_stores(backend)


# -- leaves and roots ---------------------------------------------------------------------


def test_roots_equal_the_reference_for_every_size(forty: World) -> None:
    """log_root(n) is naive_root of the first n envelopes' leaf hashes, for n = 0..40."""
    leaves = _leaves(forty.store)
    assert len(leaves) == 40
    for n in range(41):
        assert forty.store.log_root(n) == naive_root(leaves[:n]), n
    # Exactly the perfect subtrees are stored, nothing else.
    assert raw_count(forty.store_dir, "log_nodes") == _perfect_nodes(40)


def test_leaf_entry_is_the_stored_envelope(forty: World) -> None:
    """The level-0 node of position i is SHA-256(0x00 || stored envelope of statement i)."""
    for record in forty.store.iter_records():
        with forty.store.transaction(commit=False) as tx:
            node = LogTree(tx).node(0, record.position)
        assert node == leaf_hash(record.envelope.raw)


def test_every_inclusion_and_consistency_proof_verifies(forty: World) -> None:
    """For every (index, size) and (old, new) up to 40 the store's proofs verify."""
    leaves = _leaves(forty.store)
    roots = [naive_root(leaves[:n]) for n in range(41)]
    for size in range(1, 41):
        for index in range(size):
            proof = forty.store.log_inclusion(index, size)
            verify_inclusion(leaves[index], index, size, proof, roots[size])
        for old in range(1, size + 1):
            proof = forty.store.log_consistency(old, size)
            verify_consistency(old, size, proof, roots[old], roots[size])
    # The checks are not vacuous: a proof for another leaf, or other sizes, fails.
    with pytest.raises(RootMismatchError):
        verify_inclusion(leaves[4], 5, 40, forty.store.log_inclusion(5, 40), roots[40])
    with pytest.raises(ProofError, match=r"^consistency proof from size 7 to size 40 is too short"):
        verify_consistency(7, 40, forty.store.log_consistency(6, 40), roots[7], roots[40])


def test_random_proofs_on_a_big_store_verify(big: Path | str) -> None:
    """Random (index, size) and (old, new) pairs on the 1000-statement store verify."""
    rng = random.Random(6962)
    with Store.open(big) as store:
        leaves = _leaves(store)
        roots: dict[int, bytes] = {}

        def root(n: int) -> bytes:
            if n not in roots:
                roots[n] = merkle.root_from_leaf_hashes(leaves[:n])
                assert store.log_root(n) == roots[n]
            return roots[n]

        assert root(BIG) == naive_root(leaves)
        for _ in range(150):
            size = rng.randint(1, BIG)
            index = rng.randrange(size)
            verify_inclusion(
                leaves[index], index, size, store.log_inclusion(index, size), root(size)
            )
            old = rng.randint(1, size)
            verify_consistency(old, size, store.log_consistency(old, size), root(old), root(size))


def test_root_beyond_the_log_is_refused_as_such(forty: World) -> None:
    """Asking for the root of a size the log has not reached is a caller error, like it is
    for log_inclusion and log_consistency, not a report of damage ("run 'prov verify'")."""
    for call in (
        lambda: forty.store.log_inclusion(0, 41),
        lambda: forty.store.log_consistency(1, 41),
        lambda: forty.store.log_root(41),
    ):
        with pytest.raises(StoreError) as info:
            call()
        assert "prov verify" not in str(info.value)
        assert "41" in str(info.value)


# -- persistence and cost --------------------------------------------------------------------


def test_reopened_store_gives_the_same_roots_without_rehashing(
    forty: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After Store.open, roots and proofs are read from stored nodes: leaf_hash is never called."""
    before = [forty.store.log_root(n) for n in range(41)]
    proofs = [forty.store.log_inclusion(i, 40) for i in range(40)]
    forty.store.close()
    counter = Counter()
    monkeypatch.setattr(logtable, "leaf_hash", counter.wrap(merkle.leaf_hash))
    monkeypatch.setattr(merkle, "leaf_hash", counter.wrap(merkle.leaf_hash))
    reopened = Store.open(forty.store_dir)
    forty.store = reopened  # closed by the fixture
    assert [reopened.log_root(n) for n in range(41)] == before
    assert [reopened.log_inclusion(i, 40) for i in range(40)] == proofs
    for old in range(1, 41):
        reopened.log_consistency(old, 40)
    assert counter.calls == 0
    # The spy does see hashing: appending one statement hashes exactly one leaf.
    forty.evidence("item-after-reopen")
    assert counter.calls == 1


def test_a_proof_costs_logarithmic_node_reads(
    big: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a store of 1000, a root, an inclusion or a consistency proof reads O(log n) nodes."""
    counter = Counter()
    monkeypatch.setattr(LogTree, "node", counter.wrap(LogTree.node))
    bound = 2 * math.log2(BIG) + 2
    with Store.open(big) as store:
        assert counter.calls == 0  # opening reads no node
        store.log_root(BIG)
        assert counter.calls == bin(BIG).count("1")  # one node per set bit of the size
        worst = 0
        for index in range(BIG):
            counter.calls = 0
            store.log_inclusion(index, BIG)
            worst = max(worst, counter.calls)
        assert worst <= bound, worst
        rng = random.Random(9162)
        for old in [1, 2, 3, 511, 512, 513, 999, *(rng.randint(1, BIG) for _ in range(100))]:
            counter.calls = 0
            store.log_consistency(old, BIG)
            assert counter.calls <= bound, (old, counter.calls)


# -- refusals and concurrent writers ------------------------------------------------------------


def test_a_refused_statement_leaves_no_leaf(world: World) -> None:
    """A statement the rules refuse writes no node, and the next leaf goes where it should."""
    world.evidence("item-1")
    nodes, root = raw_count(world.store_dir, "log_nodes"), world.store.log_root()
    world.new_key("mallory")
    with world.refuses("not a registered actor"):
        world.put("mallory", "evidence.registered", "item-2", {"item_kind": "other", "title": "T"})
    with world.refuses("already exists"):
        world.evidence("item-1", title="again")
    assert raw_count(world.store_dir, "log_nodes") == nodes
    assert world.store.log_root() == root
    world.evidence("item-2")
    assert world.store.log_root() == naive_root(_leaves(world.store))
    assert raw_count(world.store_dir, "log_nodes") == _perfect_nodes(world.store.size())


def test_two_store_instances_appending_alternately(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two instances each cache a frontier; each notices when the other moved the log."""
    restored = Counter()
    monkeypatch.setattr(LogTree, "frontier", restored.wrap(LogTree.frontier))
    first = world.store
    second = Store.open(world.store_dir)
    try:
        world.evidence("warm-up")  # ``first`` now caches the frontier
        pattern = [first, second, first, first, second, second, second, first, second]
        for n, store in enumerate(pattern):
            restored.calls = 0
            previous = pattern[n - 1] if n else first
            raw = world.sign("alice", "evidence.registered", f"alt-{n}", {
                "item_kind": "other", "title": f"Alt {n}",
            })  # fmt: skip
            store.append(raw)
            # The frontier is read back from the nodes only when the other one appended.
            assert restored.calls == (0 if store is previous else 1), n
            leaves = _leaves(first)
            assert first.log_root() == second.log_root() == naive_root(leaves)
        assert raw_count(world.store_dir, "log_nodes") == _perfect_nodes(first.size())
    finally:
        second.close()
