"""Bad input to `prov`: exit code 2, one line starting with "error:", no traceback,
and nothing written (stored_events rows, statement_index rows and the keys directory
listing are the same before and after)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from conftest import Prov, World, listing, raw_count

from provenance.envelope import MAX_ENVELOPE_BYTES, MAX_PAYLOAD_BYTES, sign_payload

PASSPHRASE = "right passphrase"


@pytest.fixture
def env(world: World) -> Iterator[World]:
    """The small store plus: evidence item-1, finding-1 on it, an unregistered key
    'mallory', and an actor 'enc' whose key file is encrypted."""
    world.evidence("item-1")
    world.finding("finding-1", ["item-1"])
    world.new_key("mallory")
    enc = world.ring.create("enc", passphrase=PASSPHRASE)
    world.keys["enc"] = enc
    world.register("enc", enc)
    yield world


def snapshot(world: World) -> tuple[int, int, list[str]]:
    """What must not change: raw row counts and the keys directory listing."""
    return (
        raw_count(world.store_dir, "stored_events"),
        raw_count(world.store_dir, "statement_index"),
        listing(world.keys_dir),
    )


def assert_refused(result: Result, *needles: str) -> str:
    """Exit 2, a single 'error: ...' line on stderr, nothing on stdout, no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:"), result.stderr
    assert result.stdout == ""
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def run_refused(world: World, prov: Prov, args: list[str], *needles: str, **kw: Any) -> str:
    """Run a command that must be refused, and check that nothing was written."""
    before = snapshot(world)
    line = assert_refused(prov(*args, **kw), *needles)
    assert snapshot(world) == before
    return line


def _store(prov: Prov) -> list[str]:
    return ["--store", str(prov.store_dir)]


# -- prov submit with bad envelopes ---------------------------------------------------


def _submit(env: World, prov: Prov, tmp_path: Path, raw: bytes, *needles: str) -> str:
    path = tmp_path / "envelope.json"
    path.write_bytes(raw)
    return run_refused(env, prov, ["submit", str(path), *_store(prov)], *needles)


def _good(env: World) -> dict[str, Any]:
    raw = env.sign("alice", "evidence.registered", "item-2", {"item_kind": "other", "title": "T"})
    obj: dict[str, Any] = json.loads(raw)
    return obj


def test_submit_malformed_json(env: World, prov: Prov, tmp_path: Path) -> None:
    """Not JSON at all."""
    _submit(env, prov, tmp_path, b'{"payload": "abc", ', "not valid JSON")


def test_submit_empty_file(env: World, prov: Prov, tmp_path: Path) -> None:
    """An empty file is not an envelope."""
    _submit(env, prov, tmp_path, b"", "JSON")


def test_submit_not_utf8(env: World, prov: Prov, tmp_path: Path) -> None:
    """Bytes that are not UTF-8."""
    _submit(env, prov, tmp_path, b"\xff\xfe\x00{", "UTF-8")


def test_submit_bad_base64(env: World, prov: Prov, tmp_path: Path) -> None:
    """The payload is not standard base64."""
    obj = _good(env)
    obj["payload"] = obj["payload"].replace("+", "-")[:-4] + "$$$="
    _submit(env, prov, tmp_path, json.dumps(obj).encode(), "base64")


def test_submit_wrong_signature(env: World, prov: Prov, tmp_path: Path) -> None:
    """alice's key id with a signature over something else."""
    obj = _good(env)
    other = json.loads(
        env.sign("alice", "evidence.registered", "item-3", {"item_kind": "other", "title": "T"})
    )
    obj["signatures"][0]["sig"] = other["signatures"][0]["sig"]
    _submit(env, prov, tmp_path, json.dumps(obj).encode(), "does not verify")


