"""Commands on a store as a whole: ``prov init``, ``prov verify``, ``prov submit``."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import click

from provenance import (
    MAX_ENVELOPE_BYTES,
    MAX_NOTE_SIZE,
    InputError,
    Location,
    NoteError,
    Store,
    StoreError,
    Trusted,
    VerificationError,
    audit,
    default_origin,
    init_store,
    is_subject_id,
    is_valid_key_name,
    log_identity,
    witness_policy,
)
from provenance.log import open_checkpoint
from provenance.trust import (
    MAX_TRUST_FILE,
    Pins,
    parse_log_vkey,
    parse_root_key_id,
    parse_trust_file,
    parse_witness_vkey,
    witness_set,
)

from .context import (
    EXIT_VERIFY_FAILED,
    echo_json,
    fail,
    handle_errors,
    json_option,
    keyring,
    keys_option,
    new_passphrase,
    open_store,
    store_option,
)
from .options import print_receipt


@click.command("init")
@click.option("--org-id", required=True, help="The organisation's actor id, e.g. tracer.")
@click.option("--org-name", required=True, help="The organisation's name.")
@click.option("--key-name", default="root", show_default=True, help="Name of the root key file.")
@click.option(
    "--origin",
    help="The log's origin line in checkpoints (default provenance-store/ORG_ID).",
)
@click.option("--encrypt", is_flag=True, help="Prompt for a passphrase (or set PROV_PASSPHRASE).")
@store_option
@keys_option
@handle_errors
def init(
    org_id: str,
    org_name: str,
    key_name: str,
    origin: str | None,
    encrypt: bool,
    store_dir: Location,
    keys_dir: Path | None,
) -> None:
    """Create a store, the organisation's root key and the log's key.

    The root key signs the store's first statement, which registers the
    organisation; its key id is pinned in the store. The log key (KEY_NAME-log)
    signs the log's checkpoints.

    \b
    Example:
      prov init --org-id tracer --org-name "Weapons Tracing Org" --store ./store
    """
    if Store.exists(store_dir):
        fail(f"a store already exists at {store_dir}")
    if not is_subject_id(org_id):
        fail(f"--org-id {org_id!r} is not a valid id (letters, digits, '.', '_', ':', '-')")
    log_origin = origin or default_origin(org_id)
    if not is_valid_key_name(log_origin):
        fail(f"--origin {log_origin!r} may not contain spaces or '+'")
    ring = keyring(keys_dir)
    log_name = f"{key_name}-log"
    for name in (key_name, log_name):
        if ring.path_of(name).exists():
            fail(f"key {name!r} already exists in {ring.directory}; choose another --key-name")
    passphrase = new_passphrase(encrypt)
    key = ring.create(key_name, passphrase)
    log_key = ring.create(log_name, passphrase)
    try:
        store = init_store(
            store_dir, key, org_id=org_id, org_name=org_name, log_key=log_key, origin=log_origin
        )
    except Exception:
        ring.path_of(key_name).unlink(missing_ok=True)
        ring.path_of(log_name).unlink(missing_ok=True)
        raise
    store.close()
    click.echo(f"created store {store_dir}")
    click.echo(f"root key {ring.path_of(key_name)} (key id {key.key_id})")
    click.echo(f"log key {ring.path_of(log_name)} (origin {log_origin})")
    click.echo(f"organisation {org_id} registered; sign as it with --key {key_name}")


@click.command("verify")
@store_option
@json_option
@click.option("--rebuild-views", is_flag=True, help="Also rebuild the views from the statements.")
@click.option(
    "--since",
    "since_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Audit incrementally from a checkpoint you trust (a signed checkpoint note file).",
)
@click.option(
    "--vkey",
    help="Pin the log's verifier key (from 'prov log vkey'): every checkpoint must be "
    "signed by it.",
)
@click.option("--root-key-id", help="Pin the organisation's root key id (64 hex digits).")
@click.option(
    "--witness",
    "witness_vkeys",
    multiple=True,
    metavar="VKEY",
    help="Pin a witness's cosignature key (type 0x04); repeatable.",
)
@click.option("--quorum", type=int, help="Pinned witnesses that must cosign (default: all).")
@click.option(
    "--trust",
    "trust_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A prov-trust/v1 file holding the pins ('prov trust export').",
)
@handle_errors
def verify(
    store_dir: Location,
    as_json: bool,
    rebuild_views: bool,
    since_file: Path | None,
    vkey: str | None,
    root_key_id: str | None,
    witness_vkeys: tuple[str, ...],
    quorum: int | None,
    trust_file: Path | None,
) -> None:
    """Audit the store: signatures against the keys valid at each position, refs,
    contiguous histories, unaltered rows, the log's leaves and nodes, every
    checkpoint and the consistency between them, every witness cosignature,
    the views against a fresh replay, and every attached file.

    Exit status 0 when the record is intact, 1 when anything is wrong; each
    problem is named with its position, statement, subject and version, or the
    leaf or checkpoint concerned; 2 when it cannot be checked. With --since,
    only what came after a checkpoint you trust is checked in full, after
    proving that the log extends it.

    Pins held outside the store (--root-key-id, --vkey, --witness/--quorum,
    --since, or --trust FILE with all of them) are each compared with the
    store; one that disagrees fails naming it. Without pins, verify says it
    trusted the store's own anchors.

    \b
    Example:
      prov verify --store ./store
      prov verify --trust auditor.trust.json
      prov verify --since saved-checkpoint.txt --vkey "$(cat log.vkey)"
    """
    pins = _pins(root_key_id, vkey, witness_vkeys, quorum, trust_file)
    store = Store.open(store_dir)
    with store:
        since = None
        if since_file is not None:
            since, note = _trusted(store, since_file, pins)
            if pins.checkpoint is None:
                # The saved checkpoint is also an anchor: it must be among the store's.
                pins = dataclasses.replace(pins, checkpoint=note)
        trusted = _anchors(store, pins, since_file)
        total = store.size() - (since.size if since else 0)
        if as_json or total < 2000:
            report = audit(store, since=since, pins=pins)
        else:
            with click.progressbar(length=total, label="verifying", file=sys.stderr) as bar:
                report = audit(store, progress=bar.update, since=since, pins=pins)
        if rebuild_views and (report.ok or report.only_views):
            store.views.rebuild()
            if not report.ok:  # the record is sound and only the views were wrong
                report = audit(store, since=since, pins=pins)
        elif rebuild_views:
            report.notes.append(
                "--rebuild-views: the views were not rebuilt, the record is not intact"
            )
    if as_json:
        echo_json(
            {
                "ok": report.ok,
                "statements": report.statements,
                "subjects": report.subjects,
                "since": since.size if since else None,
                "trust": {**trusted, "summary": _say_anchors(trusted)},
                "problems": [p.to_json() for p in report.problems],
                "notes": report.notes,
            }
        )
    else:
        click.echo(f"TRUST {_say_anchors(trusted)}")
        for note in report.notes:
            click.echo(f"NOTE {note}")
        for p in report.problems:
            click.echo(f"FAIL {p.describe()}")
        verdict = "OK" if report.ok else f"FAILED with {len(report.problems)} problem(s)"
        scope = f" after checkpoint size {since.size}" if since else ""
        click.echo(
            f"verified {report.statements} statements{scope} on {report.subjects} subjects: "
            f"{verdict}"
        )
    if not report.ok:
        sys.exit(EXIT_VERIFY_FAILED)


def _pins(
    root_key_id: str | None,
    vkey: str | None,
    witness_vkeys: tuple[str, ...],
    quorum: int | None,
    trust_file: Path | None,
) -> Pins:
    """The pins given on the command line or in a trust file (never both)."""
    if trust_file is not None:
        given = [
            name
            for name, value in (
                ("--root-key-id", root_key_id),
                ("--vkey", vkey),
                ("--witness", witness_vkeys or None),
                ("--quorum", quorum),
            )
            if value is not None
        ]
        if given:
            fail(f"--trust holds the pins: do not also give {given[0]}")
        try:
            data = _read_small(trust_file, MAX_TRUST_FILE)
            return parse_trust_file(data)
        except InputError as e:
            fail(f"--trust {trust_file}: {e}")
    if quorum is not None and not witness_vkeys:
        fail("--quorum needs at least one --witness")
    try:
        witnesses, k = witness_set(
            [parse_witness_vkey(w.strip(), "--witness") for w in witness_vkeys], quorum
        )
        return Pins(
            root_key_id=None
            if root_key_id is None
            else parse_root_key_id(root_key_id.strip(), "--root-key-id"),
            log=None if vkey is None else parse_log_vkey(vkey.strip(), "--vkey"),
            witnesses=witnesses,
            quorum=k if witnesses else None,
        )
    except InputError as e:
        fail(str(e).replace("quorum", "--quorum", 1) if "quorum" in str(e) else str(e))


def _read_small(path: Path, limit: int) -> bytes:
    """A regular file's bytes, at most ``limit`` of them; InputError otherwise."""
    try:
        if not path.exists():
            raise InputError(f"{path} does not exist")
        if not path.is_file():
            raise InputError(f"{path} is not a regular file")
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from e
    if len(data) > limit:
        raise InputError(f"{path} is larger than {limit} bytes")
    return data


