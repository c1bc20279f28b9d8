"""The `prov` command line, driven in-process with click's CliRunner."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import click
import pytest
from conftest import Prov, World, listing, raw_count

from provenance.authoring import sign_statement
from provenance.keys import is_encrypted
from provenance.store import DB_NAME, Store
from provenance_cli.main import cli


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error:"), stderr
    return lines[0]


# -- init and keys --------------------------------------------------------------


def test_init_creates_the_store_and_a_private_root_key(prov: Prov) -> None:
    """init writes the root key (mode 0600) into --keys and a store that verifies."""
    result = prov.ok(
        "init",
        "--org-id",
        "tracer",
        "--org-name",
        "Tracer",
        "--store",
        str(prov.store_dir),
        "--keys",
        str(prov.keys_dir),
    )
    key = prov.keys_dir / "root.pem"
    assert _mode(key) == 0o600
    assert not is_encrypted(key)
    assert (prov.store_dir / DB_NAME).is_file()
    assert "organisation tracer registered" in result.output
    with Store.open(prov.store_dir) as store:
        assert store.size() == 1
        assert store.root_key_id in result.output
        state = store.subject_state("tracer")
        assert state is not None and state["role"] == "organisation"
    assert "OK" in prov.ok("verify", "--store", str(prov.store_dir)).output


def test_init_refuses_an_existing_store(prov: Prov) -> None:
    """A second init on the same store exits 2 and writes neither a key nor a row."""
    prov.ok("init", "--org-id", "org", "--org-name", "Org", "--store", str(prov.store_dir))
    keys, rows = listing(prov.keys_dir), raw_count(prov.store_dir)
    result = prov(
        "init",
        "--org-id",
        "org2",
        "--org-name",
        "Other",
        "--key-name",
        "root2",
        "--store",
        str(prov.store_dir),
    )
    assert result.exit_code == 2
    assert "already exists" in _one_error_line(result.stderr)
    assert listing(prov.keys_dir) == keys
    assert raw_count(prov.store_dir) == rows


def test_init_refuses_a_bad_org_id_and_leaves_nothing(prov: Prov) -> None:
    """An org id that is not a subject id is refused before any key or store is made."""
    result = prov("init", "--org-id", "bad id", "--org-name", "Org", "--store", str(prov.store_dir))
    assert result.exit_code == 2
    _one_error_line(result.stderr)
    assert listing(prov.keys_dir) == []
    assert not (prov.store_dir / DB_NAME).exists()


def test_init_with_encrypt_uses_the_passphrase(prov: Prov) -> None:
    """--encrypt with PROV_PASSPHRASE writes an encrypted root key, usable with it."""
    env = {"PROV_PASSPHRASE": "s3cret"}
    prov.ok(
        "init",
        "--org-id",
        "org",
        "--org-name",
        "Org",
        "--encrypt",
        "--store",
        str(prov.store_dir),
        env=env,
    )
    assert is_encrypted(prov.keys_dir / "root.pem")
    prov.ok("key", "new", "alice")
    prov.ok(
        "actor",
        "add",
        "alice",
        "--name",
        "Alice",
        "--role",
        "researcher",
        "--key-of",
        "alice",
        "--key",
        "root",
        "--store",
        str(prov.store_dir),
        env=env,
    )


def test_key_new_creates_a_private_key_and_reports_it(prov: Prov) -> None:
    """key new writes NAME.pem (0600) and --json gives its path, key id and public key."""
    info = prov.json("key", "new", "alice")
    path = prov.keys_dir / "alice.pem"
    assert info["name"] == "alice"
    assert Path(info["path"]) == path
    assert _mode(path) == 0o600
    assert len(info["key_id"]) == 64 and len(info["public_key"]) == 44


def test_key_new_refuses_to_overwrite(prov: Prov) -> None:
    """A second key new with the same name exits 2 and leaves the first key as it was."""
    prov.ok("key", "new", "alice")
    before = (prov.keys_dir / "alice.pem").read_bytes()
    result = prov("key", "new", "alice")
    assert result.exit_code == 2
    assert "already exists" in _one_error_line(result.stderr)
    assert (prov.keys_dir / "alice.pem").read_bytes() == before


# -- writing a whole case ---------------------------------------------------------


@pytest.fixture
def case(world: World, prov: Prov) -> dict[str, Any]:
    """Through the CLI: an evidence item with a marking, a finding, an assessment and a
    challenge to it; returns the receipts by name."""
    s = ("--store", str(prov.store_dir))
    out: dict[str, Any] = {}
    out["item"] = prov.json(
        "evidence",
        "add",
        "--id",
        "item-1",
        "--kind",
        "missile-remains",
        "--title",
        "Remains, site A",
        "--recovered-at",
        "2024-07",
        "--custodian",
        "Authorities",
        "--identifier",
        "field-ref=M1",
        "--identifier",
        "serial=AB12",
        "--key",
        "alice",
        *s,
    )
    out["mark"] = prov.json(
        "evidence",
        "mark",
        "item-1",
        "--text",
        "2024",
        "--meaning",
        "production year",
        "--value",
        "2024",
        "--method",
        "visual",
        "--key",
        "alice",
        *s,
    )
    out["finding"] = prov.json(
        "finding",
        "assert",
        "--id",
        "finding-1",
        "--claim",
        "Made in 2024.",
        "--evidence",
        "item-1",
        "--confidence",
        "high",
        "--limitation",
        "One item.",
        "--issued-at",
        "2024-09-01T10:00:00Z",
        "--key",
        "alice",
        *s,
    )
    out["assess"] = prov.json(
        "assess",
        "finding-1",
        "--stance",
        "qualifies",
        "--confidence",
        "moderate",
        "--rationale",
        "Only one item.",
        "--key",
        "bob",
        *s,
    )
    out["challenge"] = prov.json(
        "challenge",
        "--id",
        "challenge-1",
        "--target",
        "finding:finding-1",
        "--kind",
        "methodology",
        "--attributed-to",
        "Delegation X",
        "--claim",
        "Unsound.",
        "--source",
        "Meeting record",
        "--key",
        "bob",
        *s,
    )
    return out


def test_write_commands_record_what_they_say(world: World, case: dict[str, Any]) -> None:
    """Each receipt names its kind, subject, version and position, and the store agrees."""
    assert [case[n]["kind"] for n in ("item", "mark", "finding", "assess", "challenge")] == [
        "evidence.registered",
        "evidence.marking",
        "finding.asserted",
        "finding.assessed",
        "challenge.raised",
    ]
    assert [case[n]["position"] for n in ("item", "mark", "finding", "assess", "challenge")] == [
        3,
        4,
        5,
        6,
        7,
    ]
    assert (case["mark"]["subject"], case["mark"]["version"]) == ("item-1", 2)
    assert not any(r["duplicate"] for r in case.values())
    item = world.store.subject_state("item-1")
    assert item is not None
    assert item["identifiers"] == {"field-ref": "M1", "serial": "AB12"}
    assert item["markings"][0]["value"] == "2024"
    finding = world.store.subject_state("finding-1")
    assert finding is not None
    assert finding["created"]["issued_at"] == "2024-09-01T10:00:00Z"
    assert finding["limitations"] == ["One item."]
    assert world.store.statement(case["assess"]["statement_id"]).statement.author == "bob"


def test_write_without_issued_at_stamps_now(world: World, case: dict[str, Any]) -> None:
    """Without --issued-at the author's time is the current UTC time."""
    rec = world.store.statement(case["item"]["statement_id"])
    assert rec.statement.payload.issued_at[:10] == rec.received_at[:10]


