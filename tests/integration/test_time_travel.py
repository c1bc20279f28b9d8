"""Time travel: positions and receipt times, as-of views, diffs, their cost, the demo.

Most tests use a store whose receipt clock is set by hand before each append,
so every receipt time (and so every position a time maps to) is known.
Every test that uses a store runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from conftest import ISSUED_AT, ORG, Demo, Prov, World, drop_schema, pg_schema_url, raw_db

from provenance.audit import audit
from provenance.authoring import init_store
from provenance.demo import CENTRAL_FINDING, MEETING_DAY
from provenance.errors import InputError, StoreError
from provenance.keys import KeyRing
from provenance.model.kinds import entry_lists
from provenance.projections.dispute import dispute
from provenance.projections.subjects import State, apply
from provenance.store import Store
from provenance.store.tables import Tx

BACKENDS = ("sqlite", "postgres")

# -- a store with a hand-set receipt clock -----------------------------------------------


class Clock:
    """A receipt clock that says whatever the test last set."""

    def __init__(self, now: str) -> None:
        self.now = now

    def __call__(self) -> str:
        return self.now


def stamp(when: str) -> str:
    """``2024-03-01T09:00:00`` (fraction optional) in the stored form, with 6 digits and Z."""
    base, _, fraction = when.partition(".")
    return f"{base}.{fraction.ljust(6, '0')}Z"


@dataclass
class ClockedWorld(World):
    """A World whose store takes its receipt times from ``clock``."""

    clock: Clock = field(default_factory=lambda: Clock(""))

    def at(self, when: str) -> ClockedWorld:
        """Set the receipt clock for the next append; return self for chaining."""
        self.clock.now = stamp(when)
        return self


def make_clocked(root: Path, first: str, location: Path | str | None = None) -> ClockedWorld:
    """A store (in ``location``, default root/store) whose genesis statement is received
    at ``first``; alice and bob have keys (in root/keys)."""
    clock = Clock(stamp(first))
    ring = KeyRing(root / "keys")
    keys = {name: ring.create(name) for name in ("root", "alice", "bob")}
    where = root / "store" if location is None else location
    store = init_store(
        where,
        keys["root"],
        org_id=ORG,
        org_name="The Organisation",
        issued_at=ISSUED_AT,
        clock=clock,
    )
    return ClockedWorld(where, ring, store, keys, authors={"root": ORG}, clock=clock)


def marking(text: str) -> dict[str, str]:
    return {"text": text, "meaning": "serial", "value": text}


# Receipt times of the ``timed`` store, by position.
TIMES = [
    "2024-03-01T09:00:00",  # 0 genesis (org)
    "2024-03-01T12:00:00",  # 1 alice registered
    "2024-03-02T08:00:00.25",  # 2 bob registered
    "2024-03-02T08:00:00.75",  # 3 item-1 registered (same second as 2)
    "2024-03-04T00:00:00",  # 4 item-2 registered (bob); nothing on 2024-03-03
    "2024-03-04T23:59:59.999999",  # 5 marking A-1 on item-1
    "2024-03-05T00:00:00",  # 6 finding-1 asserted on item-1 and item-2
    "2024-03-06T10:00:00",  # 7 marking B-1 on item-2 (bob)
    "2024-03-07T10:00:00",  # 8 finding-1 assessed (bob, contests)
    "2024-03-08T10:00:00",  # 9 marking A-2 on item-1
    "2024-03-09T10:00:00",  # 10 finding-1 reaffirmed
    "2024-03-10T10:00:00",  # 11 marking A-1 retracted
    "2024-03-11T10:00:00",  # 12 item-3 registered
    "2024-03-12T10:00:00",  # 13 finding-1 revised
    "2024-03-13T10:00:00",  # 14 bob retracts his assessment
]
LAST = len(TIMES) - 1


@dataclass
class Timed:
    """The ``timed`` store and the ids of its statements by position."""

    world: ClockedWorld
    ids: list[str]

    @property
    def store(self) -> Store:
        return self.world.store

    @property
    def store_dir(self) -> Path | str:
        return self.world.store_dir


def build_timed(root: Path, location: Path | str | None = None) -> Timed:
    w = make_clocked(root, TIMES[0], location)
    ids = [w.store.index_range(0, 1)[0].statement_id]

    def put(receipt_of: Callable[[], Any]) -> None:
        receipt = receipt_of()
        assert receipt.position == len(ids), (receipt.position, len(ids))
        ids.append(receipt.statement_id)

    def clocked(n: int) -> ClockedWorld:
        return w.at(TIMES[n])

    put(lambda: clocked(1).register("alice", w.keys["alice"]))
    put(lambda: clocked(2).register("bob", w.keys["bob"]))
    put(lambda: clocked(3).evidence("item-1"))
    put(lambda: clocked(4).evidence("item-2", signer="bob"))
    put(lambda: clocked(5).put("alice", "evidence.marking", "item-1", marking("A-1")))
    put(lambda: clocked(6).finding("finding-1", ["item-1", "item-2"]))
    put(lambda: clocked(7).put("bob", "evidence.marking", "item-2", marking("B-1")))
    put(lambda: clocked(8).assess("finding-1", stance="contests"))
    put(lambda: clocked(9).put("alice", "evidence.marking", "item-1", marking("A-2")))
    put(
        lambda: clocked(10).put(
            "alice", "finding.reaffirmed", "finding-1", {"statement": "It stands."}
        )
    )
    put(
        lambda: clocked(11).put(
            "alice",
            "statement.retracted",
            "item-1",
            {"statement": ids[5], "reason": "Misread the serial."},
        )
    )
    put(lambda: clocked(12).evidence("item-3"))
    put(
        lambda: clocked(13).put(
            "alice",
            "finding.revised",
            "finding-1",
            {
                "claim": "A narrower claim.",
                "evidence": ["item-1"],
                "confidence": "low",
                "reason": "Item 2 is not needed.",
            },
            refs=[ids[8]],
        )
    )
    put(
        lambda: clocked(14).put(
            "bob",
            "statement.retracted",
            "finding-1",
            {"statement": ids[8], "reason": "Assessed the wrong version."},
        )
    )
    return Timed(w, ids)


class PerBackend:
    """Module-wide stores built once per backend, on first use; closed (and their
    PostgreSQL schemas dropped) at the end of the module."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.tmp_path_factory = tmp_path_factory
        self.built: dict[tuple[str, str], Any] = {}
        self.schemas: list[str] = []
        self.to_close: list[Store] = []

    def location(self, backend: str, name: str) -> Path | str:
        """A place for a new store on ``backend``."""
        if backend == "sqlite":
            return self.tmp_path_factory.mktemp(name) / "store"
        self.schemas.append(f"t_{name}_{uuid.uuid4().hex[:12]}")
        return pg_schema_url(self.schemas[-1])

    def get(self, backend: str, name: str, build: Callable[[], Any]) -> Any:
        """What ``build`` made for (backend, name), building it the first time."""
        if (backend, name) not in self.built:
            self.built[backend, name] = build()
        return self.built[backend, name]

    def close(self) -> None:
        for store in self.to_close:
            store.close()
        for schema in self.schemas:
            drop_schema(schema)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PerBackend]:
    """The module's stores, one of each kind per backend."""
    stores = PerBackend(tmp_path_factory)
    yield stores
    stores.close()


