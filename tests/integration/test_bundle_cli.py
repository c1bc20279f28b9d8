"""`prov bundle export | verify | show` on the demo store, attachments, log-key rotation,
user errors, and the standalone verifier in a virtual environment holding only
``cryptography``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

import pytest

from provenance import demo as case
from provenance.audit import audit
from provenance.bundle import offline_verify, standalone
from provenance.bundle.export import encode_bundle, export_bundle
from provenance.bundle.offline_verify import verify_bundle
from provenance.errors import InputError
from provenance.keys import KeyRing
from provenance.log.note import format_verifier_key
from provenance.store import Store
from provenance.store.checkpoints import rotate_log_key, sign_checkpoint
from tests.conftest import Demo, Prov, World, make_world


@pytest.fixture(scope="module")
def store(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo store with a checkpoint of the whole log."""
    store_dir = demo.copy(tmp_path_factory.mktemp("bundle-cli"))
    with Store.open(store_dir) as s:
        sign_checkpoint(s, KeyRing(demo.keys_dir).load("root-log"))
    return store_dir


def vkey_of(store_dir: Path) -> str:
    with Store.open(store_dir) as s:
        return s.meta["log_vkey"]


def test_export_verify_show_equal_the_store_dispute(
    store: Path, demo: Demo, prov: Prov, tmp_path: Path
) -> None:
    out = tmp_path / "finding.bundle.json"
    s = str(store)
    result = prov.ok("bundle", "export", case.CENTRAL_FINDING, "--out", str(out), "--store", s)
    assert result.stdout.startswith(f"wrote {out}: ")
    verified = prov.ok("bundle", "verify", str(out), "--vkey", vkey_of(store))
    assert verified.stdout.startswith("OK: ")
    shown = prov.json("bundle", "show", str(out))
    assert shown == prov.json("dispute", case.CENTRAL_FINDING, "--store", s)
    text = prov.ok("bundle", "show", str(out)).stdout
    assert text == prov.ok("dispute", case.CENTRAL_FINDING, "--store", s).stdout


def test_as_of_bundle_shows_the_record_as_it_stood(store: Path, prov: Prov, tmp_path: Path) -> None:
    out = tmp_path / "then.bundle.json"
    s, day = str(store), case.MEETING_DAY
    prov.ok(
        "bundle", "export", case.CENTRAL_FINDING, "--as-of", day, "--out", str(out), "--store", s
    )
    prov.ok("bundle", "verify", str(out), "--vkey", vkey_of(store))
    then = prov.json("bundle", "show", str(out))
    assert then == prov.json("dispute", case.CENTRAL_FINDING, "--as-of", day, "--store", s)
    now = prov.json("dispute", case.CENTRAL_FINDING, "--store", s)
    assert then["as_of"]["position"] < now["as_of"]["position"]
    assert len(then["argument"]) < len(now["argument"])


def test_bundle_of_an_evidence_item_shows_its_state_as_the_store_does(
    store: Path, prov: Prov, tmp_path: Path
) -> None:
    out = tmp_path / "item.bundle.json"
    s = str(store)
    prov.ok("bundle", "export", "item-m3", "--as-of", "20", "--out", str(out), "--store", s)
    prov.ok("bundle", "verify", str(out), "--vkey", vkey_of(store))
    shown = prov.json("bundle", "show", str(out))
    assert shown == prov.json("show", "item-m3", "--as-of", "20", "--store", s)
    text = prov.ok("bundle", "show", str(out)).stdout
    history = prov.ok("history", "item-m3", "--as-of", "20", "--store", s).stdout
    assert text.startswith("evidence item-m3 as of position 20\n")
    for line in text.splitlines()[1:]:
        assert line in history


def test_tampered_bundle_fails_verify_with_exit_1(store: Path, prov: Prov, tmp_path: Path) -> None:
    out = tmp_path / "b.json"
    prov.ok("bundle", "export", "item-m3", "--out", str(out), "--store", str(store))
    bundle = json.loads(out.read_bytes())
    del bundle["statements"][-1]["proof"]
    out.write_text(json.dumps(bundle))
    result = prov("bundle", "verify", str(out), "--vkey", vkey_of(store))
    assert result.exit_code == 1
    assert result.stdout.startswith("FAILED: statement ")


