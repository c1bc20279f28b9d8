"""Append and verify rates on each backend, beside bare eventsourcing on the same backend.

For each backend (SQLite in a fresh temporary directory, PostgreSQL in a fresh
schema dropped afterwards), each round measures, in this order:

- ``store, 1 writer``: one process appends ``--count`` pre-signed statements
  with ``Store.append`` (one statement per transaction);
- ``bare, 1 writer``: one process saves ``--count`` events with a plain
  eventsourcing ``Application``, one event per ``save()``, on the same backend
  (another SQLite file in the same directory, another schema in the same
  database), each event as large as a signed statement;
- ``store, 8 writers`` and ``bare, 8 writers``: the same with 8 processes
  (multiprocessing, spawn) writing to one store (one database) at once,
  ``--count`` each; the rate is all their items over the time from the first
  process's start to the last one's end;
- ``verify``: ``provenance.audit`` (what ``prov verify`` runs) over the
  whole store of that round, opened afresh, after its views were brought up
  to date (so the figure is the audit, not the catch-up).

Every process signs its statements (or builds its aggregates' text) and opens
its connection before a barrier; only what comes after the barrier is timed.
The statements are those of ``bench/append.py``: one new evidence item per 20
statements, markings on those items otherwise, each writer on its own items.

Run: ``python bench/backends.py [--count 300] [--rounds 3]
[--backends sqlite,postgres] [--pg postgresql://postgres@127.0.0.1:5432/test]``.
It prints each round, then the median rates and the ratio store/bare per case.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from provenance.audit import audit
from provenance.authoring import init_store, sign_statement
from provenance.keys import KeyRing
from provenance.model import kinds
from provenance.store import Store
from provenance.store.location import parse_pg_url

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
WRITERS = 8
ENVELOPE_SIZE = 505
"""Bytes of a signed marking statement (what ``bench/append.py`` reports)."""


class Note(Aggregate):
    """The bare side's aggregate: one string attribute, like an envelope."""

    def __init__(self, text: str) -> None:
        self.text = text

    @event("Written")
    def write(self, text: str) -> None:
        self.text = text


class Bare(Application[Any]):
    """A plain eventsourcing application."""


# -- where each side writes ------------------------------------------------------


@dataclass
class Place:
    """One round's store and bare database on one backend."""

    backend: str
    store: str
    bare_env: dict[str, str]
    keys: Path
    cleanup: Callable[[], None]


def sqlite_place(tmp: Path) -> Place:
    """A fresh directory holding the store and the bare application's file."""
    directory = Path(tempfile.mkdtemp(prefix="bench-backends-", dir=tmp))
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(directory / "bare.sqlite"),
        # As long as the store's: 8 writers queue for SQLite's one write lock.
        "SQLITE_LOCK_TIMEOUT": "30",
    }
    return Place(
        "sqlite",
        str(directory / "store"),
        env,
        directory / "keys",
        lambda: shutil.rmtree(directory, ignore_errors=True),
    )


def pg_place(tmp: Path, url: str) -> Place:
    """Two fresh schemas in the database at ``url``: one for the store, one for bare."""
    import psycopg

    address = parse_pg_url(url)
    tag = uuid.uuid4().hex[:10]
    store_schema, bare_schema = f"bench_{tag}_store", f"bench_{tag}_bare"
    base = url.split("?", 1)[0]
    with psycopg.connect(base, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {bare_schema}")
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": address.dbname,
        "POSTGRES_HOST": address.host,
        "POSTGRES_PORT": str(address.port),
        "POSTGRES_USER": address.user,
        "POSTGRES_PASSWORD": address.password,
        "POSTGRES_SCHEMA": bare_schema,
        # The store's lock timeout (provenance.store.postgres.LOCK_TIMEOUT).
        "POSTGRES_LOCK_TIMEOUT": "60",
    }
    directory = Path(tempfile.mkdtemp(prefix="bench-backends-", dir=tmp))

    def cleanup() -> None:
        with psycopg.connect(base, autocommit=True) as con:
            for schema in (store_schema, bare_schema):
                con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        shutil.rmtree(directory, ignore_errors=True)

    return Place("postgres", f"{base}?schema={store_schema}", env, directory / "keys", cleanup)


def prepare(place: Place) -> None:
    """Create the store (root and 8 writers registered) and the bare application's table."""
    ring = KeyRing(place.keys)
    root = ring.create("root")
    with init_store(place.store, root, org_id="org", org_name="Bench org") as store:
        for w in range(WRITERS):
            key = ring.create(f"w{w}")
            store.append(
                sign_statement(
                    root,
                    kind="actor.registered",
                    subject=f"w{w}",
                    author="org",
                    body=kinds.ActorRegistered(
                        name=f"Writer {w}", role="researcher", public_key=key.public_b64
                    ),
                )
            )
    Bare(env={**place.bare_env, "CREATE_TABLE": "y"}).close()


# -- the writers (each in a spawned process) --------------------------------------