def _anchors(store: Store, pins: Pins, since_file: Path | None) -> dict[str, Any]:
    """What the audit anchors to, and where each anchor comes from (pinned or the store)."""
    meta = store.meta
    try:
        policy = witness_policy(store)
    except StoreError:
        policy = None  # the audit reports a malformed policy
    store_witnesses = (
        None if policy is None else {"witnesses": [w.vkey for w in policy[0]], "quorum": policy[1]}
    )

    def anchor(pinned: Any, stored: Any) -> dict[str, Any]:
        return (
            {"source": "pinned", "value": pinned}
            if pinned is not None
            else {
                "source": "store",
                "value": stored,
            }
        )

    pinned_witnesses = (
        {"witnesses": [w.vkey for w in pins.witnesses], "quorum": pins.quorum}
        if pins.witnesses
        else None
    )
    checkpoint = None
    if pins.checkpoint is not None or since_file is not None:
        checkpoint = {"source": "pinned", "value": "--since" if since_file else "trust file"}
    return {
        "pinned": bool(pins.names()) or since_file is not None,
        "root_key_id": anchor(pins.root_key_id, meta.get("root_key_id")),
        "log_vkey": anchor(pins.log.vkey if pins.log else None, meta.get("log_vkey")),
        "origin": anchor(pins.log.name if pins.log else None, meta.get("log_origin")),
        "witness_policy": anchor(pinned_witnesses, store_witnesses),
        "checkpoint": checkpoint or {"source": "store", "value": None},
    }


