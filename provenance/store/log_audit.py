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

from provenance.errors import ProofError, ProvenanceError
from provenance.log.checkpoint import Checkpoint
from provenance.log.merkle import CompactRange, consistency_proof, inclusion_proof, leaf_hash
from provenance.log.note import open_note, parse_verifier_key
from provenance.log.proof import verify_consistency, verify_inclusion
from provenance.store.checkpoints import StoredCheckpoint, checkpoints
from provenance.store.logtable import node_at

if TYPE_CHECKING:
    from provenance.store.audit import Problem, Trusted
    from provenance.store.store import Store


class LogAudit:
    """Recomputes the log from the statements and compares it with what is stored."""

    def __init__(self, store: Store, problem: Any, since: Trusted | None = None) -> None:
        self.store = store
        self.problem = problem
        self.since = since
        with store.transaction(commit=False) as tx:
            rows = tx.all("SELECT id, hash FROM log_nodes")
        self.nodes = {node_at(int(r[0])): bytes(r[1]) for r in rows}
        start = since.size if since else 0
        # An incremental audit checks the checkpoints from the trusted one on.
        self.checkpoints = [c for c in checkpoints(store) if c.size >= start]
        self.wanted = {c.size for c in self.checkpoints}
        self.roots: dict[int, bytes] = {}
        self.range = CompactRange()
        self.pending: dict[int, tuple[bytes, dict[str, Any]]] = {}
        if since is not None:
            self._start_from(since)
        if self.range.size in self.wanted:
            self.roots[self.range.size] = self.range.root()

    def _start_from(self, since: Trusted) -> None:
        """Continue from the trusted checkpoint: the stored frontier must fold to its root."""
        try:
            self.range = CompactRange.restore(since.size, self._node)
        except KeyError as e:
            self.problem(f"the log has no node {e} of the trusted checkpoint's tree")
            return
        found = self.range.root()
        if found != since.root:
            self.problem(
                f"the stored log does not extend the trusted checkpoint of size {since.size}: "
                f"its nodes give root {base64.b64encode(found).decode()}, the checkpoint "
                f"says {base64.b64encode(since.root).decode()}"
            )

    def prove_trusted(self, position: int, entry: bytes) -> None:
        """Raise ProofError unless ``entry`` is leaf ``position`` of the trusted tree."""
        assert self.since is not None
        try:
            proof = inclusion_proof(position, self.since.size, self._node)
        except KeyError as e:
            raise ProofError(f"log node {e} is missing") from e
        verify_inclusion(leaf_hash(entry), position, self.since.size, proof, self.since.root)

    def leaf(self, position: int, entry: bytes, where: dict[str, Any]) -> None:
        """Add the statement at ``position``; statements may come in any order.

        Rows are read in the event log's order, which a tamper can make differ
        from the positions; leaves are taken in position order regardless.
        """
        if position < self.range.size or position in self.pending:
            self.problem(f"position {position} is claimed by two statements", **where)
            return
        self.pending[position] = (leaf_hash(entry), where)
        self._drain()

    def _drain(self) -> None:
        while self.range.size in self.pending:
            digest, where = self.pending.pop(self.range.size)
            self._append(digest, where)

    def _append(self, leaf: bytes, where: dict[str, Any]) -> None:
        for level, index, digest in self.range.append(leaf):
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
        self._drain()
        stored = [i for (level, i) in self.nodes if level == 0]
        end = max([*stored, *self.pending], default=-1) + 1
        while self.range.size < end:
            position = self.range.size
            leaf = self.nodes.get((0, position))
            if leaf is None:
                self.problem(f"log leaf {position} is missing, and no statement is there")
                break
            # Go on with the stored leaf, so that the rest of the log is still checked.
            self.problem(f"log leaf {position} has no statement", position=position)
            self._append(leaf, {"position": position})
            self._drain()
        self._check_checkpoints(self.range.size)

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