def statements(ring: KeyRing, writer: str, prefix: str, n: int) -> list[bytes]:
    """``n`` signed statements by ``writer``: an item per 20, markings on the items."""
    key = ring.load(writer, None)
    items = [f"{prefix}-{writer}-item-{i}" for i in range(max(1, n // 20))]
    envelopes = [
        sign_statement(
            key,
            kind="evidence.registered",
            subject=item,
            author=writer,
            body=kinds.EvidenceRegistered(item_kind="missile-remains", title=f"Remains {item}"),
        )
        for item in items
    ]
    for i in range(n - len(items)):
        envelopes.append(
            sign_statement(
                key,
                kind="evidence.marking",
                subject=items[i % len(items)],
                author=writer,
                body=kinds.EvidenceMarking(text=f"marking {i}", meaning="serial", value=str(i)),
            )
        )
    return envelopes


def store_writer(
    where: tuple[str, dict[str, str], Path],
    writer: str,
    prefix: str,
    n: int,
    barrier: Barrier,
    out: Any,
) -> None:
    """Sign, wait for the others, append; report (start, end) on ``out``."""
    store_url, _, keys = where
    envelopes = statements(KeyRing(keys), writer, prefix, n)
    with Store.open(store_url) as store:
        barrier.wait()
        start = time.monotonic()
        for envelope in envelopes:
            store.append(envelope)
        out.put((start, time.monotonic()))


def bare_writer(
    where: tuple[str, dict[str, str], Path],
    writer: str,
    prefix: str,
    n: int,
    barrier: Barrier,
    out: Any,
) -> None:
    """Open, wait for the others, save ``n`` events one per save; report (start, end)."""
    app = Bare(env={**where[1], "CREATE_TABLE": "n"})
    text = "x" * ENVELOPE_SIZE
    m = max(1, n // 20)
    barrier.wait()
    start = time.monotonic()
    notes: list[Note] = []
    for i in range(n):
        if i < m:
            note = Note(text)
            notes.append(note)
        else:
            note = notes[i % m]
            note.write(text)
        app.save(note)
    out.put((start, time.monotonic()))
    app.close()


def run_writers(target: Callable[..., None], place: Place, k: int, prefix: str, n: int) -> float:
    """Items per second of ``k`` processes running ``target`` at once, ``n`` items each."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(k)
    out = ctx.Queue()
    where = (place.store, place.bare_env, place.keys)  # what a spawned process can take
    procs = [
        ctx.Process(target=target, args=(where, f"w{w}", prefix, n, barrier, out)) for w in range(k)
    ]
    for p in procs:
        p.start()
    spans = []
    for _ in procs:
        spans.append(out.get(timeout=1800))
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"a writer process failed (exit {p.exitcode})")
    first = min(s for s, _ in spans)
    last = max(e for _, e in spans)
    return k * n / (last - first)


def run_verify(place: Place) -> tuple[int, float]:
    """(statements, statements per second) of the audit of the whole store."""
    with Store.open(place.store) as store:
        store.views.catch_up()
    with Store.open(place.store) as store:
        t0 = time.perf_counter()
        report = audit(store)
        spent = time.perf_counter() - t0
    if not report.ok:
        raise SystemExit(f"the audit of {place.store} failed: {report.problems[0].describe()}")
    return report.statements, report.statements / spent


# -- the run ---------------------------------------------------------------------

CASES = ("1 writer", f"{WRITERS} writers")


def run_round(place: Place, n: int, r: int) -> dict[str, float]:
    """One round's figures: store and bare per case, and the verify rate."""
    prepare(place)
    figures: dict[str, float] = {}
    for case, k in zip(CASES, (1, WRITERS), strict=True):
        prefix = f"r{r}-{k}"
        figures[f"store {case}"] = run_writers(store_writer, place, k, prefix, n)
        figures[f"bare {case}"] = run_writers(bare_writer, place, k, prefix, n)
    size, figures["verify"] = run_verify(place)
    figures["size"] = size
    return figures


def main() -> None:
    """Run every backend for a few rounds and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="statements per writer")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pg", default=DEFAULT_PG, help="a database to make schemas in")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(backends) - {"sqlite", "postgres"})
    if unknown:
        parser.error(f"unknown backend {unknown[0]!r} (sqlite, postgres)")
    results: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for backend in backends:
                place = (
                    sqlite_place(Path(tmp)) if backend == "sqlite" else pg_place(Path(tmp), args.pg)
                )
                try:
                    figures = run_round(place, args.count, r)
                finally:
                    place.cleanup()
                results.setdefault(backend, []).append(figures)
                print(
                    f"round {r + 1} {backend:<8} "
                    + "  ".join(f"{k} {v:,.0f}/s" for k, v in figures.items() if k != "size")
                )
    print()
    print(f"{args.count} statements (events) per writer; median of {args.rounds} round(s)")
    print("store/bare: the median of each round's ratio (the two sides ran back to back)")
    print()
    print("| backend | writers | store statements/s | bare events/s | store/bare |")
    print("|---|---|---|---|---|")
    for backend, rounds in results.items():
        for case in CASES:
            store = statistics.median(f[f"store {case}"] for f in rounds)
            bare = statistics.median(f[f"bare {case}"] for f in rounds)
            ratios = [f[f"store {case}"] / f[f"bare {case}"] for f in rounds]
            print(
                f"| {backend} | {case} | {store:,.0f} | {bare:,.0f} | "
                f"**{statistics.median(ratios):.2f}** "
                f"({min(ratios):.2f}-{max(ratios):.2f}) |"
            )
    print()
    print("| backend | statements audited | prov verify statements/s |")
    print("|---|---|---|")
    for backend, rounds in results.items():
        size = int(rounds[0]["size"])
        rate = statistics.median(f["verify"] for f in rounds)
        print(f"| {backend} | {size:,} | {rate:,.0f} |")


if __name__ == "__main__":
    main()
