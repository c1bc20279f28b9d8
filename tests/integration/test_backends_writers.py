"""Many writers, crashes, rollbacks and lost connections, on SQLite and on PostgreSQL.

Writers are separate processes (``python -c``) appending to one store at
once, or killed with SIGKILL in the middle of their appends. Afterwards the
store is audited as ``prov verify`` audits it, and its rows are counted with
the database driver directly.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import PG_URL, RawDB, World, is_pg, raw_count, raw_db, require_pg

from provenance.audit import audit
from provenance.errors import StatementRejected, StoreError
from provenance.log.merkle import leaf_hash
from provenance.log.proof import verify_inclusion
from provenance.store import Store
from provenance.store import store as store_module

BACKENDS = ("sqlite", "postgres")

WRITERS = 8
PER_WRITER = 500
COMMON = 20
"""Statements every writer sends, byte for byte the same: each must be stored once."""

PROV = "import sys; from provenance_cli.main import main; sys.argv[0] = 'prov'; main()"

WRITER = textwrap.dedent(
    """
    import json, sys
    from provenance.store import Store

    store = Store.open(sys.argv[1])
    lines = open(sys.argv[2], "rb").read().splitlines()
    print("ready", flush=True)
    sys.stdin.readline()  # wait until every writer is ready
    out = []
    for line in lines:
        r = store.append(line)
        out.append([r.statement_id, r.position, r.duplicate])
    store.close()
    json.dump(out, open(sys.argv[3], "w"))
    """
)

CRASHING_WRITER = textwrap.dedent(
    """
    import sys
    from provenance.store import Store

    store = Store.open(sys.argv[1])
    lines = open(sys.argv[2], "rb").read().splitlines()
    print("ready", flush=True)
    for i, line in enumerate(lines):
        # The parent reads these to know where the kill landed.
        print("begin", i, flush=True)
        store.append(line)
        print("end", i, flush=True)
    print("finished", flush=True)
    """
)


def _marking(world: World, signer: str, subject: str, text: str) -> bytes:
    return world.sign(signer, "evidence.marking", subject, {"text": text})


def _audit_ok(store: Store) -> None:
    report = audit(store)
    assert report.ok, [p.describe() for p in report.problems]


def _positions_dense(store_dir: Path | str) -> list[int]:
    with raw_db(store_dir) as db:
        rows = db.execute("SELECT position FROM statement_index ORDER BY position").fetchall()
    return [int(r[0]) for r in rows]


def _check_every_proof(store: Store) -> None:
    """Every leaf's inclusion proof checks against the root, computed by the store."""
    size = store.size()
    root = store.log_root(size)
    for rec in store.iter_records():
        proof = store.log_inclusion(rec.position, size)
        verify_inclusion(leaf_hash(rec.envelope.raw), rec.position, size, proof, root)


# -- dense leaves despite gaps ------------------------------------------------------


def test_rolled_back_appends_leave_gaps_in_notification_ids_but_not_in_leaves(
    world: World,
) -> None:
    world.evidence("item-1")
    for i in range(6):
        # A marking on a subject that does not exist: the event row is inserted,
        # then a rule refuses it and the transaction rolls back.
        with world.refuses("is not an evidence item"):
            world.store.append(_marking(world, "alice", f"nowhere-{i}", f"refused {i}"))
        world.store.append(_marking(world, "alice", "item-1", f"kept {i}"))
    with raw_db(world.store_dir) as db:
        column = "notification_id" if db.postgres else "rowid"
        nids = [int(r[0]) for r in db.execute(f"SELECT {column} FROM stored_events")]
    size = world.store.size()
    assert _positions_dense(world.store_dir) == list(range(size))
    assert raw_count(world.store_dir, "log_tree WHERE level = 0") == size
    if is_pg(world.store_dir):
        # PostgreSQL's sequence is not rolled back: the refused inserts left gaps.
        assert max(nids) - min(nids) + 1 > len(nids)
    _check_every_proof(world.store)
    _audit_ok(world.store)


# -- many writers at once -------------------------------------------------------------