@pytest.fixture
def timed(backend: str, shared: PerBackend) -> Timed:
    """The timed store on the test's backend, shared by the tests of this module that
    only read it."""

    def build() -> Timed:
        t = build_timed(shared.tmp_path_factory.mktemp("timed"), shared.location(backend, "timed"))
        shared.to_close.append(t.store)
        return t

    return shared.get(backend, "timed", build)  # type: ignore[no-any-return]


@pytest.fixture
def demo_store(backend: str, shared: PerBackend, demo: Demo) -> Path | str:
    """The demo store on the test's backend (a copy made once on PostgreSQL), only read."""
    if backend == "sqlite":
        return demo.store_dir
    return shared.get(  # type: ignore[no-any-return]
        backend, "demo", lambda: demo.copy_to(shared.location(backend, "demo"))
    )


@pytest.fixture
def own_timed(tmp_path: Path, new_store: Callable[[str], Path | str]) -> Iterator[Timed]:
    """A timed store of the test's own, to damage."""
    t = build_timed(tmp_path, new_store("store"))
    yield t
    t.store.close()


def test_the_timed_store_has_the_receipt_times_it_was_given(timed: Timed) -> None:
    rows = timed.store.index_range(0, 100)
    assert [r.received_at for r in rows] == [stamp(t) for t in TIMES]
    assert audit(timed.store).ok


# -- position_at and resolve_as_of -------------------------------------------------------


@pytest.mark.parametrize(
    "when",
    [
        "2024-02-29",
        "2024-03-01T08:59Z",
        "2024-03-01T08:59:59Z",
        "2024-03-01T08:59:59.999999Z",
        "1970-01-01",
    ],
)
def test_a_time_before_the_first_statement_is_an_error(timed: Timed, when: str) -> None:
    with pytest.raises(StoreError, match="recorded nothing"):
        timed.store.position_at(when)
    with pytest.raises(StoreError, match="recorded nothing"):
        timed.store.resolve_as_of(when)


