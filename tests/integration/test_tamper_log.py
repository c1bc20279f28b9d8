"""The tamper catalogue: `prov verify` on a demo store whose log is damaged behind its back.

Every test starts from a private copy of the demo store with one checkpoint signed by the
demo's log key (size 34, the whole store) *before* anything is touched, so the log has a
trusted checkpoint. The test then edits the store's tables with the database driver,
sqlite3 or psycopg (the event rows ``stored_events``, ``statement_index``, ``log_nodes``,
``checkpoints``) and requires
``prov verify`` to exit 1 with a FAIL line that names where the damage is (position,
statement, subject and version; or the checkpoint) and what was expected and found, with
no traceback.

Some forgers here are thorough: they renumber positions and notification ids and rebuild
every log node from the new order, so that the tables agree with each other and only the
checkpoint signed before the forgery can show it.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import Demo, RawDB, raw_db

from provenance import demo as case
from provenance.authoring import sign_statement
from provenance.envelope import parse_envelope
from provenance.keys import KeyRing, SigningKey
from provenance.log.checkpoint import Checkpoint
from provenance.log.merkle import CompactRange, leaf_hash
from provenance.log.note import sign_note
from provenance.store import Store
from provenance.store.checkpoints import StoredCheckpoint, sign_checkpoint
from provenance.store.logtable import node_id
from provenance_cli.main import cli

BACKENDS = ("sqlite", "postgres")

SUBJECT = case.CENTRAL_FINDING
ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
TOPIC = "provenance.store.events:StatementRecorded"


# -- the store, raw --------------------------------------------------------------------------


@dataclass(frozen=True)
class Signed:
    """A private copy of the demo store with a checkpoint of the whole log."""

    store_dir: Path | str
    checkpoint: StoredCheckpoint
    log_key: SigningKey
    keys_dir: Path

    @property
    def cp_label(self) -> str:
        """How verify's messages start when they name the checkpoint."""
        return f"checkpoint {self.checkpoint.id} (size {self.checkpoint.size}"


@dataclass(frozen=True)
class Entry:
    """One stored statement as the forger reads it: its index row and its event row."""

    position: int
    statement_id: str
    subject: str
    version: int
    kind: str
    notification_id: int
    received_at: str
    state: bytes


@pytest.fixture
def signed(demo: Demo, new_store: Callable[[str], Path | str]) -> Signed:
    """A copy of the demo store on the test's backend, with a checkpoint signed by the log
    key before tampering."""
    store_dir = demo.copy_to(new_store("store"))
    log_key = KeyRing(demo.keys_dir).load("root-log")
    with Store.open(store_dir) as store:
        checkpoint = sign_checkpoint(store, log_key)
    assert checkpoint.size == len(entries(store_dir)) == 34
    return Signed(store_dir, checkpoint, log_key, demo.keys_dir)


@contextmanager
def db(store_dir: Path | str) -> Iterator[RawDB]:
    """A raw connection to the store's database; commits on leaving."""
    with raw_db(store_dir) as con:
        yield con


def read_entries(con: RawDB) -> list[Entry]:
    """Every statement in position order, joined to its event row."""
    found = con.execute(
        "SELECT i.position, i.statement_id, i.subject_id, i.version, i.kind, "
        "i.notification_id, i.received_at, e.state FROM statement_index i "
        "JOIN stored_events e ON e.originator_id = i.subject_id "
        "AND e.originator_version = i.version ORDER BY i.position"
    ).fetchall()
    return [Entry(*r[:7], bytes(r[7])) for r in found]


def entries(store_dir: Path | str) -> list[Entry]:
    """Every statement of a store in position order."""
    with db(store_dir) as con:
        return read_entries(con)


def entry(store_dir: Path | str, subject: str, version: int) -> Entry:
    """The statement of ``subject`` at ``version``."""
    return next(e for e in entries(store_dir) if (e.subject, e.version) == (subject, version))


def root_of(states: list[bytes]) -> bytes:
    """The RFC 6962 root over these entries, computed here, not by the store."""
    tree = CompactRange()
    for state in states:
        tree.append(leaf_hash(state))
    return tree.root()


def b64(digest: bytes) -> str:
    """Standard padded base64, as checkpoints and verify's messages spell roots."""
    return base64.b64encode(digest).decode()