def _writer_files(world: World, tmp_path: Path) -> tuple[list[Path], set[str]]:
    """Eight files of statements; every writer's last ones are the common statements."""
    world.evidence("shared")
    common = [_marking(world, "bob", "shared", f"common {i}") for i in range(COMMON)]
    files, ids = [], set()
    for w in range(WRITERS):
        own = [
            world.sign(
                "alice",
                "evidence.registered",
                f"w{w}-item",
                {"item_kind": "other", "title": f"W{w}"},
            )
        ]
        for j in range(PER_WRITER - COMMON - 1):
            # Half on the writer's own item, half on the item every writer shares.
            subject = "shared" if j % 2 else f"w{w}-item"
            own.append(_marking(world, "alice", subject, f"writer {w} marking {j}"))
        lines = own[:1] + common[: COMMON // 2] + own[1:] + common[COMMON // 2 :]
        assert len(lines) == PER_WRITER
        path = tmp_path / f"writer-{w}.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        files.append(path)
        ids.update(_sid(line) for line in lines)
    return files, ids


def _sid(raw: bytes) -> str:
    from provenance.envelope import parse_envelope

    return parse_envelope(raw).statement_id


@pytest.mark.slow
def test_eight_writers_at_once_store_every_statement_exactly_once(
    world: World, tmp_path: Path
) -> None:
    files, expected = _writer_files(world, tmp_path)
    before = world.store.size()
    world.store.close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(world.store_dir), str(f), str(f) + ".out"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        for p in procs:  # all at once
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        errors = [p.communicate(timeout=600)[1] for p in procs]
    finally:
        # A failed writer must not leave the others running into the next test.
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.communicate()
    for p, err in zip(procs, errors, strict=True):
        assert p.returncode == 0, err
        assert "database is locked" not in err
    results = [json.loads(Path(str(f) + ".out").read_text()) for f in files]
    # The common statements: each stored by exactly one writer, a duplicate for the rest.
    stored_by: dict[str, int] = {}
    for rows in results:
        for sid, _, duplicate in rows:
            if not duplicate:
                stored_by[sid] = stored_by.get(sid, 0) + 1
    assert set(stored_by) == expected and set(stored_by.values()) == {1}

    with Store.open(world.store_dir) as store:
        size = store.size()
        assert size == before + len(expected)
        assert raw_count(world.store_dir) == size  # events, counted by the driver
        assert raw_count(world.store_dir, "statement_index") == size
        assert raw_count(world.store_dir, "log_tree WHERE level = 0") == size
        assert _positions_dense(world.store_dir) == list(range(size))
        # Each writer saw its own statements in increasing positions.
        for rows in results:
            mine = [pos for _, pos, dup in rows if not dup]
            assert mine == sorted(mine)
        _audit_ok(store)  # includes the views against a fresh replay
        views = store.views.dump()
        store.views.rebuild()
        assert store.views.dump() == views
        _check_every_proof(store)


def test_a_writer_that_keeps_losing_the_race_for_a_version_still_appends(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer always appends between this one's version read and its insert.

    Simulated by a version read that is always one behind: every optimistic
    try collides on the subject's version. The retry reads the version under
    the write lock, where no writer can move it, so it succeeds at once.
    """
    world.evidence("item-1")
    world.store.append(_marking(world, "alice", "item-1", "first"))
    stale = world.store.subject_version("item-1") - 1
    monkeypatch.setattr(type(world.store), "subject_version", lambda self, subject: stale)
    tries: list[bool] = []
    insert = type(world.store)._insert

    def counted(self: Store, *args: Any, under_lock: bool) -> Any:
        tries.append(under_lock)
        return insert(self, *args, under_lock=under_lock)

    monkeypatch.setattr(type(world.store), "_insert", counted)
    for i in range(3):
        world.store._next_version.clear()
        receipt = world.store.append(_marking(world, "alice", "item-1", f"raced {i}"))
        assert receipt.version == stale + 2 + i and not receipt.duplicate
    assert tries == [False, True] * 3
    monkeypatch.undo()
    _audit_ok(world.store)


def test_the_same_statement_from_two_stores_at_once_is_stored_once(world: World) -> None:
    world.evidence("item-1")
    raw = _marking(world, "alice", "item-1", "sent twice")
    other = Store.open(world.store_dir)
    try:
        first, second = world.store.append(raw), other.append(raw)
    finally:
        other.close()
    assert (first.duplicate, second.duplicate) == (False, True)
    assert first.position == second.position
    _audit_ok(world.store)


# -- crashes ----------------------------------------------------------------------------


ROUNDS = 20


def _kill_during_append(
    child: subprocess.Popen[str], target: int, rng: random.Random
) -> tuple[str, str]:
    """Kill the writer once it has begun append ``target``, a moment later.

    Returns everything the writer printed, on stdout and on stderr.
    """
    assert child.stdout is not None
    said = []
    while True:
        line = child.stdout.readline()
        said.append(line)
        if line.split() in (["begin", str(target)], []):
            break
    time.sleep(rng.uniform(0.0, 0.004))  # about one append
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    # Read on through the same buffered stream: communicate() would read the
    # pipe underneath it and lose what readline() had already buffered.
    assert child.stderr is not None
    with child.stdout, child.stderr:
        return "".join(said) + child.stdout.read(), child.stderr.read()


@pytest.mark.slow
def test_writers_killed_at_random_points_lose_nothing(world: World, tmp_path: Path) -> None:
    rng = random.Random(20241210)
    world.evidence("crash-item")
    world.store.close()
    mid_append = 0  # rounds whose kill landed inside an append: begun, never returned
    for r in range(ROUNDS):
        lines = [_marking(world, "alice", "crash-item", f"round {r} #{i}") for i in range(150)]
        path = tmp_path / f"round-{r}.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        child = subprocess.Popen(
            [sys.executable, "-c", CRASHING_WRITER, str(world.store_dir), str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        out, err = _kill_during_append(child, rng.randrange(len(lines) - 10), rng)
        assert child.returncode in (-signal.SIGKILL, 0), err
        said = [line.split() for line in out.splitlines()]
        returned = sum(1 for s in said if s[0] == "end")
        in_flight = bool(said) and said[-1][0] == "begin"
        mid_append += child.returncode == -signal.SIGKILL and in_flight

        with Store.open(world.store_dir) as store:
            _audit_ok(store)  # every statement has its leaf and its index row
            stored = [store.has_statement(_sid(line)) for line in lines]
            # Appends are sequential: what survived is a prefix of the file.
            k = stored.count(True)
            assert stored == [True] * k + [False] * (len(lines) - k)
            # Every append that returned is kept; the one in flight may or may not be.
            assert k in ((returned, returned + 1) if in_flight else (returned,))
            size = store.size()
            assert raw_count(world.store_dir) == size
            assert _positions_dense(world.store_dir) == list(range(size))
            if k < len(lines):
                # The statement in flight when the writer died: stored once on re-sending.
                assert not store.append(lines[k]).duplicate
                assert store.append(lines[k]).duplicate
                assert store.size() == size + 1
            store.views.catch_up()
            _audit_ok(store)
    # The test proves nothing unless some kills really interrupted a write.
    assert mid_append >= ROUNDS // 2, f"only {mid_append} of {ROUNDS} kills landed mid-append"


# -- lost connections -------------------------------------------------------------------


def _terminate_own_backend(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a step of the append so that it first has the server cut its connection."""

    def cut(tables: Any, *args: Any, **kwargs: Any) -> Any:
        row = tables.tx.one("SELECT pg_backend_pid()")
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (row[0],))
        return original(tables, *args, **kwargs)

    return cut


@pytest.mark.postgres_only
def test_connection_cut_in_the_middle_of_an_append(
    world: World, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    assert backend == "postgres"
    world.evidence("item-1")
    raw = _marking(world, "alice", "item-1", "in flight")
    before = world.counts()
    monkeypatch.setattr(
        store_module, "apply_effects", _terminate_own_backend(store_module.apply_effects)
    )
    with pytest.raises(StoreError) as info:
        world.store.append(raw)
    message = str(info.value)
    assert (
        "\n" not in message
        and "did not complete" in message
        and "send the statement again" in message
    )
    assert world.counts() == before  # nothing half-written
    monkeypatch.undo()
    receipt = world.store.append(raw)
    assert not receipt.duplicate
    assert world.store.append(raw).duplicate
    _audit_ok(world.store)


@pytest.mark.postgres_only
def test_connection_cut_during_prov_submit_is_one_line(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    assert backend == "postgres"
    from click.testing import CliRunner

    from provenance_cli.main import cli

    world.evidence("item-1")
    envelope = tmp_path / "s.json"
    envelope.write_bytes(_marking(world, "alice", "item-1", "submitted"))
    before = world.counts()
    monkeypatch.setattr(
        store_module, "apply_effects", _terminate_own_backend(store_module.apply_effects)
    )
    args = ["submit", str(envelope), "--store", str(world.store_dir)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    [line] = result.stderr.strip().splitlines()
    assert (
        line.startswith("error: the append to postgresql://") and "send the statement again" in line
    )
    assert world.counts() == before
    monkeypatch.undo()
    assert CliRunner().invoke(cli, args).exit_code == 0
    assert world.counts()[0] == before[0] + 1
    assert "already" in CliRunner().invoke(cli, args).output


def test_unreachable_server_is_named_quickly() -> None:
    require_pg()  # the driver must be there for this to be about the server
    for url in (
        "postgresql://postgres@127.0.0.1:1/test",  # nothing listens: refused at once
        "postgresql://postgres@10.255.255.1:5432/test",  # nothing answers: the timeout
    ):
        done = subprocess.run(
            [sys.executable, "-c", PROV, "list", "--store", url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        host = url.split("@")[1].split("/")[0]
        assert done.stderr.startswith(f"error: cannot connect to PostgreSQL at {host}")
        assert len(done.stderr.strip().splitlines()) == 1


def test_missing_driver_says_how_to_install_it(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['psycopg'] = None; sys.modules['psycopg_pool'] = None\n"
        "from provenance_cli.main import main\n"
        "sys.argv = ['prov', 'list', '--store', 'postgresql://u@localhost:5432/db']\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "PostgreSQL support is not installed" in done.stderr
    assert "pip install 'provenance-store[postgres]'" in done.stderr


def test_a_store_of_another_schema_version_says_so(world: World) -> None:
    world.store.close()
    with raw_db(world.store_dir) as db:
        db.execute("UPDATE prov_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match=r"schema version 99.*upgrade this program"):
        Store.open(world.store_dir)
    with raw_db(world.store_dir) as db:
        db.execute("UPDATE prov_meta SET value = '1' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match=r"schema version 1.*predates"):
        Store.open(world.store_dir)


def test_refused_statement_writes_nothing(world: World) -> None:
    before = world.counts()
    with pytest.raises(StatementRejected):
        world.store.append(_marking(world, "alice", "missing", "x"))
    assert world.counts() == before


# -- moving a store between backends ----------------------------------------------------


def _log_of(store_dir: Path | str) -> dict[str, Any]:
    """Everything a copy must keep: leaves, receipt times, roots, checkpoints, settings."""
    from provenance.store.checkpoints import checkpoints

    with Store.open(store_dir) as store:
        size = store.size()
        return {
            "leaves": [(r.envelope.raw, r.received_at, r.version) for r in store.iter_records()],
            "roots": [store.log_root(n) for n in range(1, size + 1)],
            "checkpoints": [(c.size, c.root, c.note, c.cosignatures) for c in checkpoints(store)],
            "meta": {k: v for k, v in store.meta.items() if k != "format"},
        }


@pytest.mark.postgres_only
def test_prov_copy_round_trips_the_demo_store(
    demo: Any, new_store: Callable[[str], Path | str], tmp_path: Path, backend: str
) -> None:
    from click.testing import CliRunner

    from provenance.authoring import sign_statement
    from provenance.keys import KeyRing
    from provenance.store.checkpoints import sign_checkpoint
    from provenance_cli.main import cli

    start = demo.copy(tmp_path)  # with two signed checkpoints, one at an earlier size
    log_key = KeyRing(demo.keys_dir).load("root-log")
    with Store.open(start) as store:
        sign_checkpoint(store, log_key)
        analyst = KeyRing(demo.keys_dir).load("analyst")
        author = store.actor_for_key(analyst.key_id)
        assert author is not None
        body = {"item_kind": "other", "title": "Registered after the first checkpoint"}
        store.append(
            sign_statement(
                analyst, kind="evidence.registered", subject="item-late", author=author, body=body
            )
        )
        sign_checkpoint(store, log_key)
    on_pg, back = new_store("copy"), tmp_path / "back"
    for source, target in ((start, on_pg), (on_pg, back)):
        result = CliRunner().invoke(cli, ["copy", "--from", str(source), "--to", str(target)])
        assert result.exit_code == 0, result.output
        assert "same as the source's" in result.output
    original = _log_of(start)
    assert len(original["checkpoints"]) == 2
    assert _log_of(on_pg) == original
    assert _log_of(back) == original
    for where in (on_pg, back):
        with Store.open(where) as store:
            _audit_ok(store)
    # A target that holds a store is refused, and left as it was.
    again = CliRunner().invoke(cli, ["copy", "--from", str(start), "--to", str(on_pg)])
    assert again.exit_code == 2 and "a store already exists" in again.output
    assert _log_of(on_pg) == original


def test_a_copy_that_fails_leaves_nothing(
    world: World, new_store: Callable[[str], Path | str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from provenance.store import copy as copy_module

    for i in range(5):
        world.evidence(f"item-{i}")
    target = new_store("target")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise StoreError("the target refused a blob")

    monkeypatch.setattr(copy_module, "_copy_blobs", refuse)
    with pytest.raises(StoreError, match="refused a blob"):
        copy_module.copy_store(world.store, target)
    assert not Store.exists(target)


def test_verify_since_a_checkpoint_of_the_whole_store_is_clean(world: World) -> None:
    from provenance.audit import Trusted

    world.evidence("item-1")
    size = world.store.size()
    report = audit(world.store, since=Trusted(size, world.store.log_root(size)))
    assert report.ok, [p.describe() for p in report.problems]
    # An event slipped in after the trusted checkpoint, behind the store's back, is still seen.
    with raw_db(world.store_dir) as db:
        db.execute(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            ("item-1", 2, "provenance.store.events:StatementRecorded", b"{}"),
        )
    report = audit(world.store, since=Trusted(size, world.store.log_root(size)))
    assert [p.message for p in report.problems] == ["stored event has no index entry"]


def test_a_writer_held_up_too_long_is_told_the_store_is_busy(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another connection holds the write lock past the (shortened) wait: one line, no
    "database is locked", nothing written; once it lets go, the append goes through."""
    from provenance.store import postgres

    monkeypatch.setattr(store_module, "SQLITE_LOCK_TIMEOUT", 1)
    monkeypatch.setattr(postgres, "LOCK_TIMEOUT", 1)
    world.evidence("item-1")
    raw = _marking(world, "alice", "item-1", "waits its turn")
    world.store.close()
    before = raw_count(world.store_dir)
    blocker = RawDB(world.store_dir)
    try:
        if blocker.postgres:
            blocker.execute("LOCK TABLE stored_events IN EXCLUSIVE MODE")
        else:
            blocker.con.isolation_level = None
            blocker.execute("BEGIN IMMEDIATE")
        with Store.open(world.store_dir) as store, pytest.raises(StoreError) as info:
            store.append(raw)
        message = str(info.value)
        assert "busy" in message and "\n" not in message
        assert "database is locked" not in message
    finally:
        blocker.con.rollback()
        blocker.close()
    assert raw_count(world.store_dir) == before
    with Store.open(world.store_dir) as store:
        assert not store.append(raw).duplicate
        _audit_ok(store)


@pytest.mark.postgres_only
def test_init_by_a_role_that_may_not_create_tables_is_one_line_and_leaves_nothing(
    backend: str, new_store: Callable[[str], Path | str], tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from provenance_cli.main import cli

    location = str(new_store("noperm"))
    schema = location.rpartition("=")[2]
    role = f"prov_noperm_{schema[-12:]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        url = location.replace("postgres@", f"{role}@")
        keys = tmp_path / "keys"
        args = ["init", "--org-id", "org", "--org-name", "Org", "--store", url]
        result = CliRunner().invoke(cli, args, env={"PROV_KEYS": str(keys)})
        assert result.exit_code == 2, result.output
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("error: cannot use postgresql://")
        assert f"permission denied for schema {schema}" in line
        assert not list(keys.glob("*.pem"))  # the keys made for it are gone too
        # With USAGE but no CREATE on the schema: the tables cannot be made.
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        result = CliRunner().invoke(cli, args, env={"PROV_KEYS": str(keys)})
        assert result.exit_code == 2, result.output
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("error: cannot create the store at postgresql://")
        assert f"permission denied for schema {schema}" in line
        assert not list(keys.glob("*.pem"))
        with psycopg.connect(PG_URL) as admin:
            left = admin.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s",
                (schema,),
            ).fetchone()
        assert left == (0,)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            admin.execute(f'DROP OWNED BY "{role}"')
            admin.execute(f'DROP ROLE "{role}"')
