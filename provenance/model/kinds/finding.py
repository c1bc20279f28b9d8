"""``finding.*``: findings, the assessments of them, and their reaffirmations and revisions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from provenance.model.fields import Body, Confidence, Likelihood, SubjectRef, Text
from provenance.model.kinds.base import Entry, KindSpec, Ref, State, clip, optional

FINDING_MEMBERS = (
    "claim",
    "evidence",
    "limitations",
    "confidence",
    "likelihood",
    "assumptions",
    "alternatives",
)
"""What a revision replaces: a member it omits is gone from the finding."""


class FindingAsserted(Body):
    """A finding: a claim resting on evidence items, with its limitations.

    ``likelihood`` (ICD 203) says how probable the claim is; ``confidence`` how
    sound the basis for saying so is. They are kept apart.
    """

    claim: Text
    evidence: list[SubjectRef] = Field(default_factory=list, max_length=1000)
    limitations: list[Text] = Field(default_factory=list, max_length=100)
    confidence: Confidence
    likelihood: Likelihood | None = None
    assumptions: list[Text] | None = Field(default=None, max_length=100)
    alternatives: list[Text] | None = Field(default=None, max_length=100)


class FindingAssessed(Body):
    """An assessment of a finding."""

    stance: Literal["supports", "contests", "qualifies"]
    confidence: Confidence
    rationale: Text
    likelihood: Likelihood | None = None


class FindingReaffirmed(Body):
    """The finding stands, unchanged; ``observations`` say why."""

    statement: Text
    observations: list[Text] = Field(default_factory=list, max_length=100)


class FindingRevised(Body):
    """A new version of the finding; the statement's refs name what prompted it."""

    claim: Text
    evidence: list[SubjectRef] = Field(default_factory=list, max_length=1000)
    limitations: list[Text] = Field(default_factory=list, max_length=100)
    confidence: Confidence
    reason: Text
    likelihood: Likelihood | None = None
    assumptions: list[Text] | None = Field(default=None, max_length=100)
    alternatives: list[Text] | None = Field(default=None, max_length=100)


EVIDENCE = Ref("evidence", "subject", subject_type="evidence", relation="evidence-for")
"""A finding rests on evidence items; each item links to the findings resting on it."""


def _asserted(state: State, body: Mapping[str, Any], entry: Entry, refs: list[str]) -> None:
    state.update(body)
    state["status"] = "asserted"
    state["revision"] = 1
    state["versions"] = [{"revision": 1, **entry}]


def _revised(state: State, body: Mapping[str, Any], entry: Entry, refs: list[str]) -> None:
    revision = state["revision"] + 1
    for member in FINDING_MEMBERS:
        if member in body:
            state[member] = body[member]
        else:
            state.pop(member, None)
    state["revision"] = revision
    state["status"] = "revised"
    entry.update(revision=revision, prompted_by=refs)


def _reaffirmed(state: State, body: Mapping[str, Any], entry: Entry, refs: list[str]) -> None:
    entry["refs"] = refs
    state["status"] = "reaffirmed"


def _render_finding(state: Mapping[str, Any]) -> list[str]:
    likely = optional(state, "likelihood", ", likelihood {}")
    lines = [
        f"status: {state['status']} (revision {state['revision']}), "
        f"confidence {state['confidence']}{likely}",
        f"claim: {state['claim']}",
    ]
    for label in ("assumptions", "alternatives"):
        for text in state.get(label, []):
            lines.append(f"{label[:-1]}: {text}")
    if state["evidence"]:
        lines.append(f"rests on: {', '.join(state['evidence'])}")
    for lim in state["limitations"]:
        lines.append(f"limitation: {lim}")
    return lines


def _render_version(v: Mapping[str, Any]) -> list[str]:
    likely = optional(v, "likelihood", ", likelihood {}")
    lines = [f"r{v['revision']} ({v['confidence']}{likely}): {v['claim']}"]
    if "reason" in v:
        lines.append(f"  reason: {v['reason']}")
    if v.get("evidence"):
        lines.append(f"  rests on: {', '.join(v['evidence'])}")
    for label in ("limitations", "assumptions", "alternatives"):
        for text in v.get(label, []):
            lines.append(f"  {label[:-1]}: {text}")
    if v.get("prompted_by"):
        lines.append(f"  prompted by: {', '.join(r[:12] for r in v['prompted_by'])}")
    return lines


def _render_assessment(a: Mapping[str, Any]) -> list[str]:
    likely = optional(a, "likelihood", ", likelihood {}")
    return [f"assessment: {a['stance']} ({a['confidence']}{likely}): {a['rationale']}"]


def _render_reaffirmation(r: Mapping[str, Any]) -> list[str]:
    return [f"reaffirmed: {r['statement']}", *(f"  - {obs}" for obs in r["observations"])]


SPECS = (
    KindSpec(
        "finding.asserted",
        FindingAsserted,
        lambda b: f"asserted ({b['confidence']} confidence): {clip(b['claim'])}",
        creates="finding",
        refs=(EVIDENCE,),
        fold=_asserted,
        render=_render_finding,
        doc_members=(
            "**claim**, evidence (evidence item ids), limitations (strings), **confidence** "
            "(`high`, `moderate`, `low`)"
        ),
        doc_rules="every evidence id MUST be an evidence item; evidence or refs MUST be non-empty",
    ),
    KindSpec(
        "finding.assessed",
        FindingAssessed,
        lambda b: f"assessed: {b['stance']} ({b['confidence']} confidence): {clip(b['rationale'])}",
        targets="finding",
        entries="assessments",
        render=_render_assessment,
        doc_members=(
            "**stance** (`supports`, `contests`, `qualifies`), **confidence**, **rationale**"
        ),
    ),
    KindSpec(
        "finding.reaffirmed",
        FindingReaffirmed,
        lambda b: f"reaffirmed: {clip(b['statement'])}",
        targets="finding",
        entries="reaffirmations",
        fold=_reaffirmed,
        render=_render_reaffirmation,
        doc_members="**statement**, observations (strings)",
        doc_rules="refs name what it answers",
    ),
    KindSpec(
        "finding.revised",
        FindingRevised,
        lambda b: f"revised ({b['confidence']} confidence): {clip(b['claim'])}",
        targets="finding",
        needs_refs=True,
        refs=(EVIDENCE,),
        entries="versions",
        fold=_revised,
        render=_render_version,
        doc_members="**claim**, evidence, limitations, **confidence**, **reason**",
        doc_rules=(
            "refs MUST be non-empty: the statements that prompted the revision; the earlier "
            "version stays in history"
        ),
    ),
)