def set_state(con: RawDB, subject: str, version: int, state: bytes) -> None:
    """Overwrite one event row's state."""
    cur = con.execute(
        "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
        (state, subject, version),
    )
    assert cur.rowcount == 1


def swap_char(data: bytes, index: int) -> bytes:
    """Replace one base64 character with the next one of the alphabet."""
    new = ALPHABET[(ALPHABET.index(data[index]) + 1) % 64]
    return data[:index] + bytes([new]) + data[index + 1 :]


def field_start(state: bytes, name: bytes) -> int:
    """Index of the first character of a JSON string field's value."""
    marker = b'"' + name + b'":"'
    return state.index(marker) + len(marker)


def delete_statement(con: RawDB, e: Entry) -> None:
    """Delete a statement's event row, its index row, its leaf and every node above it."""
    con.execute(
        "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = ?",
        (e.subject, e.version),
    )
    con.execute("DELETE FROM statement_index WHERE position = ?", (e.position,))
    nodes = con.execute("SELECT id, level, idx FROM log_tree").fetchall()
    above = [int(i) for i, level, idx in nodes if idx << level <= e.position < (idx + 1) << level]
    assert above
    for node in above:
        assert con.execute("DELETE FROM log_nodes WHERE id = ?", (node,)).rowcount == 1


def rewrite(con: RawDB, new: list[Entry]) -> bytes:
    """The thorough forger: store exactly ``new``, in that order, with dense positions and
    notification ids, and rebuild every log node from it. Returns the new root.

    The notification id is SQLite's rowid, PostgreSQL's ``notification_id`` column (whose
    sequence the forger also moves on, so the store can go on appending)."""
    for table in ("stored_events", "statement_index", "log_nodes"):
        con.execute(f"DELETE FROM {table}")
    notification_id = "notification_id" if con.postgres else "rowid"
    tree = CompactRange()
    received = ""
    for position, e in enumerate(new):
        nid = position + 1
        con.execute(
            f"INSERT INTO stored_events ({notification_id}, originator_id, originator_version, "
            "topic, state) VALUES (?, ?, ?, ?, ?)",
            (nid, e.subject, e.version, TOPIC, e.state),
        )
        received = max(received, e.received_at)
        con.execute(
            "INSERT INTO statement_index (position, statement_id, subject_id, version, kind, "
            "notification_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (position, e.statement_id, e.subject, e.version, e.kind, nid, received),
        )
        for level, index, digest in tree.append(leaf_hash(e.state)):
            con.execute("INSERT INTO log_nodes VALUES (?, ?)", (node_id(level, index), digest))
    if con.postgres and new:
        con.execute(
            "SELECT setval(pg_get_serial_sequence('stored_events', 'notification_id'), ?)",
            (len(new),),
        )
    return tree.root()


def entry_for(raw: bytes, position: int, version: int, received_at: str) -> Entry:
    """An entry for a new signed envelope."""
    envelope = parse_envelope(raw)
    payload = json.loads(envelope.payload)
    return Entry(
        position,
        envelope.statement_id,
        payload["subject"],
        version,
        payload["kind"],
        0,
        received_at,
        raw,
    )


# -- running verify ----------------------------------------------------------------------------


def verify(store_dir: Path | str, *args: str) -> Result:
    """Run `prov verify` in-process."""
    return CliRunner().invoke(cli, ["verify", "--store", str(store_dir), *args])


