"""The store on SQLite and PostgreSQL: opening, appending, reading back, order and persistence."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import World, is_pg, raw_db

from provenance.audit import audit
from provenance.errors import InputError, StoreError
from provenance.store import DB_NAME, Store

BACKENDS = ("sqlite", "postgres")

RECEIVED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def _raw_state(store_dir: Path | str, subject: str, version: int) -> bytes:
    with raw_db(store_dir) as db:
        row = db.execute(
            "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            (subject, version),
        ).fetchone()
    return bytes(row[0])


def test_new_store_holds_the_three_registrations(world: World) -> None:
    """The fixture store has genesis plus alice and bob: three statements, positions 0-2."""
    assert world.store.size() == 3
    records = list(world.store.iter_records())
    assert [r.position for r in records] == [0, 1, 2]
    assert [r.subject for r in records] == ["org", "alice", "bob"]
    assert all(r.version == 1 for r in records)


def test_append_returns_position_and_version(world: World) -> None:
    """Positions are global and dense; versions count each subject's history from 1."""
    a = world.evidence("item-1")
    b = world.evidence("item-2")
    c = world.put("alice", "evidence.marking", "item-1", {"text": "A"})
    d = world.put("bob", "evidence.marking", "item-1", {"text": "B"})
    assert [(r.position, r.version) for r in (a, b, c, d)] == [(3, 1), (4, 1), (5, 2), (6, 3)]
    assert [r.subject for r in (a, b, c, d)] == ["item-1", "item-2", "item-1", "item-1"]
    assert world.store.size() == 7


def test_envelope_is_stored_verbatim(world: World) -> None:
    """The state column holds the canonical envelope bytes exactly as signed."""
    raw = world.sign("alice", "evidence.registered", "item-1", {"item_kind": "other", "title": "T"})
    world.store.append(raw)
    assert _raw_state(world.store_dir, "item-1", 1) == raw
    assert world.store.subject_records("item-1")[0].envelope.raw == raw


def test_respelled_envelope_is_stored_in_canonical_form(world: World) -> None:
    """A pretty-printed envelope is kept in RFC 8785 form: same payload, same signature,
    same statement id (statements.md section 4.1)."""
    raw = world.sign("alice", "evidence.registered", "item-1", {"item_kind": "other", "title": "T"})
    spelled = json.dumps(json.loads(raw), indent=1).encode()
    assert spelled != raw
    receipt = world.store.append(spelled)
    assert _raw_state(world.store_dir, "item-1", 1) == raw
    assert world.store.append(raw).duplicate
    assert receipt.statement_id == world.store.subject_records("item-1")[0].statement_id


def test_statement_reads_back_what_was_appended(world: World) -> None:
    """store.statement(id) gives the same envelope, payload, position and version."""
    raw = world.sign("alice", "evidence.registered", "item-1", {"item_kind": "other", "title": "T"})
    receipt = world.store.append(raw)
    rec = world.store.statement(receipt.statement_id)
    assert rec.envelope.raw == raw
    assert rec.statement_id == receipt.statement_id
    assert (rec.position, rec.version, rec.subject) == (receipt.position, 1, "item-1")
    assert rec.statement.kind == "evidence.registered"
    assert rec.signer == world.keys["alice"].key_id
    assert RECEIVED_AT.fullmatch(rec.received_at)


def test_receipt_times_are_store_times_in_order(world: World) -> None:
    """received_at is the store's UTC time with microseconds, never decreasing with position;
    it is not the author's issued_at."""
    world.evidence("item-1")
    world.evidence("item-2")
    records = list(world.store.iter_records())
    times = [r.received_at for r in records]
    assert all(RECEIVED_AT.fullmatch(t) for t in times)
    assert times == sorted(times)
    assert all(r.statement.payload.issued_at == "2024-01-01T00:00:00Z" for r in records)
    assert times[0] > "2024-01-01T00:00:00"