def _say_anchors(trusted: dict[str, Any]) -> str:
    """One line saying what the audit trusted, and whether it came from the store."""
    policy = trusted["witness_policy"]["value"]
    witnesses = "none" if policy is None else f"{policy['quorum']} of {len(policy['witnesses'])}"

    def shown(value: Any, length: int | None = None) -> str:
        return "none" if value is None else str(value)[:length]

    parts = [
        ("root key id", trusted["root_key_id"], shown(trusted["root_key_id"]["value"], 16)),
        ("log key", trusted["log_vkey"], shown(trusted["log_vkey"]["value"])),
        ("origin", trusted["origin"], shown(trusted["origin"]["value"])),
        ("witness policy", trusted["witness_policy"], witnesses),
    ]
    if not trusted["pinned"]:
        listed = ", ".join(f"{name} {value}" for name, _, value in parts)
        return (
            f"no pins given: trusted the store's own anchors ({listed}); an attacker who "
            "can write the store can replace them (pin them: prov trust export)"
        )
    pinned = [name for name, a, _ in parts if a["source"] == "pinned"]
    if trusted["checkpoint"]["source"] == "pinned":
        pinned.append("checkpoint")
    rest = [f"{name} {value}" for name, a, value in parts if a["source"] == "store"]
    said = f"pinned {', '.join(pinned)}"
    return said + (f"; from the store: {', '.join(rest)}" if rest else "")


def _trusted(store: Store, path: Path, pins: Pins) -> tuple[Trusted, str]:
    """The checkpoint an auditor trusts, checked with the pinned or the store's log key."""
    if pins.log is not None:
        verifier, origin = pins.log, pins.log.name
    else:
        origin, verifier = log_identity(store)
    try:
        text = _read_small(path, MAX_NOTE_SIZE).decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"--since {path} is not a checkpoint note") from e
    except InputError as e:
        raise InputError(f"--since: {e}") from None
    try:
        opened = open_checkpoint(text, verifier, origin=origin)
    except NoteError as e:
        if pins.log is None:
            raise  # the store's own log key disagrees with the auditor's checkpoint
        raise InputError(f"--since {path} is not a checkpoint of the pinned --vkey: {e}") from e
    checkpoint = opened.checkpoint
    if checkpoint.size > store.size():
        raise VerificationError(
            f"the trusted checkpoint has {checkpoint.size} leaves but the log only "
            f"{store.size()}: it was truncated"
        )
    return Trusted(checkpoint.size, checkpoint.root_hash), text


@click.command("submit")
@click.argument("envelope_file", type=click.File("rb"))
@store_option
@json_option
@handle_errors
def submit(envelope_file: Any, store_dir: Location, as_json: bool) -> None:
    """Append a statement signed elsewhere: a DSSE envelope file ('-' for stdin).

    \b
    Example:
      prov submit statement.dsse.json
    """
    raw = envelope_file.read(MAX_ENVELOPE_BYTES + 1)
    if len(raw) > MAX_ENVELOPE_BYTES:
        fail(f"envelope is over {MAX_ENVELOPE_BYTES} bytes")
    with open_store(store_dir) as store:
        receipt = store.append(raw)
        kind = store.statement(receipt.statement_id).statement.kind
    print_receipt(receipt, kind, as_json)


COMMANDS = [init, verify, submit]
