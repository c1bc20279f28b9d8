"""Read models: always equal to a fresh replay, rebuildable, and caught up after a crash.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Demo, Prov, World, raw_db

from provenance.audit import audit
from provenance.errors import StoreError
from provenance.projections.views import VIEWS_FORMAT
from provenance.store import Store

BACKENDS = ("sqlite", "postgres")

RECEIVED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def _story(world: World) -> dict[str, str]:
    """Append a small but complete case; return statement ids by name."""
    ids: dict[str, str] = {}
    ids["item-1"] = world.evidence("item-1").statement_id
    ids["item-2"] = world.evidence("item-2", signer="bob").statement_id
    ids["mark"] = world.put(
        "alice", "evidence.marking", "item-1", {"text": "2024", "meaning": "year", "value": "2024"}
    ).statement_id
    ids["finding"] = world.finding("finding-1", ["item-1", "item-2"]).statement_id
    ids["assess"] = world.assess("finding-1", stance="contests").statement_id
    ids["challenge"] = world.challenge("challenge-1", "assessment", ids["assess"]).statement_id
    ids["respond"] = world.put(
        "alice",
        "challenge.responded",
        "challenge-1",
        {"stance": "concedes", "attributed_to": "Org", "text": "Fair."},
    ).statement_id
    ids["revise"] = world.put(
        "alice",
        "finding.revised",
        "finding-1",
        {"claim": "Narrower.", "evidence": ["item-1"], "confidence": "low", "reason": "Conceded."},
        refs=[ids["challenge"], ids["respond"]],
    ).statement_id
    ids["reaffirm"] = world.put(
        "alice", "finding.reaffirmed", "finding-1", {"statement": "Stands."}
    ).statement_id
    return ids


def _subjects(store: Store) -> set[str]:
    return {r.subject for r in store.iter_records()}


def _assert_views_equal_replay(store: Store) -> None:
    for subject in _subjects(store):
        assert store.views.subject(subject) == store.subject_state(subject), subject


def test_views_equal_a_fresh_replay_for_every_subject(world: World) -> None:
    """After a run of statements of every kind, each subject's view is its replayed state."""
    _story(world)
    assert _subjects(world.store) == {
        "org",
        "alice",
        "bob",
        "item-1",
        "item-2",
        "finding-1",
        "challenge-1",
    }
    _assert_views_equal_replay(world.store)


def test_demo_views_equal_a_fresh_replay(
    demo: Demo, new_store: Callable[[str], Path | str]
) -> None:
    """The same holds for every subject of the demo case."""
    with Store.open(demo.copy_to(new_store("store"))) as store:
        assert len(_subjects(store)) == len(store.views.subjects()) > 10
        _assert_views_equal_replay(store)


def test_rebuild_reproduces_the_views_exactly(world: World) -> None:
    """Dropping and replaying the views gives the same rows in every view table."""
    _story(world)
    before = world.store.views.dump()
    assert any(before.values())
    world.store.views.rebuild()
    assert world.store.views.dump() == before
    _assert_views_equal_replay(world.store)


def _drop_views(world: World) -> None:
    """Drop every view table with the database driver, the store closed."""
    world.store.close()
    with raw_db(world.store_dir) as db:
        if db.postgres:
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        else:
            sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
        names = [r[0] for r in db.execute(sql).fetchall() if r[0].startswith("view_")]
        assert names
        for name in names:
            db.execute(f"DROP TABLE {name}")
    world.store = Store.open(world.store_dir)


def test_views_can_be_rebuilt_after_being_deleted(world: World) -> None:
    """With every view table dropped behind the store's back, a rebuild restores them
    exactly from the statements."""
    _story(world)
    before = world.store.views.dump()
    _drop_views(world)
    world.store.views.rebuild()
    assert world.store.views.dump() == before


def test_missing_views_are_a_store_error(world: World) -> None:
    """Reading views that were dropped is a StoreError that says what to do, not a raw
    database error (which the CLI would report as an internal error)."""
    _story(world)
    _drop_views(world)
    with pytest.raises(StoreError, match="views"):
        world.store.views.catch_up()