@pytest.mark.parametrize(
    ("when", "position"),
    [
        # A date is the end of that day: the last statement received that day.
        ("2024-03-01", 1),
        ("2024-03-02", 3),
        ("2024-03-04", 5),  # 23:59:59.999999 is still that day
        ("2024-03-05", 6),
        # An exact time includes the whole of that second (or minute).
        ("2024-03-01T09:00:00Z", 0),
        ("2024-03-01T09:00Z", 0),
        ("2024-03-01T12:00:00Z", 1),
        ("2024-03-02T08:00:00Z", 3),  # both .25 and .75 are within that second
        ("2024-03-02T08:00Z", 3),
        ("2024-03-04T23:59:59Z", 5),
        # A fraction is exact.
        ("2024-03-01T09:00:00.000000Z", 0),
        ("2024-03-02T08:00:00.25Z", 2),
        ("2024-03-02T08:00:00.5Z", 2),
        ("2024-03-02T08:00:00.75Z", 3),
        ("2024-03-04T23:59:59.999998Z", 4),
        # A time between two statements maps to the earlier one.
        ("2024-03-01T11:59:59Z", 0),
        ("2024-03-01T23:00Z", 1),
        ("2024-03-02T07:59:59.999999Z", 1),
        ("2024-03-03", 3),  # a day with nothing on it
        ("2024-03-03T12:00:00Z", 3),
        ("2024-03-06T09:59:59Z", 6),
        # After the last statement: the last position.
        ("2024-03-13T10:00:00Z", LAST),
        ("2099-12-31", LAST),
    ],
)
def test_position_at(timed: Timed, when: str, position: int) -> None:
    assert timed.store.position_at(when) == position
    assert timed.store.resolve_as_of(when) == position


def test_position_at_agrees_with_a_linear_scan_at_every_receipt_time(timed: Timed) -> None:
    """The binary search against a scan, at each stored time and one microsecond either side."""
    from datetime import datetime, timedelta

    rows = timed.store.index_range(0, 100)
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    for row in rows:
        at = datetime.strptime(row.received_at, fmt)
        for delta in (-1, 0, 1):
            probe = (at + timedelta(microseconds=delta)).strftime(fmt)
            expected = [r.position for r in rows if r.received_at <= probe]
            if not expected:
                with pytest.raises(StoreError):
                    timed.store.position_at(probe)
            else:
                assert timed.store.position_at(probe) == max(expected), probe


@pytest.mark.parametrize("text", ["0", "7", " 7 ", str(LAST)])
def test_a_number_is_a_position(timed: Timed, text: str) -> None:
    assert timed.store.resolve_as_of(text) == int(text)


@pytest.mark.parametrize("text", [str(LAST + 1), "1000"])
def test_a_position_beyond_the_store_is_an_error(timed: Timed, text: str) -> None:
    with pytest.raises(StoreError, match="beyond the store"):
        timed.store.resolve_as_of(text)


@pytest.mark.parametrize(
    "text",
    [
        "2024-13-01",
        "2024-02-30",
        "2024-03-01T25:00:00Z",
        "2024-03-01T10:61Z",
        "yesterday",
        "2024-03-01 10:00",
        "2024-03-01T10:00:00",
        "2024-03-01T10:00:00+01:00",
        "2024-3-1",
        "-1",
        "1.5",
        "",
        "²",  # str.isdigit() is true for it, but it is no number
    ],
)
def test_a_malformed_time_is_an_error(timed: Timed, text: str) -> None:
    with pytest.raises(InputError):
        timed.store.resolve_as_of(text)
    with pytest.raises(InputError):
        timed.store.position_at(text)


def test_a_superscript_digit_as_of_exits_2_not_3(timed: Timed, prov: Prov) -> None:
    result = prov("show", "finding-1", "--as-of", "²", "--store", str(timed.store_dir))
    assert_one_error_line(result, "²")


