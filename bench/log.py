"""The Merkle log: proofs from a cold open, its cost on the append path, ``prov verify``.

Three parts, in one run (``--part proofs|append|verify|all``, default all).
Every comparison is against a baseline measured in the same run; nothing here
asserts a time, the targets are printed beside the figures.

1. ``proofs`` (``--leaves``, default 1,000,000). A store made by ``init_store``
   whose log is then filled directly with synthetic 500-byte entries (derived
   from the index) through ``LogTree.append``, ``--batch`` leaves (default
   50,000) per transaction; the build rate is printed. The leaf hashes are
   kept in memory, together with every perfect node recomputed from them
   (pairwise, no database), as the independent reference. Then the store is
   closed, its file is evicted from the OS page cache (``fsync`` then
   ``posix_fadvise(DONTNEED)``, best effort, this file only) and the store is
   opened afresh with ``Store.open`` before each group of measurements:

   - ``--proofs`` (default 500) inclusion proofs for random ``(index, size)``,
     each in its own read transaction as ``Store.log_inclusion`` does:
     median, p99, the very first proof after the open, and the number of node
     reads per proof;
   - as many consistency proofs for random ``(old, new)``: median, p99;
   - the O(log n) root ``LogTree.root(size)`` for random sizes;
   - the full root recomputation from the stored leaves (every level-0 row
     read, then ``root_from_leaf_hashes``), beside the naive in-memory RFC 6962
     recursion ``naive_root`` on the same leaf hashes (the issue's baseline)
     and the iterative ``root_from_leaf_hashes`` on them.

   Every proof is verified with ``provenance.log.proof`` against a root
   computed from the in-memory reference, and all the roots must agree.
   (``Store.log_inclusion`` also checks the size against the statement index;
   the synthetic leaves are not statements, so the proofs go through
   ``LogTree`` on the store's own connection, which is all that method does
   besides.) ``naive_root`` recurses only ~log2(n) deep (21 for a million
   leaves), so Python's recursion limit does not matter; it does copy the
   slices at every level, O(n log n).

2. ``append`` (``--appends``, default 3,000; ``--rounds``, default 5). The
   cost of the log on the append path, A/B in the same run: each round
   appends the same pre-signed statements (one researcher, ``appends // 20``
   evidence items, then markings on them, as ``bench/append.py``) with
   ``Store.append`` into two fresh stores, one with the log as it is and one
   with the log disabled. The two sides take turns every ``--chunk`` appends
   (default 50), the first turn alternating, so that the disk's fsync latency,
   which drifts a lot on a shared machine, weighs on both alike. The log is
   disabled ONLY TO MEASURE IT: on the "without" side ``LogTree.append`` is
   monkeypatched, during its timed appends only, to write nothing and return
   an object whose ``size`` is one more (all the store reads of a frontier),
   so the store neither hashes nor writes nor reads a node. The figure of
   merit is the median over the rounds of time(with log) / time(without)
   (target: <= 1.10). Also printed: the bytes each side passes to write calls
   per append (``wchar`` of ``/proc/self/io``, in effect the WAL frames of
   each commit), and, from a separate with-log run that wraps the real
   ``LogTree.append`` with a timer, the time spent inside it.

3. ``verify`` (``--statements``, default 100,000; ``--subjects``, 1,000). A
   store of real signed statements: the organisation, one researcher, the
   subjects' registrations, then markings on them round-robin, signed in
   advance and appended one per transaction (a few minutes at full size;
   ``--reuse DIR`` keeps the store in DIR between runs), views caught up. Then,
   each in a fresh Python process (this file with ``--child``):

   - ``audit(store)``, the whole of ``prov verify``: elapsed time,
     statements/s, RSS after the imports, and the peak RSS of the process
     (``VmHWM`` from ``/proc/self/status``; ``ru_maxrss`` is printed too, but
     on Linux a child started by a large parent can inherit the parent's peak
     at exec, so VmHWM is the figure) against the target of 256 MB;
   - the raw Ed25519 rate: ``provenance.envelope.verify_ed25519`` over the
     same number of signatures (the store's own envelopes, messages prepared
     before the clock starts), signatures/s.

   It prints both rates and their ratio.

Run: ``python bench/log.py [--part all] [--leaves 1000000] [--appends 3000]
[--rounds 5] [--statements 100000] [--reuse DIR]``. A quick check:
``python bench/log.py --leaves 100000 --appends 1000 --statements 20000``.
Progress goes to stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

from provenance.audit import audit
from provenance.authoring import init_store, sign_statement
from provenance.envelope import pae, parse_envelope, verify_ed25519
from provenance.keys import KeyRing, SigningKey
from provenance.log.merkle import (
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    naive_root,
    node_hash,
    root_from_leaf_hashes,
    root_from_nodes,
)
from provenance.log.proof import verify_consistency, verify_inclusion
from provenance.model import kinds
from provenance.store import DB_NAME, Store, logtable
from provenance.store.logtable import LogTree
from provenance.store.tables import Tx

T = TypeVar("T")
MB = 1024 * 1024
PARAMS = "bench-log.json"
ZERO = bytes(32)


def progress(message: str) -> None:
    """One line of progress on stderr."""
    print(message, file=sys.stderr, flush=True)


def percentile(values: Sequence[float], p: int) -> float:
    """The p-th percentile (inclusive method) of at least one value."""
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def proc_status(field: str) -> int:
    """A field of /proc/self/status in KiB (-1 where there is no /proc)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))
    except (OSError, StopIteration):
        return -1


