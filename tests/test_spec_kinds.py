"""docs/spec/kinds.md, the body shapes a verifier writer reads, is generated from the
declarations and kept current: a verifier written from docs/spec/ alone needs it."""

from __future__ import annotations

from provenance.model.kinds import KINDS
from provenance.model.table import (
    SPEC_PATH,
    STATEMENTS_PATH,
    TABLE_END,
    TABLE_START,
    markdown,
    statements_spec,
)


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


def test_the_table_of_kinds_in_statements_md_is_the_generated_one() -> None:
    """statements.md section 3's table is made from the declarations (issue 11)."""
    text = STATEMENTS_PATH.read_text()
    assert text == statements_spec(text), (
        "docs/spec/statements.md's table of kinds is stale: run 'python -m provenance.model.table'"
    )
    table = text[text.index(TABLE_START) : text.index(TABLE_END)]
    assert [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")] == list(
        KINDS
    )
