"""The log's part of ``prov verify``: leaves, nodes, checkpoints and their consistency.

Fed the stored envelope of every position in order, it recomputes the tree
and compares every node the store keeps with the recomputed one; then it
checks every stored checkpoint: signed by the log's key, of this log's
origin, not beyond the log, its root equal to the recomputed root at its
size, no two checkpoints of one size with different roots (a split view),
and a consistency proof between each pair of consecutive checkpoints.

Then it checks what the checkpoints are anchored to. With pins from outside
the store (:class:`provenance.trust.Pins`), the pinned log key must be the
store's (or lead to it through signed key transitions), its name the store's
origin, every checkpoint signed by it, a pinned checkpoint among the stored
ones and a prefix of the log, and a quorum of pinned witnesses must have
cosigned a checkpoint. Every stored cosignature is checked against the known
witness keys (pinned, else the store's witness policy): its line matches its
row, its signature verifies, and its timestamp is the row's and within
tlog-cosignature's limit.
"""

from __future__ import annotations

import base64
import itertools
from typing import TYPE_CHECKING, Any

from provenance.errors import ProofError, ProvenanceError, StoreError
from provenance.log.checkpoint import Checkpoint, open_checkpoint
from provenance.log.merkle import CompactRange, consistency_proof, inclusion_proof, leaf_hash
from provenance.log.note import Verifier, open_note, parse_note, parse_signature_line
from provenance.log.proof import verify_consistency, verify_inclusion
from provenance.store.checkpoints import (
    ROTATION_LINE,
    StoredCheckpoint,
    checkpoints,
    witness_policy,
)
from provenance.store.logtable import node_at
from provenance.trust import Pins

if TYPE_CHECKING:
    from provenance.audit.report import Problem, Trusted
    from provenance.store.store import Store