def assert_no_traceback(result: Result) -> None:
    """The command ended by its own exit, with nothing but its messages."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert "Traceback" not in result.stderr


def fail_lines(store_dir: Path | str) -> list[str]:
    """Run verify; require exit 1, FAIL lines, a FAILED verdict and no traceback."""
    result = verify(store_dir)
    assert_no_traceback(result)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("FAIL")]
    assert lines, result.output
    assert "FAILED" in result.output.splitlines()[-1]
    return lines


def line_with(lines: list[str], *parts: str) -> str:
    """The first FAIL line containing every one of ``parts``."""
    for line in lines:
        if all(p in line for p in parts):
            return line
    raise AssertionError(f"no FAIL line contains all of {parts}:\n" + "\n".join(lines))


def where(e: Entry) -> tuple[str, str, str, str]:
    """The parts of a FAIL line that locate a statement."""
    return (
        f"position {e.position},",
        f"statement {e.statement_id[:16]}",
        f"subject {e.subject},",
        f"version {e.version}:",
    )


def assert_root_mismatch(lines: list[str], signed: Signed, recomputed: bytes) -> None:
    """The checkpoint is named, with its root and the root recomputed at its size."""
    assert recomputed != signed.checkpoint.root
    line_with(
        lines,
        signed.cp_label,
        f"root {b64(signed.checkpoint.root)} is not the log's root {b64(recomputed)}",
    )


# -- control ---------------------------------------------------------------------------------


def test_clean_copy_with_a_checkpoint_verifies(signed: Signed) -> None:
    """Control: the untouched copy, with its checkpoint, verifies OK, in text and JSON."""
    result = verify(signed.store_dir)
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output
    assert result.output.strip().endswith("OK")
    as_json = verify(signed.store_dir, "--json")
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.stdout)
    assert report["ok"] is True and report["problems"] == []
    assert report["statements"] == 34
    assert signed.checkpoint.root == root_of([e.state for e in entries(signed.store_dir)])


def test_the_thorough_forger_rewrites_a_store_that_verifies(signed: Signed) -> None:
    """Control for the thorough forgers: ``rewrite`` of the same statements in the same
    order leaves a store that verifies, so what the tests below find is the forgery."""
    with db(signed.store_dir) as con:
        root = rewrite(con, read_entries(con))
    assert root == signed.checkpoint.root
    result = verify(signed.store_dir)
    assert result.exit_code == 0, result.output


# -- 1, 2: bytes flipped -----------------------------------------------------------------------


def test_1_flipped_byte_in_a_payload(signed: Signed) -> None:
    """1. One base64 character of the payload of finding v2 (mid-store) changed: the
    payload no longer hashes to the indexed id, the leaf no longer matches the stored
    one, and the checkpoint's root is no longer the log's. Checked in --json too."""
    target = entry(signed.store_dir, SUBJECT, 2)
    damaged = swap_char(target.state, field_start(target.state, b"payload") + 40)
    with db(signed.store_dir) as con:
        set_state(con, SUBJECT, 2, damaged)
    lines = fail_lines(signed.store_dir)
    line_with(lines, *where(target), "payload altered")
    line_with(
        lines,
        *where(target),
        "leaf hash differs",
        f"stored {leaf_hash(target.state).hex()[:16]}",
        f"recomputed {leaf_hash(damaged).hex()[:16]}",
    )
    states = [e.state for e in entries(signed.store_dir)]
    assert_root_mismatch(lines, signed, root_of(states))

    result = verify(signed.store_dir, "--json")
    assert_no_traceback(result)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    located = [p for p in report["problems"] if p["position"] == target.position]
    assert located, report["problems"]
    assert all(
        (p["statement_id"], p["subject"], p["version"]) == (target.statement_id, SUBJECT, 2)
        for p in located
    )
    assert any("payload altered" in p["message"] for p in located)
    assert any("leaf hash differs" in p["message"] for p in located)


def test_2_flipped_byte_in_a_signature(signed: Signed) -> None:
    """2. One base64 character of the signature of finding v2 changed: the signature check
    fails there, and the stored bytes (so the leaf and the root) changed."""
    target = entry(signed.store_dir, SUBJECT, 2)
    damaged = swap_char(target.state, field_start(target.state, b"sig"))
    with db(signed.store_dir) as con:
        set_state(con, SUBJECT, 2, damaged)
    lines = fail_lines(signed.store_dir)
    line_with(lines, *where(target), "does not verify")
    line_with(
        lines,
        *where(target),
        "leaf hash differs",
        f"stored {leaf_hash(target.state).hex()[:16]}",
        f"recomputed {leaf_hash(damaged).hex()[:16]}",
    )
    assert_root_mismatch(lines, signed, root_of([e.state for e in entries(signed.store_dir)]))


# -- 3: statements deleted ---------------------------------------------------------------------


def test_3a_statement_deleted_from_the_middle(signed: Signed) -> None:
    """3a. Finding v2 (position 23) deleted: its event row, index row, leaf and the nodes
    above it. The position gap, the subject's version gap and the checkpoint are named."""
    target = entry(signed.store_dir, SUBJECT, 2)
    with db(signed.store_dir) as con:
        delete_statement(con, target)
    lines = fail_lines(signed.store_dir)
    line_with(lines, "not dense", f"{target.position} is missing")
    line_with(lines, f"subject {SUBJECT}:", "gap", "version 2 is missing")
    line_with(lines, signed.cp_label)


