"""The recording commands of `prov` (custody, components, grading, trace requests,
retraction, supersession, key rotation and revocation), driven with CliRunner.

Each command is run against the ``world`` store (org, alice, bob) with PROV_KEYS
set to the world's keys directory. Bad input exits 2 with one "error:" line on
stderr, nothing on stdout, no traceback, and nothing written.
"""

from __future__ import annotations

import inspect
from typing import Any

import click
import pytest
from click.testing import Result
from conftest import Prov, World, listing, raw_count

from provenance_cli.main import cli

ITEM = "item-1"


@pytest.fixture
def w(world: World) -> World:
    """The small store plus evidence items item-1 and item-2."""
    world.evidence(ITEM)
    world.evidence("item-2")
    return world


def run(prov: Prov, *args: str) -> Result:
    """`prov ARGS --store STORE`."""
    return prov(*args, "--store", str(prov.store_dir))


def ok(prov: Prov, *args: str) -> dict[str, Any]:
    """Run with --json, require success, return the receipt."""
    receipt: dict[str, Any] = prov.json(*args, "--store", str(prov.store_dir))
    return receipt


def state(world: World, subject: str) -> dict[str, Any]:
    found = world.store.subject_state(subject)
    assert found is not None, subject
    return found


def snapshot(world: World) -> tuple[int, int, list[str]]:
    """What a refused command must not change: raw row counts and the keys listing."""
    return (
        raw_count(world.store_dir, "stored_events"),
        raw_count(world.store_dir, "statement_index"),
        listing(world.keys_dir),
    )


