"""Export and import: the exact stored envelopes as JSON Lines, and every line checked
on the way back in.

The shared demo store is exported once per test that needs it;
imports go into fresh stores under the test's own tmp_path. The CLI commands are
invoked directly from ``provenance_cli.transfer`` (not through the main group).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import Demo, db_path, listing, raw_count

from provenance import demo as demo_case
from provenance.audit import audit
from provenance.authoring import init_store, sign_statement
from provenance.envelope import MAX_ENVELOPE_BYTES, parse_envelope
from provenance.errors import StatementRejected
from provenance.keys import KeyRing
from provenance.store import Store
from provenance.transfer import (
    MAX_LINE_BYTES,
    create_from_export,
    export,
    import_lines,
    read_lines,
)
from provenance_cli import transfer


def demo_size(demo: Demo) -> int:
    """How many statements the demo store holds, counted by the store itself."""
    with Store.open(demo.store_dir) as store:
        return store.size()


# -- helpers ---------------------------------------------------------------------


def export_bytes(store_dir: Path) -> bytes:
    """The export of a store, through the library."""
    out = io.BytesIO()
    with Store.open(store_dir) as store:
        assert export(store, out) == store.size()
    return out.getvalue()


def stored_envelopes(store_dir: Path) -> list[bytes]:
    """The envelope bytes as stored, in position order, read with sqlite3 directly."""
    with closing(sqlite3.connect(db_path(store_dir))) as con:
        rows = con.execute(
            "SELECT e.state FROM statement_index i JOIN stored_events e "
            "ON e.originator_id = i.subject_id AND e.originator_version = i.version "
            "ORDER BY i.position"
        ).fetchall()
    return [bytes(r[0]) for r in rows]


def statement_ids(store_dir: Path) -> list[str]:
    """The statement ids in position order, read with sqlite3 directly."""
    with closing(sqlite3.connect(db_path(store_dir))) as con:
        rows = con.execute("SELECT statement_id FROM statement_index ORDER BY position")
        return [str(r[0]) for r in rows]


def without_received_at(obj: Any) -> Any:
    """``obj`` with every ``received_at`` member removed, at any depth: each store
    stamps its own time of receipt, the only thing a faithful copy may change."""
    if isinstance(obj, dict):
        return {k: without_received_at(v) for k, v in obj.items() if k != "received_at"}
    if isinstance(obj, list):
        return [without_received_at(v) for v in obj]
    return obj


def subjects(store_dir: Path) -> list[Any]:
    """Every subject's state, without the receipt times."""
    with Store.open(store_dir) as store:
        return [without_received_at(s) for s in store.views.subjects()]


def root_key_id(demo: Demo) -> str:
    """The demo's root key id, as an importer learns it: from the key, not the export."""
    return KeyRing(demo.keys_dir).load("root").key_id


def payload_of(line: bytes) -> dict[str, Any]:
    """The decoded payload of an envelope line."""
    return dict(json.loads(parse_envelope(line).payload))


def tamper(line: bytes) -> bytes:
    """The envelope with one payload byte changed (a digit of issued_at, so the payload
    still parses and only the signature can tell); the signature is left as it was."""
    obj = json.loads(line)
    payload = base64.b64decode(obj["payload"])
    start = payload.index(b'"issued_at":"') + len(b'"issued_at":"')
    at = payload.index(b'"', start) - 2  # the last digit before the closing 'Z'
    digit = payload[at : at + 1]
    assert digit.isdigit()
    changed = payload[:at] + str((int(digit) + 1) % 10).encode() + payload[at + 1 :]
    obj["payload"] = base64.b64encode(changed).decode()
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def run(command: Any, *args: str | Path, input: bytes | None = None) -> Result:
    """Invoke a transfer command in-process."""
    return CliRunner().invoke(command, [str(a) for a in args], input=input)