def test_3a_statement_deleted_from_the_middle_and_the_rest_renumbered(signed: Signed) -> None:
    """3a'. The same deletion by a thorough forger, who renumbers every later position and
    notification and rebuilds the whole log: the version gap names the subject, and the
    checkpoint of 34 is now beyond a log of 33."""
    target = entry(signed.store_dir, SUBJECT, 2)
    with db(signed.store_dir) as con:
        rewrite(con, [e for e in read_entries(con) if e != target])
    lines = fail_lines(signed.store_dir)
    line_with(lines, f"subject {SUBJECT}:", "gap", "version 2 is missing")
    line_with(lines, signed.cp_label, "beyond the log, which has 33 leaves")


def test_3b_last_statement_of_a_subject_deleted(signed: Signed) -> None:
    """3b. Finding v5 (position 32), the last of its subject but not of the store, deleted
    with its leaf: no version gap is left; the position gap and the checkpoint show it."""
    target = entry(signed.store_dir, SUBJECT, 5)
    assert target.position == 32
    with db(signed.store_dir) as con:
        delete_statement(con, target)
    lines = fail_lines(signed.store_dir)
    line_with(lines, "not dense", "32 is missing")
    line_with(lines, signed.cp_label)


def test_3b_last_statement_of_a_subject_deleted_and_the_rest_renumbered(signed: Signed) -> None:
    """3b'. The same by the thorough forger (positions, notifications and log rebuilt): every
    table agrees and no history has a gap; only the checkpoint of 34 can tell."""
    target = entry(signed.store_dir, SUBJECT, 5)
    with db(signed.store_dir) as con:
        rewrite(con, [e for e in read_entries(con) if e != target])
    lines = fail_lines(signed.store_dir)
    line_with(lines, signed.cp_label, "beyond the log, which has 33 leaves")


def test_3c_last_statement_of_the_store_deleted(signed: Signed) -> None:
    """3c. The last statement (position 33) deleted with its event row, index row, leaf
    (0, 33) and node (1, 16): the store is self-consistent at 33; only the checkpoint of 34
    can tell, and it is then beyond the log."""
    target = entries(signed.store_dir)[-1]
    assert target.position == 33
    with db(signed.store_dir) as con:
        delete_statement(con, target)
        left = {(int(r[0]), int(r[1])) for r in con.execute("SELECT level, idx FROM log_tree")}
    assert (0, 33) not in left and (1, 16) not in left and (0, 32) in left
    lines = fail_lines(signed.store_dir)
    line_with(lines, signed.cp_label, "is beyond the log, which has 33 leaves")


# -- 4: statements swapped ---------------------------------------------------------------------


def test_4a_event_rows_swapped(signed: Signed) -> None:
    """4a. The states of two event rows (finding v2 and v3, positions 23 and 24) swapped:
    each payload is named altered at its position, each leaf differs, the root moved."""
    v2, v3 = entry(signed.store_dir, SUBJECT, 2), entry(signed.store_dir, SUBJECT, 3)
    with db(signed.store_dir) as con:
        set_state(con, SUBJECT, 2, v3.state)
        set_state(con, SUBJECT, 3, v2.state)
    lines = fail_lines(signed.store_dir)
    for here, now in ((v2, v3), (v3, v2)):
        line_with(lines, *where(here), "payload altered")
        line_with(
            lines,
            *where(here),
            "leaf hash differs",
            f"stored {leaf_hash(here.state).hex()[:16]}",
            f"recomputed {leaf_hash(now.state).hex()[:16]}",
        )
    assert_root_mismatch(lines, signed, root_of([e.state for e in entries(signed.store_dir)]))


