"""As-of views against rebuilding the store, in the same run.

A store of ``--statements`` statements (default 100,000) over ``--subjects``
evidence items (default 1,000): the organisation, one researcher, the items'
registrations, then markings on the items in turn (round-robin), so every item
has about the same history. Statements are signed in advance and appended with
``Store.append``, one per transaction (a few minutes at full size).

For a subject near the start of the store (position ~1%) and one near the end
(~99%) it times:

- the as-of view: ``store.subject_state(subject, as_of=p)``, which reads that
  subject's history only (median of ``--runs``);
- rebuilding the whole store up to that point, as a from-scratch projection
  would: every statement at a position <= p read from the store and folded
  with ``provenance.projections.subjects.apply`` into a dict of states
  (median of ``--rebuild-runs``),

and prints both with their ratio. The two must agree on the subject's state.

Run: ``python bench/as_of.py [--statements 100000] [--subjects 1000] [--reuse DIR]``.
With ``--reuse DIR`` the store is built in DIR once and reused by later runs
with the same sizes. Progress goes to stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from provenance.authoring import init_store, sign_statement
from provenance.keys import KeyRing
from provenance.model import kinds
from provenance.projections.subjects import State, apply
from provenance.store import Store

PARAMS = "bench.json"


def progress(message: str) -> None:
    """One line of progress on stderr."""
    print(message, file=sys.stderr, flush=True)


def item_id(n: int) -> str:
    return f"item-{n:05d}"


def build(directory: Path, statements: int, subjects: int) -> dict[str, float]:
    """Build the store in ``directory/store``; return the seconds spent signing and appending."""
    if statements < subjects + 2:
        raise SystemExit(f"--statements must be at least --subjects + 2 ({subjects + 2})")
    ring = KeyRing(directory / "keys")
    root, alice = ring.create("root"), ring.create("alice")
    store = init_store(directory / "store", root, org_id="org", org_name="Bench organisation")
    try:
        t0 = time.perf_counter()
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
        for n in range(subjects):
            envelopes.append(
                sign_statement(
                    alice,
                    kind="evidence.registered",
                    subject=item_id(n),
                    author="alice",
                    body=kinds.EvidenceRegistered(
                        item_kind="missile-remains", title=f"Remains {n}"
                    ),
                )
            )
        markings = statements - 2 - subjects
        for i in range(markings):
            envelopes.append(
                sign_statement(
                    alice,
                    kind="evidence.marking",
                    subject=item_id(i % subjects),
                    author="alice",
                    body=kinds.EvidenceMarking(text=f"marking {i}", meaning="serial", value=str(i)),
                )
            )
            if (i + 1) % 10_000 == 0:
                progress(f"signed {len(envelopes)}/{statements - 1}")
        signing = time.perf_counter() - t0
        progress(f"signed {len(envelopes)} statements in {signing:.1f} s")
        t0 = last = time.perf_counter()
        for n, envelope in enumerate(envelopes, start=1):
            store.append(envelope)
            if n % 5_000 == 0:
                now = time.perf_counter()
                progress(
                    f"appended {n + 1}/{statements} "
                    f"({5_000 / (now - last):.0f}/s, {now - t0:.0f} s so far)"
                )
                last = now
        appending = time.perf_counter() - t0
        progress(f"appended {len(envelopes)} statements in {appending:.1f} s")
        if store.size() != statements:
            raise SystemExit(f"built {store.size()} statements, expected {statements}")
    finally:
        store.close()
    return {"signing": signing, "appending": appending}


def open_or_build(directory: Path, statements: int, subjects: int) -> tuple[Store, str]:
    """The store in ``directory`` (building it if needed) and a line saying how it came to be."""
    wanted = {"statements": statements, "subjects": subjects}
    params = directory / PARAMS
    if params.is_file():
        found = json.loads(params.read_text())
        if {k: found.get(k) for k in wanted} != wanted:
            raise SystemExit(
                f"{directory} holds a store of {found.get('statements')} statements over "
                f"{found.get('subjects')} subjects; use another --reuse directory"
            )
        store = Store.open(directory / "store")
        if store.size() != statements:
            store.close()
            raise SystemExit(f"the store in {directory} is incomplete; remove it and rebuild")
        return store, f"reused from {directory} (built in {found['built_seconds']:.0f} s)"
    if (directory / "store").exists() or (directory / "keys").exists():
        raise SystemExit(f"{directory} holds a store or keys but no {PARAMS}: remove them")
    directory.mkdir(parents=True, exist_ok=True)
    spent = build(directory, statements, subjects)
    total = spent["signing"] + spent["appending"]
    params.write_text(json.dumps({**wanted, "built_seconds": total, **spent}) + "\n")
    rate = (statements - 1) / spent["appending"]
    how = (
        f"built in {total:.0f} s (signing {spent['signing']:.0f} s, "
        f"appending {spent['appending']:.0f} s at {rate:.0f} statements/s)"
    )
    return Store.open(directory / "store"), how


def rebuild(store: Store, position: int) -> tuple[dict[str, State], int]:
    """Every subject's state from scratch: fold each statement at positions <= ``position``."""
    states: dict[str, State] = {}
    read, notification = 0, 0
    while read <= position:
        # Store.iter_records, reading no page beyond ``position``.
        page = store.read_page(read, notification, min(500, position + 1 - read))
        if not page:
            raise SystemExit(f"the store ends at {read}, before position {position}")
        for rec in page:
            states[rec.subject] = apply(states.get(rec.subject), rec)
        read += len(page)
        notification = store.index_range(read - 1, 1)[0].notification_id
    return states, read