def refused(world: World, prov: Prov, *args: str) -> str:
    """Run a command that must fail as bad input; return its single error line."""
    before = snapshot(world)
    result = run(prov, *args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert snapshot(world) == before, "a refused command wrote something"
    return lines[0]


# -- help ---------------------------------------------------------------------------------

NEW_COMMANDS = [
    ("evidence", "custody"),
    ("evidence", "component"),
    ("evidence", "grade"),
    ("trace", "request"),
    ("trace", "update"),
    ("retract",),
    ("supersede",),
    ("actor", "rotate-key"),
    ("actor", "revoke-key"),
]


@pytest.mark.parametrize("path", NEW_COMMANDS, ids=[" ".join(p) for p in NEW_COMMANDS])
def test_every_new_command_is_reachable_and_ends_with_an_example(path: tuple[str, ...]) -> None:
    """Each command is found under `prov`, and its help ends with a \\b Example: block."""
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        found = command.commands.get(name)
        assert found is not None, path
        command = found
    help_text = inspect.cleandoc(command.help or "")
    head, sep, example = help_text.rpartition("\b\nExample:\n")
    assert sep and head.strip(), help_text
    assert all(
        line.startswith("  prov ") or line.startswith("      ")
        for line in example.strip("\n").splitlines()
    ), example


# -- evidence custody -------------------------------------------------------------------------


def test_custody_records_every_option(w: World, prov: Prov) -> None:
    """Every option lands in its body field; --change parts become change objects."""
    receipt = ok(
        prov,
        "evidence",
        "custody",
        ITEM,
        "--action",
        "transferred",
        "--at",
        "2024-08-02T09:30Z",
        "--by",
        "Field team",
        "--from",
        "Field team",
        "--to",
        "Laboratory",
        "--location",
        "Site A",
        "--purpose",
        "analysis",
        "--method",
        "sealed bag 0042",
        "--condition",
        "intact",
        "--change",
        "Swab taken | Lab | Residue analysis",
        "--change",
        "Label added|Field team|Identification",
        "--key",
        "bob",
    )
    assert (receipt["kind"], receipt["subject"], receipt["version"]) == (
        "evidence.custody",
        ITEM,
        2,
    )
    assert receipt["duplicate"] is False
    link = state(w, ITEM)["custody"][0]
    assert link["statement_id"] == receipt["statement_id"]
    assert {k: v for k, v in link.items() if k in _CUSTODY_FIELDS} == {
        "action": "transferred",
        "at": "2024-08-02T09:30Z",
        "performed_by": "Field team",
        "from_party": "Field team",
        "to_party": "Laboratory",
        "location": "Site A",
        "purpose": "analysis",
        "method": "sealed bag 0042",
        "condition": "intact",
        "changes": [
            {"description": "Swab taken", "made_by": "Lab", "reason": "Residue analysis"},
            {"description": "Label added", "made_by": "Field team", "reason": "Identification"},
        ],
    }
    assert link["author"] == "bob"


_CUSTODY_FIELDS = {
    "action",
    "at",
    "performed_by",
    "from_party",
    "to_party",
    "location",
    "purpose",
    "method",
    "condition",
    "changes",
}


def test_custody_without_options_writes_only_what_was_said(w: World, prov: Prov) -> None:
    """Options not given are absent from the body (no nulls, no empty changes list)."""
    receipt = ok(
        prov,
        "evidence",
        "custody",
        ITEM,
        "--action",
        "examined",
        "--at",
        "2024-08-03",
        "--by",
        "Lab",
        "--key",
        "alice",
    )
    body = w.store.statement(receipt["statement_id"]).statement.body.model_dump(exclude_none=True)
    assert body == {"action": "examined", "at": "2024-08-03", "performed_by": "Lab"}


def test_custody_text_receipt(w: World, prov: Prov) -> None:
    """Without --json the receipt is two lines naming kind, subject, version and position."""
    result = run(
        prov,
        "evidence",
        "custody",
        ITEM,
        "--action",
        "collected",
        "--at",
        "2024-08-01",
        "--by",
        "Field team",
        "--to",
        "Field team",
        "--key",
        "alice",
    )
    assert result.exit_code == 0, result.output
    first, second = result.stdout.strip().splitlines()
    assert first == f"recorded evidence.custody on {ITEM} (version 2, position 5)"
    assert second.startswith("statement ") and len(second.split()[1]) == 64


@pytest.mark.parametrize(
    "change",
    ["only|two", "a||c", "a|b|c|d", "no separators", "|b|c"],
)
def test_bad_change_format_is_one_line(w: World, prov: Prov, change: str) -> None:
    """--change must be DESCRIPTION|MADE_BY|REASON with three non-empty parts."""
    line = refused(
        w,
        prov,
        "evidence",
        "custody",
        ITEM,
        "--action",
        "examined",
        "--at",
        "2024-08-03",
        "--by",
        "Lab",
        "--change",
        change,
        "--key",
        "alice",
    )
    assert "DESCRIPTION|MADE_BY|REASON" in line and repr(change) in line


def test_custody_rule_refusal_is_one_line(w: World, prov: Prov) -> None:
    """stored without --location: the store's rule message, exit 2, nothing written."""
    line = refused(
        w,
        prov,
        "evidence",
        "custody",
        ITEM,
        "--action",
        "stored",
        "--at",
        "2024-08-03",
        "--by",
        "Lab",
        "--key",
        "alice",
    )
    assert "custody action stored needs a location" in line


def test_bad_custody_action_is_one_line(w: World, prov: Prov) -> None:
    """An action outside the enumeration is a usage error naming the choices."""
    line = refused(
        w,
        prov,
        "evidence",
        "custody",
        ITEM,
        "--action",
        "stolen",
        "--at",
        "2024-08-03",
        "--by",
        "Lab",
        "--key",
        "alice",
    )
    assert "collected" in line and "stolen" in line


def test_bad_custody_time_is_one_line(w: World, prov: Prov) -> None:
    """--at must be a UTC date or time."""
    line = refused(
        w,
        prov,
        "evidence",
        "custody",
        ITEM,
        "--action",
        "examined",
        "--at",
        "yesterday",
        "--by",
        "Lab",
        "--key",
        "alice",
    )
    assert "body.at" in line


# -- components and grading -------------------------------------------------------------------


def test_component_records_every_option(w: World, prov: Prov) -> None:
    """Every option lands in its body field (dashes become underscores)."""
    receipt = ok(
        prov,
        "evidence",
        "component",
        ITEM,
        "--part",
        "voltage regulator",
        "--manufacturer",
        "Example Corp",
        "--country",
        "Country X",
        "--part-number",
        "LM7805",
        "--lot",
        "L7",
        "--date-code",
        "2334",
        "--date-code-meaning",
        "week 34 of 2023",
        "--notes",
        "Under the cover.",
        "--key",
        "alice",
    )
    assert receipt["kind"] == "evidence.component"
    component = state(w, ITEM)["components"][0]
    assert component["statement_id"] == receipt["statement_id"]
    assert {k: component[k] for k in _COMPONENT_FIELDS} == {
        "part": "voltage regulator",
        "manufacturer": "Example Corp",
        "country": "Country X",
        "part_number": "LM7805",
        "lot": "L7",
        "date_code": "2334",
        "date_code_meaning": "week 34 of 2023",
        "notes": "Under the cover.",
    }


_COMPONENT_FIELDS = (
    "part",
    "manufacturer",
    "country",
    "part_number",
    "lot",
    "date_code",
    "date_code_meaning",
    "notes",
)


def test_component_needs_a_part(w: World, prov: Prov) -> None:
    """--part is required."""
    line = refused(w, prov, "evidence", "component", ITEM, "--key", "alice")
    assert "--part" in line


def test_grade_records_an_integer_credibility(w: World, prov: Prov) -> None:
    """--credibility 2 is the integer 2 in the signed body; the item's grade is B2."""
    receipt = ok(
        prov,
        "evidence",
        "grade",
        ITEM,
        "--reliability",
        "B",
        "--credibility",
        "2",
        "--rationale",
        "Own team.",
        "--key",
        "alice",
    )
    rec = w.store.statement(receipt["statement_id"])
    assert b'"credibility":2' in rec.envelope.payload
    assert state(w, ITEM)["grade"] == "B2"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--reliability", "G"),
        ("--reliability", "b"),
        ("--credibility", "7"),
        ("--credibility", "0"),
        ("--credibility", "two"),
    ],
)
def test_bad_grade_is_one_line(w: World, prov: Prov, option: str, value: str) -> None:
    """Values outside A-F and 1-6 are usage errors that name the value given."""
    args = {"--reliability": "B", "--credibility": "2", option: value}
    line = refused(
        w,
        prov,
        "evidence",
        "grade",
        ITEM,
        *[x for kv in args.items() for x in kv],
        "--rationale",
        "r",
        "--key",
        "alice",
    )
    assert option in line and repr(value) in line