def assert_one_error_line(result: Result, *needles: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:"), result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


BAD_AS_OF = [
    ("15", "beyond the store"),
    ("2024-13-01", "2024-13-01"),
    ("yesterday", "yesterday"),
    ("2024-02-01", "recorded nothing"),
]


@pytest.mark.parametrize(("value", "needle"), BAD_AS_OF)
@pytest.mark.parametrize(
    "command",
    [
        ["show", "finding-1"],
        ["history", "finding-1"],
        ["list"],
        ["custody", "item-1"],
        ["dispute", "finding-1"],
    ],
)
def test_a_bad_as_of_exits_2_with_one_error_line(
    timed: Timed, prov: Prov, command: list[str], value: str, needle: str
) -> None:
    for as_json in ([], ["--json"]):
        result = prov(*command, "--as-of", value, "--store", str(timed.store_dir), *as_json)
        assert_one_error_line(result, needle)


@pytest.mark.parametrize(("value", "needle"), BAD_AS_OF)
def test_a_bad_diff_bound_exits_2_with_one_error_line(
    timed: Timed, prov: Prov, value: str, needle: str
) -> None:
    store = str(timed.store_dir)
    assert_one_error_line(prov("diff", "finding-1", "--from", value, "--store", store), needle)
    result = prov("diff", "finding-1", "--from", "0", "--to", value, "--store", store)
    assert_one_error_line(result, needle)


# -- receipt times never decrease ---------------------------------------------------------


def test_receipt_times_never_go_back_even_if_the_clock_does(
    tmp_path: Path, new_store: Callable[[str], Path | str]
) -> None:
    w = make_clocked(tmp_path, "2024-05-01T09:00:00", new_store("store"))
    try:
        w.at("2024-05-01T10:00:00").register("alice", w.keys["alice"])
        back = w.at("2024-04-01T00:00:00").evidence("item-1")  # the clock went back a month
        w.at("2024-05-01T09:59:59").evidence("item-2")  # still behind
        w.at("2024-05-02T00:00:00").evidence("item-3")  # and forward again
        rows = w.store.index_range(0, 10)
        assert [r.received_at for r in rows] == [
            stamp("2024-05-01T09:00:00"),
            stamp("2024-05-01T10:00:00"),
            stamp("2024-05-01T10:00:00"),
            stamp("2024-05-01T10:00:00"),
            stamp("2024-05-02T00:00:00"),
        ]
        assert w.store.statement(back.statement_id).received_at == rows[1].received_at
        assert audit(w.store).ok
        # A time maps to the positions the clamped times give.
        assert w.store.position_at("2024-05-01T10:00:00Z") == 3
        assert w.store.position_at("2024-05-01T09:59:59Z") == 0
        with pytest.raises(StoreError):
            w.store.position_at("2024-04-30")
    finally:
        w.store.close()


def test_the_audit_reports_a_receipt_time_edited_to_go_back(own_timed: Timed, prov: Prov) -> None:
    timed = own_timed
    timed.store.close()
    with raw_db(timed.store_dir) as db:
        changed = db.execute(
            "UPDATE statement_index SET received_at = ? WHERE position = 7",
            (stamp("2024-03-04T12:00:00"),),  # earlier than position 6's 2024-03-05T00:00
        ).rowcount
    assert changed == 1
    timed.world.store = Store.open(timed.store_dir)
    report = audit(timed.world.store)
    assert not report.ok
    found = [p for p in report.problems if "receipt time" in p.message]
    assert [p.position for p in found] == [7], [p.describe() for p in report.problems]
    assert found[0].statement_id == timed.ids[7]
    assert "earlier than the previous" in found[0].message
    result = prov("verify", "--store", str(timed.store_dir))
    assert result.exit_code == 1, result.output
    assert any(
        line.startswith("FAIL position 7") and "receipt time" in line
        for line in result.stdout.splitlines()
    ), result.stdout


# -- subject_state as of a position is the fold of exactly the statements up to it ---------


def test_subject_state_as_of_every_position_is_the_fold_up_to_it(timed: Timed) -> None:
    store = timed.store
    subjects = sorted({r.subject_id for r in store.index_range(0, 100)})
    assert len(subjects) == 7  # org, alice, bob, item-1, item-2, item-3, finding-1
    full = {s: store.subject_records(s) for s in subjects}
    every = list(store.iter_records())
    replayed: dict[str, State] = {}  # a from-scratch replay of the whole store, in order
    for p in range(store.size()):
        rec = every[p]
        assert rec.position == p
        replayed[rec.subject] = apply(replayed.get(rec.subject), rec)
        for s in subjects:
            mine = [r for r in full[s] if r.position <= p]
            expected: State | None = None
            for r in mine:
                expected = apply(expected, r)
            assert [r.position for r in store.subject_records(s, as_of=p)] == [
                r.position for r in mine
            ]
            got = store.subject_state(s, as_of=p)
            assert got == expected, (s, p)
            assert got == replayed.get(s), (s, p)
            if not mine:
                assert got is None, (s, p)
            else:
                assert got is not None
                assert got["version"] == len(mine)
                assert got["updated"]["position"] == mine[-1].position <= p
    # At the last position, the as-of state is the current state and the view.
    for s in subjects:
        assert store.subject_state(s, as_of=LAST) == store.subject_state(s)
        assert store.views.subject(s) == store.subject_state(s)


def test_state_before_a_subject_existed_is_none(timed: Timed) -> None:
    assert timed.store.subject_state("item-3", as_of=11) is None
    assert timed.store.subject_state("item-3", as_of=12) is not None
    assert timed.store.subject_state("finding-1", as_of=5) is None
    assert timed.store.subject_records("finding-1", as_of=5) == []


# -- the CLI as of a point ------------------------------------------------------------------


def test_show_as_of_shows_the_state_then_and_names_the_position(timed: Timed, prov: Prov) -> None:
    store = str(timed.store_dir)
    then = prov.ok("show", "finding-1", "--as-of", "7", "--store", store).stdout
    assert "finding finding-1  (version 1)" in then
    assert "status: asserted (revision 1), confidence high" in then
    assert "assessment:" not in then  # recorded at 8
    assert "A narrower claim" not in then  # recorded at 13
    assert then.rstrip().splitlines()[-1] == f"(as of position 7, recorded {stamp(TIMES[7])})"
    # The same point named by a time.
    by_time = prov.ok("show", "finding-1", "--as-of", "2024-03-06", "--store", store).stdout
    assert by_time == then
    now = prov.ok("show", "finding-1", "--store", store).stdout
    assert "assessment: contests" in now
    assert "status: revised (revision 2)" in now
    assert now.rstrip().splitlines()[-1] == f"(now position {LAST}, recorded {stamp(TIMES[LAST])})"


def test_show_as_of_an_item_leaves_out_later_markings(timed: Timed, prov: Prov) -> None:
    store = str(timed.store_dir)
    at8 = prov.ok("show", "item-1", "--as-of", "8", "--store", store).stdout
    at9 = prov.ok("show", "item-1", "--as-of", "9", "--store", store).stdout
    assert "marking 'A-1'" in at8
    assert "'A-2'" not in at8
    assert "marking 'A-2'" in at9
    assert "(as of position 8," in at8


def test_show_as_of_json(timed: Timed, prov: Prov) -> None:
    store = str(timed.store_dir)
    then = prov.json("show", "finding-1", "--as-of", "7", "--store", store)
    assert then["as_of"] == 7
    assert then["status"] == "asserted"
    assert then["version"] == 1
    assert then["assessments"] == []
    assert {k: v for k, v in then.items() if k != "as_of"} == timed.store.subject_state(
        "finding-1", as_of=7
    )
    now = prov.json("show", "finding-1", "--store", store)
    assert "as_of" not in now
    assert now == timed.store.subject_state("finding-1")


def test_show_of_a_statement_recorded_after_as_of_is_refused(timed: Timed, prov: Prov) -> None:
    store = str(timed.store_dir)
    later = timed.ids[9]
    result = prov("show", later[:12], "--as-of", "8", "--store", store)
    assert_one_error_line(result, "recorded at position 9, after 8")
    shown = prov.json("show", later[:12], "--as-of", "9", "--store", store)
    assert shown["position"] == 9
    assert shown["statement_id"] == later


def test_show_of_a_subject_not_yet_created_is_refused(timed: Timed, prov: Prov) -> None:
    result = prov("show", "item-3", "--as-of", "11", "--store", str(timed.store_dir))
    assert_one_error_line(result, "item-3 did not exist yet at position 11")


def test_history_as_of(timed: Timed, prov: Prov) -> None:
    store = str(timed.store_dir)
    entries = prov.json("history", "item-1", "--as-of", "9", "--store", store)
    assert [(e["position"], e["version"]) for e in entries] == [(3, 1), (5, 2), (9, 3)]
    assert all("withdrawn" not in e for e in entries)  # the retraction came at 11
    text = prov.ok("history", "item-1", "--as-of", "9", "--store", store).stdout
    assert "#11" not in text
    assert "~~" not in text
    assert text.rstrip().splitlines()[-1] == f"(as of position 9, recorded {stamp(TIMES[9])})"
    now = prov.json("history", "item-1", "--store", store)
    assert [e["position"] for e in now] == [3, 5, 9, 11]
    before = prov("history", "item-3", "--as-of", "2024-03-10", "--store", store)
    assert_one_error_line(before, "no subject 'item-3'", "at position 11")


def test_list_as_of_shows_only_subjects_created_then_with_their_status_then(
    timed: Timed, prov: Prov
) -> None:
    store = str(timed.store_dir)
    listed = {s["subject"]: s for s in prov.json("list", "--as-of", "7", "--store", store)}
    assert set(listed) == {ORG, "alice", "bob", "item-1", "item-2", "finding-1"}
    assert listed["finding-1"]["title"].startswith("[asserted]")
    assert listed["finding-1"]["version"] == 1
    assert listed["item-1"]["version"] == 2
    at10 = {s["subject"]: s for s in prov.json("list", "--as-of", "10", "--store", store)}
    assert at10["finding-1"]["title"].startswith("[reaffirmed]")
    now = {s["subject"]: s for s in prov.json("list", "--store", store)}
    assert set(now) == set(listed) | {"item-3"}
    assert now["finding-1"]["title"].startswith("[revised]")
    text = prov.ok("list", "--kind", "finding", "--as-of", "7", "--store", store).stdout
    assert text.splitlines() == [
        f"{'finding':<10} {'finding-1':<28} v{1:<3} [asserted] Claim finding-1"
    ]
    items = prov.ok("list", "--kind", "evidence", "--as-of", "2024-03-05", "--store", store)
    assert [line.split()[1] for line in items.stdout.splitlines()] == ["item-1", "item-2"]


# -- diff --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "start", "end", "positions", "fields"),
    [
        ("finding-1", "7", "10", [8, 10], ["assessments", "reaffirmations", "status"]),
        ("finding-1", "8", "9", [], []),
        ("finding-1", "6", "6", [], []),
        (
            "finding-1",
            "10",
            "13",
            [13],
            ["claim", "confidence", "evidence", "revision", "status", "versions"],
        ),
        ("finding-1", "13", "14", [14], ["assessments", "withdrawals"]),
        ("item-1", "3", "9", [5, 9], ["markings"]),
        ("item-1", "5", "11", [9, 11], ["markings", "withdrawals"]),
        # Times: 2024-03-04 ends at 5, 2024-03-08 at 9.
        ("item-1", "2024-03-04", "2024-03-08", [9], ["markings"]),
        # Before the subject existed, everything about it changed.
        (
            "item-2",
            "3",
            "4",
            [4],
            # Every entry list its kinds declare, and the registration's members.
            sorted(
                [
                    *entry_lists("evidence"),
                    *("created", "identifiers", "item_kind", "subject", "title", "type"),
                ]
            ),
        ),
    ],
)
def test_diff_lists_exactly_the_statements_between_and_the_changed_fields(
    timed: Timed,
    prov: Prov,
    subject: str,
    start: str,
    end: str,
    positions: list[int],
    fields: list[str],
) -> None:
    store = str(timed.store_dir)
    out = prov.json("diff", subject, "--from", start, "--to", end, "--store", store)
    first, last = timed.store.resolve_as_of(start), timed.store.resolve_as_of(end)
    assert (out["from"], out["to"]) == (first, last)
    expected = [r.position for r in timed.store.subject_records(subject) if first < r.position]
    assert [e["position"] for e in out["statements"]] == [p for p in expected if p <= last]
    assert [e["position"] for e in out["statements"]] == positions
    assert [e["statement_id"] for e in out["statements"]] == [timed.ids[p] for p in positions]
    assert out["fields_changed"] == fields
    text = prov.ok("diff", subject, "--from", start, "--to", end, "--store", store).stdout
    lines = text.splitlines()
    assert lines[0] == (
        f"{subject}: {len(positions)} statement(s) after position {first}, up to {last}"
    )
    assert lines[-1] == f"fields changed: {', '.join(fields) if fields else 'none'}"
    for p in positions:
        assert f"#{p}  " in text