def test_actor_add_with_key_of_and_public_key(world: World, prov: Prov) -> None:
    """actor add takes the public key from a key file (--key-of) or as --public-key;
    without either the actor holds no key."""
    s = ("--store", str(prov.store_dir))
    carol = prov.json("key", "new", "carol")
    dave = world.new_key("dave")
    prov.ok(
        "actor",
        "add",
        "carol",
        "--name",
        "Carol",
        "--role",
        "auditor",
        "--key-of",
        "carol",
        "--key",
        "root",
        *s,
    )
    prov.ok(
        "actor",
        "add",
        "dave",
        "--name",
        "Dave",
        "--role",
        "observer",
        "--public-key",
        dave.public_b64,
        "--admin",
        "--key",
        "root",
        *s,
    )
    prov.ok(
        "actor",
        "add",
        "delegation-x",
        "--name",
        "Delegation X",
        "--role",
        "state-delegation",
        "--key",
        "root",
        *s,
    )
    shown = {a: prov.json("show", a, *s) for a in ("carol", "dave", "delegation-x")}
    assert shown["carol"]["key_id"] == carol["key_id"]
    assert shown["dave"]["key_id"] == dave.key_id and shown["dave"]["admin"] is True
    assert "key_id" not in shown["delegation-x"]
    text = prov.ok("show", "delegation-x", *s).output
    assert "no key" in text


