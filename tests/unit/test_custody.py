"""The chain of custody: gaps and breaks on hand-built item states, then through `prov custody`."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Prov, World

from provenance.model.kinds import withdrawal
from provenance.projections.custody import custody_chain
from provenance.store import Receipt

ITEM = "item-1"


def event(
    position: int,
    action: str,
    at: str,
    *,
    to: str | None = None,
    frm: str | None = None,
    by: str = "Someone",
    retracted: bool = False,
) -> dict[str, Any]:
    """A custody entry shaped like the fold's output."""
    e: dict[str, Any] = {
        "action": action,
        "at": at,
        "performed_by": by,
        "statement_id": f"{position:064x}",
        "author": "alice",
        "issued_at": "2024-01-01T00:00:00Z",
        "received_at": "2024-01-01T00:00:00.000000Z",
        "position": position,
    }
    if to is not None:
        e["to_party"] = to
    if frm is not None:
        e["from_party"] = frm
    if retracted:
        e["withdrawn"] = withdrawal(
            "statement.retracted",
            {"statement": e["statement_id"], "reason": "wrong item"},
            {**e, "statement_id": "f" * 64, "position": 999},
        )
    return e


def item(*events: dict[str, Any], custodian: str | None = None) -> dict[str, Any]:
    """An evidence item's state holding ``events`` as its custody entries."""
    state: dict[str, Any] = {
        "subject": ITEM,
        "type": "evidence",
        "item_kind": "other",
        "title": "An item",
        "custody": list(events),
        "markings": [],
    }
    if custodian is not None:
        state["custodian"] = custodian
    return state


def holders(chain: dict[str, Any]) -> list[tuple[int, str, str | None]]:
    return [(e["position"], e["action"], e["holder_after"]) for e in chain["events"]]


def test_an_intact_chain() -> None:
    chain = custody_chain(
        item(
            event(10, "collected", "2024-08-20", to="Police"),
            event(11, "examined", "2024-08-21"),
            event(12, "transferred", "2024-08-22", frm="Police", to="Lab"),
            event(13, "copied", "2024-08-23"),
            event(14, "stored", "2024-08-24"),
            event(15, "stored", "2024-08-25", to="Archive"),
            custodian="Police",
        )
    )
    assert chain["item"] == ITEM
    assert chain["status"] == "intact"
    assert chain["gaps"] == [] and chain["breaks"] == []
    assert chain["custodian"] == "Archive"
    assert chain["registered_custodian"] == "Police"
    assert holders(chain) == [
        (10, "collected", "Police"),
        (11, "examined", "Police"),
        (12, "transferred", "Lab"),
        (13, "copied", "Lab"),
        (14, "stored", "Lab"),  # stored without to_party: the holder keeps it
        (15, "stored", "Archive"),
    ]
    # Each step keeps the entry's own fields.
    assert chain["events"][2]["from_party"] == "Police"
    assert chain["events"][2]["statement_id"] == f"{12:064x}"


@pytest.mark.parametrize("first", ["examined", "copied", "stored"])
def test_no_collection_first_is_a_gap(first: str) -> None:
    chain = custody_chain(item(event(5, first, "2024-09-01")))
    assert chain["status"] == "gaps"
    assert chain["breaks"] == []
    [gap] = chain["gaps"]
    assert gap == {
        "statement_id": f"{5:064x}",
        "at": "2024-09-01",
        "action": first,
        "message": f"no collection recorded before this {first}",
    }
    assert chain["custodian"] is None


def test_a_transfer_first_is_a_gap_then_the_receiver_holds_it() -> None:
    chain = custody_chain(
        item(
            event(5, "transferred", "2024-09-01", frm="Police", to="Lab"),
            event(6, "examined", "2024-09-02"),
        )
    )
    assert chain["status"] == "gaps"
    assert [g["message"] for g in chain["gaps"]] == [
        "no collection recorded before this transferred"
    ]
    assert chain["breaks"] == []  # nobody was known to hold it, so no one was bypassed
    assert holders(chain) == [(5, "transferred", "Lab"), (6, "examined", "Lab")]


def test_a_transfer_from_a_non_holder_is_a_break_naming_both() -> None:
    chain = custody_chain(
        item(
            event(1, "collected", "2024-08-20", to="Police"),
            event(2, "transferred", "2024-08-25", frm="Militia", to="Lab"),
            event(3, "examined", "2024-08-26"),
        )
    )
    assert chain["status"] == "broken"
    assert chain["gaps"] == []
    [brk] = chain["breaks"]
    assert brk["statement_id"] == f"{2:064x}"
    assert brk["at"] == "2024-08-25"
    assert brk["action"] == "transferred"
    assert "Militia" in brk["message"] and "Police" in brk["message"]
    assert brk["message"] == (
        "transferred from Militia, who did not hold the item (held by Police)"
    )
    assert chain["custodian"] == "Lab"


