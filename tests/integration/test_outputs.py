"""Every --out: no overwrite without --force, never through a symlink, atomic, '-' is stdout.

Also: a closed pipe exits quietly with 141, hostile text is printed escaped,
and `prov evidence attach ITEM -` reads standard input.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from conftest import Demo, Prov

from provenance.keys import KeyRing
from provenance.log.note import format_verifier_key
from provenance.rules.text import printable
from provenance.store import Store
from provenance.store.checkpoints import sign_checkpoint
from provenance_cli.output import FileRefused, write_output

PROV = Path(sys.executable).parent / "prov"


@pytest.fixture(scope="module")
def store(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo store with a checkpoint of the whole log and one attachment."""
    store_dir = demo.copy(tmp_path_factory.mktemp("outputs"))
    with Store.open(store_dir) as s:
        sign_checkpoint(s, KeyRing(demo.keys_dir).load("root-log"))
    return store_dir


def _first_statement(store: Path) -> str:
    with Store.open(store) as s:
        return next(iter(s.read_page(0, 0, 1))).statement_id


Command = Callable[[Path, str], list[str]]
"""The arguments of one command with ``--out`` given, for a store."""

COMMANDS: dict[str, Command] = {
    "export": lambda s, out: ["export", "--store", str(s), "--out", out],
    "bundle export": lambda s, out: [
        "bundle", "export", "finding-rapid-use", "--store", str(s), "--out", out,
    ],
    "log entry": lambda s, out: [
        "log", "entry", _first_statement(s), "--raw", "--store", str(s), "--out", out,
    ],
    "log prove": lambda s, out: [
        "log", "prove", _first_statement(s), "--store", str(s), "--out", out,
    ],
    "log consistency": lambda s, out: [
        "log", "consistency", _checkpoint_size(s), _checkpoint_size(s),
        "--store", str(s), "--out", out,
    ],
}  # fmt: skip


def _checkpoint_size(store: Path) -> str:
    with Store.open(store) as s:
        return str(s.size())


def _refused(result: Result, *needles: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.mark.parametrize("name", COMMANDS)
def test_an_existing_file_is_kept_without_force(
    name: str, store: Path, prov: Prov, tmp_path: Path
) -> None:
    """Today `log entry`, `log prove` and `log consistency` destroy the file."""
    out = tmp_path / "precious.txt"
    out.write_bytes(b"the auditor's notes\n")
    _refused(prov(*COMMANDS[name](store, str(out))), "already exists", "--force")
    assert out.read_bytes() == b"the auditor's notes\n"
    prov.ok(*COMMANDS[name](store, str(out)), "--force")
    assert out.read_bytes() != b"the auditor's notes\n"
    assert [p.name for p in tmp_path.iterdir()] == ["precious.txt"]  # no temporary file left


@pytest.mark.parametrize("name", COMMANDS)
def test_a_symbolic_link_is_never_written_through(
    name: str, store: Path, prov: Prov, tmp_path: Path
) -> None:
    """Neither a link to a file nor a dangling link, with or without --force."""
    target = tmp_path / "target"
    target.write_bytes(b"keep me")
    link = tmp_path / "link"
    link.symlink_to(target)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    for out in (link, dangling):
        for force in ((), ("--force",)):
            _refused(prov(*COMMANDS[name](store, str(out)), *force), "symbolic link")
    assert target.read_bytes() == b"keep me"
    assert not (tmp_path / "nowhere").exists()
    assert link.is_symlink() and dangling.is_symlink()


@pytest.mark.parametrize("name", COMMANDS)
def test_dash_is_standard_output(name: str, store: Path, prov: Prov, tmp_path: Path) -> None:
    """`--out -` writes to stdout the bytes `--out FILE` writes, and creates no file '-'."""
    monkey_cwd = tmp_path / "cwd"
    monkey_cwd.mkdir()
    out = tmp_path / "file"
    prov.ok(*COMMANDS[name](store, str(out)))
    old = Path.cwd()
    os.chdir(monkey_cwd)
    try:
        result = prov.ok(*COMMANDS[name](store, "-"))
    finally:
        os.chdir(old)
    assert result.stdout_bytes == out.read_bytes()
    assert list(monkey_cwd.iterdir()) == []


def test_an_error_while_writing_leaves_no_file(tmp_path: Path) -> None:
    """An exception inside the write leaves neither the file nor a temporary one."""
    out = tmp_path / "out.bin"

    class Boom(Exception):
        pass

    from provenance_cli.output import open_output

    with pytest.raises(Boom), open_output(out) as f:
        f.write(b"half of it")
        raise Boom
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_leaves_no_empty_file(tmp_path: Path) -> None:
    """/dev/full refuses every write: the output is not created at all."""
    if not Path("/dev/full").exists():
        pytest.fail("this test needs /dev/full (Linux)")
    out = tmp_path / "out.bin"
    with pytest.raises(OSError):
        # The temporary file lives beside the output, so point the directory's
        # only writable file at /dev/full by writing through a real fd instead.
        from provenance_cli import output

        real = output._new_temp

        def full(target: Path) -> tuple[Path, int]:
            temp, fd = real(target)
            os.close(fd)
            return temp, os.open("/dev/full", os.O_WRONLY)

        output._new_temp = full
        try:
            write_output(b"x" * 100_000, out)
        finally:
            output._new_temp = real
    assert list(tmp_path.iterdir()) == []


def test_write_output_refuses_a_directory_and_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match="is a directory"):
        write_output(b"x", tmp_path)
    with pytest.raises(FileRefused, match="does not exist"):
        write_output(b"x", tmp_path / "no" / "such")


