"""``prov copy`` and ``prov import`` killed midway leave no store, and can be run again.

Each test runs the installed ``prov`` as a real process, waits until it has
written a randomly chosen number of statements (seeded, so a failure can be
repeated) into the store it is building, and SIGKILLs it. The process must
then still have been running (its exit status is the kill's, not 0), and the
statements counted at that moment fewer than the whole: the kill interrupted
the copy. Afterwards no store is at the target, and the same command, run
again, builds the whole store, which verifies.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
from conftest import PG_URL, World, drop_schema, make_world

from provenance.store import Store
from provenance.store.location import Location, parse_location
from provenance.store.staging import STAGING_SUFFIX, pg_staging_schema

BACKENDS = ("sqlite", "postgres")

PROV = Path(sys.executable).parent / "prov"
STATEMENTS = 240
"""Statements in the source store: enough that a copy takes a while to write."""

SEED = 10


@pytest.fixture
def new_target(new_store: Callable[[str], Path | str]) -> Iterator[Callable[[str], Path | str]]:
    """``new_store``, dropping what a failed test may leave in a staging schema too."""
    made: list[Path | str] = []

    def make(name: str) -> Path | str:
        made.append(new_store(name))
        return made[-1]

    yield make
    for where in made:
        location = parse_location(where)
        if location.pg is not None:
            drop_schema(pg_staging_schema(location.pg.schema))


@pytest.fixture
def source(tmp_path: Path) -> World:
    """An SQLite store of STATEMENTS statements (the target is on the test's backend)."""
    world = make_world(tmp_path / "source")
    while world.store.size() < STATEMENTS:
        world.evidence(f"item-{world.store.size()}")
    world.store.close()
    return world


def _count(db: Path | str) -> int:
    """Statements in one SQLite file or PostgreSQL schema (0 if it is not there yet)."""
    try:
        if isinstance(db, str):
            with psycopg.connect(PG_URL, autocommit=True) as con:
                row = con.execute(f'SELECT count(*) FROM "{db}".statement_index').fetchone()
                return int(row[0]) if row else 0
        if not db.exists():
            return 0
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.05)) as con:
            return int(con.execute("SELECT count(*) FROM statement_index").fetchone()[0])
    except (sqlite3.Error, psycopg.Error):
        return 0  # not created yet, or caught mid-creation


def _written(target: Path | str) -> int:
    """Statements written so far for ``target``: in its staging area, or in the target
    itself (where the old code wrote)."""
    location = parse_location(target)
    if location.pg is not None:
        schema = location.pg.schema
        return max(_count(pg_staging_schema(schema)), _count(schema))
    assert location.path is not None
    aside = location.path.parent / f".{location.path.name}{STAGING_SUFFIX}" / "prov.sqlite"
    return max(_count(aside), _count(location.path / "prov.sqlite"))


def _prov(tmp_path: Path, *args: str) -> list[str]:
    return [str(PROV), *args]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROV_")}
    env.update(HOME=str(tmp_path / "home"), PROV_KEYS=str(tmp_path / "no-keys"))
    return env