def test_collected_again_while_held_is_a_break() -> None:
    chain = custody_chain(
        item(
            event(1, "collected", "2024-08-20", to="Police"),
            event(2, "collected", "2024-08-21", to="Army"),
        )
    )
    assert chain["status"] == "broken"
    assert [b["message"] for b in chain["breaks"]] == ["collected again while held by Police"]
    assert chain["custodian"] == "Army"


def test_a_break_outranks_a_gap_in_the_status() -> None:
    chain = custody_chain(
        item(
            event(1, "examined", "2024-08-19"),
            event(2, "collected", "2024-08-20", to="Police"),
            event(3, "transferred", "2024-08-21", frm="Nobody", to="Lab"),
        )
    )
    assert len(chain["gaps"]) == 1 and len(chain["breaks"]) == 1
    assert chain["status"] == "broken"


@pytest.mark.parametrize("action", ["examined", "copied"])
def test_examined_or_copied_while_no_holder_is_a_gap(action: str) -> None:
    # The first storage names no one taking the item, so nobody holds it afterwards.
    chain = custody_chain(
        item(
            event(1, "stored", "2024-08-20"),
            event(2, action, "2024-08-21"),
        )
    )
    assert chain["status"] == "gaps"
    assert [(g["statement_id"], g["message"]) for g in chain["gaps"]] == [
        (f"{1:064x}", "no collection recorded before this stored"),
        (f"{2:064x}", f"{action} while no custodian is known"),
    ]
    assert holders(chain) == [(1, "stored", None), (2, action, None)]


def test_retracted_events_are_ignored() -> None:
    # A retracted transfer from a non-holder breaks nothing.
    chain = custody_chain(
        item(
            event(1, "collected", "2024-08-20", to="Police"),
            event(2, "transferred", "2024-08-21", frm="Militia", to="Lab", retracted=True),
            event(3, "examined", "2024-08-22"),
        )
    )
    assert chain["status"] == "intact"
    assert [e["position"] for e in chain["events"]] == [1, 3]
    assert chain["custodian"] == "Police"
    # A retracted collection leaves the chain without one: a gap.
    chain = custody_chain(
        item(
            event(1, "collected", "2024-08-20", to="Police", retracted=True),
            event(2, "examined", "2024-08-22"),
        )
    )
    assert chain["status"] == "gaps"
    assert [g["statement_id"] for g in chain["gaps"]] == [f"{2:064x}"]
    # Only retracted events: none recorded.
    chain = custody_chain(item(event(1, "collected", "2024-08-20", to="Police", retracted=True)))
    assert chain["status"] == "none recorded"
    assert chain["events"] == []


def test_events_are_ordered_by_at_not_by_position() -> None:
    # Recorded out of order: the collection was entered after the transfer.
    chain = custody_chain(
        item(
            event(7, "transferred", "2024-08-22", frm="Police", to="Lab"),
            event(9, "collected", "2024-08-20", to="Police"),
        )
    )
    assert chain["status"] == "intact"
    assert holders(chain) == [(9, "collected", "Police"), (7, "transferred", "Lab")]


def test_a_date_and_a_time_on_the_same_day_order_date_first() -> None:
    chain = custody_chain(
        item(
            event(1, "transferred", "2024-08-20T15:00:00Z", frm="Police", to="Lab"),
            event(2, "collected", "2024-08-20", to="Police"),
        )
    )
    assert [e["position"] for e in chain["events"]] == [2, 1]
    assert chain["status"] == "intact"


def test_equal_times_are_ordered_by_position() -> None:
    def chain_of(collect_at: int, transfer_at: int) -> dict[str, Any]:
        events = [
            event(collect_at, "collected", "2024-08-20", to="Police"),
            event(transfer_at, "transferred", "2024-08-20", frm="Police", to="Lab"),
        ]
        return custody_chain(item(*reversed(events)))

    first_collected = chain_of(3, 4)
    assert first_collected["status"] == "intact"
    assert [e["action"] for e in first_collected["events"]] == ["collected", "transferred"]
    first_transferred = chain_of(4, 3)
    assert [e["action"] for e in first_transferred["events"]] == ["transferred", "collected"]
    assert first_transferred["status"] == "broken"
    assert [g["message"] for g in first_transferred["gaps"]] == [
        "no collection recorded before this transferred"
    ]
    assert [b["message"] for b in first_transferred["breaks"]] == [
        "collected again while held by Lab"
    ]


