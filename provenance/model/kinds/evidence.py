"""``evidence.*``: evidence items, and what is observed on, done to and attached to them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from provenance.model.fields import (
    Body,
    Credibility,
    CustodyAction,
    DateOrTime,
    ItemKind,
    MediaType,
    Reliability,
    Sha256Hex,
    ShortText,
    SubjectRef,
    Text,
)
from provenance.model.kinds.base import Entry, KindSpec, Ref, State, clip, keep, optional
from provenance.model.strict import FreeText


class EvidenceRegistered(Body):
    """A physical or digital evidence item enters the record."""

    item_kind: ItemKind
    title: ShortText
    description: Text | None = None
    recovered_at: DateOrTime | None = None
    recovered_where: ShortText | None = None
    custodian: ShortText | None = None
    identifiers: dict[
        Annotated[str, StringConstraints(min_length=1, max_length=64), FreeText(key=True)],
        ShortText,
    ] = Field(default_factory=dict)


class EvidenceMarking(Body):
    """A marking read on an evidence item, and what it is taken to mean."""

    text: ShortText
    location: ShortText | None = None
    meaning: ShortText | None = None
    value: ShortText | None = None
    method: ShortText | None = None


class CustodyChange(Body):
    """An unavoidable change to the item, who made it and why."""

    description: Text
    made_by: ShortText
    reason: Text


class EvidenceCustody(Body):
    """One link of the chain of custody (ISO/IEC 27037 practice).

    ``to_party`` is who holds the item afterwards (required when collected or
    transferred); ``from_party`` who handed it over (required when transferred).
    """

    action: CustodyAction
    at: DateOrTime
    performed_by: ShortText
    from_party: ShortText | None = None
    to_party: ShortText | None = None
    location: ShortText | None = None
    purpose: ShortText | None = None
    method: ShortText | None = None
    condition: ShortText | None = None
    changes: list[CustodyChange] | None = Field(default=None, max_length=100)


class EvidenceAttached(Body):
    """A file (photograph, document) kept in the store's blob store, by its SHA-256."""

    digest: Sha256Hex
    size: Annotated[int, Field(ge=0, le=2**53 - 1)]
    media_type: MediaType
    filename: ShortText | None = None
    caption: Text | None = None


class EvidenceComponent(Body):
    """A component found in an item, with what its date code is taken to mean."""

    part: ShortText
    manufacturer: ShortText | None = None
    country: ShortText | None = None
    part_number: ShortText | None = None
    lot: ShortText | None = None
    date_code: ShortText | None = None
    date_code_meaning: ShortText | None = None
    notes: Text | None = None


class EvidenceGraded(Body):
    """The Admiralty grading of a source: reliability A-F and credibility 1-6."""

    reliability: Reliability
    credibility: Credibility
    rationale: Text


class EvidenceDerived(Body):
    """The item is part of, or derived from, another item.

    ``part-of``: taken from it (an engine removed from a wreck); ``derived-from``:
    made from it (a working copy of an original photograph, a sample cut from a
    fragment). The statement is appended to the part or the copy; ``source``
    names the whole or the original, an earlier evidence item.
    """

    source: SubjectRef
    relation: Literal["part-of", "derived-from"]
    how: Text | None = None
    at: DateOrTime | None = None
    performed_by: ShortText | None = None


def _derived(b: Mapping[str, Any]) -> str:
    return f"{b['relation'].replace('-', ' ')} {b['source']}" + optional(b, "at", " at {}")


def _render_derived(d: Mapping[str, Any]) -> list[str]:
    lines = [f"{d['relation']} {d['source']}" + optional(d, "at", " at {}")]
    lines[0] += optional(d, "performed_by", ", by {}")
    if "how" in d:
        lines.append(f"  how: {d['how']}")
    return lines


def _render_item(state: Mapping[str, Any]) -> list[str]:
    lines = [f"{state['item_kind']}: {state['title']}"]
    for member in ("description", "recovered_at", "recovered_where", "custodian"):
        if member in state:
            lines.append(f"{member.replace('_', ' ')}: {state[member]}")
    for name, value in sorted(state.get("identifiers", {}).items()):
        lines.append(f"identifier {name}: {value}")
    return lines


def _marking(b: Mapping[str, Any]) -> str:
    meaning = f" ({b['meaning']}: {b.get('value', '?')})" if "meaning" in b else ""
    return f"marking {b['text']!r}{meaning}"


def _render_marking(m: Mapping[str, Any]) -> list[str]:
    meaning = f" -> {m['meaning']}: {m.get('value', '?')}" if "meaning" in m else ""
    where = optional(m, "location", " on {}")
    return [f"marking {m['text']!r}{where}{meaning}" + optional(m, "method", " (method: {})")]


def _custody(b: Mapping[str, Any]) -> str:
    moved = optional(b, "from_party", " from {}") + optional(b, "to_party", " to {}")
    return f"custody: {b['action']}{moved} at {b['at']} by {b['performed_by']}"


def _render_custody(c: Mapping[str, Any]) -> list[str]:
    lines = [_custody(c) + optional(c, "location", ", at {}")]
    for member in ("purpose", "method", "condition"):
        if member in c:
            lines.append(f"  {member}: {c[member]}")
    for change in c.get("changes", []):
        lines.append(
            f"  change by {change['made_by']}: {change['description']} ({change['reason']})"
        )
    return lines


