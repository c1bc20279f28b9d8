"""The log's part of ``prov verify``: leaves, nodes, checkpoints and their consistency.

Fed the stored envelope of every position in order, it recomputes the tree
and compares every node the store keeps with the recomputed one; then it
checks every stored checkpoint: signed by the log's key, of this log's
origin, not beyond the log, its root equal to the recomputed root at its
size, no two checkpoints of one size with different roots (a split view),
and a consistency proof between each pair of consecutive checkpoints.
"""

from __future__ import annotations

import base64
import itertools
from typing import TYPE_CHECKING, Any

from provenance.errors import ProvenanceError
from provenance.log.checkpoint import Checkpoint
from provenance.log.merkle import CompactRange, consistency_proof, leaf_hash
from provenance.log.note import open_note, parse_verifier_key
from provenance.log.proof import verify_consistency
from provenance.store.checkpoints import StoredCheckpoint, checkpoints
from provenance.store.tables import Tx

if TYPE_CHECKING:
    from provenance.store.audit import Problem
    from provenance.store.store import Store


class LogAudit:
    """Recomputes the log from the statements and compares it with what is stored."""

    def __init__(self, store: Store, problem: Any) -> None:
        self.store = store
        self.problem = problem
        with store.recorder.datastore.transaction(commit=False) as c:
            rows = Tx(c).all("SELECT level, idx, hash FROM log_nodes")
        self.nodes = {(int(r[0]), int(r[1])): bytes(r[2]) for r in rows}
        self.checkpoints = checkpoints(store)
        self.wanted = {c.size for c in self.checkpoints}
        self.roots: dict[int, bytes] = {}
        self.range = CompactRange()
        if 0 in self.wanted:
            self.roots[0] = self.range.root()

    def leaf(self, position: int, entry: bytes, where: dict[str, Any]) -> None:
        """Add the statement at ``position`` (positions must come in order)."""
        if position != self.range.size:
            return  # a gap in the positions is reported by the statement audit
        for level, index, digest in self.range.append(leaf_hash(entry)):
            stored = self.nodes.get((level, index))
            if stored is None:
                self.problem(f"log node ({level}, {index}) is missing", **where)
            elif stored != digest:
                what = "leaf hash" if level == 0 else f"log node ({level}, {index})"
                self.problem(
                    f"{what} differs from the statement's: stored {stored.hex()[:16]}, "
                    f"recomputed {digest.hex()[:16]}",
                    **where,
                )
        if self.range.size in self.wanted:
            self.roots[self.range.size] = self.range.root()

    def finish(self) -> None:
        """Check what only the whole log can show, after the last leaf."""
        size = self.range.size
        beyond = sorted(i for (level, i) in self.nodes if level == 0 and i >= size)
        for index in beyond:
            self.problem(f"log leaf {index} has no statement (the log is longer than the store)")
        self._check_checkpoints(size)

    def _check_checkpoints(self, size: int) -> None:
        vkey = self.store.meta.get("log_vkey")
        origin = self.store.meta.get("log_origin")
        if vkey is None or origin is None:
            if self.checkpoints:
                self.problem("the store has checkpoints but no log key")
            return
        verifier = parse_verifier_key(vkey)
        good: list[StoredCheckpoint] = []
        by_size: dict[int, bytes] = {}
        for cp in self.checkpoints:
            label = f"checkpoint {cp.id} (size {cp.size}, signed {cp.signed_at})"
            try:
                opened = open_note(cp.note, [verifier])
                parsed = Checkpoint.parse(opened.text)
            except ProvenanceError as e:
                self.problem(f"{label} is not signed by the log key: {e}")
                continue
            if parsed.origin != origin:
                self.problem(f"{label} is for log {parsed.origin!r}, not {origin!r}")
                continue
            if (parsed.size, parsed.root_hash) != (cp.size, cp.root):
                self.problem(f"{label}: its stored size or root differ from its signed text")
                continue
            if cp.size > size:
                self.problem(f"{label} is beyond the log, which has {size} leaves")
                continue
            earlier = by_size.setdefault(cp.size, cp.root)
            if earlier != cp.root:
                self.problem(
                    f"{label}: split view, another checkpoint of size {cp.size} has root "
                    f"{base64.b64encode(earlier).decode()}"
                )
            expected = self.roots.get(cp.size)
            if expected != cp.root:
                found = base64.b64encode(cp.root).decode()
                want = base64.b64encode(expected or b"").decode()
                self.problem(f"{label}: root {found} is not the log's root {want} at that size")
                continue
            good.append(cp)
        self._check_consistency(good)

    def _check_consistency(self, good: list[StoredCheckpoint]) -> None:
        ordered = sorted(good, key=lambda c: (c.size, c.id))
        for old, new in itertools.pairwise(ordered):
            if old.size == 0 or old.size == new.size:
                continue
            try:
                proof = consistency_proof(old.size, new.size, self._node)
                verify_consistency(old.size, new.size, proof, old.root, new.root)
            except (ProvenanceError, KeyError) as e:
                self.problem(
                    f"checkpoints of sizes {old.size} and {new.size} are not consistent: {e}"
                )

    def _node(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]


__all__ = ["LogAudit", "Problem"]
