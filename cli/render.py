"""Plain-text rendering of subjects and histories for people."""

from __future__ import annotations

from typing import Any

import click

from provenance import Store


def short(statement_id: str) -> str:
    """The first 12 hex characters of a statement id: enough to name it uniquely."""
    return statement_id[:12]


def stamp(entry: dict[str, Any]) -> str:
    """'by AUTHOR, issued AT (recorded AT, statement ID)'."""
    return (
        f"by {entry['author']}, issued {entry['issued_at']} "
        f"(recorded {entry['received_at'][:19]}Z, statement {short(entry['statement_id'])})"
    )


WIDTH = 96


def _wrap(text: str, indent: str) -> str:
    return click.wrap_text(text, width=WIDTH, initial_indent=indent, subsequent_indent=indent)


def render_subject(store: Store, state: dict[str, Any]) -> str:
    """A subject's current state as readable text."""
    kind = state["type"]
    lines = [f"{kind} {state['subject']}  (version {state['version']})"]
    lines.append(f"  created {stamp(state['created'])}")
    if kind == "actor":
        lines.append(f"  name: {state['name']}  role: {state['role']}  admin: {state['admin']}")
        lines.append(f"  key id: {state.get('key_id', '(no key: cannot sign)')}")
    elif kind == "evidence":
        lines.append(f"  {state['item_kind']}: {state['title']}")
        for field in ("description", "recovered_at", "recovered_where", "custodian"):
            if field in state:
                lines.append(_wrap(f"{field.replace('_', ' ')}: {state[field]}", "  "))
        for name, value in sorted(state.get("identifiers", {}).items()):
            lines.append(f"  identifier {name}: {value}")
        for m in state["markings"]:
            meaning = f" -> {m.get('meaning')}: {m.get('value', '?')}" if "meaning" in m else ""
            where = f" on {m['location']}" if "location" in m else ""
            lines.append(f"  marking {m['text']!r}{where}{meaning}")
            lines.append(f"    {stamp(m)}")
    elif kind == "finding":
        lines.extend(render_finding(store, state))
    elif kind == "challenge":
        lines.extend(render_challenge(state))
    return "\n".join(lines)


def render_finding(store: Store, state: dict[str, Any], base: str = "") -> list[str]:
    """The body of a finding's view: claim, evidence, thread, challenges."""
    lines = _finding_lines(store, state)
    return _indent(lines, base)


def _indent(lines: list[str], base: str) -> list[str]:
    """Indent lines that were wrapped for the narrower width."""
    return [base + part for line in lines for part in line.split("\n")]


def _finding_lines(store: Store, state: dict[str, Any]) -> list[str]:
    likely = f", likelihood {state['likelihood']}" if "likelihood" in state else ""
    lines = [
        f"  status: {state['status']} (revision {state['revision']}), "
        f"confidence {state['confidence']}{likely}",
        _wrap(f"claim: {state['claim']}", "  "),
    ]
    for label in ("assumptions", "alternatives"):
        for text in state.get(label, []):
            lines.append(_wrap(f"{label[:-1]}: {text}", "  "))
    if state["evidence"]:
        lines.append(f"  rests on: {', '.join(state['evidence'])}")
    for lim in state["limitations"]:
        lines.append(_wrap(f"limitation: {lim}", "  "))
    if state["revision"] > 1:
        lines.append("  versions:")
        for v in state["versions"]:
            lines.append(_wrap(f"r{v['revision']} ({v['confidence']}): {v['claim']}", "    "))
            if "reason" in v:
                lines.append(_wrap(f"reason: {v['reason']}", "      "))
            lines.append(f"      {stamp(v)}")
    for a in state["assessments"]:
        lines.append(
            _wrap(f"assessment: {a['stance']} ({a['confidence']}): {a['rationale']}", "  ")
        )
        lines.append(f"    {stamp(a)}")
    for r in state["reaffirmations"]:
        lines.append(_wrap(f"reaffirmed: {r['statement']}", "  "))
        for obs in r.get("observations", []):
            lines.append(_wrap(f"- {obs}", "    "))
        lines.append(f"    {stamp(r)}")
    for link in store.views.links_to(state["subject"], "challenged-by"):
        ch = store.views.subject(link["subject_id"])
        if ch is not None:
            lines.append(
                f"  challenge {ch['subject']} ({ch['challenge_kind']}, {ch['status']}), "
                f"attributed to {ch['attributed_to']}"
            )
    return lines


def render_challenge(state: dict[str, Any], base: str = "") -> list[str]:
    """The body of a challenge's view: target, claim, responses."""
    return _indent(_challenge_lines(state), base)


def _challenge_lines(state: dict[str, Any]) -> list[str]:
    t = state["target"]
    lines = [
        f"  {state['challenge_kind']} challenge to {t['type']} {t['id']}  "
        f"status: {state['status']}",
        f"  raised by (attributed to): {state['attributed_to']}",
        f"  recorded by: {state['created']['author']}",
        _wrap(f"claim: {state['claim']}", "  "),
    ]
    if "source" in state:
        lines.append(f"  source: {state['source']}")
    for r in state["responses"]:
        lines.append(
            _wrap(f"response ({r['stance']}) from {r['attributed_to']}: {r['text']}", "  ")
        )
        lines.append(f"    recorded {stamp(r)}")
    return lines


def strike(text: str) -> str:
    """Text struck through: ~~marked~~ in plain output, and drawn so on a terminal."""
    return click.style(f"~~{text}~~", strikethrough=True)


def render_history(entries: list[dict[str, Any]]) -> str:
    """One block per statement: version, kind, summary, signer and times.

    A withdrawn statement stays, struck through, with who withdrew it and why.
    """
    lines = []
    for e in entries:
        head = f"v{e['version']}  #{e['position']}  {e['kind']}  {e['summary']}"
        w = e.get("withdrawn")
        lines.append(strike(head) if w else head)
        if w:
            lines.append(
                f"    {w['how'].upper()} by {w['by']} at #{w['position']} "
                f"(statement {short(w['statement_id'])}): {w['reason']}"
            )
        if "attributed_to" in e:
            lines.append(f"    attributed to {e['attributed_to']}")
        lines.append(
            f"    signed by {e['author']} (key {e['key_id'][:16]}), issued {e['issued_at']}, "
            f"recorded {e['received_at']}"
        )
        lines.append(f"    statement {e['statement_id']}")
        if e["refs"]:
            lines.append(f"    refs {', '.join(short(r) for r in e['refs'])}")
    return "\n".join(lines)
