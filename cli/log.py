"""``prov log``: the store's transparency log on the command line.

``prov log`` signs checkpoints of the store's Merkle log, writes inclusion and
consistency proofs, and checks them offline (no store, only the log's verifier
key). ``prov witness`` (:mod:`.witness`) is the other side: a witness checks a
checkpoint (the log's signature, and consistency with the last checkpoint it
cosigned) before it cosigns it. Formats: C2SP signed-note, tlog-checkpoint,
tlog-cosignature and tlog-proof, plus the small consistency-proof file
described in ``prov log consistency``.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from provenance import (
    InputError,
    Location,
    NoteError,
    Store,
    StoredCheckpoint,
    VerificationError,
    add_cosignature,
    decode_base64,
    find_checkpoint,
    is_valid_key_name,
    log_identity,
    log_vkey,
    rotate_log_key,
    set_witness_policy,
    sign_checkpoint,
    stored_checkpoints,
    verified_cosignatures,
    witness_policy,
)
from provenance.log import (
    COSIGNATURE_V1,
    ED25519,
    HASH_SIZE,
    Checkpoint,
    SignedCheckpoint,
    Verifier,
    format_tlog_proof,
    leaf_hash,
    open_checkpoint,
    open_note,
    parse_tlog_proof,
    parse_verifier_key,
    verify_consistency,
    verify_inclusion,
)

from .context import (
    EXIT_BAD_INPUT,
    EXIT_VERIFY_FAILED,
    echo_json,
    fail,
    handle_errors,
    json_option,
    keyring,
    keys_option,
    load_key,
    new_passphrase,
    store_option,
)
from .output import force_option, out_option, read_input, write_output

MAX_INPUT_BYTES = 16 * 1024 * 1024
"""The largest note, proof or entry file read (a note is at most 1 MiB)."""

DEFAULT_LOG_KEY = "root-log"
"""The log key ``prov init`` makes with the default ``--key-name root``."""

CONSISTENCY_HEADER = "prov-consistency/v1"
"""First line of a consistency-proof file."""

_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")


# -- small helpers ----------------------------------------------------------------


def _failed(message: str) -> NoReturn:
    """Print a verification verdict ``FAILED: ...`` and exit 1."""
    click.echo(f"FAILED: {message}")
    sys.exit(EXIT_VERIFY_FAILED)


def _read_bytes(path: Path, what: str) -> bytes:
    """A file's bytes ('-' is stdin); exit 2 naming the file if it cannot be read."""
    # Notes, proofs, entries and keys are small: a bound keeps /dev/zero out.
    return read_input(path, what, limit=MAX_INPUT_BYTES)


