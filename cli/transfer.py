"""``prov export`` and ``prov import``: a store as JSON Lines, and back."""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import BinaryIO, cast

import click

from provenance import InputError, Location, NoteError, Store, VerificationError, copy_store
from provenance import transfer as lib
from provenance.log import ED25519, Checkpoint, open_checkpoint, parse_verifier_key
from provenance.transfer import ImportReport

from .context import (
    EXIT_BAD_INPUT,
    StoreLocation,
    echo_json,
    fail,
    handle_errors,
    json_option,
    store_option,
)
from .options import as_of_option, resolve
from .output import force_option, is_stdout, open_output, out_option


@click.command("export")
@out_option("Write to FILE instead of stdout ('-': stdout).")
@force_option
@click.option(
    "--no-attachments",
    "no_attachments",
    is_flag=True,
    help="Leave the attached files out (statements only).",
)
@as_of_option
@store_option
@handle_errors
def export(
    out: Path | None, force: bool, no_attachments: bool, as_of: str | None, store_dir: Location
) -> None:
    """Write every statement as JSON Lines: the exact stored envelopes, in store order.

    Each attached file the store holds goes with them, as attachment lines
    just before the first statement that attaches it (docs/spec/export.md),
    unless --no-attachments is given. With --out the file appears only once
    the export is complete (it is written to a temporary file, then
    renamed); an existing file is kept unless --force is given.

    \b
    Example:
      prov export --out store.jsonl --store ./store
      prov export --as-of 2024-12-10 > record-on-the-day.jsonl
    """
    with Store.open(store_dir) as store:
        position = resolve(store, as_of)
        # A file appears only once complete (cli/output.py); stdout is click's own.
        with open_output(out, force=force) as f:
            counts = lib.export_counted(store, f, position, attachments=not no_attachments)
    if not is_stdout(out):
        files = f" and {counts.attachments} attachments" if counts.attachments else ""
        click.echo(f"exported {counts.statements} statements{files} to {out}")


def _print_report(report: ImportReport, as_json: bool) -> None:
    if as_json:
        echo_json(report.to_json())
        return
    for entry in report.refusals:
        click.echo(f"line {entry.line}: refused: {entry.reason}")
    click.echo(report.summary())


MAX_CHECKPOINT_BYTES = 64 * 1024
"""The largest checkpoint note read (a note with many cosignatures fits in far less)."""


def _pinned_checkpoint(checkpoint_file: Path | None, vkey: str | None) -> Checkpoint | None:
    """The checkpoint given with --checkpoint, verified under --vkey (both or neither)."""
    if checkpoint_file is None and vkey is None:
        return None
    if checkpoint_file is None or vkey is None:
        fail("--checkpoint and --vkey go together: the checkpoint, and the log key that signed it")
    try:
        verifier = parse_verifier_key(vkey)
    except InputError as e:
        fail(f"--vkey: {e}")
    if verifier.key_type != ED25519:
        fail(f"--vkey {vkey} is not an Ed25519 (0x01) log verifier key")
    try:
        with checkpoint_file.open("rb") as f:
            note = f.read(MAX_CHECKPOINT_BYTES + 1)
    except OSError as e:
        fail(f"cannot read checkpoint {checkpoint_file}: {e.strerror or e}")
    if len(note) > MAX_CHECKPOINT_BYTES:
        fail(f"checkpoint {checkpoint_file} is over {MAX_CHECKPOINT_BYTES} bytes")
    # C2SP tlog-checkpoint: signed by the pinned log key, origin its name.
    try:
        return open_checkpoint(note, verifier).checkpoint
    except NoteError as e:
        raise VerificationError(
            f"checkpoint {checkpoint_file} does not verify under --vkey {verifier.name}+"
            f"{verifier.key_id:08x}: {e}"
        ) from e


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@store_option
@click.option(
    "--root-key-id",
    default=None,
    help="Key id of the trusted root key; required when the store does not exist yet.",
)
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A signed checkpoint of the exported log: prove the file's order and "
    "completeness against it (with --vkey).",
)
@click.option("--vkey", default=None, help="The log's verifier key, for --checkpoint.")
@json_option
@handle_errors
def import_(
    file: Path,
    store_dir: Location,
    root_key_id: str | None,
    checkpoint_file: Path | None,
    vkey: str | None,
    as_json: bool,
) -> None:
    """Import statements from a JSON Lines export ('-' for stdin), checking each one.

    Every line is checked like any new statement (schema, signature, key,
    refs, kinds); statements already present are skipped, so importing twice
    is harmless. Attached files in the export are re-hashed and stored. Each
    refused line is reported with its reason and the import goes on. If the
    store does not exist, it is created from the file's first line, which
    must register the root key named by --root-key-id (obtained from its
    owner, not from the file); it is built aside and put in place only once
    complete, so an import killed midway leaves no store.

    With --checkpoint FILE --vkey KEY the import first proves, before writing
    anything, that the file's first statements are exactly the log the
    checkpoint signs (same root at its size: no line swapped, duplicated,
    dropped or altered), and afterwards that the store's log is; if not, it
    exits 1 (into a new store: nothing is created). Exit status 0 when every
    line was imported or already present, 2 when any was refused.

    \b
    Example:
      prov export --store ./store --out store.jsonl
      prov import store.jsonl --store ./copy --root-key-id 3b0c9f...e1 \\
          --checkpoint checkpoint.note --vkey "$(cat log.vkey)"
    """
    exists = Store.exists(store_dir)
    if not exists and root_key_id is None:
        source = "stdin" if str(file) == "-" else str(file)
        fail(
            f"no store at {store_dir}: pass --root-key-id to create it from the first line "
            f"of {source} (the key id of the root key, obtained from its owner)"
        )
    checkpoint = _pinned_checkpoint(checkpoint_file, vkey)
    with click.open_file(file, "rb") as given, contextlib.ExitStack() as stack:  # '-': stdin
        f = cast(BinaryIO, given)
        if checkpoint is not None and str(file) == "-":
            # Two passes (prove, then import) need the bytes twice: keep stdin aside.
            f = stack.enter_context(tempfile.TemporaryFile())
            shutil.copyfileobj(given, f)
            f.seek(0)
        report = _import(f, store_dir, exists, root_key_id, checkpoint)
    _print_report(report, as_json)
    if not report.ok:
        sys.exit(EXIT_BAD_INPUT)


