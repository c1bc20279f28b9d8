"""Append rate: signed statements through the store, beside bare eventsourcing.

Both sides write to SQLite files in WAL mode with eventsourcing's defaults,
one statement (one event) per transaction, in the same run:

- ``store``: ``Store.append`` of pre-signed envelopes: envelope and payload
  parsing, the canonical-form check, signature verification, the store's
  rules, the event row, the statement index row and the views' update.
- ``bare``: an eventsourcing ``Aggregate`` saving one event per ``save()``,
  whose only attribute is a string as long as the envelopes.

Signing is the author's cost, not the store's; it is measured separately.
Run: ``python bench/append.py [--n 2000] [--rounds 3]``. It prints the
median rate of each side over the rounds and the ratio (target: >= 0.8).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from provenance.authoring import init_store, sign_statement
from provenance.keys import KeyRing
from provenance.model import kinds


class Note(Aggregate):
    """The bare side's aggregate: one string attribute, like an envelope."""

    def __init__(self, text: str) -> None:
        self.text = text

    @event("Written")
    def write(self, text: str) -> None:
        self.text = text


class Bare(Application[object]):
    """A plain eventsourcing application."""


def run_store(directory: Path, n: int) -> tuple[float, float, int]:
    """Return (appends per second, signatures per second, envelope size)."""
    ring = KeyRing(directory / "keys")
    root, alice = ring.create("root"), ring.create("alice")
    store = init_store(directory / "store", root, org_id="org", org_name="Bench org")
    store.append(
        sign_statement(
            root,
            kind="actor.registered",
            subject="alice",
            author="org",
            body=kinds.ActorRegistered(
                name="Alice", role="researcher", public_key=alice.public_b64
            ),
        )
    )
    items = [f"item-{i}" for i in range(max(1, n // 20))]
    envelopes = []
    t0 = time.perf_counter()
    for item in items:
        envelopes.append(
            sign_statement(
                alice,
                kind="evidence.registered",
                subject=item,
                author="alice",
                body=kinds.EvidenceRegistered(item_kind="missile-remains", title=f"Remains {item}"),
            )
        )
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
    sign_rate = len(envelopes) / (time.perf_counter() - t0)
    size = round(statistics.mean(len(e) for e in envelopes))
    t0 = time.perf_counter()
    for envelope in envelopes:
        store.append(envelope)
    rate = n / (time.perf_counter() - t0)
    store.close()
    return rate, sign_rate, size


def breakdown(n: int = 1000) -> dict[str, float]:
    """Microseconds per append spent in each stage, measured on pre-signed statements."""
    from eventsourcing.sqlite import SQLiteConnection

    from provenance.envelope import pae, parse_envelope, verify_ed25519
    from provenance.model.statement import parse_payload

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        ring = KeyRing(directory / "keys")
        root, alice = ring.create("root"), ring.create("alice")
        store = init_store(directory / "store", root, org_id="org", org_name="Bench org")
        store.append(
            sign_statement(
                root,
                kind="actor.registered",
                subject="alice",
                author="org",
                body=kinds.ActorRegistered(
                    name="Alice", role="researcher", public_key=alice.public_b64
                ),
            )
        )
        envelopes = [
            sign_statement(
                alice,
                kind="evidence.registered",
                subject=f"item-{i}",
                author="alice",
                body=kinds.EvidenceRegistered(item_kind="missile-remains", title=f"Remains {i}"),
            )
            for i in range(n)
        ]
        t0 = time.perf_counter()
        parsed = [parse_envelope(e) for e in envelopes]
        for p in parsed:
            parse_payload(p.payload)
        t_parse = time.perf_counter() - t0
        t0 = time.perf_counter()
        for p in parsed:
            verify_ed25519(alice.public_bytes, p.signatures[0].sig, pae(p.payload_type, p.payload))
        t_verify = time.perf_counter() - t0
        commit = SQLiteConnection.commit
        spent = [0.0]

        def timed_commit(self: SQLiteConnection) -> None:
            start = time.perf_counter()
            commit(self)
            spent[0] += time.perf_counter() - start

        SQLiteConnection.commit = timed_commit  # type: ignore[method-assign]
        try:
            t0 = time.perf_counter()
            for e in envelopes:
                store.append(e)
            t_total = time.perf_counter() - t0
        finally:
            SQLiteConnection.commit = commit  # type: ignore[method-assign]
        store.close()
    us = 1e6 / n
    return {
        "total append": t_total * us,
        "commit (fsync)": spent[0] * us,
        "parse + canonical + schema": t_parse * us,
        "Ed25519 verify": t_verify * us,
        "everything else (eventsourcing, index, rules SQL)": (
            t_total - spent[0] - t_parse - t_verify
        )
        * us,
    }


def run_bare(directory: Path, n: int, size: int) -> float:
    """Return saves per second for bare eventsourcing, one event per save."""
    app = Bare(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(directory / "b.db")}
    )
    text = "x" * size
    notes = [Note(text) for _ in range(max(1, n // 20))]
    for note in notes:
        app.save(note)
    t0 = time.perf_counter()
    for i in range(n - len(notes)):
        note = notes[i % len(notes)]
        note.write(text)
        app.save(note)
    rate = (n - len(notes)) / (time.perf_counter() - t0)
    app.close()
    return rate


def main() -> None:
    """Run both sides for several rounds and print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="statements per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--breakdown", action="store_true", help="also time each stage")
    args = parser.parse_args()
    ours, bare, signs = [], [], []
    size = 0
    for r in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            rate, sign_rate, size = run_store(Path(tmp) / "s", args.n)
            ours.append(rate)
            signs.append(sign_rate)
            bare.append(run_bare(Path(tmp), args.n, size))
        print(f"round {r + 1}: store {ours[-1]:8.0f}/s   bare eventsourcing {bare[-1]:8.0f}/s")
    o, b = statistics.median(ours), statistics.median(bare)
    print(f"envelope size            {size} bytes")
    print(f"signing (author side)    {statistics.median(signs):8.0f} statements/s")
    print(f"store append, signed     {o:8.0f} statements/s  (median of {args.rounds})")
    print(f"bare eventsourcing save  {b:8.0f} events/s      (median of {args.rounds})")
    print(f"ratio store/bare         {o / b:8.2f}  (target >= 0.80)")
    print(f"bare eventsourcing, per save {1e6 / b:6.0f} us")
    if args.breakdown:
        for stage, micros in breakdown().items():
            print(f"  {stage:<50} {micros:6.0f} us")


if __name__ == "__main__":
    main()