def test_diff_to_now_by_default(timed: Timed, prov: Prov) -> None:
    out = prov.json("diff", "item-1", "--from", "9", "--store", str(timed.store_dir))
    assert out["to"] == LAST
    assert [e["position"] for e in out["statements"]] == [11]


def test_diff_with_to_before_from_is_an_error(timed: Timed, prov: Prov) -> None:
    store = str(timed.store_dir)
    result = prov("diff", "finding-1", "--from", "10", "--to", "8", "--store", store)
    assert_one_error_line(result, "--to (position 8) is before --from (position 10)")
    result = prov(
        "diff", "finding-1", "--from", "2024-03-09", "--to", "2024-03-07", "--store", store
    )
    assert_one_error_line(result, "is before --from")


def test_diff_of_a_subject_that_did_not_exist_yet_is_an_error(timed: Timed, prov: Prov) -> None:
    result = prov("diff", "item-3", "--from", "2", "--to", "11", "--store", str(timed.store_dir))
    assert_one_error_line(result, "no subject 'item-3'")


# -- retraction in views -----------------------------------------------------------------


def test_history_strikes_through_a_retracted_marking(timed: Timed, prov: Prov) -> None:
    text = prov.ok("history", "item-1", "--store", str(timed.store_dir)).stdout
    lines = text.splitlines()
    struck = [n for n, line in enumerate(lines) if line.startswith("~~")]
    assert len(struck) == 1, text
    head = lines[struck[0]]
    assert head.endswith("~~")
    assert head.startswith("~~v2  #5  evidence.marking  marking 'A-1'")
    assert lines[struck[0] + 1] == (
        f"    RETRACTED by alice at #11 (statement {timed.ids[11][:12]}): Misread the serial."
    )
    entries = prov.json("history", "item-1", "--store", str(timed.store_dir))
    withdrawn = entries[1]["withdrawn"]
    assert (withdrawn["how"], withdrawn["author"], withdrawn["reason"]) == (
        "retracted",
        "alice",
        "Misread the serial.",
    )