def _kill_midway(command: list[str], target: Path | str, tmp_path: Path, total: int) -> int:
    """Run ``command``, SIGKILL it once it has staged a random number of statements;
    return how many it had staged then (always fewer than ``total``)."""
    rng = random.Random(SEED)
    wanted = rng.randrange(3, total // 2)
    process = subprocess.Popen(
        command, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        seen = 0
        while process.poll() is None and time.monotonic() < deadline:
            seen = _written(target)
            if seen >= wanted:
                break
            time.sleep(0.002)
        # Still running: the kill lands while it writes (exit status -9 proves it).
        process.send_signal(signal.SIGKILL)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL, (process.returncode, out, err)
    assert wanted <= seen < total, (wanted, seen, total)
    return seen


def _verifies(tmp_path: Path, target: Path | str) -> None:
    done = subprocess.run(
        _prov(tmp_path, "verify", "--store", str(target)),
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _no_store_and_no_leftover(target: Path | str | Location) -> None:
    assert not Store.exists(target)
    location = parse_location(target)
    if location.path is not None:
        leftover = location.path.parent / f".{location.path.name}{STAGING_SUFFIX}"
        assert not leftover.exists()
    else:
        assert location.pg is not None
        with psycopg.connect(PG_URL, autocommit=True) as con:
            row = con.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s",
                (pg_staging_schema(location.pg.schema),),
            ).fetchone()
        assert row is None


def _root_and_size(where: Path | str) -> tuple[bytes, int]:
    with Store.open(where) as store:
        return store.log_root(), store.size()


def test_a_killed_copy_leaves_no_store_and_a_second_copy_succeeds(
    source: World, new_target: Callable[[str], Path | str], tmp_path: Path
) -> None:
    target = new_target("copy-target")
    command = _prov(tmp_path, "copy", "--from", str(source.store_dir), "--to", str(target))
    _kill_midway(command, target, tmp_path, STATEMENTS)
    # Old behaviour: a store holding a prefix of the record, which verified OK.
    assert not Store.exists(target)

    again = subprocess.run(
        command, env=_env(tmp_path), capture_output=True, text=True, timeout=300, check=False
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert _root_and_size(target) == _root_and_size(source.store_dir)
    _verifies(tmp_path, target)
    location = parse_location(target)
    if location.path is not None:
        assert not (location.path.parent / f".{location.path.name}{STAGING_SUFFIX}").exists()


def test_a_killed_import_into_a_new_store_leaves_no_store_and_can_run_again(
    source: World, new_target: Callable[[str], Path | str], tmp_path: Path
) -> None:
    exported = tmp_path / "store.jsonl"
    done = subprocess.run(
        _prov(tmp_path, "export", "--store", str(source.store_dir), "--out", str(exported)),
        env=_env(tmp_path),
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    target = new_target("import-target")
    root_id = source.keys["root"].key_id
    command = _prov(
        tmp_path, "import", str(exported), "--store", str(target), "--root-key-id", root_id
    )
    _kill_midway(command, target, tmp_path, STATEMENTS)
    # Old behaviour: a half-written store that nothing could open or resume.
    assert not Store.exists(target)

    again = subprocess.run(
        command, env=_env(tmp_path), capture_output=True, text=True, timeout=300, check=False
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"imported {STATEMENTS} new" in again.stdout
    assert _root_and_size(target) == _root_and_size(source.store_dir)
    _verifies(tmp_path, target)


def test_a_failed_build_removes_its_staging_area(
    source: World, new_target: Callable[[str], Path | str], tmp_path: Path
) -> None:
    """An import refused at its first line leaves neither a store nor a staging area."""
    exported = tmp_path / "bad.jsonl"
    exported.write_bytes(b"\n\n")
    target = new_target("empty-import")
    done = subprocess.run(
        _prov(
            tmp_path,
            "import",
            str(exported),
            "--store",
            str(target),
            "--root-key-id",
            source.keys["root"].key_id,
        ),
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2 and done.stderr.startswith("error: "), done.stderr
    assert "no statement" in done.stderr
    _no_store_and_no_leftover(target)


def test_two_builds_of_one_target_do_not_run_at_once(
    source: World, new_target: Callable[[str], Path | str]
) -> None:
    from provenance.errors import StoreError
    from provenance.store.staging import staged

    target = parse_location(new_target("locked"))
    with (
        staged(target),
        pytest.raises(StoreError, match="another copy or import"),
        staged(target),
    ):
        pass
    _no_store_and_no_leftover(target)


def test_a_copy_goes_into_an_empty_directory_and_never_into_a_full_one(
    source: World, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from provenance_cli.main import cli

    empty = tmp_path / "empty"
    empty.mkdir()
    done = CliRunner().invoke(cli, ["copy", "--from", str(source.store_dir), "--to", str(empty)])
    assert done.exit_code == 0, done.output
    assert _root_and_size(empty) == _root_and_size(source.store_dir)

    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("mine")
    refused = CliRunner().invoke(cli, ["copy", "--from", str(source.store_dir), "--to", str(full)])
    assert refused.exit_code == 2, refused.output
    assert (
        refused.stderr
        == f"error: {full} exists and is not an empty directory; choose another place\n"
    )
    assert sorted(p.name for p in full.iterdir()) == ["notes.txt"]
    assert not (tmp_path / f".full{STAGING_SUFFIX}").exists()