# -- trace requests ---------------------------------------------------------------------------


def _request(prov: Prov, target: str, *extra: str) -> dict[str, Any]:
    return ok(
        prov,
        "trace",
        "request",
        "--target",
        target,
        "--to",
        "Example Corp",
        "--addressee-type",
        "manufacturer",
        "--question",
        "To whom was lot 2334 sold?",
        "--sent-at",
        "2024-09-01",
        "--key",
        "alice",
        *extra,
    )


def test_trace_request_about_an_item_gets_a_generated_id(w: World, prov: Prov) -> None:
    """Without --id the trace is trace-<12 hex>; the body holds target, addressee, question."""
    receipt = _request(prov, f"item:{ITEM}")
    subject = receipt["subject"]
    assert subject.startswith("trace-") and len(subject) == len("trace-") + 12
    assert int(subject.removeprefix("trace-"), 16) >= 0
    assert (receipt["kind"], receipt["version"]) == ("trace.requested", 1)
    trace = state(w, subject)
    assert trace["target"] == {"type": "item", "id": ITEM}
    assert (trace["addressee"], trace["addressee_type"]) == ("Example Corp", "manufacturer")
    assert (trace["sent_at"], trace["status"]) == ("2024-09-01", "sent")


def test_trace_request_about_a_component_by_prefix(w: World, prov: Prov) -> None:
    """component:PREFIX is expanded to the component statement's full id."""
    component = ok(prov, "evidence", "component", ITEM, "--part", "gyro", "--key", "alice")
    receipt = _request(prov, f"component:{component['statement_id'][:10]}", "--id", "trace-gyro")
    assert receipt["subject"] == "trace-gyro"
    assert state(w, "trace-gyro")["target"] == {
        "type": "component",
        "id": component["statement_id"],
    }