def test_no_events_is_none_recorded() -> None:
    chain = custody_chain(item(custodian="Ukrainian authorities"))
    assert chain == {
        "item": ITEM,
        "status": "none recorded",
        "custodian": None,
        "registered_custodian": "Ukrainian authorities",
        "events": [],
        "gaps": [],
        "breaks": [],
    }
    assert custody_chain({"subject": ITEM})["status"] == "none recorded"


def test_the_input_state_is_not_changed() -> None:
    state = item(
        event(2, "transferred", "2024-08-22", frm="Police", to="Lab"),
        event(1, "collected", "2024-08-20", to="Police"),
    )
    before = repr(state)
    custody_chain(state)
    assert repr(state) == before


# -- through the store and `prov custody` ------------------------------------------------


def custody(world: World, action: str, at: str, **fields: str) -> Receipt:
    body = {"action": action, "at": at, "performed_by": "Field team", **fields}
    return world.put("alice", "evidence.custody", ITEM, body)


def test_prov_custody_shows_gaps_and_breaks(world: World, prov: Prov) -> None:
    world.evidence(ITEM, custodian="Police")
    first = custody(world, "examined", "2024-08-19", location="Site A")
    custody(world, "collected", "2024-08-20", to_party="Police")
    before_break = custody(world, "copied", "2024-08-21T10:00:00Z", method="photographs")
    brk = custody(world, "transferred", "2024-08-22", from_party="Militia", to_party="Lab")
    store = str(world.store_dir)

    text = prov.ok("custody", ITEM, "--store", store).stdout
    lines = text.splitlines()
    assert lines[0].startswith(f"custody of {ITEM}: broken  (now position {brk.position},")
    assert "  2024-08-19             examined at Site A, by Field team" in lines
    assert "  2024-08-22             transferred from Militia to Lab, by Field team" in lines
    assert f"held by Lab after; statement {brk.statement_id[:12]}" in text
    gaps = [line for line in lines if line.startswith("  GAP ")]
    breaks = [line for line in lines if line.startswith("  BREAK ")]
    assert gaps == ["  GAP   2024-08-19: no collection recorded before this examined"]
    assert breaks == [
        "  BREAK 2024-08-22: transferred from Militia, who did not hold the item (held by Police)"
    ]

    chain = prov.json("custody", ITEM, "--store", store)
    assert chain["as_of"] is None
    assert chain["status"] == "broken"
    assert chain["custodian"] == "Lab"
    assert chain["registered_custodian"] == "Police"
    assert [g["statement_id"] for g in chain["gaps"]] == [first.statement_id]
    assert [b["statement_id"] for b in chain["breaks"]] == [brk.statement_id]
    expected = custody_chain(world.store.subject_state(ITEM) or {})
    assert {k: v for k, v in chain.items() if k != "as_of"} == expected

    # As of the statement before the transfer, there was no break yet.
    then = prov.json("custody", ITEM, "--as-of", str(before_break.position), "--store", store)
    assert then["as_of"] == before_break.position
    assert then["status"] == "gaps"
    assert then["breaks"] == []
    assert then["custodian"] == "Police"
    text_then = prov.ok(
        "custody", ITEM, "--as-of", str(before_break.position), "--store", store
    ).stdout
    assert "BREAK" not in text_then
    assert "GAP   2024-08-19" in text_then


def test_prov_custody_ignores_a_retracted_transfer(world: World, prov: Prov) -> None:
    world.evidence(ITEM)
    custody(world, "collected", "2024-08-20", to_party="Police")
    wrong = custody(world, "transferred", "2024-08-22", from_party="Militia", to_party="Lab")
    world.put(
        "alice",
        "statement.retracted",
        ITEM,
        {"statement": wrong.statement_id, "reason": "Entered on the wrong item."},
    )
    chain = prov.json("custody", ITEM, "--store", str(world.store_dir))
    assert chain["status"] == "intact"
    assert chain["custodian"] == "Police"
    assert [e["action"] for e in chain["events"]] == ["collected"]
    assert "BREAK" not in prov.ok("custody", ITEM, "--store", str(world.store_dir)).stdout


def test_prov_custody_with_no_events(world: World, prov: Prov) -> None:
    world.evidence(ITEM, custodian="Police")
    text = prov.ok("custody", ITEM, "--store", str(world.store_dir)).stdout
    assert text.splitlines()[0].startswith(f"custody of {ITEM}: none recorded  (now position")
    assert "  no custody events; registered custodian: Police" in text


def test_prov_custody_of_something_else_is_refused(world: World, prov: Prov) -> None:
    world.evidence(ITEM)
    world.finding("finding-1", [ITEM])
    for ident in ("finding-1", "no-such-item"):
        result = prov("custody", ident, "--store", str(world.store_dir))
        assert result.exit_code == 2, result.output
        assert result.stderr.strip().splitlines() == [
            f"error: no evidence item {ident!r} in this store"
        ]
