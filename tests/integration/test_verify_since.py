"""`prov verify --since CHECKPOINT`: an incremental audit from a checkpoint the auditor trusts.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result
from conftest import Demo, raw_db

from provenance.audit import Trusted, audit
from provenance.authoring import sign_statement
from provenance.keys import KeyRing
from provenance.model import fields, kinds
from provenance.store import Store
from provenance.store.checkpoints import sign_checkpoint
from provenance_cli.main import cli

BACKENDS = ("sqlite", "postgres")

NewStore = Callable[[str], Path | str]


def _saved_checkpoint(demo: Demo, store_dir: Path | str, tmp_path: Path) -> Path:
    """Sign a checkpoint now, as the auditor saw it, and save its note."""
    with Store.open(store_dir) as store:
        cp = sign_checkpoint(store, KeyRing(demo.keys_dir).load("root-log"))
    path = tmp_path / "trusted.cp"
    path.write_text(cp.note)
    return path


def _append_one(demo: Demo, store_dir: Path | str, title: str) -> None:
    key = KeyRing(demo.keys_dir).load("analyst")
    with Store.open(store_dir) as store:
        store.append(
            sign_statement(
                key,
                kind="evidence.registered",
                subject=f"item-{title}",
                author="analyst",
                body=kinds.EvidenceRegistered(item_kind="other", title=title),
            )
        )


def _verify(store_dir: Path | str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["verify", "--store", str(store_dir), *args])


def test_since_checks_only_the_new_statements(
    demo: Demo, tmp_path: Path, new_store: NewStore
) -> None:
    store_dir = demo.copy_to(new_store("store"))
    saved = _saved_checkpoint(demo, store_dir, tmp_path)
    _append_one(demo, store_dir, "late-1")
    _append_one(demo, store_dir, "late-2")
    result = _verify(store_dir, "--since", str(saved))
    assert result.exit_code == 0, result.output
    assert "verified 2 statements after checkpoint size" in result.output


def test_since_still_checks_new_statements_in_full(
    demo: Demo, tmp_path: Path, new_store: NewStore
) -> None:
    """A new statement damaged after the checkpoint is found by the incremental audit."""
    store_dir = demo.copy_to(new_store("store"))
    saved = _saved_checkpoint(demo, store_dir, tmp_path)
    _append_one(demo, store_dir, "late")
    with raw_db(store_dir) as con:
        (state,) = con.execute(
            "SELECT state FROM stored_events WHERE originator_id = 'item-late'"
        ).fetchone()
        state = bytes(state)
        at = state.index(b'"sig":"') + 7
        flipped = state[:at] + (b"B" if state[at : at + 1] == b"A" else b"A") + state[at + 1 :]
        assert flipped != state
        changed = con.execute(
            "UPDATE stored_events SET state = ? WHERE originator_id = 'item-late'", (flipped,)
        ).rowcount
    assert changed == 1
    result = _verify(store_dir, "--since", str(saved))
    assert result.exit_code == 1
    assert "subject item-late" in result.output


def test_since_refuses_a_rewritten_past(demo: Demo, tmp_path: Path, new_store: NewStore) -> None:
    """If the stored log no longer folds to the trusted root, the audit says so."""
    store_dir = demo.copy_to(new_store("store"))
    saved = _saved_checkpoint(demo, store_dir, tmp_path)
    with raw_db(store_dir) as con:
        top = con.execute("SELECT MAX(level) FROM log_tree").fetchone()[0]
        changed = con.execute(
            "UPDATE log_nodes SET hash = ? WHERE id IN "
            "(SELECT id FROM log_tree WHERE level = ? AND idx = 0)",
            (bytes(32), top),
        ).rowcount
    assert changed == 1
    result = _verify(store_dir, "--since", str(saved))
    assert result.exit_code == 1
    assert "does not extend the trusted checkpoint" in result.output


def test_since_with_a_checkpoint_signed_by_another_key_is_refused(
    demo: Demo, tmp_path: Path, new_store: NewStore
) -> None:
    store_dir = demo.copy_to(new_store("store"))
    saved = _saved_checkpoint(demo, store_dir, tmp_path)
    other = KeyRing(tmp_path / "k").create("other")
    from provenance.log.note import format_verifier_key

    with Store.open(store_dir) as store:
        origin = store.meta["log_origin"]
    result = _verify(
        store_dir, "--since", str(saved), "--vkey", format_verifier_key(origin, other.public_bytes)
    )
    assert result.exit_code in (1, 2)
    assert result.output.startswith("error: ") or "error: " in result.output
    assert "Traceback" not in result.output


def test_library_since_equals_full_audit_on_a_clean_store(demo: Demo, new_store: NewStore) -> None:
    store_dir = demo.copy_to(new_store("store"))
    with Store.open(store_dir) as store:
        size, root = store.size(), store.log_root()
        _ = size
    _append_one(demo, store_dir, "late")
    with Store.open(store_dir) as store:
        incremental = audit(store, since=Trusted(size, root))
        full = audit(store)
    assert incremental.ok and full.ok
    assert incremental.statements == 1
    assert full.statements == size + 1


def _sign_as(
    demo: Demo, store_dir: Path | str, signer: str, kind: str, subject: str, body: fields.Body
) -> None:
    key = KeyRing(demo.keys_dir).load(signer)
    with Store.open(store_dir) as store:
        store.append(sign_statement(key, kind=kind, subject=subject, author=signer, body=body))


def test_since_after_an_ordinary_statement_on_an_existing_subject_is_ok(
    demo: Demo, tmp_path: Path, new_store: NewStore
) -> None:
    """The documented restore check: a marking added to an item recorded before the
    trusted checkpoint continues that item's history; it is not damage."""
    store_dir = demo.copy_to(new_store("store"))
    saved = _saved_checkpoint(demo, store_dir, tmp_path)
    mark = kinds.EvidenceMarking(text="2024", meaning="production year", value="2024")
    _sign_as(demo, store_dir, "field-team", "evidence.marking", "item-m3", mark)
    result = _verify(store_dir, "--since", str(saved))
    assert result.exit_code == 0, result.output
    assert "verified 1 statements after checkpoint size" in result.output


def test_since_after_withdrawing_a_statement_recorded_before_the_checkpoint_is_ok(
    demo: Demo, tmp_path: Path, new_store: NewStore
) -> None:
    """A retraction after the checkpoint of a marking recorded before it: the audit
    finds the target, its author and its subject in the trusted prefix."""
    store_dir = demo.copy_to(new_store("store"))
    with Store.open(store_dir) as store:
        marks = [
            r
            for r in store.index_range(0, store.size())
            if r.kind == "evidence.marking" and r.subject_id == "item-m3"
        ]
    saved = _saved_checkpoint(demo, store_dir, tmp_path)
    retraction = kinds.StatementRetracted(statement=marks[0].statement_id, reason="Re-read.")
    _sign_as(demo, store_dir, "field-team", "statement.retracted", "item-m3", retraction)
    result = _verify(store_dir, "--since", str(saved))
    assert result.exit_code == 0, result.output
    assert "verified 1 statements after checkpoint size" in result.output