@pytest.mark.parametrize("target", ["item-1", "item:", "finding:finding-1", "component", ":item-1"])
def test_bad_target_form_is_one_line(w: World, prov: Prov, target: str) -> None:
    """--target must be item:ID or component:STATEMENT."""
    line = refused(
        w,
        prov,
        "trace",
        "request",
        "--target",
        target,
        "--to",
        "X",
        "--addressee-type",
        "state",
        "--question",
        "Q",
        "--sent-at",
        "2024-09-01",
        "--key",
        "alice",
    )
    assert "must look like item:ID or component:STATEMENT" in line


def test_component_target_that_is_not_a_component_is_one_line(w: World, prov: Prov) -> None:
    """A component: prefix naming another kind of statement is refused by the store."""
    marking = ok(prov, "evidence", "mark", ITEM, "--text", "2024", "--key", "alice")
    line = refused(
        w,
        prov,
        "trace",
        "request",
        "--target",
        f"component:{marking['statement_id'][:12]}",
        "--to",
        "X",
        "--addressee-type",
        "state",
        "--question",
        "Q",
        "--sent-at",
        "2024-09-01",
        "--key",
        "alice",
    )
    assert "is not a component statement" in line


def test_component_target_with_unknown_prefix_is_one_line(w: World, prov: Prov) -> None:
    """An unknown statement prefix is reported before anything is signed."""
    line = refused(
        w,
        prov,
        "trace",
        "request",
        "--target",
        "component:0123456789abcdef",
        "--to",
        "X",
        "--addressee-type",
        "state",
        "--question",
        "Q",
        "--sent-at",
        "2024-09-01",
        "--key",
        "alice",
    )
    assert "no statement with id 0123456789abcdef" in line


def test_bad_addressee_type_is_one_line(w: World, prov: Prov) -> None:
    """--addressee-type outside manufacturer, state, other is a usage error."""
    line = refused(
        w,
        prov,
        "trace",
        "request",
        "--target",
        f"item:{ITEM}",
        "--to",
        "X",
        "--addressee-type",
        "company",
        "--question",
        "Q",
        "--sent-at",
        "2024-09-01",
        "--key",
        "alice",
    )
    assert "--addressee-type" in line and "'company'" in line


def test_trace_update_through_to_answered(w: World, prov: Prov) -> None:
    """acknowledged, then answered with --answer: the trace's state follows."""
    _request(prov, f"item:{ITEM}", "--id", "trace-1")
    first = ok(
        prov,
        "trace",
        "update",
        "trace-1",
        "--status",
        "acknowledged",
        "--at",
        "2024-09-10",
        "--key",
        "alice",
    )
    assert (first["kind"], first["subject"], first["version"]) == ("trace.updated", "trace-1", 2)
    ok(
        prov,
        "trace",
        "update",
        "trace-1",
        "--status",
        "answered",
        "--at",
        "2024-10-01",
        "--answer",
        "Sold to distributor Y.",
        "--key",
        "bob",
    )
    trace = state(w, "trace-1")
    assert (trace["status"], trace["answer"]) == ("answered", "Sold to distributor Y.")
    assert [u["at"] for u in trace["updates"]] == ["2024-09-10", "2024-10-01"]


def test_trace_update_refusals_are_one_line(w: World, prov: Prov) -> None:
    """answered without --answer, and a bad --status, exit 2 and write nothing."""
    _request(prov, f"item:{ITEM}", "--id", "trace-1")
    line = refused(
        w,
        prov,
        "trace",
        "update",
        "trace-1",
        "--status",
        "answered",
        "--at",
        "2024-10-01",
        "--key",
        "alice",
    )
    assert "an answer is given exactly when the status is answered" in line
    line = refused(
        w,
        prov,
        "trace",
        "update",
        "trace-1",
        "--status",
        "sent",
        "--at",
        "2024-10-01",
        "--key",
        "alice",
    )
    assert "--status" in line and "'sent'" in line


