"""`prov verify` against stores damaged behind the store's back with the database driver.

Each test copies the demo store (to a directory on SQLite, to a fresh schema on
PostgreSQL), edits its tables directly (sqlite3 or psycopg), and checks that
``prov verify`` exits 1, names the damaged statement (position, subject, version)
on a FAIL line, and prints no traceback.

The row damaged is version 2 of the central finding: an assessment in the middle
of that finding's history and in the middle of the store.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import Demo, RawDB, raw_db

from provenance import demo as case
from provenance.authoring import sign_statement
from provenance.envelope import parse_envelope
from provenance.keys import KeyRing
from provenance_cli.main import cli

BACKENDS = ("sqlite", "postgres")

SUBJECT = case.CENTRAL_FINDING
VERSION = 2
ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@dataclass(frozen=True)
class Row:
    """What the statement index says about the damaged statement."""

    position: int
    statement_id: str
    notification_id: int


@pytest.fixture
def store_dir(demo: Demo, new_store: Callable[[str], Path | str]) -> Path | str:
    """A private copy of the demo store on the test's backend, to damage."""
    return demo.copy_to(new_store("store"))


@contextmanager
def db(store_dir: Path | str) -> Iterator[RawDB]:
    """A raw connection to the store's database; commits on leaving."""
    with raw_db(store_dir) as con:
        yield con


def table_columns(con: RawDB, table: str) -> list[str]:
    """The columns of a table, in their order."""
    if con.postgres:
        found = con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table,),
        ).fetchall()
        return [r[0] for r in found]
    return [r[1] for r in con.execute(f"PRAGMA table_info({table})").fetchall()]


def raw_counts(store_dir: Path | str) -> tuple[int, int]:
    """Event rows and distinct subjects, counted with the database driver directly."""
    with db(store_dir) as con:
        row = con.execute(
            "SELECT COUNT(*), COUNT(DISTINCT originator_id) FROM stored_events"
        ).fetchone()
    return int(row[0]), int(row[1])


def target(store_dir: Path | str, subject: str = SUBJECT, version: int = VERSION) -> Row:
    """The index row of ``subject`` at ``version``."""
    with db(store_dir) as con:
        found = con.execute(
            "SELECT position, statement_id, notification_id FROM statement_index "
            "WHERE subject_id = ? AND version = ?",
            (subject, version),
        ).fetchone()
    assert found is not None
    return Row(int(found[0]), str(found[1]), int(found[2]))


def get_state(store_dir: Path | str, subject: str = SUBJECT, version: int = VERSION) -> bytes:
    """The raw state column of one event row."""
    with db(store_dir) as con:
        found = con.execute(
            "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            (subject, version),
        ).fetchone()
    return bytes(found[0])


def set_state(
    store_dir: Path | str, state: bytes, subject: str = SUBJECT, version: int = VERSION
) -> None:
    """Overwrite the raw state column of one event row."""
    with db(store_dir) as con:
        cur = con.execute(
            "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (state, subject, version),
        )
        assert cur.rowcount == 1


def swap_char(data: bytes, index: int, shift: int = 1) -> bytes:
    """Replace one base64 character with another of the alphabet."""
    new = ALPHABET[(ALPHABET.index(data[index]) + shift) % 64]
    return data[:index] + bytes([new]) + data[index + 1 :]


def field_start(state: bytes, name: bytes) -> int:
    """Index of the first character of a JSON string field's value."""
    marker = b'"' + name + b'":"'
    return state.index(marker) + len(marker)


def verify(store_dir: Path | str, *args: str) -> Result:
    """Run `prov verify` in-process."""
    return CliRunner().invoke(cli, ["verify", "--store", str(store_dir), *args])


def assert_no_traceback(result: Result) -> None:
    """The command ended by its own exit, with nothing but its messages."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert "Traceback" not in result.stderr


def fail_lines(result: Result) -> list[str]:
    """The FAIL lines of a failed verify, after checking exit code 1 and no traceback."""
    assert_no_traceback(result)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("FAIL")]
    assert lines, result.output
    assert "FAILED" in result.output.splitlines()[-1]
    return lines


def assert_names(result: Result, *parts: str) -> list[str]:
    """Verify failed and some FAIL line contains every one of ``parts``."""
    lines = fail_lines(result)
    assert any(all(p in line for p in parts) for line in lines), (parts, lines)
    return lines


def _where(row: Row) -> tuple[str, str, str]:
    return (f"position {row.position}", f"subject {SUBJECT}", f"version {VERSION}")


# -- clean ----------------------------------------------------------------------


def test_clean_store_verifies(store_dir: Path | str) -> None:
    """The untouched demo store verifies: exit 0, OK, no FAIL lines."""
    result = verify(store_dir)
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "FAIL " not in result.output
    assert result.output.strip().endswith("OK")
    statements, subjects = raw_counts(store_dir)
    assert f"{statements} statements on {subjects} subjects" in result.output


def test_clean_store_verifies_as_json(store_dir: Path | str) -> None:
    """--json on a clean store says ok with no problems."""
    result = verify(store_dir, "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["problems"] == []
    assert (report["statements"], report["subjects"]) == raw_counts(store_dir)


def test_target_is_in_the_middle(store_dir: Path | str) -> None:
    """The damaged row sits in the middle of its subject's history and of the store."""
    row = target(store_dir)
    last = target(store_dir, SUBJECT, 4)
    with db(store_dir) as con:
        size = con.execute("SELECT COUNT(*) FROM statement_index").fetchone()[0]
    assert 0 < row.position < last.position < size
    assert 0 < row.position < size - 1