def test_finding_thread_through_the_cli(world: World, prov: Prov, case: dict[str, Any]) -> None:
    """challenge (organisation, finding, assessment by prefix), respond, reaffirm and revise
    with --ref prefixes; the finding ends revised with both versions kept."""
    s = ("--store", str(prov.store_dir))
    assess_prefix = case["assess"]["statement_id"][:10]
    on_assessment = prov.json(
        "challenge",
        "--id",
        "challenge-2",
        "--target",
        f"assessment:{assess_prefix}",
        "--kind",
        "authenticity",
        "--attributed-to",
        "X",
        "--claim",
        "C",
        "--key",
        "bob",
        *s,
    )
    on_org = prov.json(
        "challenge",
        "--target",
        "organisation:org",
        "--kind",
        "impartiality",
        "--attributed-to",
        "Delegation Y",
        "--claim",
        "Biased.",
        "--key",
        "bob",
        *s,
    )
    assert on_org["subject"].startswith("challenge-")
    response = prov.json(
        "respond",
        "challenge-1",
        "--stance",
        "concedes",
        "--attributed-to",
        "The org",
        "--text",
        "Fair point.",
        "--key",
        "alice",
        *s,
    )
    prov.json(
        "finding",
        "reaffirm",
        "finding-1",
        "--statement",
        "Stands.",
        "--observation",
        "O1",
        "--ref",
        on_org["statement_id"][:8],
        "--key",
        "alice",
        *s,
    )
    revised = prov.json(
        "finding",
        "revise",
        "finding-1",
        "--claim",
        "Probably made in 2024.",
        "--evidence",
        "item-1",
        "--confidence",
        "moderate",
        "--reason",
        "Conceded.",
        "--ref",
        response["statement_id"][:12],
        "--key",
        "alice",
        *s,
    )
    assert revised["version"] == 4
    target = world.store.subject_state("challenge-2")
    assert target is not None
    assert target["target"] == {"type": "assessment", "id": case["assess"]["statement_id"]}
    assert on_assessment["kind"] == "challenge.raised"
    finding = prov.json("show", "finding-1", *s)
    assert finding["status"] == "revised" and finding["revision"] == 2
    assert [v["claim"] for v in finding["versions"]] == ["Made in 2024.", "Probably made in 2024."]
    assert finding["versions"][1]["prompted_by"] == [response["statement_id"]]
    assert finding["reaffirmations"][0]["refs"] == [on_org["statement_id"]]
    challenge = prov.json("show", "challenge-1", *s)
    assert challenge["status"] == "conceded"
    assert "OK" in prov.ok("verify", *s).output