# -- retraction and supersession --------------------------------------------------------------


def _mark(prov: Prov, text: str, key: str = "alice") -> dict[str, Any]:
    return ok(prov, "evidence", "mark", ITEM, "--text", text, "--key", key)


def test_retract_by_prefix_on_the_statements_subject(w: World, prov: Prov) -> None:
    """retract PREFIX appends the retraction to the withdrawn statement's subject."""
    marking = _mark(prov, "2O24")
    receipt = ok(
        prov, "retract", marking["statement_id"][:9], "--reason", "Misread.", "--key", "alice"
    )
    assert (receipt["kind"], receipt["subject"]) == ("statement.retracted", ITEM)
    body = w.store.statement(receipt["statement_id"]).statement.body.model_dump()
    assert body == {"statement": marking["statement_id"], "reason": "Misread."}
    mark = state(w, ITEM)["markings"][0]
    assert (mark["withdrawn"]["reason"], mark["withdrawn"]["author"]) == ("Misread.", "alice")


def test_retract_refused_for_another_non_admin(w: World, prov: Prov) -> None:
    """bob cannot retract alice's marking: the store's message, exit 2."""
    marking = _mark(prov, "2024")
    line = refused(w, prov, "retract", marking["statement_id"], "--reason", "r", "--key", "bob")
    assert "only its author alice or an administrator" in line


@pytest.mark.parametrize(
    ("ident", "needle"),
    [
        ("0123456789abcdef", "no statement with id 0123456789abcdef"),
        ("xyz", "is not a statement id"),
        ("abc", "is not a statement id"),
    ],
)
def test_retract_unknown_statement_is_one_line(
    w: World, prov: Prov, ident: str, needle: str
) -> None:
    """An unknown or malformed statement id is refused before anything is signed."""
    assert needle in refused(w, prov, "retract", ident, "--reason", "r", "--key", "alice")


def test_retract_needs_a_reason(w: World, prov: Prov) -> None:
    """--reason is required."""
    marking = _mark(prov, "2024")
    assert "--reason" in refused(w, prov, "retract", marking["statement_id"], "--key", "alice")


def test_supersede_by_a_later_statement(w: World, prov: Prov) -> None:
    """supersede OLD --by NEW (prefixes) marks the old entry superseded by the new one."""
    old, new = _mark(prov, "2O24"), _mark(prov, "2024")
    receipt = ok(
        prov,
        "supersede",
        old["statement_id"][:10],
        "--by",
        new["statement_id"][:10],
        "--reason",
        "Re-read.",
        "--key",
        "alice",
    )
    assert (receipt["kind"], receipt["subject"]) == ("statement.superseded", ITEM)
    marks = state(w, ITEM)["markings"]
    assert marks[0]["withdrawn"]["superseded_by"] == new["statement_id"]
    assert marks[0]["withdrawn"]["reason"] == "Re-read."
    assert "withdrawn" not in marks[1]


def test_supersede_refusals_are_one_line(w: World, prov: Prov) -> None:
    """An unknown --by, and an earlier --by, exit 2 and write nothing."""
    old, new = _mark(prov, "a"), _mark(prov, "b")
    line = refused(
        w,
        prov,
        "supersede",
        old["statement_id"],
        "--by",
        "fedcba9876543210",
        "--reason",
        "r",
        "--key",
        "alice",
    )
    assert "no statement with id fedcba9876543210" in line
    line = refused(
        w,
        prov,
        "supersede",
        new["statement_id"],
        "--by",
        old["statement_id"],
        "--reason",
        "r",
        "--key",
        "alice",
    )
    assert "a statement is superseded by a later statement of the same kind" in line


# -- keys ---------------------------------------------------------------------------------------


