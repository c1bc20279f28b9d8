"""Commands that read the record: show, history, list, diff, custody, dispute."""

from __future__ import annotations

import json
from typing import Any

import click

from provenance import (
    Location,
    Store,
    StoreError,
    custody_chain,
    dispute_view,
    history_entries,
    is_subject_id,
    strict_json_loads,
)

from .context import echo_json, fail, handle_errors, json_option, open_store, store_option
from .options import as_of_option, resolve, say_position
from .render import render_history, render_subject, short, strike, withdrawn_line


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
        payload = strict_json_loads(rec.envelope.payload, "the stored payload")
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


COMMANDS = [show, history, list_, diff, custody, dispute]