def test_history_of_the_demo_strikes_the_misread_marking(
    demo_store: Path | str, prov: Prov
) -> None:
    text = prov.ok("history", "item-m2", "--store", str(demo_store)).stdout
    struck = [line for line in text.splitlines() if line.startswith("~~")]
    assert len(struck) == 1 and "marking '23'" in struck[0] and struck[0].endswith("~~")
    assert "RETRACTED by field-team" in text
    assert "Misread: the digits belong to a serial number" in text


def test_dispute_marks_a_withdrawn_statement(timed: Timed, prov: Prov) -> None:
    now = dispute(timed.store, "finding-1")
    by_position = {e["position"]: e for e in now["argument"]}
    assert sorted(by_position) == [6, 8, 10, 13, 14]
    withdrawn = by_position[8]["withdrawn"]
    assert (withdrawn["how"], withdrawn["author"], withdrawn["reason"], withdrawn["position"]) == (
        "retracted",
        "bob",
        "Assessed the wrong version.",
        14,
    )
    assert [p for p, e in by_position.items() if "withdrawn" in e] == [8]
    then = dispute(timed.store, "finding-1", as_of=13)
    assert all("withdrawn" not in e for e in then["argument"])
    text = prov.ok("dispute", "finding-1", "--store", str(timed.store_dir)).stdout
    struck = [line for line in text.splitlines() if "~~" in line]
    assert len(struck) == 1 and "#8" in struck[0] and "finding.assessed" in struck[0]
    retraction = timed.ids[14][:12]
    assert f"RETRACTED by bob at #14 (statement {retraction}): Assessed the wrong version." in text
    earlier = prov.ok("dispute", "finding-1", "--as-of", "13", "--store", str(timed.store_dir))
    assert "~~" not in earlier.stdout
    assert "RETRACTED" not in earlier.stdout