def assert_clean_exit(result: Result, code: int) -> None:
    """The exit code, and a deliberate exit rather than an exception or a traceback."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


# -- export ----------------------------------------------------------------------


def test_export_is_the_stored_envelopes_one_per_line(demo: Demo) -> None:
    data = export_bytes(demo.store_dir)
    assert data.endswith(b"\n")
    lines = data.split(b"\n")[:-1]
    assert len(lines) == demo_size(demo)
    assert lines == stored_envelopes(demo.store_dir)
    assert [parse_envelope(x).statement_id for x in lines] == statement_ids(demo.store_dir)


def test_export_command_writes_the_same_bytes_to_stdout_and_to_a_file(
    demo: Demo, tmp_path: Path
) -> None:
    expected = export_bytes(demo.store_dir)
    to_stdout = run(transfer.export, "--store", demo.store_dir)
    assert_clean_exit(to_stdout, 0)
    assert to_stdout.stdout_bytes == expected
    out = tmp_path / "store.jsonl"
    to_file = run(transfer.export, "--store", demo.store_dir, "--out", out)
    assert_clean_exit(to_file, 0)
    assert out.read_bytes() == expected
    assert f"exported {demo_size(demo)} statements" in to_file.stdout
    assert listing(tmp_path) == ["store.jsonl"]  # no temporary file left


def test_export_keeps_an_existing_file_unless_forced(demo: Demo, tmp_path: Path) -> None:
    out = tmp_path / "store.jsonl"
    out.write_bytes(b"precious\n")
    refused = run(transfer.export, "--store", demo.store_dir, "--out", out)
    assert_clean_exit(refused, 2)
    assert "already exists" in refused.stderr
    assert out.read_bytes() == b"precious\n"
    assert listing(tmp_path) == ["store.jsonl"]

    forced = run(transfer.export, "--store", demo.store_dir, "--out", out, "--force")
    assert_clean_exit(forced, 0)
    assert out.read_bytes() == export_bytes(demo.store_dir)
    assert listing(tmp_path) == ["store.jsonl"]


def test_a_failed_export_leaves_no_file(tmp_path: Path) -> None:
    result = run(transfer.export, "--store", tmp_path / "nowhere", "--out", tmp_path / "x.jsonl")
    assert_clean_exit(result, 2)
    assert result.stderr.startswith("error: no store at")
    assert listing(tmp_path) == []


# -- round trip ------------------------------------------------------------------


def test_round_trip_gives_the_same_statements_and_state(demo: Demo, tmp_path: Path) -> None:
    first, *rest = export_bytes(demo.store_dir).splitlines()
    copy_dir = tmp_path / "copy"
    with create_from_export(copy_dir, first, root_key_id(demo)) as copy:
        report = import_lines(copy, rest, start=2)
        assert (report.accepted, report.duplicates, report.refused) == (demo_size(demo) - 1, 0, 0)
        assert [e.line for e in report.entries] == list(range(2, demo_size(demo) + 1))
        assert audit(copy).ok

    assert statement_ids(copy_dir) == statement_ids(demo.store_dir)
    assert stored_envelopes(copy_dir) == stored_envelopes(demo.store_dir)
    assert export_bytes(copy_dir) == export_bytes(demo.store_dir)
    states = subjects(copy_dir)
    assert len(states) == len(subjects(demo.store_dir)) > 0
    assert states == subjects(demo.store_dir)
    # The receipt times were really stripped, not absent from the start.
    with Store.open(copy_dir) as copy:
        assert "received_at" in json.dumps(copy.views.subjects())


def test_import_twice_through_the_cli_writes_nothing_the_second_time(
    demo: Demo, tmp_path: Path
) -> None:
    exported = tmp_path / "store.jsonl"
    exported.write_bytes(export_bytes(demo.store_dir))
    store_dir = tmp_path / "copy"

    created = run(
        transfer.import_, exported, "--store", store_dir, "--root-key-id", root_key_id(demo)
    )
    assert_clean_exit(created, 0)
    assert created.stdout == f"imported {demo_size(demo)} new, 0 already present, 0 refused\n"
    before = {t: raw_count(store_dir, t) for t in ("stored_events", "statement_index")}
    assert before == {"stored_events": demo_size(demo), "statement_index": demo_size(demo)}

    again = run(transfer.import_, exported, "--store", store_dir, "--json")
    assert_clean_exit(again, 0)
    report = json.loads(again.stdout)
    assert (report["accepted"], report["duplicates"], report["refused"]) == (0, demo_size(demo), 0)
    assert {e["outcome"] for e in report["lines"]} == {"duplicate"}
    assert [e["statement_id"] for e in report["lines"]] == statement_ids(demo.store_dir)
    assert {t: raw_count(store_dir, t) for t in before} == before


# -- refusals ----------------------------------------------------------------------


def test_bad_lines_are_refused_with_reasons_and_the_rest_imported(
    demo: Demo, tmp_path: Path
) -> None:
    good = export_bytes(demo.store_dir).splitlines()
    org = demo_case.ORG
    marking = next(x for x in good if payload_of(x)["kind"] == "evidence.marking")
    mallory = KeyRing(tmp_path / "keys").create("mallory")
    root = KeyRing(demo.keys_dir).load("root")
    item = {"item_kind": "other", "title": "Planted"}
    when = "2024-12-11T00:00:00Z"
    unknown_key = sign_statement(
        mallory, kind="evidence.registered", subject="item-x", author=org, body=item, issued_at=when
    )
    missing = hashlib.sha256(b"not in any store").hexdigest()
    missing_ref = sign_statement(
        root,
        kind="evidence.registered",
        subject="item-y",
        author=org,
        body=item,
        refs=[missing],
        issued_at=when,
    )
    # Rests on the refused item-x, so it is refused too, for its own reason.
    dependent = sign_statement(
        root,
        kind="evidence.marking",
        subject="item-x",
        author=org,
        body={"text": "X"},
        issued_at=when,
    )
    bad = {
        "tampered": (tamper(marking), "does not verify"),
        "unknown key": (unknown_key, "signed by an unknown key"),
        "malformed": (b'{"payload": "e30=", "payloadType":', "not valid JSON"),
        "missing ref": (missing_ref, f"ref {missing[:12]}… is not a statement in this store"),
        "dependent": (dependent, "item-x is not an evidence item in this store"),
    }
    # Bad lines go after line 12, with a blank line among them.
    lines = [*good[:12], b"", *(raw for raw, _ in bad.values()), *good[12:]]
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    expected_numbers = dict(zip(bad, range(14, 19), strict=True))  # line 13 is blank

    store_dir = tmp_path / "copy"
    result = run(transfer.import_, path, "--store", store_dir, "--root-key-id", root_key_id(demo))
    assert_clean_exit(result, 2)
    out = result.stdout.splitlines()
    assert out[-1] == f"imported {demo_size(demo)} new, 0 already present, {len(bad)} refused"
    assert len(out) == len(bad) + 1
    for line, (name, (_, reason)) in zip(out, bad.items(), strict=False):
        assert line.startswith(f"line {expected_numbers[name]}: refused: "), (name, line)
        assert reason in line, (name, line)
    assert statement_ids(store_dir) == statement_ids(demo.store_dir)
    with Store.open(store_dir) as store:
        assert audit(store).ok

    again = run(transfer.import_, path, "--store", store_dir, "--json")
    assert_clean_exit(again, 2)
    report = json.loads(again.stdout)
    assert not report["ok"]
    assert (report["accepted"], report["duplicates"], report["refused"]) == (0, demo_size(demo), 5)
    refused = {e["line"]: e for e in report["lines"] if e["outcome"] == "refused"}
    assert sorted(refused) == sorted(expected_numbers.values())
    tampered = refused[expected_numbers["tampered"]]
    assert tampered["statement_id"] == parse_envelope(tamper(marking)).statement_id
    assert tampered["statement_id"] != parse_envelope(marking).statement_id
    assert refused[expected_numbers["malformed"]]["statement_id"] is None
    assert raw_count(store_dir) == demo_size(demo)


def test_an_oversized_line_is_refused_without_being_read_whole(tmp_path: Path) -> None:
    class Spy(io.BytesIO):
        """Records the longest chunk the reader asked for or got."""

        longest = 0

        def readline(self, size: int | None = -1, /) -> bytes:
            chunk = super().readline(size)
            self.longest = max(self.longest, len(chunk))
            return chunk

    huge = b"x" * (3 * MAX_LINE_BYTES)
    stream = Spy(huge + b"\n" + b"{}\n")
    lines = list(read_lines(stream))
    assert [len(x) for x in lines] == [MAX_LINE_BYTES + 1, 2]
    assert stream.longest <= MAX_LINE_BYTES + 2
    assert MAX_LINE_BYTES == MAX_ENVELOPE_BYTES

    with Store.open(_small_store(tmp_path)) as store:
        before = store.size()
        report = import_lines(store, lines)
        assert store.size() == before
    assert [(e.line, e.outcome) for e in report.entries] == [(1, "refused"), (2, "refused")]
    assert f"over {MAX_LINE_BYTES} bytes" in (report.entries[0].reason or "")
    assert "envelope fields wrong" in (report.entries[1].reason or "")


def test_line_reading_keeps_lines_at_the_limit_and_strips_terminators() -> None:
    data = b"0123456789\r\n\n0123456789A\nlast"
    assert list(read_lines(io.BytesIO(data), limit=10)) == [
        b"0123456789",
        b"",
        b"0123456789A",  # limit + 1 bytes: flagged as too long, not cut to fit
        b"last",
    ]


def _small_store(tmp_path: Path) -> Path:
    """A one-statement store (a genesis) under tmp_path/small."""
    key = KeyRing(tmp_path / "small-keys").create("root")
    init_store(tmp_path / "small", key, org_id="org", org_name="Org").close()
    return tmp_path / "small"


# -- creating a store from an export ------------------------------------------------


def test_a_wrong_root_key_id_creates_nothing(demo: Demo, tmp_path: Path) -> None:
    exported = tmp_path / "store.jsonl"
    exported.write_bytes(export_bytes(demo.store_dir))
    target = tmp_path / "new" / "store"
    other_key = KeyRing(demo.keys_dir).load("analyst").key_id

    wrong = run(transfer.import_, exported, "--store", target, "--root-key-id", other_key)
    assert_clean_exit(wrong, 2)
    assert wrong.stderr.startswith("error: ")
    assert f"not the pinned root key {other_key}" in wrong.stderr
    assert not (tmp_path / "new").exists()

    missing = run(transfer.import_, exported, "--store", target)
    assert_clean_exit(missing, 2)
    assert "--root-key-id" in missing.stderr
    assert not (tmp_path / "new").exists()


def test_a_genesis_with_a_bad_signature_creates_nothing(demo: Demo, tmp_path: Path) -> None:
    first = export_bytes(demo.store_dir).splitlines()[0]
    obj = json.loads(first)
    sig = bytearray(base64.b64decode(obj["signatures"][0]["sig"]))
    sig[0] ^= 1
    obj["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    forged = json.dumps(obj).encode()
    target = tmp_path / "new" / "store"
    # The key id matches, so only Store.create's own checks can refuse it.
    with pytest.raises(StatementRejected, match="does not verify"):
        create_from_export(target, forged, root_key_id(demo))
    assert not (tmp_path / "new").exists()


def test_a_first_line_that_is_not_a_genesis_is_refused(demo: Demo, tmp_path: Path) -> None:
    second = export_bytes(demo.store_dir).splitlines()[1]
    with pytest.raises(StatementRejected, match="not the organisation registering its root"):
        create_from_export(tmp_path / "store", second, root_key_id(demo))
    assert listing(tmp_path) == []


def test_the_root_key_id_must_match_an_existing_store(demo: Demo, tmp_path: Path) -> None:
    exported = tmp_path / "store.jsonl"
    exported.write_bytes(export_bytes(demo.store_dir))
    store_dir = demo.copy(tmp_path)
    before = raw_count(store_dir)
    other_key = KeyRing(demo.keys_dir).load("analyst").key_id
    result = run(transfer.import_, exported, "--store", store_dir, "--root-key-id", other_key)
    assert_clean_exit(result, 2)
    assert "is not the root key of the store" in result.stderr
    assert raw_count(store_dir) == before


def test_export_as_of_stops_at_that_point(demo: Demo) -> None:
    """--as-of exports the record as it stood then: the first lines of the full export."""
    full = export_bytes(demo.store_dir).splitlines()
    with Store.open(demo.store_dir) as store:
        meeting = store.position_at(demo_case.MEETING_DAY)
    result = run(transfer.export, "--store", demo.store_dir, "--as-of", demo_case.MEETING_DAY)
    assert_clean_exit(result, 0)
    lines = result.stdout_bytes.splitlines()
    assert lines == full[: meeting + 1]
    assert len(lines) < len(full)
    bad = run(transfer.export, "--store", demo.store_dir, "--as-of", "1999-01-01")
    assert_clean_exit(bad, 2)
    assert bad.stderr.startswith("error: ")