def test_rotate_key_with_key_of(w: World, prov: Prov) -> None:
    """alice rotates to a new key file: the old key is then refused, the new one signs."""
    new = prov.json("key", "new", "alice-2025")
    receipt = ok(
        prov,
        "actor",
        "rotate-key",
        "alice",
        "--key-of",
        "alice-2025",
        "--reason",
        "Yearly",
        "--key",
        "alice",
    )
    assert (receipt["kind"], receipt["subject"]) == ("actor.key_rotated", "alice")
    body = w.store.statement(receipt["statement_id"]).statement.body.model_dump()
    assert body == {"public_key": new["public_key"], "reason": "Yearly"}
    line = refused(w, prov, "evidence", "mark", ITEM, "--text", "x", "--key", "alice")
    assert f"retired at position {receipt['position']}" in line
    marked = _mark(prov, "x", key="alice-2025")
    assert w.store.statement(marked["statement_id"]).statement.author == "alice"
    assert state(w, "alice")["key_id"] == new["key_id"]


def test_rotate_key_with_public_key_by_an_admin(w: World, prov: Prov) -> None:
    """The organisation gives alice a key by its public part."""
    new = w.new_key("alice-new")
    receipt = ok(
        prov, "actor", "rotate-key", "alice", "--public-key", new.public_b64, "--key", "root"
    )
    assert w.store.statement(receipt["statement_id"]).statement.author == "org"
    assert state(w, "alice")["key_id"] == new.key_id


@pytest.mark.parametrize("given", ["neither", "both"])
def test_rotate_key_needs_exactly_one_key_source(w: World, prov: Prov, given: str) -> None:
    """--key-of and --public-key: exactly one."""
    new = w.new_key("alice-new")
    extra = ["--key-of", "alice-new", "--public-key", new.public_b64] if given == "both" else []
    line = refused(w, prov, "actor", "rotate-key", "alice", *extra, "--key", "alice")
    assert "exactly one of --key-of or --public-key" in line


def test_rotate_key_refusals_are_one_line(w: World, prov: Prov) -> None:
    """bob may not rotate alice's key; nor may anyone take bob's public key."""
    w.new_key("alice-new")
    line = refused(w, prov, "actor", "rotate-key", "alice", "--key-of", "alice-new", "--key", "bob")
    assert "only alice itself or an administrator may rotate its key" in line
    line = refused(w, prov, "actor", "rotate-key", "alice", "--key-of", "bob", "--key", "alice")
    assert "that public key is already registered to bob" in line
    line = refused(
        w, prov, "actor", "rotate-key", "alice", "--public-key", "not base64", "--key", "alice"
    )
    assert "body.public_key" in line


def test_revoke_key_by_prefix(w: World, prov: Prov) -> None:
    """revoke-key with a key id prefix revokes that key; alice's key then signs nothing."""
    key_id = w.keys["alice"].key_id
    receipt = ok(
        prov,
        "actor",
        "revoke-key",
        "alice",
        "--key-id",
        key_id[:12],
        "--reason",
        "Stolen",
        "--key",
        "root",
    )
    assert (receipt["kind"], receipt["subject"]) == ("actor.key_revoked", "alice")
    body = w.store.statement(receipt["statement_id"]).statement.body.model_dump()
    assert body == {"key_id": key_id, "reason": "Stolen"}
    line = refused(w, prov, "evidence", "mark", ITEM, "--text", "x", "--key", "alice")
    assert f"revoked at position {receipt['position']}" in line
    verified = run(prov, "verify")
    assert verified.exit_code == 0, verified.output


def test_revoke_key_with_a_full_id_by_the_actor_itself(w: World, prov: Prov) -> None:
    """The full key id is taken as given; alice may revoke her own key with it."""
    receipt = ok(
        prov,
        "actor",
        "revoke-key",
        "alice",
        "--key-id",
        w.keys["alice"].key_id,
        "--reason",
        "Lost",
        "--key",
        "alice",
    )
    assert w.store.statement(receipt["statement_id"]).statement.author == "alice"