# -- cost: an as-of view reads only its subject's history ----------------------------------


@dataclass
class Reads:
    """Rows returned by each read path while counting."""

    events: int = 0
    read: int = 0
    index_rows: int = 0
    tx: int = 0

    def total(self) -> tuple[int, int, int, int]:
        return (self.events, self.read, self.index_rows, self.tx)


def spy_reads(store: Store, monkeypatch: pytest.MonkeyPatch) -> Reads:
    """Count the rows returned by eventsourcing's select_events, the store's _read and
    index_rows, and every query on the store's own tables (Tx.all and Tx.one)."""
    reads = Reads()
    select_events = store.recorder.select_events
    read = store._read
    index_rows = store.index_rows
    tx_all, tx_one = Tx.all, Tx.one

    def spy_select_events(*args: Any, **kwargs: Any) -> Any:
        rows = select_events(*args, **kwargs)
        reads.events += len(rows)
        return rows

    def spy_read(*args: Any, **kwargs: Any) -> Any:
        rows = read(*args, **kwargs)
        reads.read += len(rows)
        return rows

    def spy_index_rows(*args: Any, **kwargs: Any) -> Any:
        rows = index_rows(*args, **kwargs)
        reads.index_rows += len(rows)
        return rows

    def spy_all(self: Tx, *args: Any, **kwargs: Any) -> Any:
        rows = tx_all(self, *args, **kwargs)
        reads.tx += len(rows)
        return rows

    def spy_one(self: Tx, *args: Any, **kwargs: Any) -> Any:
        row = tx_one(self, *args, **kwargs)
        reads.tx += row is not None
        return row

    monkeypatch.setattr(store.recorder, "select_events", spy_select_events)
    monkeypatch.setattr(store, "_read", spy_read)
    monkeypatch.setattr(store, "index_rows", spy_index_rows)
    monkeypatch.setattr(Tx, "all", spy_all)
    monkeypatch.setattr(Tx, "one", spy_one)
    return reads


def _others(world: World, start: int, count: int) -> None:
    """Append ``count`` statements on other subjects: items of one registration and 9 markings."""
    for n in range(start, start + count):
        item = f"other-{n // 10}"
        if n % 10 == 0:
            world.evidence(item)
        else:
            world.put("alice", "evidence.marking", item, marking(f"O-{n}"))