# -- (a) to (g) ---------------------------------------------------------------------


def test_flipped_byte_in_base64_payload_is_reported(store_dir: Path | str) -> None:
    """(a) One character of the stored base64 payload changed: the payload no longer
    hashes to the indexed statement id."""
    row = target(store_dir)
    state = get_state(store_dir)
    set_state(store_dir, swap_char(state, field_start(state, b"payload") + 40))
    assert_names(verify(store_dir), *_where(row))


def test_flipped_byte_in_signature_is_reported(store_dir: Path | str) -> None:
    """(b) One character of the stored signature changed: the signature check fails."""
    row = target(store_dir)
    state = get_state(store_dir)
    set_state(store_dir, swap_char(state, field_start(state, b"sig")))
    assert_names(verify(store_dir), *_where(row))


@pytest.mark.parametrize("where", ["first byte", "a quote", "last byte"])
def test_flipped_byte_that_breaks_the_json_is_reported(store_dir: Path | str, where: str) -> None:
    """(c) A byte changed so the envelope is no longer JSON: reported as damaged."""
    row = target(store_dir)
    state = bytearray(get_state(store_dir))
    index = {"first byte": 0, "a quote": 1, "last byte": len(state) - 1}[where]
    state[index] ^= 0x01
    set_state(store_dir, bytes(state))
    assert_names(verify(store_dir), *_where(row))


def test_deleted_event_row_is_reported_with_the_gap(store_dir: Path | str) -> None:
    """(d) The event row of version 2 deleted (its index row kept): the indexed statement
    is reported missing, and the subject's history has a gap at version 2."""
    row = target(store_dir)
    with db(store_dir) as con:
        con.execute(
            "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            (SUBJECT, VERSION),
        )
    result = verify(store_dir)
    assert_names(result, *_where(row), row.statement_id[:16])
    assert_names(result, f"subject {SUBJECT}", "gap", f"version {VERSION}")


def test_deleted_event_and_index_rows_are_reported(store_dir: Path | str) -> None:
    """(e) Both the event row and its index row deleted: the version gap and the missing
    position are still reported."""
    row = target(store_dir)
    with db(store_dir) as con:
        con.execute(
            "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            (SUBJECT, VERSION),
        )
        con.execute("DELETE FROM statement_index WHERE position = ?", (row.position,))
    result = verify(store_dir)
    assert_names(result, f"subject {SUBJECT}", "gap", f"version {VERSION}")
    assert_names(result, "dense", str(row.position))


def test_changed_topic_is_reported(store_dir: Path | str) -> None:
    """(f) The topic column of one event row changed."""
    row = target(store_dir)
    with db(store_dir) as con:
        con.execute(
            "UPDATE stored_events SET topic = ? WHERE originator_id = ? AND originator_version = ?",
            ("evil.module:Payload", SUBJECT, VERSION),
        )
    assert_names(verify(store_dir), *_where(row), "topic")


def _forged_assessment(demo: Demo, tmp_path: Path) -> bytes:
    """A validly signed assessment of the finding, by a key no actor registered,
    claiming to be from the field team."""
    mallory = KeyRing(tmp_path / "mallory-keys").create("mallory")
    return sign_statement(
        mallory,
        kind="finding.assessed",
        subject=SUBJECT,
        author="field-team",
        body={"stance": "contests", "confidence": "high", "rationale": "Forged."},
        issued_at="2024-11-20T16:00:00Z",
    )


def test_forged_row_is_reported(demo: Demo, store_dir: Path | str, tmp_path: Path) -> None:
    """(g) The row replaced by a validly signed envelope from an unregistered key."""
    row = target(store_dir)
    set_state(store_dir, _forged_assessment(demo, tmp_path))
    assert_names(verify(store_dir), *_where(row))


def test_forged_row_with_a_matching_index_is_reported(
    demo: Demo, store_dir: Path | str, tmp_path: Path
) -> None:
    """(g') The forger also rewrites the index so the payload hash matches: the signature
    check against the author's registered key still fails."""
    forged = _forged_assessment(demo, tmp_path)
    forged_id = parse_envelope(forged).statement_id
    row = target(store_dir)
    set_state(store_dir, forged)
    with db(store_dir) as con:
        con.execute(
            "UPDATE statement_index SET statement_id = ? WHERE position = ?",
            (forged_id, row.position),
        )
    assert_names(verify(store_dir), f"position {row.position}", f"subject {SUBJECT}", "unknown key")