@pytest.mark.parametrize(
    ("first", "second"),
    [(23, 24), (6, 7)],
    ids=["later receipt time first", "same receipt time"],
)
def test_4b_index_positions_swapped(signed: Signed, first: int, second: int) -> None:
    """4b. Two index rows exchange positions (each still names its own event row): the
    store's order changed. Each swapped position now holds a statement whose leaf is not
    the stored leaf there, and the checkpoint's root is not the root of the new order.
    Positions 6 and 7 share a receipt time, so the time check cannot give it away."""
    before = entries(signed.store_dir)
    a, b = before[first], before[second]
    with db(signed.store_dir) as con:
        con.execute("UPDATE statement_index SET position = -1 WHERE position = ?", (first,))
        con.execute("UPDATE statement_index SET position = ? WHERE position = ?", (first, second))
        con.execute("UPDATE statement_index SET position = ? WHERE position = -1", (second,))
    after = entries(signed.store_dir)
    assert (after[first].statement_id, after[second].statement_id) == (
        b.statement_id,
        a.statement_id,
    )
    lines = fail_lines(signed.store_dir)
    for position, now, stored in ((first, b, a), (second, a, b)):
        line_with(
            lines,
            f"position {position},",
            f"statement {now.statement_id[:16]}",
            f"subject {now.subject},",
            "leaf hash differs",
            f"stored {leaf_hash(stored.state).hex()[:16]}",
            f"recomputed {leaf_hash(now.state).hex()[:16]}",
        )
    if a.received_at != b.received_at:
        line_with(lines, f"position {second},", "the order was changed")
    assert_root_mismatch(lines, signed, root_of([e.state for e in after]))


# -- 5, 6: statements inserted -----------------------------------------------------------------


def test_5_statement_inserted_with_a_forged_signature(signed: Signed, tmp_path: Path) -> None:
    """5. A marking of item-m1 claiming to be by the field team but signed by a key nobody
    registered, appended behind the store's back with its index row and its log nodes (the
    log grows consistently, so the old checkpoint is a valid prefix): the signature names
    the unknown key and the claimed author at the new position."""
    mallory = KeyRing(tmp_path / "mallory").create("mallory")
    raw = sign_statement(
        mallory,
        kind="evidence.marking",
        subject="item-m1",
        author="field-team",
        body={"text": "Forged marking."},
        issued_at="2025-03-04T09:00:00Z",
    )
    with db(signed.store_dir) as con:
        old = read_entries(con)
        forged = entry_for(raw, 34, 2, old[-1].received_at)
        rewrite(con, [*old, forged])
    lines = fail_lines(signed.store_dir)
    line_with(
        lines,
        *where(forged),
        f"signed by an unknown key {mallory.key_id[:16]}…",
    )


def test_6_statement_signed_by_a_stolen_admin_key_spliced_into_the_middle(
    signed: Signed,
) -> None:
    """6. With the stolen root key, the organisation "registers" an evidence item, spliced
    in at position 20: every later position and notification id shifts by one and every log
    node is rebuilt from the new order, so the statement is validly signed by an
    administrator and the tree is self-consistent. Only the checkpoint signed before the
    splice shows it: its root is not the recomputed root at size 34."""
    root_key = KeyRing(signed.keys_dir).load("root")
    raw = sign_statement(
        root_key,
        kind="evidence.registered",
        subject="item-planted",
        author=case.ORG,
        body={"item_kind": "other", "title": "An item that was never registered"},
        issued_at="2024-09-10T09:00:00Z",
    )
    k = 20
    with db(signed.store_dir) as con:
        old = read_entries(con)
        forged = entry_for(raw, k, 1, old[k - 1].received_at)
        new = [*old[:k], forged, *old[k:]]
        root = rewrite(con, new)
    with Store.open(signed.store_dir) as store:
        assert store.size() == 35
        assert store.log_root() == root  # the forged tree is self-consistent
    lines = fail_lines(signed.store_dir)
    assert_root_mismatch(lines, signed, root_of([e.state for e in new[:34]]))


# -- 7: a leaf edited --------------------------------------------------------------------------


