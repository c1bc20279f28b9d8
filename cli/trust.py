"""``prov trust``: the anchors an auditor keeps outside the store."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from provenance import (
    InputError,
    Location,
    ProvenanceError,
    Store,
    StoreError,
    log_identity,
    stored_checkpoints,
    witness_policy,
)
from provenance.log import open_checkpoint
from provenance.trust import Pins, format_trust_file

from .context import handle_errors, store_option


@click.group("trust")
def trust_group() -> None:
    """The pins an auditor keeps outside the store, for 'prov verify --trust'.

    \b
    Example:
      prov trust export --out auditor.trust.json
      prov verify --trust auditor.trust.json
    """


def export_pins(store: Store) -> Pins:
    """The store's anchors as pins: root key id, log key, witness policy, latest checkpoint.

    The latest checkpoint is checked with the log key before it is exported.

    Raises:
        StoreError: if the store's latest checkpoint does not verify.
    """
    root = store.meta.get("root_key_id")
    log = None
    note = None
    if "log_vkey" in store.meta:
        origin, log = log_identity(store)
        stored = stored_checkpoints(store)
        if stored:
            latest = max(stored, key=lambda c: (c.size, c.id))
            try:
                open_checkpoint(latest.note, log, origin=origin)
            except ProvenanceError as e:
                raise StoreError(
                    f"the latest checkpoint (size {latest.size}) does not verify: {e}; "
                    "run 'prov verify'"
                ) from e
            note = latest.note
    policy = witness_policy(store)
    return Pins(
        root_key_id=root,
        log=log,
        witnesses=policy[0] if policy else (),
        quorum=policy[1] if policy else None,
        checkpoint=note,
    )


def _write_new(data: bytes, out: Path, force: bool) -> None:
    """Write ``out`` atomically; never through a symlink, never over a file without force."""
    if out.is_symlink():
        raise InputError(f"{out} is a symbolic link; refusing to write through it")
    if out.is_dir():
        raise InputError(f"{out} is a directory")
    directory = out.parent if str(out.parent) else Path(".")
    fd, temp = tempfile.mkstemp(prefix=f".{out.name}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if force:
            os.replace(temp, out)
        else:
            try:
                os.link(temp, out)  # fails if anything is at ``out``
            except FileExistsError:
                raise InputError(f"{out} exists; pass --force to replace it") from None
    finally:
        Path(temp).unlink(missing_ok=True)


@trust_group.command("export")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE ('-' or no --out: standard output).",
)
@click.option("--force", is_flag=True, help="Replace an existing --out file.")
@store_option
@handle_errors
def trust_export(out: Path | None, force: bool, store_dir: Location) -> None:
    """Write the store's anchors as a prov-trust/v1 file (docs/spec/trust.md).

    The file holds the root key id, the log's verifier key, the witness
    policy (if set) and the latest checkpoint, checked before it is written.
    Keep it away from the store: 'prov verify --trust FILE' then fails if
    anyone who can write the store replaces its keys or rewrites its log.

    \b
    Example:
      prov trust export --out auditor.trust.json
    """
    with Store.open(store_dir) as store:
        data = format_trust_file(export_pins(store))
    if out is None or str(out) == "-":
        click.echo(data, nl=False)
        return
    _write_new(data, out, force)
    click.echo(f"wrote {out}", err=True)


COMMANDS = [trust_group]
