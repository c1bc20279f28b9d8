"""``statement.*``: withdrawals. A statement is retracted or superseded, never deleted.

Both kinds mark the entry they withdraw with one record, the same in a
subject's state, in history and in every view (``withdrawn``)::

    {"how": "retracted" | "superseded", "reason": …, "superseded_by"?: …,
     "statement_id", "author", "issued_at", "received_at", "position"}

where the stamp is the withdrawing statement's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provenance.model.fields import Body, StatementRef, Text
from provenance.model.kinds.base import Entry, KindSpec, Ref, clip, stamp_of


class StatementRetracted(Body):
    """A statement withdrawn, with the reason; it stays in the history, struck through."""

    statement: StatementRef
    reason: Text


class StatementSuperseded(Body):
    """A statement replaced by a later one of the same subject."""

    statement: StatementRef
    superseded_by: StatementRef
    reason: Text


def _render(w: Mapping[str, Any]) -> list[str]:
    by = f" by {w['superseded_by']}" if "superseded_by" in w else ""
    how = "superseded" if by else "retracted"
    return [f"{how} statement {w['statement']}{by}", f"  reason: {w['reason']}"]


WITHDRAWN = Ref("statement", "statement", relation="withdrawn-by")


def withdrawal(kind: str, body: Mapping[str, Any], entry: Entry) -> dict[str, Any]:
    """The ``withdrawn`` record a withdrawal of ``kind`` puts on the entry it withdraws."""
    record: dict[str, Any] = {"how": kind.removeprefix("statement."), "reason": body["reason"]}
    if "superseded_by" in body:
        record["superseded_by"] = body["superseded_by"]
    return {**record, **stamp_of(entry)}


SPECS = (
    KindSpec(
        "statement.retracted",
        StatementRetracted,
        lambda b: f"retracted {b['statement'][:12]}: {clip(b['reason'])}",
        targets="any",
        refs=(WITHDRAWN,),
        entries="withdrawals",
        withdraws="statement",
        render=_render,
        doc_members="**statement** (its id), **reason**",
        doc_rules=(
            "signed by the withdrawn statement's author, an actor of role `organisation` or an "
            "administrator; the statement MUST belong to this subject, MUST NOT be withdrawn "
            "already, and MUST NOT itself be a retraction or supersession"
        ),
    ),
    KindSpec(
        "statement.superseded",
        StatementSuperseded,
        lambda b: f"superseded {b['statement'][:12]} by {b['superseded_by'][:12]}",
        targets="any",
        refs=(WITHDRAWN, Ref("superseded_by", "statement")),
        entries="withdrawals",
        withdraws="statement",
        render=_render,
        doc_members=(
            "**statement**, **superseded_by** (a later statement of the same kind and subject), "
            "**reason**"
        ),
        doc_rules="as for retraction",
    ),
)