def test_submit_unknown_kind(env: World, prov: Prov, tmp_path: Path) -> None:
    """A canonical payload, correctly signed, of a kind that does not exist."""
    payload = json.dumps(
        {
            "author": "alice",
            "body": {"title": "T"},
            "format": 1,
            "issued_at": "2024-01-01T00:00:00Z",
            "kind": "evidence.destroyed",
            "refs": [],
            "subject": "item-1",
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    raw = sign_payload(payload, env.keys["alice"].private_key)
    _submit(env, prov, tmp_path, raw, "unknown statement kind 'evidence.destroyed'")


def test_submit_missing_ref(env: World, prov: Prov, tmp_path: Path) -> None:
    """A statement whose ref names nothing in the store."""
    raw = env.sign("alice", "finding.reaffirmed", "finding-1", {"statement": "S"}, refs=["ab" * 32])
    _submit(env, prov, tmp_path, raw, "is not a statement in this store")


def test_submit_payload_over_1_mib(env: World, prov: Prov, tmp_path: Path) -> None:
    """A payload over the limit is refused before it is parsed."""
    obj = _good(env)
    obj["payload"] = base64.b64encode(b"x" * (MAX_PAYLOAD_BYTES + 1)).decode()
    _submit(env, prov, tmp_path, json.dumps(obj).encode(), "limit")


def test_submit_envelope_over_2_mib(env: World, prov: Prov, tmp_path: Path) -> None:
    """An envelope file over the limit is refused without reading it all."""
    _submit(env, prov, tmp_path, b" " * (MAX_ENVELOPE_BYTES + 10), "over")


def test_submit_unregistered_key(env: World, prov: Prov, tmp_path: Path) -> None:
    """A valid envelope signed by a key no actor registered."""
    raw = env.sign(
        "mallory",
        "evidence.registered",
        "item-2",
        {"item_kind": "other", "title": "T"},
        author="alice",
    )
    _submit(env, prov, tmp_path, raw, "unknown key")


def test_submit_breaking_a_rule(env: World, prov: Prov, tmp_path: Path) -> None:
    """A well-formed statement the store refuses (a marking on a finding)."""
    raw = env.sign("alice", "evidence.marking", "finding-1", {"text": "x"})
    _submit(env, prov, tmp_path, raw, "applies to an evidence item")


def test_submit_pathological_json(env: World, prov: Prov, tmp_path: Path) -> None:
    """Deeply nested JSON is bad input (exit 2), not an internal error."""
    _submit(env, prov, tmp_path, b"[" * 100_000)


# -- keys and passphrases ---------------------------------------------------------


def _add_item(prov: Prov, *extra: str) -> list[str]:
    return ["evidence", "add", "--kind", "other", "--title", "T", *_store(prov), *extra]


def test_wrong_passphrase(env: World, prov: Prov) -> None:
    """PROV_PASSPHRASE wrong for the encrypted key."""
    run_refused(
        env,
        prov,
        _add_item(prov, "--key", "enc"),
        "wrong passphrase",
        env={"PROV_PASSPHRASE": "not it"},
    )


def test_right_passphrase_works(env: World, prov: Prov) -> None:
    """The same command with the right passphrase is accepted (the case above is fair)."""
    prov.ok(*_add_item(prov, "--key", "enc"), env={"PROV_PASSPHRASE": PASSPHRASE})


def test_encrypted_key_without_passphrase(env: World, prov: Prov) -> None:
    """No PROV_PASSPHRASE and no terminal to ask on: refused with a hint."""
    run_refused(env, prov, _add_item(prov, "--key", "enc"), "PROV_PASSPHRASE")


def test_missing_key(env: World, prov: Prov) -> None:
    """A signing command without --key (and no PROV_KEY)."""
    run_refused(env, prov, _add_item(prov), "no signing key")


def test_key_file_that_does_not_exist(env: World, prov: Prov) -> None:
    """--key naming no file."""
    run_refused(env, prov, _add_item(prov, "--key", "nobody"), "no key file")


def test_unregistered_signing_key(env: World, prov: Prov) -> None:
    """A key that exists but is registered to no actor."""
    run_refused(env, prov, _add_item(prov, "--key", "mallory"), "not registered")


def test_key_of_and_public_key_together(env: World, prov: Prov) -> None:
    """actor add takes one source of public key, not two."""
    run_refused(
        env,
        prov,
        [
            "actor",
            "add",
            "zed",
            "--name",
            "Z",
            "--role",
            "observer",
            "--key-of",
            "mallory",
            "--public-key",
            env.keys["mallory"].public_b64,
            "--key",
            "root",
            *_store(prov),
        ],
        "not both",
    )


def test_key_new_with_a_bad_name(env: World, prov: Prov) -> None:
    """A key name that could escape the keys directory is refused."""
    run_refused(env, prov, ["key", "new", "../evil"], "not allowed")


# -- init -----------------------------------------------------------------------------


@pytest.mark.parametrize("org_name", ["", "n" * 501])
def test_init_with_a_bad_org_name_leaves_no_key_and_no_store(
    prov: Prov, tmp_path: Path, org_name: str
) -> None:
    """init fails on a name the schema refuses, and removes the key it had just made."""
    keys = tmp_path / "fresh-keys"
    result = prov(
        "init",
        "--org-id",
        "org",
        "--org-name",
        org_name,
        "--store",
        str(tmp_path / "s"),
        "--keys",
        str(keys),
    )
    assert_refused(result, "name")
    assert listing(keys) == []
    assert not (tmp_path / "s" / "prov.sqlite").exists()


def test_init_never_deletes_an_existing_key(env: World, prov: Prov, tmp_path: Path) -> None:
    """init in a new store directory with a key name already in use fails, and the key
    already there (the other store's root key) is untouched."""
    root = env.keys_dir / "root.pem"
    before = root.read_bytes()
    run_refused(
        env,
        prov,
        ["init", "--org-id", "org2", "--org-name", "Other", "--store", str(tmp_path / "s2")],
        "already exists",
    )
    assert root.read_bytes() == before
    assert not (tmp_path / "s2" / "prov.sqlite").exists()


# -- the store ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["evidence", "add", "--kind", "other", "--title", "T", "--key", "alice"],
        ["show", "item-1"],
        ["history", "item-1"],
        ["list"],
        ["verify"],
        ["submit", "-"],
    ],
    ids=["evidence add", "show", "history", "list", "verify", "submit"],
)
def test_store_that_does_not_exist(
    env: World, prov: Prov, tmp_path: Path, command: list[str]
) -> None:
    """Any command on a missing store says so and does not create it."""
    missing = tmp_path / "no-such-store"
    run_refused(env, prov, [*command, "--store", str(missing)], "no store", input=b"{}")
    assert not missing.exists()