def test_views_catch_up_after_a_writer_died_before_updating_them(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer whose view update never ran leaves the views behind, never wrong; a fresh
    Store brings them level with catch_up."""
    views = world.store.views
    monkeypatch.setattr(views, "catch_up", lambda *a, **k: 0)
    monkeypatch.setattr(views, "apply_in_transaction", lambda *a, **k: False, raising=False)
    ids = _story(world)
    # The dead writer's statements are stored but its views did not move.
    assert world.store.has_statement(ids["reaffirm"])
    assert views.subject("item-1") is None
    monkeypatch.undo()

    with Store.open(world.store_dir) as fresh:
        fresh.views.catch_up()
        _assert_views_equal_replay(fresh)
        assert fresh.views.history("finding-1")[-1]["statement_id"] == ids["reaffirm"]
        caught_up = fresh.views.dump()
        fresh.views.rebuild()
        assert fresh.views.dump() == caught_up


def test_next_append_brings_lagging_views_level(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a writer died with the views behind, the next append (by anyone) leaves
    the views current, including the statements the dead writer stored."""
    views = world.store.views
    monkeypatch.setattr(views, "catch_up", lambda *a, **k: 0)
    monkeypatch.setattr(views, "apply_in_transaction", lambda *a, **k: False, raising=False)
    world.evidence("item-1")
    monkeypatch.undo()

    with Store.open(world.store_dir) as fresh:
        fresh.append(
            world.sign(
                "bob", "evidence.registered", "item-2", {"item_kind": "other", "title": "Two"}
            )
        )
        assert fresh.views.subject("item-1") == fresh.subject_state("item-1")
        assert fresh.views.subject("item-2") == fresh.subject_state("item-2")


def test_history_is_in_version_order_with_signer_and_times(world: World) -> None:
    """Each history entry names its version, kind, author, signing key id, the author's
    issued_at and the store's received_at."""
    ids = _story(world)
    history = world.store.views.history("finding-1")
    assert [e["version"] for e in history] == [1, 2, 3, 4]
    assert [e["kind"] for e in history] == [
        "finding.asserted",
        "finding.assessed",
        "finding.revised",
        "finding.reaffirmed",
    ]
    assert [e["statement_id"] for e in history] == [
        ids["finding"],
        ids["assess"],
        ids["revise"],
        ids["reaffirm"],
    ]
    assert [e["author"] for e in history] == ["alice", "bob", "alice", "alice"]
    keys = world.keys
    assert [e["key_id"] for e in history] == [
        keys["alice"].key_id,
        keys["bob"].key_id,
        keys["alice"].key_id,
        keys["alice"].key_id,
    ]
    assert all(e["issued_at"] == "2024-01-01T00:00:00Z" for e in history)
    assert all(RECEIVED_AT.fullmatch(e["received_at"]) for e in history)
    positions = [e["position"] for e in history]
    assert positions == sorted(positions)
    assert history[2]["refs"] == [ids["challenge"], ids["respond"]]
    for e in history:
        rec = world.store.statement(e["statement_id"])
        assert (rec.position, rec.version, rec.received_at) == (
            e["position"],
            e["version"],
            e["received_at"],
        )


def test_history_of_unknown_subject_is_empty(world: World) -> None:
    """No statements, no history."""
    assert world.store.views.history("nothing") == []


def test_subjects_by_type_in_creation_order(world: World) -> None:
    """subjects(type) lists the subjects of one type, oldest first."""
    _story(world)
    views = world.store.views
    assert [s["subject"] for s in views.subjects("actor")] == ["org", "alice", "bob"]
    assert [s["subject"] for s in views.subjects("evidence")] == ["item-1", "item-2"]
    assert [s["subject"] for s in views.subjects("finding")] == ["finding-1"]
    assert [s["subject"] for s in views.subjects()][:3] == ["org", "alice", "bob"]
    assert len(views.subjects()) == 7


def test_links_record_evidence_challenges_and_refs(world: World) -> None:
    """The link view answers what rests on an item, what challenges a statement, and what
    refers to a statement."""
    ids = _story(world)
    views = world.store.views
    evidence_for = {link["subject_id"] for link in views.links_to("item-2", "evidence-for")}
    assert evidence_for == {"finding-1"}
    challenged = views.links_to(ids["assess"], "challenged-by")
    assert [link["subject_id"] for link in challenged] == ["challenge-1"]
    refers = {link["statement_id"] for link in views.links_to(ids["respond"], "refers-to")}
    assert refers == {ids["revise"]}


def test_finding_view_shows_the_whole_thread(world: World) -> None:
    """The finding's view carries its revision, earlier version, assessment and status."""
    _story(world)
    state = world.store.views.subject("finding-1")
    assert state is not None
    assert state["status"] == "reaffirmed"
    assert state["revision"] == 2
    assert state["claim"] == "Narrower."
    assert [v["claim"] for v in state["versions"]] == ["Claim finding-1", "Narrower."]
    assert [a["stance"] for a in state["assessments"]] == ["contests"]
    challenge = world.store.views.subject("challenge-1")
    assert challenge is not None and challenge["status"] == "conceded"


def test_statement_row_matches_the_stored_statement(world: World) -> None:
    """statement_row gives the history entry of one statement id."""
    ids = _story(world)
    row = world.store.views.statement_row(ids["mark"])
    assert row is not None
    assert (row["subject_id"], row["version"], row["kind"]) == ("item-1", 2, "evidence.marking")
    assert world.store.views.statement_row("0" * 64) is None


def _as_an_older_version_left_them(store_dir: Path | str) -> None:
    """Rewrite the stored views as format 1 wrote them: no format row, old withdrawal keys."""
    with raw_db(store_dir) as db:
        db.execute("DELETE FROM prov_meta WHERE key = 'views_format'")
        for subject, state in db.execute("SELECT subject_id, state FROM view_subjects").fetchall():
            old = json.loads(state)
            if not old.get("withdrawals"):
                old.pop("withdrawals", None)
            for entries in old.values():
                for e in entries if isinstance(entries, list) else []:
                    if isinstance(e, dict) and "withdrawn" in e:
                        w = e.pop("withdrawn")
                        e[w["how"]] = {"reason": w["reason"], "by": w["author"]}
            db.execute(
                "UPDATE view_subjects SET state = ? WHERE subject_id = ?",
                (json.dumps(old, sort_keys=True), subject),
            )


def test_views_of_an_older_format_are_rebuilt_by_the_next_writer(world: World) -> None:
    """Upgrading never makes an intact store look damaged, nor shows old-shaped views."""
    _story(world)
    mark = world.put("alice", "evidence.marking", "item-1", {"text": "misread"})
    world.put(
        "alice", "statement.retracted", "item-1", {"statement": mark.statement_id, "reason": "No."}
    )
    world.store.views.catch_up()
    world.store.close()
    _as_an_older_version_left_them(world.store_dir)
    with Store.open(world.store_dir) as store:
        assert store.views.stale_format() == "1"
        report = audit(store)  # catches the views up first: a writer rebuilds them
        assert report.ok, [p.describe() for p in report.problems]
        assert store.views.stale_format() is None
        assert store.meta["views_format"] == VIEWS_FORMAT
        _assert_views_equal_replay(store)
        marks = store.views.subject("item-1")
        assert marks is not None and marks["markings"][-1]["withdrawn"]["how"] == "retracted"
    with raw_db(world.store_dir) as db:
        row = db.execute("SELECT value FROM prov_meta WHERE key = 'views_format'").fetchone()
    assert row[0] == VIEWS_FORMAT


def test_junk_in_the_views_format_hides_no_tampered_view(world: World, prov: Prov) -> None:
    """Whoever can write the store may mark the views stale: they are then rebuilt from the
    statements, so a forged state never reaches a reader."""
    _story(world)
    world.store.views.catch_up()
    world.store.close()
    with raw_db(world.store_dir) as db:
        db.execute("UPDATE prov_meta SET value = 'junk' WHERE key = 'views_format'")
        db.execute(
            "UPDATE view_subjects SET state = ? WHERE subject_id = 'finding-1'",
            (json.dumps({"forged": True}),),
        )
    shown = prov.json("show", "finding-1", "--store", str(world.store_dir))
    assert "forged" not in shown and shown["claim"] == "Narrower."
    with Store.open(world.store_dir) as store:
        assert store.views.stale_format() is None
        _assert_views_equal_replay(store)


def test_a_writer_does_not_rebuild_views_another_writer_just_rebuilt(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _story(world)
    world.store.views.catch_up()
    world.store.close()
    _as_an_older_version_left_them(world.store_dir)
    first = Store.open(world.store_dir)  # opened while the views were still stale
    try:
        with Store.open(world.store_dir) as second:
            second.views.catch_up()  # rebuilds them
            assert second.views.stale_format() is None
        rebuilt: list[Store] = []
        original = type(first.views).rebuild
        monkeypatch.setattr(
            type(first.views), "rebuild", lambda self: (rebuilt.append(self.store), original(self))
        )
        first.views.catch_up()
        assert rebuilt == [] and first.views.stale_format() is None
        _assert_views_equal_replay(first)
    finally:
        first.close()
