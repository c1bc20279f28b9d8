"""``prov export`` and ``prov import``: a store as JSON Lines, and back."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import BinaryIO, cast

import click

from provenance import transfer as lib
from provenance.errors import InputError
from provenance.store import Store
from provenance.store.copy import copy_store
from provenance.store.location import Location
from provenance.transfer import ImportReport, LineResult

from .context import (
    EXIT_BAD_INPUT,
    StoreLocation,
    echo_json,
    fail,
    handle_errors,
    json_option,
    store_option,
)
from .output import force_option, is_stdout, open_output, out_option
from .read import as_of_option, resolve


@click.command("export")
@out_option("Write to FILE instead of stdout ('-': stdout).")
@force_option
@as_of_option
@store_option
@handle_errors
def export(out: Path | None, force: bool, as_of: str | None, store_dir: Location) -> None:
    """Write every statement as JSON Lines: the exact stored envelopes, in store order.

    With --out the file appears only once the export is complete (it is
    written to a temporary file, then renamed); an existing file is kept
    unless --force is given.

    \b
    Example:
      prov export --out store.jsonl --store ./store
      prov export --as-of 2024-12-10 > record-on-the-day.jsonl
    """
    with Store.open(store_dir) as store:
        position = resolve(store, as_of)
        # A file appears only once complete (cli/output.py); stdout is click's own.
        with open_output(out, force=force) as f:
            count = lib.export(store, f, position)
    if not is_stdout(out):
        click.echo(f"exported {count} statements to {out}")


def _create_store(
    store_dir: Location, lines: Iterator[bytes], root_key_id: str
) -> tuple[Store, ImportReport, int]:
    """Create the store from the first non-blank line; return it, the report so far
    and the line number of the next line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        store = lib.create_from_export(store_dir, line, root_key_id)
        report = ImportReport()
        genesis = next(store.iter_records())
        report.add(LineResult(number, genesis.statement_id, "accepted"))
        return store, report, number + 1
    raise InputError("the file holds no statement to create the store from")


def _print_report(report: ImportReport, as_json: bool) -> None:
    if as_json:
        echo_json(report.to_json())
        return
    for entry in report.refusals:
        click.echo(f"line {entry.line}: refused: {entry.reason}")
    click.echo(report.summary())


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@store_option
@click.option(
    "--root-key-id",
    default=None,
    help="Key id of the trusted root key; required when the store does not exist yet.",
)
@json_option
@handle_errors
def import_(file: Path, store_dir: Location, root_key_id: str | None, as_json: bool) -> None:
    """Import statements from a JSON Lines export ('-' for stdin), checking each one.

    Every line is checked like any new statement (schema, signature, key,
    refs, kinds); statements already present are skipped, so importing twice
    is harmless. Each refused line is reported with its reason and the
    import goes on. If the store does not exist, it is created from the
    file's first line, which must register the root key named by
    --root-key-id (obtained from its owner, not from the file). Exit status
    0 when every line was imported or already present, 2 when any was refused.

    \b
    Example:
      prov export --store ./store --out store.jsonl
      prov import store.jsonl --store ./copy --root-key-id 3b0c9f...e1
    """
    exists = Store.exists(store_dir)
    if not exists and root_key_id is None:
        source = "stdin" if str(file) == "-" else str(file)
        fail(
            f"no store at {store_dir}: pass --root-key-id to create it from the first line "
            f"of {source} (the key id of the root key, obtained from its owner)"
        )
    with click.open_file(file, "rb") as f:  # '-' is stdin, left open
        lines = lib.read_lines(cast(BinaryIO, f))
        if exists:
            store = Store.open(store_dir)
            if root_key_id is not None and root_key_id.lower() != store.root_key_id:
                store.close()
                fail(
                    f"--root-key-id {root_key_id} is not the root key of the store at "
                    f"{store_dir} ({store.root_key_id})"
                )
            report, start = ImportReport(), 1
        else:
            assert root_key_id is not None  # checked above
            store, report, start = _create_store(store_dir, lines, root_key_id)
        with store:
            lib.import_lines(store, lines, start=start, report=report)
    _print_report(report, as_json)
    if not report.ok:
        sys.exit(EXIT_BAD_INPUT)


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
    help="Where the copy goes (must not hold a store): a directory or a postgresql:// URL.",
)
@json_option
@handle_errors
def copy(source: Location, target: Location, as_json: bool) -> None:
    """Copy a store to another place or backend (SQLite to PostgreSQL and back).

    Every statement is appended to the copy as the store appends any
    statement (signature and rules checked again), with the receipt time the
    source recorded, so it keeps its position and its log leaf. The log roots
    are compared at every checkpoint and at the end; the signed checkpoints,
    witness cosignatures and attachments are carried over. If anything
    disagrees, the partial copy is removed and the command exits 1.

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
