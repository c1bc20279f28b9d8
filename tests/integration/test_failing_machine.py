"""A failing machine is not evidence: full disks, read-only copies, cut connections.

Issue 10 §B. Each case is made for real: a small tmpfs filled to the last
byte; a read-only bind mount of a store directory (the tests run as root, for
whom mode bits do not stop a write; a read-only mount does); PostgreSQL
connections terminated by the server (``pg_terminate_backend`` from another
connection). ``prov verify`` exits 1 only for proven damage: here it says OK,
or exits 2 with the reason in one line. Reads and appends give one line, never
"internal error".
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner, Result
from conftest import PG_URL, World, make_world, raw_db

from provenance.audit import audit
from provenance.errors import StoreError
from provenance.log.note import format_verifier_key
from provenance.store import Store
from provenance.store.checkpoints import sign_checkpoint
from provenance_cli.main import cli

BACKENDS = ("sqlite", "postgres")


def _run(store: Path | str, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--store", str(store)])


def _one_line_error(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, result.output
    return errors[0]


def _not_a_false_alarm(result: Result) -> None:
    """verify on a store that is intact: OK, or exit 2 saying why it could not check."""
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert "FAIL" not in result.output, result.output
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        _one_line_error(result)


def _need_mounts() -> None:
    if os.geteuid() != 0:
        pytest.fail("these tests make real mounts and must run as root (as the test suite does)")


@contextlib.contextmanager
def _mounted(*args: str) -> Iterator[None]:
    subprocess.run(["mount", *args], check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", args[-1]], check=True)


def _fill(directory: Path) -> None:
    """Write a file until the file system has no byte left."""
    chunk = b"\0" * 65536
    with (directory / "filler").open("wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError as e:
            assert e.errno == errno.ENOSPC
    # The last partial block.
    with (directory / "filler-2").open("wb", buffering=0) as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0")


# -- a full disk --------------------------------------------------------------


@pytest.mark.sqlite_only
def test_a_full_disk_is_never_reported_as_damage(tmp_path: Path, backend: str) -> None:
    _need_mounts()
    disk = tmp_path / "disk"
    disk.mkdir()
    with _mounted("-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)):
        world = make_world(tmp_path, disk / "store")
        world.evidence("item-1")
        world.finding("finding-1", ["item-1"])
        world.store.views.catch_up()
        # Appended but not yet in the views: the next command would write them.
        for i in range(5):
            world.put("alice", "evidence.marking", "item-1", {"text": f"mark {i}"})
        late = world.sign("alice", "evidence.marking", "item-1", {"text": "too late"})
        world.store.close()
        _fill(disk)

        _not_a_false_alarm(_run(disk / "store", "verify"))
        for command in (["show", "item-1"], ["list"], ["history", "item-1"]):
            result = _run(disk / "store", *command)
            assert "Traceback" not in result.output and "internal error" not in result.output
            assert result.exit_code in (0, 2), (command, result.output)
            if result.exit_code == 2:
                assert "full" in _one_line_error(result)
        envelope = tmp_path / "late.json"
        envelope.write_bytes(late)
        assert "full" in _one_line_error(_run(disk / "store", "submit", str(envelope)))
        with (
            pytest.raises(StoreError, match="disk holding the store is full"),
            Store.open(disk / "store") as store,
        ):
            store.append(late)
        # Room again: the store is intact, and takes the statement.
        for name in ("filler", "filler-2"):
            (disk / name).unlink()
        with Store.open(disk / "store") as store:
            store.append(late)
            report = audit(store)
            assert report.ok, [p.describe() for p in report.problems]


@pytest.mark.sqlite_only
def test_a_disk_that_fills_while_the_store_is_in_use_is_no_false_alarm(
    tmp_path: Path, backend: str
) -> None:
    """The store stays open in this process (so reading needs no new file), the views lag
    by a hundred statements, and the disk is full: bringing the views up to date fails
    with SQLITE_FULL. verify compares the views it has and says OK; nothing is a FAIL."""
    _need_mounts()
    disk = tmp_path / "disk"
    disk.mkdir()
    with _mounted("-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)):
        world = make_world(tmp_path, disk / "store")
        world.evidence("item-1")
        world.store.views.catch_up()
        for i in range(100):
            world.put("alice", "evidence.marking", "item-1", {"text": f"mark {i}"})
        try:
            _fill(disk)
            result = _run(disk / "store", "verify")
            _not_a_false_alarm(result)
            assert result.exit_code == 2 or "full" in result.output, result.output
            for command in (["show", "item-1"], ["history", "item-1"]):
                shown = _run(disk / "store", *command)
                assert "Traceback" not in shown.output and "internal" not in shown.output
                assert shown.exit_code in (0, 2), shown.output
            late = world.sign("alice", "evidence.marking", "item-1", {"text": "too late"})
            before = world.store.size()
            with pytest.raises(StoreError, match="full"):
                world.store.append(late)
            assert world.store.size() == before
        finally:
            world.store.close()


# -- a read-only copy ---------------------------------------------------------


@pytest.mark.sqlite_only
def test_a_read_only_copy_is_verified_and_read(tmp_path: Path, backend: str) -> None:
    """An auditor's copy on a read-only mount: verify and every read work on it. The views
    it holds are compared as they are (nothing can be written); reads show them, brought
    up to date in memory."""
    _need_mounts()
    world = make_world(tmp_path / "w")
    log_key = world.new_key("log")
    origin = "example.org/read-only"
    world.store.configure_log(origin, format_verifier_key(origin, log_key.public_bytes))
    first = sign_checkpoint(world.store, log_key).size
    world.evidence("item-1")
    world.finding("finding-1", ["item-1"])
    world.challenge("challenge-1", "finding", "finding-1")
    sign_checkpoint(world.store, log_key)
    size = world.store.size()
    finding_sid = world.store.subject_records("finding-1")[0].statement_id
    world.store.views.catch_up()
    world.store.close()
    copy = tmp_path / "copy"
    shutil.copytree(world.store_dir, copy)
    ro = tmp_path / "ro"
    ro.mkdir()
    with _mounted("--bind", "-o", "ro", str(copy), str(ro)):
        with pytest.raises(OSError):
            (ro / "probe").write_text("")  # really read-only, even for root
        result = _run(ro, "verify")
        assert result.exit_code == 0 and "OK" in result.output, result.output
        out = tmp_path / "out"
        out.mkdir()
        for command in (
            ["show", "finding-1"],
            ["list"],
            ["history", "finding-1"],
            ["dispute", "finding-1"],
            ["custody", "item-1"],
            ["diff", "finding-1", "--from", "3"],
            ["export"],
            ["log", "vkey"],
            ["log", "entry", finding_sid],
            ["log", "prove", finding_sid, "--out", str(out / "f.proof")],
            ["log", "consistency", str(first), str(size)],
            ["bundle", "export", "finding-1", "--out", str(out / "f.bundle.json")],
        ):
            result = _run(ro, *command)
            assert result.exit_code == 0, (command, result.output)
            assert "Traceback" not in result.output
        shown = _run(ro, "show", "finding-1")
        assert "challenge challenge-1" in shown.output
        assert sorted(p.name for p in ro.iterdir()) == sorted(p.name for p in copy.iterdir())


@pytest.mark.sqlite_only
def test_a_read_only_copy_whose_views_lag_is_compared_up_to_where_they_reach(
    tmp_path: Path, backend: str
) -> None:
    _need_mounts()
    world = make_world(tmp_path / "w")
    world.evidence("item-1")
    world.store.views.catch_up()
    world.put("alice", "evidence.marking", "item-1", {"text": "not in the views yet"})
    world.store.close()
    copy = tmp_path / "copy"
    shutil.copytree(world.store_dir, copy)
    ro = tmp_path / "ro"
    ro.mkdir()
    with _mounted("--bind", "-o", "ro", str(copy), str(ro)):
        result = _run(ro, "verify")
        assert result.exit_code == 0, result.output
        assert "NOTE the views reach position" in result.output
        # Reads build what the stored views lack in memory: the copy is current.
        shown = _run(ro, "show", "item-1")
        assert shown.exit_code == 0, shown.output
        assert "not in the views yet" in shown.output and "lag" not in shown.output
        history = _run(ro, "history", "item-1")
        assert history.exit_code == 0 and "evidence.marking" in history.output, history.output


# -- cut PostgreSQL connections ---------------------------------------------------


def _cut_all(app_name: str, stop: threading.Event) -> None:
    """Terminate the commands' connections (named ``app_name``) until told to stop.

    Only those: other tests, or other test runs sharing the server, keep theirs.
    """
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        while not stop.is_set():
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = %s "
                "AND pid <> pg_backend_pid()",
                (app_name,),
            )
            stop.wait(0.001)


@pytest.mark.postgres_only
def test_cut_connections_are_reported_as_such(
    world: World, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # libpq names every connection the commands open after PGAPPNAME.
    app_name = f"prov-cut-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("PGAPPNAME", app_name)
    world.evidence("item-1")
    world.finding("finding-1", ["item-1"])
    world.store.close()
    wrong = ("is not a provenance store", "views are missing", "FAIL", "internal error")
    seen_cut = 0
    for _ in range(8):
        stop = threading.Event()
        cutter = threading.Thread(target=_cut_all, args=(app_name, stop))
        cutter.start()
        try:
            results = [_run(world.store_dir, *c) for c in (["verify"], ["show", "finding-1"])]
        finally:
            stop.set()
            cutter.join()
        for result in results:
            assert not any(w in result.output for w in wrong), result.output
            assert "Traceback" not in result.output
            assert result.exit_code in (0, 2), result.output
            if result.exit_code == 2:
                line = _one_line_error(result)
                assert "connection" in line, line  # says what happened
                seen_cut += 1
    assert seen_cut, "no command was ever cut off: the test did not test anything"
    with Store.open(world.store_dir) as store:
        assert audit(store).ok


@pytest.mark.sqlite_only
def test_a_read_only_copy_with_views_of_an_older_format_replays_them_in_memory(
    tmp_path: Path, backend: str
) -> None:
    """Views an older version wrote are neither compared nor shown on a copy that cannot
    rebuild them: verify says so in a note (not damage), reads replay in memory."""
    _need_mounts()
    world = make_world(tmp_path / "w")
    world.evidence("item-1")
    mark = world.put("alice", "evidence.marking", "item-1", {"text": "misread"})
    world.put(
        "alice", "statement.retracted", "item-1", {"statement": mark.statement_id, "reason": "No."}
    )
    world.store.views.catch_up()
    world.store.close()
    with raw_db(world.store_dir) as db:
        db.execute("DELETE FROM prov_meta WHERE key = 'views_format'")
        db.execute("UPDATE view_subjects SET state = '{\"old\": true}'")
    copy = tmp_path / "copy"
    shutil.copytree(world.store_dir, copy)
    ro = tmp_path / "ro"
    ro.mkdir()
    with _mounted("--bind", "-o", "ro", str(copy), str(ro)):
        result = _run(ro, "verify")
        assert result.exit_code == 0, result.output
        assert "stored views are of format 1" in result.output
        shown = _run(ro, "show", "item-1", "--json")
        assert shown.exit_code == 0, shown.output
        state = json.loads(shown.output)
        assert state["markings"][0]["withdrawn"]["reason"] == "No."