def test_7_leaf_hash_edited(signed: Signed) -> None:
    """7. The stored leaf hash of position 23 (log_nodes level 0) replaced: the leaf is
    named with the stored and the recomputed hash, in text and in --json."""
    target = entry(signed.store_dir, SUBJECT, 2)
    bogus = bytes(32 * [0xAB])
    with db(signed.store_dir) as con:
        cur = con.execute(
            "UPDATE log_nodes SET hash = ? WHERE id = ?", (bogus, node_id(0, target.position))
        )
        assert cur.rowcount == 1
    message = (
        f"leaf hash differs from the statement's: stored {bogus.hex()[:16]}, "
        f"recomputed {leaf_hash(target.state).hex()[:16]}"
    )
    line_with(fail_lines(signed.store_dir), *where(target), message)

    result = verify(signed.store_dir, "--json")
    assert_no_traceback(result)
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert {
        "position": target.position,
        "statement_id": target.statement_id,
        "subject": SUBJECT,
        "version": 2,
        "message": message,
    } in problems


# -- 8, 10: a checkpoint edited or re-signed -------------------------------------------------


@pytest.mark.parametrize("in_note", [True, False], ids=["row and note", "row only"])
def test_8_checkpoint_edited(signed: Signed, in_note: bool) -> None:
    """8. The checkpoint's root changed in its row, and in its note's text (keeping the old
    signature line), or in the row only: the checkpoint is named, as not signed by the log
    key, or as differing from its signed text."""
    cp = signed.checkpoint
    forged_root = bytes(32 * [0x42])
    text = Checkpoint(case.ORIGIN, cp.size, forged_root).to_text()
    signature = cp.note.split("\n\n", 1)[1]
    note = text + "\n" + signature if in_note else cp.note
    with db(signed.store_dir) as con:
        con.execute(
            "UPDATE checkpoints SET root = ?, note = ? WHERE id = ?", (forged_root, note, cp.id)
        )
    lines = fail_lines(signed.store_dir)
    if in_note:
        line_with(lines, signed.cp_label, "is not signed by the log key")
    else:
        line_with(lines, signed.cp_label, "stored size or root differ from its signed text")


def test_10_checkpoint_signed_by_an_unknown_key(signed: Signed, tmp_path: Path) -> None:
    """10. The checkpoint's text re-signed under the same origin by a new key, replacing the
    note: the checkpoint is named as not signed by the log key."""
    impostor = KeyRing(tmp_path / "impostor").create("impostor-log")
    text = signed.checkpoint.note.split("\n\n", 1)[0] + "\n"
    note = sign_note(text, case.ORIGIN, impostor.private_key)
    assert note != signed.checkpoint.note
    with db(signed.store_dir) as con:
        con.execute("UPDATE checkpoints SET note = ? WHERE id = ?", (note, signed.checkpoint.id))
    lines = fail_lines(signed.store_dir)
    line_with(lines, signed.cp_label, "is not signed by the log key")


# -- 9: truncated and re-grown ---------------------------------------------------------------


def test_9_log_truncated_and_regrown_to_another_history(signed: Signed) -> None:
    """9. After checkpoint A of size 34, the last two statements are deleted behind the
    store's back (rows and leaves), the store appends two different valid statements, and
    the log key signs checkpoint B of size 34: two checkpoints of one size with different
    roots, a split view. A is also named as not the log's root."""
    old = entries(signed.store_dir)
    with db(signed.store_dir) as con:
        for e in reversed(old[-2:]):
            delete_statement(con, e)
    field_team = KeyRing(signed.keys_dir).load("field-team")
    with Store.open(signed.store_dir) as store:
        assert store.size() == 32
        for item in ("item-m1", "item-m4"):
            store.append(
                sign_statement(
                    field_team,
                    kind="evidence.marking",
                    subject=item,
                    author="field-team",
                    body={"text": f"Another history: {item}"},
                )
            )
        b = sign_checkpoint(store, signed.log_key)
    a = signed.checkpoint
    assert (a.size, b.size) == (34, 34) and a.root != b.root
    assert b.root == root_of([e.state for e in entries(signed.store_dir)])
    lines = fail_lines(signed.store_dir)
    line_with(
        lines,
        f"checkpoint {b.id} (size 34",
        f"split view, another checkpoint of size 34 has root {b64(a.root)}",
    )
    assert_root_mismatch(lines, signed, b.root)
