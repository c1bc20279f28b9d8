"""Strict JSON wherever a hostile party's bytes are parsed: envelopes, import lines, bundles.

Each test builds the attack the issue describes from genuine, validly signed
bytes, and checks the refusal is one line, exit 2, and that nothing is written.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Demo, Prov, World, listing, raw_count

from provenance import demo as case
from provenance.bundle.reader import read_bundle
from provenance.errors import InputError
from provenance.keys import KeyRing
from provenance.store import Store
from provenance.store.checkpoints import sign_checkpoint

ITEM = {"item_kind": "other", "title": "T"}


def _one_error_line(result: Any, *needles: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return str(lines[0])


def _decoy_first(genuine: bytes, decoy_payload: bytes) -> bytes:
    """The genuine envelope with a second, earlier "payload" member (json.loads keeps the last)."""
    text = genuine.decode()
    assert text.startswith("{")
    return ('{"payload":"' + base64.b64encode(decoy_payload).decode() + '",' + text[1:]).encode()


# -- envelopes: prov submit and prov import ---------------------------------------


def test_submit_refuses_an_envelope_with_a_decoy_payload(
    world: World, prov: Prov, tmp_path: Path
) -> None:
    """Today the decoy is dropped silently and the envelope is stored; now it is refused."""
    genuine = world.sign(
        "alice", "evidence.registered", "item-9", {"item_kind": "other", "title": "T"}
    )
    decoy = b'{"claim":"something else entirely"}'
    path = tmp_path / "envelope.json"
    path.write_bytes(_decoy_first(genuine, decoy))
    before = raw_count(world.store_dir)
    result = prov("submit", str(path), "--store", str(world.store_dir))
    _one_error_line(result, "duplicate member name 'payload'")
    assert raw_count(world.store_dir) == before
    # The same envelope without the decoy is accepted: the test is fair.
    path.write_bytes(genuine)
    prov.ok("submit", str(path), "--store", str(world.store_dir))
    assert raw_count(world.store_dir) == before + 1


@pytest.mark.parametrize(
    ("mutate", "flaw"),
    [
        (lambda t: t.replace('"signatures":', '"signatures":[],"signatures":', 1), "duplicate"),
        (lambda t: t.replace('{"keyid":', '{"keyid":"x","keyid":', 1), "duplicate member"),
        (lambda t: t[:-1] + ',"x":' + "[" * 40 + "]" * 40 + "}", "nested deeper"),
        (lambda t: t[:-1] + ',"x":1e400}', "out of range"),
        (lambda t: t[:-1] + ',"x":9007199254740993}', "2^53"),
        (lambda t: t[:-1] + ',"x":NaN}', "NaN is not JSON"),
        (lambda t: t[:-1] + ',"x":"\\ud800"}', "lone surrogate"),
    ],
)
def test_import_refuses_lines_that_are_not_strict_json(
    world: World, prov: Prov, tmp_path: Path, mutate: Any, flaw: str
) -> None:
    """Each hostile line is refused with its flaw; the genuine line after it is imported."""
    genuine = world.sign(
        "alice", "evidence.registered", "item-8", {"item_kind": "other", "title": "T"}
    )
    hostile = mutate(genuine.decode()).encode()
    path = tmp_path / "lines.jsonl"
    path.write_bytes(hostile + b"\n" + genuine + b"\n")
    before = raw_count(world.store_dir)
    result = prov("import", str(path), "--store", str(world.store_dir), "--json")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    report = json.loads(result.stdout)
    first, second = report["lines"]
    assert first["outcome"] == "refused" and flaw in first["reason"], first
    assert second["outcome"] == "accepted"
    assert raw_count(world.store_dir) == before + 1


# -- bundles -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A genuine bundle of the demo's central finding, exported through the CLI."""
    root = tmp_path_factory.mktemp("hostile-bundle")
    store_dir = demo.copy(root)
    with Store.open(store_dir) as s:
        sign_checkpoint(s, KeyRing(demo.keys_dir).load("root-log"))
    out = root / "finding.bundle.json"
    Prov(root / "keys", store_dir).ok(
        "bundle", "export", case.CENTRAL_FINDING, "--out", str(out), "--store", str(store_dir)
    )
    return out.read_bytes()


def _show(prov: Prov, tmp_path: Path, data: bytes) -> Any:
    path = tmp_path / "hostile.bundle.json"
    path.write_bytes(data)
    before = listing(tmp_path)
    result = prov("bundle", "show", str(path))
    assert listing(tmp_path) == before
    return result


def test_a_tampered_statements_array_before_the_genuine_one_is_refused(
    bundle: bytes, prov: Prov, tmp_path: Path
) -> None:
    """json.loads keeps the genuine array last; strict JSON refuses the pair."""
    genuine = json.loads(bundle)
    tampered = genuine["statements"][:3]
    hostile = (
        '{"statements":' + json.dumps(tampered) + "," + bundle.decode().lstrip()[1:]
    ).encode()
    with pytest.raises(InputError, match="duplicate member name 'statements'"):
        read_bundle(hostile)
    _one_error_line(_show(prov, tmp_path, hostile), "not a bundle", "duplicate member name")
    assert prov.ok("bundle", "show", "--json", _write(tmp_path, bundle)).stdout


def _write(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "genuine.bundle.json"
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("drop", ["evidence.marking", "finding.assessed", "finding.asserted"])
def test_bundle_show_on_a_bundle_missing_a_statement_is_one_line(
    bundle: bytes, prov: Prov, tmp_path: Path, drop: str
) -> None:
    """Today an AssertionError (exit 3); now 'bundle is incomplete', exit 2."""
    obj = json.loads(bundle)
    kinds = [
        json.loads(base64.b64decode(json.loads(st["entry"])["payload"]))["kind"]
        for st in obj["statements"]
    ]
    obj["statements"].pop(kinds.index(drop))
    _one_error_line(_show(prov, tmp_path, json.dumps(obj).encode()), "bundle is incomplete")


@pytest.mark.parametrize(
    ("mutate", "flaw"),
    [
        (lambda o: o["as_of"].update(position=True), "not a non-negative integer"),
        (lambda o: o["statements"][0].update(position="0"), "not a non-negative integer"),
        (lambda o: o["statements"][1].update(position=0), "two statements at position 0"),
        (lambda o: o["statements"][2].update(subject="item-m1"), "is listed under subject"),
        (lambda o: o["statements"][0].update(entry=7), "not a string"),
        (lambda o: o.update(statements={}), "not an array"),
        (lambda o: o.pop("as_of"), 'no member "as_of"'),
    ],
)
def test_bundle_members_have_their_json_types(
    bundle: bytes, prov: Prov, tmp_path: Path, mutate: Any, flaw: str
) -> None:
    """`true` is not a position, nor is "0"; two statements cannot share one."""
    obj = json.loads(bundle)
    mutate(obj)
    _one_error_line(_show(prov, tmp_path, json.dumps(obj).encode()), flaw)


@pytest.mark.parametrize(
    ("data", "flaw"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper"),
        (b'{"bundle": 1e400}', "out of range"),
        (b'{"bundle": "\\udfff"}', "lone surrogate"),
        (b'{"bundle": 123456789012345678901234567890}', "2^53"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_pathological_bundles_are_one_line_exit_2(
    prov: Prov, tmp_path: Path, data: bytes, flaw: str
) -> None:
    """No RecursionError, OverflowError or UnicodeEncodeError reaches the user."""
    _one_error_line(_show(prov, tmp_path, data), "not a bundle", flaw)