# -- part 1: proofs -------------------------------------------------------------


def entry(i: int) -> bytes:
    """The synthetic 500-byte log entry of leaf ``i``."""
    return ((b"%016d|" % i) * 30)[:500]


def evict(db: Path) -> None:
    """Flush a database's files and drop them from the OS page cache (best effort)."""
    for suffix in ("", "-wal", "-shm"):
        path = db.with_name(db.name + suffix)
        if not path.exists():
            continue
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            if hasattr(os, "posix_fadvise"):
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def reference_levels(hashes: list[bytes]) -> list[list[bytes]]:
    """Every perfect node, level by level, recomputed in memory from the leaf hashes."""
    levels = [hashes]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


def count_reads(proof: Callable[..., object], *args: int) -> int:
    """How many node look-ups ``proof(*args, get_node)`` makes (counted without a database)."""
    reads = 0

    def get(level: int, index: int) -> bytes:
        nonlocal reads
        reads += 1
        return ZERO

    proof(*args, get)
    return reads


def in_tx(store: Store, method: Callable[..., T], *args: int) -> tuple[float, T]:
    """Time ``method(tree, *args)`` in one read transaction, as the store's log methods do."""
    t0 = time.perf_counter()
    with store.recorder.datastore.transaction(commit=False) as c:
        result = method(LogTree(Tx(c)), *args)
    return time.perf_counter() - t0, result


def stored_leaves(tree: LogTree) -> list[bytes]:
    """Every stored leaf hash (the level-0 nodes), in order."""
    rows = tree.tx.all("SELECT hash FROM log_tree WHERE level = 0 ORDER BY idx")
    return [bytes(r[0]) for r in rows]


def build_log(directory: Path, leaves: int, batch: int) -> tuple[list[bytes], float]:
    """Create a store and fill its log to ``leaves`` leaves; return the leaf hashes and rate."""
    root = KeyRing(directory / "keys").create("root")
    store = init_store(directory / "store", root, org_id="org", org_name="Bench organisation")
    try:
        with store.recorder.datastore.transaction(commit=False) as c:
            tree = LogTree(Tx(c))
            genesis = tree.node(0, 0)
            frontier = tree.frontier(1)
        t0 = time.perf_counter()
        while frontier.size < leaves:
            end = min(leaves, frontier.size + batch)
            with store.recorder.datastore.transaction(commit=True) as c:
                tree = LogTree(Tx(c))
                for i in range(frontier.size, end):
                    frontier = tree.append(frontier, entry(i))
            progress(f"log: {frontier.size:,} leaves ({time.perf_counter() - t0:.0f} s)")
        rate = (leaves - 1) / (time.perf_counter() - t0)
    finally:
        store.close()
    hashes = [genesis, *(leaf_hash(entry(i)) for i in range(1, leaves))]
    return hashes, rate


def cold_open(directory: Path) -> tuple[Store, float]:
    """Evict the store's file from the page cache and open it afresh; time the open."""
    evict(directory / DB_NAME)
    t0 = time.perf_counter()
    store = Store.open(directory)
    return store, time.perf_counter() - t0