class LogAudit:
    """Recomputes the log from the statements and compares it with what is stored."""

    def __init__(
        self,
        store: Store,
        problem: Any,
        since: Trusted | None = None,
        pins: Pins | None = None,
        notes: list[str] | None = None,
    ) -> None:
        self.store = store
        self.problem = problem
        self.since = since
        self.pins = pins or Pins()
        self.notes = notes if notes is not None else []
        with store.transaction(commit=False) as tx:
            rows = tx.all("SELECT id, hash FROM log_nodes")
        self.nodes = {node_at(int(r[0])): bytes(r[1]) for r in rows}
        start = since.size if since else 0
        stored = checkpoints(store)
        unanchored = self.pins.checkpoint is None and since is None
        pinned_log = self.pins.log is not None or bool(self.pins.witnesses)
        if not stored and pinned_log and unanchored:
            # Not damage: a log may not have been checkpointed yet. But the pin
            # cannot be checked, which is exit 2, never OK.
            what = "log key" if self.pins.log is not None else "witnesses"
            raise StoreError(
                f"cannot check the pinned {what}: the store holds no checkpoint, so nothing "
                "signed or cosigned is here to check (pin a saved checkpoint with --since "
                "or --trust to tell a deletion from a log not yet checkpointed)"
            )
        self.stored_count = len(stored)
        # An incremental audit checks the checkpoints from the trusted one on.
        self.checkpoints = [c for c in stored if c.size >= start]
        self.wanted = {c.size for c in self.checkpoints}
        self.anchor = self._pinned_checkpoint_size()
        if self.anchor is not None and self.anchor >= start:
            self.wanted.add(self.anchor)
        self.roots: dict[int, bytes] = {}
        self.range = CompactRange()
        self.pending: dict[int, tuple[bytes, dict[str, Any]]] = {}
        if since is not None:
            self._start_from(since)
        if self.range.size in self.wanted:
            self.roots[self.range.size] = self.range.root()

    def _pinned_checkpoint_size(self) -> int | None:
        """The size the pinned checkpoint claims (its signature is checked at the end)."""
        if self.pins.checkpoint is None:
            return None
        try:
            return Checkpoint.parse(parse_note(self.pins.checkpoint)[0]).size
        except ProvenanceError:
            return None

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
        key = self._log_key()
        if key is None:
            if self.checkpoints:
                self.problem("the store has checkpoints but no log key")
            else:
                self.notes.append(
                    "the store has no log key: nothing anchors the record outside the store"
                )
            return
        verifier, origin = key
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
        self._check_anchor(verifier, origin, size)
        self._check_cosignatures(good)
        if not self.stored_count and self.pins.empty:
            self.notes.append(
                "the store holds no checkpoint: nothing anchors the log outside the store "
                "(sign one with 'prov log checkpoint' and keep it, e.g. 'prov trust export')"
            )

    def _log_key(self) -> tuple[Verifier, str] | None:
        """The log key and origin to check checkpoints with: the pinned ones if given."""
        from provenance.trust import parse_log_vkey

        stored_vkey = self.store.meta.get("log_vkey")
        stored_origin = self.store.meta.get("log_origin")
        pinned = self.pins.log
        if pinned is None:
            if stored_vkey is None or stored_origin is None:
                return None
            try:
                return parse_log_vkey(stored_vkey, "the stored log key"), stored_origin
            except ProvenanceError as e:
                self.problem(f"the store's log key is malformed: {e}")
                return None
        if stored_vkey is None or stored_origin is None:
            self.problem(
                f"the log key is pinned ({pinned.vkey}), but the store has no log key or "
                "origin: they were deleted"
            )
        rotated = (
            stored_vkey is not None
            and stored_vkey != pinned.vkey
            and self._follows_rotation(pinned, stored_vkey)
        )
        if stored_vkey is not None and stored_vkey != pinned.vkey and not rotated:
            self.problem(
                f"the pinned log key {pinned.vkey} is not the store's log key {stored_vkey}"
            )
        if stored_origin is not None and stored_origin != pinned.name:
            self.problem(
                f"the store's log origin {stored_origin!r} is not the pinned log key's "
                f"name {pinned.name!r}"
            )
        current = parse_log_vkey(str(stored_vkey)) if rotated else pinned
        return current, pinned.name

    def _follows_rotation(self, pinned: Verifier, stored_vkey: str) -> bool:
        """Whether signed transitions lead from the pinned key to the store's current one.

        Each retired key must have signed a transition checkpoint whose
        extension line ``prov-log-key VKEY`` names its successor
        (docs/spec/log.md §3).
        """
        from provenance.rules.strict_json import loads

        try:
            history = loads(self.store.meta.get("log_vkey_history", "[]"), "log key history")
            chain = [str(h["vkey"]) for h in history] + [stored_vkey]
            ids = [int(h["checkpoint"]) for h in history]
        except (ProvenanceError, ValueError, TypeError, KeyError):
            return False
        if pinned.vkey not in chain[:-1]:
            return False
        by_id = {c.id: c for c in checkpoints(self.store)}
        from provenance.trust import parse_log_vkey

        for step in range(chain.index(pinned.vkey), len(ids)):
            cp = by_id.get(ids[step])
            if cp is None:
                return False
            try:
                old = parse_log_vkey(chain[step])
                signed = open_checkpoint(cp.note, old, origin=pinned.name)
            except ProvenanceError:
                return False
            if ROTATION_LINE + chain[step + 1] not in signed.checkpoint.extensions:
                return False
        self.notes.append("followed the log's signed key transitions from the pinned log key")
        return True

    def _check_anchor(self, verifier: Verifier, origin: str, size: int) -> None:
        """A pinned checkpoint: signed by the log key, stored, and a prefix of the log."""
        note = self.pins.checkpoint
        if note is None:
            return
        try:
            signed = open_checkpoint(
                note, verifier, origin=origin, witnesses=self._known_witnesses()
            )
        except ProvenanceError as e:
            self.problem(f"the pinned checkpoint does not verify with the log key: {e}")
            return
        cp = signed.checkpoint
        label = f"the pinned checkpoint (size {cp.size})"
        if cp.size > size:
            self.problem(f"{label} is beyond the log, which has {size} leaves: it was truncated")
            return
        if not any((c.size, c.root) == (cp.size, cp.root_hash) for c in checkpoints(self.store)):
            self.problem(f"{label} is not among the store's checkpoints: they were deleted")
        expected = self.roots.get(cp.size)
        if expected is not None and expected != cp.root_hash:
            self.problem(
                f"{label}: the log's root at that size is "
                f"{base64.b64encode(expected).decode()}, the pinned checkpoint says "
                f"{base64.b64encode(cp.root_hash).decode()}"
            )

    def _known_witnesses(self) -> tuple[Verifier, ...]:
        if self.pins.witnesses:
            return self.pins.witnesses
        policy = self._policy()
        return policy[0] if policy else ()

    def _policy(self) -> tuple[tuple[Verifier, ...], int] | None:
        try:
            return witness_policy(self.store)
        except StoreError as e:
            self.problem(str(e))
            return None

    def _check_cosignatures(self, good: list[StoredCheckpoint]) -> None:
        """Every stored cosignature row, and the witness quorum (tlog-cosignature)."""
        pinned = bool(self.pins.witnesses)
        policy = None if pinned else self._policy()
        known = self.pins.witnesses if pinned else (policy[0] if policy else ())
        quorum = self.pins.quorum if pinned else (policy[1] if policy else None)
        by_key = {(w.name, w.key_id): w for w in known}
        unknown: set[str] = set()
        cosigned: dict[int, set[bytes]] = {}
        for cp in self.checkpoints:
            try:
                text = parse_note(cp.note)[0].encode("utf-8")
            except ProvenanceError:
                continue  # reported with the checkpoint
            for name, kid, line, stamp in cp.cosignatures:
                label = f"cosignature by {name} (key {kid}) of checkpoint {cp.id} (size {cp.size})"
                try:
                    sig = parse_signature_line(line)
                except ProvenanceError as e:
                    self.problem(f"{label}: its line is not a signature line: {e}")
                    continue
                if (sig.name, f"{sig.key_id:08x}") != (name, kid):
                    self.problem(
                        f"{label}: its line is by {sig.name} (key {sig.key_id:08x}), "
                        "not the witness its row names"
                    )
                    continue
                witness = by_key.get((sig.name, sig.key_id))
                if witness is None:
                    unknown.add(name)
                    continue
                try:
                    signed_at = witness.verify(text, sig.signature)
                except ProvenanceError as e:
                    self.problem(f"{label} is forged: {e}")
                    continue
                if signed_at != stamp:
                    self.problem(f"{label}: its row says time {stamp}, it signed {signed_at}")
                    continue
                cosigned.setdefault(cp.id, set()).add(witness.public_key)
        if unknown:
            who = "pinned" if pinned else "in the store's witness policy"
            self.notes.append(
                f"cosignatures by {', '.join(sorted(unknown))}, not {who}, were not checked"
            )
        if quorum is not None:
            self._check_quorum(good, cosigned, len(known), quorum, pinned)

    def _check_quorum(
        self,
        good: list[StoredCheckpoint],
        cosigned: dict[int, set[bytes]],
        count: int,
        quorum: int,
        pinned: bool,
    ) -> None:
        """The largest sound checkpoint cosigned by a quorum of distinct witness keys."""
        whose = "pinned" if pinned else "policy"
        met = [c for c in good if len(cosigned.get(c.id, ())) >= quorum]
        if not met:
            message = f"no checkpoint is cosigned by {quorum} of the {count} {whose} witnesses"
            if pinned:
                self.problem(f"the pinned witnesses disagree: {message}")
            else:
                self.notes.append(message)
            return
        best = max(met, key=lambda c: (c.size, c.id))
        latest = max(good, key=lambda c: c.size).size
        tail = (
            ""
            if best.size >= latest
            else (f"; the log after it (to size {latest}) rests on the log key alone")
        )
        self.notes.append(
            f"checkpoint of size {best.size} is cosigned by {len(cosigned[best.id])} of the "
            f"{count} {whose} witnesses ({quorum} required){tail}"
        )

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
