"""``trace.*``: trace requests to manufacturers and states, and what became of them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from provenance.model.fields import Body, DateOrTime, ShortText, TargetId, Text, TraceStatus
from provenance.model.kinds.base import Entry, KindSpec, Ref, State, keep, optional


class TraceTarget(Body):
    """What a trace request asks about: an item, or a component (its statement id)."""

    type: Literal["item", "component"]
    id: TargetId


class TraceRequested(Body):
    """A trace request sent to a manufacturer or a state."""

    target: TraceTarget
    addressee: ShortText
    addressee_type: Literal["manufacturer", "state", "other"]
    question: Text
    sent_at: DateOrTime


class TraceUpdated(Body):
    """A step in a trace request's life: acknowledged, answered, declined, no response."""

    status: TraceStatus
    at: DateOrTime
    answer: Text | None = None


TARGET = Ref(
    "target",
    "target",
    relation="traced-by",
    choices={"item": ("subject", "evidence"), "component": ("statement", "evidence.component")},
)


def _requested(state: State, body: Mapping[str, Any], entry: Entry, refs: list[str]) -> None:
    keep(state, body)
    state["status"] = "sent"


def _updated(state: State, body: Mapping[str, Any], entry: Entry, refs: list[str]) -> None:
    state["status"] = body["status"]
    if "answer" in body:
        state["answer"] = body["answer"]


def _render_request(state: Mapping[str, Any]) -> list[str]:
    t = state["target"]
    lines = [
        f"trace request to {state['addressee']} ({state['addressee_type']}) about "
        f"{t['type']} {t['id']}  status: {state['status']}",
        f"sent at: {state['sent_at']}",
        f"question: {state['question']}",
    ]
    if "answer" in state:
        lines.append(f"answer: {state['answer']}")
    return lines


SPECS = (
    KindSpec(
        "trace.requested",
        TraceRequested,
        lambda b: f"trace request to {b['addressee']} about {b['target']['type']}",
        creates="trace",
        refs=(TARGET,),
        fold=_requested,
        render=_render_request,
        doc_members=(
            '**target** (`{"type": "item"|"component", "id": ...}`; a component\'s id is '
            "its statement id), **addressee**, **addressee_type** (`manufacturer`, `state`, "
            "`other`), **question**, **sent_at**"
        ),
        doc_rules=(
            "the target MUST exist (a component target MUST be an `evidence.component` statement)"
        ),
    ),
    KindSpec(
        "trace.updated",
        TraceUpdated,
        lambda b: f"trace {b['status']} at {b['at']}",
        targets="trace",
        entries="updates",
        fold=_updated,
        render=lambda u: [f"{u['status']} at {u['at']}" + optional(u, "answer", ": {}")],
        doc_members=(
            "**status** (`acknowledged`, `answered`, `declined`, `no-response`), **at**, answer"
        ),
        doc_rules=(
            "a request starts as `sent`; `sent` may become any status; `acknowledged` may become "
            "`answered`, `declined` or `no-response`; `no-response` may become `acknowledged`, "
            "`answered` or `declined`; `answered` and `declined` are final. answer is given "
            "exactly when the status is `answered`"
        ),
    ),
)