def timed(func: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """The median wall time of ``runs`` calls (seconds) and the last result."""
    times = []
    result = None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def ms(seconds: float) -> str:
    return f"{seconds * 1000:10.2f} ms"


def measure(store: Store, label: str, position: int, runs: int, rebuild_runs: int) -> str:
    """Time one subject's as-of view against a rebuild up to ``position``; return a row."""
    subject = store.index_range(position, 1)[0].subject_id
    history = len(store.subject_records(subject))
    store.subject_state(subject, as_of=position)  # warm the caches once
    view_time, view = timed(lambda: store.subject_state(subject, as_of=position), runs)
    progress(f"{label}: as-of view of {subject} at {position}: {view_time * 1000:.2f} ms")
    rebuild_time, (states, read) = timed(lambda: rebuild(store, position), rebuild_runs)
    progress(f"{label}: rebuild of {read} statements: {rebuild_time:.2f} s")
    if states.get(subject) != view:
        raise SystemExit(f"{label}: the rebuilt state of {subject} differs from the as-of view")
    assert view is not None
    return (
        f"{label:<16} {position:>9} {subject:<11} {view['version']:>4}/{history:<4} "
        f"{ms(view_time)} {read:>9} {ms(rebuild_time)} {rebuild_time / view_time:>10.0f}x"
    )


def main() -> None:
    """Build (or reuse) the store, then time both subjects and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--subjects", type=int, default=1_000)
    parser.add_argument("--reuse", type=Path, help="keep the built store in DIR and reuse it")
    parser.add_argument("--runs", type=int, default=9, help="as-of views timed per subject")
    parser.add_argument("--rebuild-runs", type=int, default=2, help="rebuilds timed per point")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.reuse or Path(tmp)
        store, how = open_or_build(directory, args.statements, args.subjects)
        with store:
            size = store.size()
            rows = [
                measure(store, "near start (1%)", size // 100, args.runs, args.rebuild_runs),
                measure(store, "near end (99%)", size * 99 // 100, args.runs, args.rebuild_runs),
            ]
    print(f"store: {size} statements over {args.subjects} evidence items (+2 actors), {how}")
    print(
        f"as-of view: median of {args.runs}; rebuild up to the same position: "
        f"median of {args.rebuild_runs}"
    )
    print(
        f"{'':<16} {'position':>9} {'subject':<11} {'then/all':>9} {'as-of view':>13} "
        f"{'rebuilt':>9} {'rebuild':>13} {'ratio':>11}"
    )
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