def test_submit_appends_an_envelope_signed_elsewhere(
    world: World, prov: Prov, tmp_path: Path
) -> None:
    """submit records a DSSE file once; a second submit reports the existing record."""
    raw = world.sign(
        "alice", "evidence.registered", "item-9", {"item_kind": "video", "title": "Footage"}
    )
    path = tmp_path / "statement.dsse.json"
    path.write_bytes(raw)
    s = ("--store", str(prov.store_dir))
    first = prov.ok("submit", str(path), *s)
    assert "recorded evidence.registered on item-9" in first.output
    again = prov.json("submit", str(path), *s)
    assert again["duplicate"] is True and again["subject"] == "item-9"
    assert raw_count(prov.store_dir) == 4
    assert world.store.statement(again["statement_id"]).envelope.raw == raw


def test_submit_reads_standard_input(world: World, prov: Prov) -> None:
    """'-' reads the envelope from stdin."""
    raw = world.sign("bob", "evidence.registered", "item-8", {"item_kind": "other", "title": "T"})
    receipt = prov.json("submit", "-", "--store", str(prov.store_dir), input=raw)
    assert receipt["subject"] == "item-8" and receipt["duplicate"] is False


def test_submit_of_a_statement_signed_with_the_library(
    world: World, prov: Prov, tmp_path: Path
) -> None:
    """A statement signed by sign_statement with a key from the keys directory is accepted."""
    raw = sign_statement(
        world.keys["root"],
        kind="actor.registered",
        subject="erin",
        author="org",
        body={"name": "Erin", "role": "observer"},
    )
    (tmp_path / "e.json").write_bytes(raw)
    assert (
        prov.json("submit", str(tmp_path / "e.json"), "--store", str(prov.store_dir))["kind"]
        == "actor.registered"
    )


# -- reading ----------------------------------------------------------------------


def test_show_subject_as_text_and_json(prov: Prov, case: dict[str, Any]) -> None:
    """show SUBJECT renders the current state; --json is that state."""
    s = ("--store", str(prov.store_dir))
    text = prov.ok("show", "item-1", *s).output
    assert "evidence item-1" in text and "marking '2024'" in text and "serial: AB12" in text
    state = prov.json("show", "item-1", *s)
    assert state["subject"] == "item-1" and state["version"] == 2
    finding = prov.ok("show", "finding-1", *s).output
    assert "claim: Made in 2024." in finding and "challenge challenge-1" in finding


def test_show_statement_by_prefix(world: World, prov: Prov, case: dict[str, Any]) -> None:
    """show PREFIX shows one statement; --json includes the payload and the exact envelope."""
    s = ("--store", str(prov.store_dir))
    sid = case["mark"]["statement_id"]
    text = prov.ok("show", sid[:8], *s).output
    assert sid in text and '"text": "2024"' in text
    shown = prov.json("show", sid[:12], *s)
    assert shown["statement_id"] == sid
    assert shown["payload"]["kind"] == "evidence.marking"
    assert shown["envelope"].encode() == world.store.statement(sid).envelope.raw


def test_history_lists_every_statement_in_order(
    world: World, prov: Prov, case: dict[str, Any]
) -> None:
    """history SUBJECT lists versions with signer key and times; --json the same entries."""
    s = ("--store", str(prov.store_dir))
    text = prov.ok("history", "finding-1", *s).output
    assert text.index("v1") < text.index("v2")
    assert "finding.asserted" in text and "finding.assessed" in text
    assert f"key {world.keys['bob'].key_id[:16]}" in text
    entries = prov.json("history", "finding-1", *s)
    assert [e["version"] for e in entries] == [1, 2]
    assert [e["author"] for e in entries] == ["alice", "bob"]
    assert entries[0]["issued_at"] == "2024-09-01T10:00:00Z"
    assert all(e["received_at"].endswith("Z") for e in entries)


def test_history_of_unknown_subject_exits_2(prov: Prov, world: World) -> None:
    """No such subject: exit 2 with one error line."""
    result = prov("history", "nothing", "--store", str(prov.store_dir))
    assert result.exit_code == 2
    _one_error_line(result.stderr)


