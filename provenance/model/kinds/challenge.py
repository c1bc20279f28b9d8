"""``challenge.*``: challenges raised by parties (who need not hold a key), and responses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from provenance.model.fields import Body, ChallengeKind, ShortText, TargetId, Text
from provenance.model.kinds.base import Entry, KindSpec, Ref, State, clip, keep


class ChallengeTarget(Body):
    """What a challenge is aimed at.

    ``id`` is a subject id for a finding, an actor or the organisation, and a
    statement id for an assessment.
    """

    type: Literal["finding", "assessment", "actor", "organisation"]
    id: TargetId


class ChallengeRaised(Body):
    """A challenge, attributed to the party that raised it (who may hold no key)."""

    target: ChallengeTarget
    challenge_kind: ChallengeKind
    attributed_to: ShortText
    claim: Text
    source: ShortText | None = None


class ChallengeResponded(Body):
    """A response to a challenge, attributed to the party that gave it."""

    stance: Literal["rebuts", "concedes", "clarifies"]
    attributed_to: ShortText
    text: Text
    source: ShortText | None = None


TARGET = Ref(
    "target",
    "target",
    relation="challenged-by",
    choices={
        "finding": ("subject", "finding"),
        "assessment": ("statement", "finding.assessed"),
        "actor": ("subject", "actor"),
        "organisation": ("subject", "actor"),
    },
)


def _raised(state: State, body: Mapping[str, Any], entry: Entry, refs: list[str]) -> None:
    keep(state, body)
    state["status"] = "open"


def _responded(state: State, body: Mapping[str, Any], entry: Entry, refs: list[str]) -> None:
    stances = {r["stance"] for r in [*state["responses"], entry]}
    state["status"] = "conceded" if "concedes" in stances else "answered"


def _render_challenge(state: Mapping[str, Any]) -> list[str]:
    t = state["target"]
    lines = [
        f"{state['challenge_kind']} challenge to {t['type']} {t['id']}  status: {state['status']}",
        f"raised by (attributed to): {state['attributed_to']}",
        f"recorded by: {state['created']['author']}",
        f"claim: {state['claim']}",
    ]
    if "source" in state:
        lines.append(f"source: {state['source']}")
    return lines


def _render_response(r: Mapping[str, Any]) -> list[str]:
    source = f" (source: {r['source']})" if "source" in r else ""
    return [f"response ({r['stance']}) from {r['attributed_to']}: {r['text']}{source}"]


def _summary(b: Mapping[str, Any]) -> str:
    t = b["target"]
    return (
        f"{b['challenge_kind']} challenge to {t['type']} {t['id'][:16]}, "
        f"attributed to {b['attributed_to']}"
    )


SPECS = (
    KindSpec(
        "challenge.raised",
        ChallengeRaised,
        _summary,
        creates="challenge",
        refs=(TARGET,),
        fold=_raised,
        render=_render_challenge,
        doc_members=(
            '**target** (`{"type": "finding"|"assessment"|"actor"|"organisation", '
            '"id": ...}`; the id of an assessment is its statement id), **challenge_kind** '
            "(`impartiality`, `methodology`, `authenticity`, `chain-of-custody`), "
            "**attributed_to** (the party that raised it; it need not hold a key), **claim**, "
            "source"
        ),
        doc_rules=(
            "the target MUST exist and be of the named type (`organisation`: an actor whose role "
            "is organisation)"
        ),
    ),
    KindSpec(
        "challenge.responded",
        ChallengeResponded,
        lambda b: f"{b['stance']}, attributed to {b['attributed_to']}: {clip(b['text'])}",
        targets="challenge",
        entries="responses",
        fold=_responded,
        render=_render_response,
        doc_members=(
            "**stance** (`rebuts`, `concedes`, `clarifies`), **attributed_to**, **text**, source"
        ),
    ),
)
