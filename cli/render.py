"""Plain-text rendering of subjects and histories for people."""

from __future__ import annotations

from typing import Any

import click

from provenance import KINDS, KindSpec, Store


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


def _creator(subject_type: str) -> KindSpec:
    return next(spec for spec in KINDS.values() if spec.creates == subject_type)


def _entry_kinds(subject_type: str) -> list[KindSpec]:
    """The kinds that add entries to a subject of this type, one per entry list."""
    seen: dict[str, KindSpec] = {}
    for spec in KINDS.values():
        if spec.entries is not None and spec.targets in (subject_type, "any"):
            seen.setdefault(spec.entries, spec)
    return list(seen.values())


def withdrawn_line(w: dict[str, Any]) -> str:
    """How an entry was withdrawn, by whom, where and why: the one line every view shows."""
    by = f" by {short(w['superseded_by'])}" if "superseded_by" in w else ""
    return (
        f"{w['how'].upper()}{by} by {w['author']} at #{w['position']} "
        f"(statement {short(w['statement_id'])}): {w['reason']}"
    )


def _lines(texts: list[str], indent: str) -> list[str]:
    """Rendered lines, wrapped; a line the declaration indents goes one step further."""
    return [_wrap(t.strip(), indent + "  " if t.startswith("  ") else indent) for t in texts if t]


def _subject_lines(store: Store | None, state: dict[str, Any]) -> list[str]:
    """Every part of a subject's state, from the declarations of its kinds."""
    creator = _creator(state["type"])
    lines = _lines(creator.render(state) if creator.render else [], "  ")
    if "withdrawn" in state:
        lines.append(strike("  (this subject's creating statement is withdrawn)"))
        lines.append(f"    {withdrawn_line(state['withdrawn'])}")
    created = state["created"]["statement_id"]
    for spec in _entry_kinds(state["type"]):
        entries = state.get(spec.entries or "", [])
        if all(e.get("statement_id") == created for e in entries):
            continue  # only the creating statement's own entry: shown above
        for e in entries:
            texts = spec.render(e) if spec.render else [spec.summary(e)]
            body = _lines(texts, "  ")
            if "withdrawn" in e:
                body[0] = strike(body[0])
                body.append(f"    {withdrawn_line(e['withdrawn'])}")
            lines.extend(body)
            lines.append(f"    {stamp(e)}")
    if store is not None and state["type"] == "finding":
        for link in store.views.links_to(state["subject"], "challenged-by"):
            ch = store.views.subject(link["subject_id"])
            if ch is not None:
                lines.append(
                    f"  challenge {ch['subject']} ({ch['challenge_kind']}, {ch['status']}), "
                    f"attributed to {ch['attributed_to']}"
                )
    return lines


def render_subject(store: Store, state: dict[str, Any]) -> str:
    """A subject's current state as readable text: every kind, from its declaration."""
    lines = [f"{state['type']} {state['subject']}  (version {state['version']})"]
    lines.append(f"  created {stamp(state['created'])}")
    lines.extend(_subject_lines(store, state))
    return "\n".join(lines)


def render_finding(store: Store, state: dict[str, Any], base: str = "") -> list[str]:
    """The body of a finding's view: claim, evidence, thread, challenges."""
    return _indent(_subject_lines(store, state), base)


def _indent(lines: list[str], base: str) -> list[str]:
    """Indent lines that were wrapped for the narrower width."""
    return [base + part for line in lines for part in line.split("\n")]


def render_challenge(state: dict[str, Any], base: str = "") -> list[str]:
    """The body of a challenge's view: target, claim, responses."""
    return _indent(_subject_lines(None, state), base)


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
            lines.append(f"    {withdrawn_line(w)}")
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