def test_user_errors_are_one_line_and_write_nothing(
    store: Path, prov: Prov, tmp_path: Path
) -> None:
    out = tmp_path / "x.json"
    s = str(store)
    for args, message in [
        (["export", "no-such", "--out", str(out), "--store", s], "no subject 'no-such'"),
        (["export", "item-m3", "--out", str(out), "--store", str(tmp_path / "none")], "no store"),
        (["export", "item-m3", "--as-of", "1999-01-01", "--out", str(out), "--store", s], "1999"),
        (["verify", str(tmp_path / "missing.json"), "--vkey", vkey_of(store)], "cannot read"),
        (["verify", __file__, "--vkey", vkey_of(store)], "not a bundle"),
        (["show", __file__], "not a bundle"),
    ]:
        result = prov("bundle", *args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1
        assert not out.exists()
    prov.ok("bundle", "export", "item-m3", "--out", str(out), "--store", s)
    before = out.read_bytes()
    result = prov("bundle", "export", case.CENTRAL_FINDING, "--out", str(out), "--store", s)
    assert result.exit_code == 2 and "exists" in result.stderr
    assert out.read_bytes() == before
    bad = prov("bundle", "verify", str(out), "--vkey", "not-a-key")
    assert bad.exit_code == 2 and "is not a verifier key" in bad.stderr


BACKENDS = ("sqlite", "postgres")


def _with_log(world: World) -> Any:
    log_key = world.new_key("log")
    origin = "example.org/bundle-test"
    world.store.configure_log(origin, format_verifier_key(origin, log_key.public_bytes))
    return log_key


def test_attachments_are_hashed_or_carried(world: World) -> None:
    log_key = _with_log(world)
    store = world.store
    world.evidence("item-1")
    photo = b"\x89PNG not really a photograph"
    info = store.blobs.put_bytes(photo)
    body = {"digest": info.digest, "size": info.size, "media_type": "image/png"}
    world.put("alice", "evidence.attached", "item-1", body)
    world.finding("finding-1", ["item-1"])
    sign_checkpoint(store, log_key)
    vkey = store.meta["log_vkey"]
    hashes_only = export_bundle(store, "finding-1")
    assert hashes_only["attachments"] == [{"digest": info.digest, "size": info.size}]
    assert verify_bundle(encode_bundle(hashes_only), vkey).attachment_files == 0
    carried = export_bundle(store, "finding-1", with_attachments=True)
    report = verify_bundle(encode_bundle(carried), vkey)
    assert report.ok and report.attachment_files == 1
    carried["attachments"][0]["content"] = "AAAA" + carried["attachments"][0]["content"][4:]
    found = verify_bundle(encode_bundle(carried), vkey).failures
    assert found == [f"attachment {info.digest[:12]}: content does not match its hash"]
    carried["attachments"] = []
    found = verify_bundle(encode_bundle(carried), vkey).failures
    assert found == [f"attachment {info.digest[:12]} is named but not in the bundle"]


def test_log_key_rotation_keeps_old_bundles_and_links_the_keys(world: World) -> None:
    old_key = _with_log(world)
    store = world.store
    world.evidence("item-1")
    world.finding("finding-1", ["item-1"])
    sign_checkpoint(store, old_key)
    old_vkey = store.meta["log_vkey"]
    before = encode_bundle(export_bundle(store, "finding-1"))
    new_key = world.new_key("log-2")
    transition = rotate_log_key(store, old_key, new_key)
    new_vkey = store.meta["log_vkey"]
    assert new_vkey != old_vkey
    assert f"prov-log-key {new_vkey}\n" in transition.note
    assert json.loads(store.meta["log_vkey_history"])[0]["vkey"] == old_vkey
    world.assess("finding-1")
    with pytest.raises(InputError) as refused:
        sign_checkpoint(store, old_key)
    assert type(refused.value) is InputError
    assert (
        str(refused.value) == f"key {old_key.name} is not this log's key (the log's is {new_vkey})"
    )
    sign_checkpoint(store, new_key)
    after = encode_bundle(export_bundle(store, "finding-1"))
    assert verify_bundle(before, old_vkey).ok  # the old file, the old key
    assert verify_bundle(after, new_vkey).ok
    report = verify_bundle(after, old_vkey)  # followed through the transition
    assert report.ok, report.failures
    assert report.log_key == new_vkey
    # Without the transition, the old key does not vouch for the new checkpoint.
    cut = json.loads(after)
    cut["key_transitions"] = []
    found = verify_bundle(json.dumps(cut).encode(), old_vkey).failures
    assert found == [f"checkpoint is not signed by the log key {old_vkey}"]
    # A transition whose text was altered no longer carries the old key's signature.
    cut = json.loads(after)
    step = cut["key_transitions"][0]
    step["checkpoint"] = step["checkpoint"].replace("prov-log-key", "prov-log-kez")
    assert verify_bundle(json.dumps(cut).encode(), old_vkey).failures
    # Exported after the rotation, as of before it: verifies with either key.
    then = encode_bundle(export_bundle(store, "finding-1", 4))
    assert verify_bundle(then, old_vkey).ok and verify_bundle(then, new_vkey).ok
    assert audit(store).ok, [p.describe() for p in audit(store).problems]


def test_rotate_key_command(tmp_path: Path, prov: Prov) -> None:
    world = make_world(tmp_path)
    _with_log(world)
    world.store.close()
    s = str(world.store_dir)
    prov.ok("log", "checkpoint", "--log-key", "log", "--store", s)
    result = prov.ok("log", "rotate-key", "--log-key", "log", "--new-key", "log-2", "--store", s)
    assert "prov-log-key " in result.stdout
    assert (prov.keys_dir / "log-2.pem").exists() or any(prov.keys_dir.glob("log-2*"))
    prov.ok("log", "checkpoint", "--log-key", "log-2", "--store", s)
    assert prov("verify", "--store", s).exit_code == 0
    again = prov("log", "rotate-key", "--log-key", "log", "--new-key", "log-2", "--store", s)
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_module_runs_as_python_dash_m(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.json"
    with Store.open(store) as s:
        out.write_bytes(encode_bundle(export_bundle(s, "item-m3")))
    command = [sys.executable, "-m", "provenance.bundle.offline_verify", str(out)]
    ok = subprocess.run([*command, "--vkey", vkey_of(store)], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("OK: "), ok.stderr
    assert ok.stderr == ""


def test_verifier_imports_only_stdlib_and_cryptography() -> None:
    """Every module of the standalone verifier, followed from offline_verify's imports."""
    import ast

    roots = set()
    for path in standalone.modules().values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, "no relative imports"
                roots.add(str(node.module).split(".")[0])
    third_party = {r for r in roots if r not in sys.stdlib_module_names}
    assert third_party == {"cryptography", "provenance"}
    assert Path(offline_verify.__file__) in standalone.modules().values()


@pytest.mark.slow
def test_standalone_verifier_in_a_bare_virtual_environment(store: Path, tmp_path: Path) -> None:
    """Only the zipapp and `cryptography` (from the package index) in a fresh venv."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "cryptography",
        ],
        check=True,
        env=clean,
        timeout=300,
    )
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
        env=clean,
    )
    names = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert not names & {"provenance-store", "pydantic", "eventsourcing", "click", "rfc8785"}
    work = tmp_path / "bare"
    work.mkdir()
    (work / "prov-verify.pyz").write_bytes(standalone.build())
    bundle = work / "finding.bundle.json"
    with Store.open(store) as s:
        data = encode_bundle(export_bundle(s, case.CENTRAL_FINDING))
        vkey = s.meta["log_vkey"]
    bundle.write_bytes(data)
    run = [str(python), "-E", "-s", "prov-verify.pyz", bundle.name, "--vkey", vkey]
    ok = subprocess.run(run, cwd=work, capture_output=True, text=True, env=clean)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith(f"OK: {len(json.loads(data)['statements'])} statements")
    tampered = json.loads(data)
    tampered["statements"][5], tampered["statements"][6] = (
        tampered["statements"][6],
        tampered["statements"][5],
    )
    bundle.write_text(json.dumps(tampered))
    bad = subprocess.run(run, cwd=work, capture_output=True, text=True, env=clean)
    assert bad.returncode == 1 and "FAILED: " in bad.stdout and "out of order" in bad.stdout
