"""``prov trace``: trace requests sent to manufacturers and others, and their answers."""

from __future__ import annotations

import click

from provenance import Location, TraceStatus

from .context import fail, handle_errors, open_store
from .options import Writer, choices, new_id, write_options


@click.group("trace")
def trace_group() -> None:
    """Trace requests to manufacturers and states, and what became of them.

    \b
    Example:
      prov trace request --target item:item-m3 --to "Example Corp" \\
          --addressee-type manufacturer --question "..." --sent-at 2024-09-01 --key alice
      prov trace update trace-3f9a0c1b2d4e --status answered --at 2024-10-01 \\
          --answer "..." --key alice
    """


def _trace_target(store_dir: Location, target: str) -> dict[str, str]:
    """``item:ID`` or ``component:STATEMENT`` (id or unique prefix) as a trace target."""
    target_type, sep, target_id = target.partition(":")
    if not sep or not target_id or target_type not in ("item", "component"):
        fail(
            f"--target {target!r} must look like item:ID or component:STATEMENT "
            "(a component statement id or unique prefix)"
        )
    if target_type == "component":
        with open_store(store_dir) as store:
            target_id = store.resolve_statement(target_id)
    return {"type": target_type, "id": target_id}


@trace_group.command("request")
@click.option("--id", "subject", help="Trace request id (default: generated, trace-…).")
@click.option(
    "--target",
    required=True,
    help="item:ID, or component:STATEMENT (the id or unique prefix of a component statement).",
)
@click.option("--to", "addressee", required=True, help="Who the request is sent to.")
@click.option(
    "--addressee-type",
    required=True,
    type=click.Choice(["manufacturer", "state", "other"]),
    help="What the addressee is.",
)
@click.option("--question", required=True, help="What is asked.")
@click.option("--sent-at", required=True, help="When it was sent (UTC): 2024-09-01, ...")
@write_options
@handle_errors
def trace_request(
    subject: str | None,
    target: str,
    addressee: str,
    addressee_type: str,
    question: str,
    sent_at: str,
    writer: Writer,
) -> None:
    """Record a trace request about an item or a component (a new trace subject).

    \b
    Example:
      prov trace request --id trace-lm7805 --target component:3f9a0c1b \\
          --to "Example Corp" --addressee-type manufacturer \\
          --question "To whom was lot 2334 sold?" --sent-at 2024-09-01 --key alice
    """
    writer.append(
        kind="trace.requested",
        subject=subject or new_id("trace"),
        body={
            "target": _trace_target(writer.store_dir, target),
            "addressee": addressee,
            "addressee_type": addressee_type,
            "question": question,
            "sent_at": sent_at,
        },
    )


@trace_group.command("update")
@click.argument("trace")
@click.option("--status", required=True, type=choices(TraceStatus), help="The new status.")
@click.option("--at", "at", required=True, help="When (UTC): 2024-10-01, ...")
@click.option("--answer", help="The answer (exactly when the status is answered).")
@write_options
@handle_errors
def trace_update(
    trace: str,
    status: str,
    at: str,
    answer: str | None,
    writer: Writer,
) -> None:
    """Record what became of trace request TRACE.

    sent may become acknowledged, answered, declined or no-response; answered and
    declined close it.

    \b
    Example:
      prov trace update trace-lm7805 --status answered --at 2024-10-01 \\
          --answer "Sold to distributor Y in 2023." --key alice
    """
    writer.append(
        kind="trace.updated",
        subject=trace,
        body={"status": status, "at": at, "answer": answer},
    )


COMMANDS = [trace_group]