def test_statement_of_an_unknown_id_is_a_store_error(world: World) -> None:
    """Asking for a statement that is not there is a StoreError, not a crash."""
    with pytest.raises(StoreError, match="no statement"):
        world.store.statement("0" * 64)
    assert not world.store.has_statement("0" * 64)


def test_resolve_statement_expands_unique_prefixes(world: World) -> None:
    """A prefix of 8 or more hex characters (any case) resolves to the full id."""
    sid = world.evidence("item-1").statement_id
    assert world.store.resolve_statement(sid) == sid
    assert world.store.resolve_statement(sid[:8]) == sid
    assert world.store.resolve_statement(sid[:12].upper()) == sid


@pytest.mark.parametrize(
    "prefix, message",
    [("abc", "not a statement id"), ("zzzzzzzz", "not a statement id"), ("", "not a statement id")],
)
def test_resolve_statement_refuses_non_ids(world: World, prefix: str, message: str) -> None:
    """Too short or not hex: refused."""
    with pytest.raises(StoreError, match=message):
        world.store.resolve_statement(prefix)


def test_resolve_statement_reports_unknown_prefix(world: World) -> None:
    """A well-formed prefix that matches nothing is reported as such."""
    known = {r.statement_id[:8] for r in world.store.iter_records()}
    prefix = next(p for p in ("00000000", "ffffffff", "12345678") if p not in known)
    with pytest.raises(StoreError, match="no statement with id"):
        world.store.resolve_statement(prefix)


def test_subject_state_and_time_travel(world: World) -> None:
    """subject_state replays a subject; up_to_version replays a prefix of its history."""
    world.evidence("item-1")
    for text in ("A", "B", "C"):
        world.put("alice", "evidence.marking", "item-1", {"text": text})
    now = world.store.subject_state("item-1")
    then = world.store.subject_state("item-1", up_to_version=2)
    assert now is not None and then is not None
    assert [m["text"] for m in now["markings"]] == ["A", "B", "C"]
    assert [m["text"] for m in then["markings"]] == ["A"]
    assert (now["version"], then["version"]) == (4, 2)
    assert world.store.subject_state("item-9") is None


def test_subject_records_are_in_version_order(world: World) -> None:
    """A subject's history comes back version 1, 2, 3... with matching positions."""
    world.evidence("item-1")
    world.evidence("item-2")
    world.put("alice", "evidence.marking", "item-1", {"text": "A"})
    records = world.store.subject_records("item-1")
    assert [r.version for r in records] == [1, 2]
    assert [r.position for r in records] == [3, 5]


def test_store_persists_across_reopen(world: World) -> None:
    """Closing and reopening the store gives back every statement and state."""
    world.evidence("item-1")
    world.finding("finding-1", ["item-1"])
    expected = [r.statement_id for r in world.store.iter_records()]
    state = world.store.subject_state("finding-1")
    world.store.close()
    with Store.open(world.store_dir) as again:
        assert [r.statement_id for r in again.iter_records()] == expected
        assert again.subject_state("finding-1") == state
        assert again.root_key_id == world.keys["root"].key_id


def test_interleaved_writers_keep_positions_dense(world: World) -> None:
    """Two Store objects on one directory append in turn to the same subject: versions
    and positions stay contiguous, and each sees the other's statements."""
    world.evidence("item-1")
    with Store.open(world.store_dir) as other:
        receipts = []
        for n in range(4):
            writer = world.store if n % 2 == 0 else other
            raw = world.sign("alice", "evidence.marking", "item-1", {"text": f"m{n}"})
            receipts.append(writer.append(raw))
        assert [r.version for r in receipts] == [2, 3, 4, 5]
        assert [r.position for r in receipts] == [4, 5, 6, 7]
        assert other.size() == world.store.size() == 8


