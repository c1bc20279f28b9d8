"""``prov retract`` and ``prov supersede``: withdraw or replace an earlier statement."""

from __future__ import annotations

import click

from provenance import Store

from .context import handle_errors, open_store
from .options import Writer, write_options


def _statement_and_subject(store: Store, ident: str) -> tuple[str, str]:
    """A statement id (from an id or unique prefix) and the subject it belongs to."""
    sid = store.resolve_statement(ident)
    row = store.index_row(sid)
    assert row is not None  # resolve_statement found it in the index
    return sid, row.subject_id


@click.command("retract")
@click.argument("statement")
@click.option("--reason", required=True, help="Why it is withdrawn.")
@write_options
@handle_errors
def retract(
    statement: str,
    reason: str,
    writer: Writer,
) -> None:
    """Retract STATEMENT (an id or unique prefix); it stays in the history, marked.

    Only its author or an administrator may retract it.

    \b
    Example:
      prov retract 3f9a0c1b --reason "The marking was misread." --key alice
    """
    with open_store(writer.store_dir) as store:
        sid, subject = _statement_and_subject(store, statement)
    writer.append(
        kind="statement.retracted",
        subject=subject,
        body={"statement": sid, "reason": reason},
    )


@click.command("supersede")
@click.argument("statement")
@click.option(
    "--by",
    "superseded_by",
    required=True,
    help="The later statement of the same kind and subject that replaces it (id or prefix).",
)
@click.option("--reason", required=True, help="Why it is replaced.")
@write_options
@handle_errors
def supersede(
    statement: str,
    superseded_by: str,
    reason: str,
    writer: Writer,
) -> None:
    """Mark STATEMENT as replaced by a later statement of the same kind and subject.

    \b
    Example:
      prov supersede 3f9a0c1b --by 7c2e9d01 --reason "Re-read under magnification." \\
          --key alice
    """
    with open_store(writer.store_dir) as store:
        sid, subject = _statement_and_subject(store, statement)
        later = store.resolve_statement(superseded_by)
    writer.append(
        kind="statement.superseded",
        subject=subject,
        body={"statement": sid, "superseded_by": later, "reason": reason},
    )


COMMANDS = [retract, supersede]