def test_evidence_extract_dash_and_symlink(store: Path, prov: Prov, tmp_path: Path) -> None:
    """`evidence extract --out -` writes the checked bytes; a link is refused."""
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8 a photograph")
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere")
    digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    result = prov("evidence", "extract", digest, "--out", str(link), "--store", str(store))
    _refused(result, "symbolic link")
    assert not (tmp_path / "elsewhere").exists()


# -- standard input and the pipe ------------------------------------------------------


def test_attach_reads_standard_input(demo: Demo, tmp_path: Path) -> None:
    """`prov evidence attach ITEM -` stores what stdin held, and extract gives it back."""
    store = demo.copy(tmp_path)
    prov = Prov(demo.keys_dir, store)
    data = b"\x89PNG scanned on the spot\n" * 1000
    result = prov.ok(
        "evidence", "attach", "item-m3", "-", "--media-type", "image/png",
        "--key", "field-team", "--store", str(store), "--json", input=data,
    )  # fmt: skip
    import json

    attached = json.loads(result.stdout)
    assert attached["digest"] == hashlib.sha256(data).hexdigest()
    assert attached["filename"] is None and attached["size"] == len(data)
    out = prov.ok("evidence", "extract", attached["digest"], "--out", "-", "--store", str(store))
    assert out.stdout_bytes == data
    prov.ok("verify", "--store", str(store))


def test_a_closed_pipe_exits_quietly(store: Path, tmp_path: Path) -> None:
    """`prov export | head -c 0`: exit 141 and nothing on stderr (today 'Broken pipe', 2)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROV_")}
    env["HOME"] = str(tmp_path)
    # The reader is gone before prov starts, so its first write fails: no race.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [str(PROV), "export", "--store", str(store)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (141, b"")


def test_hostile_text_is_printed_escaped(prov: Prov, store: Path) -> None:
    """A lone surrogate (a non-UTF-8 byte in argv) and a CR: one escaped line, exit 2."""
    result = prov("show", "item-\udcff\rOK verified intact", "--store", str(store))
    _refused(result, "\\udcff")
    assert "\r" not in result.stderr
    assert printable("a\rb\u202ec\x00\ud800") == "a\\x0db\\u202ec\\x00\\ud800"


# -- input files ---------------------------------------------------------------------

VKEY = format_verifier_key("example.com/log", bytes(32))


@pytest.mark.parametrize(
    "args",
    [
        ["bundle", "show", "/dev/zero"],
        ["bundle", "verify", "/dev/zero", "--vkey", VKEY],
        ["log", "check-proof", "/dev/zero", "/dev/zero", "--vkey", VKEY],
    ],
)
def test_a_device_as_input_is_refused_before_it_is_read(prov: Prov, args: list[str]) -> None:
    """/dev/zero never ends: today it is read until memory runs out."""
    _refused(prov(*args), "/dev/zero is a device or directory")


def test_an_input_over_its_bound_is_refused(prov: Prov, tmp_path: Path) -> None:
    """A proof from standard input is read only up to its bound."""
    from provenance_cli.log import MAX_INPUT_BYTES

    result = prov(
        "log", "check-proof", "-", "/dev/null", "--vkey", VKEY,
        input=b"x" * (MAX_INPUT_BYTES + 1),
    )  # fmt: skip
    _refused(result, f"over {MAX_INPUT_BYTES} bytes")