@pytest.mark.parametrize(
    ("key_id", "needle"),
    [
        ("zz", "is not a key id"),
        ("0123", "is not a key id"),
        ("not-hex-at-all", "is not a key id"),
        ("00000000", "alice has no key with id 00000000"),
    ],
)
def test_revoke_key_bad_key_id_is_one_line(w: World, prov: Prov, key_id: str, needle: str) -> None:
    """A malformed or unknown key id is refused before anything is signed."""
    line = refused(
        w,
        prov,
        "actor",
        "revoke-key",
        "alice",
        "--key-id",
        key_id,
        "--reason",
        "r",
        "--key",
        "root",
    )
    assert needle in line


def test_revoke_another_actors_key_is_one_line(w: World, prov: Prov) -> None:
    """bob's key id given for alice: the prefix finds no key of alice, the full id is
    refused by the store."""
    bob = w.keys["bob"].key_id
    assert "alice has no key" in refused(
        w,
        prov,
        "actor",
        "revoke-key",
        "alice",
        "--key-id",
        bob[:16],
        "--reason",
        "r",
        "--key",
        "root",
    )
    assert "is not a key of alice" in refused(
        w,
        prov,
        "actor",
        "revoke-key",
        "alice",
        "--key-id",
        bob,
        "--reason",
        "r",
        "--key",
        "root",
    )


# -- the record reads back --------------------------------------------------------------------


def test_show_history_and_verify_after_every_command(w: World, prov: Prov) -> None:
    """After one of each new statement, show and history of the subjects work and the
    store verifies."""
    component = ok(prov, "evidence", "component", ITEM, "--part", "gyro", "--key", "alice")
    ok(
        prov,
        "evidence",
        "custody",
        ITEM,
        "--action",
        "collected",
        "--at",
        "2024-08-01",
        "--by",
        "Field team",
        "--to",
        "Field team",
        "--change",
        "a|b|c",
        "--key",
        "alice",
    )
    ok(
        prov,
        "evidence",
        "grade",
        ITEM,
        "--reliability",
        "C",
        "--credibility",
        "3",
        "--rationale",
        "r",
        "--key",
        "bob",
    )
    _request(prov, f"component:{component['statement_id'][:8]}", "--id", "trace-1")
    ok(
        prov,
        "trace",
        "update",
        "trace-1",
        "--status",
        "declined",
        "--at",
        "2024-10-01",
        "--key",
        "alice",
    )
    old, new = _mark(prov, "a"), _mark(prov, "b")
    ok(
        prov,
        "supersede",
        old["statement_id"],
        "--by",
        new["statement_id"],
        "--reason",
        "r",
        "--key",
        "alice",
    )
    ok(prov, "retract", new["statement_id"], "--reason", "r", "--key", "root")
    prov.json("key", "new", "bob-2")
    ok(prov, "actor", "rotate-key", "bob", "--key-of", "bob-2", "--key", "bob")
    ok(
        prov,
        "actor",
        "revoke-key",
        "bob",
        "--key-id",
        w.keys["bob"].key_id,
        "--reason",
        "r",
        "--key",
        "bob-2",
    )
    expected = {
        ITEM: [
            "evidence.custody",
            "evidence.graded",
            "statement.superseded",
            "statement.retracted",
        ],
        "trace-1": ["trace.requested", "trace.updated"],
        "bob": ["actor.key_rotated", "actor.key_revoked"],
    }
    for subject, kinds in expected.items():
        shown = run(prov, "show", subject)
        assert shown.exit_code == 0, (subject, shown.output, shown.exception)
        assert subject in shown.stdout
        history = run(prov, "history", subject)
        assert history.exit_code == 0, (subject, history.output, history.exception)
        assert all(kind in history.stdout for kind in kinds), (kinds, history.stdout)
    shown = prov.json("show", ITEM, "--store", str(prov.store_dir))
    assert shown["grade"] == "C3"
    verified = run(prov, "verify")
    assert verified.exit_code == 0, verified.output
