"""Reading the record through time: ``diff``, ``custody`` and ``dispute``."""

from __future__ import annotations

from typing import Any

import click

from provenance.projections.custody import custody_chain
from provenance.projections.dispute import dispute as dispute_view
from provenance.projections.history import entries as history_entries
from provenance.store.location import Location

from .context import echo_json, fail, handle_errors, json_option, open_store, store_option
from .read import as_of_option, resolve, say_position
from .render import render_history, short, strike, withdrawn_line


@click.command("diff")
@click.argument("subject")
@click.option("--from", "start", required=True, help="Position or UTC time (exclusive).")
@click.option("--to", "end", default=None, help="Position or UTC time (inclusive; default now).")
@store_option
@json_option
@handle_errors
def diff(subject: str, start: str, end: str | None, store_dir: Location, as_json: bool) -> None:
    """What changed in SUBJECT between two points, statement by statement.

    \b
    Example:
      prov diff finding-rapid-use --from 2024-11-30 --to 2024-12-31
      prov diff finding-rapid-use --from 10 --json
    """
    with open_store(store_dir) as store:
        first = store.resolve_as_of(start)
        last = store.size() - 1 if end is None else store.resolve_as_of(end)
        if last < first:
            fail(f"--to (position {last}) is before --from (position {first})")
        records = store.subject_records(subject, as_of=last)
        if not records:
            fail(f"no subject {subject!r} in this store at position {last}")
        changed = [e for e in history_entries(records) if e["position"] > first]
        before = store.subject_state(subject, as_of=first)
        after = store.subject_state(subject, as_of=last)
    assert after is not None
    fields = sorted(
        k
        for k in set(after) | set(before or {})
        if k not in ("updated", "version") and (before or {}).get(k) != after.get(k)
    )
    if as_json:
        echo_json(
            {
                "subject": subject,
                "from": first,
                "to": last,
                "statements": changed,
                "fields_changed": fields,
            }
        )
        return
    click.echo(f"{subject}: {len(changed)} statement(s) after position {first}, up to {last}")
    if changed:
        click.echo(render_history(changed))
    click.echo(f"fields changed: {', '.join(fields) if fields else 'none'}")


@click.command("custody")
@click.argument("item")
@as_of_option
@store_option
@json_option
@handle_errors
def custody(item: str, as_of: str | None, store_dir: Location, as_json: bool) -> None:
    """The chain of custody of ITEM, with its gaps and breaks.

    A gap is a period with no known custodian; a break is a transfer from
    someone who did not hold the item.

    \b
    Example:
      prov custody item-m3
      prov custody item-m3 --as-of 2024-09-30 --json
    """
    with open_store(store_dir) as store:
        position = resolve(store, as_of)
        state = store.subject_state(item, as_of=position)
        if state is None or state["type"] != "evidence":
            fail(f"no evidence item {item!r} in this store")
        chain = custody_chain(state)
        where = say_position(store, position)
    if as_json:
        echo_json({**chain, "as_of": position})
        return
    click.echo(f"custody of {item}: {chain['status']}  {where}")
    for e in chain["events"]:
        moved = f" from {e['from_party']}" if "from_party" in e else ""
        moved += f" to {e['to_party']}" if "to_party" in e else ""
        place = f" at {e['location']}" if "location" in e else ""
        click.echo(f"  {e['at']:<22} {e['action']}{moved}{place}, by {e['performed_by']}")
        for label in ("purpose", "method", "condition"):
            if label in e:
                click.echo(f"  {'':<22}   {label}: {e[label]}")
        for change in e.get("changes", []):
            click.echo(
                f"  {'':<22}   change: {change['description']} "
                f"(by {change['made_by']}: {change['reason']})"
            )
        click.echo(
            f"  {'':<22}   held by {e['holder_after']} after; statement {short(e['statement_id'])}"
        )
    for g in chain["gaps"]:
        click.echo(f"  GAP   {g['at']}: {g['message']}")
    for b in chain["breaks"]:
        click.echo(f"  BREAK {b['at']}: {b['message']}")
    if not chain["events"] and chain["registered_custodian"]:
        click.echo(f"  no custody events; registered custodian: {chain['registered_custodian']}")


def render_dispute(view: dict[str, Any]) -> str:
    """The dispute view as text."""
    at = view["as_of"]
    lines = [
        f"finding {view['finding']}  as of position {at['position']} "
        f"(recorded {at['received_at']})",
        f"  status: {view['status']} (revision {view['revision']}), "
        f"confidence {view['confidence']}"
        + (f", likelihood {view['likelihood']}" if view["likelihood"] else ""),
        click.wrap_text(f"claim: {view['claim']}", 96, "  ", "  "),
    ]
    for lim in view["limitations"]:
        lines.append(click.wrap_text(f"limitation: {lim}", 96, "  ", "  "))
    lines.append("  evidence:")
    for e in view["evidence"]:
        grade = f", graded {e['grade']}" if e["grade"] else ""
        lines.append(
            f"    {e['item']:<18} {e['item_kind']}, custody {e['custody']}"
            f" (held by {e['custodian'] or 'unknown'}){grade}, {e['markings']} marking(s), "
            f"{e['attachments']} attachment(s)"
        )
    if view["challenges"]:
        lines.append("  challenges:")
        for c in view["challenges"]:
            lines.append(
                f"    {c['challenge']}: {c['kind']} challenge to {c['target']['type']} "
                f"{c['target']['id'][:16]}, raised by {c['attributed_to']}, recorded by "
                f"{c['recorded_by']}, {c['status']} ({c['responses']} response(s))"
            )
    lines.append("  the argument, in the store's order:")
    for e in view["argument"]:
        head = f"    #{e['position']:<4} {e['kind']:<20} {e['summary']}"
        lines.append(strike(head) if "withdrawn" in e else head)
        who = f"signed by {e['author']}"
        if "attributed_to" in e:
            who += f", said by {e['attributed_to']}"
        lines.append(
            f"           {who}; issued {e['issued_at']}, recorded {e['received_at'][:19]}Z; "
            f"statement {short(e['statement_id'])}"
        )
        if "withdrawn" in e:
            w = e["withdrawn"]
            lines.append(f"           {withdrawn_line(w)}")
    return "\n".join(lines)


@click.command("dispute")
@click.argument("finding")
@as_of_option
@store_option
@json_option
@handle_errors
def dispute(finding: str, as_of: str | None, store_dir: Location, as_json: bool) -> None:
    """FINDING's whole argument: versions, evidence and its custody, assessments,
    challenges (who raised and who recorded them), responses, reaffirmations and
    revisions, each with its signer, claimed and recorded times and statement id.

    \b
    Example:
      prov dispute finding-rapid-use --as-of 2024-12-10
      prov dispute finding-rapid-use --json
    """
    with open_store(store_dir) as store:
        view = dispute_view(store, finding, resolve(store, as_of))
    if as_json:
        echo_json(view)
    else:
        click.echo(render_dispute(view))


COMMANDS = [diff, custody, dispute]
