"""docs/spec/kinds.md, the body shapes a verifier writer reads, is generated from the
declarations and kept current: a verifier written from docs/spec/ alone needs it."""

from __future__ import annotations

from provenance.model.kinds import KINDS
from provenance.model.table import SPEC_PATH, markdown


def test_the_spec_of_the_kinds_is_the_generated_one() -> None:
    assert SPEC_PATH.read_text() == markdown(), (
        "docs/spec/kinds.md is stale: run 'python -m provenance.model.table'"
    )


def test_every_kind_and_member_is_in_the_spec() -> None:
    text = SPEC_PATH.read_text()
    for name, spec in KINDS.items():
        assert f"## `{name}`" in text
        for member in spec.body.model_fields:
            assert f"`body.{member}`" in text, (name, member)
