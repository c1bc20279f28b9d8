"""A writer killed between writing a statement and writing its leaf loses nothing and
leaves nothing half-written: the statement and its leaf are one transaction."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import World, raw_count

from provenance.audit import audit
from provenance.store import Store

BACKENDS = ("sqlite", "postgres")

# Run in a child process: the log's append kills the process with SIGKILL after
# the event row and the statement's index row are written, before its leaf is.
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from provenance.store import Store
    from provenance.store import logtable

    def die(self, frontier, entry):
        os.kill(os.getpid(), signal.SIGKILL)

    logtable.LogTree.append = die
    store = Store.open(sys.argv[1])
    store.append(Path(sys.argv[2]).read_bytes())
    print("not reached")
    """
)


def _rows(store_dir: Path | str) -> tuple[int, int, int]:
    """Event rows, index rows and leaves, counted with the database driver."""
    return (
        raw_count(store_dir),
        raw_count(store_dir, "statement_index"),
        raw_count(store_dir, "log_tree WHERE level = 0"),
    )


def test_killed_between_statement_and_leaf(world: World, tmp_path: Path) -> None:
    raw = world.sign("alice", "evidence.registered", "item-k", {"item_kind": "other", "title": "K"})
    envelope = tmp_path / "statement.json"
    envelope.write_bytes(raw)
    before = _rows(world.store_dir)
    world.store.close()

    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(world.store_dir), str(envelope)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == -signal.SIGKILL, (child.returncode, child.stderr)
    assert "not reached" not in child.stdout

    with Store.open(world.store_dir) as store:
        # Nothing of the killed append survived: no event, no index row, no leaf.
        assert _rows(world.store_dir) == before
        report = audit(store)
        assert report.ok, [p.describe() for p in report.problems]
        # Sending it again stores it once, with its leaf.
        receipt = store.append(raw)
        assert not receipt.duplicate
        assert store.append(raw).duplicate
        events, index, leaves = _rows(world.store_dir)
        assert events == index == leaves == before[0] + 1
        assert audit(store).ok
