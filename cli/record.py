"""Commands that record custody, components, gradings, trace requests, withdrawals and keys.

The evidence and actor subcommands register themselves on the groups of
:mod:`.write`; ``COMMANDS`` holds the top-level ones (``trace``, ``retract``,
``supersede``) for the entry point to add.
"""

from __future__ import annotations

from typing import Any

import click

from provenance.model.fields import CustodyAction, Reliability, TraceStatus
from provenance.store import Store
from provenance.store.location import Location

from .context import fail, handle_errors, load_key, open_store
from .write import Writer, _choices, actor_group, evidence_group, new_id, write_options

# -- evidence: custody, components, grading -------------------------------------


def _changes(values: tuple[str, ...]) -> list[dict[str, str]] | None:
    """``--change "DESCRIPTION|MADE_BY|REASON"`` values as custody change objects."""
    out = []
    for value in values:
        parts = [p.strip() for p in value.split("|")]
        if len(parts) != 3 or not all(parts):
            fail(f"--change {value!r} must look like DESCRIPTION|MADE_BY|REASON")
        description, made_by, reason = parts
        out.append({"description": description, "made_by": made_by, "reason": reason})
    return out or None


@evidence_group.command("custody")
@click.argument("item")
@click.option("--action", required=True, type=_choices(CustodyAction), help="What was done.")
@click.option("--at", "at", required=True, help="When (UTC): 2024-07-15, 2024-07-15T09:30Z, ...")
@click.option("--by", "performed_by", required=True, help="Who did it.")
@click.option("--from", "from_party", help="Who handed it over (required when transferred).")
@click.option(
    "--to", "to_party", help="Who holds it afterwards (required when collected or transferred)."
)
@click.option("--location", help="Where (required when stored).")
@click.option("--purpose", help="Why.")
@click.option("--method", help="How, e.g. 'sealed bag 0042'.")
@click.option("--condition", help="The item's condition.")
@click.option(
    "--change",
    "changes",
    multiple=True,
    help="An unavoidable change to the item: 'DESCRIPTION|MADE_BY|REASON' (repeat).",
)
@write_options
@handle_errors
def evidence_custody(
    item: str,
    action: str,
    at: str,
    performed_by: str,
    from_party: str | None,
    to_party: str | None,
    location: str | None,
    purpose: str | None,
    method: str | None,
    condition: str | None,
    changes: tuple[str, ...],
    writer: Writer,
) -> None:
    """Record one link of ITEM's chain of custody.

    collected needs --to; transferred needs --from and --to; stored needs --location.

    \b
    Example:
      prov evidence custody item-m3 --action transferred --at 2024-08-02 \\
          --by "Field team" --from "Field team" --to "Laboratory" \\
          --method "sealed bag 0042" --change "Swab taken|Lab|Residue analysis" --key alice
    """
    writer.append(
        kind="evidence.custody",
        subject=item,
        body={
            "action": action,
            "at": at,
            "performed_by": performed_by,
            "from_party": from_party,
            "to_party": to_party,
            "location": location,
            "purpose": purpose,
            "method": method,
            "condition": condition,
            "changes": _changes(changes),
        },
    )


@evidence_group.command("component")
@click.argument("item")
@click.option("--part", required=True, help="What the component is, e.g. 'voltage regulator'.")
@click.option("--manufacturer", help="Its manufacturer.")
@click.option("--country", help="The manufacturer's country.")
@click.option("--part-number", help="The part number read on it.")
@click.option("--lot", help="The lot or batch number.")
@click.option("--date-code", help="The date code as read, e.g. '2334'.")
@click.option("--date-code-meaning", help="What the date code is taken to mean.")
@click.option("--notes", help="Anything else.")
@write_options
@handle_errors
def evidence_component(
    item: str,
    part: str,
    manufacturer: str | None,
    country: str | None,
    part_number: str | None,
    lot: str | None,
    date_code: str | None,
    date_code_meaning: str | None,
    notes: str | None,
    writer: Writer,
) -> None:
    """Record a component found in ITEM.

    \b
    Example:
      prov evidence component item-m3 --part "voltage regulator" \\
          --manufacturer "Example Corp" --country "Country X" --part-number LM7805 \\
          --date-code 2334 --date-code-meaning "week 34 of 2023" --key alice
    """
    writer.append(
        kind="evidence.component",
        subject=item,
        body={
            "part": part,
            "manufacturer": manufacturer,
            "country": country,
            "part_number": part_number,
            "lot": lot,
            "date_code": date_code,
            "date_code_meaning": date_code_meaning,
            "notes": notes,
        },
    )


