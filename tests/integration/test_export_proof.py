"""Import proves what it imports: attachments travel with the export, and a signed
checkpoint proves the imported order and completeness (docs/spec/export.md)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import Demo, World, listing

from provenance import transfer
from provenance.attachment_lines import PART_BYTES, AttachmentReader, attachment_lines
from provenance.audit import audit
from provenance.blobs import BlobInfo
from provenance.errors import InputError
from provenance.keys import KeyRing
from provenance.store import Store
from provenance.store.checkpoints import sign_checkpoint
from provenance_cli.main import cli

BACKENDS = ("sqlite", "postgres")

FILES = {
    "photo.jpg": b"\xff\xd8 a photograph of a motor marking " * 500,
    "scan.pdf": bytes(range(256)) * (2 * PART_BYTES // 256 + 7),  # three parts
    "empty.txt": b"",
}


def run(*args: Any, input: bytes | None = None) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def _attach_all(world: World, tmp_path: Path) -> dict[str, str]:
    """Attach each of FILES to item-1 (blob first, then the statement); digest by name."""
    world.evidence("item-1")
    digests = {}
    for name, data in FILES.items():
        path = tmp_path / "files" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        info = world.store.blobs.put_file(path)
        body = {"digest": info.digest, "size": info.size, "media_type": "application/octet-stream"}
        world.put("alice", "evidence.attached", "item-1", {**body, "filename": name})
        digests[name] = info.digest
    return digests


def _blob(store: Store, digest: str, tmp: Path) -> bytes:
    out = tmp / f"out-{digest[:8]}"
    store.blobs.extract(digest, out, force=True)
    return out.read_bytes()


# -- attachments -----------------------------------------------------------------------


def test_a_round_trip_of_a_store_with_attachments_verifies(
    world: World, new_store: Callable[[str], Path | str], tmp_path: Path
) -> None:
    digests = _attach_all(world, tmp_path)
    exported = tmp_path / "store.jsonl"
    done = run("export", "--store", world.store_dir, "--out", exported)
    assert done.exit_code == 0, done.output
    assert f"and {len(FILES)} attachments" in done.output
    target = new_store("imported")
    root_id = world.keys["root"].key_id
    imported = run("import", exported, "--store", target, "--root-key-id", root_id)
    assert imported.exit_code == 0, imported.output
    assert f"; {len(FILES)} attachments" in imported.output
    with Store.open(target) as store:
        # Old behaviour: verify failed, every attached file missing.
        report = audit(store)
        assert report.ok, [p.describe() for p in report.problems]
        assert store.log_root() == world.store.log_root()
        for name, digest in digests.items():
            assert _blob(store, digest, tmp_path) == FILES[name]
    # Importing again stores nothing new, and says so.
    again = run("import", exported, "--store", target, "--json")
    assert again.exit_code == 0, again.output
    report_json = json.loads(again.stdout)
    assert (report_json["accepted"], report_json["attachments"]) == (0, len(FILES))
    assert all(e["outcome"] == "duplicate" for e in report_json["lines"])


def test_each_file_goes_once_before_the_first_statement_that_attaches_it(
    world: World, tmp_path: Path
) -> None:
    digests = _attach_all(world, tmp_path)
    body = {"digest": digests["photo.jpg"], "size": len(FILES["photo.jpg"])}
    world.put("alice", "evidence.attached", "item-1", {**body, "media_type": "image/jpeg"})
    out = io.BytesIO()
    counts = transfer.export_counted(world.store, out)
    assert (counts.statements, counts.attachments) == (world.store.size(), len(FILES))
    lines = out.getvalue().split(b"\n")[:-1]
    kinds = []
    for line in lines:
        obj = json.loads(line)
        kinds.append(obj.get("attachment", "statement"))
    for digest in digests.values():
        first = kinds.index(digest)
        parts = kinds.count(digest)
        assert kinds[first : first + parts] == [digest] * parts
        assert kinds[first + parts] == "statement"  # the statement that attaches it
    assert kinds.count(digests["scan.pdf"]) == 3
    # Without attachments: the stored envelopes alone, as before.
    bare = io.BytesIO()
    transfer.export(world.store, bare, attachments=False)
    assert bare.getvalue().count(b"\n") == world.store.size()
    assert b'"attachment"' not in bare.getvalue()


def _lines_of(data: bytes) -> list[bytes]:
    return list(attachment_lines(hashlib.sha256(data).hexdigest(), io.BytesIO(data), len(data)))


class _Blobs:
    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}

    def put_file(self, path: Path) -> BlobInfo:
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        self.stored[digest] = data
        return BlobInfo(digest, len(data))

    def exists(self, digest: str) -> bool:
        return digest in self.stored


def _refused(lines: list[bytes], match: str, tmp_path: Path) -> _Blobs:
    blobs = _Blobs()
    reader = AttachmentReader(blobs.put_file, blobs.exists, tmp_path)
    with pytest.raises(InputError, match=match):
        for line in lines:
            reader.feed(line)
    assert reader.unfinished() is None and listing(tmp_path) == []
    assert blobs.stored == {}
    return blobs


def test_attachment_lines_are_checked_before_a_file_is_stored(tmp_path: Path) -> None:
    data = bytes(range(256)) * (PART_BYTES // 256 + 1)  # two parts
    good = _lines_of(data)
    blobs = _Blobs()
    reader = AttachmentReader(blobs.put_file, blobs.exists, tmp_path)
    assert [reader.feed(line).complete for line in good] == [False, True]
    assert list(blobs.stored.values()) == [data] and listing(tmp_path) == []

    obj = json.loads(good[1])
    altered = bytearray(base64.b64decode(obj["data"]))
    altered[0] ^= 1
    forged = json.dumps({**obj, "data": base64.b64encode(altered).decode()}, separators=(",", ":"))
    _refused([good[0], forged.encode()], "is altered", tmp_path)
    _refused([good[1]], "not the part expected next", tmp_path)
    _refused([good[0], good[0]], "stops at part 1 of 2", tmp_path)
    spaced = json.dumps(json.loads(good[1]), separators=(", ", ": "), sort_keys=True).encode()
    _refused([good[0], spaced], "not in RFC 8785 form", tmp_path)
    duplicate = good[0][:-1] + b',"part":0}'
    _refused([duplicate], "duplicate", tmp_path)
    short = json.dumps({**json.loads(good[0]), "data": "AAAA", "parts": 2}, separators=(",", ":"))
    _refused([short.encode()], "every part but the last holds", tmp_path)
    truthy = good[0].replace(b'"part":0', b'"part":false')
    _refused([truthy], "part must be an integer", tmp_path)


def test_the_spec_example_is_the_line_written_and_read(tmp_path: Path) -> None:
    spec = (Path(__file__).resolve().parents[2] / "docs" / "spec" / "export.md").read_text()
    example = spec.split("```text export:attachment-line\n", 1)[1].split("\n```", 1)[0]
    assert _lines_of(b"hello\n") == [example.encode()]
    blobs = _Blobs()
    received = AttachmentReader(blobs.put_file, blobs.exists, tmp_path).feed(example.encode())
    assert received.complete and blobs.stored == {received.digest: b"hello\n"}


def test_an_altered_attachment_in_an_export_is_refused_and_reported(
    world: World, new_store: Callable[[str], Path | str], tmp_path: Path
) -> None:
    _attach_all(world, tmp_path)
    out = io.BytesIO()
    transfer.export(world.store, out)
    lines = out.getvalue().split(b"\n")
    i = next(n for n, line in enumerate(lines) if line.startswith(b'{"attachment"'))
    obj = json.loads(lines[i])
    raw = bytearray(base64.b64decode(obj["data"]))
    raw[-1] ^= 0x80
    obj["data"] = base64.b64encode(bytes(raw)).decode()
    lines[i] = json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_bytes(b"\n".join(lines))
    target = new_store("tampered")
    result = run("import", tampered, "--store", target, "--root-key-id", world.keys["root"].key_id)
    assert result.exit_code == 2, result.output
    assert f"line {i + 1}: refused: attachment {obj['attachment'][:16]} is altered" in result.output
    with Store.open(target) as store:
        assert not store.blobs.exists(obj["attachment"])
        # The statement that names it is imported; verify reports the missing file.
        assert not audit(store).ok


# -- proving order and completeness against a checkpoint ------------------------------


@pytest.fixture
def signed(demo: Demo, tmp_path: Path) -> tuple[Path, Path, str, str]:
    """An export of a demo copy, a checkpoint of its whole log, the log's vkey, root id."""
    (tmp_path / "signed").mkdir()
    store_dir = demo.copy(tmp_path / "signed")
    with Store.open(store_dir) as store:
        cp = sign_checkpoint(store, KeyRing(demo.keys_dir).load("root-log"))
        vkey = store.meta["log_vkey"]
        root_id = store.root_key_id
    note = tmp_path / "checkpoint.note"
    note.write_text(cp.note)
    exported = tmp_path / "store.jsonl"
    assert run("export", "--store", store_dir, "--out", exported).exit_code == 0
    return exported, note, vkey, root_id


