"""The current state of a subject, folded from its statements; pure functions.

A subject's state is a JSON-ready dict. ``apply(state, record)`` is the whole
projection: the store's views and every time-travel query call it, so the
state a view holds and the state a fresh replay yields cannot disagree.

How each kind changes a state is declared with the kind
(:mod:`provenance.model.kinds`); this module only applies the declarations:

- a creating kind starts the state (subject, type, version, stamps, and an
  empty list for every kind that adds entries to that type), then its fold;
- any other kind runs its fold, then adds its entry (its body's members and
  its stamp) to its list;
- a withdrawal puts one ``withdrawn`` record on the entry it names (and on the
  state itself when it names the creating statement), then lets every kind
  recompute what it derives.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from provenance.model.kinds import KINDS, Entry, KindSpec, State, entry_lists, withdrawal
from provenance.model.kinds.base import stamp_of
from provenance.records import Recorded

__all__ = ["State", "apply", "fold", "new_entry"]


def new_entry(rec: Recorded) -> Entry:
    """The entry of one statement: its body's members and its stamp."""
    return {
        **rec.statement.body.model_dump(mode="json", exclude_none=True),
        "statement_id": rec.statement_id,
        "author": rec.statement.author,
        "issued_at": rec.statement.payload.issued_at,
        "received_at": rec.received_at,
        "position": rec.position,
    }


def _create(rec: Recorded, spec: KindSpec, entry: Entry, body: dict[str, Any]) -> State:
    stamp = stamp_of(entry)
    state: State = {
        "subject": rec.subject,
        "type": spec.subject_type,
        "version": rec.version,
        "created": stamp,
        "updated": dict(stamp),
    }
    for name in entry_lists(spec.subject_type):
        state[name] = []
    if spec.fold is not None:
        spec.fold(state, body, entry, list(rec.statement.payload.refs))
    return state


def _withdraw(state: State, statement_id: str, record: dict[str, Any]) -> None:
    """Put ``record`` on the entry made by ``statement_id``, wherever it sits in the state."""
    if state["created"]["statement_id"] == statement_id:
        state["withdrawn"] = record
    for name, entries in list(state.items()):
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            state[name] = [
                {**e, "withdrawn": record} if e.get("statement_id") == statement_id else e
                for e in entries
            ]
    for spec in KINDS.values():
        if spec.refold is not None and spec.entries in state:
            spec.refold(state)


def _append(
    state: State, rec: Recorded, spec: KindSpec, entry: Entry, body: dict[str, Any]
) -> State:
    if spec.targets not in (state["type"], "any"):  # pragma: no cover - the rules refuse it
        raise AssertionError(f"kind {spec.name} cannot be appended to a {state['type']}")
    state = {**state, "version": rec.version, "updated": stamp_of(entry)}
    if spec.fold is not None:
        spec.fold(state, body, entry, list(rec.statement.payload.refs))
    if spec.entries is not None:
        state[spec.entries] = [*state.get(spec.entries, []), entry]
    if spec.withdraws is not None:
        _withdraw(state, body[spec.withdraws], withdrawal(spec.name, body, entry))
    return state


def apply(state: State | None, rec: Recorded) -> State:
    """Fold one recorded statement into a subject's state (None before the first)."""
    spec = rec.statement.spec
    body = rec.statement.body.model_dump(mode="json", exclude_none=True)
    entry = new_entry(rec)
    if state is None:
        return _create(rec, spec, entry, body)
    return _append(state, rec, spec, entry, body)


def fold(records: Iterable[Recorded]) -> State | None:
    """The state after all ``records`` (a subject's history in version order)."""
    state: State | None = None
    for rec in records:
        state = apply(state, rec)
    return state