@evidence_group.command("derive")
@click.argument("item")
@click.option(
    "--from", "source", required=True, metavar="SOURCE", help="The evidence item ITEM comes from."
)
@click.option(
    "--relation",
    type=click.Choice(["part-of", "derived-from"]),
    required=True,
    help="part-of: taken from SOURCE (an engine from a wreck); derived-from: made from it "
    "(a working copy of a photograph).",
)
@click.option("--how", help="How it was taken or made.")
@click.option("--at", "at_", metavar="WHEN", help="When (UTC date or time, e.g. 2024-08-21).")
@click.option("--performed-by", help="Who took or made it.")
@write_options
@handle_errors
def evidence_derive(
    item: str,
    source: str,
    relation: str,
    how: str | None,
    at_: str | None,
    performed_by: str | None,
    writer: Writer,
) -> None:
    """Record that ITEM is part of, or derived from, the evidence item SOURCE.

    \b
    Example:
      prov evidence derive item-engine --from item-m3 --relation part-of \\
          --how "Removed from the wreck at the site." --at 2024-08-21 --key alice
    """
    writer.append(
        kind="evidence.derived",
        subject=item,
        body={
            "source": source,
            "relation": relation,
            "how": how,
            "at": at_,
            "performed_by": performed_by,
        },
    )


@evidence_group.command("grade")
@click.argument("item")
@click.option(
    "--reliability",
    required=True,
    type=_choices(Reliability),
    help="Admiralty source reliability: A completely reliable ... F cannot be judged.",
)
@click.option(
    "--credibility",
    required=True,
    type=click.Choice(["1", "2", "3", "4", "5", "6"]),
    help="Admiralty information credibility: 1 confirmed ... 6 cannot be judged.",
)
@click.option("--rationale", required=True, help="Why this grading.")
@write_options
@handle_errors
def evidence_grade(
    item: str,
    reliability: str,
    credibility: str,
    rationale: str,
    writer: Writer,
) -> None:
    """Grade ITEM as a source on the Admiralty scale (e.g. B2).

    \b
    Example:
      prov evidence grade item-m3 --reliability B --credibility 2 \\
          --rationale "Recovered by our own team; consistent with other items." --key alice
    """
    writer.append(
        kind="evidence.graded",
        subject=item,
        body={"reliability": reliability, "credibility": int(credibility), "rationale": rationale},
    )


# -- trace requests -----------------------------------------------------------------


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
@click.option("--status", required=True, type=_choices(TraceStatus), help="The new status.")
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


# -- retraction and supersession ----------------------------------------------------


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


# -- keys -----------------------------------------------------------------------------


@actor_group.command("rotate-key")
@click.argument("actor")
@click.option("--key-of", help="Take the new public key from this key in the keys directory.")
@click.option("--public-key", help="The new Ed25519 public key, base64 of the 32 raw bytes.")
@click.option("--reason", help="Why the key changes.")
@write_options
@handle_errors
def actor_rotate_key(
    actor: str,
    key_of: str | None,
    public_key: str | None,
    reason: str | None,
    writer: Writer,
) -> None:
    """Give ACTOR a new key; its current key signs nothing after this statement.

    Signed (--key) with ACTOR's current key or by an administrator.

    \b
    Example:
      prov key new alice-2025
      prov actor rotate-key alice --key-of alice-2025 --reason "Yearly rotation" --key alice
    """
    if bool(public_key) == bool(key_of):
        fail("give exactly one of --key-of or --public-key")
    if key_of:
        public_key = load_key(writer.keys_dir, key_of).public_b64
    writer.append(
        kind="actor.key_rotated",
        subject=actor,
        body={"public_key": public_key, "reason": reason},
    )


def _actor_key_id(store_dir: Location, actor: str, key_id: str) -> str:
    """A key id of ACTOR from its full form or a unique prefix of 8 or more characters."""
    text = key_id.lower()
    if len(text) == 64:
        return text
    if not 8 <= len(text) < 64 or any(ch not in "0123456789abcdef" for ch in text):
        fail(f"--key-id {key_id!r} is not a key id (8 to 64 hex characters)")
    with open_store(store_dir) as store:
        state = store.subject_state(actor)
    keys: list[Any] = state.get("keys", []) if state and state.get("type") == "actor" else []
    found = [k["key_id"] for k in keys if str(k["key_id"]).startswith(text)]
    if not found:
        fail(f"{actor} has no key with id {key_id}")
    if len(found) > 1:
        fail(f"key id prefix {key_id} is ambiguous; give more characters")
    return str(found[0])


@actor_group.command("revoke-key")
@click.argument("actor")
@click.option(
    "--key-id", required=True, help="The key id to revoke (or a unique prefix of 8 or more)."
)
@click.option("--reason", required=True, help="Why, e.g. 'laptop stolen'.")
@write_options
@handle_errors
def actor_revoke_key(
    actor: str,
    key_id: str,
    reason: str,
    writer: Writer,
) -> None:
    """Revoke a key of ACTOR: statements signed with it after this one are refused.

    What it signed before stays valid. Signed (--key) by ACTOR or an administrator.

    \b
    Example:
      prov actor revoke-key alice --key-id 1e18d1d9 --reason "Laptop stolen" --key root
    """
    writer.append(
        kind="actor.key_revoked",
        subject=actor,
        body={"key_id": _actor_key_id(writer.store_dir, actor, key_id), "reason": reason},
    )


COMMANDS = [trace_group, retract, supersede]
__all__ = ["COMMANDS"]