# -- more damage -------------------------------------------------------------------


def test_swapped_rows_are_reported(store_dir: Path | str) -> None:
    """Two assessments' rows swapped: both are reported as altered."""
    v2, v3 = target(store_dir, SUBJECT, 2), target(store_dir, SUBJECT, 3)
    s2, s3 = get_state(store_dir, SUBJECT, 2), get_state(store_dir, SUBJECT, 3)
    set_state(store_dir, s3, SUBJECT, 2)
    set_state(store_dir, s2, SUBJECT, 3)
    result = verify(store_dir)
    assert_names(result, f"position {v2.position}", f"version {2}")
    assert_names(result, f"position {v3.position}", f"version {3}")


def test_changed_root_key_pin_is_reported(store_dir: Path | str) -> None:
    """The pinned root key id changed: position 0 no longer registers the root key."""
    with db(store_dir) as con:
        con.execute("UPDATE prov_meta SET value = ? WHERE key = 'root_key_id'", ("0" * 64,))
    assert_names(verify(store_dir), "position 0")


def test_signature_respelled_with_nonzero_pad_bits_is_reported(store_dir: Path | str) -> None:
    """The stored signature's base64 re-spelled (same 64 bytes, non-zero pad bits): the
    stored bytes were altered, so verify must not call the record intact."""
    row = target(store_dir)
    state = get_state(store_dir)
    start = field_start(state, b"sig")
    last = state.index(b'"', start) - 3  # 86 data characters then "=="
    assert state[last + 1 : last + 3] == b"=="
    index = ALPHABET.index(state[last])
    respelled = state[:last] + bytes([ALPHABET[index ^ 1]]) + state[last + 1 :]
    assert base64.b64decode(respelled[start : last + 3]) == base64.b64decode(
        state[start : last + 3]
    )
    set_state(store_dir, respelled)
    assert get_state(store_dir) != state
    assert_names(verify(store_dir), *_where(row))


@pytest.mark.parametrize(
    "state",
    [b"[" * 100_000, b'{"payload":' + b"1" * 5000 + b"}"],
    ids=["deeply nested JSON", "5000-digit integer"],
)
def test_pathological_state_is_reported_not_crashed_on(store_dir: Path | str, state: bytes) -> None:
    """A row replaced by JSON that Python's parser cannot take (recursion limit, integer
    digit limit) is reported as damaged, like any other broken row."""
    row = target(store_dir)
    set_state(store_dir, state)
    assert_names(verify(store_dir), *_where(row))


def test_inserted_actor_registration_by_a_non_admin_is_reported(
    demo: Demo, store_dir: Path | str, tmp_path: Path
) -> None:
    """A row inserted directly in which a non-admin (the field team, with its real key)
    registers a new actor: the store would have refused it, and verify names it."""
    field_team = KeyRing(demo.keys_dir).load("field-team")
    mallory = KeyRing(tmp_path / "mallory-keys").create("mallory")
    raw = sign_statement(
        field_team,
        kind="actor.registered",
        subject="mallory",
        author="field-team",
        body={"name": "Mallory", "role": "researcher", "public_key": mallory.public_b64},
        issued_at="2024-12-11T00:00:00Z",
    )
    values: dict[str, Any] = {
        "statement_id": parse_envelope(raw).statement_id,
        "subject_id": "mallory",
        "version": 1,
        "kind": "actor.registered",
        "received_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    with db(store_dir) as con:
        topic = con.execute("SELECT topic FROM stored_events LIMIT 1").fetchone()[0]
        notification_id = "notification_id" if con.postgres else "rowid"  # SQLite: the rowid
        values["notification_id"] = con.execute(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
            f"VALUES (?, ?, ?, ?) RETURNING {notification_id}",
            ("mallory", 1, topic, raw),
        ).fetchone()[0]
        values["position"] = con.execute(
            "SELECT MAX(position) + 1 FROM statement_index"
        ).fetchone()[0]
        columns = table_columns(con, "statement_index")
        assert set(columns) == set(values)
        con.execute(
            f"INSERT INTO statement_index ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            [values[c] for c in columns],
        )
    assert_names(verify(store_dir), f"position {values['position']}", "subject mallory")


# -- --json ---------------------------------------------------------------------------


def test_verify_json_lists_problems_with_positions(store_dir: Path | str) -> None:
    """--json on a damaged store parses, says not ok, and locates each problem."""
    row = target(store_dir)
    with db(store_dir) as con:
        con.execute(
            "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            (SUBJECT, VERSION),
        )
    result = verify(store_dir, "--json")
    assert_no_traceback(result)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    problems = report["problems"]
    assert problems
    assert all(
        set(p) >= {"position", "statement_id", "subject", "version", "message"} for p in problems
    )
    located = [p for p in problems if p["position"] == row.position]
    assert located and located[0]["subject"] == SUBJECT and located[0]["version"] == VERSION
    assert located[0]["statement_id"] == row.statement_id
    assert any(p["subject"] == SUBJECT and p["position"] is None for p in problems)
