"""``prov witness``: check a log's checkpoint, then cosign it.

A witness cosigns a checkpoint only if the log signed it and it provably
extends the last checkpoint the witness cosigned for that log.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from provenance import (
    InputError,
    VerificationError,
    WitnessSeen,
    is_valid_key_name,
    locked_witness_state,
)
from provenance.log import (
    COSIGNATURE_V1,
    ED25519,
    Checkpoint,
    cosign,
    format_verifier_key,
    open_checkpoint,
    verify_consistency,
)

from .context import fail, handle_errors, keyring, keys_option, load_key
from .log import parse_consistency_proof, parse_vkey, read_text_file

WITNESS_STATE = "witness-state.json"
"""A witness's state file name, in its keys directory unless ``--state`` says otherwise."""


@click.group("witness")
def witness_group() -> None:
    """Act as a witness of someone's log: check checkpoints, then cosign them.

    A witness keeps, per log origin, the last checkpoint it cosigned; it
    cosigns a new one only if the log signed it and it provably extends that
    one, so a log cannot show different histories to different people.

    \b
    Example:
      prov witness vkey --key w1 --name witness.example/w1
      prov witness cosign cp.note --key w1 --name witness.example/w1 --vkey "$(cat log.vkey)"
    """


def _witness_key_name(name: str) -> None:
    if not is_valid_key_name(name):
        fail(f"--name {name!r} may not be empty or contain spaces or '+'")


@witness_group.command("vkey")
@click.option("--key", required=True, help="The witness's signing key (name or PEM path).")
@click.option("--name", required=True, help="The witness's name, e.g. witness.example/w1.")
@keys_option
@handle_errors
def witness_vkey(key: str, name: str, keys_dir: Path | None) -> None:
    """Print the witness's cosignature/v1 verifier key (type 0x04) for NAME.

    Give it to the logs you witness ('prov log policy --witness') and to
    whoever checks proofs ('prov log check-proof --witness').

    \b
    Example:
      prov witness vkey --key w1 --name witness.example/w1 > w1.vkey
    """
    _witness_key_name(name)
    signing = load_key(keys_dir, key)
    click.echo(format_verifier_key(name, signing.public_bytes, COSIGNATURE_V1))


def _check_extends(previous: WitnessSeen, cp: Checkpoint, proof_file: Path | None) -> None:
    """Refuse unless ``cp`` provably extends the checkpoint the witness saw before."""
    old, old_root = previous.size, previous.root
    if cp.size < old:
        raise VerificationError(
            f"rollback: {cp.origin} is at size {cp.size}, but size {old} was cosigned before"
        )
    if cp.size == old:
        if cp.root_hash != old_root:
            raise VerificationError(
                f"fork: {cp.origin} at size {old} has another root than the one cosigned before"
            )
        return
    if old == 0:
        return  # every tree extends the empty one
    if proof_file is None:
        fail(
            f"{cp.origin} was cosigned at size {old}: pass --proof with a consistency proof "
            f"from {old} to {cp.size} ('prov log consistency {old} {cp.size}')"
        )
    try:
        p_old, p_new, hashes = parse_consistency_proof(read_text_file(proof_file, "proof"))
    except InputError as e:
        fail(f"{proof_file}: {e}")
    if (p_old, p_new) != (old, cp.size):
        raise VerificationError(
            f"the proof is from size {p_old} to {p_new}, not from the cosigned size {old} "
            f"to {cp.size}"
        )
    verify_consistency(old, cp.size, hashes, old_root, cp.root_hash)


@witness_group.command("cosign")
@click.argument("checkpoint_file", metavar="CHECKPOINT", type=click.Path(path_type=Path))
@click.option("--key", required=True, help="The witness's signing key (name or PEM path).")
@click.option("--name", required=True, help="The witness's name, e.g. witness.example/w1.")
@click.option("--vkey", required=True, help="The log's verifier key.")
@click.option(
    "--proof",
    "proof_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Consistency proof from the last cosigned size (required once one was cosigned).",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"The witness's state file (default KEYS_DIR/{WITNESS_STATE}).",
)
@keys_option
@handle_errors
def witness_cosign(
    checkpoint_file: Path,
    key: str,
    name: str,
    vkey: str,
    proof_file: Path | None,
    state_file: Path | None,
    keys_dir: Path | None,
) -> None:
    """Check a checkpoint note, then print a C2SP cosignature/v1 line for it.

    The note must be signed by the log's key (--vkey). If the state file
    holds an earlier checkpoint of the same origin, the new one must be at
    least as large (smaller is a rollback, refused) and, if larger, --proof
    must prove it extends the earlier one. Then the state records this
    checkpoint (written atomically) and the cosignature line is printed:
    append it to the note, or give it to the log ('prov log cosigned'). The
    state is locked (STATE.lock beside it) from its reading to its writing,
    so cosignings run at once take turns. Keep the state file: a witness that
    loses it will cosign any fork of the logs it witnessed.

    \b
    Example:
      prov witness cosign checkpoint.note --key w1 --name witness.example/w1 \\
          --vkey "$(cat log.vkey)" --proof 12-40.consistency > w1.cosig
    """
    _witness_key_name(name)
    log = parse_vkey(vkey, "--vkey", ED25519)
    signing = load_key(keys_dir, key)
    signed = open_checkpoint(read_text_file(checkpoint_file, "checkpoint"), log)
    cp = signed.checkpoint
    path = state_file or keyring(keys_dir).directory / WITNESS_STATE
    # Read, check and write under the state's lock: two cosignings at once take
    # turns, so the second sees the first (C2SP tlog-witness: never two forks).
    with locked_witness_state(path) as state:
        previous = state.logs.get(cp.origin)
        if previous is not None:
            _check_extends(previous, cp, proof_file)
        line = cosign(signed.note.text, name, signing.private_key, int(time.time()))
        state.logs[cp.origin] = WitnessSeen(cp.size, cp.root_hash)
        state.save()
    click.echo(line, nl=False)


COMMANDS = [witness_group]