def _import(exported: Path, target: Path | str, note: Path, vkey: str, root_id: str) -> Result:
    return run(
        "import", exported, "--store", target, "--root-key-id", root_id,
        "--checkpoint", note, "--vkey", vkey,
    )  # fmt: skip


def test_an_export_proven_against_its_checkpoint_is_imported(
    signed: tuple[Path, Path, str, str], new_store: Callable[[str], Path | str]
) -> None:
    exported, note, vkey, root_id = signed
    target = new_store("proven")
    result = _import(exported, target, note, vkey, root_id)
    assert result.exit_code == 0, result.output
    size = exported.read_bytes().count(b"\n")
    assert f"the first {size} statements proven against the checkpoint" in result.output
    with Store.open(target) as store:
        assert store.size() == size and audit(store).ok
    # From stdin too: the file is kept aside for the two passes.
    again = run(
        "import", "-", "--store", target, "--checkpoint", note, "--vkey", vkey,
        input=exported.read_bytes(),
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert f"0 new, {size} already present" in again.output


@pytest.mark.parametrize("damage", ["swap", "duplicate", "drop", "add"])
def test_lines_swapped_duplicated_dropped_or_added_are_refused_and_nothing_is_created(
    signed: tuple[Path, Path, str, str],
    new_store: Callable[[str], Path | str],
    tmp_path: Path,
    damage: str,
) -> None:
    exported, note, vkey, root_id = signed
    lines = exported.read_bytes().split(b"\n")[:-1]
    if damage == "swap":
        lines[5], lines[6] = lines[6], lines[5]
    elif damage == "duplicate":
        lines.insert(7, lines[6])  # the second copy is a harmless duplicate without a pin
    elif damage == "drop":
        del lines[-1]
    else:
        lines.insert(len(lines) - 1, b"")  # a blank line changes nothing...
        lines.insert(3, lines[2])  # ...but a repeated statement does
    damaged = tmp_path / f"{damage}.jsonl"
    damaged.write_bytes(b"\n".join(lines) + b"\n")
    target = new_store(f"damaged-{damage}")
    # Without the pin, such a file imports (the duplicate and the swap are accepted).
    result = _import(damaged, target, note, vkey, root_id)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: the export") and result.stderr.count("\n") == 1
    expected = "fewer than" if damage == "drop" else "swapped, duplicated, dropped, added"
    assert expected in result.stderr
    assert not Store.exists(target)


def test_a_checkpoint_needs_its_log_key(
    signed: tuple[Path, Path, str, str], new_store: Callable[[str], Path | str], demo: Demo
) -> None:
    exported, note, vkey, root_id = signed
    target = new_store("unpinned")
    alone = run(
        "import", exported, "--store", target, "--root-key-id", root_id, "--checkpoint", note
    )
    assert alone.exit_code == 2 and "--checkpoint and --vkey go together" in alone.stderr
    from provenance.log.note import format_verifier_key

    other = format_verifier_key(
        vkey.split("+")[0], KeyRing(demo.keys_dir).load("analyst").public_bytes
    )
    wrong = _import(exported, target, note, other, root_id)
    assert wrong.exit_code == 1, wrong.output
    assert wrong.stderr.startswith(f"error: checkpoint {note} does not verify under --vkey")
    assert not Store.exists(target)


def test_an_existing_store_that_is_not_the_exports_prefix_is_left_alone(
    signed: tuple[Path, Path, str, str], world: World
) -> None:
    exported, note, vkey, _ = signed
    before = world.store.size()
    world.store.close()
    result = run(
        "import", exported, "--store", world.store_dir, "--checkpoint", note, "--vkey", vkey
    )
    assert result.exit_code == 1, result.output
    assert "not the export's first ones" in result.stderr
    with Store.open(world.store_dir) as store:
        assert store.size() == before


def test_a_store_holding_the_exports_first_statements_takes_the_rest_proven(
    signed: tuple[Path, Path, str, str], new_store: Callable[[str], Path | str], tmp_path: Path
) -> None:
    """An import into a store that holds a prefix of the export (an import stopped
    midway) is proven too, and so is one into a store that already holds it all."""
    exported, note, vkey, root_id = signed
    lines = exported.read_bytes().split(b"\n")[:-1]
    first = tmp_path / "first.jsonl"
    first.write_bytes(b"\n".join(lines[:12]) + b"\n")
    target = new_store("prefix")
    assert run("import", first, "--store", target, "--root-key-id", root_id).exit_code == 0
    rest = run("import", exported, "--store", target, "--checkpoint", note, "--vkey", vkey)
    assert rest.exit_code == 0, rest.output
    assert f"imported {len(lines) - 12} new, 12 already present" in rest.output
    with Store.open(target) as store:
        assert store.size() == len(lines) and audit(store).ok
    # An export cut short of the checkpoint is refused, even into that full store.
    again = run("import", first, "--store", target, "--checkpoint", note, "--vkey", vkey)
    assert again.exit_code == 1 and "fewer than" in again.stderr