def _attached(b: Mapping[str, Any]) -> str:
    return f"attached {b['media_type']} {b['digest'][:12]} ({b['size']} bytes)"


def _render_attached(a: Mapping[str, Any]) -> list[str]:
    lines = [_attached(a) + optional(a, "filename", ": {}"), f"  sha256 {a['digest']}"]
    if "caption" in a:
        lines.append(f"  caption: {a['caption']}")
    return lines


def _component(b: Mapping[str, Any]) -> str:
    maker = optional(b, "manufacturer", " by {}")
    return f"component {b['part']}{maker}" + optional(b, "country", ", {}")


def _render_component(c: Mapping[str, Any]) -> list[str]:
    lines = [_component(c)]
    for member in ("part_number", "lot", "date_code", "date_code_meaning", "notes"):
        if member in c:
            lines.append(f"  {member.replace('_', ' ')}: {c[member]}")
    return lines


def _graded(state: State, body: Mapping[str, Any], entry: Entry, refs: list[str]) -> None:
    state["grade"] = f"{body['reliability']}{body['credibility']}"


def _regrade(state: State) -> None:
    standing = [g for g in state["grades"] if "withdrawn" not in g]
    if standing:
        state["grade"] = f"{standing[-1]['reliability']}{standing[-1]['credibility']}"
    else:
        state.pop("grade", None)


def _grade(b: Mapping[str, Any]) -> str:
    return f"graded {b['reliability']}{b['credibility']}: {clip(b['rationale'])}"


def _render_grade(g: Mapping[str, Any]) -> list[str]:
    return [f"graded {g['reliability']}{g['credibility']}: {g['rationale']}"]


SPECS = (
    KindSpec(
        "evidence.registered",
        EvidenceRegistered,
        lambda b: f"registered {b['item_kind']}: {clip(b['title'])}",
        creates="evidence",
        fold=lambda state, body, entry, refs: keep(state, body),
        render=_render_item,
        doc_members=(
            "**item_kind** (`missile-remains`, `weapon`, `munition`, `component`, `document`, "
            "`photograph`, `video`, `sample`, `other`), **title**, description, recovered_at (UTC "
            "date or time: `2024`, `2024-07`, `2024-07-15`, `2024-07-15T09:30Z`, "
            "`2024-07-15T09:30:00Z`), recovered_where, custodian, identifiers (object, name to "
            "string)"
        ),
    ),
    KindSpec(
        "evidence.marking",
        EvidenceMarking,
        _marking,
        targets="evidence",
        entries="markings",
        render=_render_marking,
        doc_members=(
            "**text** (as read), location, meaning (e.g. `production year`), value (e.g. `2024`), "
            "method"
        ),
    ),
    KindSpec(
        "evidence.custody",
        EvidenceCustody,
        _custody,
        targets="evidence",
        entries="custody",
        render=_render_custody,
        doc_members=(
            "**action** (`collected`, `transferred`, `examined`, `copied`, `stored`), **at** (UTC "
            "date or time of the act), **performed_by**, from_party, to_party, location, purpose "
            "(or authority), method (or tool and version), condition, changes (`[{description, "
            "made_by, reason}]`: unavoidable changes)"
        ),
        doc_rules=(
            "`collected` and `transferred` need to_party; `transferred` needs from_party; "
            "`stored` needs location"
        ),
    ),
    KindSpec(
        "evidence.attached",
        EvidenceAttached,
        _attached,
        targets="evidence",
        refs=(Ref("digest", "digest"),),
        entries="attachments",
        render=_render_attached,
        doc_members=(
            "**digest** (hex SHA-256 of the file), **size** (bytes), **media_type**, filename, "
            "caption"
        ),
        doc_rules="the file is kept in the store's content-addressed blob store",
    ),
    KindSpec(
        "evidence.component",
        EvidenceComponent,
        _component,
        targets="evidence",
        entries="components",
        render=_render_component,
        doc_members=(
            "**part**, manufacturer, country, part_number, lot, date_code, date_code_meaning, notes"
        ),
        doc_rules="its statement id names the component (for trace requests)",
    ),
    KindSpec(
        "evidence.graded",
        EvidenceGraded,
        _grade,
        targets="evidence",
        entries="grades",
        fold=_graded,
        refold=_regrade,
        render=_render_grade,
        doc_members="**reliability** (`A`-`F`), **credibility** (integer 1-6), **rationale**",
        doc_rules="the Admiralty code (AJP-2.1); the latest grading is the current one",
    ),
    KindSpec(
        "evidence.derived",
        EvidenceDerived,
        _derived,
        targets="evidence",
        refs=(Ref("source", "subject", subject_type="evidence", relation="source-of"),),
        entries="sources",
        render=_render_derived,
        doc_members=(
            "**source** (an earlier evidence item: the whole it is part of, or the original it "
            "derives from), **relation** (`part-of`: taken from it, as an engine from a wreck; "
            "`derived-from`: made from it, as a working copy of an original photograph), how, "
            "at (UTC date or time), performed_by"
        ),
        doc_rules=(
            "the source MUST be an evidence item other than the subject; a bundle of the "
            "subject holds its source's record"
        ),
    ),
)
