"""``prov verify`` while writers append: one consistent snapshot, so no false alarm.

Writer processes append statements as fast as they can while the audit runs
again and again in this process, on SQLite and on PostgreSQL. Before the audit
read everything through one snapshot, a run here and there reported "log node
(0, n) is missing": it had read the log's nodes before a writer committed and
the statement index after. Every run must now say OK. The loop is bounded by
run count, never by time. The writers pause once halfway, so that one audit at
least is sure to see a store that is still growing, whatever the machine's
speed; the interleaving of one write inside one snapshot is tested exactly by
``test_the_snapshot_does_not_see_a_statement_committed_after_it_began``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import World

from provenance.audit import audit
from provenance.errors import StoreError
from provenance.log.note import format_verifier_key
from provenance.store import Store

BACKENDS = ("sqlite", "postgres")

WRITERS = 2
PER_WRITER = 400
RUNS = 12
"""Audits made while the writers run (each sees a store that is growing)."""

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from provenance.keys import KeyRing
    from provenance.store import Store
    from provenance.store.checkpoints import sign_checkpoint

    store = Store.open(sys.argv[1])
    lines = open(sys.argv[2], "rb").read().splitlines()
    log_key = KeyRing(Path(sys.argv[3])).load("log") if len(sys.argv) > 3 else None
    print("ready", flush=True)
    sys.stdin.readline()
    for i, line in enumerate(lines):
        if i == len(lines) // 2:
            # Halfway: wait, so that at least one audit surely sees a store still growing.
            print("half", flush=True)
            sys.stdin.readline()
        store.append(line)
        if log_key is not None and i % 50 == 49:
            sign_checkpoint(store, log_key)  # checkpoints too appear during the audits
    store.close()
    """
)


def _writers(world: World, tmp_path: Path) -> list[subprocess.Popen[str]]:
    log_key = world.new_key("log")
    origin = "example.org/snapshot"
    world.store.configure_log(origin, format_verifier_key(origin, log_key.public_bytes))
    procs = []
    for w in range(WRITERS):
        # One subject per writer: the writers contend for the log, not for a subject.
        world.evidence(f"busy-{w}")
        lines = [
            world.sign("alice", "evidence.marking", f"busy-{w}", {"text": f"w{w} mark {i}"})
            for i in range(PER_WRITER)
        ]
        path = tmp_path / f"writer-{w}.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    WRITER,
                    str(world.store_dir),
                    str(path),
                    *([str(world.keys_dir)] if w == 0 else []),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for p in procs:
        assert p.stdout is not None
        if p.stdout.readline().strip() != "ready":
            _, err = p.communicate(timeout=60)
            pytest.fail(f"a writer did not start: {err}")
    _release(procs)
    return procs


def _release(procs: list[subprocess.Popen[str]]) -> None:
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()


def _wait_halfway(procs: list[subprocess.Popen[str]]) -> None:
    for p in procs:
        assert p.stdout is not None
        if p.stdout.readline().strip() != "half":
            _, err = p.communicate(timeout=60)
            pytest.fail(f"a writer stopped before halfway: {err}")


def test_verify_while_writers_append_never_reports_damage(world: World, tmp_path: Path) -> None:
    procs = _writers(world, tmp_path)
    sizes = []
    try:
        # Halfway through (every writer waiting): an audit of a store that will grow.
        _wait_halfway(procs)
        with Store.open(world.store_dir) as store:
            report = audit(store)
            assert report.ok, [p.describe() for p in report.problems]
            sizes.append(report.statements)
        _release(procs)
        for _ in range(RUNS):
            with Store.open(world.store_dir) as store:
                report = audit(store)
                assert report.ok, [p.describe() for p in report.problems]
                sizes.append(report.statements)
    finally:
        for p in procs:
            _, err = p.communicate(timeout=600)
            assert p.returncode == 0, err
    # The audits really ran while the store grew (not all before or after the writers).
    final = world.store.size()
    assert any(size < final for size in sizes), (sizes, final)
    with Store.open(world.store_dir) as store:
        report = audit(store)
        assert report.ok and report.statements == final


def test_the_snapshot_does_not_see_a_statement_committed_after_it_began(world: World) -> None:
    """Every read inside ``Store.snapshot`` sees the store as it was when it began."""
    world.evidence("item-1")
    with Store.open(world.store_dir) as reader:
        with reader.snapshot():
            size = reader.size()
            before = reader.log_root(size)
            world.put("alice", "evidence.marking", "item-1", {"text": "later"})
            assert reader.size() == size
            assert reader.notifications(1, 10_000)[-1].originator_version == 1
            assert len(reader.subject_records("item-1")) == 1
            assert reader.log_root(size) == before
            with pytest.raises(StoreError, match="snapshot"):
                reader.configure_log("example.org/x", "x+00000000+AAAA")
        assert reader.size() == size + 1
