"""Nothing missed in derived data: every view table checked, nothing shown from an unchecked row.

Issue 10 §C. The views are tampered with through the database driver, as an
attacker with write access to the database would; ``prov verify`` must name
the table, and ``prov dispute``, ``prov show`` and ``prov bundle export`` must
still show the challenge, because they read it from the signed statements.
The tracking row moved back or ahead is reported by verify, refused in one
line by every other command, and repaired by ``prov verify --rebuild-views``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import World, raw_db

from provenance.audit import audit
from provenance.bundle.export import closure, export_bundle
from provenance.log.note import format_verifier_key
from provenance.projections.dispute import dispute
from provenance.store import Store
from provenance.store.checkpoints import sign_checkpoint
from provenance_cli.main import cli

BACKENDS = ("sqlite", "postgres")


def _case(world: World) -> str:
    """A finding with an assessment, and a new challenge aimed at the finding; returns its id."""
    log_key = world.new_key("log")
    origin = "example.org/views-checked"
    world.store.configure_log(origin, format_verifier_key(origin, log_key.public_bytes))
    world.evidence("item-1")
    world.finding("finding-1", ["item-1"])
    world.assess("finding-1")
    world.challenge("challenge-1", "finding", "finding-1")
    sign_checkpoint(world.store, log_key)
    world.store.views.catch_up()
    return "challenge-1"


def _run(world: World, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--store", str(world.store_dir)])


def _verify_fails_naming(world: World, *words: str) -> list[str]:
    result = _run(world, "verify")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    fails = [line for line in result.output.splitlines() if line.startswith("FAIL")]
    assert fails and all(any(w in line for line in fails) for w in words), result.output
    return fails


def test_a_deleted_view_links_row_fails_verify_and_hides_no_challenge(world: World) -> None:
    challenge = _case(world)
    with raw_db(world.store_dir) as db:
        deleted = db.execute(
            "DELETE FROM view_links WHERE target_id = ? AND subject_id = ?",
            ("finding-1", challenge),
        )
        assert deleted.rowcount == 1
    _verify_fails_naming(world, "view_links", "challenge-1")
    store = world.store
    # The dispute view, prov show and the bundle read the challenge from the statements.
    assert [c["challenge"] for c in dispute(store, "finding-1")["challenges"]] == [challenge]
    shown = _run(world, "show", "finding-1")
    assert shown.exit_code == 0 and f"challenge {challenge}" in shown.output, shown.output
    disputed = _run(world, "dispute", "finding-1", "--json")
    assert disputed.exit_code == 0, disputed.output
    assert [c["challenge"] for c in json.loads(disputed.stdout)["challenges"]] == [challenge]
    assert challenge in closure(store, "finding-1", store.size() - 1)
    bundle = export_bundle(store, "finding-1")
    assert challenge in {s["subject"] for s in bundle["statements"]}


def test_an_added_view_links_row_fails_verify_and_invents_no_challenge(world: World) -> None:
    _case(world)
    world.finding("finding-2", ["item-1"])
    world.challenge("challenge-2", "finding", "finding-2")
    world.store.views.catch_up()
    with raw_db(world.store_dir) as db:
        sid = db.execute(
            "SELECT statement_id FROM statement_index WHERE subject_id = 'challenge-2'"
        ).fetchone()[0]
        db.execute(
            "INSERT INTO view_links VALUES (?, ?, ?, ?)",
            ("finding-1", "challenge-2", sid, "challenged-by"),
        )
    _verify_fails_naming(world, "view_links")
    challenges = [c["challenge"] for c in dispute(world.store, "finding-1")["challenges"]]
    assert challenges == ["challenge-1"]


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE view_history SET summary = 'nothing to see' WHERE subject_id = 'challenge-1'",
        "DELETE FROM view_history WHERE subject_id = 'challenge-1'",
        "UPDATE view_history SET author = 'alice' WHERE subject_id = 'challenge-1'",
    ],
)
def test_a_tampered_view_history_row_fails_verify(world: World, tamper: str) -> None:
    _case(world)
    with raw_db(world.store_dir) as db:
        db.execute(tamper)
    _verify_fails_naming(world, "view_history")


def test_a_tampered_view_subjects_row_fails_verify(world: World) -> None:
    _case(world)
    with raw_db(world.store_dir) as db:
        db.execute("UPDATE view_subjects SET version = 7 WHERE subject_id = 'finding-1'")
    _verify_fails_naming(world, "view_subjects", "finding-1")


@pytest.mark.parametrize(
    "state",
    ["[" * 5000 + "]" * 5000, '{"type": "finding", "type": "evidence"}', "not json"],
    ids=["deep", "duplicate-member", "not-json"],
)
def test_a_hostile_view_subjects_state_is_a_failure_and_one_line(world: World, state: str) -> None:
    """A state column no replay could have written: verify names the table, and a
    command that reads the views (prov list) says in one line that they are damaged."""
    _case(world)
    with raw_db(world.store_dir) as db:
        db.execute("UPDATE view_subjects SET state = ? WHERE subject_id = 'finding-1'", (state,))
    _verify_fails_naming(world, "view_subjects", "finding-1")
    shown = _run(world, "list")
    assert shown.exit_code == 2, shown.output
    lines = [line for line in shown.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "views are damaged" in lines[0], shown.output
    assert "--rebuild-views" in lines[0]


def _move_tracking(world: World, delta: int) -> None:
    with raw_db(world.store_dir) as db:
        position, nid = db.execute("SELECT position, notification_id FROM view_tracking").fetchone()
        target = position + delta
        row = db.execute(
            "SELECT notification_id FROM statement_index WHERE position = ?", (target,)
        ).fetchone()
        # Moved consistently: the notification id of the statement it now names.
        new_nid = row[0] if row is not None else nid + delta
        db.execute("UPDATE view_tracking SET position = ?, notification_id = ?", (target, new_nid))


@pytest.mark.parametrize("delta", [-3, 2])
def test_view_tracking_moved_is_reported_refused_and_repaired(world: World, delta: int) -> None:
    _case(world)
    world.store.close()
    _move_tracking(world, delta)
    fails = _verify_fails_naming(world, "views")
    assert any("view_tracking" in line for line in fails), fails
    for command in (["show", "finding-1"], ["list"], ["dispute", "finding-1"]):
        result = _run(world, *command)
        assert result.exit_code == 2, (command, result.output)
        assert "Traceback" not in result.output and "AssertionError" not in result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and "prov verify --rebuild-views" in lines[0], result.output
    rebuilt = _run(world, "verify", "--rebuild-views")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert _run(world, "verify").exit_code == 0
    assert _run(world, "show", "finding-1").exit_code == 0
    with Store.open(world.store_dir) as store:
        assert audit(store).ok


def test_every_view_table_is_compared_on_an_intact_store(world: World, tmp_path: Path) -> None:
    """The comparison itself raises no false alarm, whatever the views hold."""
    _case(world)
    world.put("bob", "challenge.responded", "challenge-1", _response())
    report = audit(world.store)
    assert report.ok, [p.describe() for p in report.problems]


def _response() -> dict[str, str]:
    return {"stance": "rebuts", "attributed_to": "Delegation X", "text": "It is sound."}
