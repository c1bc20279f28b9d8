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
from provenance.model import fields
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


def _dump(body: fields.Body) -> dict[str, Any]:
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
        state["keys"] = []
        if "public_key" in body:
            state["key_id"] = key_id(base64.b64decode(body["public_key"]))
            state["keys"] = [{"key_id": state["key_id"], "added": _stamp(rec)}]
    elif kind == "evidence.registered":
        state.update(body)
        for field in EVIDENCE_LISTS:
            state[field] = []
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
    elif kind == "trace.requested":
        state.update(body)
        state["status"] = "sent"
        state["updates"] = []
    return state


EVIDENCE_LISTS = ("markings", "custody", "attachments", "components", "grades")
_EVIDENCE_KINDS = {
    "evidence.marking": "markings",
    "evidence.custody": "custody",
    "evidence.attached": "attachments",
    "evidence.component": "components",
    "evidence.graded": "grades",
}
FINDING_FIELDS = (
    "claim",
    "evidence",
    "limitations",
    "confidence",
    "likelihood",
    "assumptions",
    "alternatives",
)


def _mark(state: State, statement_id: str, key: str, value: Any) -> None:
    """Set ``key`` on the entry made by ``statement_id``, wherever it sits in the state."""
    if state["created"]["statement_id"] == statement_id:
        state[key] = value
    for field, entries in list(state.items()):
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            state[field] = [
                {**e, key: value} if e.get("statement_id") == statement_id else e for e in entries
            ]


def _rederive(state: State) -> None:
    """Recompute values derived from entries, after one of them was withdrawn."""
    if "grades" in state:
        standing = [g for g in state["grades"] if "retracted" not in g and "superseded" not in g]
        if standing:
            state["grade"] = f"{standing[-1]['reliability']}{standing[-1]['credibility']}"
        else:
            state.pop("grade", None)


def _append_keys(state: State, rec: Recorded, body: dict[str, Any]) -> None:
    kind = rec.statement.kind
    if kind == "actor.key_rotated":
        new = key_id(base64.b64decode(body["public_key"]))
        state["keys"] = [
            {**k, "retired": _stamp(rec)} if "retired" not in k and "revoked" not in k else k
            for k in state["keys"]
        ] + [
            {
                "key_id": new,
                "added": _stamp(rec),
                **({"reason": body["reason"]} if "reason" in body else {}),
            }
        ]
        state["key_id"] = new
        state["public_key"] = body["public_key"]
    else:  # actor.key_revoked
        revoked = {"reason": body["reason"], **_stamp(rec)}
        state["keys"] = [
            {**k, "revoked": revoked} if k["key_id"] == body["key_id"] else k for k in state["keys"]
        ]
        if state.get("key_id") == body["key_id"]:
            state.pop("key_id", None)
            state.pop("public_key", None)


def _append(state: State, rec: Recorded) -> State:
    state = {**state, "version": rec.version, "updated": _stamp(rec)}
    body = _dump(rec.statement.body)
    kind = rec.statement.kind
    refs = list(rec.statement.payload.refs)
    if kind in _EVIDENCE_KINDS:
        field = _EVIDENCE_KINDS[kind]
        state[field] = [*state[field], {**body, **_stamp(rec)}]
        if kind == "evidence.graded":
            state["grade"] = f"{body['reliability']}{body['credibility']}"
    elif kind in ("actor.key_rotated", "actor.key_revoked"):
        _append_keys(state, rec, body)
    elif kind == "trace.updated":
        state["updates"] = [*state["updates"], {**body, **_stamp(rec)}]
        state["status"] = body["status"]
        if "answer" in body:
            state["answer"] = body["answer"]
    elif kind == "statement.retracted":
        _mark(state, body["statement"], "retracted", {"reason": body["reason"], **_stamp(rec)})
        state["withdrawals"] = [*state.get("withdrawals", []), {**body, **_stamp(rec)}]
        _rederive(state)
    elif kind == "statement.superseded":
        _mark(
            state,
            body["statement"],
            "superseded",
            {"by": body["superseded_by"], "reason": body["reason"], **_stamp(rec)},
        )
        state["withdrawals"] = [*state.get("withdrawals", []), {**body, **_stamp(rec)}]
        _rederive(state)
    elif kind == "finding.assessed":
        state["assessments"] = [*state["assessments"], {**body, **_stamp(rec)}]
    elif kind == "finding.reaffirmed":
        state["reaffirmations"] = [*state["reaffirmations"], {**body, "refs": refs, **_stamp(rec)}]
        state["status"] = "reaffirmed"
    elif kind == "finding.revised":
        revision = state["revision"] + 1
        for field in FINDING_FIELDS:
            if field in body:
                state[field] = body[field]
            else:
                state.pop(field, None)
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