def test_concurrent_writers_lose_nothing(world: World) -> None:
    """Two threads, each with its own Store, append to one subject at once: every statement
    is recorded once, versions are contiguous and the audit is clean."""
    world.evidence("item-1")
    envelopes = {
        who: [
            world.sign(who, "evidence.marking", "item-1", {"text": f"{who}-{n}"}) for n in range(6)
        ]
        for who in ("alice", "bob")
    }
    errors: list[BaseException] = []

    def write(who: str) -> None:
        try:
            with Store.open(world.store_dir) as store:
                for raw in envelopes[who]:
                    store.append(raw)
        except BaseException as e:  # reported below, in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=write, args=(who,)) for who in envelopes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    records = world.store.subject_records("item-1")
    assert [r.version for r in records] == list(range(1, 14))
    assert world.store.size() == 4 + 12
    assert sorted(r.position for r in world.store.iter_records()) == list(range(16))
    assert audit(world.store).ok


def test_malformed_envelope_is_an_input_error_and_writes_nothing(world: World) -> None:
    """Store.append parses before anything else; junk is an InputError."""
    with world.refuses("not valid JSON", exc=InputError):
        world.store.append(b"{junk")


def test_create_refuses_an_existing_store(world: World) -> None:
    """Store.create will not touch a directory that already holds a store."""
    raw = world.sign("root", "actor.registered", "org", {"name": "x", "role": "organisation"})
    with pytest.raises(StoreError, match="already exists"):
        Store.create(world.store_dir, genesis=raw, root_key_id=world.keys["root"].key_id)


def _schema_of(url: str) -> str:
    return url.partition("?schema=")[2]


def _exists(where: Path | str) -> bool:
    """Whether the directory (SQLite) or the schema (PostgreSQL) exists."""
    if not is_pg(where):
        return Path(where).exists()
    with raw_db(where) as db:
        row = db.execute(
            "SELECT COUNT(*) FROM pg_namespace WHERE nspname = ?", (_schema_of(str(where)),)
        ).fetchone()
    return bool(row[0])


def _tables(where: Path | str) -> list[str]:
    """The tables of a database (SQLite) or a schema (PostgreSQL), sorted."""
    with raw_db(where) as db:
        if db.postgres:
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = ?"
            found = db.execute(sql, (_schema_of(str(where)),)).fetchall()
        else:
            found = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return sorted(row[0] for row in found)


def test_open_a_missing_store_is_a_store_error(new_store: Callable[[str], Path | str]) -> None:
    """Opening where there is no store says so, and creates nothing."""
    where = new_store("nothing")
    assert not _exists(where)
    with pytest.raises(StoreError, match="no store"):
        Store.open(where)
    assert not _exists(where)


def test_open_a_foreign_database_is_a_store_error(new_store: Callable[[str], Path | str]) -> None:
    """A database (SQLite file, PostgreSQL schema) that is not a provenance store is
    refused, not migrated."""
    where = new_store("s")
    if is_pg(where):
        with raw_db(where) as db:
            db.execute(f'CREATE SCHEMA "{_schema_of(str(where))}"')
            db.execute("CREATE TABLE t (x INTEGER)")
    else:
        Path(where).mkdir()
        with raw_db(where) as db:
            db.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreError):
        Store.open(where)
    assert _tables(where) == ["t"]


@pytest.mark.sqlite_only
def test_open_a_file_that_is_not_sqlite_is_a_store_error(tmp_path: Path) -> None:
    """A prov.sqlite that is not a database is a StoreError, not a crash."""
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / DB_NAME).write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError):
        Store.open(tmp_path / "s")


def test_open_a_store_of_another_schema_version_is_refused(world: World) -> None:
    """A store written by a different schema version is refused with its version named."""
    world.store.close()
    with raw_db(world.store_dir) as db:
        db.execute("UPDATE prov_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="99"):
        Store.open(world.store_dir)


def test_clean_store_audits_ok(world: World) -> None:
    """The audit of an untouched store finds nothing, and counts statements and subjects."""
    world.evidence("item-1")
    world.finding("finding-1", ["item-1"])
    world.assess("finding-1")
    report = audit(world.store)
    assert report.ok, [p.describe() for p in report.problems]
    assert report.statements == world.store.size() == 6
    assert report.subjects == 5