def ms(seconds: float) -> str:
    """Seconds as milliseconds, for the tables."""
    return f"{seconds * 1e3:10.3f}"


def run_proofs(leaves: int, batch: int, count: int, seed: int) -> None:
    """Part 1: build the log, then time proofs and roots from a cold open."""
    if leaves < 2:
        raise SystemExit("--leaves must be at least 2")
    rng = random.Random(seed)
    print(f"\n== proofs: a log of {leaves:,} leaves (500-byte entries), {count} proofs each ==")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        hashes, build_rate = build_log(directory, leaves, batch)
        db_bytes = (directory / "store" / DB_NAME).stat().st_size
        print(
            f"build: {build_rate:,.0f} leaves/s through LogTree.append, {batch:,} per transaction"
        )
        print(f"database file: {db_bytes / MB:,.0f} MB ({db_bytes / leaves:.0f} bytes per leaf)")
        t0 = time.perf_counter()
        levels = reference_levels(hashes)
        progress(f"in-memory reference nodes in {time.perf_counter() - t0:.1f} s")

        def mem_node(level: int, index: int) -> bytes:
            return levels[level][index]

        def mem_root(size: int) -> bytes:
            return root_from_nodes(size, mem_node)

        rows: list[tuple[str, str, str, str]] = []

        # Inclusion proofs, from a cold open.
        store, open_s = cold_open(directory / "store")
        pairs = []
        for _ in range(count):
            size = rng.randint(1, leaves)
            pairs.append((rng.randrange(size), size))
        times, reads = [], []
        try:
            for index, size in pairs:
                elapsed, proof = in_tx(store, LogTree.inclusion, index, size)
                times.append(elapsed)
                verify_inclusion(hashes[index], index, size, proof, mem_root(size))
                reads.append(count_reads(inclusion_proof, index, size))
        finally:
            store.close()
        first_inclusion = times[0]
        inclusion_median = statistics.median(times)
        rows.append(
            (
                "inclusion proof (one read tx)",
                ms(inclusion_median),
                ms(percentile(times, 99)),
                f"{statistics.median(reads):.0f} (max {max(reads)})",
            )
        )

        # Consistency proofs, from a cold open.
        store, open2_s = cold_open(directory / "store")
        cpairs = []
        for _ in range(count):
            new = rng.randint(1, leaves)
            cpairs.append((rng.randint(1, new), new))
        times, reads = [], []
        try:
            for old, new in cpairs:
                elapsed, proof = in_tx(store, LogTree.consistency, old, new)
                times.append(elapsed)
                verify_consistency(old, new, proof, mem_root(old), mem_root(new))
                reads.append(count_reads(consistency_proof, old, new))
        finally:
            store.close()
        first_consistency = times[0]
        consistency_median = statistics.median(times)
        rows.append(
            (
                "consistency proof (one read tx)",
                ms(consistency_median),
                ms(percentile(times, 99)),
                f"{statistics.median(reads):.0f} (max {max(reads)})",
            )
        )

        # Roots from the stored nodes, O(log n), from a cold open.
        store, _ = cold_open(directory / "store")
        sizes = [rng.randint(1, leaves) for _ in range(count)]
        times, reads = [], []
        try:
            for size in sizes:
                elapsed, found = in_tx(store, LogTree.root, size)
                times.append(elapsed)
                if found != mem_root(size):
                    raise SystemExit(f"stored root of size {size} differs from the reference")
                reads.append(count_reads(root_from_nodes, size))
            full_node_s, stored_root = in_tx(store, LogTree.root, leaves)
        finally:
            store.close()
        rows.append(
            (
                "root of a size, stored nodes",
                ms(statistics.median(times)),
                ms(percentile(times, 99)),
                f"{statistics.median(reads):.0f} (max {max(reads)})",
            )
        )

        # The full recomputation from the stored leaves, from a cold open.
        store, _ = cold_open(directory / "store")
        try:
            read_s, stored = in_tx(store, stored_leaves)
        finally:
            store.close()
        t0 = time.perf_counter()
        recomputed = root_from_leaf_hashes(stored)
        hash_s = time.perf_counter() - t0
        del stored
        t0 = time.perf_counter()
        iterative = root_from_leaf_hashes(hashes)
        iterative_s = time.perf_counter() - t0
        progress("naive recursion over every leaf...")
        t0 = time.perf_counter()
        naive = naive_root(hashes)
        naive_s = time.perf_counter() - t0

        if not stored_root == recomputed == iterative == naive == mem_root(leaves):
            raise SystemExit("the full roots disagree")
        rest = f"{len(hashes):,} leaves"
        rows += [
            ("full root, stored leaves: read", ms(read_s), "", rest),
            ("full root, stored leaves: hash", ms(hash_s), "", ""),
            ("full root, stored leaves: total", ms(read_s + hash_s), "", ""),
            ("full root, root_from_leaf_hashes (mem)", ms(iterative_s), "", ""),
            (
                "full root, naive_root recursion (mem)",
                ms(naive_s),
                "",
                f"baseline (recursion depth {(leaves - 1).bit_length() + 1})",
            ),
            ("full root, LogTree.root(n)", ms(full_node_s), "", ""),
        ]

        print(f"Store.open from a cold page cache: {open_s * 1e3:.1f} ms, {open2_s * 1e3:.1f} ms")
        print(
            f"first proof after the open: inclusion {first_inclusion * 1e3:.2f} ms, "
            f"consistency {first_consistency * 1e3:.2f} ms"
        )
        print(f"{'':40} {'median ms':>10} {'p99 ms':>10}  node reads / notes")
        for name, median, p99, note in rows:
            print(f"{name:40} {median} {p99:>10}  {note}")
        print(
            f"stored-leaves recomputation / naive recursion: {(read_s + hash_s) / naive_s:.2f}; "
            f"LogTree.root(n) is {naive_s / full_node_s:,.0f}x faster than the naive recursion"
        )
        print("every proof verified; stored, recomputed, iterative and naive roots agree")
        holds = max(inclusion_median, consistency_median) < 0.005
        print(
            f"median proof < 5 ms from a cold open: {'yes' if holds else 'NO'} "
            f"(inclusion {inclusion_median * 1e3:.3f} ms, "
            f"consistency {consistency_median * 1e3:.3f} ms)"
        )


