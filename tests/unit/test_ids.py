"""Ids match as whole strings: an id ending in a newline is refused everywhere (issue 10 §D)."""

from __future__ import annotations

import re

import pytest
from pydantic import TypeAdapter, ValidationError

from provenance.ids import (
    STATEMENT_ID_PATTERN,
    SUBJECT_ID_PATTERN,
    is_statement_id,
    is_subject_id,
)
from provenance.model.fields import StatementRef, SubjectRef

SID = "ab" * 32


def test_the_python_pitfall_is_real() -> None:
    """re.match with "$" accepts a final newline: why nothing here uses it (the test is fair)."""
    assert re.match(SUBJECT_ID_PATTERN, "item-1\n") is not None
    assert re.match(STATEMENT_ID_PATTERN, SID + "\n") is not None


@pytest.mark.parametrize(
    "text", ["item-1\n", "item-1\r", "\nitem-1", "item-1 ", "ïtem", "item\x00"]
)
def test_subject_id_matches_the_whole_string(text: str) -> None:
    assert not is_subject_id(text)
    with pytest.raises(ValidationError):
        TypeAdapter(SubjectRef).validate_python(text)


@pytest.mark.parametrize("text", [SID + "\n", "\n" + SID, SID.upper(), "\uff10" * 64])
def test_statement_id_matches_the_whole_string(text: str) -> None:
    assert not is_statement_id(text)
    with pytest.raises(ValidationError):
        TypeAdapter(StatementRef).validate_python(text)


def test_well_formed_ids_are_accepted() -> None:
    assert is_subject_id("item-1") and is_subject_id("A" * 128) and not is_subject_id("A" * 129)
    assert is_statement_id(SID)
    assert TypeAdapter(SubjectRef).validate_python("item-1") == "item-1"
    assert TypeAdapter(StatementRef).validate_python(SID) == SID