def test_show_of_unknown_ident_exits_2(prov: Prov, world: World) -> None:
    """Neither a subject nor a statement: exit 2 with one error line."""
    result = prov("show", "nothing", "--store", str(prov.store_dir))
    assert result.exit_code == 2
    assert "no subject or statement" in _one_error_line(result.stderr)


def test_list_by_kind(prov: Prov, case: dict[str, Any]) -> None:
    """list --kind shows only that type; --json gives subject, type, version and title."""
    s = ("--store", str(prov.store_dir))
    text = prov.ok("list", "--kind", "evidence", *s).output
    assert "item-1" in text and "finding-1" not in text and "alice" not in text
    listed = prov.json("list", *s)
    assert [x["subject"] for x in listed] == [
        "org",
        "alice",
        "bob",
        "item-1",
        "finding-1",
        "challenge-1",
    ]
    assert {x["type"] for x in prov.json("list", "--kind", "actor", *s)} == {"actor"}
    assert all(set(x) >= {"subject", "type", "version", "title"} for x in listed)


def test_verify_reports_ok(prov: Prov, case: dict[str, Any]) -> None:
    """verify on a clean store exits 0; --json says ok."""
    s = ("--store", str(prov.store_dir))
    assert prov.ok("verify", *s).output.strip().endswith("OK")
    report = prov.json("verify", *s)
    trust = report.pop("trust")
    assert report == {
        "ok": True,
        "statements": 8,
        "subjects": 6,
        "since": None,
        "problems": [],
        "notes": ["the store has no log key: nothing anchors the record outside the store"],
    }
    assert trust["pinned"] is False and "trusted the store's own anchors" in trust["summary"]


def test_verify_rebuild_views_keeps_them_equal(
    world: World, prov: Prov, case: dict[str, Any]
) -> None:
    """verify --rebuild-views replays the views and they come out the same."""
    before = world.store.views.dump()
    prov.ok("verify", "--rebuild-views", "--store", str(prov.store_dir))
    assert world.store.views.dump() == before


def test_env_vars_choose_store_and_key(world: World, prov: Prov) -> None:
    """PROV_STORE and PROV_KEY stand in for --store and --key."""
    env = {"PROV_STORE": str(prov.store_dir), "PROV_KEY": "alice"}
    receipt = prov.json("evidence", "add", "--kind", "other", "--title", "T", env=env)
    assert receipt["subject"].startswith("item-")
    assert world.store.statement(receipt["statement_id"]).statement.author == "alice"


@pytest.mark.parametrize(
    "args",
    [
        ("show", "finding-1"),
        ("history", "finding-1"),
        ("list",),
        ("list", "--kind", "finding"),
        ("verify",),
    ],
)
def test_read_commands_emit_json(prov: Prov, case: dict[str, Any], args: tuple[str, ...]) -> None:
    """Every read command's --json output is a JSON document."""
    parsed = prov.json(*args, "--store", str(prov.store_dir))
    assert isinstance(parsed, dict | list) and parsed