# -- part 2: the log's cost on the append path -----------------------------------


def _disabled_log_append(self: LogTree, frontier: Any, entry: bytes) -> Any:
    """MEASUREMENT ONLY: the log switched off. Writes nothing, hashes nothing.

    The store keeps the returned frontier and reuses it while its size is the
    next position, so an object with the next size keeps it from reading nodes.
    """
    return SimpleNamespace(size=frontier.size + 1)


def sign_workload(alice: SigningKey, n: int) -> list[bytes]:
    """``n`` statements by alice: ``n // 20`` evidence items, then markings on them."""
    items = [f"item-{i}" for i in range(max(1, n // 20))]
    envelopes = [
        sign_statement(
            alice,
            kind="evidence.registered",
            subject=item,
            author="alice",
            body=kinds.EvidenceRegistered(item_kind="missile-remains", title=f"Remains {item}"),
        )
        for item in items
    ]
    for i in range(n - len(items)):
        envelopes.append(
            sign_statement(
                alice,
                kind="evidence.marking",
                subject=items[i % len(items)],
                author="alice",
                body=kinds.EvidenceMarking(text=f"marking {i}", meaning="serial", value=str(i)),
            )
        )
    return envelopes


def written_bytes() -> int:
    """Bytes this process has passed to write calls so far (Linux; -1 elsewhere)."""
    try:
        with open("/proc/self/io") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("wchar:"))
    except (OSError, StopIteration):
        return -1


class Side:
    """One side of the A/B: a fresh store, with the log or with it disabled."""

    def __init__(self, directory: Path, root: SigningKey, registration: bytes, *, log: bool):
        self.log = log
        self.store = init_store(directory, root, org_id="org", org_name="Bench organisation")
        self.store.append(registration)
        self.seconds = 0.0
        self.written = 0

    def append(self, envelopes: list[bytes], wrap: Callable[[Any], Any] | None = None) -> None:
        """Append ``envelopes``, adding the time and the bytes written to this side's totals."""
        original = logtable.LogTree.append
        if not self.log:
            logtable.LogTree.append = _disabled_log_append  # type: ignore[method-assign]
        elif wrap is not None:
            logtable.LogTree.append = wrap(original)  # type: ignore[method-assign]
        try:
            w0 = written_bytes()
            t0 = time.perf_counter()
            for envelope in envelopes:
                self.store.append(envelope)
            self.seconds += time.perf_counter() - t0
            self.written += written_bytes() - w0
        finally:
            logtable.LogTree.append = original  # type: ignore[method-assign]


def run_append(appends: int, rounds: int, chunk: int) -> None:
    """Part 2: Store.append with the log against the same with the log disabled."""
    print(
        f"\n== append: {appends:,} pre-signed statements per side, {rounds} rounds, "
        f"sides interleaved every {chunk} appends =="
    )
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        ring = KeyRing(directory / "keys")
        root, alice = ring.create("root"), ring.create("alice")
        registration = sign_statement(
            root,
            kind="actor.registered",
            subject="alice",
            author="org",
            body=kinds.ActorRegistered(
                name="Alice", role="researcher", public_key=alice.public_b64
            ),
        )
        envelopes = sign_workload(alice, appends)
        with_log: list[float] = []
        without: list[float] = []
        written = [0, 0]
        for r in range(rounds):
            a = Side(directory / f"r{r}-log", root, registration, log=True)
            b = Side(directory / f"r{r}-nolog", root, registration, log=False)
            try:
                for k, start in enumerate(range(0, appends, chunk)):
                    part = envelopes[start : start + chunk]
                    for side in (a, b) if (r + k) % 2 == 0 else (b, a):
                        side.append(part)
            finally:
                a.store.close()
                b.store.close()
            with_log.append(a.seconds)
            without.append(b.seconds)
            written[0] += a.written
            written[1] += b.written
            print(
                f"round {r + 1}: with log {appends / a.seconds:7.0f}/s   "
                f"without {appends / b.seconds:7.0f}/s   time ratio {a.seconds / b.seconds:.3f}"
            )

        spent = [0.0]

        def wrap(original: Any) -> Any:
            def timed(self: LogTree, frontier: CompactRange, entry: bytes) -> CompactRange:
                t0 = time.perf_counter()
                try:
                    return original(self, frontier, entry)  # type: ignore[no-any-return]
                finally:
                    spent[0] += time.perf_counter() - t0

            return timed

        c = Side(directory / "breakdown", root, registration, log=True)
        try:
            c.append(envelopes, wrap)
        finally:
            c.store.close()
    ratios = [w / o for w, o in zip(with_log, without, strict=True)]
    ratio = statistics.median(ratios)
    print(f"with log     {appends / statistics.median(with_log):8.0f} statements/s (median)")
    print(f"without log  {appends / statistics.median(without):8.0f} statements/s (median)")
    print(f"per-round time ratios with/without: {', '.join(f'{x:.3f}' for x in ratios)}")
    print(
        f"median time ratio with log / without: {ratio:.3f} "
        f"(target <= 1.10: {'met' if ratio <= 1.10 else 'NOT met'})"
    )
    if written[1] > 0:
        per = [w / (rounds * appends) / 1024 for w in written]
        print(
            f"bytes written per append (write calls, mostly WAL frames): with log "
            f"{per[0]:.1f} KiB, without {per[1]:.1f} KiB ({written[0] / written[1]:.2f}x)"
        )
    print(
        f"inside LogTree.append (hash + node INSERTs, frontier cached): "
        f"{spent[0] / appends * 1e6:.1f} us of {c.seconds / appends * 1e6:.0f} us per append "
        f"({spent[0] / c.seconds:.1%}), in a separate with-log run"
    )


# -- part 3: prov verify -------------------------------------------------------


def build_statements(directory: Path, statements: int, subjects: int) -> float:
    """Build the verify store in ``directory/store``; return the seconds it took."""
    if statements < subjects + 2:
        raise SystemExit(f"--statements must be at least --subjects + 2 ({subjects + 2})")
    t_start = time.perf_counter()
    ring = KeyRing(directory / "keys")
    root, alice = ring.create("root"), ring.create("alice")
    store = init_store(directory / "store", root, org_id="org", org_name="Bench organisation")
    try:
        envelopes = [
            sign_statement(
                root,
                kind="actor.registered",
                subject="alice",
                author="org",
                body=kinds.ActorRegistered(
                    name="Alice", role="researcher", public_key=alice.public_b64
                ),
            )
        ]
        envelopes += [
            sign_statement(
                alice,
                kind="evidence.registered",
                subject=f"item-{n:05d}",
                author="alice",
                body=kinds.EvidenceRegistered(item_kind="missile-remains", title=f"Remains {n}"),
            )
            for n in range(subjects)
        ]
        for i in range(statements - 2 - subjects):
            envelopes.append(
                sign_statement(
                    alice,
                    kind="evidence.marking",
                    subject=f"item-{i % subjects:05d}",
                    author="alice",
                    body=kinds.EvidenceMarking(text=f"marking {i}", meaning="serial", value=str(i)),
                )
            )
            if (i + 1) % 20_000 == 0:
                progress(f"signed {len(envelopes):,}/{statements - 1:,}")
        progress(f"signed {len(envelopes):,} in {time.perf_counter() - t_start:.0f} s")
        t0 = last = time.perf_counter()
        for n, envelope in enumerate(envelopes, start=1):
            store.append(envelope)
            if n % 10_000 == 0:
                now = time.perf_counter()
                progress(
                    f"appended {n + 1:,}/{statements:,} "
                    f"({10_000 / (now - last):.0f}/s, {now - t0:.0f} s so far)"
                )
                last = now
        del envelopes
        t0 = time.perf_counter()
        store.views.catch_up()
        progress(f"views caught up in {time.perf_counter() - t0:.0f} s")
        if store.size() != statements:
            raise SystemExit(f"built {store.size()} statements, expected {statements}")
    finally:
        store.close()
    return time.perf_counter() - t_start


def verify_store(directory: Path, statements: int, subjects: int) -> str:
    """Make sure ``directory/store`` holds the verify store; say how it came to be."""
    wanted = {"statements": statements, "subjects": subjects}
    params = directory / PARAMS
    if params.is_file():
        found = json.loads(params.read_text())
        if {k: found.get(k) for k in wanted} != wanted:
            raise SystemExit(
                f"{directory} holds a store of {found.get('statements')} statements over "
                f"{found.get('subjects')} subjects; use another --reuse directory"
            )
        return f"reused from {directory} (built in {found['built_seconds']:.0f} s)"
    if (directory / "store").exists() or (directory / "keys").exists():
        raise SystemExit(f"{directory} holds an incomplete build; remove it or use another")
    seconds = build_statements(directory, statements, subjects)
    params.write_text(json.dumps({**wanted, "built_seconds": seconds}))
    return f"built in {seconds:.0f} s"


def child_audit(store_dir: Path) -> dict[str, Any]:
    """In a fresh process: open the store, audit it, report time and memory."""
    after_imports = proc_status("VmRSS")
    t0 = time.perf_counter()
    store = Store.open(store_dir)
    open_s = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        report = audit(store)
        audit_s = time.perf_counter() - t0
    finally:
        store.close()
    return {
        "open_s": open_s,
        "audit_s": audit_s,
        "statements": report.statements,
        "subjects": report.subjects,
        "problems": [p.describe() for p in report.problems[:5]],
        "rss_after_imports_kib": after_imports,
        "peak_kib": proc_status("VmHWM"),
        "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def child_ed25519(store_dir: Path, count: int) -> dict[str, Any]:
    """In a fresh process: time verify_ed25519 over ``count`` of the store's signatures."""
    store = Store.open(store_dir)
    try:
        with store.recorder.datastore.transaction(commit=False) as c:
            keys = {
                str(k): bytes(p) for k, p in Tx(c).all("SELECT key_id, public_key FROM actor_keys")
            }
        work: list[tuple[bytes, bytes, bytes]] = []
        start = 1
        while len(work) < count:
            notes = store.recorder.select_notifications(start, 1000)
            if not notes:
                break
            for note in notes:
                envelope = parse_envelope(bytes(note.state))
                sig = envelope.signatures[0]
                work.append(
                    (keys[sig.keyid], sig.sig, pae(envelope.payload_type, envelope.payload))
                )
            start = notes[-1].id + 1
    finally:
        store.close()
    work = work[:count]
    t0 = time.perf_counter()
    valid = sum(verify_ed25519(public, sig, message) for public, sig, message in work)
    elapsed = time.perf_counter() - t0
    return {"signatures": len(work), "valid": valid, "seconds": elapsed}


def run_child(*args: str) -> dict[str, Any]:
    """Run this file's ``--child`` entry in a fresh interpreter; return its JSON line."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", *args],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def run_verify(statements: int, subjects: int, reuse: Path | None) -> None:
    """Part 3: prov verify's audit in a fresh process, beside raw Ed25519 verification."""
    print(f"\n== verify: prov verify on {statements:,} statements over {subjects:,} subjects ==")
    with tempfile.TemporaryDirectory() as tmp:
        directory = reuse if reuse is not None else Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        how = verify_store(directory, statements, subjects)
        store_dir = directory / "store"
        db_bytes = (store_dir / DB_NAME).stat().st_size
        print(f"store: {how}; database file {db_bytes / MB:,.0f} MB")
        progress("auditing in a fresh process...")
        a = run_child("audit", str(store_dir))
        progress("raw Ed25519 in a fresh process...")
        e = run_child("ed25519", str(store_dir), str(statements))
    if a["problems"]:
        print(f"AUDIT FOUND PROBLEMS: {a['problems']}")
    if e["valid"] != e["signatures"]:
        print(f"ONLY {e['valid']} OF {e['signatures']} SIGNATURES VERIFIED")
    audit_rate = a["statements"] / a["audit_s"]
    raw_rate = e["signatures"] / e["seconds"]
    peak_mb = a["peak_kib"] / 1024
    print(
        f"audit (prov verify)  {a['audit_s']:8.1f} s  {audit_rate:8.0f} statements/s  "
        f"({a['statements']:,} statements, {a['subjects']:,} subjects, "
        f"{len(a['problems'])} problems; Store.open {a['open_s'] * 1e3:.0f} ms)"
    )
    print(
        f"raw Ed25519 verify   {e['seconds']:8.1f} s  {raw_rate:8.0f} signatures/s  "
        f"({e['signatures']:,} signatures, provenance.envelope.verify_ed25519)"
    )
    print(f"audit rate / raw Ed25519 rate: {audit_rate / raw_rate:.3f}")
    print(
        f"audit process memory: RSS after imports {a['rss_after_imports_kib'] / 1024:.0f} MB, "
        f"peak (VmHWM) {peak_mb:.0f} MB, ru_maxrss {a['ru_maxrss_kib'] / 1024:.0f} MB "
        "(ru_maxrss may count this process's peak, inherited at exec)"
    )
    print(
        f"peak RSS < 256 MB: {'yes' if 0 <= peak_mb < 256 else 'NO'} "
        f"(the audit itself: {(a['peak_kib'] - a['rss_after_imports_kib']) / 1024:.0f} MB "
        "above the post-import RSS)"
    )


# -- entry ----------------------------------------------------------------------


def main() -> None:
    """Parse the options and run the parts asked for."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--part", choices=["proofs", "append", "verify", "all"], default="all")
    parser.add_argument("--leaves", type=int, default=1_000_000, help="log size for proofs")
    parser.add_argument("--batch", type=int, default=50_000, help="leaves per build transaction")
    parser.add_argument("--proofs", type=int, default=500, help="proofs of each kind")
    parser.add_argument("--seed", type=int, default=6962)
    parser.add_argument("--appends", type=int, default=3_000, help="statements per A/B side")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chunk", type=int, default=50, help="appends per turn of each side")
    parser.add_argument("--statements", type=int, default=100_000, help="store size for verify")
    parser.add_argument("--subjects", type=int, default=1_000)
    parser.add_argument("--reuse", type=Path, help="keep the verify store in this directory")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, store_dir, *rest = args.child
        if kind == "audit":
            print(json.dumps(child_audit(Path(store_dir))))
        else:
            print(json.dumps(child_ed25519(Path(store_dir), int(rest[0]))))
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if args.part in ("proofs", "all"):
        run_proofs(args.leaves, args.batch, args.proofs, args.seed)
    if args.part in ("append", "all"):
        run_append(args.appends, args.rounds, args.chunk)
    if args.part in ("verify", "all"):
        run_verify(args.statements, args.subjects, args.reuse)


if __name__ == "__main__":
    main()