def test_an_as_of_view_reads_only_its_subjects_history(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = world.store
    world.evidence("item-x")
    _others(world, 0, 150)
    middle = world.put("alice", "evidence.marking", "item-x", marking("X-1")).position
    _others(world, 150, 150)
    last = world.put("alice", "evidence.marking", "item-x", marking("X-2")).position
    assert store.size() > 300

    def rows_read(as_of: int) -> tuple[State | None, Reads]:
        with monkeypatch.context() as m:
            reads = spy_reads(store, m)
            state = store.subject_state("item-x", as_of=as_of)
        return state, reads

    state_mid, mid = rows_read(middle)
    state_last, at_last = rows_read(last)
    assert state_mid is not None and state_mid["version"] == 2
    assert state_last is not None and state_last["version"] == 3
    # Three events and their three index rows: nothing about any other subject. The
    # events are read with the store's transaction (so that a snapshot covers them).
    assert at_last.events == 0
    assert at_last.index_rows == 3
    assert at_last.read == 3
    assert at_last.tx == 6
    assert mid.total() == at_last.total()

    _others(world, 300, 300)  # 300 more statements about other subjects
    assert store.size() > 600
    state_mid_again, mid_again = rows_read(middle)
    state_last_again, last_again = rows_read(last)
    _, at_end = rows_read(store.size() - 1)
    assert (state_mid_again, state_last_again) == (state_mid, state_last)
    assert mid_again.total() == mid.total()
    assert last_again.total() == at_last.total()
    assert at_end.total() == at_last.total()

    # The counters do see a read that scans the store: a rebuild up to ``last`` reads
    # at least one index row per position.
    with monkeypatch.context() as m:
        reads = spy_reads(store, m)
        for rec in store.iter_records():
            if rec.position >= last:
                break
    assert reads.tx >= last


def test_position_at_reads_a_logarithmic_number_of_index_rows(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _others(world, 0, 200)
    size = world.store.size()
    with monkeypatch.context() as m:
        reads = spy_reads(world.store, m)
        world.store.position_at("2099-01-01")
    assert reads.read <= 2 + size.bit_length(), (reads.read, size)


# -- the demo -----------------------------------------------------------------------------


def test_the_demo_dispute_on_the_meeting_day(demo: Demo, demo_store: Path | str) -> None:
    ids = demo.statements
    with Store.open(demo_store) as store:
        meeting = store.position_at(MEETING_DAY)
        assert meeting == store.index_row(ids["reaffirm"]).position  # type: ignore[union-attr]
        then = dispute(store, CENTRAL_FINDING, as_of=meeting)
        now = dispute(store, CENTRAL_FINDING)
        before = dispute(store, CENTRAL_FINDING, as_of=store.position_at("2024-12-09"))
        size = store.size()
    then_ids = {e["statement_id"] for e in then["argument"]}
    now_ids = {e["statement_id"] for e in now["argument"]}
    dispute_ids = {
        ids[name] for name in ("challenge", "response-us", "response-dprk", "response-org")
    }
    assert dispute_ids | {ids["reaffirm"]} <= then_ids
    assert ids["assess-auditor"] not in then_ids
    assert all(e["position"] <= meeting for e in then["argument"])
    assert then["as_of"]["position"] == meeting
    assert then["as_of"]["received_at"].startswith(MEETING_DAY)
    [challenge] = then["challenges"]
    assert challenge["responses"] == 3
    assert challenge["recorded_by"] == "observer"
    assert challenge["attributed_to"].startswith("Russian Federation")
    # Now, the auditor's 2025 assessment is there too.
    assert ids["assess-auditor"] in now_ids
    assert then_ids < now_ids
    assert now["as_of"]["position"] == size - 1
    # The finding's status: asserted the day before, reaffirmed at the meeting and since.
    assert before["status"] == "asserted"
    assert not before["challenges"]
    assert ids["reaffirm"] not in {e["statement_id"] for e in before["argument"]}
    assert then["status"] == "reaffirmed"
    assert now["status"] == "reaffirmed"


def test_the_demo_dispute_through_the_cli(demo: Demo, demo_store: Path | str, prov: Prov) -> None:
    store = str(demo_store)
    out = prov.json("dispute", CENTRAL_FINDING, "--as-of", MEETING_DAY, "--store", store)
    with Store.open(demo_store) as s:
        expected = dispute(s, CENTRAL_FINDING, as_of=s.position_at(MEETING_DAY))
    assert out == json.loads(json.dumps(expected))
    text = prov.ok("dispute", CENTRAL_FINDING, "--as-of", MEETING_DAY, "--store", store).stdout
    assert text.splitlines()[0].startswith(
        f"finding {CENTRAL_FINDING}  as of position {expected['as_of']['position']}"
    )
    assert "raised by Russian Federation (ambassador to the UN), recorded by observer" in text
    assert "answered (3 response(s))" in text
    assert demo.statements["assess-auditor"][:12] not in text
    now = prov.ok("dispute", CENTRAL_FINDING, "--store", store).stdout
    assert demo.statements["assess-auditor"][:12] in now


def test_the_demo_finding_through_show_as_of(demo_store: Path | str, prov: Prov) -> None:
    store = str(demo_store)
    before = prov.json("show", CENTRAL_FINDING, "--as-of", "2024-12-09", "--store", store)
    then = prov.json("show", CENTRAL_FINDING, "--as-of", MEETING_DAY, "--store", store)
    now = prov.json("show", CENTRAL_FINDING, "--store", store)
    assert (before["status"], then["status"], now["status"]) == (
        "asserted",
        "reaffirmed",
        "reaffirmed",
    )
    assert (len(before["assessments"]), len(then["assessments"]), len(now["assessments"])) == (
        2,
        2,
        3,
    )
