"""``prov finding`` (assert, reaffirm, revise) and ``prov assess``."""

from __future__ import annotations

import click

from provenance import Confidence

from .context import handle_errors
from .options import F, Writer, choices, likelihood_option, new_id, write_options


@click.group("finding")
def finding_group() -> None:
    """Assert, reaffirm and revise findings.

    \b
    Example:
      prov finding assert --id finding-1 --claim "..." --evidence item-m1 \\
          --confidence high --key alice
    """


def finding_body_options(func: F) -> F:
    """The fields a finding version has."""
    for option in reversed(
        [
            click.option("--claim", required=True, help="The claim."),
            click.option(
                "--evidence", multiple=True, help="Id of an evidence item it rests on (repeat)."
            ),
            click.option("--limitation", "limitations", multiple=True, help="A stated limitation."),
            click.option(
                "--confidence",
                required=True,
                type=choices(Confidence),
                help="Confidence in the basis of the judgment (kept apart from likelihood).",
            ),
            likelihood_option,
            click.option("--assumption", "assumptions", multiple=True, help="A stated assumption."),
            click.option(
                "--alternative",
                "alternatives",
                multiple=True,
                help="An alternative considered, and why it was judged less likely.",
            ),
        ]
    ):
        func = option(func)
    return func


@finding_group.command("assert")
@click.option("--id", "subject", help="Finding id (default: generated, finding-…).")
@finding_body_options
@write_options
@handle_errors
def finding_assert(
    subject: str | None,
    claim: str,
    evidence: tuple[str, ...],
    limitations: tuple[str, ...],
    confidence: str,
    likelihood: str | None,
    assumptions: tuple[str, ...],
    alternatives: tuple[str, ...],
    writer: Writer,
) -> None:
    """Assert a finding resting on evidence items.

    \b
    Example:
      prov finding assert --id finding-rapid-use --claim "..." \\
          --evidence item-m1 --evidence item-m3 --confidence high \\
          --limitation "The marking gives a year, not a month." --key alice
    """
    writer.append(
        kind="finding.asserted",
        subject=subject or new_id("finding"),
        body={
            "claim": claim,
            "evidence": list(evidence),
            "limitations": list(limitations),
            "confidence": confidence,
            "likelihood": likelihood,
            "assumptions": list(assumptions) or None,
            "alternatives": list(alternatives) or None,
        },
    )


@finding_group.command("reaffirm")
@click.argument("finding")
@click.option("--statement", "text", required=True, help="Why the finding stands.")
@click.option("--observation", "observations", multiple=True, help="An observation (repeat).")
@write_options
@handle_errors
def finding_reaffirm(
    finding: str,
    text: str,
    observations: tuple[str, ...],
    writer: Writer,
) -> None:
    """Reaffirm FINDING unchanged, optionally answering earlier statements (--ref).

    \b
    Example:
      prov finding reaffirm finding-rapid-use --statement "The findings stand." \\
          --observation "..." --ref 3f9a0c1b --key alice
    """
    writer.append(
        kind="finding.reaffirmed",
        subject=finding,
        body={"statement": text, "observations": list(observations)},
    )


@finding_group.command("revise")
@click.argument("finding")
@finding_body_options
@click.option("--reason", required=True, help="Why the finding changed.")
@write_options
@handle_errors
def finding_revise(
    finding: str,
    claim: str,
    evidence: tuple[str, ...],
    limitations: tuple[str, ...],
    confidence: str,
    likelihood: str | None,
    assumptions: tuple[str, ...],
    alternatives: tuple[str, ...],
    reason: str,
    writer: Writer,
) -> None:
    """Revise FINDING: a new version naming (--ref) the statements that prompted it.

    \b
    Example:
      prov finding revise finding-rapid-use --claim "..." --evidence item-m3 \\
          --confidence moderate --reason "..." --ref 3f9a0c1b --key alice
    """
    writer.append(
        kind="finding.revised",
        subject=finding,
        body={
            "claim": claim,
            "evidence": list(evidence),
            "limitations": list(limitations),
            "confidence": confidence,
            "reason": reason,
            "likelihood": likelihood,
            "assumptions": list(assumptions) or None,
            "alternatives": list(alternatives) or None,
        },
    )


@click.command("assess")
@click.argument("finding")
@click.option("--stance", required=True, type=click.Choice(["supports", "contests", "qualifies"]))
@click.option("--confidence", required=True, type=choices(Confidence))
@click.option("--rationale", required=True, help="Why.")
@likelihood_option
@write_options
@handle_errors
def assess(
    finding: str,
    stance: str,
    confidence: str,
    rationale: str,
    likelihood: str | None,
    writer: Writer,
) -> None:
    """Assess FINDING: supports, contests or qualifies it.

    \b
    Example:
      prov assess finding-rapid-use --stance supports --confidence high \\
          --rationale "Independent reading of the marking agrees." --key bob
    """
    writer.append(
        kind="finding.assessed",
        subject=finding,
        body={
            "stance": stance,
            "confidence": confidence,
            "rationale": rationale,
            "likelihood": likelihood,
        },
    )


COMMANDS = [finding_group, assess]
