"""The current state of a subject, folded from its statements; pure functions.

A subject's state is a JSON-ready dict. ``apply(state, record)`` is the whole
projection: the store's views and every time-travel query call it, so the
state a view holds and the state a fresh replay yields cannot disagree.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from provenance.envelope import key_id
from provenance.model import bodies
from provenance.records import Recorded

State = dict[str, Any]


def _stamp(rec: Recorded) -> dict[str, Any]:
    return {
        "statement_id": rec.statement_id,
        "author": rec.statement.author,
        "issued_at": rec.statement.payload.issued_at,
        "received_at": rec.received_at,
        "position": rec.position,
    }


def _dump(body: bodies.Body) -> dict[str, Any]:
    return body.model_dump(mode="json", exclude_none=True)


def _create(rec: Recorded) -> State:
    body = _dump(rec.statement.body)
    state: State = {
        "subject": rec.subject,
        "type": rec.statement.spec.subject_type,
        "version": rec.version,
        "created": _stamp(rec),
        "updated": _stamp(rec),
    }
    kind = rec.statement.kind
    if kind == "actor.registered":
        state.update(body)
        if "public_key" in body:
            state["key_id"] = key_id(base64.b64decode(body["public_key"]))
    elif kind == "evidence.registered":
        state.update(body)
        state["markings"] = []
    elif kind == "finding.asserted":
        state.update(body)
        state["status"] = "asserted"
        state["revision"] = 1
        state["versions"] = [{"revision": 1, **body, **_stamp(rec)}]
        state["assessments"] = []
        state["reaffirmations"] = []
    elif kind == "challenge.raised":
        state.update(body)
        state["status"] = "open"
        state["responses"] = []
    return state


def _append(state: State, rec: Recorded) -> State:
    state = {**state, "version": rec.version, "updated": _stamp(rec)}
    body = _dump(rec.statement.body)
    kind = rec.statement.kind
    refs = list(rec.statement.payload.refs)
    if kind == "evidence.marking":
        state["markings"] = [*state["markings"], {**body, **_stamp(rec)}]
    elif kind == "finding.assessed":
        state["assessments"] = [*state["assessments"], {**body, **_stamp(rec)}]
    elif kind == "finding.reaffirmed":
        state["reaffirmations"] = [*state["reaffirmations"], {**body, "refs": refs, **_stamp(rec)}]
        state["status"] = "reaffirmed"
    elif kind == "finding.revised":
        revision = state["revision"] + 1
        for field in ("claim", "evidence", "limitations", "confidence"):
            state[field] = body[field]
        state["revision"] = revision
        state["status"] = "revised"
        state["versions"] = [
            *state["versions"],
            {"revision": revision, **body, "prompted_by": refs, **_stamp(rec)},
        ]
    elif kind == "challenge.responded":
        state["responses"] = [*state["responses"], {**body, **_stamp(rec)}]
        stances = {r["stance"] for r in state["responses"]}
        state["status"] = "conceded" if "concedes" in stances else "answered"
    else:  # pragma: no cover - the store refuses kinds that do not fit
        raise AssertionError(f"kind {kind} cannot be appended to a {state['type']}")
    return state


def apply(state: State | None, rec: Recorded) -> State:
    """Fold one recorded statement into a subject's state (None before the first)."""
    if state is None:
        return _create(rec)
    return _append(state, rec)


def fold(records: Iterable[Recorded]) -> State | None:
    """The state after all ``records`` (a subject's history in version order)."""
    state: State | None = None
    for rec in records:
        state = apply(state, rec)
    return state
