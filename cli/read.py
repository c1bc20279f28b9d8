"""Commands that create a store or keys, and commands that read."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import click

from provenance.audit import Trusted, audit
from provenance.authoring import default_origin, init_store
from provenance.errors import InputError, NoteError, StoreError, VerificationError
from provenance.ids import is_subject_id
from provenance.log.checkpoint import open_checkpoint
from provenance.log.note import MAX_NOTE_SIZE, is_valid_key_name
from provenance.projections.history import entries as history_entries
from provenance.rules import strict_json
from provenance.store import Store
from provenance.store.checkpoints import log_identity, witness_policy
from provenance.store.location import Location
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
from .render import render_history, render_subject


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


@click.group("key")
def key_group() -> None:
    """Create signing keys (kept outside the store).

    \b
    Example:
      prov key new alice
    """


@key_group.command("new")
@click.argument("name")
@click.option("--encrypt", is_flag=True, help="Prompt for a passphrase (or set PROV_PASSPHRASE).")
@keys_option
@json_option
@handle_errors
def key_new(name: str, encrypt: bool, keys_dir: Path | None, as_json: bool) -> None:
    """Create a new Ed25519 key NAME in the keys directory (PKCS#8 PEM, mode 0600).

    \b
    Example:
      prov key new alice --keys ~/.config/prov/keys
    """
    ring = keyring(keys_dir)
    key = ring.create(name, new_passphrase(encrypt))
    if as_json:
        echo_json(
            {
                "name": name,
                "path": str(ring.path_of(name)),
                "key_id": key.key_id,
                "public_key": key.public_b64,
            }
        )
        return
    click.echo(f"created key {ring.path_of(name)}")
    click.echo(f"key id     {key.key_id}")
    click.echo(f"public key {key.public_b64}")


def _lookup(store: Store, ident: str) -> tuple[str, Any]:
    """Resolve a subject id or a statement id (prefix) to ('subject'|'statement', value)."""
    if is_subject_id(ident):
        state = store.views.subject(ident)
        if state is not None:
            return "subject", state
    try:
        sid = store.resolve_statement(ident)
    except StoreError:
        raise StoreError(f"no subject or statement {ident!r} in this store") from None
    return "statement", sid


def as_of_option(func: Any) -> Any:
    """``--as-of WHEN``: a position in the store's order, or a UTC time."""
    return click.option(
        "--as-of",
        "as_of",
        help="Show the record as it stood then: a position (e.g. 12) or a UTC time "
        "(2024-12-10, 2024-12-10T15:00:00Z), mapped to the last statement recorded by then.",
    )(func)


def resolve(store: Store, as_of: str | None) -> int | None:
    """The position an ``--as-of`` value names (None for now)."""
    return None if as_of is None else store.resolve_as_of(as_of)


def say_position(store: Store, position: int | None) -> str:
    """One line saying which point of the record a view shows."""
    if position is None:
        position = store.size() - 1
        prefix = "now"
    else:
        prefix = "as of"
    row = store.index_range(position, 1)[0]
    return f"({prefix} position {position}, recorded {row.received_at})"


@click.command("show")
@click.argument("ident")
@as_of_option
@store_option
@json_option
@handle_errors
def show(ident: str, as_of: str | None, store_dir: Location, as_json: bool) -> None:
    """Show a subject's state, or one statement (by id or unique prefix).

    With --as-of, the subject exactly as the record stood then.

    \b
    Example:
      prov show finding-rapid-use
      prov show finding-rapid-use --as-of 2024-12-10
      prov show 3f9a0c1b --json
    """
    with open_store(store_dir) as store:
        position = resolve(store, as_of)
        if is_subject_id(ident) and store.subject_type(ident) is not None:
            state = store.subject_state(ident, as_of=position)
            if state is None:
                fail(f"{ident} did not exist yet at position {position}")
            if as_json:
                echo_json({**state, "as_of": position} if position is not None else state)
            else:
                click.echo(render_subject(store, state))
                click.echo(say_position(store, position))
            return
        _, sid = _lookup(store, ident)
        rec = store.statement(sid)
        if position is not None and rec.position > position:
            fail(f"statement {sid[:12]} was recorded at position {rec.position}, after {position}")
        shown = history_entries(store.subject_records(rec.subject, as_of=position))
        row = next(e for e in shown if e["statement_id"] == sid)
        payload = strict_json.loads(rec.envelope.payload, "the stored payload")
        if as_json:
            echo_json({**row, "payload": payload, "envelope": rec.envelope.raw.decode()})
            return
        click.echo(render_history([row]))
        click.echo(json.dumps(payload["body"], indent=2, ensure_ascii=False))


@click.command("history")
@click.argument("subject")
@as_of_option
@store_option
@json_option
@handle_errors
def history(subject: str, as_of: str | None, store_dir: Location, as_json: bool) -> None:
    """Every statement about SUBJECT, in order: what changed, signed by whom, when.

    Retracted and superseded statements stay, struck through (~~like this~~),
    with who withdrew them and why.

    \b
    Example:
      prov history finding-rapid-use
      prov history finding-rapid-use --as-of 14 --json
    """
    with open_store(store_dir) as store:
        position = resolve(store, as_of)
        found = history_entries(store.subject_records(subject, as_of=position))
        if not found:
            fail(
                f"no subject {subject!r} in this store"
                + (f" at position {position}" if position is not None else "")
            )
        if as_json:
            echo_json(found)
        else:
            click.echo(render_history(found))
            click.echo(say_position(store, position))


@click.command("list")
@click.option(
    "--kind",
    type=click.Choice(["actor", "evidence", "finding", "challenge", "trace"]),
    help="Only subjects of this kind.",
)
@as_of_option
@store_option
@json_option
@handle_errors
def list_(kind: str | None, as_of: str | None, store_dir: Location, as_json: bool) -> None:
    """List subjects, oldest first (with --as-of, as they stood then).

    \b
    Example:
      prov list --kind finding
      prov list --as-of 2024-12-10
    """
    with open_store(store_dir) as store:
        position = resolve(store, as_of)
        states = store.views.subjects(kind)
        if position is not None:
            past = [
                store.subject_state(s["subject"], as_of=position)
                for s in states
                if s["created"]["position"] <= position
            ]
            states = [s for s in past if s is not None]
    if as_json:
        echo_json(
            [
                {
                    "subject": s["subject"],
                    "type": s["type"],
                    "version": s["version"],
                    "title": _title(s),
                }
                for s in states
            ]
        )
        return
    for s in states:
        click.echo(f"{s['type']:<10} {s['subject']:<28} v{s['version']:<3} {_title(s)}")


def _title(state: dict[str, Any]) -> str:
    t = state["type"]
    if t == "actor":
        return f"{state['name']} ({state['role']})"
    if t == "evidence":
        return f"{state['item_kind']}: {state['title']}"
    if t == "finding":
        claim = state["claim"]
        return f"[{state['status']}] {claim[:60]}{'…' if len(claim) > 60 else ''}"
    if t == "trace":
        return f"[{state['status']}] to {state['addressee']} about {state['target']['type']}"
    return f"[{state['status']}] {state['challenge_kind']} by {state['attributed_to']}"


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


COMMANDS = [init, key_group, show, history, list_, verify]
