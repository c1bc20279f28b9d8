"""The store's Merkle log: every statement a leaf, the tree kept as its nodes.

Leaf ``i`` is the statement at position ``i``; its entry is the statement's
stored envelope bytes, hashed as RFC 6962 / RFC 9162 §2.1 says. The table
``log_nodes`` holds every *perfect* subtree hash (level ``L``, index ``i``
covering leaves ``[i * 2^L, (i + 1) * 2^L)``), written in the transaction that
appends the statement. A root or a proof for any size then costs O(log n)
indexed reads on a freshly opened store: nothing is rehashed on open.

A node's key is ``(last leaf it covers) * 64 + level``. Every node an append
completes has that append's leaf as its last leaf, so they all go to the end
of one B-tree: an append dirties one page of this table, not one per level.
The view ``log_tree(id, level, idx, hash)`` shows the nodes by level and index.
"""

from __future__ import annotations

from provenance.errors import StoreError
from provenance.log.merkle import (
    CompactRange,
    RootHash,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_nodes,
)
from provenance.store.tables import Tx

LOG_TABLES = [
    "CREATE TABLE IF NOT EXISTS log_nodes (id INTEGER PRIMARY KEY, hash BLOB NOT NULL)",
    "CREATE VIEW IF NOT EXISTS log_tree AS SELECT id, id & 63 AS level, "
    "(((id >> 6) + 1) >> (id & 63)) - 1 AS idx, hash FROM log_nodes",
    "CREATE TABLE IF NOT EXISTS checkpoints ("
    "id INTEGER PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL, "
    "note TEXT NOT NULL, signed_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS cosignatures ("
    "checkpoint_id INTEGER NOT NULL, witness TEXT NOT NULL, key_id TEXT NOT NULL, "
    "line TEXT NOT NULL, time INTEGER NOT NULL, PRIMARY KEY (checkpoint_id, key_id))",
]


def node_id(level: int, index: int) -> int:
    """The key of the node at (level, index): its last leaf times 64, plus its level."""
    return ((((index + 1) << level) - 1) << 6) | level


def node_at(key: int) -> tuple[int, int]:
    """The (level, index) of a node key."""
    level = key & 63
    return level, (((key >> 6) + 1) >> level) - 1


class LogTree:
    """Reads and writes of the log's nodes through one transaction."""

    def __init__(self, tx: Tx, cache: dict[int, bytes] | None = None) -> None:
        self.tx = tx
        # Nodes already read in this transaction, when a caller reads many proofs
        # (they share their upper nodes); None reads every node afresh.
        self.cache = cache

    def node(self, level: int, index: int) -> bytes:
        """The hash of the perfect subtree at (level, index)."""
        key = node_id(level, index)
        if self.cache is not None and key in self.cache:
            return self.cache[key]
        row = self.tx.one("SELECT hash FROM log_nodes WHERE id = ?", (key,))
        if row is None:
            raise StoreError(f"log node ({level}, {index}) is missing: run 'prov verify'")
        digest = bytes(row[0])
        if self.cache is not None:
            self.cache[key] = digest
        return digest

    def frontier(self, size: int) -> CompactRange:
        """The compact range of the first ``size`` leaves, read from the nodes."""
        return CompactRange.restore(size, self.node)

    def append(self, frontier: CompactRange, entry: bytes) -> CompactRange:
        """Add the leaf for ``entry`` at ``frontier.size``; write every completed node.

        Returns the new frontier (``frontier`` itself is left unchanged, so a
        caller can drop the result if the transaction rolls back).
        """
        grown = CompactRange(frontier.size, frontier.nodes)
        nodes = grown.append(leaf_hash(entry))
        # One statement for all the completed nodes: one round trip on PostgreSQL.
        params: list[object] = []
        for level, index, digest in nodes:
            params += [node_id(level, index), digest]
        values = ", ".join(["(?, ?)"] * len(nodes))
        self.tx.run(f"INSERT INTO log_nodes VALUES {values}", tuple(params))
        return grown

    def root(self, size: int) -> RootHash:
        """The Merkle tree hash of the first ``size`` leaves."""
        return root_from_nodes(size, self.node)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of ``size`` leaves."""
        return inclusion_proof(index, size, self.node)

    def consistency(self, old: int, new: int) -> list[bytes]:
        """The consistency proof from size ``old`` to size ``new``."""
        return consistency_proof(old, new, self.node)