# -- option values ------------------------------------------------------------------


@pytest.mark.parametrize(
    "target, needle",
    [
        ("finding", "TYPE:ID"),
        ("finding:", "TYPE:ID"),
        ("planet:earth", "target"),
        ("assessment:zz", "not a statement id"),
        ("assessment:00000000", "no statement"),
        ("finding:item-1", "not a finding"),
    ],
)
def test_bad_target(env: World, prov: Prov, target: str, needle: str) -> None:
    """--target must be TYPE:ID naming something of that type."""
    run_refused(
        env,
        prov,
        [
            "challenge",
            "--target",
            target,
            "--kind",
            "methodology",
            "--attributed-to",
            "X",
            "--claim",
            "C",
            "--key",
            "bob",
            *_store(prov),
        ],
        needle,
    )


@pytest.mark.parametrize("identifier", ["serial", "=AB12", "serial="])
def test_bad_identifier(env: World, prov: Prov, identifier: str) -> None:
    """--identifier must be NAME=VALUE."""
    run_refused(
        env, prov, _add_item(prov, "--identifier", identifier, "--key", "alice"), "NAME=VALUE"
    )


@pytest.mark.parametrize("when", ["yesterday", "2024-01-01", "2024-01-01T00:00:00+01:00"])
def test_bad_issued_at(env: World, prov: Prov, when: str) -> None:
    """--issued-at must be UTC YYYY-MM-DDTHH:MM:SSZ."""
    run_refused(env, prov, _add_item(prov, "--issued-at", when, "--key", "alice"), "issued_at")


def test_bad_recovered_at(env: World, prov: Prov) -> None:
    """A malformed date in a body field is named."""
    run_refused(
        env, prov, _add_item(prov, "--recovered-at", "July", "--key", "alice"), "recovered_at"
    )


@pytest.mark.parametrize("ref", ["abc", "zzzzzzzz", "deadbeefdeadbeef"])
def test_bad_or_missing_ref(env: World, prov: Prov, ref: str) -> None:
    """--ref must be a prefix of a statement in the store."""
    run_refused(
        env,
        prov,
        [
            "finding",
            "reaffirm",
            "finding-1",
            "--statement",
            "S",
            "--ref",
            ref,
            "--key",
            "alice",
            *_store(prov),
        ],
        "statement",
    )


def test_revise_without_ref(env: World, prov: Prov) -> None:
    """A revision must name what prompted it."""
    run_refused(
        env,
        prov,
        [
            "finding",
            "revise",
            "finding-1",
            "--claim",
            "C",
            "--evidence",
            "item-1",
            "--confidence",
            "low",
            "--reason",
            "R",
            "--key",
            "alice",
            *_store(prov),
        ],
        "refs",
    )


def test_finding_on_missing_evidence(env: World, prov: Prov) -> None:
    """A finding resting on an item that does not exist."""
    run_refused(
        env,
        prov,
        [
            "finding",
            "assert",
            "--claim",
            "C",
            "--evidence",
            "item-9",
            "--confidence",
            "low",
            "--key",
            "alice",
            *_store(prov),
        ],
        "item-9",
    )


def test_non_admin_registering_an_actor(env: World, prov: Prov) -> None:
    """alice may not register actors."""
    run_refused(
        env,
        prov,
        [
            "actor",
            "add",
            "zed",
            "--name",
            "Z",
            "--role",
            "observer",
            "--key",
            "alice",
            *_store(prov),
        ],
        "administrator",
    )


def test_over_long_title(env: World, prov: Prov) -> None:
    """A title over 500 characters is refused by the schema."""
    run_refused(
        env,
        prov,
        [
            "evidence",
            "add",
            "--kind",
            "other",
            "--title",
            "t" * 501,
            "--key",
            "alice",
            *_store(prov),
        ],
        "title",
    )


@pytest.mark.parametrize(
    "args",
    [
        ["evidence", "add", "--kind", "spaceship", "--title", "T", "--key", "alice"],
        [
            "finding",
            "assert",
            "--claim",
            "C",
            "--evidence",
            "item-1",
            "--confidence",
            "certain",
            "--key",
            "alice",
        ],
        [
            "assess",
            "finding-1",
            "--stance",
            "maybe",
            "--confidence",
            "high",
            "--rationale",
            "R",
            "--key",
            "bob",
        ],
        ["actor", "add", "zed", "--name", "Z", "--role", "king", "--key", "root"],
    ],
    ids=["item kind", "confidence", "stance", "role"],
)
def test_bad_enum_choice(env: World, prov: Prov, args: list[str]) -> None:
    """A value outside an option's choices is bad input like any other."""
    run_refused(env, prov, [*args, *_store(prov)])