def test_read_commands_catch_up_lagging_views(
    world: World, prov: Prov, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A statement whose writer never updated the views is still shown by the CLI."""
    views = world.store.views
    monkeypatch.setattr(views, "catch_up", lambda *a, **k: 0)
    monkeypatch.setattr(views, "apply_in_transaction", lambda *a, **k: False, raising=False)
    world.evidence("item-lag")
    monkeypatch.undo()
    shown = prov.json("show", "item-lag", "--store", str(prov.store_dir))
    assert shown["subject"] == "item-lag"


# -- demo ---------------------------------------------------------------------------


def test_demo_tells_the_story_and_verifies(prov: Prov, tmp_path: Path) -> None:
    """demo builds the case in a fresh directory, tells it, and ends verified."""
    result = prov.ok("demo", "--store", str(tmp_path / "d"))
    out = result.output
    for heading in (
        "Who signs",
        "The evidence",
        "The findings",
        "The challenge",
        "The reaffirmation",
        "Verification",
    ):
        assert heading in out
    with Store.open(tmp_path / "d" / "store") as store:
        size, subjects = store.size(), len(store.views.subjects())
    assert (
        f"{size} statements on {subjects} subjects, every signature, ref and history intact" in out
    )
    assert "What the record said on the day of the meeting" in out
    assert "FAIL" not in out
    assert "OK" in prov.ok("verify", "--store", str(tmp_path / "d" / "store")).output
    # It ends with the central finding's bundle, checked with the log's key and
    # its witness's quorum, files a reader can take away.
    proofs = tmp_path / "d" / "proofs"
    args = ["--vkey", (proofs / "log.vkey").read_text().strip()]
    args += ["--witness", (proofs / "witness.vkey").read_text().strip(), "--quorum", "1"]
    checked = prov.ok("bundle", "verify", str(proofs / "finding.bundle.json"), *args).output
    assert checked.startswith("OK: ") and "cosigned by witness.example/demo" in checked


def test_demo_twice_in_the_same_directory(prov: Prov, tmp_path: Path) -> None:
    """A second demo in the same directory rebuilds it and verifies again."""
    prov.ok("demo", "--store", str(tmp_path / "d"))
    second = prov.ok("demo", "--store", str(tmp_path / "d"))
    assert "every signature, ref and history intact" in second.output
    first = [line for line in second.output.splitlines() if "prov verify:" in line]
    with Store.open(tmp_path / "d" / "store") as store:
        assert first == [
            f"  prov verify: {store.size()} statements on {len(store.views.subjects())} "
            "subjects, every signature, ref and history intact"
        ]


def test_demo_refuses_a_directory_that_is_not_a_demo(prov: Prov, tmp_path: Path) -> None:
    """A non-empty directory without the demo marker is left alone: exit 2."""
    target = tmp_path / "precious"
    target.mkdir()
    (target / "thesis.txt").write_text("years of work")
    result = prov("demo", "--store", str(target))
    assert result.exit_code == 2
    _one_error_line(result.stderr)
    assert listing(target) == ["thesis.txt"]
    assert (target / "thesis.txt").read_text() == "years of work"


def test_demo_keys_stay_inside_the_demo_directory(prov: Prov, tmp_path: Path) -> None:
    """The demo writes its keys under its own directory, not into PROV_KEYS."""
    prov.ok("demo", "--store", str(tmp_path / "d"))
    assert listing(prov.keys_dir) == []
    assert (tmp_path / "d" / "keys" / "analyst.pem").is_file()


# -- help -----------------------------------------------------------------------------


def _leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found.extend(_leaf_commands(command, (*prefix, name)))
        else:
            found.append((*prefix, name))
    return found


LEAVES = _leaf_commands(cli)


def test_every_command_is_covered_by_the_help_test() -> None:
    """The help test below sees all the commands (guards the discovery itself)."""
    assert {" ".join(c) for c in LEAVES} >= {
        "init",
        "key new",
        "actor add",
        "evidence add",
        "evidence mark",
        "finding assert",
        "finding reaffirm",
        "finding revise",
        "assess",
        "challenge",
        "respond",
        "submit",
        "show",
        "history",
        "list",
        "verify",
        "demo",
    }


@pytest.mark.parametrize("command", LEAVES, ids=[" ".join(c) for c in LEAVES])
def test_each_command_help_has_an_example(prov: Prov, command: tuple[str, ...]) -> None:
    """Every command's --help shows an example."""
    result = prov.ok(*command, "--help")
    assert "Example" in result.output


def test_top_level_help_and_version(prov: Prov) -> None:
    """prov --help lists the commands and the exit codes; --version prints a version."""
    text = prov.ok("--help").output
    assert "Exit codes" in text and "demo" in text and "verify" in text
    assert "version" in prov.ok("--version").output