def read_text_file(path: Path, what: str) -> str:
    """A UTF-8 text file ('-' is stdin); exit 2 if it cannot be read or decoded."""
    data = _read_bytes(path, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        fail(f"{what} {path} is not UTF-8 text", EXIT_BAD_INPUT)


def parse_vkey(vkey: str, option: str, key_type: int) -> Verifier:
    """Parse a verifier key given on the command line and check its signature type."""
    try:
        verifier = parse_verifier_key(vkey)
    except InputError as e:
        fail(f"{option}: {e}", EXIT_BAD_INPUT)
    if verifier.key_type != key_type:
        wanted = (
            "an Ed25519 (0x01) log verifier key"
            if key_type == ED25519
            else "a cosignature/v1 (0x04) witness verifier key"
        )
        fail(f"{option} {vkey} is not {wanted}", EXIT_BAD_INPUT)
    return verifier


def _witnesses(vkeys: tuple[str, ...], quorum: int | None) -> tuple[list[Verifier], int]:
    """Distinct witness verifiers and the quorum (default: all of them)."""
    witnesses: list[Verifier] = []
    for vkey in vkeys:
        w = parse_vkey(vkey, "--witness", COSIGNATURE_V1)
        if w not in witnesses:
            witnesses.append(w)
    if quorum is None:
        return witnesses, len(witnesses)
    if not witnesses:
        fail("--quorum needs at least one --witness", EXIT_BAD_INPUT)
    if not 1 <= quorum <= len(witnesses):
        fail(f"--quorum must be between 1 and {len(witnesses)} (the witnesses given)")
    return witnesses, quorum


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _full_note(cp: StoredCheckpoint) -> str:
    """The checkpoint note with every recorded cosignature line appended."""
    return cp.note + "".join(line for _, _, line, _ in cp.cosignatures)


def _count_cosigners(signed: SignedCheckpoint, witnesses: list[Verifier]) -> list[str]:
    """Names of the given witnesses whose cosignature verified in ``signed``."""
    found = {(s.name, s.key_id) for s in signed.note.signatures if s.timestamp is not None}
    return [w.name for w in witnesses if (w.name, w.key_id) in found]


# -- the consistency-proof file -----------------------------------------------------


def format_consistency_proof(old: int, new: int, hashes: list[bytes]) -> str:
    """The ``prov-consistency/v1`` text of a consistency proof (see ``prov log consistency``)."""
    lines = [CONSISTENCY_HEADER, f"old {old}", f"new {new}", *(_b64(h) for h in hashes)]
    return "".join(f"{line}\n" for line in lines)


def parse_consistency_proof(text: str) -> tuple[int, int, list[bytes]]:
    """Parse a ``prov-consistency/v1`` file strictly: ``(old, new, hashes)``.

    Raises:
        InputError: naming the first thing that is malformed.
    """
    if not text.endswith("\n"):
        raise InputError("consistency proof must end with a newline")
    lines = text[:-1].split("\n")
    if lines[0] != CONSISTENCY_HEADER:
        raise InputError(f"consistency proof does not start with {CONSISTENCY_HEADER!r}")
    sizes = []
    for number, word in ((2, "old"), (3, "new")):
        line = lines[number - 1] if len(lines) >= number else ""
        value = line.removeprefix(f"{word} ")
        if not line.startswith(f"{word} ") or not _DECIMAL.fullmatch(value):
            raise InputError(f"consistency proof line {number} is not '{word} <decimal size>'")
        sizes.append(int(value))
    hashes = []
    for number, line in enumerate(lines[3:], start=4):
        h = decode_base64(line)
        if h is None or len(h) != HASH_SIZE:
            raise InputError(f"consistency proof line {number} is not a base64 SHA-256 hash")
        hashes.append(h)
    return sizes[0], sizes[1], hashes


# -- the witness policy -------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """Trust a checkpoint once ``quorum`` of ``witnesses`` cosigned it."""

    witnesses: tuple[Verifier, ...]
    quorum: int

    def to_json(self) -> dict[str, Any]:
        """The stored form: ``{"witnesses": [vkey, ...], "quorum": K}``."""
        return {"witnesses": [w.vkey for w in self.witnesses], "quorum": self.quorum}


def read_policy(store: Store) -> Policy | None:
    """The store's witness policy, or None if none was set."""
    found = witness_policy(store)  # parsed strictly: the store may be hostile
    return None if found is None else Policy(*found)


def _cosigned_by(cp: StoredCheckpoint, log: Verifier, policy: Policy) -> list[str]:
    """Names of the policy's witnesses whose recorded cosignature verifies on ``cp``."""
    names = []
    for w in policy.witnesses:
        line = next(
            (
                ln
                for name, kid, ln, _ in cp.cosignatures
                if (name, kid) == (w.name, f"{w.key_id:08x}")
            ),
            None,
        )
        if line is None:
            continue
        try:
            opened = open_note(cp.note + line, [log, w])
        except (NoteError, InputError):
            continue
        if any((s.name, s.key_id) == (w.name, w.key_id) for s in opened.signatures):
            names.append(w.name)
    return names


# -- prov log -----------------------------------------------------------------------


@click.group("log")
def log_group() -> None:
    """The store's append-only Merkle log: checkpoints, proofs, witnesses.

    Every statement is a leaf (leaf N is the statement at position N, its
    entry the stored envelope bytes). Signed checkpoints commit to the whole
    log; proofs show a statement is in it, or that a later checkpoint extends
    an earlier one, and are checked offline with the log's verifier key.

    \b
    Example:
      prov log checkpoint --store ./store
      prov log prove 3b0c9f1a --out finding.proof
      prov log check-proof finding.proof finding.entry --vkey "$(prov log vkey)"
    """


@log_group.command("init")
@click.option("--origin", required=True, help="The log's origin line, e.g. example.org/prov.")
@click.option(
    "--key-name",
    envvar="PROV_LOG_KEY",
    default=DEFAULT_LOG_KEY,
    show_default=True,
    help="Name of the new log key file (env PROV_LOG_KEY).",
)
@click.option("--encrypt", is_flag=True, help="Prompt for a passphrase (or set PROV_PASSPHRASE).")
@store_option
@keys_option
@handle_errors
def log_init(
    origin: str, key_name: str, encrypt: bool, store_dir: Location, keys_dir: Path | None
) -> None:
    """Give a store without one (e.g. made by 'prov import') a log key and origin.

    Creates the key KEY_NAME in the keys directory and records the log's
    origin and verifier key in the store. A log keeps its identity: a store
    whose log is already set up is refused.

    \b
    Example:
      prov log init --origin example.org/prov-copy --store ./copy
    """
    if not is_valid_key_name(origin):
        fail(f"--origin {origin!r} may not be empty or contain spaces or '+'")
    with Store.open(store_dir) as store:
        if "log_origin" in store.meta:
            fail(f"this store's log is already set up (origin {store.meta['log_origin']})")
        ring = keyring(keys_dir)
        key = ring.create(key_name, new_passphrase(encrypt))
        try:
            store.configure_log(origin, log_vkey(origin, key))
        except Exception:
            ring.path_of(key_name).unlink(missing_ok=True)
            raise
        click.echo(f"log key {ring.path_of(key_name)} (origin {origin})")
        click.echo(f"verifier key {store.meta['log_vkey']}")


@log_group.command("vkey")
@store_option
@handle_errors
def log_vkey_cmd(store_dir: Location) -> None:
    """Print the log's signed-note verifier key (NAME+KEYID+BASE64).

    Give it to whoever checks proofs offline ('prov log check-proof --vkey')
    and to witnesses ('prov witness cosign --vkey').

    \b
    Example:
      prov log vkey --store ./store > log.vkey
    """
    with Store.open(store_dir) as store:
        _, verifier = log_identity(store)
    click.echo(verifier.vkey)


def _checkpoint_json(cp: StoredCheckpoint) -> dict[str, Any]:
    return {
        "id": cp.id,
        "size": cp.size,
        "root": _b64(cp.root),
        "signed_at": cp.signed_at,
        "note": _full_note(cp),
    }


@log_group.command("checkpoint")
@click.option(
    "--log-key",
    envvar="PROV_LOG_KEY",
    default=DEFAULT_LOG_KEY,
    show_default=True,
    help="The log's signing key (env PROV_LOG_KEY); 'prov init' made KEY_NAME-log.",
)
@click.option("--show", is_flag=True, help="List the stored checkpoints instead of signing one.")
@store_option
@keys_option
@json_option
@handle_errors
def log_checkpoint(
    log_key: str, show: bool, store_dir: Location, keys_dir: Path | None, as_json: bool
) -> None:
    """Sign and store a checkpoint of the log as it is now; print the signed note.

    The note is a C2SP tlog-checkpoint (origin, size, base64 root) signed
    with the log key. With --show, list every stored checkpoint instead:
    size, root, signing time, the witnesses that cosigned it and, under the
    witness policy ('prov log policy'), whether it is trusted.

    \b
    Example:
      prov log checkpoint --store ./store > checkpoint.note
      prov log checkpoint --show --store ./store
    """
    with Store.open(store_dir) as store:
        _, log = log_identity(store)
        if show:
            _show_checkpoints(store, log, as_json)
            return
        ring = keyring(keys_dir)
        if not ring.path_of(log_key).exists():
            fail(
                f"no log key {log_key!r} in {ring.directory}: pass --log-key NAME "
                "(the KEY_NAME-log key made by 'prov init') or set PROV_LOG_KEY"
            )
        cp = sign_checkpoint(store, load_key(keys_dir, log_key))
    if as_json:
        echo_json(_checkpoint_json(cp))
    else:
        click.echo(cp.note, nl=False)


def _show_checkpoints(store: Store, log: Verifier, as_json: bool) -> None:
    policy = read_policy(store)
    listed = []
    for cp in stored_checkpoints(store):
        trusted_by = None if policy is None else _cosigned_by(cp, log, policy)
        listed.append(
            {
                **_checkpoint_json(cp),
                "cosigners": [
                    {"witness": name, "key_id": kid, "time": stamp}
                    for name, kid, _, stamp in cp.cosignatures
                ],
                "policy_cosigners": trusted_by,
                "trusted": None if policy is None else len(trusted_by or []) >= policy.quorum,
            }
        )
    if as_json:
        echo_json({"policy": None if policy is None else policy.to_json(), "checkpoints": listed})
        return
    if not listed:
        click.echo("no checkpoints yet: run 'prov log checkpoint'")
    for item in listed:
        cosigners = ", ".join(c["witness"] for c in item["cosigners"]) or "none"
        if policy is None:
            verdict = "no witness policy"
        else:
            count = len(item["policy_cosigners"] or [])
            word = "trusted" if item["trusted"] else "not trusted"
            verdict = (
                f"{word} ({count} of {len(policy.witnesses)} policy witnesses cosigned, "
                f"{policy.quorum} required)"
            )
        click.echo(
            f"size {item['size']}  root {item['root']}  signed {item['signed_at']}  "
            f"cosigners: {cosigners}  {verdict}"
        )


@log_group.command("policy")
@click.option(
    "--witness",
    "witness_vkeys",
    multiple=True,
    metavar="VKEY",
    help="A witness's cosignature verifier key (from 'prov witness vkey'); repeatable.",
)
@click.option("--quorum", type=int, help="How many of the witnesses must cosign.")
@store_option
@json_option
@handle_errors
def log_policy(
    witness_vkeys: tuple[str, ...], quorum: int | None, store_dir: Location, as_json: bool
) -> None:
    """Set the witness policy: a checkpoint is trusted once QUORUM of these cosigned.

    The policy is stored in the store (replacing any earlier one) and used by
    'prov log checkpoint --show'. Without --witness, print the current policy.

    \b
    Example:
      prov log policy --witness "$(cat w1.vkey)" --witness "$(cat w2.vkey)" --quorum 2
    """
    with Store.open(store_dir) as store:
        if not witness_vkeys:
            if quorum is not None:
                fail("--quorum needs at least one --witness")
            policy = read_policy(store)
        else:
            if quorum is None:
                fail("--quorum is required with --witness")
            witnesses, k = _witnesses(witness_vkeys, quorum)
            set_witness_policy(store, witnesses, k)
            policy = read_policy(store)
    if as_json:
        echo_json(None if policy is None else policy.to_json())
    elif policy is None:
        click.echo("no witness policy")
    else:
        click.echo(f"trusted once {policy.quorum} of {len(policy.witnesses)} witnesses cosigned:")
        for w in policy.witnesses:
            click.echo(f"  {w.vkey}")


@log_group.command("rotate-key")
@click.option(
    "--log-key",
    envvar="PROV_LOG_KEY",
    default=DEFAULT_LOG_KEY,
    show_default=True,
    help="The log's current signing key (env PROV_LOG_KEY).",
)
@click.option("--new-key", required=True, help="Name of the new log key to create.")
@click.option("--encrypt", is_flag=True, help="Prompt for a passphrase (or set PROV_PASSPHRASE).")
@store_option
@keys_option
@handle_errors
def log_rotate_key(
    log_key: str, new_key: str, encrypt: bool, store_dir: Path, keys_dir: Path | None
) -> None:
    """Hand the log over to a new key, linking the two with a checkpoint both sign.

    Creates NEW_KEY in the keys directory and signs, with the old and the new
    key, a transition checkpoint whose text names the new verifier key
    (extension line 'prov-log-key VKEY'). Earlier checkpoints are
    countersigned by the new key; the store records the new verifier key and
    keeps the old ones. Bundles and proofs signed by the old key still verify
    with it, and a verifier holding the old key follows the transition to the
    new one (docs/spec/bundle.md). Sign later checkpoints with --log-key NEW_KEY.

    \b
    Example:
      prov log rotate-key --log-key root-log --new-key root-log-2025
    """
    ring = keyring(keys_dir)
    if ring.path_of(new_key).exists():
        fail(f"key {new_key!r} already exists in {ring.directory}")
    with Store.open(store_dir) as store:
        log_identity(store)
        old = load_key(keys_dir, log_key)
        new = ring.create(new_key, new_passphrase(encrypt))
        try:
            cp = rotate_log_key(store, old, new)
        except Exception:
            ring.path_of(new_key).unlink(missing_ok=True)
            raise
        click.echo(f"new log key {ring.path_of(new_key)}")
        click.echo(f"verifier key {store.meta['log_vkey']}")
    click.echo(cp.note, nl=False)


@log_group.command("prove")
@click.argument("statement_id", metavar="ID")
@click.option(
    "--checkpoint",
    "size",
    type=int,
    help="The size of the stored checkpoint to prove against (default: the latest).",
)
@out_option("Write to FILE, not stdout ('-': stdout); never over a file without --force.")
@force_option
@click.option(
    "--witness",
    "witness_vkeys",
    multiple=True,
    metavar="VKEY",
    help="A witness key whose cosignatures may be included, besides the witness policy's.",
)
@store_option
@handle_errors
def log_prove(
    statement_id: str,
    size: int | None,
    out: Path | None,
    force: bool,
    witness_vkeys: tuple[str, ...],
    store_dir: Location,
) -> None:
    """Write a C2SP tlog-proof that statement ID is in the log.

    ID is a statement id or a unique prefix (8+ hex). The proof holds the
    leaf index, the inclusion proof hashes and the signed checkpoint (with
    the recorded cosignatures that verify under a known witness key: the
    witness policy's or a --witness; others are left out, said on stderr).
    Check it offline with 'prov log check-proof' and the statement's entry
    ('prov log entry --raw').

    \b
    Example:
      prov log prove 3b0c9f1a --out finding.proof
      prov log entry 3b0c9f1a --raw --out finding.entry
    """
    given = [parse_vkey(v, "--witness", COSIGNATURE_V1) for v in witness_vkeys]
    with Store.open(store_dir) as store:
        sid = store.resolve_statement(statement_id)
        record = store.statement(sid)
        cp = find_checkpoint(store, size)
        policy = witness_policy(store)
        if record.position >= cp.size:
            fail(
                f"statement {sid[:12]} is leaf {record.position}, not in the checkpoint of "
                f"size {cp.size}: sign a newer checkpoint ('prov log checkpoint')"
            )
        hashes = store.log_inclusion(record.position, cp.size)
    # The proof must hold before it is handed out; a failure here means damage.
    verify_inclusion(leaf_hash(record.envelope.raw), record.position, cp.size, hashes, cp.root)
    # Never hand out a cosignature line that a known witness key does not verify.
    lines = verified_cosignatures(cp, [*given, *(policy[0] if policy else ())])
    if len(lines) < len(cp.cosignatures):
        click.echo(
            f"note: left out {len(cp.cosignatures) - len(lines)} recorded cosignature line(s) "
            "that no known witness key verifies (set 'prov log policy' or pass --witness)",
            err=True,
        )
    text = format_tlog_proof(record.position, hashes, cp.note + "".join(lines))
    write_output(text.encode("utf-8"), out, force=force)


@log_group.command("consistency")
@click.argument("old", type=int)
@click.argument("new", type=int)
@out_option("Write to FILE, not stdout ('-': stdout); never over a file without --force.")
@force_option
@store_option
@handle_errors
def log_consistency(old: int, new: int, out: Path | None, force: bool, store_dir: Location) -> None:
    """Write a proof that the checkpoint of size NEW extends that of size OLD.

    Both sizes must be those of stored checkpoints. The file is UTF-8 text,
    each line ending in LF:

    \b
      prov-consistency/v1
      old <OLD, decimal, no leading zeros>
      new <NEW, decimal, no leading zeros>
      <base64 hash>      one line per proof hash (RFC 9162 2.1.4 order), 0 or more

    Hashes are standard padded base64 of 32 bytes; nothing else follows.
    Check it offline with 'prov log check-consistency', or hand it to a
    witness ('prov witness cosign --proof').

    \b
    Example:
      prov log consistency 12 40 --out 12-40.consistency
    """
    if old > new:
        fail(f"OLD ({old}) must not be greater than NEW ({new})")
    with Store.open(store_dir) as store:
        first = find_checkpoint(store, old)
        second = find_checkpoint(store, new)
        hashes = store.log_consistency(old, new)
    verify_consistency(old, new, hashes, first.root, second.root)
    write_output(format_consistency_proof(old, new, hashes).encode("ascii"), out, force=force)


@log_group.command("entry")
@click.argument("statement_id", metavar="ID")
@click.option("--raw", is_flag=True, help="Write the entry bytes exactly (the stored envelope).")
@out_option("Write to FILE, not stdout ('-': stdout); never over a file without --force.")
@force_option
@store_option
@json_option
@handle_errors
def log_entry(
    statement_id: str, raw: bool, out: Path | None, force: bool, store_dir: Location, as_json: bool
) -> None:
    """Show the log leaf of statement ID; with --raw, write its entry bytes exactly.

    The entry is the statement's stored envelope (RFC 8785 DSSE JSON); its
    leaf hash is SHA-256(0x00 || entry). Without --raw, print the leaf index,
    the leaf hash and the entry's length.

    \b
    Example:
      prov log entry 3b0c9f1a --raw --out finding.entry
    """
    with Store.open(store_dir) as store:
        record = store.statement(store.resolve_statement(statement_id))
    entry = record.envelope.raw
    if raw:
        write_output(entry, out, force=force)
        return
    info = {
        "statement_id": record.statement_id,
        "leaf": record.position,
        "leaf_hash": _b64(leaf_hash(entry)),
        "bytes": len(entry),
    }
    if as_json:
        text = json.dumps(info, indent=2) + "\n"
    else:
        text = "".join(f"{k.replace('_', ' ')}: {v}\n" for k, v in info.items())
    write_output(text.encode("utf-8"), out, force=force)


@log_group.command("check-proof")
@click.argument("proof_file", metavar="PROOF", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("entry_file", metavar="ENTRY", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--vkey", required=True, help="The log's verifier key (from 'prov log vkey').")
@click.option(
    "--witness",
    "witness_vkeys",
    multiple=True,
    metavar="VKEY",
    help="A witness whose cosignature counts towards --quorum; repeatable.",
)
@click.option("--quorum", type=int, help="Witness cosignatures required (default: all given).")
@handle_errors
def log_check_proof(
    proof_file: Path,
    entry_file: Path,
    vkey: str,
    witness_vkeys: tuple[str, ...],
    quorum: int | None,
) -> None:
    """Check offline that ENTRY is in the log, by a tlog-proof file; no store needed.

    Hashes ENTRY's bytes as a leaf, checks the proof's checkpoint is signed
    by --vkey (and cosigned by --quorum of the --witness keys, if given) and
    that the inclusion proof leads to its root. Prints 'OK: ...' and exits 0;
    'FAILED: ...' and exit 1 if anything does not verify; exit 2 if a file
    cannot be read or is not a tlog-proof.

    \b
    Example:
      prov log check-proof finding.proof finding.entry --vkey "$(cat log.vkey)"
    """
    log = parse_vkey(vkey, "--vkey", ED25519)
    witnesses, k = _witnesses(witness_vkeys, quorum)
    text = read_text_file(proof_file, "proof")
    entry = _read_bytes(entry_file, "entry")
    try:
        proof = parse_tlog_proof(text)
    except NoteError as e:
        fail(f"{proof_file} is not a tlog-proof: {e}")
    try:
        signed = open_checkpoint(proof.checkpoint, log, witnesses=witnesses)
        cosigners = _count_cosigners(signed, witnesses)
        if len(cosigners) < k:
            _failed(f"the checkpoint has {len(cosigners)} of the {k} required witness cosignatures")
        cp = signed.checkpoint
        verify_inclusion(leaf_hash(entry), proof.index, cp.size, list(proof.hashes), cp.root_hash)
    except VerificationError as e:
        _failed(str(e))
    except InputError as e:  # e.g. two witness keys sharing the log key's name and id
        fail(str(e))
    click.echo(f"OK: entry is leaf {proof.index} of {cp.origin} at size {cp.size}")
    if witnesses:
        click.echo(
            f"cosigned by {len(cosigners)} of {len(witnesses)} witnesses: " + ", ".join(cosigners)
        )


def _open_checkpoint_file(path: Path, log: Verifier) -> Checkpoint:
    text = read_text_file(path, "checkpoint")
    try:
        return open_checkpoint(text, log).checkpoint
    except VerificationError as e:
        _failed(f"{path}: {e}")


@log_group.command("check-consistency")
@click.argument(
    "old_file", metavar="OLD_CHECKPOINT", type=click.Path(dir_okay=False, path_type=Path)
)
@click.argument(
    "new_file", metavar="NEW_CHECKPOINT", type=click.Path(dir_okay=False, path_type=Path)
)
@click.argument("proof_file", metavar="PROOF", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--vkey", required=True, help="The log's verifier key (from 'prov log vkey').")
@handle_errors
def log_check_consistency(old_file: Path, new_file: Path, proof_file: Path, vkey: str) -> None:
    """Check offline that NEW_CHECKPOINT extends OLD_CHECKPOINT; no store needed.

    Both checkpoint notes must be signed by --vkey; PROOF is a
    prov-consistency/v1 file (see 'prov log consistency') whose sizes must be
    the checkpoints' sizes. Prints 'OK: ...' and exits 0; 'FAILED: ...' and
    exit 1 if anything does not verify; exit 2 if a file cannot be read or
    is malformed.

    \b
    Example:
      prov log check-consistency 12.note 40.note 12-40.consistency --vkey "$(cat log.vkey)"
    """
    log = parse_vkey(vkey, "--vkey", ED25519)
    first = _open_checkpoint_file(old_file, log)
    second = _open_checkpoint_file(new_file, log)
    try:
        old, new, hashes = parse_consistency_proof(read_text_file(proof_file, "proof"))
    except InputError as e:
        fail(f"{proof_file}: {e}")
    if (old, new) != (first.size, second.size):
        _failed(
            f"the proof is from size {old} to {new}, the checkpoints are of sizes "
            f"{first.size} and {second.size}"
        )
    try:
        verify_consistency(old, new, hashes, first.root_hash, second.root_hash)
    except VerificationError as e:
        _failed(str(e))
    click.echo(f"OK: {second.origin} at size {new} extends size {old}")


@log_group.command("cosigned")
@click.argument("size", metavar="CHECKPOINT_SIZE", type=int)
@click.argument("line_file", metavar="LINE_FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--witness", "witness_vkey", required=True, help="The witness's verifier key.")
@store_option
@handle_errors
def log_cosigned(size: int, line_file: Path, witness_vkey: str, store_dir: Location) -> None:
    """Record a witness's cosignature line (from 'prov witness cosign') on a checkpoint.

    The line must verify with the witness's key over the stored checkpoint of
    CHECKPOINT_SIZE (the latest one of that size); LINE_FILE may be '-'.

    \b
    Example:
      prov log cosigned 40 w1.cosig --witness "$(cat w1.vkey)"
    """
    witness = parse_vkey(witness_vkey, "--witness", COSIGNATURE_V1)
    lines = read_text_file(line_file, "cosignature").rstrip("\n").split("\n")
    if len(lines) != 1 or not lines[0]:
        fail(f"{line_file} must hold exactly one cosignature line")
    with Store.open(store_dir) as store:
        cp = find_checkpoint(store, size)
        stamp = add_cosignature(store, cp, witness, lines[0] + "\n")
    click.echo(
        f"recorded {witness.name}'s cosignature (time {stamp}) of the checkpoint of size {size}"
    )


COMMANDS = [log_group]