def _import(
    f: BinaryIO,
    store_dir: Location,
    exists: bool,
    root_key_id: str | None,
    checkpoint: Checkpoint | None,
) -> ImportReport:
    """Prove (with a checkpoint), then import, into a new store or an existing one."""
    if not exists:
        assert root_key_id is not None  # checked by the caller
        proven = None
        if checkpoint is not None:
            proven = lib.prove_export(lib.read_lines(f), checkpoint)
            f.seek(0)
        # Built aside and put in place whole: killed midway, it leaves no store.
        report = lib.import_new_store(
            store_dir, lib.read_lines(f), root_key_id, checkpoint=checkpoint
        )
    else:
        with Store.open(store_dir) as store:
            if root_key_id is not None and root_key_id.lower() != store.root_key_id:
                fail(
                    f"--root-key-id {root_key_id} is not the root key of the store at "
                    f"{store_dir} ({store.root_key_id})"
                )
            proven = None
            if checkpoint is not None:
                proven = lib.prove_export(lib.read_lines(f), checkpoint, store)
                f.seek(0)
            report = lib.import_lines(store, lib.read_lines(f))
            if checkpoint is not None:
                lib.check_imported(store, checkpoint, report)
    if proven is not None:
        report.proven, report.unproven = proven
    return report


@click.command("copy")
@click.option(
    "--from",
    "source",
    required=True,
    type=StoreLocation(),
    help="The store to copy: a directory or a postgresql:// URL.",
)
@click.option(
    "--to",
    "target",
    required=True,
    type=StoreLocation(),
    help="Where the copy goes (no store; an absent or empty directory, or a postgresql:// URL).",
)
@json_option
@handle_errors
def copy(source: Location, target: Location, as_json: bool) -> None:
    """Copy a store to another place or backend (SQLite to PostgreSQL and back).

    Every statement is appended to the copy as the store appends any
    statement (signature and rules checked again), with the receipt time the
    source recorded, so it keeps its position and its log leaf. The log roots
    are compared at every checkpoint and at the end; the signed checkpoints,
    witness cosignatures and attachments are carried over. The copy is built
    aside and put in place in one atomic step once whole: if anything
    disagrees nothing is placed and the command exits 1; killed midway, it
    leaves no store at the target, and running it again starts afresh.

    \b
    Example:
      prov copy --from ./store --to postgresql://prov@db.example.org:5432/prov
    """
    if Store.exists(target):
        fail(f"a store already exists at {target}")
    with Store.open(source) as store:
        total = store.size()
        if as_json or total < 2000:
            report = copy_store(store, target)
        else:
            with click.progressbar(length=total, label="copying", file=sys.stderr) as bar:
                report = copy_store(store, target, progress=bar.update)
    if as_json:
        echo_json({"to": str(target), **asdict(report)})
        return
    click.echo(
        f"copied {report.statements} statements, {report.checkpoints} checkpoints, "
        f"{report.cosignatures} cosignatures and {report.blobs} attachments to {target}"
    )
    click.echo(f"log root {report.root} (same as the source's)")


COMMANDS = [export, import_, copy]
__all__ = ["COMMANDS", "copy", "export", "import_"]
