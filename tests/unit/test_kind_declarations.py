"""Every kind is declared completely, and every consumer reads the declaration.

Issue 11: one declaration per kind. These tests hold each declaration to what
its consumers need: a body class named after it, a summary, a rendering that
shows every member of its body, references that name real body members, and
rows in docs/spec/statements.md that say what the declaration says.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import pytest

from provenance.model.kinds import KINDS, STAMP, KindSpec, entry_lists
from tests.unit.catalogue import VALID_BODIES

ROOT = Path(__file__).resolve().parents[2]
STAMP_VALUES = {
    "statement_id": "cd" * 32,
    "author": "alice",
    "issued_at": "2024-07-15T09:30:00Z",
    "received_at": "2024-07-15T09:30:05.000000Z",
    "position": 7,
}


def _leaves(value: Any) -> list[str]:
    """Every scalar inside a body, as text."""
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [str(value)]


def _new_state(subject_type: str) -> dict[str, Any]:
    """A subject of this type, folded from the catalogue's body of its creating kind."""
    creator = next(s for s in KINDS.values() if s.creates == subject_type)
    body = _dumped(creator)
    state: dict[str, Any] = {
        "subject": "s-1",
        "type": subject_type,
        "version": 1,
        "created": dict(STAMP_VALUES),
        "updated": dict(STAMP_VALUES),
        **{name: [] for name in entry_lists(subject_type)},
    }
    assert creator.fold is not None, f"{creator.name} creates a subject but declares no fold"
    creator.fold(state, body, {**body, **STAMP_VALUES}, [])
    return state


def _dumped(spec: KindSpec) -> dict[str, Any]:
    body = spec.body.model_validate(VALID_BODIES[spec.name])
    return body.model_dump(mode="json", exclude_none=True)


def _shown(spec: KindSpec, body: dict[str, Any]) -> str:
    """What ``prov show`` renders of one statement of this kind (its entry, or its subject)."""
    if spec.creates is not None:
        shown: dict[str, Any] = _new_state(spec.creates)
    else:
        state = _new_state("evidence" if spec.targets == "any" else str(spec.targets))
        shown = {**body, **STAMP_VALUES}
        if spec.fold is not None:
            spec.fold(state, body, shown, ["ef" * 32])
    lines = spec.render(shown) if spec.render is not None else [spec.summary(body)]
    return "\n".join(lines)


def test_the_catalogue_has_a_body_of_every_kind() -> None:
    assert set(VALID_BODIES) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_has_a_one_line_summary(kind: str) -> None:
    summary = KINDS[kind].summary(_dumped(KINDS[kind]))
    assert isinstance(summary, str) and summary and "\n" not in summary


@pytest.mark.parametrize(
    "kind", sorted(k for k, s in KINDS.items() if s.creates or s.entries or s.render)
)
def test_what_prov_show_renders_holds_every_member_of_the_body(kind: str) -> None:
    """No member is left out of ``prov show``: each value of a full body is in its lines."""
    spec = KINDS[kind]
    body = _dumped(spec)
    shown = _shown(spec, body)
    missing = [leaf for leaf in _leaves(body) if leaf not in shown]
    assert missing == [], f"{kind}: not shown: {missing}\n{shown}"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_declared_references_name_members_of_the_body(kind: str) -> None:
    spec = KINDS[kind]
    for ref in spec.refs:
        assert ref.member in spec.body.model_fields, (kind, ref.member)
        if ref.to == "subject":
            assert ref.subject_type is not None
        if ref.to == "target":
            # Every target type the body allows says what its id names.
            target = spec.body.model_fields[ref.member].annotation
            allowed = typing.get_args(target.model_fields["type"].annotation)  # type: ignore[union-attr]
            assert sorted(ref.choices) == sorted(allowed), (kind, ref.member)
    if spec.withdraws is not None:
        assert spec.withdraws in spec.body.model_fields


def test_entry_lists_never_collide_with_body_members_or_the_stamp() -> None:
    lists = {s.entries for s in KINDS.values() if s.entries}
    members = {m for s in KINDS.values() if s.creates for m in s.body.model_fields}
    assert not lists & members and not lists & set(STAMP)


# -- docs/spec/statements.md's table of kinds, checked against the declarations ----------

NOUNS = {
    "actor": "an actor",
    "evidence": "an evidence item",
    "finding": "a finding",
    "challenge": "a challenge",
    "trace": "a trace request",
}


def _spec_rows() -> tuple[dict[str, list[str]], str]:
    text = (ROOT / "docs" / "spec" / "statements.md").read_text()
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\| `([a-z_]+\.[a-z_]+)` \|(.*)\|$", line)
        if m:
            rows[m.group(1)] = [cell.strip() for cell in m.group(2).split(" | ")]
    table_end = text.index("\n\n", text.index("| `actor.key_revoked` |"))
    after = text[table_end : text.index("\n\n", table_end + 2)]
    return rows, after


def test_the_spec_table_lists_exactly_the_declared_kinds() -> None:
    rows, _ = _spec_rows()
    assert sorted(rows) == sorted(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_spec_table_row_says_what_the_declaration_says(kind: str) -> None:
    rows, after = _spec_rows()
    subject, members = rows[kind][0], rows[kind][1]
    spec = KINDS[kind]
    if spec.creates is not None:
        assert subject == f"creates {NOUNS[spec.creates]}"
    elif spec.targets == "any":
        assert subject == "targets the subject of the withdrawn statement"
    else:
        assert spec.targets is not None
        assert subject == f"targets {NOUNS[spec.targets]}"
    fields = spec.body.model_fields
    required = {name for name, f in fields.items() if f.is_required()}
    bold = set(re.findall(r"\*\*([a-z_]+)\*\*", members))
    assert bold == required, f"{kind}: bold {sorted(bold)}, required {sorted(required)}"
    for name in set(fields) - required:
        mentioned = re.search(rf"(?<![\w`]){name}(?![\w])", members) or (
            f"`{kind}`" in after and f"`{name}`" in after
        )
        assert mentioned, f"{kind}: optional member {name} is not in the spec's table"


def test_a_new_entry_list_changes_the_views_format(monkeypatch: pytest.MonkeyPatch) -> None:
    """Views written before a kind added entries to a type are not read as current."""
    from provenance.projections import views

    assert views._views_format() == views.VIEWS_FORMAT
    real = views.entry_lists
    monkeypatch.setattr(
        views,
        "entry_lists",
        lambda t: (*real(t), "photographs") if t == "evidence" else real(t),
    )
    changed = views._views_format()
    assert changed != views.VIEWS_FORMAT
    assert changed.split("-")[0] == views.VIEWS_FORMAT.split("-")[0] == str(views.VIEWS_SHAPE)
