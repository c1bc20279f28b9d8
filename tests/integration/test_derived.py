"""``evidence.derived``: an item that is part of, or derived from, another (issue 11).

The kind was added by its declaration, its command and its docs alone; these
tests check that every layer then knows it: the rules, the fold and the
views, history, the text rendering, and the bundle closure with its offline
verifier.
"""

from __future__ import annotations

from provenance.audit import audit
from provenance.bundle.export import encode_bundle, export_bundle
from provenance.bundle.offline_verify import verify_bundle
from provenance.log.note import format_verifier_key
from provenance.store.checkpoints import sign_checkpoint
from tests.conftest import Prov, World

BACKENDS = ("sqlite", "postgres")

ENGINE = {
    "source": "wreck-1",
    "relation": "part-of",
    "how": "Removed from the wreck at the crash site.",
    "at": "2024-08-21",
}


def test_a_part_is_recorded_folded_linked_and_shown(world: World, prov: Prov) -> None:
    world.evidence("wreck-1")
    world.evidence("engine-1")
    part = world.put("alice", "evidence.derived", "engine-1", ENGINE)
    state = world.store.views.subject("engine-1")
    assert state is not None
    assert [(s["source"], s["relation"]) for s in state["sources"]] == [("wreck-1", "part-of")]
    assert world.store.views.subject("wreck-1")["sources"] == []  # type: ignore[index]
    links = world.store.views.links_to("wreck-1", "source-of")
    assert [link["statement_id"] for link in links] == [part.statement_id]
    shown = prov.ok("show", "engine-1", "--store", str(world.store_dir)).stdout
    assert "part-of wreck-1 at 2024-08-21" in shown
    assert "how: Removed from the wreck at the crash site." in shown
    history = prov.ok("history", "engine-1", "--store", str(world.store_dir)).stdout
    assert "evidence.derived  part of wreck-1 at 2024-08-21" in history
    report = audit(world.store)
    assert report.ok, [p.describe() for p in report.problems]


def test_the_source_must_be_another_evidence_item(world: World) -> None:
    world.evidence("engine-1")
    world.finding("finding-1", ["engine-1"])
    before = world.store.size()
    with world.refuses("wreck-1 is not an evidence item in this store"):
        world.put("alice", "evidence.derived", "engine-1", ENGINE)
    with world.refuses("finding-1 is not an evidence item in this store"):
        world.put("alice", "evidence.derived", "engine-1", {**ENGINE, "source": "finding-1"})
    with world.refuses("evidence.derived cannot name its own subject engine-1"):
        world.put("alice", "evidence.derived", "engine-1", {**ENGINE, "source": "engine-1"})
    assert world.store.size() == before


def test_the_bundle_of_a_part_holds_its_source_and_verifies_offline(world: World) -> None:
    log_key = world.new_key("log")
    origin = "example.org/derived"
    world.store.configure_log(origin, format_verifier_key(origin, log_key.public_bytes))
    world.evidence("wreck-1")
    world.put("alice", "evidence.marking", "wreck-1", {"text": "2024"})
    world.evidence("photo-copy")
    world.put(
        "alice",
        "evidence.derived",
        "photo-copy",
        {"source": "wreck-1", "relation": "derived-from", "how": "Working copy."},
    )
    sign_checkpoint(world.store, log_key)
    bundle = export_bundle(world.store, "photo-copy")
    subjects = {st["subject"] for st in bundle["statements"]}
    assert {"wreck-1", "photo-copy"} <= subjects
    report = verify_bundle(encode_bundle(bundle), world.store.meta["log_vkey"])
    assert report.ok, report.failures
    # Without its source's record, the bundle no longer proves what the part rests on.
    bundle["statements"] = [st for st in bundle["statements"] if st["subject"] != "wreck-1"]
    failures = verify_bundle(encode_bundle(bundle), world.store.meta["log_vkey"]).failures
    assert any("wreck-1 is not an evidence item" in f for f in failures), failures


def test_prov_evidence_derive_records_it_and_refuses_bad_input(world: World, prov: Prov) -> None:
    world.evidence("wreck-1")
    world.evidence("engine-1")
    store = str(world.store_dir)
    receipt = prov.json(
        "evidence", "derive", "engine-1", "--from", "wreck-1", "--relation", "part-of",
        "--how", "Removed at the site.", "--at", "2024-08-21", "--key", "alice", "--store", store,
    )  # fmt: skip
    assert receipt["kind"] == "evidence.derived" and receipt["subject"] == "engine-1"
    state = world.store.subject_state("engine-1")
    assert state is not None and state["sources"][0]["how"] == "Removed at the site."
    size = world.store.size()
    for args, says in (
        (["--relation", "copy-of"], "'copy-of' is not one of 'part-of', 'derived-from'"),
        (["--relation", "part-of", "--at", "last week"], "body.at"),
        (["--relation", "part-of", "--from", "nowhere"], "nowhere is not an evidence item"),
    ):
        source = [] if "--from" in args else ["--from", "wreck-1"]
        result = prov(
            "evidence", "derive", "engine-1", *source, *args, "--key", "alice", "--store", store
        )
        assert result.exit_code == 2, result.output
        assert says in result.stderr and "Traceback" not in result.output
        assert len(result.stderr.strip().splitlines()) == 1
    assert world.store.size() == size
