"""``prov challenge`` and ``prov respond``: challenges raised by parties, and the answers."""

from __future__ import annotations

import click

from provenance import ChallengeKind

from .context import fail, handle_errors, open_store
from .options import Writer, choices, new_id, write_options


@click.command("challenge")
@click.option("--id", "subject", help="Challenge id (default: generated, challenge-…).")
@click.option(
    "--target",
    required=True,
    help="TYPE:ID with TYPE finding, assessment (ID a statement id), actor or organisation.",
)
@click.option("--kind", "challenge_kind", required=True, type=choices(ChallengeKind))
@click.option("--attributed-to", required=True, help="The party that raised it (needs no key).")
@click.option("--claim", required=True, help="What the challenge says.")
@click.option("--source", help="Where it was raised, e.g. a meeting record.")
@write_options
@handle_errors
def challenge(
    subject: str | None,
    target: str,
    challenge_kind: str,
    attributed_to: str,
    claim: str,
    source: str | None,
    writer: Writer,
) -> None:
    """Record a challenge raised by a party, who need not hold a key.

    The signer is whoever records it; --attributed-to names who raised it.

    \b
    Example:
      prov challenge --target organisation:tracer --kind impartiality \\
          --attributed-to "Delegation X" --claim "..." \\
          --source "Security Council meeting record" --key observer
    """
    target_type, sep, target_id = target.partition(":")
    if not sep or not target_id:
        fail(f"--target {target!r} must look like TYPE:ID, e.g. finding:finding-rapid-use")
    if target_type == "assessment" and len(target_id) < 64:
        with open_store(writer.store_dir) as store:
            target_id = store.resolve_statement(target_id)
    writer.append(
        kind="challenge.raised",
        subject=subject or new_id("challenge"),
        body={
            "target": {"type": target_type, "id": target_id},
            "challenge_kind": challenge_kind,
            "attributed_to": attributed_to,
            "claim": claim,
            "source": source,
        },
    )


@click.command("respond")
@click.argument("challenge_id")
@click.option("--stance", required=True, type=click.Choice(["rebuts", "concedes", "clarifies"]))
@click.option("--attributed-to", required=True, help="The party that responded.")
@click.option("--text", required=True, help="What the response says.")
@click.option("--source", help="Where it was said.")
@write_options
@handle_errors
def respond(
    challenge_id: str,
    stance: str,
    attributed_to: str,
    text: str,
    source: str | None,
    writer: Writer,
) -> None:
    """Record a response to CHALLENGE_ID.

    \b
    Example:
      prov respond challenge-impartiality --stance rebuts \\
          --attributed-to "The organisation" --text "..." --key alice
    """
    writer.append(
        kind="challenge.responded",
        subject=challenge_id,
        body={"stance": stance, "attributed_to": attributed_to, "text": text, "source": source},
    )


COMMANDS = [challenge, respond]
